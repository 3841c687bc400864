#!/usr/bin/env bash
# Create (or update) the main test virtualenv: the launcher, the torch training stack and the
# test tools, at the versions in constraints-torch.txt. Idempotent.
# PyPI's torch for Linux is the CUDA build: ~3.7 GB of wheels with its nvidia-* libraries (it runs
# on the CPU too). They are kept in a wheel cache outside the checkout (tests/setup/_wheels.sh),
# so only the first run on a machine downloads them.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${SUMMLAUNCH_VENV:-$root/.venv}"
constraints="$here/constraints-torch.txt"
# shellcheck source=tests/setup/_wheels.sh
. "$here/_wheels.sh"
wheels=$(wheel_cache torch)
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip
fill_wheel_cache "$venv/bin/python" "$wheels" -r "$constraints"
"$venv/bin/python" -m pip install -q --find-links "$wheels" -c "$constraints" -e "$root[torch,dev]"
echo "torch venv ready: $venv"
