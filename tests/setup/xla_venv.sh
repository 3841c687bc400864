#!/usr/bin/env bash
# Create (or update) the PyTorch/XLA test virtualenv: torch + torch-xla of the same minor
# version, transformers, and summtrain (editable, with the `xla` and `dev` extras), at the
# versions in constraints-xla.txt. Idempotent: a second run only checks the pins.
# Venv path: $SUMMLAUNCH_XLA_VENV, default ./.venv-xla at the top of the checkout.
# First run on a machine downloads ~4.2 GB (torch 2.9.0 CUDA build + nvidia libraries) into the
# wheel cache (tests/setup/_wheels.sh) and takes minutes; later runs install from the cache.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${SUMMLAUNCH_XLA_VENV:-$root/.venv-xla}"
constraints="$here/constraints-xla.txt"
# shellcheck source=tests/setup/_wheels.sh
. "$here/_wheels.sh"
wheels=$(wheel_cache xla)
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
pip_install() { "$venv/bin/python" -m pip install -q --find-links "$wheels" "$@"; }
if "$venv/bin/python" - "$here/constraints-xla.txt" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
pins = [l.split("#")[0].strip() for l in open(sys.argv[1])]
for pin in filter(None, pins):
    name, want = pin.split("==")
    if version(name) != want:
        sys.exit(1)
import summtrain  # noqa: F401  (the project is installed)
PY
then
    echo "xla venv already up to date: $venv"
    exit 0
fi
pip_install --upgrade pip
fill_wheel_cache "$venv/bin/python" "$wheels" -r "$constraints"
pip_install -c "$constraints" -e "$root[xla,dev]"
echo "xla venv ready: $venv"
