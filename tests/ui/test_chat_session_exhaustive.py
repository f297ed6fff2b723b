"""ChatSession._forward handles every run event by an exhaustive match: a
planted event type raises instead of being passed on unnoticed."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from app.domain import Done, TextDelta
from app.services.chat_session import ChatSession
from app.settings import AppSettings


class Planted(BaseModel):
    type: str = "planted"


def test_forward_fails_on_an_unknown_event(qtbot) -> None:
    session = ChatSession(None, AppSettings(), 1, 1)   # type: ignore[arg-type]
    seen: list[object] = []
    session.sig_event.connect(seen.append)
    assert session._forward(TextDelta(text="a"), "cancelled") == "cancelled"
    assert session._forward(Done(), "cancelled") == "done"
    with pytest.raises(AssertionError):
        session._forward(Planted(), "done")            # type: ignore[arg-type]
    assert seen == [TextDelta(text="a"), Done()]       # the unknown one was not passed on
