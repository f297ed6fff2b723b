"""Settings: defaults < settings.json < AGENTDESK_* env < overrides (CLI flags)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import platformdirs
import pytest

from app.settings import (
    APP_NAME,
    SETTINGS_FILENAME,
    SettingsError,
    data_home,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No AGENTDESK_* variable from the surrounding shell leaks into a test."""
    for name in list(os.environ):
        if name.upper().startswith("AGENTDESK_"):
            monkeypatch.delenv(name)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    folder = tmp_path / "home"
    folder.mkdir()
    return folder


def write_file(home: Path, data: dict | str) -> None:
    text = data if isinstance(data, str) else json.dumps(data)
    (home / SETTINGS_FILENAME).write_text(text, encoding="utf-8")


def test_defaults_without_file_or_env(home: Path) -> None:
    settings = load_settings(home)
    assert settings.ui.theme == "system"
    assert settings.ui.font_size == 11
    assert settings.export_format == "md"
    assert settings.timeouts.first_byte == 120.0
    assert settings.logging.level == "INFO"
    assert settings.home == home.resolve()
    assert settings.database_path == home.resolve() / "agentdesk.db"
    assert settings.settings_file == home.resolve() / SETTINGS_FILENAME
    assert settings.log_dir == home.resolve() / "logs"


def test_file_overrides_defaults(home: Path) -> None:
    write_file(home, {"ui": {"theme": "dark"}, "default_model": "qwen3:4b"})
    settings = load_settings(home)
    assert settings.ui.theme == "dark"
    assert settings.ui.font_size == 11  # untouched nested default survives
    assert settings.default_model == "qwen3:4b"


