"""agentdesk models marks a model without a chat template as a base model
(it completes text rather than chats); a model with its own template is not."""

from __future__ import annotations

from tests.support.gguf_writer import write_gguf
from tests.support.llama_server import gemma_model_path


def test_the_bundled_base_model_is_marked_and_a_chat_model_is_not(cli, tmp_path):
    chat_model = write_gguf(tmp_path / "tiny-instruct.gguf", {
        "general.architecture": "llama", "general.finetune": "Instruct",
        "tokenizer.chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"})
    for name, path in (("base", gemma_model_path()), ("chat", chat_model)):
        added = cli("providers", "add", name, "--kind", "embedded", "--model-path", str(path))
        assert added.code == 0, added.err

    result = cli("models", "--refresh")
    assert result.code == 0, result.err
    rows = {line.split()[0]: line for line in result.out.splitlines()[1:]}
    assert rows["base"].split()[-3:] == ["base", "model", "no"]  # capabilities, loaded
    assert "base model" not in rows["chat"]

    data = {m["provider"]: m for m in cli("models", "--json", "--refresh").json()["models"]}
    assert (data["base"]["base_model"], data["chat"]["base_model"]) == (True, False)
