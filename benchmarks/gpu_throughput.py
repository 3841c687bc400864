"""GPU training throughput: upstream's default flags against summtrain's GPU defaults, one run.

The t5-small architecture (its config, written here; random weights, no Hub) trains on synthetic
data of CNN/DailyMail's shape through the real summtrain Trainer back end, twice, in separate
processes (`_gpu_run.py` times the updates after a warm-up and the generation):

- upstream: `--gpu_defaults false`, i.e. transformers' own defaults for upstream's flags;
- summtrain: the same flags, with summtrain's GPU defaults (summtrain.gpu_defaults);
- with `--compile`, a third run adds `--torch_compile true` (to measure whether it pays).

Same effective batch, steps, data and seed. Printed per run: train samples/s, peak GPU memory,
MFU (6 x parameters x real tokens/s over the GPU's peak dense bf16 rate, `PEAK_BF16_TFLOPS`),
and evaluation's generation samples/s; then the ratio summtrain/upstream (target >= 1.5, exit
code 1 when missed on a GPU), and how far the summtrain run's logged loss strays from the fp32
run's (`summtrain.gpu_defaults.loss_agreement` and its stated tolerances; exit code 1 when outside).
`--tiny` (automatic without CUDA) runs a tiny config on the CPU in about a minute, so a test keeps
the script working; its figures say nothing about GPUs.

    python benchmarks/gpu_throughput.py [--steps 200] [--warmup 20] [--batch 32] [--compile] [--json]
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, NamedTuple, Optional

from summtrain.gpu_defaults import LOSS_SECOND_HALF_TOLERANCE, LOSS_WINDOW_TOLERANCE, loss_agreement

HERE = Path(__file__).resolve().parent
TARGET = 1.5

# Peak dense (no sparsity) bf16 tensor-core rate in TFLOPS, from the vendors' datasheets (their
# figures "with sparsity" halved). First match on torch.cuda.get_device_name() wins.
PEAK_BF16_TFLOPS: list[tuple[str, float]] = [
    (r"H200", 989.0),  # NVIDIA H200 Tensor Core GPU datasheet: BF16 1,979 TFLOPS with sparsity (SXM)
    (r"H100.*NVL", 835.0),  # NVIDIA H100 datasheet: H100 NVL BF16 1,671 TFLOPS with sparsity
    (r"H100.*PCIe", 756.0),  # NVIDIA H100 datasheet: H100 PCIe BF16 1,513 TFLOPS with sparsity
    (r"H100", 989.0),  # NVIDIA H100 datasheet: H100 SXM BF16 1,979 TFLOPS with sparsity
    (r"B200", 2250.0),  # NVIDIA HGX B200 datasheet: FP16/BF16 4.5 PFLOPS with sparsity per GPU
    (r"A100", 312.0),  # NVIDIA A100 datasheet: BF16 312 TFLOPS (624 with sparsity)
    (r"L40S", 362.0),  # NVIDIA L40S datasheet: BF16 733 TFLOPS with sparsity
    (r"\bL4\b", 121.0),  # NVIDIA L4 datasheet: BF16 242 TFLOPS with sparsity
    (r"\bA10\b", 125.0),  # NVIDIA A10 datasheet: BF16 250 TFLOPS with sparsity (A10G: not published; --peak-tflops)
]


class Shape(NamedTuple):
    """Model config and data shape of one benchmark size."""

    model: dict[str, Any]
    source: tuple[float, float, int]  # log-normal median, sigma, truncation (max_source_length)
    target: tuple[float, float, int]
    steps: int
    warmup: int
    batch: int
    eval_samples: int
    eval_batch: int


# t5-small (google-t5/t5-small config.json): the T5Config fields that make its shape.
T5_SMALL = dict(d_model=512, d_ff=2048, d_kv=64, num_layers=6, num_decoder_layers=6, num_heads=8,
                vocab_size=32128, feed_forward_proj="relu", relative_attention_num_buckets=32,
                relative_attention_max_distance=128, dropout_rate=0.1, layer_norm_epsilon=1e-6,
                tie_word_embeddings=True)
# CNN/DailyMail 3.0.0: articles ~781 and highlights ~56 tokens on average (See et al. 2017, Table 1),
# skewed right; log-normal lengths with those means (median x exp(sigma^2 / 2)), truncated as upstream.
SHAPES = {
    "gpu": Shape(T5_SMALL, (690.0, 0.5, 512), (53.0, 0.35, 128), steps=200, warmup=20, batch=32, eval_samples=320,
                 eval_batch=64),
    "tiny": Shape(dict(T5_SMALL, d_model=32, d_ff=64, d_kv=8, num_layers=1, num_decoder_layers=1, num_heads=4,
                       vocab_size=512, relative_attention_num_buckets=8, dropout_rate=0.0),
                  (40.0, 0.5, 64), (10.0, 0.35, 16), steps=6, warmup=2, batch=4, eval_samples=16, eval_batch=8),
}
SPECIALS = ["<pad>", "</s>", "<unk>"]


def peak_tflops(device_name: str) -> Optional[float]:
    for pattern, tflops in PEAK_BF16_TFLOPS:
        if re.search(pattern, device_name):
            return tflops
    return None


def lengths(rng: random.Random, n: int, median: float, sigma: float) -> list[int]:
    return [max(4, min(int(round(rng.lognormvariate(math.log(median), sigma))), int(median * 6)))
            for _ in range(n)]


def write_model(folder: Path, shape: Shape) -> int:
    """Word-level tokenizer over the vocabulary and a randomly initialised T5; the parameter count."""
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers, processors
    from transformers import PreTrainedTokenizerFast, T5Config, T5ForConditionalGeneration

    vocab_size = shape.model["vocab_size"]
    vocab = {w: i for i, w in enumerate(SPECIALS + [f"w{i}" for i in range(len(SPECIALS), vocab_size)])}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="<unk>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>",
                                        unk_token="<unk>", model_max_length=4096)
    torch.manual_seed(0)
    config = T5Config(pad_token_id=0, eos_token_id=1, decoder_start_token_id=0, **shape.model)
    model = T5ForConditionalGeneration(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return sum(p.numel() for p in model.parameters())


def write_data(folder: Path, shape: Shape, rows: int, seed: int) -> dict[str, float]:
    """train/validation JSON Lines of random words; the mean real tokens per sample after truncation."""
    rng = random.Random(seed)
    vocab = shape.model["vocab_size"]
    stats = {"source": 0.0, "target": 0.0}
    for split, n in (("train", rows), ("validation", shape.eval_samples)):
        src, tgt = lengths(rng, n, *shape.source[:2]), lengths(rng, n, *shape.target[:2])
        with (folder / f"{split}.jsonl").open("w") as f:
            for a, b in zip(src, tgt):
                words = [f"w{rng.randrange(len(SPECIALS), vocab)}" for _ in range(a + b)]
                f.write(json.dumps({"article": " ".join(words[:a]), "highlights": " ".join(words[a:])}) + "\n")
        if split == "train":  # + 1: the appended </s>
            stats["source"] = sum(min(x + 1, shape.source[2]) for x in src) / n
            stats["target"] = sum(min(x + 1, shape.target[2]) for x in tgt) / n
    return stats


def summtrain_flags(folder: Path, shape: Shape, steps: int, batch: int) -> list[str]:
    """Upstream's flags for this run (the README command's form), with local model and data."""
    return ["--model_name_or_path", str(folder / "model"), "--train_file", str(folder / "train.jsonl"),
            "--validation_file", str(folder / "validation.jsonl"), "--text_column", "article",
            "--summary_column", "highlights", "--do_train", "--do_eval", "--predict_with_generate",
            "--max_source_length", str(shape.source[2]), "--max_target_length", str(shape.target[2]),
            "--max_steps", str(steps), "--per_device_train_batch_size", str(batch),
            "--per_device_eval_batch_size", str(shape.eval_batch), "--save_strategy", "no",
            "--report_to", "none", "--disable_tqdm", "true", "--logging_steps", str(max(steps // 20, 1)),
            "--seed", "42", "--eval_before_train", "false", "--overwrite_output_dir"]


def run_one(folder: Path, name: str, flags: list[str], warmup: int) -> dict[str, Any]:
    result = folder / f"{name}.json"
    command = [sys.executable, str(HERE / "_gpu_run.py"), str(result), str(warmup), *flags,
               "--output_dir", str(folder / name)]
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"the {name} run failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}")
    out = json.loads(result.read_text())
    out["log"] = [line for line in proc.stderr.splitlines() if line.startswith("summtrain: GPU default:")]
    history = json.loads((folder / name / "trainer_state.json").read_text())["log_history"]
    out["losses"] = [e["loss"] for e in history if "loss" in e]
    return out


def figures(run: dict[str, Any], params: int, tokens_per_sample: float, peak: Optional[float]) -> dict[str, Any]:
    samples_s = run["timed_steps"] * run["samples_per_step"] / run["train_seconds"]
    gen = run["generation"]
    mfu = 6 * params * tokens_per_sample * samples_s / (peak * 1e12) if peak else None
    return {"train_samples_per_s": samples_s, "mfu": mfu, "peak_gpu_memory_gib": (
        run["peak_gpu_memory_bytes"] / 2**30 if run["peak_gpu_memory_bytes"] is not None else None),
        "generation_samples_per_s": gen["samples"] / gen["seconds"] if gen["seconds"] else None,
        "generation_tokens_per_s": gen["new_tokens"] / gen["seconds"] if gen["seconds"] else None,
        "settings": run["settings"], "gpu_default_log": run["log"], "losses": run["losses"]}


def device() -> tuple[bool, str]:
    import torch

    return (True, torch.cuda.get_device_name()) if torch.cuda.is_available() else (False, "CPU (no CUDA)")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    cuda, name = device()
    shape = SHAPES["tiny" if args.tiny or not cuda else "gpu"]
    steps, warmup, batch = args.steps or shape.steps, args.warmup or shape.warmup, args.batch or shape.batch
    peak = args.peak_tflops or (peak_tflops(name) if cuda else None)
    with tempfile.TemporaryDirectory(prefix="gpu-throughput-") as tmp:
        folder = Path(tmp)
        params = write_model(folder / "model", shape)
        stats = write_data(folder, shape, rows=max(steps * batch, 64), seed=0)
        flags = summtrain_flags(folder, shape, steps, batch)
        plans = [("upstream", [*flags, "--gpu_defaults", "false"]), ("summtrain", flags)]
        if args.compile:
            plans.append(("summtrain+compile", [*flags, "--torch_compile", "true"]))
        tokens = stats["source"] + stats["target"]
        runs = {n: figures(run_one(folder, n, f, warmup), params, tokens, peak) for n, f in plans}
    ratio = runs["summtrain"]["train_samples_per_s"] / runs["upstream"]["train_samples_per_s"]
    worst, second = loss_agreement(runs["upstream"]["losses"], runs["summtrain"]["losses"])
    return {"device": name, "cuda": cuda, "config": "tiny" if shape is SHAPES["tiny"] else "t5-small",
            "parameters": params, "peak_bf16_tflops": peak, "steps": steps, "warmup_steps": warmup,
            "batch": batch, "mean_source_tokens": stats["source"], "mean_target_tokens": stats["target"],
            "runs": runs, "ratio": ratio, "target": TARGET,
            "loss": {"worst_window_gap": worst, "second_half_gap": second, "window_tolerance": LOSS_WINDOW_TOLERANCE,
                     "second_half_tolerance": LOSS_SECOND_HALF_TOLERANCE,
                     "within": worst <= LOSS_WINDOW_TOLERANCE and second <= LOSS_SECOND_HALF_TOLERANCE}}


def _fmt(value: Optional[float], spec: str, unit: str = "") -> str:
    return "n/a" if value is None else format(value, spec) + unit


def report(m: dict[str, Any]) -> None:
    peak = f"peak dense bf16 {m['peak_bf16_tflops']:.0f} TFLOPS" if m["peak_bf16_tflops"] else "peak rate unknown"
    print(f"device: {m['device']} ({peak if m['cuda'] else 'tiny config, CPU: checks the script, not a GPU figure'})")
    print(f"model: {m['config']} shape, {m['parameters']:,} parameters, random weights; "
          f"{m['steps']} steps of batch {m['batch']} ({m['warmup_steps']} warm-up steps not timed); "
          f"real tokens per sample: source {m['mean_source_tokens']:.0f} + target {m['mean_target_tokens']:.0f}")
    print(f"{'run':<18} {'train samples/s':>15} {'peak GPU mem':>12} {'MFU':>6} {'gen samples/s':>13}  settings")
    for name, r in m["runs"].items():
        s = r["settings"]
        settings = (f"{s['precision']}, tf32 {s['tf32']}, {s['optim']}, {s['order']}, {s['workers']} workers, "
                    f"pin {s['pin_memory']}, compile {s['torch_compile']}")
        print(f"{name:<18} {r['train_samples_per_s']:>15.1f} {_fmt(r['peak_gpu_memory_gib'], '.2f', ' GiB'):>12} "
              f"{_fmt(None if r['mfu'] is None else 100 * r['mfu'], '.1f', '%'):>6} "
              f"{_fmt(r['generation_samples_per_s'], '.1f'):>13}  {settings}")
    loss = m["loss"]
    print(f"loss vs upstream's (fp32) over {m['steps']} steps: "
          f"worst logged window {100 * loss['worst_window_gap']:.1f}% "
          f"(tolerance {100 * loss['window_tolerance']:.0f}%), second-half mean {100 * loss['second_half_gap']:.1f}% "
          f"(tolerance {100 * loss['second_half_tolerance']:.0f}%): {'within' if loss['within'] else 'OUTSIDE'}")
    note = f"target >= {m['target']}" if m["cuda"] else "no CUDA: both runs have the same settings, this is noise"
    print(f"ratio summtrain/upstream (train samples/s): {m['ratio']:.2f} ({note})")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiny", action="store_true", help="tiny config on the CPU (automatic without CUDA)")
    parser.add_argument("--steps", type=int, help="optimizer updates per run (default: 200; tiny: 6)")
    parser.add_argument("--warmup", type=int, help="untimed first updates (default: 20; tiny: 2)")
    parser.add_argument("--batch", type=int, help="per-device train batch, both runs (default: 32; tiny: 4)")
    parser.add_argument("--compile", action="store_true", help="a third run with --torch_compile true")
    parser.add_argument("--peak-tflops", type=float, help="the GPU's peak dense bf16 TFLOPS, if not in the table")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    shape = SHAPES["tiny" if args.tiny or not device()[0] else "gpu"]
    if (args.steps or shape.steps) <= (args.warmup or shape.warmup):
        parser.error("--steps must exceed --warmup: the timed updates come after the warm-up")
    m = measure(args)
    if args.json:
        print(json.dumps(m, indent=1))
    else:
        report(m)
    missed = m["ratio"] < TARGET or not m["loss"]["within"]
    return 1 if m["cuda"] and m["config"] == "t5-small" and missed else 0


if __name__ == "__main__":
    sys.exit(main())
