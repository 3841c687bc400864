"""What the plain torch loops (accelerate, xla) do around training, with the shared pieces:
tokenizer/model loading (`summtrain.models`), data (`summtrain.data`), ROUGE
(`summtrain.metrics`) and output files (`summtrain.outputs`, `summtrain.report`), so their
output_dir holds the same files and keys as the Trainer back end's.
"""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from typing import Any, Optional

from summtrain import data as data_mod
from summtrain import models, outputs, report

log = logging.getLogger("summtrain")


def load_model_and_data(args, resume_from: Optional[str], token, main_process_first=None):
    """(tokenizer, model, prepared splits); with a checkpoint, the model carries its weights."""
    t = args.training
    tokenizer = models.load_tokenizer(args, token)
    model = models.load_model(args, tokenizer, token)
    if resume_from and not accelerate_state(resume_from):  # save_state folders: accelerator.load_state
        from safetensors.torch import load_model

        load_model(model, str(Path(resume_from) / "model.safetensors"), strict=True)
        log.info("weights from %s", resume_from)
    if t.gradient_checkpointing:
        model.gradient_checkpointing_enable(gradient_checkpointing_kwargs=t.gradient_checkpointing_kwargs)
    raw = data_mod.load_raw(args.model, args.data, token)
    first = main_process_first or (lambda desc: contextlib.nullcontext())
    prepared = data_mod.prepare(raw, tokenizer, args.data, do_train=t.do_train, do_eval=t.do_eval,
                                do_predict=t.do_predict, main_process_first=first)
    return tokenizer, model, prepared


def accelerate_state(folder: str) -> bool:
    from summtrain.backends.accelerate_checkpoints import is_accelerate_state

    return is_accelerate_state(Path(folder))


def want_before(args, resume_from: Optional[str]) -> bool:
    t = args.training
    return bool(t.do_train and t.do_eval and resume_from is None and args.summtrain.eval_before_train)


def save_final(model_to_save, state_dict, tokenizer, output_dir: str, log_history: list[dict],
               global_step: int, epoch: float, max_steps: int, training_args) -> None:
    """The trained model, tokenizer and trainer_state.json at the top of output_dir (main process)."""
    from summtrain.backends import _loop

    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    model_to_save.save_pretrained(out, state_dict=state_dict, safe_serialization=True)
    tokenizer.save_pretrained(out)
    _loop.write_trainer_state(out, global_step=global_step, epoch=epoch, max_steps=max_steps,
                              log_history=log_history, training_args=training_args)


def write_results(args, split: str, metrics: dict[str, Any], n: int, texts=None) -> dict[str, Any]:
    metrics = dict(metrics, **{f"{split}_samples": n})
    outputs.save_metrics(args.training.output_dir, split, metrics)
    if split == "eval":  # the final evaluation, as a progress record (main process)
        from summtrain.progress import emit

        emit("eval", metrics={k: v for k, v in metrics.items() if k.startswith("eval_")})
    if texts is not None and split == "predict":
        outputs.write_predictions(args.training.output_dir, texts)
    return metrics


def finish(args, backend: str, before, after, prepared) -> None:
    """Model card and the before/after ROUGE summary (main process)."""
    outputs.write_run_model_card(args, backend, after)
    report.print_summary(before, after, Path(args.training.output_dir), len(prepared.eval) if prepared.eval else None)
