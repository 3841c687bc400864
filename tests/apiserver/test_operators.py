"""The fake operators, kubelet and Kueue: pods, env, phases, restarts and scheduling faults."""

from __future__ import annotations

import json

from .helpers import condition, phase, pytorchjob, wait_for


def _env(fake, pod: str, container: int = 0) -> dict:
    spec = fake.get("pods", pod)["spec"]["containers"][container]
    return {e["name"]: e.get("value") for e in spec.get("env", [])}


def _create(fake, obj: dict) -> dict:
    return fake.store.create(fake.resource(obj["kind"].lower() + "s"),
                             {**obj, "metadata": {"namespace": "default", **obj["metadata"]}})


def _reasons(fake, name: str) -> list[str]:
    return [e["reason"] for e in fake.events(involved=name)]


def test_pytorchjob_pods_env_labels_and_success(fake_cluster):
    _create(fake_cluster, pytorchjob(workers=2))
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Succeeded"), what="Succeeded")
    master, worker = _env(fake_cluster, "demo-master-0"), _env(fake_cluster, "demo-worker-1")
    assert (master["RANK"], worker["RANK"], worker["WORLD_SIZE"]) == ("0", "2", "3")
    assert worker["MASTER_ADDR"] == worker["PET_MASTER_ADDR"] == "demo-master-0"
    assert worker["MASTER_PORT"] == "23456" and worker["PET_NNODES"] == "3" and worker["PET_NODE_RANK"] == "2"
    labels = fake_cluster.get("pods", "demo-worker-1")["metadata"]["labels"]
    assert labels["training.kubeflow.org/job-name"] == "demo"
    assert labels["training.kubeflow.org/replica-type"] == "worker"
    assert labels["training.kubeflow.org/replica-index"] == "1"
    assert labels["summlaunch.dev/job"] == "demo"
    job = fake_cluster.get("pytorchjobs", "demo")
    types = [c["type"] for c in job["status"]["conditions"] if c["status"] == "True"]
    assert types == ["Created", "Succeeded"]
    assert job["status"]["replicaStatuses"]["Master"]["succeeded"] == 1
    assert "SuccessfulCreatePod" in _reasons(fake_cluster, "demo")
    service = fake_cluster.get("services", "demo-worker-1")
    assert service["spec"]["clusterIP"] == "None"
    assert service["spec"]["selector"]["training.kubeflow.org/replica-index"] == "1"
    assert {"Scheduled", "Pulling", "Pulled", "Created", "Started"} <= set(_reasons(fake_cluster, "demo-master-0"))


def test_tfjob_tf_config(fake_cluster):
    container = {"name": "tensorflow", "image": "tf", "ports": [{"name": "tfjob-port", "containerPort": 2223}]}
    replica = {"replicas": 2, "restartPolicy": "Never", "template": {"spec": {"containers": [container]}}}
    _create(fake_cluster, {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "tf"},
                           "spec": {"tfReplicaSpecs": {"Chief": {**replica, "replicas": 1}, "Worker": replica}}})
    wait_for(lambda: condition(fake_cluster, "tfjobs", "tf", "Succeeded"), what="TFJob Succeeded")
    config = json.loads(_env(fake_cluster, "tf-worker-1")["TF_CONFIG"])
    assert config["task"] == {"type": "worker", "index": 1}
    assert config["cluster"]["chief"] == ["tf-chief-0.default.svc:2223"]
    assert len(config["cluster"]["worker"]) == 2


def test_jobset_pods_labels_and_completion(fake_cluster):
    template = {"spec": {"parallelism": 2, "completions": 2, "backoffLimit": 0, "template": {"spec": {
        "restartPolicy": "Never", "containers": [{"name": "jax", "image": "jax"}]}}}}
    _create(fake_cluster, {"apiVersion": "jobset.x-k8s.io/v1alpha2", "kind": "JobSet", "metadata": {"name": "tpu"},
                           "spec": {"replicatedJobs": [{"name": "slice", "replicas": 2, "template": template}]}})
    wait_for(lambda: condition(fake_cluster, "jobsets", "tpu", "Completed"), what="JobSet Completed")
    pods = fake_cluster.list("pods", selector="jobset.sigs.k8s.io/jobset-name=tpu")
    assert len(pods) == 4
    one = next(p for p in pods if p["metadata"]["name"].startswith("tpu-slice-1-1-"))
    assert one["metadata"]["labels"]["jobset.sigs.k8s.io/job-index"] == "1"
    assert one["metadata"]["annotations"]["batch.kubernetes.io/job-completion-index"] == "1"
    assert one["spec"]["hostname"] == "tpu-slice-1-1" and one["spec"]["subdomain"] == "tpu"
    assert {"name": "JOB_COMPLETION_INDEX", "value": "1"} in one["spec"]["containers"][0]["env"]
    assert fake_cluster.get("jobsets", "tpu")["status"]["terminalState"] == "Completed"
    assert fake_cluster.get("services", "tpu")["spec"]["selector"] == {"jobset.sigs.k8s.io/jobset-name": "tpu"}


