"""Privacy patterns: text that must never leave this machine.

Built-in patterns catch common secrets (API keys, cloud access keys, private
key blocks, ``password = …`` assignments) and financial numbers (IBANs that
pass the mod-97 check, card numbers that pass the Luhn check). Users add
their own regular expressions in ``settings.privacy_patterns`` (names,
project code words, …).

A user pattern that is not a valid regular expression is *reported* and then
matched as plain text instead: failing safe keeps the text the user meant to
protect local.

Findings name the pattern, never the matched text, so a routing reason
stored on a message (or exported) cannot leak the secret it protects.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

Validator = Callable[[str], bool]


@dataclass(frozen=True)
class PrivacyPattern:
    name: str
    regex: re.Pattern[str]
    validator: Validator | None = None   # a match must also pass this check
    builtin: bool = True

    def search(self, text: str) -> bool:
        for match in self.regex.finditer(text):
            if self.validator is None or self.validator(match.group(0)):
                return True
        return False


def luhn_ok(candidate: str) -> bool:
    """The Luhn checksum that every payment card number satisfies."""
    digits = [int(ch) for ch in candidate if ch.isdigit()]
    if not 13 <= len(digits) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(digits)):
        if index % 2 == 1:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    """The ISO 13616 mod-97 check of an IBAN (spaces allowed)."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


BUILTIN_PATTERNS: tuple[PrivacyPattern, ...] = (
    PrivacyPattern("openai-style API key (sk-…)",
                   re.compile(r"\bsk-(?:[A-Za-z0-9]+-)*[A-Za-z0-9_-]{20,}")),
    PrivacyPattern("AWS access key id (AKIA…)", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    PrivacyPattern("private key block",
                   re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    PrivacyPattern("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|"
                                              r"github_pat_[A-Za-z0-9_]{40,})")),
    PrivacyPattern("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    PrivacyPattern("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}")),
    PrivacyPattern("secret assignment (password=…, api_key: …)",
                   re.compile(r"(?i)\b(?:api[_-]?key|secret(?:[_-]?key)?|password|passwd|"
                              r"access[_-]?token|auth[_-]?token)\b[\"']?\s*[:=]\s*"
                              r"[\"']?[^\s\"']{8,}")),
    PrivacyPattern("IBAN", re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b"),
                   validator=iban_ok),
    PrivacyPattern("payment card number", re.compile(r"\b\d(?:[ -]?\d){12,18}\b"),
                   validator=luhn_ok),
)


@dataclass(frozen=True)
class CompiledPatterns:
    patterns: tuple[PrivacyPattern, ...]
    problems: tuple[str, ...]   # one sentence per invalid user pattern


def compile_patterns(user_patterns: Sequence[str]) -> CompiledPatterns:
    """Built-ins plus the user's patterns (numbered from 1 in names and problems)."""
    compiled: list[PrivacyPattern] = list(BUILTIN_PATTERNS)
    problems: list[str] = []
    for number, source in enumerate(user_patterns, start=1):
        if not source:
            continue
        name = f"user pattern #{number}"
        try:
            regex = re.compile(source)
        except re.error as exc:
            problems.append(f"privacy {name} is not a valid regular expression ({exc}); "
                            "it is matched as plain text instead")
            regex = re.compile(re.escape(source))
        compiled.append(PrivacyPattern(name, regex, builtin=False))
    return CompiledPatterns(tuple(compiled), tuple(problems))


@dataclass(frozen=True)
class PrivacyFinding:
    pattern: str          # the pattern's name, never the matched text
    message_index: int    # which message of the request (0 = first)


def scan(texts: Iterable[str], patterns: CompiledPatterns) -> list[PrivacyFinding]:
    """Every (pattern, message) pair that matches; each pattern reported once."""
    findings: list[PrivacyFinding] = []
    seen: set[str] = set()
    remembered = _results_for(patterns)
    for index, text in enumerate(texts):
        if not text:
            continue
        for name in _matching(text, patterns, remembered):
            if name not in seen:
                seen.add(name)
                findings.append(PrivacyFinding(name, index))
    return findings


# Each request re-sends the earlier history, so the same texts are scanned turn
# after turn; remembering their result keeps a turn's cost flat as the history
# grows. The key is the full text (never a hash of it: a collision must not
# hide a secret); only texts up to _CACHED_TEXT_CHARS are remembered, at most
# _CACHED_TEXTS per pattern set, which bounds the memory (~32 MB at worst).
_CACHED_TEXT_CHARS = 8192
_CACHED_TEXTS = 4096
_CACHED_PATTERN_SETS = 4
_results: dict[CompiledPatterns, dict[str, tuple[str, ...]]] = {}


def _results_for(patterns: CompiledPatterns) -> dict[str, tuple[str, ...]]:
    remembered = _results.get(patterns)
    if remembered is None:
        if len(_results) >= _CACHED_PATTERN_SETS:
            _results.clear()              # the user changed the patterns repeatedly
        remembered = _results[patterns] = {}
    return remembered


def _matching(text: str, patterns: CompiledPatterns,
              remembered: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    names = remembered.get(text)
    if names is None:
        names = tuple(p.name for p in patterns.patterns if p.search(text))
        if len(text) <= _CACHED_TEXT_CHARS:
            if len(remembered) >= _CACHED_TEXTS:
                del remembered[next(iter(remembered))]     # the oldest entry
            remembered[text] = names
    return names
