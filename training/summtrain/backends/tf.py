"""The TensorFlow/Keras back end: `TFAutoModelForSeq2SeqLM` + `model.fit` on `tf.data`.

Same flags, data pipeline, ROUGE code and output files as the other back ends. The
strategy comes from the surroundings (`tf_strategy`): one device, `MirroredStrategy`
over local GPUs, `MultiWorkerMirroredStrategy` from a TFJob's `TF_CONFIG` (one model
trained across the workers: sharded data, gradients all-reduced, the chief alone
writes), or `TPUStrategy` with `--tpu NAME`.

Runs in the TF stack (transformers 4.x, no torch): `summtrain --backend tf ...` parses
the flags with the shared schema through `parse_args` (`tf_args`), runs the shared
checks, then `run(args, plan)`.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path
from typing import Any, Optional

from summtrain import checks, hub, outputs, report
from summtrain.args import TrainArgs
from summtrain.backends import PREEMPTED_EXIT_CODE, _loop
from summtrain.backends.tf_args import parse_tf_args, report_to, tf_train_args
from summtrain.progress import Progress, emit

log = logging.getLogger("summtrain")
# before TensorFlow is imported: quieter C++ logs; tf.keras is tf-keras (what transformers 4.x uses)
for _key, _value in {"TF_CPP_MIN_LOG_LEVEL": "2", "TF_USE_LEGACY_KERAS": "1"}.items():
    os.environ.setdefault(_key, _value)

parse_args = parse_tf_args
train_args = tf_train_args  # summtrain.cli calls this instead of the transformers-5 groups


def run(args: TrainArgs, plan: checks.RunPlan) -> int:
    return TFRun(args, plan).execute()


class TFRun:
    """One run: strategy, model, data, fit, evaluation, outputs."""

    def __init__(self, args: TrainArgs, plan: checks.RunPlan) -> None:
        from summtrain.backends import tf_strategy

        self.args, self.plan, self.t = args, plan, args.training
        self.training_args = self.t
        _set_log_level(self.t.log_level)
        tf_strategy.configure_runtime(self.t)
        self.strategy, self.placement = tf_strategy.make_strategy(getattr(self.args.summtrain, "tpu", None))
        log.info("tf back end: %s, %d replica(s), %s", self.placement.kind, self.strategy.num_replicas_in_sync,
                 self.placement.task or "single worker")
        self.global_step, self.steps_per_epoch, self.max_steps = 0, 1, 0
        self.log_history: list[dict] = []
        self.checkpoint_spec = _loop.checkpointing_spec(self.t, None)
        self.optimizer = None
        self.saved_step = -1

    # --- set-up ------------------------------------------------------------------------------------
    def _load(self) -> None:
        from summtrain import data as data_mod
        from summtrain.backends import tf_models

        self.token = _take_token(self.args)
        self.args.finalize_generation()
        self.tokenizer = tf_models.load_tokenizer(self.args, self.token)
        with self.strategy.scope():
            self.model = tf_models.load_model(self.args, self.tokenizer, self.token)
        raw = data_mod.load_raw(self.args.model, self.args.data, self.token)
        self.prepared = data_mod.prepare(raw, self.tokenizer, self.args.data, do_train=self.t.do_train,
                                         do_eval=self.t.do_eval, do_predict=self.t.do_predict,
                                         main_process_first=_no_wait)
        self.collator = tf_models.make_collator(self.tokenizer, self.args.data,
                                                pad_to_multiple_of=128 if self.placement.kind == "tpu" else None)

    def execute(self) -> int:
        self._load()
        chief = self.placement.is_chief
        if chief:
            outputs.write_run_marker(self.plan.output_dir, self.plan.identity)
        before = self.evaluate("eval")[0] if chief and self._want_before() else None
        if self.t.do_train:
            code = self.train()
            if code:
                return code
        after = self._evaluate_and_predict()
        if chief:
            outputs.write_run_model_card(self.args, "tf", after)
            if self.t.push_to_hub:
                hub.push_output_dir(self.t, self.token, ignore=(outputs.MARKER,))
            report.print_summary(before, after, self.plan.output_dir,
                                 len(self.prepared.eval) if self.prepared.eval else None)
        return 0

    def _want_before(self) -> bool:
        wanted = self.args.summtrain.eval_before_train or self.t.eval_on_start
        return bool(self.t.do_eval and self.plan.resume_from is None and wanted
                    and (self.t.do_train or self.t.eval_on_start))

    # --- training ----------------------------------------------------------------------------------
    def train(self) -> int:
        from summtrain.backends import tf_loop
        from summtrain.backends.tf_callback import StepCallback

        train = self.prepared.train
        layout = tf_loop.make_layout(len(train), self.t.per_device_train_batch_size,
                                     self.strategy.num_replicas_in_sync, self.placement.num_workers,
                                     bool(self.t.dataloader_drop_last))
        plan = _loop.plan_steps(self.t, layout.steps_per_epoch)
        self.steps_per_epoch, self.max_steps = layout.steps_per_epoch, plan.max_steps
        with self.strategy.scope():
            self.optimizer = tf_loop.make_optimizer(self.t, plan.max_steps)
            self.model.compile(optimizer=self.optimizer, jit_compile=False)
            # the loss metric is already averaged over all replicas; Keras' default ("sum" across
            # workers under MultiWorkerMirroredStrategy) would report it times the worker count
            self.model.distribute_reduction_method = "first"
            self.optimizer.build(self.model.trainable_variables)
        if self.plan.resume_from:
            self.global_step, self.log_history = tf_loop.restore_checkpoint(
                Path(self.plan.resume_from), self.model, self.optimizer)
            log.info("resumed from %s at step %d", self.plan.resume_from, self.global_step)
        callback = StepCallback(self)
        start, start_step = time.perf_counter(), self.global_step
        self.progress = Progress(plan.max_steps, layout.global_batch, self.placement.is_chief, self.global_step)
        callback.install_sigterm()
        try:
            self._fit_epochs(layout, plan, callback)
        finally:
            callback.remove_sigterm()
        runtime = time.perf_counter() - start
        self.progress.end(self.global_step, self.global_step / self.steps_per_epoch)
        if callback.preempted:
            log.warning("SIGTERM: saved checkpoint-%d in %s; run the same command again to resume",
                        self.global_step, self.plan.output_dir)
            return PREEMPTED_EXIT_CODE
        self._finish_training(callback, runtime, (self.global_step - start_step) * layout.global_batch, len(train))
        return 0

    def _fit_epochs(self, layout, plan, callback) -> None:
        from summtrain.backends import tf_loop

        verbose = 1 if sys.stdout.isatty() and not self.t.disable_tqdm else 0
        first_epoch, skip = divmod(self.global_step, layout.steps_per_epoch)
        trace = self.placement.worker_index if _loop.trace_dir() else None
        for epoch in range(first_epoch, plan.num_epochs):
            steps = min(layout.steps_per_epoch - skip, plan.max_steps - self.global_step)
            if steps <= 0 or callback.preempted:
                break
            fn = tf_loop.epoch_dataset_fn(self.model, self.prepared.train, self.collator, layout,
                                          seed=self.t.seed, epoch=epoch, skip=skip, steps=steps,
                                          trace_rank=trace, pad_id=self.tokenizer.pad_token_id)
            dataset = self.strategy.distribute_datasets_from_function(fn)
            self.model.fit(dataset, epochs=epoch + 1, initial_epoch=epoch, steps_per_epoch=steps,
                           callbacks=[callback] + self._reporters(), verbose=verbose)
            skip = 0
        if callback.preempted and self.saved_step != self.global_step:  # SIGTERM between two epochs
            self.save_now()

    def _reporters(self) -> list:
        if "tensorboard" not in report_to(self.t) or not self.placement.is_chief:
            return []
        from transformers.modeling_tf_utils import keras

        logdir = os.environ.get("TENSORBOARD_LOGGING_DIR") or str(Path(self.t.output_dir) / "runs")
        logdir = str(Path(logdir) / self.t.run_name) if self.t.run_name else logdir
        return [keras.callbacks.TensorBoard(log_dir=logdir, update_freq=max(int(self.t.logging_steps), 1))]

    def learning_rate(self) -> float:
        from summtrain.backends.tf_loop import current_lr

        return current_lr(self.optimizer)

    def evaluate_now(self) -> None:
        if self.prepared.eval is not None and self.placement.is_chief:
            metrics_ = self.evaluate("eval")[0]
            self.log_history.append({**metrics_, "epoch": round(self.global_step / self.steps_per_epoch, 4),
                                     "step": self.global_step})
            self.progress.entry(self.log_history[-1])

    def save_now(self) -> None:
        from summtrain.backends import tf_loop

        ckpt = tf_loop.save_checkpoint(self.model, self.optimizer, self.tokenizer, output_dir=self.t.output_dir,
                                       global_step=self.global_step, epoch=self.global_step / self.steps_per_epoch,
                                       max_steps=self.max_steps, log_history=self.log_history,
                                       training_args=self.t, placement=self.placement)
        self.saved_step = self.global_step
        if self.placement.is_chief:
            log.info("saved %s", ckpt)

    def _finish_training(self, callback, runtime: float, samples_seen: int, num_samples: int) -> None:
        metrics_ = _loop.train_metrics(loss=round(callback.mean_loss(), 4), runtime=runtime,
                                       global_step=self.global_step, samples_seen=samples_seen,
                                       epoch=self.global_step / self.steps_per_epoch,
                                       num_train_samples=num_samples)
        _trace_final(self.placement, self.model)
        if not self.placement.is_chief:
            return
        self.save_model(self.t.output_dir)
        outputs.save_metrics(self.t.output_dir, "train", metrics_)
        _loop.write_trainer_state(Path(self.t.output_dir), global_step=self.global_step,
                                  epoch=self.global_step / self.steps_per_epoch, max_steps=self.max_steps,
                                  log_history=self.log_history, training_args=self.t)

    def save_model(self, folder: str) -> None:
        """`tf_model.h5` (TF) plus a PyTorch-layout `model.safetensors` (torch back ends), config,
        generation config and tokenizer."""
        from summtrain.backends import tf_weights

        self.model.save_pretrained(folder)
        tf_weights.export_pt_safetensors(self.model, Path(folder))
        self.tokenizer.save_pretrained(folder)

    # --- evaluation --------------------------------------------------------------------------------
    def evaluate(self, prefix: str, dataset=None) -> tuple[dict[str, Any], Optional[list[str]]]:
        """Evaluation always generates (as upstream's TF script); prediction with --predict_with_generate."""
        from summtrain.backends import tf_eval

        dataset = self.prepared.eval if dataset is None else dataset
        return tf_eval.run_split(self.model, self.tokenizer, dataset, self.collator, prefix,
                                 batch_size=self.t.per_device_eval_batch_size,
                                 gen_kwargs=tf_eval.generation_kwargs(self.t, self.args.data),
                                 generate=prefix == "eval" or bool(self.t.predict_with_generate))

    def _evaluate_and_predict(self) -> Optional[dict[str, Any]]:
        if not self.placement.is_chief:
            return None
        out, after = self.t.output_dir, None
        if self.t.do_eval:
            after = self.evaluate("eval")[0]
            after["epoch"] = round(self.global_step / self.steps_per_epoch, 4) if self.t.do_train else 0.0
            emit("eval", step=self.global_step, epoch=after["epoch"],
                 metrics={k: v for k, v in after.items() if k.startswith("eval_")})
            # upstream's TF script generates during evaluation and writes rouge1, ... unprefixed
            outputs.save_metrics(out, "eval", after, also_in_all={k[len("eval_"):]: v for k, v in after.items()
                                                                  if k.startswith("eval_rouge")})
        if self.t.do_predict:
            metrics_, texts = self.evaluate("predict", self.prepared.predict)
            outputs.save_metrics(out, "predict", metrics_)
            if texts is not None:
                outputs.write_predictions(out, texts)
        return after


# --- helpers ---------------------------------------------------------------------------------------

def _no_wait(desc: str = ""):
    """Every worker tokenizes for itself (the datasets cache makes the second one cheap)."""
    import contextlib

    return contextlib.nullcontext()


def _set_log_level(level: str) -> None:
    """--log_level (other than the default `passive`) for summtrain's and transformers' loggers."""
    if level and level != "passive":
        from transformers.utils import logging as hf_logging

        numeric = {"detail": logging.DEBUG, "debug": logging.DEBUG}.get(level, getattr(logging, level.upper()))
        log.setLevel(numeric)
        hf_logging.set_verbosity(numeric)


def _take_token(args: TrainArgs) -> Optional[str]:
    from summtrain.credentials import take_token

    return take_token(args)



def _trace_final(placement, model) -> None:
    """Test tracing: a digest of this worker's final weights (SUMMTRAIN_TRACE_DIR)."""
    where = _loop.trace_dir()
    if where is None:
        return
    import hashlib
    import json

    digest = hashlib.sha256()
    for var in sorted(model.weights, key=lambda v: v.name):
        digest.update(var.name.encode())
        digest.update(var.numpy().astype("float32").tobytes())
    where.mkdir(parents=True, exist_ok=True)
    (where / f"final-rank{placement.worker_index}.json").write_text(json.dumps(
        {"rank": placement.worker_index, "world_size": placement.num_workers, "weights_sha256": digest.hexdigest()}))
