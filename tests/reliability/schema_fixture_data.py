"""What every schema fixture database holds (tests/reliability/fixtures/).

``make_schema_fixtures.py`` writes this data with the AgentDesk code of each
earlier schema version (its own Store and domain models, from git history),
and test_upgrades.py checks that the current version opens each file with all
of it still there. Real-looking: Markdown with code, non-Latin text, a tool
call and its result, a reply cut by a crash (partial), a failed one, a pinned
and an archived chat, a local and a cloud provider (the key is only a keyring
reference, as AgentDesk stores it).
"""

from __future__ import annotations

PROVIDERS = [
    {"name": "Local Ollama", "kind": "ollama", "base_url": "http://127.0.0.1:11434",
     "is_local": True},
    {"name": "OpenAI", "kind": "openai", "base_url": "https://api.openai.com/v1",
     "api_key_ref": "keyring:agentdesk/OpenAI", "is_local": False},
]

AGENTS = [
    {"name": "Research Assistant", "system_prompt": "You answer with sources.\nBe brief.",
     "provider": "Local Ollama", "model": "llama3.2:3b", "temperature": 0.4,
     "max_tokens": 1024, "streaming": True, "tools": ["calculator", "clock"],
     "local_only": True},
    {"name": "Code Reviewer", "system_prompt": "Review diffs. Point at lines.",
     "provider": "OpenAI", "model": "gpt-4o-mini", "temperature": 0.2, "max_tokens": 4096,
     "streaming": True, "tools": [], "local_only": False},
    {"name": "Übersetzer 翻訳", "system_prompt": "Translate into German and Japanese.",
     "provider": "Local Ollama", "model": "qwen2.5:7b", "temperature": 0.7,
     "max_tokens": 2048, "streaming": False, "tools": [], "local_only": False},
]

CODE_REPLY = ("Here is a fix:\n\n```python\ndef mean(values: list[float]) -> float:\n"
              "    if not values:\n        raise ValueError(\"no values\")\n"
              "    return sum(values) / len(values)\n```\n\n| case | before | after |\n"
              "|---|---|---|\n| [] | ZeroDivisionError | ValueError |\n")

#: (agent name, title, pinned, archived, messages); a message is a dict of
#: Message fields (no ids: tool results name their call by ``tool_call_id``).
CONVERSATIONS = [
    ("Research Assistant", "What is 6 × 7?", True, False, [
        {"role": "user", "content": "What is 6 × 7? Use the calculator."},
        {"role": "assistant", "content": "",
         "tool_calls": [{"call_id": "call_1", "name": "calculator",
                         "arguments": {"expression": "6*7"}}],
         "model": "llama3.2:3b", "provider": "Local Ollama"},
        {"role": "tool", "content": "42", "tool_call_id": "call_1"},
        {"role": "assistant", "content": "6 × 7 = **42**.", "model": "llama3.2:3b",
         "provider": "Local Ollama",
         "usage": {"prompt_tokens": 61, "completion_tokens": 9, "ttft_ms": 212.5,
                   "tokens_per_s": 38.2}},
    ]),
    ("Code Reviewer", "Review: mean() crashes on []", False, False, [
        {"role": "user", "content": "Why does `mean([])` crash?\n\n```diff\n- return "
                                    "sum(v)/len(v)\n```"},
        {"role": "assistant", "content": CODE_REPLY, "model": "gpt-4o-mini",
         "provider": "OpenAI",
         "usage": {"prompt_tokens": 130, "completion_tokens": 88, "ttft_ms": 480.0,
                   "tokens_per_s": 61.0}},
        {"role": "user", "content": "And for NaN values?"},
        {"role": "assistant", "content": "NaN propagates through `sum`, so the mean",
         "status": "partial", "model": "gpt-4o-mini", "provider": "OpenAI"},
    ]),
    ("Übersetzer 翻訳", "Guten Morgen — おはよう", False, True, [
        {"role": "user", "content": "Translate: good morning, see you at 9 ☕"},
        {"role": "assistant", "content": "Guten Morgen, bis um 9 ☕\nおはようございます、9時に"
                                         "会いましょう ☕", "model": "qwen2.5:7b",
         "provider": "Local Ollama"},
    ]),
    ("Research Assistant", "Offline question", False, False, [
        {"role": "user", "content": "Summarise <script>alert(1)</script> safely."},
        {"role": "assistant", "content": "", "status": "error",
         "error": "Local Ollama is not running at http://127.0.0.1:11434",
         "model": "llama3.2:3b", "provider": "Local Ollama"},
    ]),
]


def all_message_texts() -> list[str]:
    return [m["content"] for *_rest, messages in CONVERSATIONS for m in messages]
