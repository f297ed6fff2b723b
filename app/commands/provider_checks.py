"""``agentdesk providers test NAME``, ``providers set-key NAME`` and
``providers detect [--add]`` (the first-run probe of the usual local ports).

``set-key`` reads the key from stdin (without echo on a terminal), never from
the command line, where it would land in the shell history and the process
list. Only a ``keyring:`` reference is stored in the database.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import sys

from app.commands.common import CliError
from app.commands.output import fields, print_json, say
from app.core.connection_test import check_provider
from app.core.local_probe import DEFAULT_PORTS, DetectedServer, probe_local_servers
from app.core.secrets import SecretError
from app.core.wording import plural
from app.domain import ConnectionReport, ProviderConfig
from app.logs import redact_url
from app.ops import providers as provider_ops
from app.store import Store

log = logging.getLogger(__name__)


def register(commands, common: argparse.ArgumentParser) -> None:
    """Add ``test`` and ``set-key`` to the ``providers`` command group."""
    test = commands.add_parser("test", parents=[common],
                               help="test the connection to a provider")
    test.add_argument("name", metavar="NAME")
    test.set_defaults(handler=run_provider_test)

    set_key = commands.add_parser(
        "set-key", parents=[common],
        help="store a provider's API key in the system keyring (read from stdin)")
    set_key.add_argument("name", metavar="NAME")
    set_key.set_defaults(handler=set_provider_key)

    detect = commands.add_parser(
        "detect", parents=[common],
        help="look for Ollama, LM Studio and llama.cpp servers running on this machine")
    detect.add_argument("--add", action="store_true",
                        help="add the servers found that are not configured yet")
    for kind, port in DEFAULT_PORTS.items():
        detect.add_argument(f"--{kind}-port", type=int, default=port, metavar="PORT",
                            help=f"port to probe for {kind} (default {port})")
    detect.set_defaults(handler=detect_providers)


def find_provider(store: Store, name: str) -> ProviderConfig:
    config = provider_ops.find(store, name)
    if config is None:
        raise CliError(f"unknown provider {name!r} (see: agentdesk providers list)")
    return config


def failure_line(report: ConnectionReport) -> str:
    """A failed report as one line: what is wrong — how to fix it."""
    return f"{report.message} — {report.fix}" if report.fix else report.message


def run_provider_test(args: argparse.Namespace, store: Store) -> int:
    config = find_provider(store, args.name)
    report = asyncio.run(check_provider(config))
    if args.json:
        print_json(report)
    elif report.reachable:
        fields([
            ("provider", f"{config.name} ({config.kind}) at "
                         f"{redact_url(config.base_url) or config.model_path}"),
            ("reachable", True),
            ("latency", f"{report.latency_ms:.1f} ms (median of 3)"),
            ("version", report.version),
            ("models", report.model_count),
            ("auth", "accepted" if report.auth_ok else "refused"),
        ])
    if not report.reachable:
        raise CliError(failure_line(report))
    return 0


def set_provider_key(args: argparse.Namespace, store: Store) -> int:
    config = find_provider(store, args.name)
    if config.kind == "embedded":
        raise CliError(f"provider {config.name!r} runs in-process and needs no API key")
    secret = _read_secret(f"API key for {config.name}: ")
    if not secret:
        raise CliError("no API key given on stdin")
    try:
        # Into the keyring first; put back as it was if the database write fails.
        updated = provider_ops.save_provider(store, config, api_key=secret)
    except SecretError as exc:
        raise CliError(str(exc)) from None
    reference = updated.api_key_ref
    log.info("API key for provider %r stored as %s", updated.name, reference)
    if args.json:
        print_json(updated)
    else:
        say(f"stored the API key for {updated.name!r} in the system keyring ({reference})")
    return 0


def _read_secret(prompt: str) -> str:
    """One line from stdin; typed without echo when stdin is a terminal."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt).strip()
    line = sys.stdin.readline() if sys.stdin is not None else ""
    return line.strip()


_DETECTED_NAMES = {"ollama": "Ollama", "lmstudio": "LM Studio", "llamacpp": "llama.cpp"}


def detect_providers(args: argparse.Namespace, store: Store) -> int:
    """Probe the usual loopback ports; with --add, configure what answered."""
    ports = {kind: getattr(args, f"{kind}_port") for kind in DEFAULT_PORTS}
    found = asyncio.run(probe_local_servers(ports=ports))
    configured = {p.base_url.rstrip("/") for p in provider_ops.list_providers(store)}
    added = []
    if args.add:
        for server in found:
            if server.base_url.rstrip("/") not in configured:
                added.append(provider_ops.save_provider(
                    store, server.as_config(_free_name(store, server))))
    if args.json:
        print_json({"found": [vars(server) for server in found], "added": added})
        return 0
    if not found:
        say("no local model server answered (Ollama 11434, LM Studio 1234, llama.cpp 8080)")
    for server in found:
        state = "configured" if server.base_url.rstrip("/") in configured else "not configured"
        say(f"{_DETECTED_NAMES[server.kind]} at {server.base_url} — version "
            f"{server.version or 'unknown'}, {plural(server.model_count or 0, 'model')} "
            f"({state})")
    for config in added:
        say(f"added provider {config.name!r}")
    return 0


def _free_name(store: Store, server: DetectedServer) -> str:
    base = _DETECTED_NAMES[server.kind]
    name, n = base, 2
    while provider_ops.find(store, name) is not None:
        name, n = f"{base} {n}", n + 1
    return name
