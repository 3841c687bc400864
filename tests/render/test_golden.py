"""Every tests/cases/*.yaml through `summlaunch render`: output equals its golden, every object valid.

`pytest tests/render --update-goldens` rewrites the goldens; review the diff.
"""

from __future__ import annotations

import difflib

import pytest
import yaml

from ._support import GOLDEN, case_argv, case_names, object_errors, run_cli


def _golden_path(name: str, objects: list[dict]):
    from summlaunch.objects import kinds

    job = [o for o in objects if kinds.by_api(o["apiVersion"], o["kind"])][-1]
    return GOLDEN / job["kind"].lower() / f"{name}.yaml"


@pytest.mark.parametrize("name", case_names())
def test_case_matches_golden(name, request):
    code, out, err = run_cli(case_argv(name))
    assert code == 0, err
    objects = [d for d in yaml.safe_load_all(out) if d is not None]
    path = _golden_path(name, objects)
    if request.config.getoption("--update-goldens"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(out)
        return
    assert path.is_file(), f"no golden {path}: run pytest tests/render --update-goldens"
    expected = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    if objects != expected:
        diff = difflib.unified_diff(path.read_text().splitlines(), out.splitlines(), str(path), "rendered", lineterm="")
        pytest.fail("rendered objects differ from the golden:\n" + "\n".join(diff))


@pytest.mark.parametrize("name", case_names())
def test_every_object_is_schema_valid(name):
    code, out, err = run_cli(case_argv(name))
    assert code == 0, err
    for obj in yaml.safe_load_all(out):
        if obj is None:
            continue
        errors = object_errors(obj)
        assert errors == [], f"{obj['kind']}/{obj['metadata']['name']}: {errors}"