def test_env_overrides_file_with_nested_keys(home: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    write_file(home, {"ui": {"theme": "dark", "font_size": 14}, "default_model": "file"})
    monkeypatch.setenv("AGENTDESK_UI__THEME", "light")
    monkeypatch.setenv("AGENTDESK_DEFAULT_MODEL", "env")
    monkeypatch.setenv("AGENTDESK_TIMEOUTS__CONNECT", "2.5")

    settings = load_settings(home)

    assert settings.ui.theme == "light"
    assert settings.ui.font_size == 14  # from the file: env merged, not replacing ui
    assert settings.default_model == "env"
    assert settings.timeouts.connect == 2.5
    assert settings.timeouts.idle == 60.0


def test_overrides_beat_env_and_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_file(home, {"default_provider": "file", "ui": {"font_size": 14}})
    monkeypatch.setenv("AGENTDESK_DEFAULT_PROVIDER", "env")
    monkeypatch.setenv("AGENTDESK_UI__THEME", "light")

    settings = load_settings(home, default_provider="flag", ui={"theme": "dark"})

    assert settings.default_provider == "flag"
    assert settings.ui.theme == "dark"
    assert settings.ui.font_size == 14


def test_full_precedence_ladder_on_one_key(home: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    default = load_settings(home).stream_flush_seconds
    write_file(home, {"stream_flush_seconds": 0.5})
    from_file = load_settings(home).stream_flush_seconds
    monkeypatch.setenv("AGENTDESK_STREAM_FLUSH_SECONDS", "0.25")
    from_env = load_settings(home).stream_flush_seconds
    from_flag = load_settings(home, stream_flush_seconds=2.0).stream_flush_seconds
    assert [default, from_file, from_env, from_flag] == [1.0, 0.5, 0.25, 2.0]


def test_agentdesk_home_picks_the_data_folder(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "elsewhere"
    folder.mkdir()
    write_file(folder, {"ui": {"theme": "dark"}})
    monkeypatch.setenv("AGENTDESK_HOME", str(folder))

    settings = load_settings()

    assert settings.home == folder.resolve()
    assert settings.ui.theme == "dark"  # read from that folder's settings file
    assert data_home() == folder.resolve()


def test_explicit_home_beats_agentdesk_home(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDESK_HOME", str(tmp_path / "env-home"))
    assert data_home(tmp_path / "flag-home") == (tmp_path / "flag-home").resolve()
    assert load_settings(tmp_path / "flag-home").home == (tmp_path / "flag-home").resolve()


def test_without_agentdesk_home_the_platform_folder_is_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    expected = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    assert data_home() == expected
    assert load_settings().home == expected
    if sys.platform.startswith("linux"):  # platformdirs follows XDG there
        assert expected == tmp_path / "xdg" / APP_NAME


def test_settings_file_of_another_folder_is_not_read(tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    write_file(first, {"default_model": "from-first"})
    assert load_settings(first).default_model == "from-first"
    assert load_settings(second).default_model == ""


@pytest.mark.parametrize("data, field", [
    ({"ui": {"font_size": 200}}, "font_size"),
    ({"ui": {"theme": "neon"}}, "theme"),
    ({"export_format": "docx"}, "export_format"),
    ({"logging": {"max_bytes": 5}}, "max_bytes"),
    ({"timeouts": {"connect": -1}}, "connect"),
])
def test_invalid_file_values_raise_settings_error(home: Path, data: dict,
                                                  field: str) -> None:
    write_file(home, data)
    with pytest.raises(SettingsError) as info:
        load_settings(home)
    message = str(info.value)
    assert message.startswith("invalid settings")
    assert field in message


def test_malformed_json_file_raises_settings_error(home: Path) -> None:
    write_file(home, "{ not json")
    with pytest.raises(SettingsError):
        load_settings(home)


@pytest.mark.parametrize("name, value, field", [
    ("AGENTDESK_UI__FONT_SIZE", "tiny", "font_size"),
    ("AGENTDESK_LOGGING__LEVEL", "VERBOSE", "level"),
    ("AGENTDESK_STREAM_FLUSH_SECONDS", "0", "stream_flush_seconds"),
])
def test_invalid_env_values_raise_settings_error(home: Path,
                                                 monkeypatch: pytest.MonkeyPatch,
                                                 name: str, value: str, field: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as info:
        load_settings(home)
    assert field in str(info.value)


def test_invalid_override_raises_settings_error(home: Path) -> None:
    with pytest.raises(SettingsError):
        load_settings(home, ui={"font_size": 1})


def test_unknown_keys_are_ignored(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_file(home, {"no_such_setting": 1, "ui": {"theme": "dark"}})
    monkeypatch.setenv("AGENTDESK_NOT_A_SETTING", "x")
    assert load_settings(home).ui.theme == "dark"


def test_save_writes_only_non_defaults(home: Path) -> None:
    settings = load_settings(home)
    settings.ui.theme = "dark"
    settings.default_model = "gemma"
    settings.save()

    saved = json.loads((home / SETTINGS_FILENAME).read_text(encoding="utf-8"))
    assert saved == {"default_model": "gemma", "ui": {"theme": "dark"}}


def test_save_of_pure_defaults_writes_nothing_but_an_empty_object(home: Path) -> None:
    load_settings(home).save()
    assert json.loads((home / SETTINGS_FILENAME).read_text(encoding="utf-8")) == {}


def test_save_round_trips(home: Path) -> None:
    original = load_settings(home, export_format="html", privacy_patterns=["secret-\\d+"],
                             ui={"font_size": 15, "close_to_tray": False},
                             logging={"level": "DEBUG", "backups": 7})
    original.save()

    reloaded = load_settings(home)

    assert reloaded.model_dump() == original.model_dump()
    assert reloaded.ui.close_to_tray is False
    assert reloaded.privacy_patterns == ["secret-\\d+"]
    assert not list(home.glob("*.tmp"))


def test_save_creates_missing_folder_and_never_writes_home(tmp_path: Path) -> None:
    folder = tmp_path / "new" / "folder"
    settings = load_settings(folder, default_provider="p")
    settings.save()
    saved = json.loads((folder / SETTINGS_FILENAME).read_text(encoding="utf-8"))
    assert saved == {"default_provider": "p"}
    assert "home" not in saved


def test_env_home_variable_is_not_persisted(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AGENTDESK_HOME", str(tmp_path))
    settings = load_settings()
    settings.save()
    assert "home" not in json.loads((tmp_path / SETTINGS_FILENAME).read_text())

