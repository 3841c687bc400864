"""Progress parsed from Trainer / summtrain log lines."""

from summlaunch.cluster.progress import Progress, describe


def test_trainer_lines():
    p = Progress()
    p.feed(" 20%|██        | 40/200 [00:10<00:40,  4.00it/s]", "2026-11-28T01:00:10.000000000")
    p.feed("{'loss': 2.3125, 'grad_norm': 1.5, 'learning_rate': 4e-05, 'epoch': 0.5}")
    p.feed("{'eval_loss': '1.9', 'eval_rouge1': 0.25, 'eval_rouge2': 0.1, 'eval_rougeL': 0.2, 'epoch': 1.0}")
    s = p.summary()
    assert (s["step"], s["max_steps"], s["elapsed_s"], s["eta_s"]) == (40, 200, 10.0, 40.0)
    assert s["loss"] == 2.3125 and s["eval_loss"] == 1.9 and s["epoch"] == 1.0
    assert s["rouge"] == {"rouge1": 0.25, "rouge2": 0.1, "rougeL": 0.2}
    text = describe(s)
    assert "step 40/200 (20%)" in text and "rouge1 0.2500" in text and "ETA 0m40s" in text


def test_json_and_key_value_lines_and_eta_from_timestamps():
    p = Progress()
    p.feed('{"step": 10, "max_steps": 50, "loss": 3.0}', "2026-11-28T01:00:00.000000000")
    p.feed("step=20 loss=2.5", "2026-11-28T01:00:20.000000000")
    s = p.summary()
    assert s["step"] == 20 and s["loss"] == 2.5 and s["elapsed_s"] == 20.0
    assert s["eta_s"] == 30.0  # 20 s for 20 steps, 30 steps left


def test_nothing_parsed():
    p = Progress()
    p.feed("Loading tokenizer from /workspace/hf-cache")
    assert describe(p.summary()) == "-"


def test_transformers5_quoted_values_and_carriage_return_redraws():
    p = Progress()
    p.feed(" 17%|#7        | 1/6 [00:00<00:04,  1.04it/s]\r 33%|###3      | 2/6 [00:01<00:02,  1.35it/s]"
           "                                             {'loss': '6.13', 'grad_norm': '2.972', 'epoch': '0.016'}")
    s = p.summary()
    assert (s["step"], s["max_steps"], s["loss"], s["epoch"]) == (2, 6, 6.13, 0.016)
