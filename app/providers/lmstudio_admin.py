"""LM Studio administration: its models with their loaded instances, and
load/unload where LM Studio's REST API has them.

Documented endpoints (lmstudio.ai/docs/developer/rest, lmstudio-ai/docs
1_developer/2_rest/list.md, load.md, unload.md), REST API v1, LM Studio 0.4.0+:

- ``GET /api/v1/models``: ``{"models": [{"type": "llm"|"embedding", "key",
  "display_name", "architecture", "quantization": {"name", "bits_per_weight"},
  "size_bytes", "params_string", "loaded_instances": [{"id", "config":
  {"context_length", ...}}], "max_context_length", "format", "capabilities":
  {"vision", "trained_for_tool_use"}}]}``;
- ``POST /api/v1/models/load`` ``{"model": key, "config": {"context_length"}}``
  -> ``{"model_instance_id", "config", "load_time_seconds"}``;
- ``POST /api/v1/models/unload`` ``{"instance_id"}`` -> ``{"instance_id"}``.

An LM Studio before 0.4.0 has only REST API v0 (``GET /api/v0/models``, with
``state: loaded|not-loaded``) and no load or unload endpoint at all: there the
model list comes from v0, ``can_load`` is False and ``note`` says so; load and
unload raise LoadUnsupported with the same words. A load request for a model
that already has a loaded instance would load a second one, so ``load``
lists first and returns the instance that is there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.domain.provider import DEFAULT_BASE_URLS
from app.logs import redact_url
from app.providers.base import ProviderError, ProviderOptions
from app.providers.lmstudio import root_url
from app.providers.ollama_admin import MAX_NAME_CHARS, MAX_TEXT_CHARS
from app.providers.transport import HttpTransport

NO_LOAD_NOTE = ("This LM Studio has no load or unload in its REST API (they arrived with "
                "LM Studio 0.4.0, REST API v1); load or unload models in LM Studio itself "
                "or with 'lms load' / 'lms unload'.")
_CAPABILITIES = {"vision": "vision", "trained_for_tool_use": "tools", "tool_use": "tools"}


class LMStudioAdminError(ProviderError):
    """A load, unload or listing that did not work, in one line."""


class LoadUnsupported(LMStudioAdminError):
    """This LM Studio's REST API has no load/unload (before 0.4.0)."""

    def __init__(self, where: str) -> None:
        super().__init__("not_found", f"{where}: {NO_LOAD_NOTE}")


@dataclass(frozen=True)
class LMStudioModel:
    key: str
    display_name: str
    type: str                              # llm, vlm (v0), embedding(s)
    size_bytes: int | None = None
    quantization: str | None = None
    max_context_length: int | None = None
    loaded_instances: tuple[str, ...] = ()  # instance ids (v1 only)
    loaded: bool | None = None             # None: the server did not say
    capabilities: tuple[str, ...] = ()      # "vision", "tools"


@dataclass(frozen=True)
class LMStudioModels:
    """The model list and whether this server can load/unload (``note`` says
    why not, for the window to show)."""

    models: list[LMStudioModel]
    can_load: bool
    note: str | None = None


@dataclass(frozen=True)
class LoadResult:
    instance_id: str
    context_length: int | None = None
    load_time_seconds: float | None = None
    already_loaded: bool = False


def _text(value: Any, limit: int = MAX_TEXT_CHARS) -> str | None:
    return value[:limit] if isinstance(value, str) and value else None


