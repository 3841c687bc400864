"""`helm template` with the values of `summlaunch render --helm-values` gives the objects of `summlaunch render`.

Every tests/cases/*.yaml (every framework, single and multi node, TPU sizes and multislice,
TrainJob, a run file, every optional field), with helm 4 and helm 3.19. Objects are compared
parsed, after removing the chart-only metadata documented in _support.py; a failure prints a
YAML diff.
"""

from __future__ import annotations

import pytest

from tests.render._support import case_names

from ._support import comparable, diff_objects, render_case, case_values


@pytest.mark.parametrize("name", case_names())
def test_chart_gives_the_objects_of_render(helm, name, tmp_path):
    expected = render_case(name)
    actual = comparable(helm.objects(case_values(name), tmp_path))
    diff = diff_objects(expected, actual)
    assert not diff, f"{helm.version}: chart and render differ for case {name}:\n{diff}"


@pytest.mark.parametrize("name", case_names())
def test_release_name_and_namespace_do_not_leak_when_values_set_them(helm, name, tmp_path):
    """name/namespace from the values win over the release name and `helm -n`."""
    expected = render_case(name)
    actual = comparable(helm.objects(case_values(name), tmp_path, "-n", "elsewhere", release="other-release"))
    assert not diff_objects(expected, actual)
