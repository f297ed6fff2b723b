"""Per-agent generation settings beyond temperature and max tokens.

Every setting is optional: ``None`` (or no stop sequences) means "the
provider's own default", and such a setting is never sent. Providers differ
in what they accept; each provider module declares its set of supported
``GenerationSetting`` names and sends only those, each in its own field
(OpenAI ``top_p``/``seed``/``stop``, Ollama ``options.num_ctx`` …).
"""

from __future__ import annotations

from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator

GenerationSetting = Literal["top_p", "repeat_penalty", "context_length", "seed", "stop"]
#: Every setting, in the order they are shown.
GENERATION_SETTINGS: tuple[GenerationSetting, ...] = get_args(GenerationSetting)

TOP_P_MIN, TOP_P_MAX = 0.0, 1.0
REPEAT_PENALTY_MAX = 2.0  # exclusive minimum 0
CONTEXT_LENGTH_MIN, CONTEXT_LENGTH_MAX = 128, 1_048_576
SEED_MIN, SEED_MAX = 0, 2**31 - 1  # fits every engine's seed type
STOP_MAX_COUNT = 4  # OpenAI accepts up to 4 sequences
STOP_MAX_LENGTH = 100

#: How each setting is called where a person reads it.
SETTING_LABELS: dict[GenerationSetting, str] = {
    "top_p": "Top-p",
    "repeat_penalty": "Repeat penalty",
    "context_length": "Context length",
    "seed": "Seed",
    "stop": "Stop sequences",
}


class GenerationSettings(BaseModel):
    """Optional sampling settings of one agent (``AgentSpec.generation``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    top_p: float | None = Field(default=None, ge=TOP_P_MIN, le=TOP_P_MAX)
    repeat_penalty: float | None = Field(default=None, gt=0.0, le=REPEAT_PENALTY_MAX)
    context_length: int | None = Field(default=None, ge=CONTEXT_LENGTH_MIN,
                                       le=CONTEXT_LENGTH_MAX)
    seed: int | None = Field(default=None, ge=SEED_MIN, le=SEED_MAX)
    stop: list[str] = Field(default_factory=list, max_length=STOP_MAX_COUNT)

    @field_validator("stop")
    @classmethod
    def _stop_sequences(cls, value: list[str]) -> list[str]:
        for sequence in value:
            if not sequence:
                raise ValueError("a stop sequence must not be empty")
            if len(sequence) > STOP_MAX_LENGTH:
                raise ValueError(f"a stop sequence may have at most {STOP_MAX_LENGTH} "
                                 f"characters (one has {len(sequence)})")
        return value

    def compact(self) -> dict[str, Any]:
        """Only the settings that are set (what is stored and exported)."""
        return self.model_dump(mode="json", exclude_defaults=True)

    def set_names(self) -> list[GenerationSetting]:
        """The settings that are set, in display order."""
        data = self.compact()
        return [name for name in GENERATION_SETTINGS if name in data]

    def request_fields(self) -> dict[str, Any]:
        """The settings as ``ChatRequest`` keyword arguments."""
        return {"top_p": self.top_p, "repeat_penalty": self.repeat_penalty,
                "context_length": self.context_length, "seed": self.seed,
                "stop": list(self.stop)}
