"""LM Studio: the OpenAI-compatible chat path, plus LM Studio's native REST
API (``GET /api/v0/models``, LM Studio 0.3.6+) for what ``/v1/models`` does
not say: loaded or not, quantization, architecture, maximum context length,
and the model type (llm, vlm, embeddings).

Older LM Studio versions have no ``/api/v0``; the model list then falls back
to ``/v1/models``.
"""

from __future__ import annotations

from typing import Any

from app.domain import ModelInfo, ProviderConfig
from app.domain.generation import GenerationSetting
from app.providers.base import ProviderError, ProviderOptions
from app.domain.provider import DEFAULT_BASE_URLS
from app.providers.openai_compat import OpenAICompatProvider
from app.providers.transport import HttpTransport

# Generation settings LM Studio's /v1/chat/completions accepts (its documented
# payload parameters include top_p, stop, repeat_penalty and seed; the context
# length is chosen when the model is loaded, not per request).
GENERATION_SETTINGS: frozenset[GenerationSetting] = frozenset(
    {"top_p", "repeat_penalty", "seed", "stop"})
# LM Studio's native capability names, in our words.
_CAPABILITIES = {"tool_use": "tools", "vision": "vision"}


def root_url(api_base: str) -> str:
    """``http://host:1234/v1`` -> ``http://host:1234`` (the native API's root)."""
    base = api_base.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


class LMStudioProvider(OpenAICompatProvider):
    """Chat through ``/v1/chat/completions``; models from ``/api/v0/models``."""

    def __init__(self, config: ProviderConfig, options: ProviderOptions | None = None,
                 api_key: str | None = None) -> None:
        super().__init__(config, options, api_key)
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        self.native = HttpTransport(root_url(self.api_base), headers=headers,
                                    options=self.options, label=self.label)

    @staticmethod
    def _api_base(config: ProviderConfig) -> str:
        # Accept the server root as users often type it ("http://localhost:1234").
        return root_url(config.base_url or DEFAULT_BASE_URLS["lmstudio"]) + "/v1"

    @property
    def generation_settings(self) -> frozenset[GenerationSetting]:
        return GENERATION_SETTINGS

    async def aclose(self) -> None:
        await self.native.aclose()
        await super().aclose()

    async def list_models(self) -> list[ModelInfo]:
        try:
            data = await self.native.request_json("GET", "/api/v0/models",
                                                  timeout=self.metadata_timeout)
        except ProviderError as error:
            if error.kind != "not_found":
                raise
            return await super().list_models()  # LM Studio before 0.3.6
        items = data.get("data") if isinstance(data, dict) else None
        if not isinstance(items, list):
            if _is_unexpected_endpoint(data):
                # LM Studio before 0.3.6, which answers a path it does not
                # serve with 200 and an error object (some versions say 404).
                return await super().list_models()
            raise ProviderError("protocol", f"{self.label} sent a model list in an "
                                "unknown format")
        return [self._native_info(item) for item in items
                if isinstance(item, dict) and item.get("id")
                and item.get("type") != "embeddings"]  # not chat models

    def _native_info(self, item: dict[str, Any]) -> ModelInfo:
        capabilities = ["vision"] if item.get("type") == "vlm" else []
        for name in item.get("capabilities") or ():
            ours = _CAPABILITIES.get(name)
            if ours and ours not in capabilities:
                capabilities.append(ours)
        state = item.get("state")
        context = item.get("max_context_length")
        return ModelInfo(
            provider=self.config.name, id=str(item["id"]), display_name=str(item["id"]),
            quantization=_str_or_none(item.get("quantization")),
            family=_str_or_none(item.get("arch")),
            context_length=context if isinstance(context, int) else None,
            capabilities=capabilities,
            loaded=state == "loaded" if state in ("loaded", "not-loaded") else None,
        )


def _str_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None


def _is_unexpected_endpoint(data: Any) -> bool:
    """LM Studio's ``{"error": "Unexpected endpoint or method. (GET /path)"}``."""
    error = data.get("error") if isinstance(data, dict) else None
    return isinstance(error, str) and error.startswith("Unexpected endpoint")
