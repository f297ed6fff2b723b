#!/usr/bin/env bash
# Creates (if needed) the project's virtual environment in .venv and installs
# AgentDesk into it from this checkout with the extras given as arguments.
# Usage: scripts/venv.sh [EXTRA ...]     e.g. scripts/venv.sh dev
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if ! "$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "AgentDesk needs Python 3.11 or newer (found: $("$PYTHON" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  echo "creating the virtual environment in .venv"
  "$PYTHON" -m venv .venv
fi

extras=$(IFS=,; echo "$*")
target="."
[ -n "$extras" ] && target=".[${extras}]"
# Say so before the long, silent step: without a cached wheel, installing the
# "local" extra compiles llama.cpp from source.
case ",$extras," in
  *,local,*)
    if ! .venv/bin/python -c 'import llama_cpp' >/dev/null 2>&1; then
      echo "first run compiles the llama.cpp engine: this takes several minutes" \
           "(about 6 on 2 cores); later runs reuse it"
    fi ;;
esac
# Portable llama.cpp build (the native one crashes on some CPUs); pip caches
# the built wheel, so only the first install pays for the build.
export CMAKE_ARGS=${CMAKE_ARGS:-"-DGGML_NATIVE=OFF -DGGML_AVX512=OFF -DGGML_AMX_INT8=OFF -DGGML_AMX_TILE=OFF"}
.venv/bin/python -m pip install --quiet -e "$target"
# The app's bytecode, as an installed app has it (pip compiled the libraries):
# the first start, and every start where PYTHONDONTWRITEBYTECODE is set, would
# otherwise compile ~100 modules from source (~150 ms; docs/PERFORMANCE.md).
.venv/bin/python -m compileall -q app
