"""Routing: which (provider, model) pairs a request may go to, in which order.

``plan_route`` applies these rules, recording a reason for each decision:

1. The agent's own (provider, model) first, then its fallbacks in order. An
   agent naming no provider uses the settings' default provider and model.
   Unknown and disabled providers are dropped, as are repeated pairs.
2. An agent marked ``local_only`` never gets a non-local candidate — primary
   or fallback.
3. ``auto`` model: local candidates first, unless the request needs what the
   first local model lacks (tools when tools are attached — known only when
   the model's ``ModelInfo`` lists capabilities; context when the estimated
   prompt exceeds its known context length) or its complexity score reaches
   ``settings.routing.complexity_threshold``; then the cloud candidates of the
   list go first and the local ones follow as fallbacks. A ``auto`` entry
   names no model, so it takes the provider's loaded (else first) model from
   the known ``ModelInfo`` list, and is dropped when none is known.
4. Privacy patterns (app/core/privacy.py) found in ANY message of the request
   drop every non-local candidate. This wins over every other rule.

The decision is "fixed" (a named model), "local" / "cloud" (``auto``) or
"privacy". ``RoutePlan.to_meta`` is what the reply stores in
``Message.meta["routing"]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from app.core.privacy import compile_patterns, scan
from app.core.wording import plural
from app.domain import AgentSpec, ChatRequest, ModelInfo, ProviderConfig
from app.settings import AppSettings

AUTO = "auto"
Decision = Literal["fixed", "local", "cloud", "privacy"]

_CHARS_PER_TOKEN = 4          # the usual rough estimate for English text and code
_TOKENS_PER_MESSAGE = 4       # role markers and separators


def estimate_tokens(text: str) -> int:
    """A rough token count: one token per four characters (no tokenizer needed)."""
    return math.ceil(len(text) / _CHARS_PER_TOKEN)


@dataclass(frozen=True)
class Complexity:
    """How demanding a question looks. Each point is one plainly visible trait:

    * one point per ``long_prompt_tokens`` estimated tokens (at most 3);
    * one point when it contains code (a ``` fence, or two or more lines that
      look like code: ending in ``;``, ``{`` or ``}``, or starting with
      ``def``/``class``/``import``/``function``/``return``/``#include``);
    * one point for a multi-part question (two or more parts: question marks
      or enumerated lines), a second point for four or more parts.
    """

    score: int
    tokens: int
    has_code: bool
    parts: int

    def describe(self) -> str:
        return (f"complexity {self.score} (~{plural(self.tokens, 'token')}, "
                f"code: {'yes' if self.has_code else 'no'}, parts: {self.parts})")


_CODE_LINE = re.compile(r"^\s*(?:def |class |import |from \S+ import |function |return\b|"
                        r"#include\b)|[;{}]\s*$")
_QUESTION = re.compile(r"\?(?=\s|$)")
_LIST_ITEM = re.compile(r"^\s*(?:\d+[.)]|[-*•])\s+\S", re.MULTILINE)


def complexity(text: str, long_prompt_tokens: int) -> Complexity:
    tokens = estimate_tokens(text)
    code_lines = sum(1 for line in text.splitlines() if _CODE_LINE.search(line))
    has_code = "```" in text or code_lines >= 2
    parts = max(len(_QUESTION.findall(text)), len(_LIST_ITEM.findall(text)))
    score = (min(3, tokens // long_prompt_tokens) + int(has_code) + int(parts >= 2)
             + int(parts >= 4))
    return Complexity(score, tokens, has_code, parts)


@dataclass(frozen=True)
class RequestFacts:
    """What routing needs to know about a request."""

    texts: tuple[str, ...]        # every message's text, in order
    latest_user_text: str
    prompt_tokens: int            # estimated
    needs_tools: bool

    @classmethod
    def from_request(cls, request: ChatRequest, *, tools_attached: bool = False) -> RequestFacts:
        # Tool-call arguments count as text too: a secret may sit in them.
        texts = tuple(m.content + "".join(f"\n{c.arguments}" for c in m.tool_calls)
                      for m in request.messages)
        latest = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        tokens = sum(estimate_tokens(t) + _TOKENS_PER_MESSAGE for t in texts)
        return cls(texts, latest, tokens, bool(request.tools) or tools_attached)


@dataclass(frozen=True)
class Candidate:
    provider: ProviderConfig
    model: str
    source: str                   # "primary" or "fallback N"

    @property
    def is_local(self) -> bool:
        return self.provider.is_local

    @property
    def label(self) -> str:
        return f"{self.provider.name}/{self.model}"


@dataclass
class RoutePlan:
    candidates: list[Candidate]
    decision: Decision
    reasons: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # e.g. an invalid user regex

    def to_meta(self) -> dict[str, Any]:
        return {
            "decision": self.decision,
            "reasons": list(self.reasons),
            "problems": list(self.problems),
            "candidates": [{"provider": c.provider.name, "model": c.model,
                            "local": c.is_local, "source": c.source}
                           for c in self.candidates],
        }


def plan_route(agent: AgentSpec, providers: Sequence[ProviderConfig], facts: RequestFacts,
               settings: AppSettings, *, models: Iterable[ModelInfo] = ()) -> RoutePlan:
    """The ordered candidates for one request, with the reasons for the order."""
    reasons: list[str] = []
    known = _index_models(models)
    wanted = _wanted_pairs(agent, settings, reasons)
    auto = bool(wanted) and wanted[0][1].lower() == AUTO
    candidates = _resolve(wanted, providers, known, reasons)

    if agent.local_only:
        candidates = _keep_local(candidates, "the agent is local-only", reasons)

    patterns = compile_patterns(settings.privacy_patterns)
    problems = list(patterns.problems)
    reasons.extend(problems)
    findings = scan(facts.texts, patterns)
    if findings:
        for finding in findings:
            reasons.append(f"private content: {finding.pattern} matched in message "
                           f"{finding.message_index + 1}")
        candidates = _keep_local(candidates, "private content must stay local", reasons)
        if auto:
            reasons.append("auto routing skipped: privacy wins over every other rule")
        decision: Decision = "privacy"
    elif auto:
        decision, candidates = _route_auto(candidates, facts, settings, known, reasons)
    else:
        decision = "fixed"
        reasons.append("the agent names its model; candidates in the agent's order")
    if not candidates:
        reasons.append("no candidate is left to send the request to")
    return RoutePlan(candidates, decision, reasons, problems)


# -- building the list -----------------------------------------------------------------
def _wanted_pairs(agent: AgentSpec, settings: AppSettings,
                  reasons: list[str]) -> list[tuple[str, str, str]]:
    provider, model = agent.provider.strip(), agent.model.strip()
    if not provider and settings.default_provider:
        provider = settings.default_provider
        model = model or settings.default_model or AUTO
        reasons.append(f"the agent names no provider; using the default {provider!r}")
    pairs: list[tuple[str, str, str]] = []
    if provider:
        pairs.append((provider, model or AUTO, "primary"))
    for number, target in enumerate(agent.fallbacks, start=1):
        pairs.append((target.provider.strip(), target.model.strip(), f"fallback {number}"))
    return pairs


def _resolve(wanted: list[tuple[str, str, str]], providers: Sequence[ProviderConfig],
             known: dict[str, list[ModelInfo]], reasons: list[str]) -> list[Candidate]:
    by_name = {p.name.lower(): p for p in providers}
    seen: set[tuple[str, str]] = set()
    result: list[Candidate] = []
    for name, model, source in wanted:
        config = by_name.get(name.lower())
        if config is None:
            reasons.append(f"dropped {name}/{model} ({source}): no provider named {name!r}")
            continue
        if not config.enabled:
            reasons.append(f"dropped {config.name}/{model} ({source}): the provider is disabled")
            continue
        if model.lower() == AUTO:
            chosen = _pick_model(known.get(config.name.lower(), []))
            if chosen is None:
                reasons.append(f"dropped {config.name}/auto ({source}): no model is known "
                               f"on {config.name!r} to stand for 'auto'")
                continue
            reasons.append(f"'auto' on {config.name} means its model {chosen!r}")
            model = chosen
        key = (config.name.lower(), model)
        if key in seen:
            reasons.append(f"dropped {config.name}/{model} ({source}): already listed")
            continue
        seen.add(key)
        result.append(Candidate(config, model, source))
    return result


def _index_models(models: Iterable[ModelInfo]) -> dict[str, list[ModelInfo]]:
    index: dict[str, list[ModelInfo]] = {}
    for info in models:
        index.setdefault(info.provider.lower(), []).append(info)
    return index


def _pick_model(infos: list[ModelInfo]) -> str | None:
    loaded = [info for info in infos if info.loaded]
    chosen = (loaded or infos)[:1]
    return chosen[0].id if chosen else None


def _find_info(known: dict[str, list[ModelInfo]], candidate: Candidate) -> ModelInfo | None:
    for info in known.get(candidate.provider.name.lower(), []):
        if info.id == candidate.model:
            return info
    return None


def _keep_local(candidates: list[Candidate], why: str, reasons: list[str]) -> list[Candidate]:
    kept = []
    for candidate in candidates:
        if candidate.is_local:
            kept.append(candidate)
        else:
            reasons.append(f"dropped {candidate.label} ({candidate.source}): {why} and "
                           f"{candidate.provider.name!r} is not a local provider")
    return kept


# -- auto ------------------------------------------------------------------------------
def _route_auto(candidates: list[Candidate], facts: RequestFacts, settings: AppSettings,
                known: dict[str, list[ModelInfo]],
                reasons: list[str]) -> tuple[Decision, list[Candidate]]:
    local = [c for c in candidates if c.is_local]
    cloud = [c for c in candidates if not c.is_local]
    if not local:
        reasons.append("auto: no local candidate is available, so the cloud it is")
        return "cloud", cloud
    needs = _cloud_needs(local[0], facts, settings, known)
    if not needs:
        reasons.append(f"auto: local by default ({local[0].label} can handle the request)")
        return "local", local + cloud
    why = "; ".join(needs)
    if not cloud:
        reasons.append(f"auto: the cloud would suit better ({why}) but no cloud "
                       "candidate is allowed or configured; staying local")
        return "local", local
    reasons.append(f"auto: cloud first because {why}; local candidates follow")
    return "cloud", cloud + local


def _cloud_needs(first_local: Candidate, facts: RequestFacts, settings: AppSettings,
                 known: dict[str, list[ModelInfo]]) -> list[str]:
    needs: list[str] = []
    info = _find_info(known, first_local)
    if facts.needs_tools and info is not None and info.capabilities \
            and "tools" not in info.capabilities:
        needs.append(f"tools are attached and {first_local.label} does not support tools")
    if info is not None and info.context_length \
            and facts.prompt_tokens > info.context_length:
        needs.append(f"the prompt (~{facts.prompt_tokens} tokens) exceeds "
                     f"{first_local.label}'s context of {info.context_length}")
    threshold = settings.routing.complexity_threshold
    if threshold > 0:
        measured = complexity(facts.latest_user_text, settings.routing.long_prompt_tokens)
        if measured.score >= threshold:
            needs.append(f"{measured.describe()} reaches the threshold {threshold}")
    return needs
