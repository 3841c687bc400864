"""The Keras callback that gives `model.fit` the Trainer's schedule of side effects.

Per optimizer step it decides, with the shared rules in `_loop`, whether to log (mean
loss over the window, learning rate, epoch), evaluate (generation + ROUGE through the
shared metrics), save a checkpoint, stop at `max_steps`, or stop after saving because
SIGTERM arrived (what Kubernetes sends before evicting a pod).
"""

from __future__ import annotations

import logging
import signal
from typing import Any, Callable

from transformers.modeling_tf_utils import keras

from summtrain.backends import _loop

log = logging.getLogger("summtrain")


class StepCallback(keras.callbacks.Callback):
    """`hooks` is the run: it has `global_step`, `steps_per_epoch`, `max_steps`, `log_history`,
    `evaluate_now()`, `save_now(end_of_epoch)`, `training_args`, `checkpoint_spec`."""

    def __init__(self, hooks: Any) -> None:
        super().__init__()
        self._supports_tf_logs = True  # read the loss only when logging (no host sync per step)
        self.hooks = hooks
        self.fit_start_step = 0
        self.window_start = (0, 0.0)  # (batches into this fit, cumulative loss) at the last log
        self.total_loss = 0.0
        self.total_steps = 0
        self.preempted = False
        self._previous_handler: Callable | int | None = None

    # --- SIGTERM ---------------------------------------------------------------------------------
    def install_sigterm(self) -> None:
        self._previous_handler = signal.signal(signal.SIGTERM, self._on_sigterm)

    def remove_sigterm(self) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGTERM, self._previous_handler)

    def _on_sigterm(self, signum: int, frame: Any) -> None:
        self.preempted = True

    # --- Keras hooks -----------------------------------------------------------------------------
    def on_train_begin(self, logs=None) -> None:
        self.fit_start_step = self.hooks.global_step
        self.window_start = (0, 0.0)

    def on_train_batch_end(self, batch: int, logs=None) -> None:
        h = self.hooks
        h.global_step += 1
        done = h.global_step >= h.max_steps
        end_of_epoch = h.global_step % h.steps_per_epoch == 0 or done
        t = h.training_args
        if _loop.log_due(t, h.global_step, end_of_epoch) or done or self.preempted:
            self._log(batch + 1, logs)
        if _loop.eval_due(t, h.global_step, end_of_epoch):
            h.evaluate_now()
        if _loop.checkpoint_due(h.checkpoint_spec, h.global_step, end_of_epoch) or self.preempted:
            h.save_now()
        if done or self.preempted:
            self.model.stop_training = True

    def on_train_end(self, logs=None) -> None:
        self._flush(logs)

    # --- loss bookkeeping ------------------------------------------------------------------------
    def _cumulative(self, batches: int, logs) -> float:
        """Keras reports the mean loss since this fit started; times the batch count is the sum."""
        return float(logs["loss"]) * batches if logs and "loss" in logs else 0.0

    def _flush(self, logs) -> float | None:
        batches = self.hooks.global_step - self.fit_start_step
        start, cum_start = self.window_start
        if batches <= start:
            return None
        cum = self._cumulative(batches, logs)
        self.total_loss += cum - cum_start
        self.total_steps += batches - start
        self.window_start = (batches, cum)
        return (cum - cum_start) / (batches - start)

    def _log(self, batches: int, logs) -> None:
        h = self.hooks
        loss = self._flush(logs)
        if loss is None:
            return
        entry = {"loss": round(loss, 4), "learning_rate": h.learning_rate(),
                 "epoch": round(h.global_step / h.steps_per_epoch, 4), "step": h.global_step}
        h.log_history.append(entry)
        log.info("step %d/%d  loss %.4f  lr %.3g  epoch %.2f", h.global_step, h.max_steps, entry["loss"],
                 entry["learning_rate"], entry["epoch"])
        h.progress.entry(entry)

    def mean_loss(self) -> float:
        return self.total_loss / self.total_steps if self.total_steps else float("nan")
