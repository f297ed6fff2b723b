"""Chat view streaming: incremental drawing, render counts, scrolling, paging."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QApplication

from app.ui.chat import ChatView
from tests.ui.chat_support import shown_chat_view, conversation, make_message

STREAMED = (
    "Here is the plan.\n\n"
    "```python\nfor i in range(3):\n    print(i)\n```\n\n"
    "| col | val |\n|---|---|\n| a | 1 |\n| b | 2 |\n\n"
    "1. first\n2. second\n\n"
    "Done, see above."
)


@pytest.fixture
def view(qtbot) -> ChatView:
    return shown_chat_view(qtbot, 600, 400)


def settle() -> None:
    for _ in range(5):
        QApplication.processEvents()


def chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)]


def test_streamed_text_appears_incrementally_and_finished_blocks_render_once(view) -> None:
    view.begin_reply(7, "gemma3", "local")
    widget = view.message_widget(7)
    renders: list[tuple[int, bool]] = []
    seen: list[str] = []
    for piece in chunks(STREAMED, 6):
        view.append_text(7, piece)
        if widget.segments() and widget.segments()[0].stream.on_render is None:
            widget.segments()[0].stream.on_render = lambda i, final: renders.append((i, final))
        view.flush()
        seen.append(widget.segments()[0].toPlainText())
    view.finish_reply(7, "complete")
    stream = widget.segments()[0].stream
    final_text = widget.segments()[0].toPlainText()

    partial = [text for text in dict.fromkeys(seen) if text != final_text]
    assert len(partial) >= 5, "several partial renders before the final one"
    assert "Done, see above." in final_text and "print(i)" in final_text
    assert "first" in seen[len(seen) // 2] or "col" in seen[len(seen) // 2]
    # Every finished block was rendered exactly once; open blocks were redrawn as tails.
    finals = [i for i, final in renders if final]
    assert finals == sorted(set(finals)) == list(range(len(stream.blocks)))
    assert len(stream.blocks) == 5
    assert set(stream.final_renders.values()) == {1}
    assert sum(1 for _i, final in renders if not final) == stream.tail_renders > len(finals)
    # Once a block is final, no later tail redraw touches it.
    for index in finals:
        first_final = renders.index((index, True))
        assert (index, False) not in renders[first_final:]
    assert widget.markdown() == STREAMED


def test_flush_timer_batches_appends(view, qtbot) -> None:
    view.begin_reply(3)
    for word in ("alpha ", "beta ", "gamma"):
        view.append_text(3, word)
    segment = view.message_widget(3).segments()[0]
    assert segment.toPlainText() == ""  # buffered, not drawn yet
    qtbot.waitUntil(lambda: segment.toPlainText() == "alpha beta gamma", timeout=2000)
    assert view.flush_count == 1  # three appends, one flush


def test_thinking_is_appended_as_plain_text(view) -> None:
    view.begin_reply(4)
    view.append_thinking(4, "<b>not bold</b> ")
    view.append_thinking(4, "*not em*")
    view.flush()
    thinking = view.message_widget(4).thinking
    assert thinking is not None
    assert thinking.text.toPlainText() == "<b>not bold</b> *not em*"


def test_view_follows_the_bottom_only_when_the_user_is_there(view, qtbot) -> None:
    view.set_messages(conversation(12))
    bar = view.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())

    view.begin_reply(100)
    for i in range(30):
        view.append_text(100, f"streamed line {i}\n\n")
        view.flush()
        settle()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum())
    assert view.is_following()

    bar.setValue(bar.maximum() // 2)  # the user scrolls up
    parked = bar.value()
    old_max = bar.maximum()
    for i in range(30):
        view.append_text(100, f"more line {i}\n\n")
        view.flush()
        settle()
    qtbot.waitUntil(lambda: bar.maximum() > old_max)
    settle()
    assert bar.value() == parked
    assert not view.is_following()

    bar.setValue(bar.maximum())  # back at the bottom: follows again
    view.append_text(100, "x\n\n" * 20)
    view.flush()
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and bar.maximum() > parked)


def test_scrolling_to_top_asks_for_older_and_prepending_keeps_position(view, qtbot) -> None:
    newest = conversation(10, start_id=21)
    view.set_messages(newest, has_older=True)
    bar = view.scroll.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())

    with qtbot.waitSignal(view.sig_need_older) as asked:
        bar.setValue(0)
    assert asked.args == [21]
    first = view.message_widget(21)
    offset_before = first.y() - bar.value()

    view.prepend_messages(conversation(20, start_id=1), has_older=False)
    qtbot.waitUntil(lambda: view.message_widget(1) is not None and bar.value() > 0)
    settle()
    assert view.message_ids() == list(range(1, 31))
    assert abs((first.y() - bar.value()) - offset_before) <= 2
    # Nothing more to load: reaching the top again does not ask.
    with qtbot.assertNotEmitted(view.sig_need_older):
        bar.setValue(0)
        settle()


def test_older_messages_load_while_the_shown_ones_do_not_fill_the_view(view, qtbot) -> None:
    """A tall window and short messages: no scroll bar to reach the top with."""
    view.resize(600, 2400)
    with qtbot.waitSignal(view.sig_need_older, timeout=3000) as asked:
        view.set_messages(conversation(3, start_id=41), has_older=True)
    assert asked.args == [41]
    # The page that came back still leaves room: the next older one is asked for.
    with qtbot.waitSignal(view.sig_need_older, timeout=3000) as asked:
        view.prepend_messages(conversation(3, start_id=38), has_older=True)
    assert asked.args == [38]
    view.prepend_messages(conversation(3, start_id=35), has_older=False)
    with qtbot.assertNotEmitted(view.sig_need_older):
        settle()
    assert view.message_ids() == list(range(35, 44))


def test_a_filled_view_waits_for_the_user_to_scroll_up(view, qtbot) -> None:
    with qtbot.assertNotEmitted(view.sig_need_older):
        view.set_messages(conversation(10, start_id=21), has_older=True)
        bar = view.scroll.verticalScrollBar()
        qtbot.waitUntil(lambda: bar.maximum() > 0 and bar.value() == bar.maximum())
        settle()


def test_set_messages_replaces_and_attaches_tool_results(view) -> None:
    view.set_messages(conversation(3))
    view.set_messages([
        make_message(1, "user", "hi"),
        make_message(2, "assistant", "calling",
                     tool_calls=[{"call_id": "k", "name": "calc", "arguments": "{\"x\": 1}"}]),
        make_message(3, "tool", "boom", tool_call_id="k", status="error",
                     meta={"duration_ms": 12.0}),
    ])
    assert view.message_ids() == [1, 2]  # the tool message is shown in its call block
    block = view.tool_block("k")
    assert block is not None and block.state == "error"
    assert block.result.text() == "boom" and "12 ms" in block.status.text()
    assert '"x": 1' in block.arguments.text()


def test_two_replies_stream_at_once_and_a_message_can_be_removed(view, qtbot) -> None:
    view.set_messages(conversation(2))
    view.begin_reply(10)
    view.begin_reply(11)
    view.add_tool_call(11, "t1", "calc", {})
    for i in range(5):
        view.append_text(10, f"a{i} ")
        view.append_text(11, f"b{i} ")
    qtbot.waitUntil(lambda: view.message_widget(10).segments()
                    and view.message_widget(10).segments()[0].toPlainText() == "a0 a1 a2 a3 a4 ")
    assert view.message_widget(11).segments()[0].toPlainText() == "b0 b1 b2 b3 b4 "

    view.remove_message(11)
    assert view.message_ids() == [1, 2, 10]
    assert view.tool_block("t1") is None and view.message_widget(11) is None
    view.append_text(11, "ignored")  # a late token for a removed message is dropped
    view.flush()
