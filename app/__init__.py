"""AgentDesk — a local-first desktop workbench for AI agents."""

import sys

__version__ = "0.1.0"

# httpx's package import tries to load its optional command-line client
# (``httpx.main``: click, pygments.lexers, rich). rich is not one of our
# dependencies, so that import fails halfway and leaves click and pygments'
# lexer table loaded for nothing (~3 MB, 18 modules at every start). AgentDesk
# never runs httpx's CLI; marking the module absent makes httpx define its
# stub ``main`` at once. Only when httpx has not been imported yet.
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]
