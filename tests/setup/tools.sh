#!/usr/bin/env bash
# Install the pinned kubectl and helm binaries into the tools cache (idempotent; fast when cached).
# Usage: tests/setup/tools.sh [python]   (default: the repository's .venv/bin/python, else python3)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
root="$(cd "$(dirname "$0")/../.." && pwd)"
python=${1:-$( [ -x "$root/.venv/bin/python" ] && echo "$root/.venv/bin/python" || echo python3 )}
"$python" "$here/support/tools.py"
