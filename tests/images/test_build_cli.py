"""`summlaunch build` and `versions` paths that need no Docker engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile

from summlaunch.images import stacks as images

NO_ENGINE = "unix:///nonexistent/summlaunch-test.sock"


def cli(*argv, env=None):
    full_env = dict(os.environ, NO_COLOR="1", COLUMNS="120", **(env or {}))
    return subprocess.run([sys.executable, "-m", "summlaunch", *argv], capture_output=True, text=True,
                          env=full_env, timeout=120)


def assert_one_line_error(result, *needles):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for needle in needles:
        assert needle in lines[0], lines[0]


def test_rejected_pins_exit_2_before_anything_is_written(tmp_path):
    out = tmp_path / "ctx"
    result = cli("build", "--framework", "tf", "--pin", "transformers==5.1.0",
                 "--dockerfile-only", "--context-dir", str(out))
    assert_one_line_error(result, "transformers==5.1.0", "tensorflow==2.21.0", "--pin transformers==4.57.6")
    assert not out.exists()


def test_missing_engine_is_one_line_exit_2():
    result = cli("build", "--stack", "torch-cpu", env={"DOCKER_HOST": NO_ENGINE})
    assert_one_line_error(result, "no Docker engine answers at " + NO_ENGINE, "start dockerd")


def test_dockerfile_only_writes_context_without_an_engine(tmp_path):
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    (wheels / "demo-1.0-py3-none-any.whl").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    out = tmp_path / "ctx"
    result = cli("build", "--stack", "torch-cpu", "--pin", "transformers==4.57.6",
                 "--dockerfile-only", "--context-dir", str(out), "--ca-cert", str(ca),
                 "--wheelhouse", str(wheels), "-o", "json", env={"DOCKER_HOST": NO_ENGINE})
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["image"] == images.image_ref("torch-cpu", ["transformers==4.57.6"])
    dockerfile = (out / "Dockerfile").read_text()
    assert '"transformers==4.57.6"' in dockerfile and "FROM python:3.11-slim AS base" in dockerfile
    assert "USER summ" in dockerfile and "HF_HOME=/workspace/hf-cache" in dockerfile
    assert 'dev.summlaunch.pin.transformers="4.57.6"' in dockerfile
    # build-only inputs are bind-mounted into the one pip step (BuildKit): no COPY, no layer holds them
    assert "RUN --mount=type=bind,source=build-inputs,target=/tmp/summlaunch-build" in dockerfile
    assert "COPY build-inputs" not in dockerfile and "--from=" not in dockerfile
    assert "--cert=/tmp/summlaunch-build/ca.pem --find-links=/tmp/summlaunch-build/wheels" in dockerfile
    # the pinned dependencies come before the project code
    assert dockerfile.index("/opt/venv/bin/pip install --cert") < dockerfile.index("COPY dist/")
    assert (out / "build-inputs" / "ca.pem").read_text() == ca.read_text()
    assert (out / "build-inputs" / "wheels" / "demo-1.0-py3-none-any.whl").exists()
    wheel = next((out / "dist").glob("summtrain-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "summtrain/__init__.py" in names and any(n.endswith("entry_points.txt") for n in names)


def test_training_wheel_is_reproducible(tmp_path):
    from summlaunch.images.context import write_wheel

    a = write_wheel(tmp_path / "a").read_bytes()
    b = write_wheel(tmp_path / "b").read_bytes()
    assert a == b


def test_dockerfile_only_refuses_a_non_empty_dir(tmp_path):
    (tmp_path / "keep.txt").write_text("x")
    result = cli("build", "--stack", "torch-cpu", "--dockerfile-only", "--context-dir", str(tmp_path))
    assert_one_line_error(result, "not empty")


def test_versions_lists_stacks_and_rules_as_json():
    result = cli("versions", "-o", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert set(data["stacks"]) == {"torch-cuda", "torch-cpu", "tf", "xla"}
    assert data["stacks"]["torch-cpu"]["image"] == images.image_ref("torch-cpu")
    assert {r["id"] for r in data["rules"]} >= {"transformers5-no-tf", "torch-xla-same-torch-minor",
                                                "tf-keras-same-tensorflow-minor"}
    assert data["python_support"] and data["torch_cuda"]


def test_versions_text_names_every_stack():
    result = cli("versions")
    assert result.returncode == 0, result.stderr
    for name in ("torch-cuda", "torch-cpu", "tf", "xla", "transformers5-no-tf"):
        assert name in result.stdout
