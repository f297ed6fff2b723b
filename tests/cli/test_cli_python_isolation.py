"""agents edit --python-without-isolation / --python-isolated-only (issue 15 item 3):
the per-agent switch that lets the python tool run without real isolation,
with the warning printed when it is turned on."""

from __future__ import annotations


def test_turning_it_on_warns_and_is_stored_then_off_again(cli, open_store, make_agent):
    make_agent("Coder")
    assert open_store().agents.get_by_name("Coder").python_unisolated is False
    on = cli("agents", "edit", "Coder", "--python-without-isolation")
    assert on.code == 0, on.err
    assert "warning:" in on.err and "with your user's rights" in on.err
    assert open_store().agents.get_by_name("Coder").python_unisolated is True
    again = cli("agents", "edit", "Coder", "--python-without-isolation")
    assert "unchanged" in again.out and "warning:" not in again.err  # already on
    off = cli("agents", "edit", "Coder", "--python-isolated-only")
    assert off.code == 0 and "warning:" not in off.err
    assert open_store().agents.get_by_name("Coder").python_unisolated is False


def test_the_two_flags_exclude_each_other(cli, make_agent):
    make_agent("Coder")
    both = cli("agents", "edit", "Coder", "--python-without-isolation",
               "--python-isolated-only")
    assert both.code != 0
