"""Random and corrupt settings files (issue 21, "hostile input").

``settings.json`` is written by the app, but people edit it, sync tools mangle
it and disks corrupt it. Whatever it holds, the settings loader returns
settings or raises ``SettingsError`` with one line that names the file (or the
field) and says what to do; the app then starts with that line, never a
traceback.

Found and fixed here: a file holding a JSON list, number, string or ``null``
crashed pydantic-settings with a ``TypeError``, and ``[[[[…`` with a
``RecursionError`` (both tracebacks at start); validation errors were several
lines without the file's name.

Time: each input is timed on its own; the bound (5 s) is far above the
milliseconds a settings file takes and the 1 MB cap keeps it so.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.settings import AppSettings, SettingsError, load_settings
from tests.reliability.hostile_support import LONG_TIMEOUT, Tally, profile
from tests.support.reliability_summary import record

pytestmark = LONG_TIMEOUT
BOUND_SECONDS = 5.0
VALID = {"default_provider": "local", "default_model": "gemma3", "export_format": "html",
         "ui": {"theme": "dark", "font_size": 13, "close_to_tray": True},
         "timeouts": {"connect": 3.0, "first_byte": 60.0, "idle": 30.0},
         "limits": {"reply_bytes": 65536}, "privacy_patterns": ["secret-\\d+"],
         "logging": {"level": "INFO"}, "api": {"port": 8765}}
_SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=12),
                     st.floats(allow_nan=True, allow_infinity=True),
                     st.sampled_from([10**400, -1, 0, 2**63, "(", "../../", "\x00"]))
JSONISH = st.recursive(_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8)


@st.composite
def settings_files(draw) -> bytes:
    """The valid file with values replaced, its bytes damaged, or anything."""
    how = draw(st.sampled_from(["field", "bytes", "json", "bomb", "random"]))
    if how == "field":
        data = json.loads(json.dumps(VALID))
        section = draw(st.sampled_from(sorted(data)))
        if isinstance(data[section], dict) and draw(st.booleans()):
            data[section][draw(st.sampled_from(sorted(data[section])))] = draw(JSONISH)
        else:
            data[section] = draw(JSONISH)
        return json.dumps(data).encode()
    if how == "bytes":
        raw = bytearray(json.dumps(VALID).encode())
        rng = random.Random(draw(st.integers(0, 2**32)))
        for _ in range(draw(st.integers(1, 5))):
            at = rng.randrange(len(raw))
            raw[at:at + rng.randrange(0, 3)] = draw(st.binary(max_size=4))
        return bytes(raw)
    if how == "json":
        return json.dumps(draw(JSONISH)).encode()
    if how == "bomb":
        return draw(st.sampled_from([b"[", b"{\"ui\":", b"{\"a\":["])) * draw(
            st.sampled_from([50, 1_000, 100_000]))
    return draw(st.binary(max_size=200))


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("AGENTDESK_"):
            monkeypatch.delenv(name)


def test_any_settings_file_loads_or_is_one_clear_line(tmp_path: Path, clean_env) -> None:
    tally = Tally("settings loader", BOUND_SECONDS)
    home = tmp_path / "home"
    home.mkdir()
    loaded = 0

    @profile(300)
    @given(settings_files())
    def check(data: bytes) -> None:
        nonlocal loaded
        (home / "settings.json").write_bytes(data)
        settings: AppSettings | None = None
        message = ""
        with tally.example():
            try:
                settings = load_settings(home)
            except SettingsError as exc:   # the app's own error: check its wording
                message = str(exc)
        if settings is None:
            tally.refused += 1
            assert message and "\n" not in message, message
            assert "settings" in message
            return
        assert settings.home == home.resolve()
        loaded += 1

    try:
        check()
    finally:
        tally.report()
    assert loaded > 0 and tally.refused > 0   # both outcomes were exercised


CORRUPT = {
    "a list": b"[1, 2, 3]", "a nesting bomb": b"[" * 100_000,
    "not UTF-8": b"{\"ui\": {\"theme\": \"\xff\xfe\"}}",
    "a wrong value": b"{\"ui\": {\"font_size\": 1e400}}",
}


def test_the_app_starts_with_one_line_on_a_corrupt_settings_file(tmp_path: Path) -> None:
    """The real program (a new process each time, as a person starts it), for
    each corrupt file: exit code 1, one line naming the settings file and what
    to do, no traceback. After the file is moved aside it starts normally."""
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("AGENTDESK_")}
    command = [sys.executable, "-m", "app", "--home", str(home), "agents", "list"]

    def start() -> subprocess.CompletedProcess:
        return subprocess.run(command, capture_output=True, text=True, env=env, timeout=120,
                              cwd=Path(__file__).parents[2])

    for what, data in CORRUPT.items():
        (home / "settings.json").write_bytes(data)
        result = start()
        lines = result.stderr.strip().splitlines()
        record("hostile input", inputs=1, crashes=int("Traceback" in result.stderr))
        assert result.returncode == 1, (what, result.stderr)
        assert len(lines) == 1 and "Traceback" not in result.stderr, (what, result.stderr)
        assert "settings" in lines[0] and ("move it aside" in lines[0] or "ui." in lines[0]), \
            (what, lines[0])
    (home / "settings.json").rename(home / "settings.json.bad")
    again = start()
    assert again.returncode == 0, again.stderr
