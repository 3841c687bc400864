"""Checkpoints cross the two stacks (TF venv; drives the torch venv's python in a subprocess).

- torch (transformers 5) writes a checkpoint with `save_pretrained` (the layout the torch
  back ends write); the TF back end's loader reads it and generates the same tokens;
- the TF back end's PyTorch-layout export loads in torch and generates the same tokens.

The torch venv is $SUMMLAUNCH_VENV, else .venv at the top of the checkout (what
tests/setup/torch_venv.sh creates; tests/run_all.sh builds it before this suite).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from summtrain import assets
from summtrain.backends import tf_weights

pytestmark = pytest.mark.tf
ROOT = Path(__file__).resolve().parents[2]
GENERATE = {"max_length": 20, "num_beams": 1, "do_sample": False}

TORCH_SIDE = r"""
import json, sys, torch
from transformers import AutoModelForSeq2SeqLM, AutoTokenizer
mode, folder, out, texts, kwargs = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4]), json.loads(sys.argv[5])
tokenizer = AutoTokenizer.from_pretrained(folder)
model = AutoModelForSeq2SeqLM.from_pretrained(folder).eval()
if mode == "write":  # a checkpoint that is not the bundled one: seeded noise on every weight
    torch.manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
batch = tokenizer(texts, return_tensors="pt", padding=True)
with torch.no_grad():
    ids = model.generate(**batch, **kwargs)
print(json.dumps(ids.tolist()))
"""


def torch_python() -> Path:
    venv = Path(os.environ.get("SUMMLAUNCH_VENV") or ROOT / ".venv")
    python = venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"no torch venv at {venv}: run tests/setup/torch_venv.sh (or set SUMMLAUNCH_VENV)")
    return python


def run_torch(mode: str, folder: Path, out: Path, texts: list[str]) -> list[list[int]]:
    done = subprocess.run([str(torch_python()), "-c", TORCH_SIDE, mode, str(folder), str(out), json.dumps(texts),
                           json.dumps(GENERATE)], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def tf_generate(model, tokenizer, texts: list[str]) -> list[list[int]]:
    batch = tokenizer(texts, return_tensors="tf", padding=True)
    ids = model.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], **GENERATE)
    return ids.numpy().tolist()


def strip(rows: list[list[int]]) -> list[list[int]]:
    """Drop trailing padding (the two generate implementations pad finished rows differently)."""
    out = []
    for row in rows:
        while row and row[-1] == 0:
            row = row[:-1]
        out.append(row)
    return out


@pytest.fixture(scope="module")
def texts() -> list[str]:
    lines = assets.data_file("test").read_text().splitlines()[:4]
    return [json.loads(line)["article"] for line in lines]


@pytest.fixture(scope="module")
def torch_checkpoint(tmp_path_factory, texts) -> tuple[Path, list[list[int]]]:
    """A checkpoint written by torch (transformers 5) and its greedy generations."""
    folder = tmp_path_factory.mktemp("torch-written") / "pt"
    return folder, run_torch("write", assets.MODEL_DIR, folder, texts)


def test_checkpoint_written_by_torch_loads_in_tf_with_the_same_generations(torch_checkpoint, texts):
    folder, torch_ids = torch_checkpoint
    assert any(len(set(row)) > 2 for row in torch_ids)  # not a degenerate all-pad output
    model = tf_weights.load_tf_model(folder)
    tokenizer = tf_weights.load_tokenizer(str(folder))
    assert strip(tf_generate(model, tokenizer, texts)) == strip(torch_ids)


def test_tf_export_loads_in_torch_with_the_same_generations(torch_checkpoint, tmp_path: Path, texts):
    model = tf_weights.load_tf_model(torch_checkpoint[0])
    tokenizer = tf_weights.load_tokenizer(str(torch_checkpoint[0]))
    exported = tmp_path / "from-tf"
    tf_weights.export_pt_safetensors(model, exported)
    model.config.save_pretrained(exported)
    tokenizer.save_pretrained(exported)
    assert not (exported / "tf_model.h5").exists()  # torch reads only the safetensors export
    torch_ids = run_torch("read", exported, exported, texts)
    assert strip(torch_ids) == strip(tf_generate(model, tokenizer, texts))
