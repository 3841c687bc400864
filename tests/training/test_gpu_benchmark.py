"""benchmarks/gpu_throughput.py keeps working: its tiny CPU mode runs both configurations end to end
through the real summtrain Trainer back end, and its GPU table tells the GPUs apart."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import summtrain_env

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "gpu_throughput.py"


def _module():
    spec = importlib.util.spec_from_file_location("gpu_throughput", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tiny_mode_measures_both_runs_on_the_cpu(tmp_path):
    result = subprocess.run([sys.executable, str(SCRIPT), "--tiny", "--json"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=600, env=summtrain_env(tmp_path, OMP_NUM_THREADS="1"))
    assert result.returncode == 0, result.stderr[-3000:]
    m = json.loads(result.stdout)
    assert m["config"] == "tiny" and set(m["runs"]) == {"upstream", "summtrain"}
    for run in m["runs"].values():
        assert run["train_samples_per_s"] > 0 and run["generation_samples_per_s"] > 0
    ratio = m["runs"]["summtrain"]["train_samples_per_s"] / m["runs"]["upstream"]["train_samples_per_s"]
    assert m["ratio"] == pytest.approx(ratio)
    upstream, ours = m["runs"]["upstream"], m["runs"]["summtrain"]
    if m["cuda"]:  # the GPU defaults are on in one run only, one log line each
        assert upstream["gpu_default_log"] == [] and len(ours["gpu_default_log"]) >= 4
        assert upstream["settings"]["order"] == "random" and ours["settings"]["order"] == "group_by_length"
    else:  # no GPU: no GPU defaults, no GPU figures, no pinned memory
        for run in (upstream, ours):
            assert run["mfu"] is None and run["peak_gpu_memory_gib"] is None and run["gpu_default_log"] == []
            assert run["settings"]["precision"] == "fp32" and run["settings"]["pin_memory"] is False
    assert 0 < m["mean_source_tokens"] <= 64 and 0 < m["mean_target_tokens"] <= 16
    assert len(upstream["losses"]) == len(ours["losses"]) == m["steps"]  # tiny: a loss logged every step
    assert m["loss"]["worst_window_gap"] >= m["loss"]["second_half_gap"] >= 0


@pytest.mark.parametrize("name, tflops", [
    ("NVIDIA H100 80GB HBM3", 989.0), ("NVIDIA H100 PCIe", 756.0), ("NVIDIA H100 NVL", 835.0),
    ("NVIDIA H200", 989.0), ("NVIDIA A100-SXM4-80GB", 312.0), ("NVIDIA A10", 125.0), ("NVIDIA A10G", None),
    ("NVIDIA L4", 121.0), ("NVIDIA L40S", 362.0), ("Tesla T4", None),
])
def test_peak_rate_table_tells_gpus_apart(name, tflops):
    assert _module().peak_tflops(name) == tflops


def test_synthetic_lengths_follow_the_cnn_dailymail_means():
    import random

    m = _module()
    shape = m.SHAPES["gpu"]
    rng = random.Random(0)
    src, tgt = m.lengths(rng, 20000, *shape.source[:2]), m.lengths(rng, 20000, *shape.target[:2])
    assert 740 < sum(src) / len(src) < 820 and 50 < sum(tgt) / len(tgt) < 62  # ~781 and ~56 (See et al. 2017)
    assert sum(x >= 512 for x in src) / len(src) > 0.6  # most articles are longer than max_source_length


def test_one_token_per_synthetic_word_so_the_token_counts_hold(tmp_path):
    """MFU counts the real tokens from the generated lengths: the tokenizer must agree with them."""
    import json as json_

    from transformers import AutoTokenizer

    m = _module()
    shape = m.SHAPES["tiny"]
    m.write_model(tmp_path / "model", shape)
    stats = m.write_data(tmp_path, shape, rows=200, seed=1)
    tokenizer = AutoTokenizer.from_pretrained(tmp_path / "model")
    rows = [json_.loads(line) for line in (tmp_path / "train.jsonl").read_text().splitlines()]
    source = [len(tokenizer(r["article"], max_length=shape.source[2], truncation=True)["input_ids"]) for r in rows]
    target = [len(tokenizer(text_target=r["highlights"], max_length=shape.target[2], truncation=True)["input_ids"])
              for r in rows]
    assert sum(source) / len(rows) == pytest.approx(stats["source"])
    assert sum(target) / len(rows) == pytest.approx(stats["target"])
    assert tokenizer.unk_token_id not in {t for r in rows for t in tokenizer(r["article"])["input_ids"]}
