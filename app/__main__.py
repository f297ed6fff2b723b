"""``python -m app`` and the ``agentdesk`` console script."""

import os
import sys

from app import frozen_python

if __name__ == "__main__" and frozen_python.wants_python(sys.argv[1:]):
    # The installed app started as Python by its own sandbox or file search.
    sys.exit(frozen_python.run_python(sys.argv[1:]))

from app import gc_pause  # noqa: E402

gc_pause.pause()   # until the window is drawn, or a command starts: see app/gc_pause.py

# The installed Windows program is windowed (PyInstaller console=False): started
# from Explorer (Start menu, "Open with AgentDesk" on an export) it has no standard
# streams, sys.stdout and sys.stderr are None, and a command's first line of output
# would raise after its work is done. They write to the null device instead; the
# exit code and the log still say how it went.
for _stream in ("stdout", "stderr"):
    if getattr(sys, _stream) is None:
        setattr(sys, _stream, open(os.devnull, "w", encoding="utf-8"))

from app.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
