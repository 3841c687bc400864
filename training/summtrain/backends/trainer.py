"""The Seq2SeqTrainer back end (upstream `run_summarization.py`, plus preemption and a summary).

SIGTERM during training: the current step finishes, a checkpoint is saved, and the
process exits with `PREEMPTED_EXIT_CODE`; a rerun with the same output_dir resumes from
it (global step, optimizer, scheduler and RNG states). With several processes the stop
request is shared, so every rank saves at the same step.
"""

from __future__ import annotations

import logging
from typing import Any

from transformers import Seq2SeqTrainer, TrainerCallback

from summtrain import data as data_mod
from summtrain import gpu_defaults, models, outputs, report
from summtrain.args import TrainArgs
from summtrain.backends import PREEMPTED_EXIT_CODE
from summtrain.backends._loop import Preemption
from summtrain.checks import RunPlan
from summtrain.credentials import take_token
from summtrain.progress import Progress

log = logging.getLogger("summtrain")


class PreemptionCallback(TrainerCallback, Preemption):
    """Turns SIGTERM into 'save a checkpoint now and stop', at the same step on every rank."""

    def _any_rank_requested(self) -> bool:
        import torch.distributed as dist

        if not (dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return self.requested
        import torch

        flag = torch.tensor([1.0 if self.requested else 0.0])
        if dist.get_backend() == "nccl":
            flag = flag.cuda()
        dist.all_reduce(flag)
        return bool(flag.item() > 0)

    def on_step_end(self, args, state, control, **kwargs):
        if self._any_rank_requested():
            self.stopped_at = state.global_step
            control.should_save = True
            control.should_training_stop = True
        return control


class ProgressCallback(TrainerCallback):
    """One structured progress record per logging step and evaluation (summtrain.progress)."""

    def __init__(self) -> None:
        self.progress: Progress | None = None

    def _start(self, args, state) -> Progress:
        per_update = args.train_batch_size * args.gradient_accumulation_steps * max(args.world_size, 1)
        return Progress(state.max_steps, per_update, state.is_world_process_zero, state.global_step)

    def on_train_begin(self, args, state, control, **kwargs):
        self.progress = self._start(args, state)

    def on_log(self, args, state, control, logs=None, **kwargs):
        self.progress = self.progress or self._start(args, state)
        self.progress.entry({**(logs or {}), "step": state.global_step, "epoch": state.epoch})

    def on_train_end(self, args, state, control, **kwargs):
        if self.progress is not None:
            self.progress.end(state.global_step, state.epoch)


def _build_trainer(args: TrainArgs, model: Any, tokenizer: Any, prepared: data_mod.Prepared) -> Seq2SeqTrainer:
    from summtrain.metrics import compute_metrics_fn

    t = args.training
    return Seq2SeqTrainer(
        model=model, args=t, train_dataset=prepared.train, eval_dataset=prepared.eval,
        processing_class=tokenizer, data_collator=data_mod.make_collator(tokenizer, model, args.data, t.fp16),
        compute_metrics=compute_metrics_fn(tokenizer) if t.predict_with_generate else None,
        callbacks=[ProgressCallback()],
    )


def _want_before(args: TrainArgs, plan: RunPlan) -> bool:
    wanted = args.summtrain.eval_before_train
    return bool(args.training.do_train and args.training.do_eval and plan.resume_from is None and wanted)


def run(args: TrainArgs, plan: RunPlan) -> int:
    gpu_defaults.apply(args, "trainer")
    t = args.training
    token = take_token(args)
    args.finalize_generation()
    tokenizer = models.load_tokenizer(args, token)
    model = models.load_model(args, tokenizer, token)
    raw = data_mod.load_raw(args.model, args.data, token)
    prepared = data_mod.prepare(raw, tokenizer, args.data, do_train=t.do_train, do_eval=t.do_eval,
                                do_predict=t.do_predict, main_process_first=t.main_process_first)
    trainer = _build_trainer(args, model, tokenizer, prepared)
    main_process = trainer.is_world_process_zero()
    if main_process:
        outputs.write_run_marker(plan.output_dir, plan.identity)
    before = trainer.evaluate(metric_key_prefix="eval") if _want_before(args, plan) else None
    if t.do_train:
        preemption = PreemptionCallback()
        trainer.add_callback(preemption)
        with preemption.installed():
            result = trainer.train(resume_from_checkpoint=plan.resume_from)
        if preemption.stopped_at is not None:
            log.warning("SIGTERM: saved checkpoint-%d in %s; run the same command again to resume",
                        preemption.stopped_at, plan.output_dir)
            return PREEMPTED_EXIT_CODE
        _finish_training(trainer, result, prepared, main_process)
    after = _evaluate_and_predict(args, trainer, tokenizer, prepared, main_process)
    if main_process:
        outputs.write_run_model_card(args, "trainer", after)
        report.print_summary(before, after, plan.output_dir, len(prepared.eval) if prepared.eval else None)
    return 0


def _finish_training(trainer: Seq2SeqTrainer, result: Any, prepared: data_mod.Prepared, main_process: bool) -> None:
    trainer.save_model()
    metrics = dict(result.metrics, train_samples=len(prepared.train))
    if main_process:
        outputs.save_metrics(trainer.args.output_dir, "train", metrics)
        trainer.save_state()


def _evaluate_and_predict(args: TrainArgs, trainer: Seq2SeqTrainer, tokenizer: Any, prepared: data_mod.Prepared,
                          main_process: bool) -> dict[str, Any] | None:
    t, out = args.training, args.training.output_dir
    after = None
    if t.do_eval:
        after = dict(trainer.evaluate(metric_key_prefix="eval"), eval_samples=len(prepared.eval))
        if main_process:
            outputs.save_metrics(out, "eval", after)
    if t.do_predict:
        result = trainer.predict(prepared.predict, metric_key_prefix="predict")
        metrics = dict(result.metrics, predict_samples=len(prepared.predict))
        if main_process:
            outputs.save_metrics(out, "predict", metrics)
            if t.predict_with_generate:
                from summtrain.metrics import decode

                outputs.write_predictions(out, decode(tokenizer, result.predictions))
    return after
