"""Each extra of pyproject.toml resolves, without any constraints file, to a set whose packages fit
together: torch-xla with the torch minor it was built for, tf-keras with its TensorFlow minor,
transformers 4.x for TF. pip's resolver report (`pip install --dry-run --report`) for a fresh,
empty virtualenv stands in for the install (the torch wheels are gigabytes). Needs PyPI.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def _minor(version: str) -> tuple[int, ...]:
    return tuple(int(p) for p in version.split("+")[0].split(".")[:2])


def resolve(extra: str, tmp: Path) -> dict[str, str]:
    """{package: version} pip would install for the extra into a fresh virtualenv."""
    requirements = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"][extra]
    venv.create(tmp / "venv", with_pip=False)
    report = tmp / "report.json"
    done = subprocess.run([sys.executable, "-m", "pip", "--python", str(tmp / "venv" / "bin" / "python"), "install",
                           "--dry-run", "--ignore-installed", "--quiet", "--report", str(report), *requirements],
                          capture_output=True, text=True, timeout=900)
    if done.returncode and "Network is unreachable" in done.stderr + done.stdout:
        pytest.fail(f"PyPI is unreachable: {done.stderr[-500:]}")
    assert done.returncode == 0, done.stderr[-3000:]
    items = json.loads(report.read_text())["install"]
    return {i["metadata"]["name"].lower().replace("_", "-"): i["metadata"]["version"] for i in items}


def test_xla_extra_resolves_torch_xla_with_its_torch(tmp_path):
    found = resolve("xla", tmp_path)
    assert _minor(found["torch"]) == _minor(found["torch-xla"]), found


def test_tf_extra_resolves_matching_keras_and_transformers_4(tmp_path):
    found = resolve("tf", tmp_path)
    assert _minor(found["tensorflow"]) == _minor(found["tf-keras"]), found
    assert _minor(found["transformers"])[0] == 4 and "torch" not in found, found


def test_torch_extra_resolves_the_torch_stack(tmp_path):
    found = resolve("torch", tmp_path)
    assert {"torch", "transformers", "accelerate", "datasets"} <= set(found), found
    assert _minor(found["transformers"]) >= (4, 44), found
