"""``agentdesk models load|unload NAME --provider P``: load a model into an
LM Studio's memory, or unload it, where its REST API allows (LM Studio 0.4.0
and later; an older one says so in one line, with what to do instead).

- ``load NAME --provider P [--context-length N]``: a model already loaded is
  not loaded a second time (its instance is reported).
- ``unload NAME --provider P``: NAME is a model key (every loaded instance of
  it) or one instance id.

The work is app/ops/model_providers.py (load, unload). A server that is down,
an LM Studio without load/unload, a provider of another kind and a model it
does not have each end as one line on stderr; text from the server is
printed through app/commands/output.py (control characters shown, not obeyed).
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Coroutine
from typing import Any

from app.commands.common import CliError, cli_message, positive_int
from app.commands.output import print_json, say
from app.store import Store


def register(commands, common: argparse.ArgumentParser) -> None:
    load = _lmstudio_command(commands, common, "load", "load a model in",
                             "the model's key, as 'agentdesk models --provider P' lists it")
    load.add_argument("--context-length", metavar="N", type=positive_int,
                      help="the context length to load it with (default: LM Studio's)")
    load.set_defaults(handler=load_model)
    unload = _lmstudio_command(commands, common, "unload", "unload a model from",
                               "a model key (every loaded instance of it) or one instance id")
    unload.set_defaults(handler=unload_model)


def _lmstudio_command(commands, common: argparse.ArgumentParser, verb: str, does: str,
                      name_help: str) -> argparse.ArgumentParser:
    """``VERB NAME --provider P``: a command on one model of an LM Studio provider."""
    command = commands.add_parser(
        verb, parents=[common],
        help=f"{does} an LM Studio provider (LM Studio 0.4.0 or later)")
    command.add_argument("name", metavar="NAME", help=name_help)
    command.add_argument("--provider", metavar="P", required=True,
                         help="the LM Studio provider")
    return command


def load_model(args: argparse.Namespace, store: Store) -> int:
    from app.ops import model_providers

    result = _run(model_providers.load(store, args.provider, args.name,
                                       context_length=args.context_length))
    if args.json:
        print_json({"loaded": args.name, "provider": args.provider,
                    "instance_id": result.instance_id,
                    "already_loaded": result.already_loaded,
                    "context_length": result.context_length,
                    "load_time_seconds": result.load_time_seconds})
        return 0
    if result.already_loaded:
        say(f"{args.name} is already loaded on {args.provider} "
            f"(instance {result.instance_id})")
        return 0
    details = [f"instance {result.instance_id}"]
    if result.context_length is not None:
        details.append(f"context {result.context_length:,}")
    if result.load_time_seconds is not None:
        details.append(f"{result.load_time_seconds:.1f} s")
    say(f"loaded {args.name} on {args.provider} ({', '.join(details)})")
    return 0


def unload_model(args: argparse.Namespace, store: Store) -> int:
    from app.ops import model_providers

    instances = _run(model_providers.unload(store, args.provider, args.name))
    if args.json:
        print_json({"unloaded": args.name, "provider": args.provider,
                    "instances": instances})
        return 0
    which = "" if instances == [args.name] else f" (instances {', '.join(instances)})"
    say(f"unloaded {args.name} from {args.provider}{which}")
    return 0


def _run(operation: Coroutine[Any, Any, Any]) -> Any:
    """Run an op; its refusals and the server's errors become one line."""
    from app.core.secrets import SecretError
    from app.providers.base import ProviderError

    try:
        return asyncio.run(operation)
    except (ProviderError, SecretError, ValueError) as exc:
        raise CliError(cli_message(str(exc))) from None
