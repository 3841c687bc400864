"""Progress read from summtrain's structured records (summtrain.progress_record) and a TrainJob's trainerStatus."""

from summtrain.progress_record import format_record

from summlaunch.cluster.progress import Progress, describe


def test_records_give_step_loss_metrics_and_eta():
    p = Progress()
    p.feed(format_record("train", step=40, max_steps=200, epoch=0.5, loss=2.3125, learning_rate=4e-05,
                         samples_per_second=12.5, elapsed_s=10.0))
    p.feed(format_record("eval", step=40, max_steps=200, epoch=0.5,
                         metrics={"eval_loss": 1.9, "eval_rouge1": 0.25, "eval_rouge2": 0.1, "eval_rougeL": 0.2}))
    s = p.summary()
    assert (s["step"], s["max_steps"], s["elapsed_s"], s["eta_s"], s["percent"]) == (40, 200, 10.0, 40.0, 20.0)
    assert s["loss"] == 2.3125 and s["eval_loss"] == 1.9 and s["epoch"] == 0.5 and s["samples_per_second"] == 12.5
    assert s["rouge"] == {"rouge1": 0.25, "rouge2": 0.1, "rougeL": 0.2}
    text = describe(s)
    assert "step 40/200 (20%)" in text and "rouge1 0.2500" in text and "ETA 0m40s" in text


def test_records_after_a_runtime_timestamp_or_replica_prefix_are_read():
    p = Progress()
    p.feed("[master-0] " + format_record("train", step=3, max_steps=6, loss=1.0))
    assert p.summary()["step"] == 3


def test_human_text_is_not_parsed():
    p = Progress()
    for line in ("Loading tokenizer from /workspace/hf-cache", " 20%|##  | 40/200 [00:10<00:40,  4.00it/s]",
                 "{'loss': 2.3125, 'epoch': 0.5}", "step=20 loss=2.5", 'summtrain.progress {"event": "bogus"}',
                 "summtrain.progress {not json"):
        p.feed(line)
    assert describe(p.summary()) == "-"


def test_end_record_means_no_eta():
    p = Progress()
    p.feed(format_record("train", step=6, max_steps=10, elapsed_s=6.0))
    p.feed(format_record("end", step=6, max_steps=10, elapsed_s=6.5))
    assert p.summary()["eta_s"] is None and p.summary()["finished"]


def test_trainer_status_of_a_trainjob_wins():
    p = Progress()
    p.feed(format_record("train", step=10, max_steps=100, loss=3.0, elapsed_s=10.0))
    p.take_trainer_status({"progressPercentage": 12, "estimatedRemainingSeconds": 75, "lastUpdatedTime": "x",
                           "metrics": [{"name": "loss", "value": "2.5"}, {"name": "eval_rouge1", "value": "0.3"}]})
    s = p.summary()
    assert (s["percent"], s["eta_s"], s["loss"], s["rouge"]) == (12.0, 75.0, 2.5, {"rouge1": 0.3})
    only = Progress()
    only.take_trainer_status({"progressPercentage": 50, "lastUpdatedTime": "x"})
    assert describe(only.summary()).startswith("progress (50%)")


def test_logs_progress_shows_only_the_records(fake, cli):
    from .jobs import create_job
    from .scripted import wait_for

    fake.kubelet.script("lp-*", lines=["loading", format_record("train", step=5, max_steps=10, loss=1.25), "done"])
    create_job(fake, "lp", "job")
    wait_for(lambda: "done" in fake.pod_log(fake.list("pods", selector="summlaunch.dev/job=lp")[0]["metadata"]["name"]),
             what="log")
    out = cli("logs", "lp", "--progress").out.splitlines()
    assert len(out) == 1 and out[0].endswith("train: step 5/10 (50%)  loss 1.2500"), out
