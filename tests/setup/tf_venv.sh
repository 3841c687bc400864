#!/usr/bin/env bash
# Create (or update) the TensorFlow training stack's virtualenv: tensorflow + tf-keras +
# transformers 4.x (the newest line with TF model classes), pinned in constraints-tf.txt, plus
# pytest; summtrain itself goes in editable with --no-deps, and torch must NOT be there (the TF
# back end runs without it). Idempotent: a second run only checks the pins (~2 s).
# Venv path: $SUMMLAUNCH_TF_VENV, default ./.venv-tf at the top of the checkout.
# First run: ~80 s, ~2.6 GB.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${SUMMLAUNCH_TF_VENV:-$root/.venv-tf}"
constraints="$here/constraints-tf.txt"
# shellcheck source=tests/setup/_wheels.sh
. "$here/_wheels.sh"
wheels=$(wheel_cache tf)
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
up_to_date() {
    "$venv/bin/python" - "$constraints" <<'PY' 2>/dev/null
import sys
from importlib.metadata import version
for line in open(sys.argv[1]):
    pin = line.split("#")[0].strip()
    if "==" in pin:
        name, want = pin.split("==")
        if version(name) != want:
            sys.exit(1)
import summtrain  # noqa: F401  (the project is installed)
PY
}
if up_to_date; then
    echo "tf venv already up to date: $venv"
else
    # (the local index mirrors make pip warn once per package; drop that noise, keep errors)
    pip_install() {
        "$venv/bin/python" -m pip install -q --find-links "$wheels" "$@" 2> >(grep -v "is ignored: it is neither" >&2)
    }
    pip_install --upgrade pip
    fill_wheel_cache "$venv/bin/python" "$wheels" -r "$constraints"
    pip_install -c "$constraints" tensorflow tf-keras transformers datasets huggingface_hub \
        tokenizers safetensors rouge_score PyYAML pytest
    pip_install --no-deps -e "$root"
    up_to_date || { echo "error: the TF venv $venv does not match $constraints" >&2; exit 1; }
fi
if "$venv/bin/python" -c "import torch" 2>/dev/null; then
    echo "error: torch is installed in $venv; the TF stack must run without it" >&2
    exit 1
fi
echo "tf venv ready: $venv"
