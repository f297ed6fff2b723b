"""memories list|add|edit|forget: what an agent remembers, visible and editable."""

from __future__ import annotations


def test_add_list_edit_and_forget_a_fact(cli, make_agent):
    make_agent("Pal")
    assert "remembers nothing" in cli("memories", "list", "--agent", "Pal").out

    added = cli("memories", "add", "--agent", "Pal", "Prefers metric units", "--json").json()
    assert added["content"] == "Prefers metric units"
    listed = cli("memories", "list", "--agent", "pal", "--json").json()
    assert [m["content"] for m in listed] == ["Prefers metric units"]

    assert cli("memories", "edit", str(added["id"]), "Prefers SI units").code == 0
    assert "Prefers SI units" in cli("memories", "list", "--agent", "Pal").out

    assert cli("memories", "forget", str(added["id"])).code == 0
    assert cli("memories", "list", "--agent", "Pal", "--json").json() == []


def test_errors_are_one_line(cli, make_agent):
    make_agent("Pal")
    cases = [(("memories", "forget", "999"), "unknown fact"),
             (("memories", "list", "--agent", "Nobody"), "unknown agent"),
             (("memories", "add", "--agent", "Pal", "x" * 5000), "invalid fact")]
    for args, expected in cases:
        result = cli(*args)
        assert result.code == 1
        assert expected in result.error_line
