"""The clock tool: now, time-zone conversion, date arithmetic, clear errors.

Every test injects its own "now", so none depends on the real clock.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from app.core.tools import ToolContext, ToolError, execute_tool
from app.core.tools.clock import clock_tool, parse_when, resolve_zone

# Saturday before the European switch to summer time (31 March 2024, 01:00 UTC).
FIXED = datetime(2024, 3, 30, 12, 0, tzinfo=UTC)


def clock(**arguments) -> str:
    return clock_tool(now=lambda: FIXED).function(**arguments)


def iso_in(text: str) -> str:
    """The ISO timestamp the tool reports (after 'ISO ')."""
    return text.rsplit("ISO ", 1)[1].split()[0]


def test_now_in_a_zone() -> None:
    text = clock(timezone="Europe/Berlin")
    assert text.startswith("now: Saturday, 30 March 2024, 13:00:00 CET (Europe/Berlin, UTC+01:00)")
    assert iso_in(text) == "2024-03-30T13:00:00+01:00"


def test_now_defaults_to_local_time() -> None:
    text = clock()
    expected = FIXED.astimezone()  # the machine's local zone, whatever it is
    assert "(local time," in text
    assert iso_in(text) == expected.isoformat()


def test_zone_names_are_matched_ignoring_case() -> None:
    assert iso_in(clock(timezone="america/new_york")) == "2024-03-30T08:00:00-04:00"
    assert resolve_zone("utc") == ZoneInfo("UTC")
    assert resolve_zone("Z") == ZoneInfo("UTC")
    assert resolve_zone("local") is None and resolve_zone(None) is None


@pytest.mark.parametrize("name", ["Mars/Olympus", "Europe", "../../etc/passwd",
                                  "/etc/localtime", "Europe/Berlin\x00"])
def test_unknown_zones_are_refused_clearly(name: str) -> None:
    with pytest.raises(ToolError, match=r"unknown time zone .*\(use an IANA name"):
        resolve_zone(name)


def test_convert_between_zones() -> None:
    text = clock(action="convert", when="2024-05-01T09:00", timezone="America/New_York",
                 to_timezone="Asia/Tokyo")
    source, target = text.split(" is ")
    assert iso_in(source) == "2024-05-01T09:00:00-04:00"
    assert iso_in(target) == "2024-05-01T22:00:00+09:00"
    assert "JST (Asia/Tokyo, UTC+09:00)" in target


def test_convert_honours_an_explicit_offset_over_the_zone() -> None:
    text = clock(action="convert", when="2024-01-15T12:00:00Z", timezone="Asia/Tokyo",
                 to_timezone="Europe/London")
    assert iso_in(text.split(" is ")[1]) == "2024-01-15T12:00:00+00:00"


def test_convert_without_when_converts_now() -> None:
    text = clock(action="convert", timezone="UTC", to_timezone="Asia/Kolkata")
    assert iso_in(text.split(" is ")[1]) == "2024-03-30T17:30:00+05:30"


def test_convert_needs_a_target_zone() -> None:
    with pytest.raises(ToolError, match="needs 'to_timezone'"):
        clock(action="convert", when="2024-05-01")


def test_adding_days_keeps_the_wall_clock_across_daylight_saving() -> None:
    # Berlin moves from UTC+1 to UTC+2 during the night to 31 March 2024.
    one_day = clock(action="add", timezone="Europe/Berlin", days=1)
    assert iso_in(one_day) == "2024-03-31T13:00:00+02:00"
    # 24 elapsed hours land one wall-clock hour later.
    hours = clock(action="add", timezone="Europe/Berlin", hours=24)
    assert iso_in(hours) == "2024-03-31T14:00:00+02:00"


def test_add_and_subtract_from_a_given_date() -> None:
    assert iso_in(clock(action="add", when="2024-02-28", timezone="UTC", days=1)
                  ) == "2024-02-29T00:00:00+00:00"
    assert iso_in(clock(action="add", when="2024-01-10T08:00", timezone="UTC",
                        weeks=-2, minutes=-30)) == "2023-12-27T07:30:00+00:00"


def test_difference_between_dates() -> None:
    text = clock(action="difference", when="2024-01-01", until="2024-12-25T06:30",
                 timezone="UTC")
    assert "is 359 days, 6 hours, 30 minutes after" in text
    assert "+31041000 seconds" in text


def test_difference_is_elapsed_time_across_zones_and_signed() -> None:
    text = clock(action="difference", when="2024-05-01T09:00-04:00",
                 until="2024-05-01T22:00+09:00")
    assert "is 0 seconds after" in text
    earlier = clock(action="difference", until="2024-03-29T12:00", timezone="UTC")
    assert "is 1 day before" in earlier and "-86400 seconds" in earlier


def test_difference_needs_until() -> None:
    with pytest.raises(ToolError, match="needs 'until'"):
        clock(action="difference", when="2024-01-01")


@pytest.mark.parametrize("text", ["2024-13-01", "yesterday", "01/02/2024", "2024-02-30"])
def test_invalid_dates_are_refused_clearly(text: str) -> None:
    with pytest.raises(ToolError, match=r"invalid date/time .*\(use ISO 8601"):
        parse_when(text, None)


@pytest.mark.parametrize("arguments", [
    {"action": "add", "when": "9999-12-31", "timezone": "UTC", "days": 2},
    {"action": "add", "timezone": "UTC", "days": 1e12},
    {"action": "convert", "when": "9999-12-31T23:00Z", "to_timezone": "Asia/Tokyo"},
])
def test_out_of_range_results_are_refused(arguments: dict) -> None:
    with pytest.raises(ToolError, match="out of range"):
        clock(**arguments)


def test_now_with_a_date_points_to_the_right_action() -> None:
    with pytest.raises(ToolError, match="'now' takes no 'when'"):
        clock(action="now", when="2024-01-01")


def test_as_a_tool_errors_reach_the_model_and_the_schema_is_sound(tmp_path: Path) -> None:
    tool = clock_tool(now=lambda: FIXED)
    props = tool.parameters["properties"]
    assert tool.name == "clock" and tool.policy == "auto"
    assert props["action"]["enum"] == ["now", "convert", "add", "difference"]
    assert "required" not in tool.parameters  # every argument has a default

    async def scenario():
        context = ToolContext(workspace=tmp_path)
        return (await execute_tool(tool, {"timezone": "UTC"}, context),
                await execute_tool(tool, {"timezone": "Nowhere/Land"}, context),
                await execute_tool(tool, {"action": "sideways"}, context))

    ok, bad_zone, bad_action = asyncio.run(scenario())
    assert ok.status == "ok" and iso_in(ok.content) == "2024-03-30T12:00:00+00:00"
    assert bad_zone.is_error and "unknown time zone 'Nowhere/Land'" in bad_zone.content
    assert bad_action.is_error and "action: Input should be" in bad_action.content
