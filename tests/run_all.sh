#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian 12 machine (run as root) and run them all:
#   the torch venv (.venv), the TensorFlow venv (.venv-tf), the PyTorch/XLA venv (.venv-xla),
#   a Docker engine with a local base image, and the real helm/kubectl binaries.
# Extra arguments go to every pytest run (e.g. -x, -k name).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
logs="$root/.cache/setup-logs"
mkdir -p "$logs"
export PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONUNBUFFERED=1

step() { printf '\n==> %s\n' "$*"; }

# Slow, independent set-ups run in the background while the main suite runs.
declare -A jobs=()
background() {  # background NAME SCRIPT
  local name=$1 script=$2
  if [ -f "$script" ]; then
    bash "$script" >"$logs/$name.log" 2>&1 &
    jobs[$name]=$!
  fi
}
await() {  # await NAME -> 0 when its set-up succeeded
  local name=$1 pid=${jobs[$1]:-}
  [ -n "$pid" ] || return 1
  if ! wait "$pid"; then
    echo "set-up '$name' failed; its log:" >&2
    tail -n 60 "$logs/$name.log" >&2
    exit 1
  fi
  echo "set-up '$name' done"
}

pytest_run() {  # pytest_run PYTHON ARGS... ; exit code 5 (no tests collected) is a failure too
  local python=$1; shift
  "$python" -m pytest "$@"
}

step "torch virtualenv"
bash tests/setup/torch_venv.sh

background docker tests/setup/docker.sh
background tf tests/setup/tf_venv.sh
background xla tests/setup/xla_venv.sh

step "main suite (launcher, render, cluster, torch back ends)"
pytest_run .venv/bin/python tests -m "not docker and not tf and not xla" "$@"

if [ -n "${jobs[docker]:-}" ]; then
  step "Docker image tests"
  await docker
  bash tests/setup/docker.sh  # idempotent: makes sure the engine still answers
  pytest_run .venv/bin/python tests -m docker "$@"
fi
if [ -n "${jobs[tf]:-}" ]; then
  step "TensorFlow back end"
  await tf
  pytest_run .venv-tf/bin/python tests/backends/test_tf*.py -m tf "$@"
fi
if [ -n "${jobs[xla]:-}" ]; then
  step "PyTorch/XLA back end"
  await xla
  pytest_run .venv-xla/bin/python tests/backends/test_xla*.py -m xla "$@"
fi
if [ -n "${jobs[tf]:-}" ] && [ -n "${jobs[xla]:-}" ]; then
  step "one schema, four back ends (every stack)"
  pytest_run .venv/bin/python tests/backends/test_all_backends.py "$@"
fi
step "all suites passed"
