"""The kind registry: API coordinates, replica counts, and what every pod carries."""

from __future__ import annotations

import pytest

from summlaunch.objects import kinds
from summlaunch import labels as L
from summlaunch.objects.render import render
from summlaunch.jobspec.spec import JobSpec
from summlaunch.jobspec.tpu_types import lookup

from ._support import object_errors


def _spec(kind, framework="torch", **kw):
    return JobSpec(name="job", image="img:1", kind=kind, framework=framework, **kw)


def _pod_specs(obj):
    if obj["kind"] in ("PyTorchJob", "TFJob"):
        key = "pytorchReplicaSpecs" if obj["kind"] == "PyTorchJob" else "tfReplicaSpecs"
        return [r["template"] for r in obj["spec"][key].values()]
    if obj["kind"] == "JobSet":
        return [r["template"]["spec"]["template"] for r in obj["spec"]["replicatedJobs"]]
    patch = obj["spec"]["runtimePatches"][0]["trainingRuntimeSpec"]["template"]["spec"]["replicatedJobs"][0]
    return [patch["template"]["spec"]["template"]]


def test_registry_coordinates():
    expected = {"pytorchjob": ("kubeflow.org/v1", "PyTorchJob", "pytorchjobs"),
                "tfjob": ("kubeflow.org/v1", "TFJob", "tfjobs"),
                "jobset": ("jobset.x-k8s.io/v1alpha2", "JobSet", "jobsets"),
                "trainjob": ("trainer.kubeflow.org/v1alpha1", "TrainJob", "trainjobs")}
    for name, (api, kind, plural) in expected.items():
        k = kinds.get(name)
        assert (k.api_version(), k.kind, k.plural) == (api, kind, plural)
        assert type(kinds.by_api(api, kind)) is type(k)
    assert kinds.by_api("v1", "Service") is None
    assert kinds.get("jobset").pod_selector("run-1") == "summlaunch.dev/job=run-1"
    with pytest.raises(KeyError, match="unknown job kind"):
        kinds.get("mpijob")


@pytest.mark.parametrize("spec,replicas", [
    (_spec("pytorchjob", nodes=3, gpus_per_node=2), {"Master": 1, "Worker": 2}),
    (_spec("pytorchjob"), {"Master": 1}),
    (_spec("tfjob", "tf", nodes=2), {"Chief": 1, "Worker": 1}),
    (_spec("jobset", "xla", tpu=lookup("v5e-16"), nodes=4, slices=2), {"slice": 8}),
    (_spec("trainjob", nodes=4, gpus_per_node=8), {"node": 4}),
])
def test_replicas_of_a_rendered_job(spec, replicas):
    job = render(spec)[-1]
    assert kinds.get(spec.kind).replicas(job) == replicas


@pytest.mark.parametrize("spec", [
    _spec("pytorchjob", nodes=2, gpus_per_node=4, hf_token_secret="tok"),
    _spec("pytorchjob", "accelerate", nodes=2, gpus_per_node=4, hf_token_secret="tok", accelerate_config="a: 1\n"),
    _spec("tfjob", "tf", nodes=2, hf_token_secret="tok"),
    _spec("jobset", "xla", tpu=lookup("v4-16"), nodes=2, hf_token_secret="tok"),
    _spec("trainjob", nodes=2, gpus_per_node=1, hf_token_secret="tok"),
], ids=lambda s: f"{s.kind}-{s.framework}")
def test_every_pod_has_the_shared_pieces(spec):
    objects = render(spec)
    job = objects[-1]
    assert job["metadata"]["labels"][L.JOB] == "job"
    for pod in _pod_specs(job):
        assert pod["metadata"]["labels"][L.JOB] == "job"
        assert L.REPLICA_TYPE in pod["metadata"]["labels"]
        ps = pod["spec"]
        assert ps["securityContext"]["runAsNonRoot"] is True
        assert ps["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
        volumes = {v["name"]: v for v in ps["volumes"]}
        assert volumes["workspace"]["persistentVolumeClaim"]["claimName"] == "summlaunch-workspace"
        assert volumes["dshm"]["emptyDir"] == {"medium": "Memory", "sizeLimit": "8Gi"}
        container = ps["containers"][0]
        assert container["securityContext"]["allowPrivilegeEscalation"] is False
        assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
        mounts = {m["name"]: m["mountPath"] for m in container["volumeMounts"]}
        assert mounts["workspace"] == "/workspace" and mounts["dshm"] == "/dev/shm"
        env = job["spec"]["trainer"]["env"] if spec.kind == "trainjob" else container["env"]
        by_name = {e["name"]: e for e in env}
        assert by_name["HF_HOME"]["value"] == "/workspace/hf-cache"
        assert by_name["HF_TOKEN"] == {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "tok", "key": "token"}}}
        if spec.kind != "trainjob":
            assert container["resources"]["requests"] == container["resources"]["limits"]
    for obj in objects:
        assert object_errors(obj) == []


