"""Pin resolution, compatibility rules and the content-hash tag (no engine needed)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from summlaunch.images import stacks as images
from summlaunch.images.rules import in_range, parse_pin


def _conflict(framework, pins, base_image=None) -> str:
    with pytest.raises(images.PinError) as info:
        images.resolve(framework, pins, base_image)
    return str(info.value)


@pytest.mark.parametrize("framework", ["torch-cuda", "torch-cpu", "tf", "xla"])
def test_every_stack_default_set_passes_the_rules(framework):
    spec = images.resolve(framework)
    assert spec.stack == framework and spec.pins
    assert all("==" in p for p in spec.pin_strings())


def test_aliases_map_frameworks_to_stacks():
    assert images.stack_name("torch") == "torch-cuda"
    assert images.stack_name("accelerate") == "torch-cuda"
    assert images.stack_name("tensorflow") == "tf"
    assert images.stack_name("tpu") == "xla"


def test_unknown_framework_suggests_a_name():
    with pytest.raises(images.PinError, match="did you mean 'torch'"):
        images.stack_name("torhc")


def test_user_pins_override_defaults():
    spec = images.resolve("torch", ["transformers==4.44.2", "torch==2.4.1"])
    pins = spec.pin_strings()
    assert "transformers==4.44.2" in pins and "torch==2.4.1" in pins
    assert not any(p.startswith("transformers==5") for p in pins)


def test_transformers5_with_tensorflow_names_both_pins_and_a_working_set():
    msg = _conflict("tf", ["transformers==5.0.0"])
    assert "transformers==5.0.0 and tensorflow==2.21.0" in msg
    assert "--pin transformers==4.57.6 --pin tensorflow==2.21.0" in msg
    images.resolve("tf", ["transformers==4.57.6", "tensorflow==2.21.0"])  # the suggestion works


def test_torch_xla_needs_the_same_torch_minor():
    msg = _conflict("xla", ["torch-xla==2.8.0"])
    assert "torch-xla==2.8.0 and torch==2.9.0" in msg
    assert "--pin torch==2.8.0" in msg
    images.resolve("xla", ["torch-xla==2.8.0", "torch==2.8.0"])


def test_tf_keras_needs_full_tensorflow_same_minor():
    assert "--pin tf-keras==2.20.0" in _conflict("tf", ["tensorflow==2.20.0"])
    assert "tensorflow-cpu==2.21.0" in _conflict("tf", ["tensorflow-cpu==2.21.0"])


def test_python_range_per_package():
    msg = _conflict("torch-cpu", ["python==3.13", "torch==2.4.1"])
    assert "torch==2.4.1 and python==3.13" in msg
    spec = images.resolve("torch-cpu", ["python==3.12"])
    assert spec.python == "3.12" and spec.base_image == "python:3.12-slim"


def test_cuda_of_the_base_against_torch_build():
    msg = _conflict("torch", ["torch==2.4.1"], base_image="nvidia/cuda:11.8.0-runtime-ubuntu22.04")
    assert "torch==2.4.1 and base CUDA 11.8" in msg and "--base-image nvidia/cuda:12" in msg
    images.resolve("torch", ["torch==2.4.1"], base_image="nvidia/cuda:12.4.1-runtime-ubuntu22.04")


@pytest.mark.parametrize("bad", ["torch", "torch>=2", "==2.1", "torch==", "torch == two"])
def test_pins_must_be_exact(bad):
    with pytest.raises(images.PinError, match="expected NAME==VERSION"):
        parse_pin(bad)


def test_version_ranges():
    assert in_range("2.13.0+cpu", ">=2.9")
    assert in_range("2.4.1", ">=2.4,<2.5") and not in_range("2.5.0", ">=2.4,<2.5")
    assert in_range("3.11", ">=3.10,<3.15") and not in_range("3.13", ">=3.8,<3.13")
    assert in_range("2.9.1", "==2.9") and not in_range("2.10.0", "==2.9")


def test_tag_is_stable_and_changes_with_pins_and_registry():
    a = images.image_ref("torch-cpu")
    assert a == images.image_ref("cpu") and a.startswith("summtrain:torch-cpu-")
    assert images.image_ref("torch-cpu", ["transformers==4.57.6"]) != a
    assert images.image_ref("torch-cpu", registry="reg.example:5000/team/") == "reg.example:5000/team/" + a


def test_tag_changes_with_the_training_package(tmp_path, monkeypatch):
    import shutil

    src = images._package_dir()
    copy = tmp_path / "summtrain"
    shutil.copytree(src, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setenv("SUMMLAUNCH_TRAINING_PACKAGE", str(copy))
    before = images.image_ref("torch-cpu")
    (copy / "errors.py").write_text((copy / "errors.py").read_text() + "\n# changed\n")
    assert images.image_ref("torch-cpu") != before


def test_image_ref_imports_neither_docker_nor_jinja():
    code = (
        "import sys, time; t = time.perf_counter(); from summlaunch.images.stacks import image_ref; "
        "image_ref('torch'); assert not [m for m in sys.modules if m.split('.')[0] in ('docker', 'jinja2')]; "
        "print(time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert float(out.stdout) < 1.0  # generous; benchmarks/ has the real figure


def test_pinned_ref_uses_the_recorded_digest(tmp_path, monkeypatch):
    monkeypatch.setenv("SUMMLAUNCH_CACHE", str(tmp_path))
    ref = "reg.example/summtrain:torch-cpu-0123"
    assert images.pinned_ref(ref) == ref
    images.record_image(ref, image_id="sha256:aa", digest="sha256:" + "b" * 64)
    assert images.pinned_ref(ref) == f"{ref}@sha256:{'b' * 64}"
    assert images.load_records()[ref]["image_id"] == "sha256:aa"


def test_training_package_override_must_be_a_package(tmp_path, monkeypatch):
    monkeypatch.setenv("SUMMLAUNCH_TRAINING_PACKAGE", str(tmp_path))
    with pytest.raises(images.PinError, match="not a summtrain package folder"):
        images.image_ref("torch-cpu")


@pytest.mark.parametrize("base", ["python:3.11-slim\nRUN curl evil", "bad image", "'quoted'"])
def test_base_image_must_be_a_plain_reference(base):
    with pytest.raises(images.PinError, match="not an image reference"):
        images.resolve("torch-cpu", base_image=base)
