"""Fast unit tests: metrics, outputs, run files, the embedded default's flags, the assets."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from summtrain import assets, metrics, outputs
from summtrain.errors import UsageError


def test_rouge_perfect_and_disjoint():
    assert metrics.rouge(["the cat sat ."], ["the cat sat ."]) == dict.fromkeys(metrics.ROUGE_KEYS, 100.0)
    assert metrics.rouge(["dogs bark"], ["the cat sat"]) == dict.fromkeys(metrics.ROUGE_KEYS, 0.0)


def test_sentence_split_for_rouge_lsum():
    assert metrics.split_sentences("Carlow will build. It rains! Mr. 2 things? 3 left.") == [
        "Carlow will build.", "It rains!", "Mr.", "2 things?", "3 left."]
    # Lsum uses sentence order: same sentences swapped score higher under Lsum than under L
    scores = metrics.rouge(["B c d. A b c."], ["A b c. B c d."])
    assert scores["rougeLsum"] > scores["rougeL"]


def test_save_metrics_merges_all_results(tmp_path):
    outputs.save_metrics(tmp_path, "train", {"train_loss": 1.5})
    outputs.save_metrics(tmp_path, "eval", {"eval_rougeL": 40.0})
    assert json.loads((tmp_path / "train_results.json").read_text()) == {"train_loss": 1.5}
    assert json.loads((tmp_path / "all_results.json").read_text()) == {"train_loss": 1.5, "eval_rougeL": 40.0}


def test_last_checkpoint_ignores_incomplete_ones(tmp_path):
    for step in (5, 10, 20):
        (tmp_path / f"checkpoint-{step}").mkdir()
    for step in (5, 10):
        (tmp_path / f"checkpoint-{step}" / "trainer_state.json").write_text("{}")
    assert outputs.last_checkpoint(tmp_path) == tmp_path / "checkpoint-10"


def test_run_file_yaml_with_legacy_flags_and_embedded_default(tmp_path):
    from summtrain.parse import parse_train_args

    run = tmp_path / "run.yaml"
    run.write_text("output_dir: %s\nevaluation_strategy: 'no'\nper_gpu_train_batch_size: 3\nfp16: false\n"
                   % (tmp_path / "out"))
    args = parse_train_args([str(run)])
    assert args.embedded_default and args.model.model_name_or_path == str(assets.MODEL_DIR)
    assert args.training.per_device_train_batch_size == 3 and args.training.output_dir == str(tmp_path / "out")
    assert args.data.train_file == str(assets.data_file("train")) and args.training.do_predict


def test_own_data_without_a_model_is_a_usage_error(tmp_path):
    from summtrain.parse import parse_train_args

    with pytest.raises(UsageError, match="needs a model: pass --model_name_or_path"):
        parse_train_args(["--train_file", str(assets.data_file("train"))])


def test_bundled_data_is_deterministic(tmp_path):
    subprocess.run([sys.executable, "-m", "summtrain.assets.generate", "--out", str(tmp_path)], check=True,
                   capture_output=True)
    for split in ("train", "validation", "test"):
        assert (tmp_path / f"{split}.jsonl").read_bytes() == assets.data_file(split).read_bytes()


def test_tiny_tokenizer_folder_loads_in_transformers_4x_format():
    """transformers 4.x rejects a list for extra_special_tokens and unknown backends: neither is shipped."""
    config = json.loads((assets.MODEL_DIR / "tokenizer_config.json").read_text())
    assert "extra_special_tokens" not in config and "backend" not in config
    assert config["tokenizer_class"] == "T5Tokenizer" and config["extra_ids"] == 0
    size = sum(p.stat().st_size for p in assets.ASSETS.rglob("*") if p.is_file())
    assert size < 3_000_000, size


def test_prepare_without_main_process_first_tokenizes_the_splits():
    """The default ordering context accepts `desc=` like TrainingArguments.main_process_first."""
    import datasets
    from transformers import AutoTokenizer

    from summtrain import data
    from summtrain.args import DataTrainingArguments

    from .conftest import TINY_MODEL, bundled_rows

    raw = datasets.DatasetDict({split: datasets.Dataset.from_list(bundled_rows(split, 4))
                                for split in ("train", "validation")})
    args = DataTrainingArguments(text_column="article", summary_column="summary", max_source_length=32,
                                 max_target_length=8)
    prepared = data.prepare(raw, AutoTokenizer.from_pretrained(TINY_MODEL), args, do_train=True, do_eval=True,
                            do_predict=False)
    assert len(prepared.train) == 4 and len(prepared.eval) == 4 and prepared.predict is None
    assert all(len(ids) <= 32 for ids in prepared.train["input_ids"])
    assert all(0 < len(labels) <= 8 for labels in prepared.eval["labels"])
    assert prepared.eval_references == [r["summary"] for r in bundled_rows("validation", 4)]


@pytest.mark.parametrize("as_file", [False, True])
def test_user_flags_win_over_the_embedded_defaults(tmp_path, as_file):
    """The embedded default saves no checkpoints; a user's --save_strategy/--save_steps must win
    (on the command line and in a run file), while --checkpointing_steps wins over both."""
    from summtrain.parse import parse_train_args

    flags = {"save_strategy": "steps", "save_steps": 7, "output_dir": str(tmp_path / "out")}
    argv = [tok for k, v in flags.items() for tok in (f"--{k}", str(v))]
    if as_file:
        run = tmp_path / "run.json"
        run.write_text(json.dumps(flags))
        argv = [str(run)]
    t = parse_train_args(argv).training
    assert (str(t.save_strategy.value if hasattr(t.save_strategy, "value") else t.save_strategy), t.save_steps) \
        == ("steps", 7)
    t = parse_train_args(["--checkpointing_steps", "3", "--save_steps", "7", "--output_dir", str(tmp_path / "o")])
    assert t.training.save_steps == 3


def test_lang_sets_a_multilingual_tokenizers_languages():
    from types import SimpleNamespace

    from summtrain.models import set_languages

    args = SimpleNamespace(data=SimpleNamespace(lang="ro_RO"))
    multilingual = SimpleNamespace(src_lang="en_XX", tgt_lang="en_XX")
    assert set_languages(args, multilingual) is multilingual
    assert (multilingual.src_lang, multilingual.tgt_lang) == ("ro_RO", "ro_RO")
    plain = SimpleNamespace()
    set_languages(args, plain)
    assert not hasattr(plain, "src_lang")
