"""The former name of the agent runner (app/core/runner.py).

``ChatTurn`` was one user turn without tools; it grew into ``AgentRunner``
(tool rounds, context window, approvals). The old names stay importable.
"""

from app.core.runner import (
    AgentRunner,
    TurnEvent,
    build_request,
    default_provider_pool,
)

ChatTurn = AgentRunner

__all__ = ["AgentRunner", "ChatTurn", "TurnEvent", "build_request", "default_provider_pool"]
