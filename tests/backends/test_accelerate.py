"""The Accelerate back end: real runs of the tiny T5 on the bundled data, on the CPU.

Multi-process runs use 2 processes over gloo (torchrun, and accelerate launch --multi_gpu) and
prove they are one job: world size 2, disjoint data shards covering the data, identical weights.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import loop_helpers as h  # noqa: E402

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
ACC = ["--backend", "accelerate"]


def test_trains_evaluates_predicts_with_accumulation_schedule_and_checkpoints(tmp_path):
    out = tmp_path / "out"
    # 64 samples / batch 8 = 8 batches per epoch, accumulated by 2: 4 updates per epoch, 8 in all.
    h.ok(h.summtrain([*ACC, *h.data_flags(64, 16, 8), *h.FAST, "--output_dir", str(out), "--do_train",
                      "--do_eval", "--do_predict", "--predict_with_generate", "--per_device_train_batch_size", "8",
                      "--gradient_accumulation_steps", "2", "--num_train_epochs", "2", "--logging_steps", "1",
                      "--lr_scheduler_type", "cosine", "--warmup_steps", "2", "--checkpointing_steps", "2",
                      "--save_total_limit", "2"], tmp_path))
    for name in h.RESULT_FILES:
        assert (out / name).is_file(), name
    assert h.RESULT_KEYS <= set(h.results(out))
    state = json.loads((out / "trainer_state.json").read_text())
    assert state["global_step"] == 8
    steps = [e for e in state["log_history"] if "loss" in e]
    assert [e["step"] for e in steps] == list(range(1, 9))
    assert steps[0]["learning_rate"] == pytest.approx(3e-3 / 2)  # warm-up: 1 of 2 steps done
    assert steps[1]["learning_rate"] == pytest.approx(3e-3)
    assert steps[-1]["learning_rate"] == pytest.approx(0.0, abs=1e-9)  # cosine to zero
    assert steps[-1]["loss"] < steps[0]["loss"]
    # --checkpointing_steps is run_summarization_no_trainer.py's flag: its folders are step_N
    assert sorted(p.name for p in out.glob("step_*")) == ["step_6", "step_8"]
    assert not list(out.glob("checkpoint-*"))
    assert len((out / "generated_predictions.txt").read_text().splitlines()) == 8


def _resume_run(tmp: Path, out: Path, steps: int, *extra: str):
    return h.summtrain([*ACC, *h.data_flags(64), *h.FAST, "--output_dir", str(out), "--do_train",
                        "--per_device_train_batch_size", "8", "--max_steps", str(steps), "--logging_steps", "1",
                        "--lr_scheduler_type", "constant", "--checkpointing_steps", "3", *extra], tmp)


def test_resume_automatic_from_output_dir_and_from_an_explicit_checkpoint(tmp_path):
    straight, first, explicit = tmp_path / "straight", tmp_path / "first", tmp_path / "explicit"
    h.ok(_resume_run(tmp_path, straight, 9))
    h.ok(_resume_run(tmp_path, first, 6))
    # Automatic: the same command with a later end resumes from output_dir's newest checkpoint.
    auto = h.ok(_resume_run(tmp_path, first, 9))
    assert "step_6" in auto.stderr
    assert h.losses(first) == pytest.approx(h.losses(straight), rel=1e-4)
    # Explicit: a checkpoint path into a fresh output_dir continues from that step.
    h.ok(_resume_run(tmp_path, explicit, 9, "--resume_from_checkpoint", str(straight / "step_3")))
    assert json.loads((explicit / "trainer_state.json").read_text())["global_step"] == 9
    assert h.losses(explicit) == pytest.approx(h.losses(straight), rel=1e-4)


def _two_process_job(tmp: Path, launcher: list[str]) -> Path:
    out, trace = tmp / "out", tmp / "trace"
    result = h.run([*launcher, "-m", "summtrain", *ACC, *h.data_flags(64, 16, 8), *h.FAST, "--output_dir", str(out),
                    "--do_train", "--do_eval", "--predict_with_generate", "--per_device_train_batch_size", "8",
                    "--num_train_epochs", "1", "--logging_steps", "1"], tmp, SUMMTRAIN_TRACE_DIR=str(trace))
    h.ok(result)
    assert "accelerate: 2 process(es)" in result.stderr
    finals = [json.loads((trace / f"final-rank{r}.json").read_text()) for r in (0, 1)]
    assert [f["world_size"] for f in finals] == [2, 2]
    assert finals[0]["weights_sha256"] == finals[1]["weights_sha256"]
    shards = [(trace / f"samples-rank{r}.txt").read_text().split() for r in (0, 1)]
    assert [len(s) for s in shards] == [32, 32]
    assert not set(shards[0]) & set(shards[1])
    assert len(set(shards[0]) | set(shards[1])) == 64
    # 64 samples over 2 processes x batch 8: 4 updates make the epoch.
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 4
    assert h.RESULT_KEYS - {k for k in h.RESULT_KEYS if k.startswith("predict_")} <= set(h.results(out))
    return out


def test_torchrun_two_processes_share_one_job(tmp_path):
    _two_process_job(tmp_path, [str(BIN / "torchrun"), "--nproc_per_node", "2", "--master_port",
                                str(h.free_port())])


def test_accelerate_launch_multi_gpu_on_cpu_shares_one_job(tmp_path):
    _two_process_job(tmp_path, [str(BIN / "accelerate"), "launch", "--multi_gpu", "--num_processes", "2",
                                "--num_machines", "1", "--mixed_precision", "no", "--dynamo_backend", "no",
                                "--main_process_port", str(h.free_port())])


def test_accelerate_launch_cpu_with_two_processes_is_refused(tmp_path):
    out = tmp_path / "out"
    result = h.run([str(BIN / "accelerate"), "launch", "--cpu", "--num_processes", "2", "--num_machines", "1",
                    "--mixed_precision", "no", "--dynamo_backend", "no", "-m", "summtrain", *ACC,
                    *h.data_flags(16), *h.FAST, "--output_dir", str(out), "--do_train", "--max_steps", "1"],
                   tmp_path)
    assert result.returncode != 0, result.stderr[-3000:]  # accelerate launch turns our exit 2 into 1
    error = [line for line in result.stderr.splitlines() if line.startswith("summtrain: error:")]
    assert len(error) == 1
    assert "asked for 2 processes but started 1" in error[0] and "--multi_gpu" in error[0]
    assert not out.exists()


@pytest.mark.parametrize("how", ["flag", "accelerate-config"])
def test_mixed_precision_from_flag_or_accelerate_config(tmp_path, how):
    extra = {"ACCELERATE_MIXED_PRECISION": "bf16"} if how == "accelerate-config" else {}
    flags = ["--bf16", "--use_cpu"] if how == "flag" else []  # transformers refuses bf16 without a GPU unless told
    result = h.ok(h.summtrain([*ACC, *h.data_flags(16), *h.FAST, "--output_dir", str(tmp_path / "out"),
                               "--do_train", "--max_steps", "2", "--per_device_train_batch_size", "8", *flags],
                              tmp_path, **extra))
    assert "mixed precision bf16" in result.stderr


@pytest.mark.parametrize("flags, says", [
    (["--deepspeed", "ds.json"], "accelerate config"),
    (["--report_to", "wandb"], "not installed"),
    (["--checkpointing_steps", "often"], "positive number of steps or 'epoch'"),
])
def test_flags_it_cannot_honour_are_refused_in_one_line(tmp_path, flags, says):
    if "wandb" in flags and importlib.util.find_spec("wandb"):
        pytest.fail("wandb is installed in this venv; this case needs a tracker that is not")
    out = tmp_path / "out"
    result = h.summtrain([*ACC, *h.data_flags(16), *h.FAST[:-8], "--output_dir", str(out), "--do_train", *flags],
                         tmp_path)
    assert result.returncode == 2, result.stderr[-3000:]
    assert says in result.stderr.splitlines()[-1]
    assert not out.exists()


def test_sigterm_saves_a_checkpoint_and_the_same_command_resumes(tmp_path):
    out = tmp_path / "out"
    argv = [sys.executable, "-m", "summtrain", *ACC, *h.data_flags(64), *h.FAST, "--output_dir", str(out),
            "--do_train", "--per_device_train_batch_size", "8", "--max_steps", "400", "--logging_steps", "1"]
    code, rest = h.sigterm_after_first_loss(argv, tmp_path, h.env(tmp_path), timeout=300)
    assert code == 143, rest[-3000:]
    assert "SIGTERM: saved checkpoint-" in rest
    (ckpt,) = out.glob("checkpoint-*")
    stopped = int(ckpt.name.split("-")[1])
    assert 1 <= stopped < 400
    resumed = h.ok(h.run([*argv[:-4], "--max_steps", str(stopped + 2), "--logging_steps", "1"], tmp_path))
    assert ckpt.name in resumed.stderr
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == stopped + 2


def test_report_to_tensorboard_writes_the_logged_loss_as_event_scalars(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    out = tmp_path / "out"
    flags = [f for f in h.FAST if f not in ("--report_to", "none")]
    h.ok(h.summtrain([*ACC, *h.data_flags(16), *flags, "--output_dir", str(out), "--do_train",
                      "--per_device_train_batch_size", "8", "--max_steps", "3", "--logging_steps", "1",
                      "--report_to", "tensorboard"], tmp_path))
    assert list((out / "summtrain").glob("events.out.tfevents.*"))  # the run's folder, named after the run
    scalars = EventAccumulator(str(out / "summtrain")).Reload()
    logged = {e["step"]: e["loss"] for e in json.loads((out / "trainer_state.json").read_text())["log_history"]
              if "loss" in e}
    assert "loss" in scalars.Tags()["scalars"], scalars.Tags()
    assert {e.step: e.value for e in scalars.Scalars("loss")} == pytest.approx(logged, abs=1e-4)
    assert sorted(logged) == [1, 2, 3]


def test_upstream_epoch_folders_resume_and_training_from_scratch(tmp_path):
    first, resumed = tmp_path / "first", tmp_path / "resumed"
    # 16 samples / batch 8: 2 updates per epoch; upstream's epoch_E folders after each epoch.
    argv = [*ACC, *h.data_flags(16), *h.FAST, "--do_train", "--per_device_train_batch_size", "8",
            "--max_train_steps", "4", "--checkpointing_steps", "epoch", "--logging_steps", "1"]
    h.ok(h.summtrain([*argv, "--output_dir", str(first)], tmp_path))
    assert sorted(p.name for p in first.glob("epoch_*")) == ["epoch_0", "epoch_1"]
    assert (first / "epoch_0" / "optimizer.bin").is_file()  # accelerator.save_state, as upstream
    done = h.ok(h.summtrain([*argv, "--output_dir", str(resumed), "--resume_from_checkpoint",
                             str(first / "epoch_0")], tmp_path))
    assert "at update 2" in done.stderr
    assert h.losses(resumed) == pytest.approx(h.losses(first), rel=1e-4)
    # --model_type: a fresh model (upstream's from-scratch path), config and tokenizer named.
    scratch = h.ok(h.summtrain([*ACC, *h.data_flags(16)[2:], *h.FAST, "--model_type", "t5", "--config_name",
                                str(h.TINY_MODEL), "--tokenizer_name", str(h.TINY_MODEL), "--do_train",
                                "--max_train_steps", "1", "--output_dir", str(tmp_path / "scratch")], tmp_path))
    assert "training a new t5 model from scratch" in scratch.stderr
