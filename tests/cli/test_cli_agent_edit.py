"""agents edit|rename, the generation flags of create, and show, in-process."""

from __future__ import annotations

import pytest

from app.domain.generation import GenerationSettings


def test_create_stores_the_generation_flags(cli, open_store, local_provider):
    result = cli("agents", "create", "--name", "Poet", "--provider", "local", "--model", "m",
                 "--top-p", "0.9", "--repeat-penalty", "1.15", "--context-length", "8192",
                 "--seed", "42", "--stop", "\n\n", "--stop", "User:", "--json")
    assert result.code == 0, result.err
    assert result.json()["generation"]["seed"] == 42
    assert open_store().agents.get_by_name("Poet").generation == GenerationSettings(
        top_p=0.9, repeat_penalty=1.15, context_length=8192, seed=42,
        stop=["\n\n", "User:"])


def test_create_without_the_flags_leaves_every_setting_to_the_provider(
        cli, open_store, make_agent):
    make_agent("Plain")
    assert open_store().agents.get_by_name("Plain").generation == GenerationSettings()


@pytest.mark.parametrize(("flag", "value", "message"), [
    ("--top-p", "1.5", "invalid --top-p 1.5: must be between 0.0 and 1.0"),
    ("--repeat-penalty", "0", "invalid --repeat-penalty 0.0"),
    ("--context-length", "10", "invalid --context-length 10: must be between 128"),
    ("--seed", "-3", "invalid --seed -3: must be between 0"),
])
def test_create_refuses_settings_out_of_range(cli, open_store, local_provider, flag, value,
                                              message):
    result = cli("agents", "create", "--name", "A", "--provider", "local", "--model", "m",
                 flag, value)
    assert result.code == 1
    assert message in result.error_line
    assert open_store().agents.list() == []


def test_show_prints_the_settings_and_their_defaults(cli, make_agent):
    make_agent("Set", "--top-p", "0.5", "--stop", "\n")
    make_agent("Unset")
    shown = cli("agents", "show", "Set").out
    assert "Top-p:          0.5" in shown
    assert 'Stop sequences: "\\n"' in shown
    assert "Repeat penalty: provider default" in shown
    unset = cli("agents", "show", "Unset").out
    assert "Seed:           none (a fresh one per reply)" in unset
    assert "Stop sequences: none" in unset
    assert cli("agents", "show", "Set", "--json").json()["generation"]["top_p"] == 0.5


def test_edit_changes_only_the_given_fields_as_a_new_revision(cli, open_store, make_agent):
    before = make_agent("Coder", "--system", "Write code.", "--tool", "clock",
                        "--temperature", "0.3", "--seed", "7", "--stop", "END")
    result = cli("agents", "edit", "Coder", "--model", "qwen3:4b", "--top-p", "0.8",
                 "--max-tokens", "300")
    assert result.code == 0, result.err
    assert "revision 2" in result.out

    store = open_store()
    after = store.agents.get(before["id"])
    assert (after.model, after.max_tokens, after.generation.top_p) == ("qwen3:4b", 300, 0.8)
    # Untouched: everything else, the other generation settings included.
    assert (after.system_prompt, after.tools, after.temperature) == \
        ("Write code.", ["clock"], 0.3)
    assert (after.generation.seed, after.generation.stop) == (7, ["END"])
    old = [r for r in store.agents.revisions(after.id) if r.revision == 1][0]
    assert (old.spec.model, old.spec.generation.top_p) == ("llama3:8b", None)


def test_edit_clears_settings_with_no_flags_and_default(cli, open_store, make_agent):
    made = make_agent("A", "--seed", "7", "--stop", "END", "--top-p", "0.4",
                      "--context-length", "2048", "--tool", "clock")
    result = cli("agents", "edit", "A", "--no-seed", "--no-stop", "--top-p", "default",
                 "--no-tools", "--json")
    assert result.code == 0, result.err
    assert result.json()["generation"] == {"top_p": None, "repeat_penalty": None,
                                           "context_length": 2048, "seed": None, "stop": []}
    after = open_store().agents.get(made["id"])
    assert after.generation == GenerationSettings(context_length=2048)
    assert after.tools == []