def test_accelerate_gets_machine_fields_from_the_operator_env():
    spec = _spec("pytorchjob", "accelerate", nodes=2, gpus_per_node=4, accelerate_config="mixed_precision: bf16\n")
    objects = render(spec)
    assert objects[0]["kind"] == "ConfigMap"
    assert objects[0]["data"] == {"config.yaml": "mixed_precision: bf16\n"}
    container = objects[-1]["spec"]["pytorchReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["accelerate", "launch"]
    args = container["args"]
    assert args[:2] == ["--config_file", "/etc/summlaunch/accelerate/config.yaml"]
    pairs = dict(zip(args[2:12:2], args[3:12:2]))
    assert pairs == {"--num_machines": "$(PET_NNODES)", "--machine_rank": "$(PET_NODE_RANK)",
                     "--main_process_ip": "$(PET_MASTER_ADDR)", "--main_process_port": "$(PET_MASTER_PORT)",
                     "--num_processes": "8"}
    rdzv = dict(zip(args[12:18:2], args[13:18:2]))
    assert rdzv["--rdzv_backend"] == "c10d" and rdzv["--max_restarts"] == "3"
    assert rdzv["--rdzv_conf"].startswith("is_host=0,")  # a Worker joins the Master's store
    assert args[18:22] == ["-m", "summtrain", "--backend", "accelerate"]
    assert {"name": "TORCH_DISABLE_SHARE_RDZV_TCP_STORE", "value": "1"} in container["env"]


def _torch_container(job: dict, replica: str) -> dict:
    return job["spec"]["pytorchReplicaSpecs"][replica]["template"]["spec"]["containers"][0]


def test_torchrun_uses_the_operator_env_and_elastic_rendezvous_on_the_master():
    job = render(_spec("pytorchjob", nodes=2, gpus_per_node=4, backoff_limit=5))[-1]
    assert job["spec"]["nprocPerNode"] == "4"
    master, worker = _torch_container(job, "Master"), _torch_container(job, "Worker")
    assert master["name"] == "pytorch" and master["command"] == ["torchrun"]
    assert master["ports"] == [{"name": "pytorchjob-port", "containerPort": 23456}]
    for container, host in ((master, "1"), (worker, "0")):
        args = container["args"]
        flags = dict(zip(args[:10:2], args[1:10:2]))
        assert flags == {"--rdzv_endpoint": "$(PET_MASTER_ADDR):$(PET_MASTER_PORT)", "--rdzv_id": job["metadata"]["name"],
                         "--rdzv_backend": "c10d", "--rdzv_conf": f"is_host={host},join_timeout=1800,read_timeout=300",
                         "--max_restarts": "5"}
        assert args[10:14] == ["-m", "summtrain", "--backend", "trainer"]
        assert {"name": "TORCH_DISABLE_SHARE_RDZV_TCP_STORE", "value": "1"} in container["env"]
    assert master["args"][10:] == worker["args"][10:]


def test_one_node_torchrun_keeps_the_operators_static_rendezvous():
    container = _torch_container(render(_spec("pytorchjob", nodes=1, gpus_per_node=4))[-1], "Master")
    assert container["args"][:4] == ["-m", "summtrain", "--backend", "trainer"]
    assert not any(e["name"] == "TORCH_DISABLE_SHARE_RDZV_TCP_STORE" for e in container["env"])


def test_tpu_pods_and_pools():
    spec = _spec("jobset", "xla", tpu=lookup("v6e-32"), nodes=8, slices=2, gke_cluster="c1")
    objects = render(spec)
    assert [o["kind"] for o in objects] == ["ContainerNodePool", "ContainerNodePool", "Service", "JobSet"]
    jobset = objects[-1]
    assert jobset["metadata"]["annotations"]["alpha.jobset.sigs.k8s.io/exclusive-topology"] == "cloud.google.com/gke-nodepool"
    rjob = jobset["spec"]["replicatedJobs"][0]
    assert rjob["replicas"] == 2
    assert (rjob["template"]["spec"]["parallelism"], rjob["template"]["spec"]["completionMode"]) == (8, "Indexed")
    pod = rjob["template"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"cloud.google.com/gke-tpu-accelerator": "tpu-v6e-slice",
                                   "cloud.google.com/gke-tpu-topology": "4x8"}
    assert pod["containers"][0]["resources"]["limits"]["google.com/tpu"] == 4
    env = {e["name"]: e for e in pod["containers"][0]["env"]}
    assert env["PJRT_DEVICE"]["value"] == "TPU" and env["MEGASCALE_NUM_SLICES"]["value"] == "2"
    pool = objects[0]
    assert pool["spec"]["nodeCount"] == 8 and pool["spec"]["placementPolicy"]["tpuTopology"] == "4x8"
    assert pool["spec"]["nodeConfig"]["machineType"] == "ct6e-standard-4t"
    service = objects[2]
    assert service["spec"]["clusterIP"] == "None" and jobset["spec"]["network"]["subdomain"] == "job"


def test_privileged_is_the_only_exception():
    job = render(_spec("jobset", "xla", tpu=lookup("v5e-4"), privileged=True))[-1]
    container = job["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]["containers"][0]
    assert container["securityContext"] == {"privileged": True}


def test_render_is_pure(monkeypatch, tmp_path):
    spec = _spec("jobset", "xla", tpu=lookup("v5e-16"), nodes=4, slices=2)
    first = render(spec)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("SUMMLAUNCH_CACHE", str(tmp_path / "cache"))
    assert render(spec) == first
    assert list(tmp_path.iterdir()) == []  # nothing written where the process runs


def test_strict_undefined_fails_loudly():
    import jinja2

    from summlaunch.objects.templates import render_template

    with pytest.raises(jinja2.UndefinedError):
        render_template("pytorchjob.yaml.j2", {"name": "x"})
