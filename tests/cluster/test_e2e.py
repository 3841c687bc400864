"""End to end: the real embedded training as the two pods of a PyTorchJob, one killed mid-run.

The fake kubelet runs each pod's container command (`torchrun -m summtrain ...`) as a local
process (torchrun rendezvous on loopback, gloo) with /workspace mapped to a shared temporary
folder. After a checkpoint is written the worker is SIGKILLed; the operator's OnFailure policy
restarts it, the master's torchrun agent restarts its trainer, the run resumes from the checkpoint, and
`submit --follow` must have printed every line of every attempt of every replica exactly once.

The rendered command rendezvous through a c10d store on the master (elastic torchrun): the
master's agent restarts its trainer after the broken collective and the restarted worker joins
the next round. Before that, with torchrun's static rendezvous, a restarted replica could join
the old round's store and both sides waited forever; this test is the regression check.
"""

from __future__ import annotations

import json
import os
import sys
from collections import defaultdict
from pathlib import Path

import pytest

from .conftest import Background
from .scripted import wait_for

STEPS, SAVE = 400, 20


def record_every_attempt(fake) -> dict:
    """Keep each container attempt's log lines (the fake keeps only the previous one)."""
    attempts: dict = defaultdict(list)
    original = fake.logs.restart

    def restart(uid, container):
        attempts[(uid, container)].append([text for _, text in fake.logs.current(uid, container).lines])
        return original(uid, container)
    fake.logs.restart = restart
    return attempts


def printed(out: str, replica: str) -> list[str]:
    tag = f"[{replica}] "  # master-0 and worker-0 are equally wide: no padding
    return [ln[len(tag):] for ln in out.split("\n") if ln.startswith(tag)]


@pytest.mark.slow
def test_two_replica_pytorchjob_resumes_after_a_killed_worker(fake, tmp_path):
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    attempts = record_every_attempt(fake)
    bin_dir = str(Path(sys.executable).parent)
    fake.kubelet.script("e2e-*", process=True, path_map={"/workspace": str(workspace)},
                        env={"PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "HF_HUB_OFFLINE": "1",
                             "OMP_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false"})
    follow = Background("submit", "--name", "e2e", "--image", "img:1", "--nodes", "2", "--gpus-per-node", "0",
                        "--follow", "--", "--do_train", "--max_steps", str(STEPS), "--save_steps", str(SAVE),
                        "--save_strategy", "steps", "--logging_steps", "1", "--ddp_timeout", "60")
    out_dir = workspace / "outputs" / "e2e"
    wait_for(lambda: list(out_dir.glob("checkpoint-*/trainer_state.json")), timeout=240, what="a checkpoint")
    fake.kubelet.kill("e2e-worker-0")  # the whole process tree, torchrun's trainer included
    result = follow.wait(420)
    assert result.code == 0, result.err[-3000:]

    # training resumed from the checkpoint on the shared folder and finished
    resumed = [ln for ln in result.out.split("\n") if "resuming from" in ln]
    assert resumed and "/outputs/e2e/checkpoint-" in resumed[0], result.out[-2000:]
    assert json.loads((out_dir / "trainer_state.json").read_text())["global_step"] == STEPS
    worker = fake.get("pods", "e2e-worker-0")
    assert worker["status"]["containerStatuses"][0]["restartCount"] >= 1
    # the master pod kept running: its torchrun agent restarted the trainer in a new rendezvous round
    master = fake.get("pods", "e2e-master-0")
    assert master["status"]["containerStatuses"][0]["restartCount"] == 0
    assert {ln.split("]", 1)[0] for ln in resumed} == {"[master-0", "[worker-0"}, resumed

    # every line of every attempt, once, in order, per replica
    for replica in ("master-0", "worker-0"):
        pod = fake.get("pods", f"e2e-{replica}")
        key = (pod["metadata"]["uid"], pod["spec"]["containers"][0]["name"])
        expected = [line for attempt in attempts.get(key, []) for line in attempt]
        expected += [text for _, text in fake.logs.current(*key).lines]
        assert printed(result.out, replica) == expected, replica
