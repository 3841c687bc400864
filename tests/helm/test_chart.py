"""The chart as a package: metadata, documented values, data shared with the launcher, and the
promise of the design: `helm install my-run charts/summlaunch --set gpus=8` gives the objects of
`summlaunch render --name my-run --gpus 8`.
"""

from __future__ import annotations

import json
import re
import tomllib

import pytest
import yaml

from summlaunch.objects.helm_values import helm_values
from summlaunch.jobspec.spec import JobSpec
from tests.render._support import case_names

from ._support import CHART, ROOT, case_values, comparable, diff_objects, parse, split_chart_only
from tests.render._support import run_cli

SCHEMA = json.loads((CHART / "values.schema.json").read_text())
VALUES = yaml.safe_load((CHART / "values.yaml").read_text())

# Every JobSpec field and the chart value(s) it becomes (a new spec field must be added here
# and to summlaunch.objects.helm_values, the chart and its schema).
SPEC_TO_VALUES = {
    "name": ["name"], "image": ["image"], "framework": ["framework"], "kind": ["kind"],
    "namespace": ["namespace"], "nodes": ["nodes"], "gpus_per_node": ["gpus"], "gpu_resource": ["gpuResource"],
    "tpu": ["tpu", "tpuTopology"], "slices": ["slices"], "cpu": ["cpu"], "memory": ["memory"],
    "shm_size": ["shmSize"], "pvc": ["pvc"], "pvc_size": ["pvcSize"], "pvc_access_mode": ["pvcAccessMode"],
    "storage_class": ["storageClass"], "hf_token_secret": ["hfTokenSecret"], "env": ["env"], "labels": ["labels"],
    "annotations": ["annotations"], "node_selector": ["nodeSelector"], "tolerations": ["tolerations"],
    "priority_class": ["priorityClass"], "queue": ["queue"], "service_account": ["serviceAccount"],
    "image_pull_policy": ["imagePullPolicy"], "restart_policy": ["restartPolicy"],
    "backoff_limit": ["backoffLimit"], "active_deadline": ["activeDeadline"],
    "ttl_after_finished": ["ttlAfterFinished"], "runtime": ["runtime"], "accelerate_config": ["accelerateConfig"],
    "gke_cluster": ["gkeCluster"], "gke_location": ["gkeLocation"], "tpu_zone": ["tpuZone"],
    "node_pool": ["nodePool"], "privileged": ["privileged"], "train_args": ["train"],
}
CHART_ONLY_VALUES = {"defaultImages", "gpusPerNode", "helmTest"}


def test_chart_metadata():
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert chart["apiVersion"] == "v2" and chart["name"] == "summlaunch"
    assert chart["appVersion"] == version and chart["version"] == version


def test_every_spec_field_has_a_value_and_every_value_a_schema_entry():
    assert set(SPEC_TO_VALUES) == set(JobSpec._fields)
    mapped = {v for names in SPEC_TO_VALUES.values() for v in names}
    assert mapped | CHART_ONLY_VALUES == set(VALUES) == set(SCHEMA["properties"])
    assert SCHEMA["additionalProperties"] is False


@pytest.mark.parametrize("name", case_names())
def test_helm_values_use_only_chart_values(name):
    values = yaml.safe_load(case_values(name))
    assert set(values) <= set(SCHEMA["properties"]) - CHART_ONLY_VALUES
    assert all(re.fullmatch(r"[a-z][a-zA-Z0-9]*", key) for key in values)  # camelCase


def test_every_value_is_documented():
    """values.yaml: a `## @param` comment per value saying what it does, its default and an example."""
    text = (CHART / "values.yaml").read_text()
    params = dict(re.findall(r"^## @param (\S+) (.*?)(?=^## @param |^[^#\n])", text, re.M | re.S))
    leaves = [f"{k}.{sub}" if isinstance(v, dict) and k == "helmTest" else k
              for k, v in VALUES.items() for sub in (v if isinstance(v, dict) and k == "helmTest" else [None])]
    for leaf in leaves:
        assert leaf in params, f"values.yaml: no `## @param {leaf}`"
        assert "Default:" in params[leaf] and "Example:" in params[leaf], f"values.yaml {leaf}: default/example"
    for key, prop in SCHEMA["properties"].items():
        assert prop.get("description"), f"values.schema.json: {key} has no description"


def test_tpu_table_is_the_launchers():
    """The chart carries a copy of manifests/tpu_types.yaml (a chart cannot read outside itself)."""
    assert (CHART / "files" / "tpu_types.yaml").read_text() == (ROOT / "manifests" / "tpu_types.yaml").read_text(), \
        "charts/summlaunch/files/tpu_types.yaml differs from manifests/tpu_types.yaml: run tests/helm/sync_chart.py"


