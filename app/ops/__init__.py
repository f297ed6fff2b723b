"""Named use-case operations, written once for every entry point.

An op is a plain function ``op(store: Store, ...) -> result`` (or a small
class) over the store, core and, where it must talk to a model, the providers:
"title for a new chat", "archive this chat", "duplicate this agent", "forget
this fact"... Inputs and outputs are domain models (or small frozen
dataclasses declared beside the op); failures are the store's typed errors
(``NotFoundError``, ``DuplicateNameError``, ...) or pydantic's
``ValidationError``.

The rule: entry points call ops; ops never import Qt.

- The CLI (app/commands) calls an op directly on its synchronous ``Store`` and
  keeps only argument parsing and output formatting.
- The window schedules the same op on the store's serial worker:
  ``await bridge.run(partial(op, arg, ...))``. Widgets hold no queries.
- The coming HTTP API calls them from its routes.

Layer order: entry points (cli/commands, ui, api) → services → ops → core →
providers/store → domain. One module per subject (chats, messages, agents,
providers, memories, tools, exchange, data); no re-exports here.
"""
