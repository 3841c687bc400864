"""`logs -f` against the fake API server: pending reasons, pull failures, restarts, cut streams, dropped watches."""

import collections
import threading

import pytest

from .conftest import Background
from .jobs import create_job
from .scripted import wait_for


def numbered(count, delay=0.0):
    """Pod lines "a<attempt> line <i>"; attempts counted per pod name (a replaced pod counts on)."""
    attempts = collections.Counter()
    lock = threading.Lock()

    def lines(ctx):
        with lock:
            attempt = attempts[ctx.name]
            attempts[ctx.name] += 1
        for i in range(count):
            yield (delay, f"a{attempt} line {i}")
    return lines


def printed(out, replica):
    return [ln.split(None, 1)[1] for ln in out.splitlines() if ln.startswith(f"[{replica}]")]


def test_follow_waits_through_pending_and_prints_reasons(fake):
    script = fake.kubelet.script("pend-worker-*", unschedulable="0/3 nodes are available: 3 Insufficient cpu.",
                                 lines=["w hello"])
    fake.kubelet.script("pend-master-*", lines=[(4.0, "m hello")])  # PyTorchJob ends with its master
    create_job(fake, "pend")
    follow = Background("logs", "pend", "-f")
    wait_for(lambda: fake.events(involved="pend-worker-0"), what="FailedScheduling")
    threading.Timer(1.5, script.release).start()
    result = follow.wait(30)
    assert result.code == 0, result
    assert printed(result.out, "master-0") == ["m hello"] and printed(result.out, "worker-0") == ["w hello"]
    assert "worker-0: Unschedulable: 0/3 nodes are available: 3 Insufficient cpu." in result.err
    assert "FailedScheduling" in result.err
    assert "job default/pend succeeded" in result.err


def test_image_pull_failure_fails_fast(fake):
    fake.kubelet.script("pull-*", image_pull_error='rpc error: manifest for "img:1" not found')
    create_job(fake, "pull")
    result = Background("logs", "pull", "-f", "--image-pull-timeout", "1").wait(20)
    assert result.code == 1, result
    last = result.err.strip().splitlines()[-1]
    assert last.startswith("summlaunch: job default/pull: replica ") and "cannot pull its image" in last
    assert "ErrImagePull" in result.err or "ImagePullBackOff" in result.err
    assert "manifest for" in result.err


def test_image_pull_recovers_within_timeout(fake):
    script = fake.kubelet.script("pullok-*", image_pull_error="registry unavailable", lines=["ok"])
    create_job(fake, "pullok")
    follow = Background("logs", "pullok", "-f", "--image-pull-timeout", "30")
    wait_for(lambda: any(e["reason"] == "Failed" for e in fake.events()), what="pull failure")
    script.release()
    result = follow.wait(30)
    assert result.code == 0, result
    assert printed(result.out, "master-0") == ["ok"] and "ErrImagePull" in result.err


def test_failed_job_exits_1_with_reason(fake):
    fake.kubelet.script("boom-*", lines=["Traceback (most recent call last):", "ValueError: bad"], exit_code=1)
    create_job(fake, "boom", restart_policy="Never")
    result = Background("logs", "boom", "-f").wait(30)
    assert result.code == 1, result
    assert printed(result.out, "master-0") == ["Traceback (most recent call last):", "ValueError: bad"]
    assert "job default/boom failed" in result.err


@pytest.mark.parametrize("policy", ["OnFailure", "ExitCode"])
def test_killed_replica_is_followed_across_restart_without_loss_or_repeats(fake, policy):
    fake.kubelet.script("kill-master-*", lines=numbered(60, 0.02))
    fake.kubelet.script("kill-worker-*", lines=numbered(60, 0.02))
    create_job(fake, "kill", restart_policy=policy)
    follow = Background("logs", "kill", "-f")
    wait_for(lambda: "a0 line 20" in fake.pod_log("kill-worker-0"), what="worker mid-run")
    fake.kubelet.kill("kill-worker-0")
    result = follow.wait(60)
    assert result.code == 0, result
    assert printed(result.out, "master-0") == [f"a0 line {i}" for i in range(60)]
    worker = printed(result.out, "worker-0")
    first = [ln for ln in worker if ln.startswith("a0 ")]
    assert len(first) >= 21 and first == [f"a0 line {i}" for i in range(len(first))]
    assert worker[len(first):] == [f"a1 line {i}" for i in range(60)]


@pytest.mark.parametrize("mode", ["eof", "reset"])
def test_cut_log_stream_is_resumed_without_loss_or_repeats(fake, mode):
    fake.kubelet.script("cut-*", lines=numbered(80, 0.01))
    fake.faults.cut_logs("cut-master-0", after_lines=15, mode=mode, times=3)
    create_job(fake, "cut", nodes=1)
    result = Background("logs", "cut", "-f").wait(60)
    assert result.code == 0, result
    assert printed(result.out, "master-0") == [f"a0 line {i}" for i in range(80)]


@pytest.mark.parametrize("mode", ["eof", "reset", "gone"])
def test_dropped_pod_watch_is_reestablished(fake, mode):
    script = fake.kubelet.script("drop-*", unschedulable="waiting for a node", lines=["hello"])
    fake.faults.drop_watch("pods", after_events=1, mode=mode, times=2)
    create_job(fake, "drop")
    follow = Background("logs", "drop", "-f")
    wait_for(lambda: fake.events(involved="drop-master-0"), what="pending")
    threading.Timer(1.0, script.release).start()
    result = follow.wait(30)
    assert result.code == 0, result
    assert printed(result.out, "master-0") == ["hello"] and printed(result.out, "worker-0") == ["hello"]


def test_kueue_not_admitting_is_reported_then_runs(fake):
    fake.controller.hold_admission("queued")
    fake.kubelet.script("queued-*", lines=["running now"])
    create_job(fake, "queued")
    follow = Background("logs", "queued", "-f")
    wait_for(lambda: fake.events(involved="queued"), what="kueue event")
    threading.Timer(1.5, fake.controller.admit, args=("queued",)).start()
    result = follow.wait(30)
    assert result.code == 0, result
    assert "suspended" in result.err and "insufficient unused quota" in result.err
    assert printed(result.out, "master-0") == ["running now"]


def test_follow_one_replica_and_crashloop_reason(fake):
    fake.kubelet.script("crash-worker-*", lines=numbered(2), exit_codes=[1, 1, 0])  # back-off from the 2nd crash
    fake.kubelet.script("crash-master-*", lines=[(15.0, "m")])  # the job ends with its master
    create_job(fake, "crash")
    result = Background("logs", "crash", "-f", "--replica", "worker").wait(30)
    assert result.code == 0, result
    assert printed(result.out, "master-0") == []
    assert printed(result.out, "worker-0") == [f"a{a} line {i}" for a in range(3) for i in range(2)]
    assert "CrashLoopBackOff" in result.err


def test_job_deleted_while_following(fake, cli):
    fake.kubelet.script("gone-*", hold=True, lines=["up"])
    create_job(fake, "gone")
    follow = Background("logs", "gone", "-f")
    wait_for(lambda: "up" in fake.pod_log("gone-master-0"), what="running")
    assert cli("delete", "gone").code == 0
    result = follow.wait(30)
    assert result.code == 1 and "was deleted" in result.err, result
