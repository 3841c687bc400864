#!/usr/bin/env bash
# Create (or update) the main test virtualenv: the launcher, the torch training stack and the
# test tools, at the versions in constraints-torch.txt. Idempotent.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${SUMMLAUNCH_VENV:-$root/.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
"$venv/bin/python" -m pip install -q -c "$here/constraints-torch.txt" -e "$root[torch,dev]"
echo "torch venv ready: $venv"