def test_trainjob_nodes_from_the_runtime(fake_cluster):
    node = {"metadata": {}, "spec": {"template": {"spec": {"containers": [{"name": "node", "image": "torch"}]}}}}
    fake_cluster.store.create(fake_cluster.resource("clustertrainingruntimes"), {
        "apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "ClusterTrainingRuntime",
        "metadata": {"name": "torch-distributed"},
        "spec": {"mlPolicy": {"numNodes": 1, "torch": {"numProcPerNode": "auto"}},
                 "template": {"spec": {"replicatedJobs": [{"name": "node", "template": node}]}}}})
    _create(fake_cluster, {"apiVersion": "trainer.kubeflow.org/v1alpha1", "kind": "TrainJob", "metadata": {"name": "tj"},
                           "spec": {"runtimeRef": {"name": "torch-distributed"},
                                    "trainer": {"numNodes": 3, "image": "mine", "command": ["summtrain"]}}})
    wait_for(lambda: condition(fake_cluster, "trainjobs", "tj", "Complete"), what="TrainJob Complete")
    pods = sorted(fake_cluster.list("pods", selector="jobset.sigs.k8s.io/jobset-name=tj"),
                  key=lambda p: p["metadata"]["labels"]["batch.kubernetes.io/job-completion-index"])
    assert len(pods) == 3
    container = pods[2]["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    assert (container["image"], container["command"]) == ("mine", ["summtrain"])
    assert (env["PET_NNODES"], env["PET_NODE_RANK"], env["PET_NPROC_PER_NODE"]) == ("3", "2", "auto")
    assert env["PET_MASTER_ADDR"] == "tj-node-0-0.tj"


def test_kill_restarts_in_place_with_on_failure(fake_cluster):
    fake_cluster.kubelet.script("demo-master-0", lines=lambda ctx: iter([f"attempt {ctx.restart_count}"]),
                                hold=True)
    _create(fake_cluster, pytorchjob())
    wait_for(lambda: fake_cluster.pod_log("demo-master-0") if phase(fake_cluster, "demo-master-0") == "Running"
             else None, what="first attempt logging")
    uid = fake_cluster.get("pods", "demo-master-0")["metadata"]["uid"]
    fake_cluster.kubelet.kill("demo-master-0", exit_code=137)
    wait_for(lambda: fake_cluster.pod_log("demo-master-0") == "attempt 1\n", what="second attempt")
    pod = fake_cluster.get("pods", "demo-master-0")
    status = pod["status"]["containerStatuses"][0]
    assert pod["metadata"]["uid"] == uid and status["restartCount"] == 1
    assert status["lastState"]["terminated"]["exitCode"] == 137
    assert status["lastState"]["terminated"]["reason"] == "Error"
    assert "BackOff" not in _reasons(fake_cluster, "demo-master-0")  # the first restart is immediate


def test_exit_code_policy_recreates_the_pod(fake_cluster):
    attempts = []

    def worker(ctx):  # a recreated pod starts at restartCount 0 again: count attempts here
        attempts.append(ctx.pod["metadata"]["uid"])
        yield "w"
        return 143 if len(attempts) == 1 else 0
    fake_cluster.kubelet.script("demo-worker-0", lines=worker)
    fake_cluster.kubelet.script("demo-master-0", hold=True)
    _create(fake_cluster, pytorchjob(policy="ExitCode"))
    first = wait_for(lambda: fake_cluster.store.find(fake_cluster.pods, "default", "demo-worker-0"), what="pod")
    wait_for(lambda: (fake_cluster.store.find(fake_cluster.pods, "default", "demo-worker-0") or first)
             ["metadata"]["uid"] != first["metadata"]["uid"], what="a new worker pod")
    assert fake_cluster.get("pods", "demo-worker-0")["spec"]["restartPolicy"] == "Never"
    wait_for(lambda: "PyTorchJobRestarting" in _reasons(fake_cluster, "demo"), what="Restarting event")
    wait_for(lambda: len(set(attempts)) == 2, what="the new pod's container")
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Running"), what="Running again")
    types = [c["type"] for c in fake_cluster.get("pytorchjobs", "demo")["status"]["conditions"]]
    assert "Restarting" not in types


def test_exit_code_below_128_fails_the_job(fake_cluster):
    fake_cluster.kubelet.script("demo-worker-0", exit_code=2)
    fake_cluster.kubelet.script("demo-master-0", hold=True)
    _create(fake_cluster, pytorchjob(policy="ExitCode"))
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Failed"), what="Failed")
    failed = next(c for c in fake_cluster.get("pytorchjobs", "demo")["status"]["conditions"] if c["type"] == "Failed")
    assert failed["reason"] == "PyTorchJobFailed" and "1 Worker replica(s) failed" in failed["message"]


def test_unschedulable_then_released(fake_cluster):
    message = "0/3 nodes are available: 3 Insufficient nvidia.com/gpu."
    script = fake_cluster.kubelet.script("demo-*", unschedulable=message)
    _create(fake_cluster, pytorchjob())
    wait_for(lambda: "FailedScheduling" in _reasons(fake_cluster, "demo-master-0"), what="FailedScheduling")
    pod = fake_cluster.get("pods", "demo-master-0")
    assert pod["status"]["phase"] == "Pending"
    scheduled = next(c for c in pod["status"]["conditions"] if c["type"] == "PodScheduled")
    assert (scheduled["status"], scheduled["reason"], scheduled["message"]) == ("False", "Unschedulable", message)
    script.release()
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Succeeded"), what="Succeeded after release")


def test_image_pull_backoff(fake_cluster):
    fake_cluster.kubelet.script("demo-*", image_pull_error="manifest for summlaunch/torch:test not found")
    _create(fake_cluster, pytorchjob())
    wait_for(lambda: "BackOff" in _reasons(fake_cluster, "demo-master-0"), what="BackOff")
    waiting = fake_cluster.get("pods", "demo-master-0")["status"]["containerStatuses"][0]["state"]["waiting"]
    assert waiting["reason"] == "ImagePullBackOff"
    messages = [e["message"] for e in fake_cluster.events(involved="demo-master-0")]
    assert 'Failed to pull image "summlaunch/torch:test": manifest for summlaunch/torch:test not found' in messages
    assert "Error: ErrImagePull" in messages


def test_kueue_hold_then_admit(fake_cluster):
    fake_cluster.controller.hold_admission("demo")
    _create(fake_cluster, pytorchjob())
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Suspended"), what="Suspended")
    job = fake_cluster.get("pytorchjobs", "demo")
    assert job["spec"]["runPolicy"]["suspend"] is True
    assert fake_cluster.list("pods") == []
    pending = next(e for e in fake_cluster.events(involved="demo") if e["reason"] == "Pending")
    assert pending["source"]["component"] == "kueue-admission" and "insufficient" in pending["message"]
    fake_cluster.controller.admit("demo")
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Succeeded"), what="Succeeded after admit")


def test_missing_secret_holds_the_container(fake_cluster):
    job = pytorchjob()
    for spec in job["spec"]["pytorchReplicaSpecs"].values():
        spec["template"]["spec"]["containers"][0]["env"] = [
            {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": "hf-token", "key": "token"}}}]
    seen = {}
    fake_cluster.kubelet.script("demo-master-0", lines=lambda ctx: seen.update(ctx.env) or iter(["ok"]))
    _create(fake_cluster, job)
    wait_for(lambda: "Error: secret \"hf-token\" not found" in
             [e["message"] for e in fake_cluster.events(involved="demo-master-0")], what="config error")
    fake_cluster.store.create(fake_cluster.resource("secrets"), {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "hf-token", "namespace": "default"},
        "data": {"token": "c2VjcmV0"}})
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Succeeded"), what="Succeeded")
    assert seen["HF_TOKEN"] == "secret" and seen["RANK"] == "0"


def test_crash_loop_events_are_aggregated(fake_cluster):
    fake_cluster.kubelet.script("demo-master-0", exit_code=1)
    _create(fake_cluster, pytorchjob())
    wait_for(lambda: (fake_cluster.store.find(fake_cluster.pods, "default", "demo-master-0") or {}).get(
        "status", {}).get("containerStatuses", [{}])[0].get("restartCount", 0) >= 3, what="three restarts")
    backoffs = [e for e in fake_cluster.events(involved="demo-master-0") if e["reason"] == "BackOff"]
    assert len(backoffs) == 1 and backoffs[0]["count"] >= 2  # restarts after the first wait in back-off
    waiting = fake_cluster.get("pods", "demo-master-0")["status"]["containerStatuses"][0]["state"]
    assert "running" in waiting or waiting["waiting"]["reason"] == "CrashLoopBackOff"
