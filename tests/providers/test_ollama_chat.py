"""Ollama /api/chat: NDJSON streaming, tool calls, thinking, usage and the
request we send, against the in-test Ollama server."""

from __future__ import annotations

from app.domain import (
    ChatMessage,
    ChatRequest,
    Done,
    Error,
    TextDelta,
    ThinkingDelta,
    ToolCall,
    ToolCallRecord,
    ToolSpec,
    Usage,
)
from tests.providers.ollama_helpers import chat, make_provider, ollama_server  # noqa: F401
from tests.providers.ollama_server import OllamaServer
from tests.providers.ollama_wire import ChatReply

MODEL = "llama3.2:latest"
WEATHER = ToolSpec(
    name="get_current_weather",
    description="Get the current weather for a location",
    parameters={"type": "object",
                "properties": {"location": {"type": "string"},
                               "format": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
                "required": ["location", "format"]},
)


def _ask(text: str = "Why is the sky blue?", **fields: object) -> ChatRequest:
    return ChatRequest(model=fields.pop("model", MODEL),  # type: ignore[arg-type]
                       messages=[ChatMessage(role="user", content=text)], **fields)


def _text(events: list) -> str:
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def test_streamed_reply_yields_text_usage_and_done(ollama_server: OllamaServer) -> None:
    reply = ChatReply(content=["The", " sky", " scatters", " light."], eval_count=4,
                      prompt_eval_count=31, eval_duration=80_000_000)
    ollama_server.script.append(reply)

    events = chat(make_provider(ollama_server), _ask())

    assert [e.text for e in events if isinstance(e, TextDelta)] == reply.content
    usage, done = events[-2], events[-1]
    assert isinstance(usage, Usage) and isinstance(done, Done)
    assert done.stop_reason == "stop"
    assert usage.prompt_tokens == reply.prompt_eval_count
    assert usage.completion_tokens == reply.eval_count
    assert usage.tokens_per_s == reply.eval_count / reply.eval_duration * 1e9
    assert usage.ttft_ms is not None and usage.ttft_ms >= 0
    assert not any(isinstance(e, Error) for e in events)


def test_options_and_messages_are_sent_in_ollama_shape(ollama_server: OllamaServer) -> None:
    request = ChatRequest(
        model=MODEL, temperature=0.3, max_tokens=17, context_length=4096,
        messages=[ChatMessage(role="system", content="Be brief."),
                  ChatMessage(role="user", content="Hi")],
    )

    chat(make_provider(ollama_server), request)

    (sent,) = ollama_server.chat_requests()
    assert sent["model"] == MODEL
    assert sent["stream"] is True
    assert sent["options"] == {"temperature": 0.3, "num_predict": 17, "num_ctx": 4096}
    assert sent["messages"] == [{"role": "system", "content": "Be brief."},
                                {"role": "user", "content": "Hi"}]
    assert "tools" not in sent


def test_unset_options_are_left_to_the_model(ollama_server: OllamaServer) -> None:
    chat(make_provider(ollama_server), _ask())

    (sent,) = ollama_server.chat_requests()
    assert "options" not in sent


def test_length_limit_maps_to_length(ollama_server: OllamaServer) -> None:
    ollama_server.script.append(ChatReply(content=["Once", " upon"], done_reason="length"))

    events = chat(make_provider(ollama_server), _ask(max_tokens=2))

    assert events[-1] == Done(stop_reason="length")


def test_tool_calls_arrive_as_objects(ollama_server: OllamaServer) -> None:
    calls = [
        {"function": {"name": "get_current_weather",
                      "arguments": {"format": "celsius", "location": "Paris, FR"}}},
        {"function": {"name": "get_current_weather",
                      "arguments": {"format": "celsius", "location": "Toronto"}}},
    ]
    ollama_server.script.append(ChatReply(content=[], tool_calls=calls))

    events = chat(make_provider(ollama_server), _ask("Weather?", tools=[WEATHER]))

    tool_calls = [e for e in events if isinstance(e, ToolCall)]
    assert [(c.name, c.arguments) for c in tool_calls] == \
        [(c["function"]["name"], c["function"]["arguments"]) for c in calls]
    assert all(isinstance(c.arguments, dict) for c in tool_calls)
    assert len({c.call_id for c in tool_calls}) == 2  # generated, distinct
    # Ollama says done_reason "stop" with tool calls; we say what happened.
    assert events[-1] == Done(stop_reason="tool_calls")
    (sent,) = ollama_server.chat_requests()
    assert sent["tools"] == [{"type": "function",
                              "function": {"name": WEATHER.name,
                                           "description": WEATHER.description,
                                           "parameters": WEATHER.parameters}}]


def test_tool_call_id_from_the_server_is_kept(ollama_server: OllamaServer) -> None:
    calls = [{"id": "call_abc123",
              "function": {"index": 0, "name": "get_current_weather",
                           "arguments": {"location": "Oslo", "format": "celsius"}}}]
    ollama_server.script.append(ChatReply(content=[], tool_calls=calls))

    events = chat(make_provider(ollama_server), _ask("Weather?", tools=[WEATHER]))

    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.call_id == "call_abc123"


def test_tool_choice_none_offers_no_tools(ollama_server: OllamaServer) -> None:
    chat(make_provider(ollama_server), _ask(tools=[WEATHER], tool_choice="none"))

    (sent,) = ollama_server.chat_requests()
    assert "tools" not in sent


def test_thinking_is_streamed_apart_from_the_answer(ollama_server: OllamaServer) -> None:
    reply = ChatReply(thinking=["The user", " greets me."], content=["Hi", "!"])
    ollama_server.script.append(reply)

    events = chat(make_provider(ollama_server), _ask("Hello", model="qwen3:0.6b"))

    kinds = [type(e) for e in events]
    assert [e.text for e in events if isinstance(e, ThinkingDelta)] == reply.thinking
    assert _text(events) == "".join(reply.content)
    assert kinds.index(ThinkingDelta) < kinds.index(TextDelta)
    assert events[-1] == Done(stop_reason="stop")


def test_tool_result_goes_back_in_ollama_shape(ollama_server: OllamaServer) -> None:
    history = [
        ChatMessage(role="user", content="Weather in Paris?"),
        ChatMessage(role="assistant", content="", tool_calls=[
            ToolCallRecord(call_id="call_1", name="get_current_weather",
                           arguments={"location": "Paris", "format": "celsius"})]),
        ChatMessage(role="tool", content="22°C", tool_call_id="call_1"),
    ]
    ollama_server.script.append(ChatReply(content=["It is 22°C."]))

    events = chat(make_provider(ollama_server),
                  ChatRequest(model=MODEL, messages=history, tools=[WEATHER]))

    assert _text(events) == "It is 22°C."
    (sent,) = ollama_server.chat_requests()
    assert sent["messages"][1] == {
        "role": "assistant", "content": "",
        "tool_calls": [{"function": {"name": "get_current_weather",
                                     "arguments": {"location": "Paris", "format": "celsius"}}}],
    }
    # the tool's name is found from the call id when the message lacks it
    assert sent["messages"][2] == {"role": "tool", "content": "22°C",
                                   "tool_name": "get_current_weather"}


def test_string_arguments_in_history_are_sent_as_objects(ollama_server: OllamaServer) -> None:
    history = [
        ChatMessage(role="user", content="go"),
        ChatMessage(role="assistant", tool_calls=[
            ToolCallRecord(call_id="a", name="get_current_weather",
                           arguments='{"location": "Rome", "format": "celsius"}'),
            ToolCallRecord(call_id="b", name="get_current_weather", arguments="{broken")]),
        ChatMessage(role="tool", content="ok", tool_call_id="a", name="get_current_weather"),
    ]

    chat(make_provider(ollama_server), ChatRequest(model=MODEL, messages=history))

    (sent,) = ollama_server.chat_requests()
    arguments = [c["function"]["arguments"] for c in sent["messages"][1]["tool_calls"]]
    assert arguments == [{"location": "Rome", "format": "celsius"}, {"raw": "{broken"}]


def test_multi_turn_conversation_is_sent_whole(ollama_server: OllamaServer) -> None:
    provider_turns = [ChatReply(content=["Rayleigh", " scattering."]),
                      ChatReply(content=["Mie", " is for", " bigger particles."])]
    ollama_server.script.extend(provider_turns)
    history = [ChatMessage(role="user", content="Why is the sky blue?")]

    first = chat(make_provider(ollama_server), ChatRequest(model=MODEL, messages=history))
    history += [ChatMessage(role="assistant", content=_text(first)),
                ChatMessage(role="user", content="And Mie scattering?")]
    second = chat(make_provider(ollama_server), ChatRequest(model=MODEL, messages=history))

    assert _text(second) == "".join(provider_turns[1].content)
    sent = ollama_server.chat_requests()[1]["messages"]
    assert [m["role"] for m in sent] == ["user", "assistant", "user"]
    assert sent[1]["content"] == "".join(provider_turns[0].content)


def test_non_streaming_reply_gives_the_same_events(ollama_server: OllamaServer) -> None:
    calls = [{"function": {"name": "get_current_weather",
                           "arguments": {"location": "Lima", "format": "celsius"}}}]
    reply = ChatReply(content=["Checking", " now."], tool_calls=calls, eval_count=9,
                      eval_duration=300_000_000)
    ollama_server.script.append(reply)

    events = chat(make_provider(ollama_server), _ask(stream=False, tools=[WEATHER]))

    assert ollama_server.chat_requests()[0]["stream"] is False
    assert _text(events) == "".join(reply.content)
    (call,) = [e for e in events if isinstance(e, ToolCall)]
    assert call.arguments == calls[0]["function"]["arguments"]
    usage = next(e for e in events if isinstance(e, Usage))
    assert usage.tokens_per_s == reply.eval_count / reply.eval_duration * 1e9
    assert events[-1] == Done(stop_reason="tool_calls")


def test_missing_model_is_not_found_with_the_servers_words(
        ollama_server: OllamaServer) -> None:
    events = chat(make_provider(ollama_server), _ask(model="mistral:7b"))

    (error,) = events
    assert isinstance(error, Error)
    assert error.kind == "not_found"
    assert 'model "mistral:7b" not found, try pulling it first' in error.message
    assert len(ollama_server.chat_requests()) == 1  # a 404 is not retried


def test_tools_for_a_model_without_them_is_an_error(ollama_server: OllamaServer) -> None:
    events = chat(make_provider(ollama_server), _ask(model="llava:7b", tools=[WEATHER]))

    (error,) = events
    assert isinstance(error, Error) and not error.retryable
    assert "does not support tools" in error.message
