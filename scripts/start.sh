#!/usr/bin/env bash
# Sets up AgentDesk in .venv (first run only takes long) and starts it.
# Extra arguments are passed to agentdesk, e.g. scripts/start.sh --home /tmp/ad
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/system-deps.sh
scripts/venv.sh local
exec .venv/bin/agentdesk "$@"
