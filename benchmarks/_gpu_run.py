"""Run `python -m summtrain ARGS...` with its training steps and its generation timed, for gpu_throughput.py.

    python _gpu_run.py RESULT.json WARMUP_STEPS SUMMTRAIN_ARGS...

Nothing in summtrain is replaced: a callback added to the Trainer times the updates after
WARMUP_STEPS (CUDA synchronised) and reads the peak GPU memory, and `generate` is wrapped to
time evaluation's generation (every call but the first). RESULT.json gets the figures and the
settings the run trained with.
"""

import json
import runpy
import sys
import time

import torch
from transformers import GenerationMixin, Trainer, TrainerCallback

RESULT, WARMUP = sys.argv[1], int(sys.argv[2])
CUDA = torch.cuda.is_available()
result: dict = {"generation": {"seconds": 0.0, "samples": 0, "new_tokens": 0}}


def sync() -> None:
    if CUDA:
        torch.cuda.synchronize()


class StepTimer(TrainerCallback):
    def on_train_begin(self, args, state, control, **kwargs):
        if CUDA:
            torch.cuda.reset_peak_memory_stats()
        result["settings"] = {
            "precision": "bf16" if args.bf16 else "fp16" if args.fp16 else "fp32", "tf32": args.tf32,
            "optim": str(getattr(args.optim, "value", args.optim)), "order": args.train_sampling_strategy,
            "workers": args.dataloader_num_workers, "pin_memory": args.dataloader_pin_memory,
            "torch_compile": args.torch_compile}
        result["samples_per_step"] = args.train_batch_size * args.gradient_accumulation_steps * args.world_size

    def on_step_end(self, args, state, control, **kwargs):
        if state.global_step == WARMUP:
            sync()
            self.start = time.perf_counter()
        elif state.global_step == state.max_steps:
            sync()
            result["train_seconds"] = time.perf_counter() - self.start
            result["timed_steps"] = state.max_steps - WARMUP
            result["peak_gpu_memory_bytes"] = torch.cuda.max_memory_allocated() if CUDA else None


_train, _generate = Trainer.train, GenerationMixin.generate


def train(self, *args, **kwargs):
    self.add_callback(StepTimer())
    return _train(self, *args, **kwargs)


def generate(self, *args, **kwargs):
    sync()
    start = time.perf_counter()
    out = _generate(self, *args, **kwargs)
    sync()
    ids = out if torch.is_tensor(out) else out.sequences
    gen = result["generation"]
    gen["calls"] = gen.get("calls", 0) + 1
    if gen["calls"] == 1:  # the first call warms up (kernels, caches): not timed
        return out
    gen["seconds"] += time.perf_counter() - start
    gen["samples"] += ids.shape[0]
    gen["new_tokens"] += int(ids.shape[0] * (ids.shape[1] - 1))  # less the decoder start token
    return out


Trainer.train, GenerationMixin.generate = train, generate
sys.argv = ["summtrain", *sys.argv[3:]]
code = 1
try:
    runpy.run_module("summtrain", run_name="__main__", alter_sys=True)
except SystemExit as e:
    code = e.code if isinstance(e.code, int) else 1
result["exit_code"] = code
with open(RESULT, "w") as f:
    json.dump(result, f)
sys.exit(code)
