"""Typed application settings.

Precedence, lowest to highest: defaults < ``settings.json`` in the data folder <
``AGENTDESK_*`` environment variables (nested keys joined by ``__``, e.g.
``AGENTDESK_UI__THEME=dark``) < command-line flags (passed as overrides).

The data folder is the platform's app-data folder unless ``AGENTDESK_HOME``
(or ``--home``) names another. Secrets never live here: API keys are in the OS
keyring and only referenced by name.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import BaseModel, Field
from pydantic_settings import (
    BaseSettings,
    JsonConfigSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

APP_NAME = "AgentDesk"
HOME_VARIABLE = "AGENTDESK_HOME"
SETTINGS_FILENAME = "settings.json"


def data_home(override: Path | str | None = None) -> Path:
    """The data folder: ``override`` > ``$AGENTDESK_HOME`` > platform app-data."""
    if override:
        return Path(override).expanduser().resolve()
    env = os.environ.get(HOME_VARIABLE)
    if env:
        return Path(env).expanduser().resolve()
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


class UiSettings(BaseModel):
    theme: Literal["light", "dark", "system"] = "system"
    font_size: int = Field(default=11, ge=6, le=48)
    close_to_tray: bool | None = None  # None: not asked yet


class ProviderTimeouts(BaseModel):
    """Seconds. First byte is long by default: local models load slowly."""

    connect: float = Field(default=5.0, gt=0)
    first_byte: float = Field(default=120.0, gt=0)
    idle: float = Field(default=60.0, gt=0)


class LimitsSettings(BaseModel):
    """Bounds on one model reply, whatever the server sends
    (app/providers/limits.py): its text and thinking (bytes), the arguments
    of one tool call (bytes), and its whole duration (seconds; the idle
    timeout only bounds each gap). Passing one ends the reply with an error
    of kind ``limit``; what arrived before is kept."""

    reply_bytes: int = Field(default=4 * 1024 * 1024, ge=1024)
    tool_argument_bytes: int = Field(default=256 * 1024, ge=1024)
    reply_seconds: float = Field(default=30 * 60.0, gt=0)


class EngineSettings(BaseModel):
    """The embedded llama.cpp engine (app/providers/embedded_engine.py).

    ``keep_loaded_minutes``: how long the model stays loaded after its last
    reply, so the next one starts at once; 0 frees it after every reply.
    """

    keep_loaded_minutes: float = Field(default=10.0, ge=0, le=24 * 60)


class RoutingSettings(BaseModel):
    """How an agent whose model is ``auto`` picks local or cloud (app/core/routing.py).

    ``complexity_threshold``: a request whose complexity score (see
    ``app.core.routing.complexity``) reaches this goes to the cloud first; 0 = never.
    """

    complexity_threshold: int = Field(default=3, ge=0)
    long_prompt_tokens: int = Field(default=400, ge=1)  # one score point per this many


class RunnerSettings(BaseModel):
    """The agent runner (app/core/runner.py).

    ``context_tokens``: the context window assumed when the model's own length is
    not known (``ModelInfo.context_length``). ``max_tool_rounds``: model requests
    that may call tools in one turn; after them one final request without tools.
    """

    context_tokens: int = Field(default=8192, ge=512)
    max_tool_rounds: int = Field(default=8, ge=1, le=100)


class ToolsSettings(BaseModel):
    """The web tools (app/core/tools/web_search.py, fetch_url.py).

    ``allow_private_addresses``: let ``fetch_url`` reach loopback and private
    network addresses (off: a page could otherwise steer it at the router or
    the cloud metadata service). The SearXNG URL is the user's own choice and
    is not subject to this rule.
    """

    web_search_backend: Literal["duckduckgo", "searxng"] = "duckduckgo"
    searxng_url: str = ""
    allow_private_addresses: bool = False


class ApiSettings(BaseModel):
    """The local HTTP API (app/api/), served by the window or ``agentdesk serve``.

    Off by default and bound to 127.0.0.1: any other address is reachable from
    the network, so Settings asks before saving one. The bearer token is not
    here: it lives in the keyring (app/core/secrets.py ``api_token``).
    ``rate_limit_per_minute`` is per token; ``max_body_bytes`` bounds one
    request body. ``allowed_origins``: browser origins CORS lets in (none: closed).
    """

    enabled: bool = False
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    allowed_origins: list[str] = Field(default_factory=list)
    rate_limit_per_minute: int = Field(default=120, ge=1, le=100_000)
    max_body_bytes: int = Field(default=1_048_576, ge=1024)


class AttachmentSettings(BaseModel):
    """Attachments on a message (app/core/attachments).

    ``vision_models``: models the person says can see images, as
    ``PROVIDER/MODEL`` (for providers that do not say so themselves; Ollama's
    ``/api/show`` does). ``max_image_side``: larger images are scaled down to
    this many pixels on their longer side before sending.
    ``max_document_chars``: a document's text kept with the message at most.
    """

    vision_models: list[str] = Field(default_factory=list)
    max_image_side: int = Field(default=1568, ge=64, le=8192)
    max_document_chars: int = Field(default=60_000, ge=1000, le=2_000_000)


class LoggingSettings(BaseModel):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    max_bytes: int = Field(default=2_000_000, ge=10_000)
    backups: int = Field(default=3, ge=0, le=50)


class AppSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="AGENTDESK_",
        env_nested_delimiter="__",
        extra="ignore",
        validate_default=True,
    )

    default_provider: str = ""
    default_model: str = ""
    export_format: Literal["md", "json", "html", "pdf"] = "md"
    stream_flush_seconds: float = Field(default=1.0, gt=0, le=10)
    ui: UiSettings = Field(default_factory=UiSettings)
    timeouts: ProviderTimeouts = Field(default_factory=ProviderTimeouts)
    logging: LoggingSettings = Field(default_factory=LoggingSettings)
    privacy_patterns: list[str] = Field(default_factory=list)
    routing: RoutingSettings = Field(default_factory=RoutingSettings)
    tools: ToolsSettings = Field(default_factory=ToolsSettings)
    runner: RunnerSettings = Field(default_factory=RunnerSettings)
    engine: EngineSettings = Field(default_factory=EngineSettings)
    limits: LimitsSettings = Field(default_factory=LimitsSettings)
    api: ApiSettings = Field(default_factory=ApiSettings)
    attachments: AttachmentSettings = Field(default_factory=AttachmentSettings)

    # Set by load_settings, not read from any source.
    home: Path = Field(default_factory=data_home, exclude=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        file_source = JsonConfigSettingsSource(settings_cls, json_file=_settings_file.get())
        return (init_settings, env_settings, file_source)

    @property
    def settings_file(self) -> Path:
        return self.home / SETTINGS_FILENAME

    @property
    def database_path(self) -> Path:
        return self.home / "agentdesk.db"

    @property
    def log_dir(self) -> Path:
        return self.home / "logs"

    def save(self) -> None:
        """Write the settings file (only values that differ from the defaults)."""
        self.home.mkdir(parents=True, exist_ok=True)
        data = self.model_dump(mode="json", exclude_defaults=True, exclude={"home"})
        tmp = self.settings_file.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False), encoding="utf-8")
        tmp.replace(self.settings_file)


class _SettingsFilePointer:
    """Which settings file the next AppSettings() reads (set by load_settings)."""

    def __init__(self) -> None:
        self._path: Path | None = None

    def get(self) -> Path | None:
        return self._path if self._path and self._path.is_file() else None

    def set(self, path: Path | None) -> None:
        self._path = path


_settings_file = _SettingsFilePointer()


class SettingsError(ValueError):
    """The settings file or an override is invalid."""


_ACCESS_FIX = ("give your user access to it (e.g. chmod u+rwx on the folder, u+rw on "
               "the file), or use another data folder with --home / AGENTDESK_HOME")


def check_readable(folder: Path) -> None:
    """Refuse, in one line saying what to do, a data folder or settings file
    that cannot be read (SettingsError), before anything reads them: a
    permission error or a folder where the file should be would otherwise end
    in a traceback, or (a folder named settings.json) be silently ignored and
    later overwritten by Settings' save."""
    file = folder / SETTINGS_FILENAME
    try:
        if folder.exists() and not folder.is_dir():
            raise SettingsError(f"the data folder {folder} is a file, not a folder: move "
                                "it aside, or use another data folder with --home")
        if folder.is_dir() and not os.access(folder, os.R_OK | os.X_OK):
            raise SettingsError(f"cannot read the data folder {folder}: permission "
                                f"denied — {_ACCESS_FIX}")
        if not (file.exists() or file.is_symlink()):
            return
        if not file.is_file():
            raise SettingsError(f"cannot read the settings file {file}: it is not a "
                                "file — move it aside to start with the default settings")
        if not os.access(file, os.R_OK):
            raise SettingsError(f"cannot read the settings file {file}: permission "
                                f"denied — {_ACCESS_FIX}")
    except OSError as exc:   # stat itself refused (a folder above without x, a loop)
        raise SettingsError(f"cannot read the data folder {folder}: "
                            f"{exc.strerror or exc} — {_ACCESS_FIX}") from None


