"""Ollama's model listings (``/api/tags``, ``/api/show``, ``/api/ps``) as
ModelInfo: size, quantization, family, context length, capabilities, loaded."""

from __future__ import annotations

from typing import Any

from app.domain import ModelInfo


def int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def models_of(data: Any) -> list[dict[str, Any]]:
    models = data.get("models") if isinstance(data, dict) else None
    return [m for m in models if isinstance(m, dict)] if isinstance(models, list) else []


def context_length_of(show: dict[str, Any]) -> int | None:
    """``<architecture>.context_length`` from ``model_info``."""
    info = show.get("model_info")
    if not isinstance(info, dict):
        return None
    arch = info.get("general.architecture")
    value = info.get(f"{arch}.context_length") if arch else None
    if value is None:
        value = next((v for k, v in info.items() if k.endswith(".context_length")), None)
    return int_or_none(value)


def model_info(provider: str, entry: dict[str, Any], show: dict[str, Any],
               loaded: set[str] | None) -> ModelInfo:
    """One ``/api/tags`` entry, completed by its ``/api/show`` answer."""
    name = str(entry.get("name") or entry.get("model"))
    details = entry.get("details") if isinstance(entry.get("details"), dict) else {}
    if not details and isinstance(show.get("details"), dict):
        details = show["details"]
    capabilities = show.get("capabilities")
    size = entry.get("size")
    return ModelInfo(
        provider=provider,
        id=name,
        display_name=name,
        size_bytes=size if isinstance(size, int) else None,
        quantization=details.get("quantization_level") or None,
        family=details.get("family") or None,
        parameter_size=details.get("parameter_size") or None,
        context_length=context_length_of(show),
        capabilities=[str(c) for c in capabilities] if isinstance(capabilities, list) else [],
        loaded=None if loaded is None else (name in loaded or entry.get("model") in loaded),
    )
