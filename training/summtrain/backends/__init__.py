"""Back-end registry: `--backend NAME` -> a lazily imported module with `run(args, plan) -> int`.

Contract for every back end (trainer, accelerate, tf, xla):

    def run(args: summtrain.args.TrainArgs, plan: summtrain.checks.RunPlan) -> int

- `args`: the parsed groups (`args.model`, `args.data`, `args.training` a
  `Seq2SeqTrainingArguments`, `args.summtrain`), `args.given` (the flags the user
  gave) and `args.embedded_default`. All flags are validated and `summtrain.checks`
  has run: data files exist, numbers are positive, output_dir may be written.
- `plan.resume_from`: a checkpoint folder to resume from (or None); `plan.identity`
  goes into output_dir with `outputs.write_run_marker` once loading has succeeded.
- Returns the exit code: 0, or `PREEMPTED_EXIT_CODE` after saving on SIGTERM. Raise
  `UsageError` for anything the user can fix, before writing into output_dir.

Shared pieces to reuse (no copies):
- `summtrain.models.load_tokenizer(args, token)` / `load_model(args, tokenizer, token)`
  (torch; Hub/offline errors become `UsageError`) and `summtrain.hub.read_token`;
- `summtrain.data`: `load_raw`, `prepare` (tokenized train/eval/predict + references),
  `make_collator` (torch);
- `summtrain.metrics`: `rouge(preds, refs)`, `generation_metrics(tokenizer, ids, labels)`;
- `summtrain.outputs`: `save_metrics(dir, "train"|"eval"|"predict", metrics)` (writes
  `<split>_results.json` + `all_results.json`), `write_predictions`, `write_model_card`;
- `summtrain.report.print_summary(...)`: the before/after ROUGE table at the end.

Result keys (all back ends): train: `train_loss`, `train_runtime`, `train_samples`,
`train_samples_per_second`, `epoch`; eval: `eval_rouge1`, `eval_rouge2`, `eval_rougeL`,
`eval_rougeLsum`, `eval_gen_len`, `eval_loss` (when known), `eval_samples`; predict: the
same with the `predict_` prefix. Files: `train_results.json`, `eval_results.json`,
`predict_results.json`, `all_results.json`, `trainer_state.json` (or the back end's
equivalent), `generated_predictions.txt`, the model and tokenizer, `README.md`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from summtrain.errors import UsageError

REGISTRY = {
    "trainer": "summtrain.backends.trainer",
    "accelerate": "summtrain.backends.accelerate",
    "tf": "summtrain.backends.tf",
    "xla": "summtrain.backends.xla",
}
PREEMPTED_EXIT_CODE = 143  # 128 + SIGTERM, what Kubernetes expects from a terminated container


def get(name: str) -> ModuleType:
    if name not in REGISTRY:
        raise UsageError(f"unknown back end {name!r}: choose one of {', '.join(REGISTRY)}")
    try:
        return importlib.import_module(REGISTRY[name])
    except ModuleNotFoundError as e:
        if e.name and e.name.startswith("summtrain.backends"):
            raise UsageError(f"the {name} back end is not available in this version: use --backend trainer") from None
        raise UsageError(f"the {name} back end needs {e.name}, which is not installed: install its stack "
                         f"(see the README) or use --backend trainer") from None
