"""The real kubectl against the fake API server: discovery, apply, get, logs -f, delete."""

from __future__ import annotations

import json
import subprocess
import time

import yaml

from fake_apiserver.fixture import kubectl

PYTORCHJOB = {
    "apiVersion": "kubeflow.org/v1", "kind": "PyTorchJob",
    "metadata": {"name": "demo", "labels": {"summlaunch.dev/job": "demo"}},
    "spec": {"pytorchReplicaSpecs": {
        role: {"replicas": n, "restartPolicy": "OnFailure", "template": {
            "metadata": {"labels": {"summlaunch.dev/job": "demo"}},
            "spec": {"containers": [{"name": "pytorch", "image": "summlaunch/torch:test",
                                     "command": ["torchrun", "-m", "summtrain"]}]}}}
        for role, n in (("Master", 1), ("Worker", 2))}},
}


def _write(tmp_path, obj) -> str:
    path = tmp_path / f"{obj['metadata']['name']}.yaml"
    path.write_text(yaml.safe_dump(obj))
    return str(path)


def test_apply_get_delete_pytorchjob(fake_cluster, tmp_path):
    path = _write(tmp_path, PYTORCHJOB)
    assert "pytorchjob.kubeflow.org/demo created" in kubectl(fake_cluster, "apply", "-f", path).stdout
    assert "unchanged" in kubectl(fake_cluster, "apply", "-f", path).stdout
    got = json.loads(kubectl(fake_cluster, "get", "pytorchjob", "demo", "-o", "json").stdout)
    assert got["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 2
    assert any(("POST", "/apis/kubeflow.org/v1/namespaces/default/pytorchjobs") == r[:2]
               and "fieldValidation=Strict" in r[2] for r in fake_cluster.requests)
    deleted = kubectl(fake_cluster, "delete", "-f", path).stdout
    assert 'pytorchjob.kubeflow.org "demo" deleted' in deleted
    assert fake_cluster.list("pytorchjobs") == []


def test_apply_changes_a_job_and_a_configmap(fake_cluster, tmp_path):
    path = _write(tmp_path, PYTORCHJOB)
    kubectl(fake_cluster, "apply", "-f", path)
    changed = json.loads(json.dumps(PYTORCHJOB))
    changed["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] = 3
    assert "configured" in kubectl(fake_cluster, "apply", "-f", _write(tmp_path, changed)).stdout
    assert fake_cluster.get("pytorchjobs", "demo")["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 3
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "cfg"}, "data": {"a": "1", "b": "2"}}
    kubectl(fake_cluster, "apply", "-f", _write(tmp_path, cm))
    cm["data"] = {"a": "3"}
    kubectl(fake_cluster, "apply", "-f", _write(tmp_path, cm))
    assert fake_cluster.get("configmaps", "cfg")["data"] == {"a": "3"}


def test_server_side_apply(fake_cluster, tmp_path):
    path = _write(tmp_path, PYTORCHJOB)
    out = kubectl(fake_cluster, "apply", "--server-side", "-f", path).stdout
    assert "serverside-applied" in out
    assert fake_cluster.get("pytorchjobs", "demo")["metadata"]["name"] == "demo"


def test_invalid_job_is_rejected_with_the_field(fake_cluster, tmp_path):
    bad = json.loads(json.dumps(PYTORCHJOB))
    bad["spec"]["pytorchReplicaSpecs"]["Master"]["replicas"] = "one"
    result = kubectl(fake_cluster, "apply", "-f", _write(tmp_path, bad), check=False)
    assert result.returncode != 0
    assert "spec.pytorchReplicaSpecs.Master.replicas" in result.stderr
    unknown = json.loads(json.dumps(PYTORCHJOB))
    unknown["spec"]["pytorchReplicaSpec"] = {}
    result = kubectl(fake_cluster, "apply", "-f", _write(tmp_path, unknown), check=False)
    assert result.returncode != 0
    assert 'unknown field "spec.pytorchReplicaSpec"' in result.stderr
    assert fake_cluster.list("pytorchjobs") == []


def test_create_twice_is_already_exists(fake_cluster, tmp_path):
    path = _write(tmp_path, PYTORCHJOB)
    kubectl(fake_cluster, "create", "-f", path)
    result = kubectl(fake_cluster, "create", "-f", path, check=False)
    assert result.returncode == 1
    assert 'pytorchjobs.kubeflow.org "demo" already exists' in result.stderr


def test_missing_crd_is_reported_by_kubectl(fake_cluster_factory, tmp_path):
    fake = fake_cluster_factory(installed_crds=())
    result = kubectl(fake, "apply", "-f", _write(tmp_path, PYTORCHJOB), check=False)
    assert result.returncode != 0
    assert 'no matches for kind "PyTorchJob" in version "kubeflow.org/v1"' in result.stderr
    assert "pytorchjobs" not in kubectl(fake, "api-resources").stdout


def test_discovery_lists_crds_and_core_kinds(fake_cluster):
    resources = kubectl(fake_cluster, "api-resources", "-o", "name").stdout.split()
    for name in ("pods", "events", "secrets", "persistentvolumeclaims", "pytorchjobs.kubeflow.org",
                 "tfjobs.kubeflow.org", "jobsets.jobset.x-k8s.io", "trainjobs.trainer.kubeflow.org"):
        assert name in resources
    assert "kubeflow.org/v1" in kubectl(fake_cluster, "api-versions").stdout.split()


def test_logs_follow_of_an_operator_pod(fake_cluster, tmp_path):
    fake_cluster.kubelet.script("demo-master-0", lines=[(0.05, f"step {i}") for i in range(20)])
    kubectl(fake_cluster, "apply", "-f", _write(tmp_path, PYTORCHJOB))
    deadline = time.monotonic() + 10
    while fake_cluster.get("pods", "demo-master-0").get("status", {}).get("phase") != "Running":
        assert time.monotonic() < deadline, "the master pod never ran"
        time.sleep(0.05)
    out = kubectl(fake_cluster, "logs", "-f", "demo-master-0", timeout=30).stdout
    assert out.splitlines() == [f"step {i}" for i in range(20)]
    tail = kubectl(fake_cluster, "logs", "demo-master-0", "--tail", "2", "--timestamps").stdout.splitlines()
    assert [line.split(" ", 1)[1] for line in tail] == ["step 18", "step 19"]


def test_unreachable_context_fails_fast(fake_cluster):
    start = time.monotonic()
    result = kubectl(fake_cluster, "--context", "unreachable", "get", "pods", check=False, timeout=30)
    assert result.returncode != 0
    assert "connection refused" in result.stderr
    assert time.monotonic() - start < 15


def test_kubectl_wait_sees_job_success(fake_cluster, tmp_path):
    kubectl(fake_cluster, "apply", "-f", _write(tmp_path, PYTORCHJOB))
    out = kubectl(fake_cluster, "wait", "--for=condition=Succeeded", "pytorchjob/demo", "--timeout=20s",
                  timeout=30).stdout
    assert "condition met" in out
    pods = kubectl(fake_cluster, "get", "pods", "-l", "training.kubeflow.org/job-name=demo", "-o", "name").stdout
    assert sorted(pods.split()) == ["pod/demo-master-0", "pod/demo-worker-0", "pod/demo-worker-1"]


def test_tools_install_the_pinned_kubectl_and_helm():
    from support.tools import helm_path, kubectl_path

    def output(*argv):
        return subprocess.run(argv, capture_output=True, text=True, check=True).stdout
    assert "Client Version: v1.35." in output(kubectl_path(), "version", "--client")
    assert "Client Version: v1.34." in output(kubectl_path(3), "version", "--client")
    assert 'Version:"v4.' in output(helm_path(), "version")
    assert 'Version:"v3.19.' in output(helm_path(3), "version")


def test_schemaless_crd_and_real_schema_errors_in_a_multi_document_file(fake_cluster_factory, tmp_path):
    fake = fake_cluster_factory(namespaces=("default", "ml"))
    fake.install_schemaless_crd("container.cnrm.cloud.google.com/v1beta1", "ContainerNodePool", "containernodepools")
    pool = {"apiVersion": "container.cnrm.cloud.google.com/v1beta1", "kind": "ContainerNodePool",
            "metadata": {"name": "pool-0", "namespace": "ml"}, "spec": {"anything": {"goes": 1}}}
    job = json.loads(json.dumps(PYTORCHJOB))
    job["metadata"]["namespace"] = "ml"
    job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["args"] = ["--lr", 0.0003]
    path = tmp_path / "all.yaml"
    path.write_text(yaml.safe_dump_all([pool, job]))
    result = kubectl(fake, "apply", "-f", str(path), check=False)
    assert "containernodepool.container.cnrm.cloud.google.com/pool-0 created" in result.stdout
    assert 'The PyTorchJob "demo" is invalid: spec.pytorchReplicaSpecs.Master.template.spec.containers[0].args[1]' \
        in result.stderr


def test_get_prints_server_side_columns(fake_cluster, tmp_path):
    fake_cluster.kubelet.script("demo-*", hold=True)
    fake_cluster.kubelet.script("demo-worker-0", image_pull_error="not found")  # the newest script wins
    kubectl(fake_cluster, "apply", "-f", _write(tmp_path, PYTORCHJOB))
    wait_for_status = time.monotonic() + 10
    while "ImagePullBackOff" not in kubectl(fake_cluster, "get", "pods").stdout:
        assert time.monotonic() < wait_for_status, "no ImagePullBackOff in kubectl get pods"
        time.sleep(0.1)
    rows = {line.split()[0]: line.split() for line in kubectl(fake_cluster, "get", "pods").stdout.splitlines()}
    assert rows["NAME"] == ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    assert rows["demo-worker-0"][1:4] == ["0/1", "ImagePullBackOff", "0"]
    jobs = kubectl(fake_cluster, "get", "pytorchjobs").stdout.splitlines()
    assert jobs[0].split() == ["NAME", "STATE", "AGE"] and jobs[1].split()[:2] == ["demo", "Running"]
    events = kubectl(fake_cluster, "get", "events", "--field-selector", "involvedObject.name=demo-worker-0").stdout
    assert "Failed to pull image" in events and "pod/demo-worker-0" in events
