"""`--kind job` (batch/v1 Job) submitted, followed, preempted, failed and deleted against the fake API
server, whose Job controller follows kube-controller-manager's (tests/fake_apiserver/batchjob.py)."""

from __future__ import annotations

import json

from .conftest import Background
from .scripted import wait_for

IMG = ("--image", "registry.example/summ:1")


def _pods(fake, name):
    return sorted(fake.list("pods", selector=f"summlaunch.dev/job={name}"),
                  key=lambda p: p["metadata"]["creationTimestamp"] + p["metadata"]["resourceVersion"].zfill(12))


def _running(fake, name, count=1):
    return lambda: [p for p in _pods(fake, name) if p.get("status", {}).get("phase") == "Running"][:count]


def _true(job):
    return [c["type"] for c in (job.get("status") or {}).get("conditions") or [] if c["status"] == "True"]


def _with(fake, name, condition):
    def check():
        job = fake.get("jobs", name)
        return job if condition in _true(job) else None
    return check


def test_submit_creates_a_batch_job(fake, cli):
    fake.kubelet.script("bj-*", hold=True)
    result = cli("submit", "--name", "bj", "--kind", "job", *IMG)
    assert result.code == 0, result
    assert "submitted Job default/bj" in result.out
    posts = [path for method, path, _ in fake.requests if method == "POST"]
    assert posts[-1] == "/apis/batch/v1/namespaces/default/jobs"
    job = fake.get("jobs", "bj")
    assert job["spec"]["podFailurePolicy"]["rules"][0]["onPodConditions"][0]["type"] == "DisruptionTarget"
    wait_for(_running(fake, "bj"), what="the Job's pod running")
    assert json.loads(cli("status", "bj", "-o", "json").out)["state"] in ("Pending", "Running", "Created")


def test_a_preempted_pod_is_replaced_without_counting_and_logs_follow_it(fake, cli):
    fake.kubelet.script("pre-*", hold=True, lines=["first pod"])
    assert cli("submit", "--name", "pre", "--kind", "job", "--backoff-limit", "0", *IMG).code == 0
    first = wait_for(_running(fake, "pre"), what="first pod running")[0]["metadata"]["name"]
    follow = Background("logs", "pre", "-f")
    fake.kubelet.script("pre-*", lines=["second pod", "done"], exit_code=0)
    fake.controller.jobs.preempt(first)
    result = follow.wait(30)
    assert result.code == 0, result
    assert "second pod" in result.out
    job = wait_for(_with(fake, "pre", "Complete"), what="Complete")
    assert job["status"]["failed"] == 0 and job["status"]["succeeded"] == 1  # the preemption did not count
    pods = _pods(fake, "pre")
    assert len(pods) == 2 and pods[0]["status"]["phase"] == "Failed"
    assert "DisruptionTarget" in [c["type"] for c in pods[0]["status"]["conditions"]]
    assert json.loads(cli("status", "pre", "-o", "json").out)["state"] == "Succeeded"


def test_failures_count_against_the_backoff_limit(fake, cli):
    fake.kubelet.script("bad-*", lines=["boom"], exit_code=1)
    assert cli("submit", "--name", "bad", "--kind", "job", "--backoff-limit", "1", *IMG).code == 0
    job = wait_for(_with(fake, "bad", "Failed"), timeout=20, what="Failed")
    assert job["status"]["failed"] == 2 and len(_pods(fake, "bad")) == 2
    failed = next(c for c in job["status"]["conditions"] if c["type"] == "Failed")
    assert failed["reason"] == "BackoffLimitExceeded"
    assert "FailureTarget" in _true(job)
    assert json.loads(cli("status", "bad", "-o", "json").out)["state"] == "Failed"


def test_delete_removes_the_job_and_its_pods(fake, cli):
    fake.kubelet.script("gone-*", hold=True)
    assert cli("submit", "--name", "gone", "--kind", "job", *IMG).code == 0
    wait_for(_running(fake, "gone"), what="pod running")
    deleted = cli("delete", "gone")
    assert deleted.code == 0, deleted
    assert fake.list("jobs", selector="summlaunch.dev/job=gone") == [] and _pods(fake, "gone") == []
