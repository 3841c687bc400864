"""The PyTorch/XLA back end on the CPU PJRT device (run in the XLA venv: tests/setup/xla_venv.sh).

Covered here: single-device training, and SPMD data parallel over 2 CPU devices in one process
(the way one TPU host drives its chips) matching the single-device losses step by step.

Not covered, because it cannot run on XLA:CPU: multi-process collectives (torch_xla.launch /
xmp.spawn, i.e. several hosts) hang in every collective on the CPU device (upstream
pytorch/xla#5005). The multi-host path uses the same SPMD program on every host, with each host
loading its own shard of the data; it needs a TPU slice to test.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loop_helpers as h  # noqa: E402

pytestmark = [pytest.mark.xla, pytest.mark.slow]
XLA = ["--backend", "xla", "--max_steps", "4", "--logging_steps", "1", "--lr_scheduler_type", "constant"]


def xla_run(tmp: Path, out: Path, devices: int, per_device: int, *extra: str):
    return h.ok(h.summtrain([*XLA, *h.data_flags(64, 8, 8), *h.FAST, "--output_dir", str(out), "--do_train",
                             "--per_device_train_batch_size", str(per_device), *extra], tmp, timeout=900,
                            PJRT_DEVICE="CPU", CPU_NUM_DEVICES=str(devices)))


@pytest.fixture(scope="module")
def single(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("xla-single")
    out = tmp / "out"
    result = xla_run(tmp, out, 1, 8, "--do_eval", "--do_predict", "--predict_with_generate",
                     "--checkpointing_steps", "2")
    return out, result


def test_single_device_trains_and_writes_the_shared_outputs(single):
    out, result = single
    assert "--pad_to_max_length forced on" in result.stderr
    assert "1 device(s) on this host" in result.stderr
    for name in h.RESULT_FILES:
        assert (out / name).is_file(), name
    assert h.RESULT_KEYS <= set(h.results(out))
    losses = h.losses(out)
    assert len(losses) == 4 and losses[-1] < losses[0]


def test_checkpoints_from_the_xla_device_load_in_plain_torch(single):
    import torch
    from safetensors.torch import load_file
    from transformers import AutoModelForSeq2SeqLM

    out, _ = single
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4"]
    model = AutoModelForSeq2SeqLM.from_pretrained(out / "checkpoint-4")
    assert next(model.parameters()).device.type == "cpu"
    final = load_file(str(out / "model.safetensors"))
    for name, tensor in model.state_dict().items():
        if name in final:
            assert torch.equal(tensor, final[name]), name
    state = json.loads((out / "checkpoint-4" / "trainer_state.json").read_text())
    assert state["global_step"] == 4


def test_spmd_over_two_cpu_devices_matches_single_device_losses(single, tmp_path):
    out, result = tmp_path / "spmd", None
    # Same global batch (2 devices x 4 = 1 device x 8), same data order: same losses.
    result = xla_run(tmp_path, out, 2, 4, "--num_cores", "2")
    assert "2 device(s) on this host, 2 in the job" in result.stderr
    assert "--num_cores 2: one process drives all 2 local device(s)" in result.stderr
    assert h.losses(out) == pytest.approx(h.losses(single[0]), rel=2e-4)


def test_sigterm_saves_a_checkpoint_and_the_same_command_resumes(tmp_path):
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "summtrain", "--backend", "xla", "--lr_scheduler_type", "constant",
            *h.data_flags(64, 8, 8), *h.FAST, "--output_dir", str(out), "--do_train",
            "--per_device_train_batch_size", "8", "--max_steps", "400", "--logging_steps", "1"]
    code, rest = h.sigterm_after_first_loss(argv, tmp_path, h.env(tmp_path, PJRT_DEVICE="CPU", CPU_NUM_DEVICES="1"), timeout=600)
    assert code == 143, rest[-3000:]
    assert "SIGTERM: saved checkpoint-" in rest
    (ckpt,) = out.glob("checkpoint-*")
    stopped = int(ckpt.name.split("-")[1])
    assert 1 <= stopped < 400
    for name in ("model.safetensors", "optimizer.pt", "scheduler.pt", "trainer_state.json"):
        assert (ckpt / name).is_file(), name
    assert json.loads((ckpt / "trainer_state.json").read_text())["global_step"] == stopped
    assert not (out / "model.safetensors").exists()  # no final model from an interrupted run
    resumed = h.ok(h.run([*argv[:-4], "--max_steps", str(stopped + 2), "--logging_steps", "1"], tmp_path,
                         timeout=900, PJRT_DEVICE="CPU", CPU_NUM_DEVICES="1"))
    assert f"resuming from {ckpt}" in resumed.stderr
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == stopped + 2
    assert [e["step"] for e in state["log_history"] if "loss" in e] == list(range(1, stopped + 3))
