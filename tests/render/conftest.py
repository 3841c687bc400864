import pytest

from summlaunch import render

from . import test_hostile
from ._support import case_argv, case_names, run_cli

from fake_apiserver.fixture import fake_cluster, fake_cluster_factory  # noqa: F401  (pytest fixtures)


@pytest.fixture(autouse=True)
def _private_summlaunch_cache(tmp_path_factory, monkeypatch):
    """Renders must not depend on this user's ~/.cache/summlaunch (recorded image digests)."""
    monkeypatch.setenv("SUMMLAUNCH_CACHE", str(tmp_path_factory.getbasetemp() / "summlaunch-cache"))


@pytest.fixture(scope="module")
def template_calls():
    """(origin, template name, context) of every template call made by every case in tests/cases
    (origin "case") and every spec of test_hostile.py (origin "hostile")."""
    calls = []
    original = render.template_text
    origin = "case"

    def record(name, context):
        calls.append((origin, name, context))
        return original(name, context)

    render.template_text = record
    try:
        for name in case_names():
            code, _, err = run_cli(case_argv(name))
            assert code == 0, err
        origin = "hostile"
        for kind, framework, tpu in test_hostile.CASES:
            for make in (test_hostile._placeholder, test_hostile._hostile):
                render.render(test_hostile._spec(kind, framework, tpu, make))
    finally:
        render.template_text = original
    return calls
