"""Headless subcommands of ``agentdesk`` (see app/cli.py for the parser).

One module per command group. Each exposes ``register(subparsers, common)``,
which adds its parsers and sets ``handler`` on each leaf: a function
``handler(args, store) -> int`` that prints its result and returns the exit
code. Handlers report failures by raising ``CliError``; app/cli.py turns that
into one ``agentdesk: error: ...`` line on stderr.
"""
