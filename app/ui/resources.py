"""Files shipped with the UI (icons), found relative to the installed package.

The icon's source of truth is ``resources/agentdesk.svg`` at the repository top
level (where packaging picks it up too); ``app/ui/resources/`` holds the copy
that is installed with the package through ``[tool.setuptools.package-data]``,
so the same lookup works in a source checkout, ``pip install -e .`` and a
normal install. A test keeps the two copies identical.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from PySide6.QtGui import QIcon

APP_ICON = "agentdesk.svg"


def resource_path(name: str) -> Path:
    """Path of a file in ``app/ui/resources``; raises FileNotFoundError if absent."""
    path = Path(str(resources.files("app.ui").joinpath("resources", name)))
    if not path.is_file():
        raise FileNotFoundError(f"missing UI resource {name!r} (looked in {path.parent})")
    return path


def app_icon() -> QIcon:
    """The AgentDesk application icon (scalable SVG)."""
    return QIcon(str(resource_path(APP_ICON)))
