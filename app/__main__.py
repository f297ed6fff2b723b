"""``python -m app`` and the ``agentdesk`` console script."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
