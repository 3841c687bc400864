"""Shared pytest options. `pytest --update-goldens` rewrites golden files; review the diff."""

import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))  # `from support import crds`


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true", default=False,
                     help="rewrite golden files from the current output instead of comparing")


# Test modules of a stack that is not installed in this interpreter are not even collected:
# each stack's suite runs in its own virtualenv (see tests/run_all.sh).
def _missing(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


collect_ignore_glob = []
if _missing("tensorflow"):
    collect_ignore_glob.append("backends/test_tf*.py")
if _missing("torch_xla"):
    collect_ignore_glob.append("backends/test_xla*.py")
