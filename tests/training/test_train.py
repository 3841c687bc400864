"""Real training runs on the tiny model: the embedded default, a seed-guide command, outputs, secrets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PYTHON, QUICK, TINY_MODEL, run_summtrain, summtrain_env

pytestmark = pytest.mark.slow
OUTPUT_FILES = ("train_results.json", "eval_results.json", "predict_results.json", "all_results.json",
                "trainer_state.json", "generated_predictions.txt", "model.safetensors", "config.json",
                "tokenizer.json", "tokenizer_config.json", "README.md")
FORBIDDEN = ("kubernetes", "docker", "jinja2", "summlaunch")

# Runs summtrain with the launcher's dependencies made unimportable (as if not installed).
RUN_WITHOUT_LAUNCHER_DEPS = """
import json, sys
for name in ("kubernetes", "docker", "jinja2", "summlaunch"):
    sys.modules[name] = None
from summtrain.cli import main
code = main(sys.argv[2:])
with open(sys.argv[1], "w") as f:
    json.dump({"code": code, "modules": sorted(m for m, mod in sys.modules.items() if mod is not None)}, f)
sys.exit(code)
"""


def test_embedded_default_learns_without_the_launcher_stack(tmp_path):
    report = tmp_path / "imports.json"
    out = tmp_path / "default-out"
    result = subprocess.run([PYTHON, "-c", RUN_WITHOUT_LAUNCHER_DEPS, str(report), "--output_dir", str(out)],
                            cwd=tmp_path, env=summtrain_env(tmp_path), capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    for name in OUTPUT_FILES:
        assert (out / name).is_file(), name
    table = result.stdout[result.stdout.index("ROUGE on 200 validation samples"):]
    before, after = (float(x) for x in next(line for line in table.splitlines()
                                             if line.startswith("rougeL ")).split()[1:])
    assert after > before + 40, table
    assert f"Outputs: {out.resolve()}" in result.stdout
    assert json.loads((out / "eval_results.json").read_text())["eval_rougeL"] == pytest.approx(after, abs=0.01)
    assert len((out / "generated_predictions.txt").read_text().splitlines()) == 200
    modules = {m.split(".")[0] for m in json.loads(report.read_text())["modules"]}
    assert not modules & set(FORBIDDEN), sorted(modules & set(FORBIDDEN))


def test_seed_guide_test_command_runs_as_written_with_local_files(tmp_path, data_files):
    """The guide's "Test a script" command, t5-small/cnn_dailymail replaced by the tiny model and CSV files."""
    out = tmp_path / "tst-summarization"
    argv = ["--model_name_or_path", TINY_MODEL, "--max_train_samples", "50", "--max_eval_samples", "50",
            "--max_predict_samples", "50", "--do_train", "--do_eval", "--train_file", str(data_files["train"]),
            "--validation_file", str(data_files["validation"]), "--source_prefix", "summarize: ",
            "--output_dir", str(out), "--per_device_train_batch_size=4", "--per_device_eval_batch_size=4",
            "--overwrite_output_dir", "--predict_with_generate", "--evaluation_strategy", "no", "--no_cuda"]
    result = run_summtrain(argv, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "--evaluation_strategy no was removed from transformers 5: using --eval_strategy no" in result.stderr
    assert "--no_cuda was removed from transformers 5: using --use_cpu" in result.stderr
    results = json.loads((out / "all_results.json").read_text())
    assert results["train_samples"] == 48 and results["eval_samples"] == 16  # the CSVs hold 48/16 rows
    assert {"eval_rouge1", "eval_rouge2", "eval_rougeL", "eval_rougeLsum", "eval_gen_len"} <= set(results)
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 36  # 3 epochs x 12 steps


def test_token_is_never_printed_or_written(tmp_path, data_files):
    env_token, argv_token = "hf_envSECRETtoken0123456789", "hf_argvSECRETtoken9876543210"
    token_file = tmp_path / "token"
    token_file.write_text("hf_fileSECRETtoken55555\n")
    out = tmp_path / "out"
    argv = ["--model_name_or_path", TINY_MODEL, "--train_file", str(data_files["train"]), "--validation_file",
            str(data_files["validation"]), "--output_dir", str(out), "--do_train", "--do_eval",
            "--predict_with_generate", "--push_to_hub_token", argv_token, "--hub_token_file", str(token_file),
            *QUICK, "--save_strategy", "steps", "--save_steps", "3", "--log_level", "debug"]
    result = run_summtrain(argv, tmp_path, env=summtrain_env(tmp_path, HF_TOKEN=env_token))
    assert result.returncode == 0, result.stderr[-3000:]
    assert (out / "checkpoint-3" / "training_args.bin").is_file() and (out / "training_args.bin").is_file()
    for secret in (env_token, argv_token, "hf_fileSECRETtoken55555"):
        assert secret not in result.stdout and secret not in result.stderr
        for path in out.rglob("*"):
            if path.is_file():
                assert secret.encode() not in path.read_bytes(), path


def test_python_m_and_console_script_agree(tmp_path):
    script = Path(sys.executable).with_name("summtrain")
    help_m = subprocess.run([PYTHON, "-m", "summtrain", "--help"], capture_output=True, text=True, timeout=120)
    help_script = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=120)
    assert help_m.returncode == help_script.returncode == 0
    assert "--model_name_or_path" in help_m.stdout and help_m.stdout == help_script.stdout


def test_checkpointing_steps_maps_to_the_trainer_save_strategy(tmp_path, data_files):
    """`--checkpointing_steps 2` (the no_trainer scripts' flag) wins over QUICK's `--save_strategy no`."""
    out = tmp_path / "out"
    argv = ["--model_name_or_path", TINY_MODEL, "--train_file", str(data_files["train"]), "--output_dir", str(out),
            "--do_train", *QUICK, "--checkpointing_steps", "2"]
    result = run_summtrain(argv, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in out.glob("checkpoint-*")) == ["checkpoint-2", "checkpoint-4", "checkpoint-6"]
    lines = [ln for ln in result.stderr.splitlines() if "--checkpointing_steps 2:" in ln]
    assert len(lines) == 1 and "--save_strategy steps --save_steps 2 (instead of --save_strategy no)" in lines[0]


def test_checkpointing_steps_epoch_and_bad_values(tmp_path):
    from summtrain.errors import UsageError
    from summtrain.parse import parse_train_args

    args = parse_train_args(["--output_dir", str(tmp_path), "--checkpointing_steps", "epoch"])
    assert str(args.training.save_strategy.value) == "epoch"
    accelerate = parse_train_args(["--output_dir", str(tmp_path), "--backend", "accelerate", "--checkpointing_steps",
                                   "5"])  # the loop reads the flag itself; the Trainer's default stays
    assert accelerate.training.save_steps != 5
    with pytest.raises(UsageError, match="positive number of steps or 'epoch'"):
        parse_train_args(["--output_dir", str(tmp_path), "--checkpointing_steps", "0"])