#: A settings file is a few hundred bytes; one past this is not ours.
MAX_SETTINGS_BYTES = 1_000_000
_MOVE_ASIDE = "fix it, or move it aside to start with the default settings"


def check_settings_json(file: Path) -> None:
    """Refuse, in one line, a settings file that is not one JSON object:
    pydantic-settings crashed on these (a list, a number or ``null`` gave a
    ``TypeError``, ``[[[[…`` a ``RecursionError``) instead of saying so."""
    try:
        if not file.is_file():
            return
        if file.stat().st_size > MAX_SETTINGS_BYTES:
            raise SettingsError(f"the settings file {file} is too large to be a settings "
                                f"file (over {MAX_SETTINGS_BYTES:,} bytes) — {_MOVE_ASIDE}")
        raw = file.read_bytes()
    except OSError as exc:
        raise SettingsError(f"cannot read the settings file {file}: "
                            f"{exc.strerror or exc} — {_ACCESS_FIX}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise SettingsError(f"the settings file {file} is not UTF-8 text (bad byte at "
                            f"offset {exc.start}) — {_MOVE_ASIDE}") from None
    if not text.strip():
        return                       # empty: the defaults (as before)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"the settings file {file} is not valid JSON: {exc.msg} (line "
                            f"{exc.lineno}, column {exc.colno}) — {_MOVE_ASIDE}") from None
    except RecursionError:
        raise SettingsError(f"the settings file {file} is nested too deeply to be a "
                            f"settings file — {_MOVE_ASIDE}") from None
    if not isinstance(data, dict):
        raise SettingsError(f"the settings file {file} must hold a JSON object "
                            f"({{…}}), not {_json_kind(data)} — {_MOVE_ASIDE}")


