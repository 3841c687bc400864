# Sourced by the venv set-up scripts: a wheel cache outside the checkout, so a rerun (or a fresh
# clone on the same machine) does not download the multi-GB torch stacks again. Never required:
# an empty or missing cache is filled from the package index.
#
#   wheel_cache NAME               -> prints the cache folder for stack NAME
#   fill_wheel_cache PY DIR ARGS   -> `pip download` ARGS into DIR (files already there are kept)
#
# Cache root: $SUMMLAUNCH_WHEELS, default ~/.cache/summlaunch/wheels. The image tests reuse the
# torch cache as `summlaunch build --wheelhouse`, so it holds only that stack's wheels.

wheel_cache() {
    local py_tag
    py_tag=$(python3 -c 'import sys; print(f"py{sys.version_info[0]}{sys.version_info[1]}")')
    echo "${SUMMLAUNCH_WHEELS:-$HOME/.cache/summlaunch/wheels}/$1-$py_tag"
}

fill_wheel_cache() {
    local python=$1 dir=$2
    shift 2
    mkdir -p "$dir"
    # --find-links first: pins already in the cache resolve from it and are not fetched again.
    "$python" -m pip download -q --find-links "$dir" -d "$dir" "$@"
}