def _number(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 \
        else None


def _unexpected_endpoint(data: Any) -> bool:
    """LM Studio's ``{"error": "Unexpected endpoint or method. (GET /path)"}``,
    its answer (200 or 404, by version) for a path it does not serve."""
    error = data.get("error") if isinstance(data, dict) else None
    return isinstance(error, str) and error.startswith("Unexpected endpoint")


class LMStudioAdmin:
    """``async with LMStudioAdmin(base_url) as admin``; ``base_url`` may be
    the server root or its ``/v1`` address, as providers store it."""

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 options: ProviderOptions | None = None) -> None:
        self.base_url = root_url(base_url or DEFAULT_BASE_URLS["lmstudio"])
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self.label = f"LM Studio at {redact_url(self.base_url)}"
        self._http = HttpTransport(self.base_url, headers=headers, options=options,
                                   label=self.label)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> LMStudioAdmin:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- listing ------------------------------------------------------------------------
    async def models(self) -> LMStudioModels:
        """Every model, loaded or not; v0's list on an LM Studio before 0.4.0."""
        v1 = await self._v1_models()
        if v1 is not None:
            return LMStudioModels([_v1_model(item) for item in v1], can_load=True)
        data = await self._optional("GET", "/api/v0/models")
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            raise LMStudioAdminError("protocol", f"{self.label} has neither REST API v1 nor "
                                     "v0 (/api/v1/models, /api/v0/models); model details "
                                     "come from its OpenAI-compatible list only")
        return LMStudioModels([_v0_model(item) for item in items
                               if isinstance(item, dict) and _text(item.get("id"))],
                              can_load=False, note=NO_LOAD_NOTE)

    async def _v1_models(self) -> list[dict[str, Any]] | None:
        data = await self._optional("GET", "/api/v1/models")
        items = data.get("models") if isinstance(data, dict) else None
        if not isinstance(items, list):
            return None
        return [item for item in items if isinstance(item, dict) and _text(item.get("key"))]

    async def _optional(self, method: str, path: str) -> Any:
        """The JSON at ``path``, or None when this LM Studio does not serve it."""
        try:
            data = await self._http.request_json(method, path)
        except ProviderError as error:
            if error.kind == "not_found":
                return None
            raise
        return None if _unexpected_endpoint(data) else data

    # -- load / unload ---------------------------------------------------------------------
    async def load(self, model: str, *, context_length: int | None = None) -> LoadResult:
        """Load ``model`` (its key); an already loaded one is not loaded twice.
        Raises LoadUnsupported before LM Studio 0.4.0, LMStudioAdminError
        (not_found) for a model it does not have."""
        model = _check(model)
        listed = await self._v1_models()
        if listed is None:
            raise LoadUnsupported(self.label)
        match = next((m for m in map(_v1_model, listed) if m.key == model), None)
        if match is None:
            raise LMStudioAdminError("not_found", f"{self.label} has no model {model!r}")
        if match.loaded_instances:
            return LoadResult(instance_id=match.loaded_instances[0], already_loaded=True)
        body: dict[str, Any] = {"model": model}
        if context_length is not None:
            body["config"] = {"context_length": int(context_length)}
        data = await self._http.request_json("POST", "/api/v1/models/load", body)
        if not isinstance(data, dict) or not _text(data.get("model_instance_id")):
            raise LMStudioAdminError("protocol", f"{self.label} answered the load of "
                                     f"{model!r} in an unknown format")
        config = data.get("config") if isinstance(data.get("config"), dict) else {}
        seconds = data.get("load_time_seconds")
        return LoadResult(
            instance_id=str(data["model_instance_id"])[:MAX_NAME_CHARS],
            context_length=_number(config.get("context_length")),
            load_time_seconds=float(seconds) if isinstance(seconds, int | float)
            and not isinstance(seconds, bool) else None)

    async def unload(self, model: str) -> list[str]:
        """Unload ``model``: an instance id, or a model key (every loaded
        instance of it). Returns the instance ids unloaded; raises
        LMStudioAdminError (not_found) when nothing of that name is loaded."""
        model = _check(model)
        listed = await self._v1_models()
        if listed is None:
            raise LoadUnsupported(self.label)
        models = [_v1_model(item) for item in listed]
        # A key first: LM Studio names a model's first instance after its key,
        # so matching instance ids first would unload one of several instances.
        instances = [i for m in models if m.key == model for i in m.loaded_instances] or \
            [i for m in models for i in m.loaded_instances if i == model]
        if not instances:
            raise LMStudioAdminError("not_found", f"{self.label} has no loaded model or "
                                     f"instance {model!r}")
        unloaded: list[str] = []
        for instance in instances:
            await self._http.request_json("POST", "/api/v1/models/unload",
                                          {"instance_id": instance})
            unloaded.append(instance)
        return unloaded


def _check(model: str) -> str:
    model = (model or "").strip()
    if not model or len(model) > MAX_NAME_CHARS or not model.isprintable():
        raise ValueError("give the key of an LM Studio model, as its model list shows it")
    return model


def _v1_model(item: dict[str, Any]) -> LMStudioModel:
    quantization = item.get("quantization")
    quant_name = _text(quantization.get("name")) if isinstance(quantization, dict) \
        else _text(quantization)
    instances = tuple(
        str(instance["id"])[:MAX_NAME_CHARS]
        for instance in item.get("loaded_instances") or ()
        if isinstance(instance, dict) and _text(instance.get("id")))
    raw = item.get("capabilities")
    capabilities = tuple(dict.fromkeys(
        ours for name, ours in _CAPABILITIES.items()
        if isinstance(raw, dict) and raw.get(name) is True))
    key = str(item["key"])[:MAX_NAME_CHARS]
    return LMStudioModel(
        key=key, display_name=_text(item.get("display_name")) or key,
        type=_text(item.get("type"), 20) or "llm", size_bytes=_number(item.get("size_bytes")),
        quantization=quant_name, max_context_length=_number(item.get("max_context_length")),
        loaded_instances=instances, loaded=bool(instances), capabilities=capabilities)


def _v0_model(item: dict[str, Any]) -> LMStudioModel:
    state = item.get("state")
    kind = _text(item.get("type"), 20) or "llm"
    capabilities = ["vision"] if kind == "vlm" else []
    for name in item.get("capabilities") or ():
        ours = _CAPABILITIES.get(name) if isinstance(name, str) else None
        if ours and ours not in capabilities:
            capabilities.append(ours)
    key = str(item["id"])[:MAX_NAME_CHARS]
    return LMStudioModel(
        key=key, display_name=key, type=kind,
        quantization=_text(item.get("quantization")),
        max_context_length=_number(item.get("max_context_length")),
        loaded=state == "loaded" if state in ("loaded", "not-loaded") else None,
        capabilities=tuple(capabilities))