def _json_kind(data: Any) -> str:
    if data is None or isinstance(data, bool):
        return json.dumps(data)
    return {list: "a list", str: "text"}.get(type(data), "a number")


def _one_line(exc: ValueError) -> str:
    """A validation error as one line: ``ui.font_size: Input should be …; …``."""
    errors = getattr(exc, "errors", None)
    if not callable(errors):
        return " ".join(str(exc).split())
    shown = [f"{'.'.join(str(part) for part in error['loc']) or 'settings'}: {error['msg']}"
             for error in errors()[:5]]
    return "; ".join(shown)


def load_settings(home: Path | str | None = None, **overrides: Any) -> AppSettings:
    """Build the settings from every source, ``overrides`` (CLI flags) winning."""
    folder = data_home(home)
    check_readable(folder)
    check_settings_json(folder / SETTINGS_FILENAME)
    _settings_file.set(folder / SETTINGS_FILENAME)
    try:
        settings = AppSettings(**overrides)
    except ValueError as exc:
        raise SettingsError(f"invalid settings (in {folder / SETTINGS_FILENAME} or the "
                            f"AGENTDESK_* variables): {_one_line(exc)}") from exc
    except OSError as exc:   # the file changed between the check and the read
        raise SettingsError(f"cannot read the settings file {folder / SETTINGS_FILENAME}: "
                            f"{exc.strerror or exc} — {_ACCESS_FIX}") from None
    finally:
        _settings_file.set(None)
    settings.home = folder
    return settings
