"""Process mode: pods whose main container is a real local subprocess with the operator's env."""

from __future__ import annotations

import sys
import textwrap

from .helpers import condition, phase, pytorchjob, wait_for

GLOO = textwrap.dedent("""
    import os, torch, torch.distributed as dist
    dist.init_process_group("gloo")  # env://: MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE from the operator
    value = torch.tensor([float(dist.get_rank() + 1)])
    dist.all_reduce(value)
    print(f"rank {dist.get_rank()}/{dist.get_world_size()} sum {int(value.item())}", flush=True)
    dist.destroy_process_group()
""")

COUNTER = textwrap.dedent("""
    import os, sys, time
    path = sys.argv[1]
    start = int(open(path).read()) if os.path.exists(path) else 0
    print(f"resume at {start} rank {sys.argv[2]}", flush=True)
    for step in range(start, 1000):
        open(path, "w").write(str(step + 1))
        print(f"step {step}", flush=True)
        time.sleep(0.05)
""")


SPAWNER = textwrap.dedent("""
    import subprocess, sys, time
    # a child in a session of its own (as torchrun starts its workers), which writes its pid and sleeps
    code = "import os, time; open(os.environ['PIDFILE'], 'w').write(str(os.getpid())); time.sleep(600)"
    subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    print("spawned", flush=True)
    time.sleep(600)
""")


def _job(command: list[str], workers: int = 1) -> dict:
    job = pytorchjob(workers=workers)
    for spec in job["spec"]["pytorchReplicaSpecs"].values():
        spec["template"]["spec"]["containers"][0]["command"] = command
    return job


def _create(fake, job):
    job["metadata"]["namespace"] = "default"
    return fake.store.create(fake.resource("pytorchjobs"), job)


def test_two_replicas_rendezvous_over_loopback(fake_cluster):
    fake_cluster.kubelet.script("demo-*", process=True)
    _create(fake_cluster, _job([sys.executable, "-c", GLOO]))
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Succeeded"), timeout=60, what="Succeeded")
    assert fake_cluster.pod_log("demo-master-0").strip() == "rank 0/2 sum 3"
    assert fake_cluster.pod_log("demo-worker-0").strip() == "rank 1/2 sum 3"


def test_killed_process_restarts_and_resumes(fake_cluster, tmp_path):
    script = tmp_path / "counter.py"
    script.write_text(COUNTER)
    fake_cluster.kubelet.script("demo-master-0", process=True, path_map={"/workspace": str(tmp_path)})
    fake_cluster.kubelet.script("demo-worker-*", lines=["idle"])
    _create(fake_cluster, _job([sys.executable, str(script), "/workspace/step", "$(RANK)"]))
    wait_for(lambda: "step 3" in fake_cluster.pod_log("demo-master-0") if phase(fake_cluster, "demo-master-0")
             == "Running" else False, timeout=30, what="a few steps")
    fake_cluster.kubelet.kill("demo-master-0")
    wait_for(lambda: "resume at" in fake_cluster.pod_log("demo-master-0") and "step" in fake_cluster.pod_log(
        "demo-master-0") if fake_cluster.get("pods", "demo-master-0")["status"]["containerStatuses"][0]
        ["restartCount"] == 1 else False, timeout=30, what="the restarted process")
    first = fake_cluster.kubelet.log_for(fake_cluster.get("pods", "demo-master-0"), None, previous=True)
    killed_at = int([text for _, text in first.lines if text.startswith("step")][-1].split()[1])
    resumed = fake_cluster.pod_log("demo-master-0").splitlines()[0]
    assert resumed == f"resume at {killed_at + 1} rank 0"
    status = fake_cluster.get("pods", "demo-master-0")["status"]["containerStatuses"][0]
    assert status["lastState"]["terminated"]["exitCode"] == 137
    assert (tmp_path / "step").is_file()  # /workspace was mapped to tmp_path
    fake_cluster.kubelet.kill("demo-master-0", exit_code=0)
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Succeeded"), what="Succeeded")


def test_kill_takes_every_process_of_the_container(fake_cluster, tmp_path):
    pidfile = tmp_path / "child.pid"
    fake_cluster.kubelet.script("demo-master-0", process=True, env={"PIDFILE": str(pidfile)})
    fake_cluster.kubelet.script("demo-worker-*", lines=["idle"])
    job = _job([sys.executable, "-c", SPAWNER])
    job["spec"]["pytorchReplicaSpecs"]["Master"]["restartPolicy"] = "Never"
    _create(fake_cluster, job)
    wait_for(lambda: pidfile.is_file() and pidfile.read_text(), timeout=30, what="the child's pid")
    child = int(pidfile.read_text())
    fake_cluster.kubelet.kill("demo-master-0")
    wait_for(lambda: not _alive(child), timeout=10, what="the child in its own session to be killed")


def _alive(pid: int) -> bool:
    """True while pid runs (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_a_command_that_cannot_start_fails_the_container(fake_cluster):
    fake_cluster.kubelet.script("demo-*", process=True)
    job = _job(["/nonexistent/summtrain"])
    job["spec"]["pytorchReplicaSpecs"]["Master"]["restartPolicy"] = "Never"
    _create(fake_cluster, job)
    wait_for(lambda: condition(fake_cluster, "pytorchjobs", "demo", "Failed"), what="Failed")
    terminated = fake_cluster.get("pods", "demo-master-0")["status"]["containerStatuses"][0]["state"]["terminated"]
    assert terminated["exitCode"] == 128
    assert any("failed to create containerd task" in e["message"] for e in fake_cluster.events(involved="demo-master-0"))
