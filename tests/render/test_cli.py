"""`summlaunch render` from the command line: flags, output formats, files, errors, warnings."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
import yaml

from ._support import case_argv, run_cli

IMG = ["--image", "ghcr.io/example/summtrain:torch-test"]
ISSUE_FLAGS = ("--name", "-n", "--namespace", "-f", "--file", "--framework", "--gpus", "--nodes", "--gpus-per-node",
               "--tpu", "--image", "--env", "--label", "--annotation", "--node-selector", "--toleration", "--pvc",
               "--hf-token-secret", "--queue", "--priority-class")


def test_help_lists_the_documented_flags():
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "120"}
    proc = subprocess.run([sys.executable, "-m", "summlaunch", "render", "--help"], capture_output=True, text=True,
                          env=env, timeout=60)
    assert proc.returncode == 0, proc.stderr
    for flag in ISSUE_FLAGS:
        assert f"{flag} " in proc.stdout or f"{flag}," in proc.stdout, flag


def test_yaml_is_the_default_and_matches_json():
    code, out_yaml, _ = run_cli(["render", *IMG, "--gpus", "8", "--nodes", "2"])
    assert code == 0
    code, out_json, _ = run_cli(["render", *IMG, "--gpus", "8", "--nodes", "2", "-o", "json"])
    assert code == 0
    as_list = json.loads(out_json)
    assert (as_list["apiVersion"], as_list["kind"]) == ("v1", "List")
    assert as_list["items"] == [d for d in yaml.safe_load_all(out_yaml) if d]
    code, out_array, _ = run_cli(["render", *IMG, "--gpus", "8", "--nodes", "2", "-o", "json-array"])
    assert json.loads(out_array) == as_list["items"]


def test_output_dir_writes_one_file_per_object(tmp_path):
    code, out, err = run_cli(["render", *IMG, "--name", "files", "--pvc-size", "10Gi", "--output-dir", str(tmp_path)])
    assert code == 0, err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["persistentvolumeclaim-files-workspace.yaml", "pytorchjob-files.yaml"]
    assert out.split() == [str(tmp_path / n) for n in ["persistentvolumeclaim-files-workspace.yaml", "pytorchjob-files.yaml"]]
    job = yaml.safe_load((tmp_path / "pytorchjob-files.yaml").read_text())
    assert job["kind"] == "PyTorchJob"


def test_tpu_yaml_leads_with_the_gcloud_command():
    code, out, _ = run_cli(case_argv("tpu-v5e-16"))
    assert code == 0
    first = out.splitlines()[:2]
    assert first[0].startswith("# The TPU node pool(s) this job needs")
    assert first[1].startswith("# gcloud container node-pools create tpu-v5e-16-pool-0 ")
    assert "--tpu-topology=4x4" in first[1]


@pytest.mark.parametrize("argv,message", [
    (["render", *IMG, "--gpus", "7", "--nodes", "2"], "summlaunch render: error: --gpus 7: cannot be split evenly"),
    (["render", *IMG, "--tpu", "v5e-3"], "valid: v5e-1, v5e-4"),
    (["render", *IMG, "--", "--output_dir", "/tmp/x"], "not on the shared volume"),
])
def test_errors_exit_2_with_one_line(argv, message):
    code, out, err = run_cli(argv)
    assert code == 2
    assert out == ""
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_training_flags_without_separator_are_refused(capsys):
    with pytest.raises(SystemExit) as info:
        run_cli(["render", *IMG, "--do_train"])
    assert info.value.code == 2


def test_warnings_go_to_stderr_and_output_stays_clean():
    code, out, err = run_cli(["render", *IMG, "--", "--do_eval"])
    assert code == 0
    assert "warning: --do_eval without --predict_with_generate" in err
    assert all(d["kind"] for d in yaml.safe_load_all(out) if d)


def test_output_dir_is_not_half_written_on_error(tmp_path):
    code, _, _ = run_cli(["render", *IMG, "--gpus", "3", "--nodes", "2", "--output-dir", str(tmp_path / "out")])
    assert code == 2
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("value", ["3e-4", "1e5", "1_000", "0o17", "0x1F", ".inf", ".nan", "on", "off", "y", "no",
                                   "~", "null", "", "12:30", "1.", ".5", "+1"])
def test_yaml_quotes_strings_a_yaml_1_2_reader_would_not_read_as_strings(value):
    code, out, _ = run_cli(["render", *IMG, "--", "--source_prefix", value])
    assert code == 0
    assert f"- '{value}'\n" in out
    job = [d for d in yaml.safe_load_all(out) if d][-1]
    assert job["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]["args"][-3] == value
