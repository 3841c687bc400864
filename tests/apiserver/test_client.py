"""The official kubernetes client against the fake API server: CRUD, validation, watch, logs, faults."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timezone

import pytest
from kubernetes import client, config, watch

from .helpers import get_text, phase, pytorchjob, raw, wait_for

GROUP, VERSION, PLURAL = "kubeflow.org", "v1", "pytorchjobs"


@pytest.fixture
def apis(fake_cluster):
    api_client = config.new_client_from_config(config_file=fake_cluster.kubeconfig)
    yield client.CustomObjectsApi(api_client), client.CoreV1Api(api_client)
    api_client.close()


def _status(error: client.ApiException) -> dict:
    return json.loads(error.body)


def test_create_get_list_patch_delete(fake_cluster, apis):
    custom, _ = apis
    created = custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())
    assert created["metadata"]["uid"] and created["metadata"]["resourceVersion"]
    got = custom.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "demo")
    assert got["spec"] == created["spec"]
    listed = custom.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL,
                                                  label_selector="summlaunch.dev/job=demo")
    assert [i["metadata"]["name"] for i in listed["items"]] == ["demo"]
    assert custom.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL,
                                                label_selector="summlaunch.dev/job in (other)")["items"] == []
    patched = custom.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "demo",
                                                    {"metadata": {"labels": {"team": "a"}}})
    assert patched["metadata"]["labels"] == {"summlaunch.dev/job": "demo", "team": "a"}
    custom.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "demo")
    with pytest.raises(client.ApiException) as error:
        custom.get_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "demo")
    assert error.value.status == 404
    assert _status(error.value)["message"] == 'pytorchjobs.kubeflow.org "demo" not found'


def test_deleting_the_job_deletes_its_pods(fake_cluster, apis):
    custom, core = apis
    fake_cluster.kubelet.script("demo-*", hold=True)
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())
    wait_for(lambda: len(core.list_namespaced_pod("default").items) == 2, what="two pods")
    custom.delete_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "demo")
    assert core.list_namespaced_pod("default").items == []


def test_already_exists_and_conflict(fake_cluster, apis):
    custom, _ = apis
    first = custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())
    with pytest.raises(client.ApiException) as error:
        custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())
    assert error.value.status == 409 and _status(error.value)["reason"] == "AlreadyExists"
    custom.patch_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "demo", {"metadata": {"labels": {"x": "1"}}})
    with pytest.raises(client.ApiException) as error:  # PUT with the resourceVersion read before the patch
        custom.replace_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, "demo", first)
    assert error.value.status == 409 and _status(error.value)["reason"] == "Conflict"


def test_schema_errors_are_422_with_causes(fake_cluster, apis):
    custom, _ = apis
    bad = pytorchjob()
    del bad["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["name"]
    bad["metadata"]["name"] = "Demo_1"
    with pytest.raises(client.ApiException) as error:
        custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, bad)
    status = _status(error.value)
    assert error.value.status == 422 and status["reason"] == "Invalid"
    fields = {c["field"]: c["message"] for c in status["details"]["causes"]}
    assert fields["spec.pytorchReplicaSpecs.Master.template.spec.containers[0].name"] == "Required value"
    assert "metadata.name" in fields
    assert fake_cluster.list("pytorchjobs") == []


def test_unknown_fields_strict_rejects_default_prunes(fake_cluster, apis):
    custom, _ = apis
    job = pytorchjob()
    job["spec"]["runPolicy"] = {"cleanPodPolicy": "None", "bogus": 1}
    with pytest.raises(client.ApiException) as error:
        custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, job, field_validation="Strict")
    assert error.value.status == 400 and 'unknown field "spec.runPolicy.bogus"' in _status(error.value)["message"]
    created = custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, job)
    assert created["spec"]["runPolicy"] == {"cleanPodPolicy": "None"}


def test_dry_run_validates_without_storing(fake_cluster, apis):
    custom, _ = apis
    out = custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob(), dry_run="All")
    assert out["metadata"]["name"] == "demo"
    assert fake_cluster.list("pytorchjobs") == []
    bad = pytorchjob()
    bad["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] = "two"
    with pytest.raises(client.ApiException) as error:
        custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, bad, dry_run="All")
    assert error.value.status == 422


def test_missing_namespace_and_missing_crd(fake_cluster_factory):
    fake = fake_cluster_factory(installed_crds=("jobsets.jobset.x-k8s.io",))
    api_client = config.new_client_from_config(config_file=fake.kubeconfig)
    custom, core = client.CustomObjectsApi(api_client), client.CoreV1Api(api_client)
    with pytest.raises(client.ApiException) as error:
        core.create_namespaced_secret("nowhere", {"metadata": {"name": "hf-token"}, "stringData": {"token": "x"}})
    assert error.value.status == 404 and _status(error.value)["message"] == 'namespaces "nowhere" not found'
    with pytest.raises(client.ApiException) as error:
        custom.list_namespaced_custom_object(GROUP, VERSION, "default", PLURAL)
    assert error.value.status == 404
    assert _status(error.value)["message"] == "the server could not find the requested resource"
    assert custom.list_namespaced_custom_object("jobset.x-k8s.io", "v1alpha2", "default", "jobsets")["items"] == []
    names = [c["metadata"]["name"] for c in client.ApiextensionsV1Api(api_client).list_custom_resource_definition(
        _preload_content=False).json()["items"]]
    assert names == ["jobsets.jobset.x-k8s.io"]
    api_client.close()


def test_secret_string_data_and_core_validation(fake_cluster, apis):
    _, core = apis
    core.create_namespaced_secret("default", {"metadata": {"name": "hf-token"}, "stringData": {"token": "abc"}})
    assert fake_cluster.get("secrets", "hf-token")["data"] == {"token": "YWJj"}
    code, status = raw(fake_cluster, "POST", "/api/v1/namespaces/default/persistentvolumeclaims",
                       {"apiVersion": "v1", "kind": "PersistentVolumeClaim", "metadata": {"name": "ws"},
                        "spec": {"accessModes": "ReadWriteOnce"}})
    assert code == 422 and status["details"]["causes"][0]["field"] == "spec.accessModes"
    code, status = raw(fake_cluster, "POST", "/api/v1/namespaces/default/services",
                       {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "1svc"},
                        "spec": {"ports": [{"port": 80}]}})
    assert code == 422 and "DNS-1035" in status["message"]


def test_watch_from_resource_version_and_label_selector(fake_cluster, apis):
    custom, core = apis
    listed = core.list_namespaced_pod("default")
    fake_cluster.kubelet.script("demo-*", lines=["x"])
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())
    seen = set()
    stream = watch.Watch().stream(core.list_namespaced_pod, "default", resource_version=listed.metadata.resource_version,
                                  label_selector="training.kubeflow.org/replica-type=master", timeout_seconds=10)
    for event in stream:
        seen.add((event["type"], event["object"].metadata.name, event["object"].status.phase))
        if event["object"].status.phase == "Succeeded":
            break
    assert ("ADDED", "demo-master-0", "Pending") in seen
    assert all(name == "demo-master-0" for _, name, _ in seen)


def test_dropped_watch_and_expired_resource_version(fake_cluster, apis):
    _, core = apis
    for i in range(3):
        core.create_namespaced_config_map("default", {"metadata": {"name": f"c{i}"}})
    fake_cluster.faults.drop_watch("configmaps", after_events=2)
    events = list(watch.Watch().stream(core.list_namespaced_config_map, "default", timeout_seconds=5))
    assert [e["object"].metadata.name for e in events] == ["c0", "c1"]
    fake_cluster.faults.drop_watch("configmaps", mode="gone")
    with pytest.raises(client.ApiException) as error:
        list(watch.Watch().stream(core.list_namespaced_config_map, "default", resource_version="1", timeout_seconds=5))
    assert error.value.status == 410


def test_logs_since_tail_timestamps_previous(fake_cluster, apis):
    custom, core = apis

    def master(ctx):
        yield f"attempt {ctx.restart_count} line 1"
        yield 0.3
        yield f"attempt {ctx.restart_count} line 2"
        return 1 if ctx.restart_count == 0 else 0
    fake_cluster.kubelet.script("demo-master-0", lines=master)
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())
    wait_for(lambda: phase(fake_cluster, "demo-master-0") == "Succeeded",
             what="master to succeed after one restart")
    pod = core.read_namespaced_pod("demo-master-0", "default")
    assert pod.status.container_statuses[0].restart_count == 1
    assert pod.status.container_statuses[0].last_state.terminated.exit_code == 1
    assert core.read_namespaced_pod_log("demo-master-0", "default") == "attempt 1 line 1\nattempt 1 line 2\n"
    assert core.read_namespaced_pod_log("demo-master-0", "default", previous=True).startswith("attempt 0 line 1")
    stamped = core.read_namespaced_pod_log("demo-master-0", "default", timestamps=True).splitlines()
    second = stamped[1].split(" ", 1)[0]
    assert datetime.fromisoformat(second[:26] + "+00:00") <= datetime.now(timezone.utc)
    since = get_text(fake_cluster, f"/api/v1/namespaces/default/pods/demo-master-0/log?sinceTime={second}")
    assert since == "attempt 1 line 2\n"  # the Python client has no sinceTime parameter
    assert core.read_namespaced_pod_log("demo-master-0", "default", tail_lines=1) == "attempt 1 line 2\n"
    assert core.read_namespaced_pod_log("demo-master-0", "default", since_seconds=3600).count("\n") == 2


def test_log_of_a_pending_pod_is_a_400_with_the_reason(fake_cluster, apis):
    custom, core = apis
    fake_cluster.kubelet.script("demo-*", image_pull_error="manifest unknown")
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())
    wait_for(lambda: fake_cluster.events(involved="demo-master-0") and any(
        e["reason"] == "BackOff" for e in fake_cluster.events(involved="demo-master-0")), what="ImagePullBackOff")
    with pytest.raises(client.ApiException) as error:
        core.read_namespaced_pod_log("demo-master-0", "default")
    assert error.value.status == 400
    assert "is waiting to start: trying and failing to pull image" in _status(error.value)["message"]


def test_follow_is_cut_then_resumes(fake_cluster, apis):
    custom, core = apis
    fake_cluster.kubelet.script("demo-master-0", lines=[(0.02, f"line {i}") for i in range(30)])
    fake_cluster.faults.cut_logs("demo-master-0", after_lines=5)
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())
    wait_for(lambda: phase(fake_cluster, "demo-master-0") == "Running", what="Running")
    first = core.read_namespaced_pod_log("demo-master-0", "default", follow=True)
    assert first.splitlines() == [f"line {i}" for i in range(5)]
    assert fake_cluster.get("pods", "demo-master-0")["status"]["phase"] == "Running"
    rest = core.read_namespaced_pod_log("demo-master-0", "default", follow=True)
    assert rest.splitlines() == [f"line {i}" for i in range(30)]


def test_injected_errors_slow_responses_and_forbidden(fake_cluster, apis):
    custom, core = apis
    fake_cluster.faults.error("POST", r"/pytorchjobs$", status=500, message="etcd is down")
    with pytest.raises(client.ApiException) as error:
        custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())
    assert error.value.status == 500 and _status(error.value)["message"] == "etcd is down"
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob())  # only once
    slow = fake_cluster.faults.slow("GET", r"/pods$", delay=1.0, times=None)
    with pytest.raises(Exception) as timeout:  # urllib3 retries a read timeout 3 times, then gives up
        core.list_namespaced_pod("default", _request_timeout=0.3)
    assert "timed out" in str(timeout.value).lower() and slow.hits == 4
    fake_cluster.faults.clear()
    fake_cluster.faults.forbid("list", "secrets")
    with pytest.raises(client.ApiException) as error:
        core.list_namespaced_secret("default")
    assert error.value.status == 403
    assert 'cannot list resource "secrets" in API group "" in the namespace "default"' in _status(error.value)["message"]


def test_unreachable_context(fake_cluster):
    api_client = config.new_client_from_config(config_file=fake_cluster.kubeconfig, context="unreachable")
    api_client.rest_client.pool_manager.connection_pool_kw["retries"] = False
    with pytest.raises(Exception) as error:
        client.CoreV1Api(api_client).list_namespaced_pod("default", _request_timeout=5)
    assert "refused" in str(error.value).lower()


def test_many_followers_get_every_line(fake_cluster, apis):
    custom, core = apis
    fake_cluster.kubelet.script("demo-*", lines=[(0.001, f"l{i}") for i in range(300)])
    custom.create_namespaced_custom_object(GROUP, VERSION, "default", PLURAL, pytorchjob(workers=7))
    pods = ["demo-master-0"] + [f"demo-worker-{i}" for i in range(7)]
    wait_for(lambda: all(phase(fake_cluster, p) in ("Running", "Succeeded") for p in pods), what="all running")
    results = {}

    def follow(pod):
        results[pod] = core.read_namespaced_pod_log(pod, "default", follow=True)
    threads = [threading.Thread(target=follow, args=(p,)) for p in pods]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(results[p].splitlines() == [f"l{i}" for i in range(300)] for p in pods)


def test_discovery_of_a_missing_group_is_404(fake_cluster_factory):
    fake = fake_cluster_factory(installed_crds=("jobsets.jobset.x-k8s.io",))
    assert raw(fake, "GET", "/apis/kubeflow.org/v1")[0] == 404
    code, doc = raw(fake, "GET", "/apis/jobset.x-k8s.io/v1alpha2")
    assert code == 200 and [r["name"] for r in doc["resources"]] == ["jobsets", "jobsets/status"]
    groups = [g["name"] for g in raw(fake, "GET", "/apis")[1]["groups"]]
    assert groups == ["apiextensions.k8s.io", "batch", "jobset.x-k8s.io"]  # batch/v1 Jobs are built in
