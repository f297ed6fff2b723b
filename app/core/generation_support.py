"""Which generation settings a kind of provider accepts (for the agent editor,
the CLI and the API), as declared by each provider module.

Provider modules are imported on demand, as in ``provider_factory``.
"""

from __future__ import annotations

from app.domain.generation import GenerationSetting, GenerationSettings


def supported_generation(kind: str) -> frozenset[GenerationSetting]:
    """The settings a provider of ``kind`` sends; the others are not sent."""
    if kind == "ollama":
        from app.providers.ollama import GENERATION_SETTINGS as ollama

        return ollama
    if kind == "lmstudio":
        from app.providers.lmstudio import GENERATION_SETTINGS as lmstudio

        return lmstudio
    if kind == "embedded":
        from app.providers.embedded import GENERATION_SETTINGS as embedded

        return embedded
    from app.providers.openai_compat import generation_settings_for

    return generation_settings_for(kind)


def unsent_settings(settings: GenerationSettings,
                    kind: str) -> list[GenerationSetting]:
    """The settings that are set but that a provider of ``kind`` does not take,
    in display order."""
    supported = supported_generation(kind)
    return [name for name in settings.set_names() if name not in supported]

