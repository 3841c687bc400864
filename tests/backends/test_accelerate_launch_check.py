"""Start-up checks of the Accelerate back end against the launch forms that silently misbehave."""

from __future__ import annotations

import pytest

from summtrain.backends import _launch_check as lc
from summtrain.errors import UsageError

ACCELERATE = ["/venv/bin/python3", "/venv/bin/accelerate", "launch"]


@pytest.mark.parametrize("argv, wanted", [
    (ACCELERATE + ["--cpu", "--num_processes", "2", "-m", "summtrain", "--num_processes", "9"], 2),
    (ACCELERATE + ["--multi_gpu", "--num_processes=4", "train.py"], 4),
    (ACCELERATE + ["--num_processes", "3", "--num_machines", "1", "--module", "summtrain"], 3),
    (["/venv/bin/python3", "-m", "torch.distributed.run", "--nproc_per_node", "2"], None),
    (["/bin/bash", "-c", "summtrain launch"], None),
])
def test_reads_what_accelerate_launch_was_asked_for(argv, wanted, tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HOME", str(tmp_path))  # no default accelerate config to fall back on
    assert lc.requested_processes(argv) == wanted


def test_falls_back_to_the_accelerate_config_file(tmp_path):
    config = tmp_path / "cfg.yaml"
    config.write_text("compute_environment: LOCAL_MACHINE\nnum_processes: 2\n")
    assert lc.requested_processes(ACCELERATE + ["--config_file", str(config), "-m", "summtrain"]) == 2


def test_one_process_where_two_were_asked_is_refused_with_the_fix():
    with pytest.raises(UsageError, match=r"asked for 2 processes but started 1 .*--multi_gpu"):
        lc.check_requested(1, 2)
    lc.check_requested(2, 2)
    lc.check_requested(1, None)


def test_processes_that_form_no_group_are_refused_as_independent_copies():
    with pytest.raises(UsageError, match="independent copies"):
        lc.check_world(2, 1)
    lc.check_world(2, 2)
    lc.check_world(1, 1)


def test_parent_command_line_is_read_from_proc():
    import os

    argv = lc.parent_argv(os.getpid())
    assert argv and "python" in argv[0]
