"""Failures of a provider in plain words, each with the fix a person can apply.

Shared by the connection test, model discovery and the CLI, so a dead Ollama
reads the same everywhere: "Ollama is not running at http://127.0.0.1:11434"
with the fix "start it with `ollama serve`".
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from app.domain import ConnectionReport, ProviderConfig
from app.logs import redact_url

_DETAIL_LIMIT = 240

_NAMES = {
    "ollama": "Ollama",
    "lmstudio": "LM Studio",
    "llamacpp": "the llama.cpp server",
    "embedded": "the embedded llama.cpp engine",
}

_START = {
    "ollama": "start it with `ollama serve`",
    "lmstudio": "start the local server in LM Studio (Developer tab) or `lms server start`",
}

_ROOT_HINT = {
    "ollama": "use the server's root URL, e.g. http://127.0.0.1:11434 (without /v1)",
    "lmstudio": "use LM Studio's OpenAI-compatible URL, e.g. http://127.0.0.1:1234/v1",
}

_CHOOSE_GGUF = ("choose a GGUF file: agentdesk providers add NAME --kind embedded "
                "--model-path FILE.gguf")


def display_name(config: ProviderConfig) -> str:
    """What a person calls this provider ("Ollama", "OpenAI", ...)."""
    if config.kind == "openai":
        host = urlsplit(config.base_url).hostname or ""
        if host == "api.openai.com":
            return "OpenAI"
        return "the OpenAI-compatible server"
    return _NAMES.get(config.kind, config.kind)


def failure_report(config: ProviderConfig, kind: str, detail: str = "",
                   retry_after: float | None = None) -> ConnectionReport:
    """A ConnectionReport for a failure of ``kind`` (an ErrorKind)."""
    message, fix = explain(config, kind, detail, retry_after)
    return ConnectionReport(provider=config.name, reachable=False, error_kind=kind,
                            message=message, fix=fix,
                            auth_ok=False if kind == "auth" else None)


def missing_key_report(config: ProviderConfig, detail: str) -> ConnectionReport:
    """The API key reference points at nothing (a SecretError)."""
    ref = config.api_key_ref or ""
    scheme, _, name = ref.partition(":")
    if scheme == "env":
        fix = (f"set the environment variable {name} to the API key before starting "
               f"AgentDesk, or store the key in the keyring: "
               f"agentdesk providers set-key {config.name}")
    else:
        fix = (f"store the key in the keyring: agentdesk providers set-key {config.name} "
               "(where no keyring exists, add the provider with --api-key-env VAR)")
    return ConnectionReport(provider=config.name, reachable=False, error_kind="auth",
                            auth_ok=False,
                            message=f"{display_name(config)} has no API key: {detail}",
                            fix=fix)


def explain(config: ProviderConfig, kind: str, detail: str = "",
            retry_after: float | None = None) -> tuple[str, str]:
    """(message, fix) for a failure of ``kind`` talking to ``config``."""
    if config.kind == "embedded":
        return _explain_embedded(config, kind, detail)
    who = display_name(config)
    url = redact_url(config.base_url) or "(no URL set)"
    extra = _detail(detail)
    if kind == "unreachable":
        return _explain_unreachable(config, who, url)
    if kind == "auth":
        return f"{who} at {url} did not accept the API key{extra}", _key_fix(config)
    if kind == "rate_limited":
        wait = (f"wait {retry_after:.0f} s" if retry_after else "wait a minute")
        return (f"{who} is rate-limiting requests{extra}",
                f"{wait} and try again; if it keeps happening, check your plan's limits")
    if kind == "not_found":
        hint = _ROOT_HINT.get(config.kind, "check the base URL: OpenAI-compatible servers "
                              "usually end in /v1 (e.g. http://127.0.0.1:8080/v1)")
        return f"{url} answered, but not as {who} expects (not found){extra}", hint
    if kind == "timeout":
        return (f"{who} at {url} did not answer in time{extra}",
                "the server may be busy or still loading a model: try again in a moment, "
                "or raise the timeouts (AGENTDESK_TIMEOUTS__FIRST_BYTE)")
    if kind == "server":
        return (f"{who} at {url} failed with a server error{extra}",
                "look at the server's log; restarting it often helps")
    if kind == "protocol":
        return (f"{url} answered in a way {who} would not{extra}",
                f"check that the URL points at a server of kind {config.kind!r} (set "
                "with --kind) and that no proxy is in between")
    if kind == "context_length":
        return (f"the request is too long for the model{extra}",
                "shorten the conversation or choose a model with a longer context")
    return f"{who} at {url} failed ({kind}){extra}", "try again; see the log for details"


def _explain_unreachable(config: ProviderConfig, who: str, url: str) -> tuple[str, str]:
    if config.kind in _START:
        return f"{who} is not running at {url}", _START[config.kind]
    if config.kind == "llamacpp":
        port = urlsplit(url).port or 8080
        return (f"{who} is not running at {url}",
                f"start it with `llama-server -m MODEL.gguf --port {port}`")
    if config.is_local:
        return (f"no server is answering at {url}",
                "start the OpenAI-compatible server, or check the URL and port")
    return (f"cannot reach {who} at {url}",
            "check the URL (is the host name right?) and your network connection")


def _key_fix(config: ProviderConfig) -> str:
    ref = config.api_key_ref or ""
    scheme, _, name = ref.partition(":")
    if scheme == "env":
        return f"check the API key in the environment variable {name}"
    if scheme == "keyring":
        return ("check the API key stored in your keyring; replace it with: "
                f"agentdesk providers set-key {config.name}")
    return ("this server needs an API key: store one with "
            f"agentdesk providers set-key {config.name} (or use --api-key-env VAR)")


def _explain_embedded(config: ProviderConfig, kind: str, detail: str) -> tuple[str, str]:
    path = config.model_path
    if not path:
        return "no model file is chosen for the embedded engine", _CHOOSE_GGUF
    if not Path(path).is_file():
        return f"the model file {path} does not exist", _CHOOSE_GGUF
    if kind in ("protocol", "not_found"):
        return f"{path} could not be loaded as a GGUF model{_detail(detail)}", _CHOOSE_GGUF
    return (f"the embedded engine failed ({kind}){_detail(detail)}",
            "install the local extra (pip install 'agentdesk[local]') and " + _CHOOSE_GGUF)


def _detail(detail: str) -> str:
    flat = " ".join(detail.split())
    if not flat:
        return ""
    if len(flat) > _DETAIL_LIMIT:
        flat = flat[:_DETAIL_LIMIT - 1] + "…"
    return f" ({flat})"
