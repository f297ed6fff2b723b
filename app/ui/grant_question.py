"""The question an imported agent's tool permissions need.

An imported agent never gets a tool policy looser than the tool's default
(app/core/export/agent_grants.py); this box lists exactly what the file asked
for, and only "Allow these" grants them (``exchange.grant_policies`` on the
store's worker). Everything in it came from the file, so it is plain text.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from app.domain import AgentSpec
from app.ops import exchange
from app.services.store_bridge import StoreBridge
from app.ui.prompts import confirm

if TYPE_CHECKING:  # the exporters load on the first import, not at start
    from app.core.export.agent_grants import AgentGrants

OBJECT_NAME = "grantPermissions"


def ask_to_grant(parent: QWidget, bridge: StoreBridge, agent: AgentSpec, grants: AgentGrants,
                 *, preamble: str = "",
                 on_answer: Callable[[AgentSpec | None], None] | None = None) -> QMessageBox:
    """Ask whether ``agent`` may have the tool policies in ``grants``;
    ``on_answer`` gets the updated agent (allowed) or None (not allowed)."""
    text = "\n".join([
        *([preamble, ""] if preamble else []),
        f"The file asks that “{agent.name}” use these tools without the usual question. "
        "They were not given:",
        *(f"• {line}" for line in grants.lines()),
        "",
        "Allow them only if you trust whoever made this file. You can change them "
        "later in the agent's Tools settings."])

    async def grant() -> None:
        updated = await bridge.run(partial(exchange.grant_policies, agent_id=agent.id,
                                           grants=grants))
        if on_answer is not None:
            on_answer(updated)

    box = confirm(parent, "Tool permissions", text,
                  lambda: bridge.spawn(grant(), name="grant-permissions"),
                  yes_text="Allow these")
    box.setObjectName(OBJECT_NAME)
    box.setTextFormat(Qt.TextFormat.PlainText)
    cancel = box.button(QMessageBox.StandardButton.Cancel)
    cancel.setText("Don't allow")
    if on_answer is not None:
        box.rejected.connect(lambda: on_answer(None))
    return box
