"""status, list, delete and logs (without -f) against the fake API server, for every job kind."""

import json

import pytest
import yaml
from summtrain.progress_record import format_record

from .jobs import KINDS, create_job
from .scripted import wait_for


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_list_status_delete_every_kind(fake, cli, kind):
    fake.kubelet.script("run-a-*", hold=True)
    create_job(fake, "run-a", kind)
    listed = cli("list")
    assert listed.code == 0, listed
    header, row = listed.out.splitlines()
    assert header.split() == ["NAME", "KIND", "STATE", "AGE"]
    assert row.split()[:3] == ["run-a", {"pytorchjob": "PyTorchJob", "tfjob": "TFJob", "jobset": "JobSet",
                                         "trainjob": "TrainJob", "job": "Job"}[kind], row.split()[2]]
    assert row.split()[2] in ("Pending", "Created", "Running")
    status = cli("status", "run-a", "-o", "json")
    assert status.code == 0, status
    assert json.loads(status.out)["state"] in ("Pending", "Created", "Running")
    label = "jobset.sigs.k8s.io/jobset-name" if kind == "trainjob" else "summlaunch.dev/job"
    wait_for(lambda: fake.list("pods", selector=f"{label}=run-a"), what="pods")
    assert [r["replica"] for r in json.loads(cli("status", "run-a", "-o", "json").out)["replicas"]]
    deleted = cli("delete", "run-a")
    assert deleted.code == 0, deleted
    assert fake.list("pods", selector=f"{label}=run-a") == []
    assert cli("list").out.strip() == "No summlaunch jobs in namespace default."


def test_list_all_namespaces_and_formats(fake, cli, pods):
    fake.store.create(fake.namespaces, {"metadata": {"name": "team"}, "status": {"phase": "Active"}})
    fake.kubelet.script("two-*", unschedulable="0/1 nodes are available")
    fake.kubelet.script("one-*", hold=True)
    create_job(fake, "one")
    create_job(fake, "two", namespace="team")
    wait_for(lambda: "Running" in [c["type"] for c in fake.get("pytorchjobs", "one").get("status", {}).get(
        "conditions", []) if c["status"] == "True"], what="job one running")
    table = cli("list", "-A").out.splitlines()
    assert table[0].split() == ["NAMESPACE", "NAME", "KIND", "STATE", "AGE"]
    assert [r.split()[:4] for r in table[1:]] == [["default", "one", "PyTorchJob", "Running"],
                                                  ["team", "two", "PyTorchJob", "Created"]]
    rows = yaml.safe_load(cli("list", "-n", "team", "-o", "yaml").out)
    assert [r["name"] for r in rows] == ["two"]


def test_list_ignores_jobs_not_made_by_summlaunch(fake, cli):
    job = create_job(fake, "mine")
    foreign = {k: v for k, v in job.items() if k in ("apiVersion", "kind", "spec")}
    foreign["metadata"] = {"name": "theirs", "namespace": "default"}
    from summlaunch.cluster.client import Cluster
    Cluster.connect(fake.kubeconfig).create(foreign, "default")
    assert [line.split()[0] for line in cli("list").out.splitlines()[1:]] == ["mine"]


def test_list_shows_jobs_installed_by_the_helm_chart(fake, cli):
    job = create_job(fake, "rendered")
    charted = {k: v for k, v in job.items() if k in ("apiVersion", "kind", "spec")}
    labels = {k: v for k, v in job["metadata"]["labels"].items()}
    labels.update({"app.kubernetes.io/managed-by": "Helm", "helm.sh/chart": "summlaunch-0.1.0",
                   "app.kubernetes.io/instance": "charted", "summlaunch.dev/job": "charted"})
    charted["metadata"] = {"name": "charted", "namespace": "default", "labels": labels}
    from summlaunch.cluster.client import Cluster
    Cluster.connect(fake.kubeconfig).create(charted, "default")
    assert sorted(line.split()[0] for line in cli("list").out.splitlines()[1:]) == ["charted", "rendered"]


