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


@pytest.mark.parametrize("name", ["all-options", "tpu-v6e-32-multislice"])
def test_json_values_give_the_same_objects(helm, name, tmp_path):
    """`--helm-values -o json` is a values file too (helm reads JSON as YAML)."""
    from tests.render._support import case_argv, run_cli

    from ._support import parse, values_argv

    code, out, err = run_cli([*values_argv(case_argv(name))[:1], "-o", "json", *values_argv(case_argv(name))[1:]])
    assert code == 0, err
    assert not diff_objects(render_case(name), comparable(helm.objects(out, tmp_path)))
    assert parse(out)[0] == parse(case_values(name))[0]


def test_packaged_chart_renders_the_same(helm, tmp_path):
    """`helm package` (what a chart repository or OCI registry serves) renders as the folder does."""
    from ._support import CHART

    helm.run("package", str(CHART), "-d", str(tmp_path), check=True)
    (package,) = tmp_path.glob("summlaunch-*.tgz")
    values = tmp_path / "values.yaml"
    values.write_text(case_values("tpu-v5e-16"))
    packaged = helm.run("template", "p", str(package), "-f", str(values), check=True).stdout
    folder = helm.run("template", "p", str(CHART), "-f", str(values), check=True).stdout
    assert packaged == folder


# Command lines beyond tests/cases that exercise the chart's other branches.
EXTRA = {
    "accelerate-cpu-2-nodes": ["--framework", "accelerate", "--nodes", "2"],
    "accelerate-trainjob-config": ["--kind", "trainjob", "--framework", "accelerate", "--gpus", "4",
                                   "--accelerate-config", "{cases}/files/accelerate_config.yaml"],
    "tpu-topology-privileged": ["--tpu", "v5e-16", "--tpu-topology", "2x8", "--privileged", "--gke-location",
                                "us-west4", "--toleration", "google.com/tpu:NoSchedule", "--active-deadline", "600",
                                "--ttl-after-finished", "60", "--backoff-limit", "0"],
    "tpu-v4-8-three-slices": ["--tpu", "v4-8", "--slices", "3", "--annotation", "a.example.com/x=y z"],
    "tpu-alias-v5litepod": ["--tpu", "v5litepod-8", "--tpu-zone", "us-central1-a"],
    "tolerations-and-selectors": ["--toleration", "dedicated", "--toleration", "team=nlp", "--node-selector",
                                  "pool=gpu", "--gpus-per-node", "2", "--nodes", "3", "--pvc-size", "10Gi",
                                  "--pvc-access-mode", "ReadWriteOnce"],
    "tf-annotated": ["--framework", "tf", "--gpus", "4", "--nodes", "2", "--annotation", "x=1",
                     "--restart-policy", "Never", "--queue", "q1", "--service-account", "sa"],
}


@pytest.mark.parametrize("extra", sorted(EXTRA))
def test_chart_gives_the_objects_of_render_for_more_command_lines(helm, extra, tmp_path):
    from tests.render._support import CASES, run_cli

    from ._support import parse, values_argv

    argv = ["render", "--name", extra, *[a.replace("{cases}", str(CASES)) for a in EXTRA[extra]],
            "--", "--model_name_or_path", "t5-small", "--do_train"]
    code, out, err = run_cli(argv)
    assert code == 0, err
    code, values, err = run_cli(values_argv(argv))
    assert code == 0, err
    diff = diff_objects(parse(out), comparable(helm.objects(values, tmp_path)))
    assert not diff, f"{helm.version}: chart and render differ for {extra}:\n{diff}"
