"""Evaluation and prediction for the TF back end: loss, generation, ROUGE (shared metrics code).

Runs eagerly on one copy of the weights (the chief's), batch by batch, and returns the
same keys as every other back end: `<prefix>_loss`, `<prefix>_rouge1/2/L/Lsum`,
`<prefix>_gen_len`, `<prefix>_runtime`, `<prefix>_samples_per_second`,
`<prefix>_steps_per_second`, `<prefix>_samples`.
"""

from __future__ import annotations

import time
from typing import Any, Optional

from summtrain.backends._evaluate import generation_kwargs, split_result  # noqa: F401  (generation_kwargs re-exported)

MODEL_INPUTS = ("input_ids", "attention_mask", "labels")


def batches(dataset: Any, collator: Any, batch_size: int):
    """Padded numpy batches of a tokenized split, in order."""
    for start in range(0, len(dataset), batch_size):
        rows = dataset[start:start + batch_size]
        features = [{k: rows[k][i] for k in MODEL_INPUTS if k in rows} for i in range(len(rows["input_ids"]))]
        yield collator(features)


GENERATE_PAD_MULTIPLE = 128  # as upstream's TF script: fixed input shapes, so XLA compiles once per batch size


def compiled_generate(model):
    """`model.generate` compiled with XLA (`jit_compile=True`), as upstream's TF script generates: eager
    generation costs a Python step per token (about 0.2 s on a CPU even for the tiny T5)."""
    import tensorflow as tf

    cached = getattr(model, "_summtrain_generate", None)
    if cached is None:
        cached = tf.function(model.generate, jit_compile=True)
        model._summtrain_generate = cached
    return cached


def _padded_inputs(batch: dict, pad_id: int) -> tuple[Any, Any]:
    import numpy as np

    ids, mask = batch["input_ids"], batch["attention_mask"]
    width = -(-ids.shape[1] // GENERATE_PAD_MULTIPLE) * GENERATE_PAD_MULTIPLE
    extra = width - ids.shape[1]
    return (np.pad(ids, ((0, 0), (0, extra)), constant_values=pad_id), np.pad(mask, ((0, 0), (0, extra))))


def _batch_outputs(model, batch: dict, gen_kwargs: dict, generate: bool, pad_id: int):
    loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"], labels=batch["labels"],
                 training=False).loss
    generated = None
    if generate:
        ids, mask = _padded_inputs(batch, pad_id)
        generated = compiled_generate(model)(input_ids=ids, attention_mask=mask, **gen_kwargs).numpy()
    return float(loss.numpy().mean()), generated


def run_split(model, tokenizer, dataset, collator, prefix: str, *, batch_size: int, gen_kwargs: dict,
              generate: bool) -> tuple[dict[str, float], Optional[list[str]]]:
    """Metrics with `prefix_` keys, and the decoded predictions when generating."""
    start, losses, preds, labels, steps = time.perf_counter(), [], [], [], 0
    for batch in batches(dataset, collator, batch_size):
        loss, generated = _batch_outputs(model, batch, gen_kwargs, generate, tokenizer.pad_token_id)
        rows = batch["labels"].tolist()
        losses.extend([loss] * len(rows))  # one entry per sample: a sample-weighted mean
        labels.extend([[t for t in row if t != -100] for row in rows])
        if generated is not None:
            preds.extend(generated.tolist())
        steps += 1
    return split_result(prefix, tokenizer, losses=losses, preds=preds, labels=labels, generate=generate,
                        runtime=time.perf_counter() - start, steps=steps)
