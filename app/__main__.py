"""``python -m app`` and the ``agentdesk`` console script."""

import sys

from app import gc_pause

gc_pause.pause()   # until the window is drawn, or a command starts: see app/gc_pause.py

from app.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
