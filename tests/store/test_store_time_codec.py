"""The time codec (app/store/codec.py): every time of year 1–9999 round-trips,
text order is time order, offsets past either end of the calendar are clamped
(not an OverflowError), the old codec's unpadded years are read for what they
meant, and any other text is a typed DamagedValueError."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.store.codec import (
    MAX_TIME,
    MIN_TIME,
    UNREADABLE_TIME,
    clamp,
    in_range,
    time_from_db,
    time_or_damaged,
    time_to_db,
)
from app.store.errors import DamagedValueError, StoreError

naive_times = st.datetimes(min_value=datetime.min, max_value=datetime.max)
offsets = st.timedeltas(min_value=-timedelta(hours=23, minutes=59),
                        max_value=timedelta(hours=23, minutes=59)).map(timezone)
aware_times = st.builds(lambda t, tz: t.replace(tzinfo=tz), naive_times, offsets)
any_times = st.one_of(naive_times, naive_times.map(lambda t: t.replace(tzinfo=UTC)),
                      aware_times)


@settings(max_examples=400)
@given(naive_times)
def test_every_utc_time_round_trips_exactly(value: datetime):
    text = time_to_db(value)
    assert len(text) == 27 and text.endswith("Z")
    assert time_from_db(text) == value.replace(tzinfo=UTC)
    assert time_from_db(time_to_db(value.replace(tzinfo=UTC))) == value.replace(tzinfo=UTC)


@settings(max_examples=400)
@given(aware_times)
def test_any_offset_round_trips_or_clamps_never_overflows(value: datetime):
    text = time_to_db(value)           # old code: OverflowError at the calendar's ends
    back = time_from_db(text)
    assert back.tzinfo is UTC
    if in_range(value):
        assert back == value           # the same instant
    else:
        assert back in (MIN_TIME, MAX_TIME)
        assert back == (MIN_TIME if value.year == 1 else MAX_TIME)
        # Moved by at most the offset (under a day), wall clock to wall clock.
        assert abs(back.replace(tzinfo=None) - value.replace(tzinfo=None)) < timedelta(days=1)


@settings(max_examples=400)
@given(any_times, any_times)
def test_text_order_is_time_order(a: datetime, b: datetime):
    text_a, text_b = time_to_db(a), time_to_db(b)
    assert (text_a < text_b) == (clamp(a) < clamp(b))
    assert (text_a == text_b) == (clamp(a) == clamp(b))


@settings(max_examples=300)
@given(st.datetimes(min_value=datetime(1, 1, 1), max_value=datetime(999, 12, 31, 23, 59, 59)))
def test_old_codec_unpadded_years_read_back(value: datetime):
    # What strftime("%Y-%m-%dT%H:%M:%S.%fZ") wrote on glibc for years below 1000.
    old = f"{value.year}-" + value.strftime("%m-%dT%H:%M:%S.%fZ")
    assert time_from_db(old) == value.replace(tzinfo=UTC)


@settings(max_examples=500)
@given(st.one_of(st.text(max_size=80), st.from_regex(r"\d{1,5}-\d\d-\d\dT.*", fullmatch=True)))
def test_any_text_reads_or_is_typed_damage(text: str):
    try:
        value = time_from_db(text)
    except DamagedValueError as exc:
        assert isinstance(exc, StoreError)
        damage: list[str] = []
        assert time_or_damaged(text, "created time", damage) == UNREADABLE_TIME
        assert damage == ["created time"]
    else:
        assert value.tzinfo is UTC and MIN_TIME <= value <= MAX_TIME


def test_year_999_is_zero_padded():
    # The reproduction of issue 15: strftime wrote '999-01-01T…'.
    assert time_to_db(datetime(999, 1, 1, 12, 30)) == "0999-01-01T12:30:00.000000Z"
    assert time_to_db(datetime(1, 1, 1)) == "0001-01-01T00:00:00.000000Z"


def test_offsets_past_the_calendar_clamp():
    early = datetime(1, 1, 1, 3, 0, tzinfo=timezone(timedelta(hours=5)))
    late = datetime(9999, 12, 31, 22, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert not in_range(early) and not in_range(late)
    assert time_to_db(early) == "0001-01-01T00:00:00.000000Z"
    assert time_to_db(late) == "9999-12-31T23:59:59.999999Z"
    assert in_range(datetime(1, 1, 1)) and in_range(datetime(1, 1, 1, 6, tzinfo=timezone(
        timedelta(hours=5))))


@pytest.mark.parametrize("text", ["Invalid", "", "0-01-01T00:00:00Z", "999-13-01T00:00:00Z",
                                  "1" * 10_000])
def test_damaged_text_is_a_store_error_with_a_bounded_message(text: str):
    with pytest.raises(DamagedValueError) as caught:
        time_from_db(text)
    assert len(str(caught.value)) < 120


def test_non_text_value_is_damage():
    with pytest.raises(DamagedValueError):
        time_from_db(12345)  # type: ignore[arg-type]
