"""`helm lint --strict` is clean, and every object `helm template` makes is schema-valid.

The job objects go through the same checks as the render goldens (tests/render/_support.py:
the real CRD schemas of ../shared/crds, kubernetes-validate for core kinds, the node-pool
shape check); the chart-only objects (the helm test Pod, ServiceAccount, Role, RoleBinding)
through kubernetes-validate.
"""

from __future__ import annotations

import pytest

from support import crds
from tests.render._support import case_names, object_errors

from ._support import CHART, case_values, split_chart_only


def test_lint_strict_is_clean(helm):
    result = helm.run("lint", "--strict", str(CHART))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout and "[ERROR]" not in result.stdout, result.stdout


@pytest.mark.parametrize("name", ["all-options", "tpu-v6e-32-multislice", "trainjob"])
def test_lint_strict_is_clean_with_case_values(helm, name, tmp_path):
    path = tmp_path / "values.yaml"
    path.write_text(case_values(name))
    result = helm.run("lint", "--strict", str(CHART), "-f", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[WARNING]" not in result.stdout, result.stdout


@pytest.mark.parametrize("name", case_names())
def test_every_object_is_schema_valid(helm, name, tmp_path):
    objects = helm.objects(case_values(name), tmp_path)
    job_objects, chart_only = split_chart_only(objects)
    assert job_objects and {o["kind"] for o in chart_only} == {"Pod", "ServiceAccount", "Role", "RoleBinding"}
    for obj in job_objects:
        assert object_errors(obj) == [], f"{obj['kind']}/{obj['metadata']['name']}"
    for obj in chart_only:
        assert crds.core_errors(obj) == [], f"{obj['kind']}/{obj['metadata']['name']}"


def test_defaults_alone_render_a_valid_job(helm, tmp_path):
    """`helm install my-run charts/summlaunch` with no values at all: one valid PyTorchJob."""
    job_objects, _ = split_chart_only(helm.objects(None, tmp_path, release="my-run"))
    assert [o["kind"] for o in job_objects] == ["PyTorchJob"]
    assert object_errors(job_objects[0]) == []
