"""Run a training script or module with `Trainer.train` timed (wall and CPU), for train_throughput.py.

    python _train_timer.py RESULT.json (-m MODULE | SCRIPT) ARGS...

CPU time (all threads of the process) between the start and the end of `train()` does
not depend on how busy the rest of the machine is; wall time does.
"""

import json
import runpy
import sys
import time

from transformers import Trainer

RESULT = sys.argv[1]
_original_train = Trainer.train


def timed_train(self, *args, **kwargs):
    wall, cpu = time.perf_counter(), time.process_time()
    output = _original_train(self, *args, **kwargs)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    samples = self.state.global_step * self.args.per_device_train_batch_size * self.args.gradient_accumulation_steps
    with open(RESULT, "w") as f:
        json.dump({"samples": samples, "wall_s": wall, "cpu_s": cpu}, f)
    return output


Trainer.train = timed_train
if sys.argv[2] == "-m":
    sys.argv = [sys.argv[3], *sys.argv[4:]]
    runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
else:
    sys.argv = sys.argv[2:]
    runpy.run_path(sys.argv[0], run_name="__main__")
