"""Build a provider object for a stored provider configuration."""

from __future__ import annotations

from app.domain import ProviderConfig
from app.providers.base import ChatProvider, ProviderOptions, ReplyLimits, RetryPolicy, Timeouts
from app.core.secrets import resolve_key
from app.settings import AppSettings


def options_from_settings(settings: AppSettings) -> ProviderOptions:
    t = settings.timeouts
    limits = settings.limits
    return ProviderOptions(
        timeouts=Timeouts(connect=t.connect, first_byte=t.first_byte, idle=t.idle),
        retry=RetryPolicy(),
        keep_loaded_seconds=settings.engine.keep_loaded_minutes * 60,
        limits=ReplyLimits(reply_bytes=limits.reply_bytes,
                           tool_argument_bytes=limits.tool_argument_bytes,
                           reply_seconds=limits.reply_seconds),
    )


def build_provider(config: ProviderConfig, options: ProviderOptions | None = None) -> ChatProvider:
    """The provider for ``config``. Provider modules are imported on demand,
    so the embedded engine (extra ``local``) loads only when used.

    Raises SecretError when the configured API key cannot be found.
    """
    api_key = resolve_key(config.api_key_ref)
    if config.kind == "ollama":
        from app.providers.ollama import OllamaProvider

        return OllamaProvider(config, options, api_key=api_key)
    if config.kind == "lmstudio":
        from app.providers.lmstudio import LMStudioProvider

        return LMStudioProvider(config, options, api_key=api_key)
    if config.kind == "embedded":
        from app.providers.embedded import EmbeddedProvider

        return EmbeddedProvider(config, options)
    from app.providers.openai_compat import OpenAICompatProvider

    return OpenAICompatProvider(config, options, api_key=api_key)
