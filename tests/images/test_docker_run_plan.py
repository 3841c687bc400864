"""How `run --docker` maps flags and the host environment onto a container (no engine needed)."""

from __future__ import annotations

import argparse

import pytest

from summlaunch.images import docker_job
from summlaunch.images import docker_run
from summlaunch.images import stacks as images
from summlaunch.errors import SummlaunchError


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    docker_run.add_arguments(parser)
    return parser.parse_args(list(argv))


def test_default_is_the_embedded_run_with_host_outputs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    job = docker_job.plan(parse("--docker", "--stack", "torch-cpu"), ["--max_steps", "5"])
    assert job.image == images.image_ref("torch-cpu")
    assert job.command == ("summtrain", "--backend", "trainer", "--max_steps", "5", "--output_dir", "/workspace/outputs/summlaunch-run")
    assert job.mounts == {str(tmp_path / "outputs" / "summlaunch-run"): "/workspace/outputs/summlaunch-run",
                          str(tmp_path / "hf"): "/workspace/hf-cache"}
    assert "HF_TOKEN" not in job.env and job.gpus is None


def test_output_dir_flag_is_mounted_and_rewritten(tmp_path):
    out = tmp_path / "runs" / "r1"
    job = docker_job.plan(parse("--docker", "--image", "img:1"), ["--do_train", "--output_dir", str(out)])
    assert job.command == ("summtrain", "--backend", "trainer", "--do_train", "--output_dir", "/workspace/outputs/r1")
    assert job.mounts[str(out)] == "/workspace/outputs/r1" and job.image == "img:1"


def test_token_comes_from_the_host_environment_not_argv(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    job = docker_job.plan(parse("--docker", "--image", "img:1"), [])
    assert job.env["HF_TOKEN"] == "hf_secret_value"
    assert not any("hf_secret_value" in part for part in job.command)


@pytest.mark.parametrize(("gpus", "command"), [
    ("1", ["summtrain"]),
    ("4", ["torchrun", "--standalone", "--nproc_per_node=4", "-m", "summtrain"]),
    ("all", ["torchrun", "--standalone", "--nproc_per_node=gpu", "-m", "summtrain"]),
])
def test_gpus_pick_the_single_node_command(gpus, command):
    job = docker_job.plan(parse("--docker", "--image", "img:1", "--gpus", gpus), [])
    assert list(job.command[: len(command)]) == command and job.gpus == gpus


def test_bad_gpus_value_is_rejected():
    with pytest.raises(SummlaunchError, match="--gpus 'two'"):
        docker_job.plan(parse("--docker", "--image", "img:1", "--gpus", "two"), [])


def test_container_path_as_output_dir_is_rejected():
    with pytest.raises(SummlaunchError, match="give a host directory"):
        docker_job.plan(parse("--docker", "--image", "img:1"), ["--output_dir", "/workspace/outputs/x"])


def test_gpu_device_requests():
    from summlaunch.images.engine import _gpu_requests

    assert _gpu_requests(None) == [] and _gpu_requests("0") == []
    assert _gpu_requests("all")[0]["Count"] == -1
    assert _gpu_requests("2")[0]["Count"] == 2 and _gpu_requests("2")[0]["Capabilities"] == [["gpu"]]


@pytest.mark.parametrize(("stack", "backend"), [("torch-cuda", "trainer"), ("torch-cpu", "trainer"), ("tf", "tf"),
                                                ("xla", "xla")])
def test_each_stack_runs_its_back_end(stack, backend):
    job = docker_job.plan(parse("--docker", "--stack", stack), [])
    assert job.image == images.image_ref(stack)
    assert list(job.command[:3]) == ["summtrain", "--backend", backend]


@pytest.mark.parametrize(("framework", "stack", "backend"), [
    ("torch", "torch-cuda", "trainer"), ("accelerate", "torch-cuda", "accelerate"), ("tf", "tf", "tf"),
    ("xla", "xla", "xla")])
def test_framework_picks_back_end_and_default_stack(framework, stack, backend):
    job = docker_job.plan(parse("--docker", "--framework", framework), [])
    assert job.image == images.image_ref(stack)
    assert "--backend" in job.command and job.command[job.command.index("--backend") + 1] == backend


def test_accelerate_with_several_gpus_uses_accelerate_launch():
    job = docker_job.plan(parse("--docker", "--image", "i:1", "--framework", "accelerate", "--gpus", "2"), [])
    assert list(job.command[:6]) == ["accelerate", "launch", "--num_processes", "2", "--multi_gpu", "-m"]
    assert job.command[6:9] == ("summtrain", "--backend", "accelerate")


def test_a_stack_given_as_framework_is_taken_as_the_stack():
    job = docker_job.plan(parse("--docker", "--framework", "torch-cpu"), [])
    assert job.image == images.image_ref("torch-cpu") and job.command[:3] == ("summtrain", "--backend", "trainer")


def test_run_docker_dry_run_with_tf_starts_the_tf_back_end():
    from summlaunch import cli

    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert cli.main(["run", "--docker", "--framework", "tf", "--dry-run", "--image", "img:tf"]) == 0
    line = out.getvalue()
    assert " img:tf summtrain --backend tf " in line, line