def test_default_images_are_build_tags_of_each_stack():
    """Without `image`, the chart uses defaultImages: tags `summlaunch build` makes with no pins.

    The tag's hash covers the training package, so it moves with every summtrain change while
    render computes it live; tests/helm/sync_chart.py refreshes the chart's copy (at release).
    Here: each default is a build tag of its own stack (same repository and stack prefix).
    """
    from .sync_chart import default_images

    for stack, current in default_images().items():
        prefix = current.rsplit("-", 1)[0]
        assert re.fullmatch(re.escape(prefix) + r"-[0-9a-f]{16}", VALUES["defaultImages"][stack]), \
            f"values.yaml defaultImages.{stack}: not a {prefix}-<hash> build tag; run tests/helm/sync_chart.py"


SET_FLAGS = {  # helm --set ... == summlaunch render --name my-run ...
    "gpus=8": ["--gpus", "8"],
    "gpus=8,nodes=2": ["--gpus", "8", "--nodes", "2"],
    "gpusPerNode=4,gpus=8": ["--gpus-per-node", "4", "--gpus", "8"],
    "framework=tf,gpus=2": ["--framework", "tf", "--gpus", "2"],
    "framework=accelerate,nodes=2": ["--framework", "accelerate", "--nodes", "2"],
    "tpu=v5e-16": ["--tpu", "v5e-16"],
    "tpu=v6e-8,slices=2,nodePool=false": ["--tpu", "v6e-8", "--slices", "2", "--no-node-pool"],
    "kind=trainjob,gpus=4,hfTokenSecret=hf": ["--kind", "trainjob", "--gpus", "4", "--hf-token-secret", "hf"],
    "cpu=8,pvcSize=100Gi": ["--cpu", "8", "--pvc-size", "100Gi"],
}


@pytest.mark.parametrize("sets", sorted(SET_FLAGS))
def test_set_flags_give_the_objects_of_the_same_render_flags(helm, sets, tmp_path):
    """With the image given on both sides (the default tags are test_default_images_are_the_build_tags')."""
    from .sync_chart import default_images

    image = f"registry.example.com/{default_images()['xla' if 'tpu=' in sets else 'tf' if 'tf' in sets else 'torch']}"
    code, out, err = run_cli(["render", "--name", "my-run", "--image", image, *SET_FLAGS[sets]])
    assert code == 0, err
    actual = comparable(helm.objects(None, tmp_path, "--set", sets, "--set", f"image={image}", release="my-run"))
    diff = diff_objects(parse(out), actual)
    assert not diff, f"{helm.version} --set {sets}:\n{diff}"


def test_no_values_at_all_is_render_with_no_flags(helm, tmp_path):
    """`helm install my-run charts/summlaunch` == `summlaunch render --name my-run --image <the chart's default>`."""
    code, out, err = run_cli(["render", "--name", "my-run", "--image", VALUES["defaultImages"]["torch"]])
    assert code == 0, err
    assert not diff_objects(parse(out), comparable(helm.objects(None, tmp_path, release="my-run")))


def test_helm_values_round_trip_every_case_through_json():
    """helm_values is plain data (str, int, bool, list, dict), so -o json values work as well."""
    spec = JobSpec(name="x", image="i")
    assert json.loads(json.dumps(helm_values(spec))) == helm_values(spec)


@pytest.mark.parametrize("name", ["all-options", "tpu-v5p-16-no-node-pool"])
def test_helm_test_hook_checks_exactly_the_job_objects(helm, name, tmp_path):
    objects = helm.objects(case_values(name), tmp_path)
    job_objects, chart_only = split_chart_only(objects)
    pod = next(o for o in chart_only if o["kind"] == "Pod")
    assert pod["metadata"]["annotations"]["helm.sh/hook"] == "test"
    role = next(o for o in chart_only if o["kind"] == "Role")
    named = {(r["apiGroups"][0], r["resources"][0], r["resourceNames"][0]) for r in role["rules"]}
    plural = {"PyTorchJob": "pytorchjobs", "TFJob": "tfjobs", "JobSet": "jobsets", "TrainJob": "trainjobs",
              "ContainerNodePool": "containernodepools", "Service": "services",
              "PersistentVolumeClaim": "persistentvolumeclaims", "ConfigMap": "configmaps"}
    expected = {(o["apiVersion"].rpartition("/")[0], plural[o["kind"]], o["metadata"]["name"]) for o in job_objects}
    assert named == expected
    args = pod["spec"]["containers"][0]["args"]
    assert len([a for a in args if "/" in a and not a.startswith("/")]) == len(expected)
    for obj in chart_only:  # nothing of the test is mistaken for a replica by `summlaunch logs`
        assert "summlaunch.dev/job" not in obj["metadata"]["labels"]


def test_helm_test_can_be_turned_off(helm, tmp_path):
    objects = helm.objects(None, tmp_path, "--set", "helmTest.enabled=false")
    assert split_chart_only(objects)[1] == []
