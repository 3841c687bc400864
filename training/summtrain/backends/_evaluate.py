"""Evaluation and prediction for the plain torch loops: loss plus generation, ROUGE through
`summtrain.metrics`, the Trainer's metric keys (`eval_loss`, `eval_rouge1`, ..., `eval_gen_len`,
`eval_runtime`, `eval_samples_per_second`, `eval_steps_per_second`, `eval_samples`).

With an Accelerator the split is sharded over the processes and the results gathered (padded
across processes, duplicates of the last batch dropped); without one, a single model on one
device does it all (the XLA back end uses a CPU copy of its weights).
"""

from __future__ import annotations

import time
from typing import Any, Optional

from summtrain import metrics


def generation_kwargs(training_args, data_args) -> dict[str, Any]:
    """As upstream: --generation_max_length, else --val_max_target_length; beams likewise."""
    max_length = (training_args.generation_max_length or data_args.val_max_target_length
                  or data_args.max_target_length)
    num_beams = training_args.generation_num_beams or data_args.num_beams or 1
    return {"max_length": max_length, "num_beams": num_beams}


def _pad_rows(rows: list[list[int]], pad_id: int):
    import numpy as np

    width = max((len(r) for r in rows), default=1)
    out = np.full((len(rows), width), pad_id, dtype=np.int64)
    for i, row in enumerate(rows):
        out[i, :len(row)] = row
    return out


def _batch_outputs(model, batch, gen_kwargs: dict, generate: bool, accelerator):
    """(loss, generated ids or None, labels) of one batch, gathered over processes."""
    import torch

    with torch.no_grad():
        loss = model(**batch).loss.detach()
        generated = None
        if generate:
            raw = accelerator.unwrap_model(model) if accelerator is not None else model
            generated = raw.generate(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                                     **gen_kwargs)
    labels = batch["labels"]
    loss = loss.reshape(1).repeat(labels.shape[0])  # one entry per sample: a sample-weighted mean
    if accelerator is not None:
        loss = accelerator.gather_for_metrics(loss)
        labels = accelerator.gather_for_metrics(accelerator.pad_across_processes(labels, dim=1, pad_index=-100))
        if generated is not None:
            pad = accelerator.pad_across_processes(generated, dim=1, pad_index=raw.config.pad_token_id or 0)
            generated = accelerator.gather_for_metrics(pad)
    return loss, generated, labels


def run_split(model, tokenizer, loader, prefix: str, *, gen_kwargs: dict, generate: bool,
              accelerator=None) -> tuple[dict[str, float], Optional[list[str]]]:
    """Metrics with `prefix_` keys, and the decoded predictions when generating."""
    model.eval()
    start, losses, preds, labels, steps, pad_id = time.perf_counter(), [], [], [], 0, tokenizer.pad_token_id
    for batch in loader:
        loss, generated, batch_labels = _batch_outputs(model, batch, gen_kwargs, generate, accelerator)
        losses.extend(loss.float().cpu().tolist())
        labels.extend([[t for t in row if t != -100] for row in batch_labels.cpu().tolist()])
        if generated is not None:
            preds.extend(generated.cpu().tolist())
        steps += 1
    model.train()
    return split_result(prefix, tokenizer, losses=losses, preds=preds, labels=labels, generate=generate,
                        runtime=time.perf_counter() - start, steps=steps)


def split_result(prefix: str, tokenizer, *, losses: list[float], preds: list[list[int]], labels: list[list[int]],
                 generate: bool, runtime: float, steps: int) -> tuple[dict[str, float], Optional[list[str]]]:
    """The `prefix_*` metrics of one evaluated split (per-sample losses, any framework), and the
    decoded predictions when generating."""
    pad_id, n, runtime = tokenizer.pad_token_id, len(labels), max(runtime, 1e-9)
    result: dict[str, Any] = {"loss": round(sum(losses) / max(n, 1), 4)}
    texts = None
    if generate:
        result.update(metrics.generation_metrics(tokenizer, _pad_rows(preds, pad_id), _pad_rows(labels, pad_id)))
        texts = metrics.decode(tokenizer, _pad_rows(preds, pad_id))
    result.update({"runtime": round(runtime, 4), "samples_per_second": round(n / runtime, 3),
                   "steps_per_second": round(steps / runtime, 3), "samples": n})
    return {f"{prefix}_{k}": v for k, v in result.items()}, texts
