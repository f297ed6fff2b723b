"""Shared parts of the hostile-input suite (issue 21): the hypothesis profiles,
the per-example clock and counters, and the check that rendered HTML carries
nothing that runs, loads or links where it must not.

Profiles: CI runs a fixed, derandomized set of examples (the same inputs on
every run, so a failure reproduces from the log); ``AGENTDESK_RELIABILITY_LONG=1``
runs many more, randomized, and the test prints its counts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, settings

from app.domain.links import is_allowed_url
from tests.support.reliability_summary import record

LONG = os.environ.get("AGENTDESK_RELIABILITY_LONG") == "1"
CATEGORY = "hostile input"
#: pytest-timeout's 300 s is for one CI-sized test; the long variant runs 25x.
LONG_TIMEOUT = pytest.mark.timeout(3 * 3600 if LONG else 300)


def profile(examples: int) -> settings:
    """``examples`` derandomized examples in CI; 25x that, random, when long."""
    if LONG:
        return settings(max_examples=examples * 25, deadline=None, database=None,
                        derandomize=False, suppress_health_check=list(HealthCheck))
    return settings(max_examples=examples, deadline=None, database=None, derandomize=True,
                    suppress_health_check=list(HealthCheck))


@dataclass
class Tally:
    """What one test tried: examples, typed refusals, untyped errors (crashes),
    unsafe HTML constructs found, rows written by a refused import, and the
    slowest example in seconds (each example timed on its own)."""

    name: str
    bound_seconds: float
    inputs: int = 0
    refused: int = 0
    crashes: int = 0
    unsafe: int = 0
    losses: int = 0
    slowest: float = 0.0

    @contextmanager
    def example(self, *typed: type[BaseException]) -> Iterator[None]:
        """Time one example; a ``typed`` error counts as a refusal (the app's own
        clear error), any other exception as a crash (re-raised so hypothesis
        shrinks it); past ``bound_seconds`` it fails."""
        self.inputs += 1
        start = time.perf_counter()
        try:
            yield
        except typed:
            self.refused += 1
        except BaseException:
            self.crashes += 1
            raise
        finally:
            took = time.perf_counter() - start
            self.slowest = max(self.slowest, took)
        assert took <= self.bound_seconds, (
            f"{self.name}: one input took {took:.1f} s (bound {self.bound_seconds} s)")

    def report(self, **extra: int) -> None:
        """Add these counts to the category's summary line (and print them)."""
        record(CATEGORY, inputs=self.inputs, crashes=self.crashes,
               script_or_link_executions=self.unsafe, losses=self.losses, **extra)
        print(f"hostile input: {self.name}: {self.inputs} inputs, {self.refused} refused "
              f"with the app's error, {self.crashes} crashes, {self.unsafe} unsafe, "
              f"{self.losses} losses; slowest {self.slowest:.2f} s")


# -- HTML that must not run, load or link ------------------------------------------------
#: Tags that run code, load something, embed another document or submit.
_ACTIVE_TAGS = frozenset({
    "script", "iframe", "frame", "frameset", "object", "embed", "applet", "img", "image",
    "video", "audio", "source", "track", "picture", "svg", "math", "link", "base", "form",
    "input", "button", "textarea", "select", "meta", "style", "template", "portal"})
#: Attributes that load a resource or navigate.
_LOADING_ATTRIBUTES = frozenset({
    "src", "srcset", "srcdoc", "background", "poster", "data", "action", "formaction",
    "xlink:href", "codebase", "dynsrc", "lowsrc", "ping", "manifest", "longdesc"})
_STYLE_LOADS = ("url(", "expression(", "@import", "behavior:", "-moz-binding")


class _Scanner(HTMLParser):
    def __init__(self, own_schemes: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._own = own_schemes

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ACTIVE_TAGS:
            self.problems.append(f"<{tag}>")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            elif name in _LOADING_ATTRIBUTES:
                self.problems.append(f"<{tag} {name}={value[:60]!r}>")
            elif name == "href" and not (is_allowed_url(value)
                                         or value.startswith(self._own)):
                self.problems.append(f"<{tag} href={value[:60]!r}>")
            elif name == "style" and any(s in value.lower().replace(" ", "")
                                         for s in _STYLE_LOADS):
                self.problems.append(f"<{tag} style={value[:60]!r}>")

    handle_startendtag = handle_starttag


def unsafe_html(markup: str, own_schemes: tuple[str, ...] = ()) -> list[str]:
    """Every construct in ``markup`` that could run a script, load a resource
    or link anywhere but an absolute http(s)/mailto address (or one of our
    ``own_schemes``, e.g. the chat's copy-code action)."""
    scanner = _Scanner(own_schemes)
    scanner.feed(markup)
    scanner.close()
    return scanner.problems
