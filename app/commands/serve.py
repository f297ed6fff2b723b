"""``agentdesk serve [--host H] [--port P]``: the local HTTP API, headless.

Prints the address and the bearer token it accepts (``$AGENTDESK_API_TOKEN``
when set, else the app's token from the keyring, the one Settings shows), then
serves until Ctrl+C. Host, port, origins and limits default to the settings
(``settings.api``); an address other than 127.0.0.1/localhost is reachable
from the network, which is said on stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import logging
import socket
import sys
from typing import TYPE_CHECKING

from app.commands.common import CliError
from app.commands.output import say, warn
from app.commands.terminal_text import json_text
from app.core.secrets import SecretError, api_token
from app.settings import SettingsError, load_settings
from app.store import Store

if TYPE_CHECKING:
    from app.api.context import ApiContext

#: Host names that only this machine reaches.
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")

log = logging.getLogger(__name__)


def register(subparsers, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "serve", parents=[common], help="serve the local HTTP API until Ctrl+C",
        description="Serve the agents over HTTP (/api/..., /v1 for OpenAI clients, docs at "
                    "/docs). Every request but /health needs the bearer token printed at start.")
    parser.add_argument("--host", metavar="H", help="address to bind (default from settings: "
                                                    "127.0.0.1)")
    parser.add_argument("--port", type=int, metavar="P",
                        help="port (default from settings: 8000; 0 picks a free one)")
    parser.set_defaults(handler=serve_command)


def serve_command(args: argparse.Namespace, store: Store) -> int:
    # FastAPI and uvicorn load only for this command (every other command starts faster).
    from app.api.context import ApiContext
    from app.api.server_tuning import short_gil_switches
    try:
        settings = load_settings(args.home)
        token = api_token()
    except (SettingsError, SecretError) as exc:
        raise CliError(str(exc)) from None
    host = args.host or settings.api.host
    port = settings.api.port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise CliError(f"the port must be between 0 and 65535, got {port}")
    if host not in LOCAL_HOSTS:
        warn(f"serving on {host}: reachable from other machines on the network")
    context = ApiContext.from_settings(settings.model_copy(
        update={"api": settings.api.model_copy(update={"host": host})}), token, store.path)
    store.close()       # the server opens its own connection on its loop
    try:
        with short_gil_switches():
            asyncio.run(_serve(context, host, port, json_output=args.json))
    except KeyboardInterrupt:
        pass
    return 0


async def _serve(context: ApiContext, host: str, port: int, *, json_output: bool) -> None:
    import uvicorn

    from app.api.app import create_app
    from app.api.server_tuning import freeze_long_lived

    config = uvicorn.Config(create_app(context), host=host, port=port, log_level="warning",
                            lifespan="on", access_log=False)
    server = uvicorn.Server(config)
    try:     # bound here, so a taken port is one clear line (uvicorn would exit 3)
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        listening = socket.create_server((host, port), family=family)
    except OSError as exc:
        reason = ("the port is in use: choose another with --port" if exc.errno == errno.EADDRINUSE
                  else "this machine has no such address: check --host")
        raise CliError(f"cannot serve on {host}:{port} ({reason})") from None
    task = asyncio.create_task(server.serve(sockets=[listening]))
    while not server.started and not task.done():
        await asyncio.sleep(0.05)
    if task.done():
        task.result()
        raise CliError(f"the API server on {host}:{port} stopped as it started")
    freeze_long_lived(collect=True)     # built and listening: see app/api/server_tuning.py
    bound = listening.getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    address = f"http://{shown}:{bound}"
    if json_output:
        # One line, so a program reads it before the server's first answer.
        sys.stdout.write(json_text({"address": address, "token": context.token}) + "\n")
    else:
        say(f"AgentDesk API on {address} (docs: {address}/docs)")
        say(f"token: {context.token}")
    sys.stdout.flush()
    await task
