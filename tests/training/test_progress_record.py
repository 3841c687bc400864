"""The progress-record line: written by summtrain, read by the launcher."""

import json

from summtrain.progress_record import PREFIX, format_record, parse_record


def test_round_trip_with_prefix_after_other_text():
    line = format_record("train", step=4, max_steps=10, epoch=0.4, loss=2.5, learning_rate=3e-4)
    assert line.startswith(PREFIX)
    record = parse_record("2026-12-04T04:05:06.1Z [master-0] " + line)
    assert record["event"] == "train" and record["step"] == 4 and record["max_steps"] == 10
    assert record["loss"] == 2.5 and record["learning_rate"] == 3e-4 and "time" in record


def test_non_finite_numbers_are_dropped_not_written_as_invalid_json():
    line = format_record("eval", step=1, loss=float("nan"), metrics={"eval_loss": float("inf")})
    json.loads(line[len(PREFIX):])  # strict JSON
    record = parse_record(line)
    assert "loss" not in record and record["metrics"] == {"eval_loss": None}


def test_lines_that_are_not_records():
    assert parse_record("{'loss': 2.3, 'epoch': 0.5}") is None
    assert parse_record(PREFIX + "{not json") is None
    assert parse_record(PREFIX + '{"event": "bogus"}') is None
    assert parse_record(PREFIX + '[1, 2]') is None


def test_wrongly_typed_fields_are_dropped():
    record = parse_record(PREFIX + '{"event": "train", "step": "4", "loss": true, "epoch": 1.5, "metrics": 3}')
    assert record == {"event": "train", "epoch": 1.5}
