"""Where the TF back end's training time goes: the one-time graph trace vs the steady-state steps.

    .venv-tf/bin/python benchmarks/tf_steady_state.py [--samples 800] [--batch 8]

Run in the TF venv (tests/setup/tf_venv.sh). Trains the embedded tiny T5 for one epoch on
the bundled data with the same input pipeline, optimizer and flags as
benchmarks/backend_throughput.py (batch 8, source 64 / target 24 tokens, AdamW 3e-3
linear), on one CPU device, and prints the wall time of the first step (tracing the
`tf.function` of the Keras train step, once per process) and the samples per second of
the remaining steps. `train_samples_per_second` in train_results.json (what
backend_throughput.py compares) includes the trace; on a short run it dominates.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")


def build(samples: int, batch: int):
    import datasets

    from summtrain import assets
    from summtrain.backends import tf_weights
    from transformers import DataCollatorForSeq2Seq

    tokenizer = tf_weights.load_tokenizer(str(assets.MODEL_DIR))
    model = tf_weights.load_tf_model(assets.MODEL_DIR)
    rows = [json.loads(line) for line in assets.data_file("train").read_text().splitlines()[:samples]]

    def tokenize(b):
        out = tokenizer(b["article"], max_length=64, truncation=True)
        out["labels"] = tokenizer(text_target=b["summary"], max_length=24, truncation=True)["input_ids"]
        return out

    ds = datasets.Dataset.from_list(rows).map(tokenize, batched=True, remove_columns=["article", "summary"])
    collator = DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=-100, return_tensors="np")
    return model, model.prepare_tf_dataset(ds, batch_size=batch, shuffle=False, collate_fn=collator)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=800)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args(argv)
    from transformers import create_optimizer
    from transformers.modeling_tf_utils import keras

    model, dataset = build(args.samples, args.batch)
    steps = len(dataset)
    optimizer, _ = create_optimizer(init_lr=3e-3, num_train_steps=steps, num_warmup_steps=0,
                                    adam_global_clipnorm=1.0)
    model.compile(optimizer=optimizer)
    marks: dict[int, float] = {}

    class Clock(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            marks[batch] = time.perf_counter()

    start = time.perf_counter()
    model.fit(dataset, epochs=1, verbose=0, callbacks=[Clock()])
    first, last = marks[0] - start, marks[steps - 1]
    steady = (steps - 1) * args.batch / (last - marks[0])
    total = steps * args.batch / (last - start)
    print(f"steps {steps} x batch {args.batch}: first step (trace) {first:.2f} s, then {steady:.1f} samples/s; "
          f"whole epoch {total:.1f} samples/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
