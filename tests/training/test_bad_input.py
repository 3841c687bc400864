"""Bad input: one line naming the problem and the fix, exit code 2, no traceback, no output dir."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from .conftest import QUICK, TINY_MODEL, run_summtrain, summtrain_env, write_rows


def assert_usage_error(result, *fragments: str, out: Path | None = None) -> str:
    lines = [line for line in result.stderr.splitlines() if line.startswith("summtrain: error:")]
    assert result.returncode == 2, result.stderr[-3000:]
    assert "Traceback" not in result.stderr and len(lines) == 1, result.stderr[-3000:]
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    if out is not None:
        assert not out.exists(), f"{out} was created: {sorted(p.name for p in out.iterdir())}"
    return lines[0]


def local_argv(files: dict[str, Path], out: Path, *extra: str) -> list[str]:
    return ["--model_name_or_path", TINY_MODEL, "--train_file", str(files["train"]), "--validation_file",
            str(files["validation"]), "--text_column", "text", "--summary_column", "summary", "--output_dir",
            str(out), "--do_train", "--do_eval", "--predict_with_generate", *QUICK, *extra]


def test_missing_data_file(tmp_path, data_files):
    files = dict(data_files, train=tmp_path / "nope.csv")
    result = run_summtrain(local_argv(files, tmp_path / "out"), tmp_path)
    assert_usage_error(result, "--train_file", "does not exist", out=tmp_path / "out")


def test_empty_data_file(tmp_path, data_files):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("\n")
    result = run_summtrain(local_argv(dict(data_files, validation=empty), tmp_path / "out"), tmp_path)
    assert_usage_error(result, "--validation_file", "is empty", out=tmp_path / "out")


def test_unparsable_csv(tmp_path, data_files):
    bad = tmp_path / "bad.csv"
    bad.write_text('text,summary\n"a","b"\n"c","d","e","f"\n')
    result = run_summtrain(local_argv(dict(data_files, train=bad), tmp_path / "out"), tmp_path)
    assert_usage_error(result, "--train_file", "does not parse as CSV", "fix the file", out=tmp_path / "out")


def test_unparsable_json(tmp_path, data_files):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "a", "summary": "b"}\n{"text": "c", "summ\n')
    files = {k: write_rows(tmp_path / f"{k}.jsonl", [{"text": "x y", "summary": "y"}]) for k in data_files}
    result = run_summtrain(local_argv(dict(files, train=bad), tmp_path / "out"), tmp_path)
    assert_usage_error(result, "--train_file", "does not parse as JSONL", out=tmp_path / "out")


def test_column_not_in_data(tmp_path, data_files):
    argv = local_argv(data_files, tmp_path / "out") + ["--summary_column", "highlights"]
    result = run_summtrain(argv, tmp_path)
    assert_usage_error(result, "--summary_column 'highlights' is not a column", "columns: text, summary",
                       out=tmp_path / "out")


def test_model_path_does_not_exist(tmp_path, data_files):
    argv = local_argv(data_files, tmp_path / "out") + ["--model_name_or_path", "./models/missing-t5"]
    result = run_summtrain(argv, tmp_path)
    assert_usage_error(result, "--model_name_or_path ./models/missing-t5 does not exist", out=tmp_path / "out")


def test_hub_unreachable_fails_fast_with_the_offline_fix(tmp_path):
    """The upstream command with Hub names, here where the Hub cannot be reached (no offline env set)."""
    env = summtrain_env(tmp_path)
    for key in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        env.pop(key, None)
    out = tmp_path / "tst-summarization"
    start = time.monotonic()
    result = run_summtrain(["--model_name_or_path", "t5-small", "--do_train", "--do_eval", "--dataset_name",
                            "cnn_dailymail", "--dataset_config", "3.0.0", "--source_prefix", "summarize: ",
                            "--output_dir", str(out), "--overwrite_output_dir", "--predict_with_generate"],
                           tmp_path, env=env)
    elapsed = time.monotonic() - start
    assert_usage_error(result, "t5-small", "Hub is unreachable", "local model folder", out=out)
    assert elapsed < 30, f"took {elapsed:.1f} s to report the unreachable Hub"


def test_hub_dataset_unreachable_suggests_local_files(tmp_path):
    out = tmp_path / "out"
    result = run_summtrain(["--model_name_or_path", TINY_MODEL, "--dataset_name", "cnn_dailymail",
                            "--dataset_config", "3.0.0", "--output_dir", str(out), *QUICK], tmp_path)
    assert_usage_error(result, "--dataset_name cnn_dailymail", "unreachable", "--train_file", out=out)


def test_do_predict_without_test_data(tmp_path, data_files):
    result = run_summtrain(local_argv(data_files, tmp_path / "out", "--do_predict"), tmp_path)
    assert_usage_error(result, "--do_predict needs data", "--test_file", out=tmp_path / "out")


def test_output_dir_with_another_runs_files(tmp_path, data_files):
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("someone else's run\n")
    result = run_summtrain(local_argv(data_files, out), tmp_path)
    assert_usage_error(result, "already holds another run's files", "notes.txt", "--overwrite_output_dir")
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]


@pytest.mark.parametrize(("flag", "value"), [("--per_device_train_batch_size", "0"),
                                             ("--per_device_eval_batch_size", "-4"),
                                             ("--max_source_length", "0"), ("--max_target_length", "-1")])
def test_non_positive_sizes(tmp_path, data_files, flag, value):
    result = run_summtrain(local_argv(data_files, tmp_path / "out", flag, value), tmp_path)
    assert_usage_error(result, flag, "must be a positive number", out=tmp_path / "out")


def test_unknown_flag_did_you_mean(tmp_path):
    result = run_summtrain(["--learnig_rate", "1e-3"], tmp_path)
    assert_usage_error(result, "did you mean --learning_rate?", out=tmp_path / "summtrain-output")