def test_status_shows_replicas_events_and_progress(fake, cli, pods):
    fake.kubelet.script("s1-worker-*", unschedulable="0/4 nodes are available: 4 Insufficient nvidia.com/gpu.")
    fake.kubelet.script("s1-master-*", hold=True, lines=[
        "loading model", " 25%|##5       | 50/200 [00:30<01:30,  1.67it/s]",  # human text: not read
        format_record("train", step=50, max_steps=200, epoch=0.25, loss=2.5, learning_rate=4e-05, elapsed_s=30.0),
        format_record("eval", step=50, max_steps=200, epoch=0.25,
                      metrics={"eval_loss": 2.1, "eval_rouge1": 0.31, "eval_rouge2": 0.12, "eval_rougeL": 0.28})])
    create_job(fake, "s1")
    wait_for(lambda: "eval_rouge1" in fake.pod_log("s1-master-0"), what="master log")
    wait_for(lambda: fake.events(involved="s1-worker-0"), what="scheduling event")
    report = json.loads(cli("status", "s1", "-o", "json").out)
    assert report["state"] == "Running" and report["kind"] == "PyTorchJob"
    assert [(r["replica"], r["phase"]) for r in report["replicas"]] == [("master-0", "Running"), ("worker-0", "Pending")]
    assert "Insufficient nvidia.com/gpu" in report["replicas"][1]["reason"]
    assert any("FailedScheduling" in e["text"] for e in report["events"])
    progress = report["progress"]
    assert (progress["step"], progress["max_steps"], progress["loss"]) == (50, 200, 2.5)
    assert progress["rouge"]["rouge1"] == 0.31 and progress["eta_s"] == 90
    table = cli("status", "s1").out
    for expected in ("PyTorchJob default/s1: Running", "master-0", "worker-0", "FailedScheduling",
                     "step 50/200 (25%)", "rouge1 0.3100", "ETA 1m30s"):
        assert expected in table, table
    assert yaml.safe_load(cli("status", "s1", "-o", "yaml").out)["name"] == "s1"


def test_delete_removes_pods_and_side_objects_but_keeps_pvc(fake, cli, pods):
    fake.kubelet.script("d1-*", hold=True)
    create_job(fake, "d1", pvc_size="1Gi")
    fake.kubelet.script("d1-*", hold=True)
    wait_for(lambda: fake.list("pods", selector="summlaunch.dev/job=d1"), what="pods")
    assert fake.list("persistentvolumeclaims")
    result = cli("delete", "d1")
    assert result.code == 0, result
    assert fake.list("pods", selector="summlaunch.dev/job=d1") == []
    assert fake.list("pytorchjobs") == []
    assert [p["metadata"]["name"] for p in fake.list("persistentvolumeclaims")] == ["d1-workspace"]


def test_delete_pvc_on_request(fake, cli):
    create_job(fake, "d2", pvc_size="1Gi")
    assert cli("delete", "d2", "--delete-pvc").code == 0
    assert fake.list("persistentvolumeclaims") == []


def test_logs_without_follow_merges_replicas(fake, cli, pods):
    fake.kubelet.script("l1-master-*", lines=[(0.0, "m1"), (0.3, "m2")], hold=True)
    fake.kubelet.script("l1-worker-*", lines=[(0.15, "w1")], hold=True)
    create_job(fake, "l1")
    wait_for(lambda: "m2" in fake.pod_log("l1-master-0") and "w1" in fake.pod_log("l1-worker-0"), what="logs")
    result = cli("logs", "l1")
    assert result.code == 0, result
    assert result.out.splitlines() == ["[master-0] m1", "[worker-0] w1", "[master-0] m2"]
    assert cli("logs", "l1", "--replica", "worker").out.splitlines() == ["[worker-0] w1"]
    assert cli("logs", "l1", "--tail", "1").out.splitlines() == ["[worker-0] w1", "[master-0] m2"]
    assert cli("logs", "l1", "--since", "1h").code == 0
    bad = cli("logs", "l1", "--since", "soon")
    assert bad.code == 2 and "--since" in bad.err
