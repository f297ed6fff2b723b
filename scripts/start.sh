#!/usr/bin/env bash
# Sets up AgentDesk in .venv (first run only takes long) and starts it.
# Extra arguments are passed to agentdesk, e.g. scripts/start.sh --home /tmp/ad
set -euo pipefail
cd "$(dirname "$0")/.."
echo "1/3 system libraries…"
scripts/system-deps.sh
echo "2/3 Python environment…"
scripts/venv.sh local
echo "3/3 starting AgentDesk"
exec .venv/bin/agentdesk "$@"
