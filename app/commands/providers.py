"""``agentdesk providers add|list|remove``: provider configuration in the store.

Talking to a provider (``providers test``) and storing its API key
(``providers set-key``) live in app.commands.provider_checks.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import get_args

from pydantic import ValidationError

from app.commands import provider_checks
from app.commands.common import CliError, describe_validation_error
from app.commands.output import print_json, say, table, warn
from app.core.secrets import ENV_NAME
from app.domain import ProviderConfig, ProviderKind
from app.domain.provider import DEFAULT_BASE_URLS, derive_is_local
from app.logs import redact_url
from app.ops import providers as provider_ops
from app.store import DuplicateNameError, NotFoundError, Store

KINDS: tuple[str, ...] = get_args(ProviderKind)



def register(subparsers, common: argparse.ArgumentParser) -> None:
    group = subparsers.add_parser("providers", help="configure model providers")
    commands = group.add_subparsers(dest="providers_command", metavar="COMMAND",
                                    required=True)

    add = commands.add_parser("add", parents=[common], help="add a provider")
    add.add_argument("name", metavar="NAME")
    add.add_argument("--kind", required=True, choices=KINDS)
    add.add_argument("--url", help="base URL (default depends on the kind)")
    add.add_argument("--api-key-env", metavar="VAR",
                     help="name of the environment variable that holds the API key")
    add.add_argument("--model-path", metavar="FILE",
                     help="GGUF model file (kind embedded)")
    add.set_defaults(handler=add_provider)

    listing = commands.add_parser("list", parents=[common], help="list providers")
    listing.set_defaults(handler=list_providers)

    remove = commands.add_parser("remove", parents=[common], help="remove a provider")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=remove_provider)

    provider_checks.register(commands, common)


def build_config(name: str, kind: str, url: str | None, api_key_env: str | None,
                 model_path: str | None) -> ProviderConfig:
    """Validate the ``providers add`` options into a ProviderConfig."""
    if kind == "embedded":
        if url:
            raise CliError("--url does not apply to kind 'embedded' (it runs in-process)")
        if not model_path:
            raise CliError("kind 'embedded' needs --model-path FILE (a .gguf model)")
        path = Path(model_path).expanduser().resolve()
        if not path.is_file():
            raise CliError(f"model file not found: {path}")
        base_url, stored_path = "", str(path)
    else:
        if model_path:
            raise CliError("--model-path only applies to kind 'embedded'")
        base_url = (url or DEFAULT_BASE_URLS[kind]).rstrip("/")
        problem = provider_ops.url_problem(kind, base_url)
        if problem:
            raise CliError(f"invalid --url {redact_url(base_url)!r}: "
                           f"{problem[0].lower()}{problem[1:]}")
        stored_path = None
    key_ref = None
    if api_key_env is not None:
        # Never echo the value: a key pasted here by mistake must not be printed.
        if not ENV_NAME.fullmatch(api_key_env):
            raise CliError("--api-key-env takes the NAME of an environment variable "
                           "(like OPENAI_API_KEY), not the key itself")
        key_ref = f"env:{api_key_env}"
    is_local = derive_is_local(kind, base_url)
    try:
        return ProviderConfig(name=name, kind=kind, base_url=base_url, api_key_ref=key_ref,
                              model_path=stored_path, is_local=is_local)
    except ValidationError as exc:
        raise CliError(describe_validation_error(exc, ProviderConfig,
                                                 {"name": "provider name"})) from None


def add_provider(args: argparse.Namespace, store: Store) -> int:
    config = build_config(args.name, args.kind, args.url, args.api_key_env, args.model_path)
    try:
        created = provider_ops.save_provider(store, config)
    except DuplicateNameError as exc:
        raise CliError(str(exc)) from None
    if args.json:
        print_json(provider_ops.shown(created))
    else:
        where = redact_url(created.base_url) or created.model_path
        say(f"added provider {created.name!r} ({created.kind}, "
            f"{'local' if created.is_local else 'remote'}) at {where}")
    return 0


def list_providers(args: argparse.Namespace, store: Store) -> int:
    providers = provider_ops.list_providers(store)
    for provider in providers:
        warning = provider_ops.url_credential_warning(provider)
        if warning:
            warn(warning)
    if args.json:
        print_json([provider_ops.shown(p) for p in providers])
    elif not providers:
        say("no providers yet — add one with: agentdesk providers add NAME --kind ...")
    else:
        table(["ID", "NAME", "KIND", "LOCAL", "ENABLED", "URL / MODEL", "API KEY"],
              [(p.id, p.name, p.kind, p.is_local, p.enabled,
                redact_url(p.base_url) or p.model_path,
                p.api_key_ref) for p in providers])
    return 0


def remove_provider(args: argparse.Namespace, store: Store) -> int:
    try:
        removal = provider_ops.remove_provider(store, args.name)
    except NotFoundError:
        raise CliError(f"unknown provider {args.name!r} (see: agentdesk providers list)"
                       ) from None
    config, users = removal.config, removal.agents_using_it
    if users:
        warn(f"agents still naming provider {config.name!r}: {', '.join(users)}")
    if args.json:
        print_json({"removed": config, "agents_using_it": users})
    else:
        say(f"removed provider {config.name!r}")
    return 0
