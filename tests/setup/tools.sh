#!/usr/bin/env bash
# Install the pinned kubectl and helm binaries into the tools cache (idempotent; fast when cached).
# Usage: tests/setup/tools.sh [python]   (default /work/venv-torch/bin/python, else python3)
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
python=${1:-$( [ -x /work/venv-torch/bin/python ] && echo /work/venv-torch/bin/python || echo python3 )}
"$python" "$here/support/tools.py"