def test_edit_replaces_stop_sequences_and_tools(cli, open_store, make_agent):
    made = make_agent("A", "--stop", "one", "--tool", "clock")
    assert cli("agents", "edit", "A", "--stop", "two", "--stop", "three",
               "--tool", "calculator").code == 0
    after = open_store().agents.get(made["id"])
    assert (after.generation.stop, after.tools) == (["two", "three"], ["calculator"])


def test_edit_twice_then_the_same_again_makes_no_third_revision(cli, open_store, make_agent):
    made = make_agent("A")
    assert "revision 2" in cli("agents", "edit", "A", "--seed", "1").out
    assert "revision 3" in cli("agents", "edit", "A", "--seed", "2").out
    same = cli("agents", "edit", "A", "--seed", "2")
    assert same.code == 0 and "unchanged (revision 3)" in same.out
    assert [r.revision for r in open_store().agents.revisions(made["id"])] == [3, 2, 1]


def test_edit_with_nothing_to_change_is_an_error(cli, make_agent):
    make_agent("A")
    result = cli("agents", "edit", "A")
    assert result.code == 1
    assert "nothing to change" in result.error_line


@pytest.mark.parametrize("argv", [
    ["--temperature", "5"], ["--top-p", "-1"], ["--stop", "a", "--stop", "b", "--stop", "c",
                                                 "--stop", "d", "--stop", "e"],
    ["--stop", ""], ["--provider", "ghost"], ["--name", " "],
])
def test_an_invalid_edit_changes_nothing(cli, open_store, make_agent, argv):
    made = make_agent("A")
    result = cli("agents", "edit", "A", *argv)
    assert result.code == 1, result.out
    assert result.error_line
    assert open_store().agents.get(made["id"]).revision == 1


def test_seed_and_no_seed_together_is_a_usage_error(cli, make_agent):
    make_agent("A")
    result = cli("agents", "edit", "A", "--seed", "1", "--no-seed")
    assert result.code == 2
    assert "not allowed with argument --seed" in result.err


def test_edit_to_a_provider_that_ignores_a_setting_says_so(cli, open_store, make_agent):
    assert cli("providers", "add", "cloud", "--kind", "openai", "--api-key-env",
               "SOME_KEY").code == 0
    make_agent("A", "--repeat-penalty", "1.2", "--seed", "3")
    result = cli("agents", "edit", "A", "--provider", "CLOUD")
    assert result.code == 0, result.err
    assert "does not take repeat penalty" in result.err and "seed" not in result.err
    after = open_store().agents.get_by_name("A")
    assert after.provider == "cloud" and after.generation.repeat_penalty == 1.2


def test_rename_by_name_and_by_id_keeps_everything_else(cli, open_store, make_agent):
    made = make_agent("Old", "--seed", "9")
    result = cli("agents", "rename", "old", "New")
    assert result.code == 0, result.err
    assert "'New'" in result.out and "revision 2" in result.out
    assert cli("agents", "rename", str(made["id"]), "Newer", "--json").json()["name"] == "Newer"
    store = open_store()
    after = store.agents.get(made["id"])
    assert (after.name, after.revision, after.generation.seed) == ("Newer", 3, 9)
    assert store.agents.find_by_name("Old") is None


def test_rename_to_a_taken_name_fails_and_keeps_both(cli, open_store, make_agent):
    make_agent("A")
    make_agent("B")
    result = cli("agents", "rename", "A", "b")
    assert result.code == 1
    assert "an agent named 'b' already exists" in result.error_line
    assert sorted(a.name for a in open_store().agents.list()) == ["A", "B"]


def test_rename_or_edit_an_unknown_agent_is_a_one_line_error(cli, make_agent):
    assert "unknown agent 'ghost'" in cli("agents", "rename", "ghost", "X").error_line
    assert "unknown agent 'ghost'" in cli("agents", "edit", "ghost", "--seed", "1").error_line
