"""The launcher-side flag check: same answers as the real HfArgumentParser, no ML import."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys

import pytest

from summtrain import flagschema
from summtrain.errors import UsageError

SEED_COMMANDS = [  # the PyTorch commands of the Hugging Face guide, flags only
    """--model_name_or_path t5-small --do_train --do_eval --dataset_name cnn_dailymail --dataset_config "3.0.0"
       --source_prefix "summarize: " --output_dir /tmp/tst-summarization --per_device_train_batch_size=4
       --per_device_eval_batch_size=4 --overwrite_output_dir --predict_with_generate""",
    """--fp16 --model_name_or_path t5-small --do_train --do_eval --dataset_name cnn_dailymail
       --dataset_config "3.0.0" --source_prefix "summarize: " --output_dir /tmp/tst-summarization
       --per_device_train_batch_size=4 --per_device_eval_batch_size=4 --overwrite_output_dir
       --predict_with_generate --local-rank=0""",
    """--model_name_or_path t5-small --do_train --do_eval --train_file path_to_csv_or_jsonlines_file
       --validation_file path_to_csv_or_jsonlines_file --text_column text_column_name
       --summary_column summary_column_name --source_prefix "summarize: " --output_dir /tmp/tst-summarization
       --overwrite_output_dir --per_device_train_batch_size=4 --per_device_eval_batch_size=4
       --predict_with_generate""",
    """--model_name_or_path t5-small --max_train_samples 50 --max_eval_samples 50 --max_predict_samples 50
       --do_train --do_eval --dataset_name cnn_dailymail --dataset_config "3.0.0" --source_prefix "summarize: "
       --output_dir /tmp/tst-summarization --per_device_train_batch_size=4 --per_device_eval_batch_size=4
       --overwrite_output_dir --predict_with_generate""",
    """--model_name_or_path t5-small --do_train --do_eval --dataset_name cnn_dailymail --dataset_config "3.0.0"
       --source_prefix "summarize: " --output_dir /tmp/tst-summarization --per_device_train_batch_size=4
       --per_device_eval_batch_size=4 --output_dir previous_output_dir --predict_with_generate""",
    """--model_name_or_path t5-small --do_train --do_eval --dataset_name cnn_dailymail --dataset_config "3.0.0"
       --source_prefix "summarize: " --output_dir /tmp/tst-summarization --per_device_train_batch_size=4
       --per_device_eval_batch_size=4 --overwrite_output_dir --resume_from_checkpoint path_to_specific_checkpoint
       --predict_with_generate""",
    """--model_name_or_path t5-small --do_train --do_eval --dataset_name cnn_dailymail --dataset_config "3.0.0"
       --source_prefix "summarize: " --push_to_hub --push_to_hub_model_id finetuned-t5-cnn_dailymail
       --output_dir /tmp/tst-summarization --per_device_train_batch_size=4 --per_device_eval_batch_size=4
       --overwrite_output_dir --predict_with_generate""",
]
OTHER_CASES = [
    "--fp16 true --bf16=false --num_train_epochs 2.5 --learning_rate=3e-4 --seed -1",
    "--no_remove_unused_columns --report_to none --lr_scheduler_type cosine --debug underflow_overflow",
    "--evaluation_strategy epoch --no_cuda --per_gpu_train_batch_size 2 --logging_dir /tmp/tb",
    "--eval_strategy steps --eval_steps 10 --save_total_limit 1 --use_fast_tokenizer false",
    "--push_to_hub --push_to_hub_organization acme --push_to_hub_model_id demo --output_dir out",
    "--backend trainer --eval_before_train --num_beams 4 --max_source_length 512 --fsdp",
]


def real_parse(argv: list[str]) -> dict:
    """{dest: value} for the flags the real parser sets differently from its defaults."""
    from summtrain.args import build_parser

    parser = build_parser()
    namespace = vars(parser.parse_args(flagschema.translate_legacy(argv).argv))
    defaults = vars(parser.parse_args([]))
    return {k: v for k, v in namespace.items() if v != defaults[k]}


def launcher_parse(argv: list[str]) -> dict:
    from summtrain.args import build_parser

    defaults = vars(build_parser().parse_args([]))
    return {k: v for k, v in flagschema.parse_train_flags(argv).items() if v != defaults[k]}


def _normal(d: dict) -> dict:
    return {k: [str(getattr(x, "value", x)) for x in v] if isinstance(v, list) else str(getattr(v, "value", v))
            for k, v in d.items()}


@pytest.mark.parametrize("command", SEED_COMMANDS + OTHER_CASES)
def test_launcher_and_real_parser_agree(command):
    argv = shlex.split(command)
    assert _normal(launcher_parse(argv)) == _normal(real_parse(argv))


def test_shipped_schema_equals_fresh_generation():
    assert flagschema.SCHEMA_PATH.read_text() == flagschema.render_schema(flagschema.generate()), (
        "flags.json is stale: run `python -m summtrain.flagschema --write`")


def test_dataset_config_alias_and_forms():
    got = flagschema.parse_train_flags(["--dataset_config", "3.0.0", "--fp16", "--do_train=false",
                                        "--per_device_train_batch_size=4", "--no_remove_unused_columns"])
    assert got == {"dataset_config_name": "3.0.0", "fp16": True, "do_train": False,
                   "per_device_train_batch_size": 4, "remove_unused_columns": False}


@pytest.mark.parametrize(("argv", "message"), [
    (["--learnig_rate", "1e-3"], "did you mean --learning_rate?"),
    (["--model_name", "t5-small"], "did you mean --model_name_or_path?"),
    (["--per_device_train_batch_size", "four"], "expects an integer"),
    (["--lr_scheduler_type", "cosin"], "did you mean cosine?"),
    (["--fp16", "maybe"], "expects true or false"),
    (["--output_dir"], "expects a value"),
    (["stray"], "unexpected training argument"),
    (["--backend", "jax"], "choose one of trainer, accelerate, tf, xla"),
])
def test_bad_flags_raise_one_line(argv, message):
    with pytest.raises(UsageError) as info:
        flagschema.parse_train_flags(argv)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_legacy_flags_translated_with_one_note_each():
    tr = flagschema.translate_legacy(["--evaluation_strategy", "epoch", "--no_cuda", "--push_to_hub_token", "hf_x",
                                      "--logging_dir", "/tmp/tb", "--push_to_hub_organization", "acme"])
    assert tr.argv == ["--eval_strategy", "epoch", "--use_cpu", "--hub_token", "hf_x", "--hub_model_id",
                       "acme/summtrain-output"]
    assert len(tr.notes) == 5 and tr.env == {"TENSORBOARD_LOGGING_DIR": "/tmp/tb"}
    assert not any("hf_x" in note for note in tr.notes)


def test_run_file_checked_like_flags(tmp_path):
    good = tmp_path / "run.json"
    good.write_text(json.dumps({"model_name_or_path": "t5-small", "fp16": True, "evaluation_strategy": "epoch"}))
    assert flagschema.parse_train_flags([str(good)]) == {"model_name_or_path": "t5-small", "fp16": True,
                                                          "eval_strategy": "epoch"}
    bad = tmp_path / "run.yaml"
    bad.write_text("learning_rat: 0.1\n")
    with pytest.raises(UsageError, match="did you mean --learning_rate"):
        flagschema.parse_train_flags([str(bad)])


def test_flag_check_imports_no_ml_library():
    code = ("import sys; from summtrain.flagschema import parse_train_flags; "
            "parse_train_flags(['--model_name_or_path', 't5-small', '--fp16', '--evaluation_strategy', 'epoch']); "
            "bad = [m for m in ('torch', 'transformers', 'datasets', 'numpy', 'tensorflow', 'kubernetes', 'docker', "
            "'jinja2') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("flag, fix", [("--deepspeed x.json", "configure DeepSpeed in the accelerate config"),
                                       ("--torch_compile", "accelerate launch --dynamo_backend inductor")])
def test_launcher_refuses_loop_flags_with_the_fix(tmp_path, flag, fix):
    """The loops' own table (backends/loop_flags.json) is checked before anything is rendered."""
    result = subprocess.run([sys.executable, "-m", "summlaunch", "render", "--framework", "accelerate", "--",
                             *shlex.split(flag)], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2, result.stderr
    assert f"{flag.split()[0]} is not supported by the accelerate back end: " in result.stderr
    assert fix in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_loop_flags_same_message_launcher_and_loop():
    from summtrain.backends import _loop

    with pytest.raises(UsageError) as launcher:
        flagschema.parse_train_flags(["--load_best_model_at_end"], backend="xla")
    with pytest.raises(UsageError) as loop:
        _loop.reject_unsupported("xla", {"load_best_model_at_end": True})
    assert str(launcher.value) == str(loop.value)
    assert flagschema.parse_train_flags(["--load_best_model_at_end"], backend="trainer") == {
        "load_best_model_at_end": True}


REMOVED_IN_5 = [  # (removed flag(s), what the successor gets)
    (["--warmup_ratio", "0.1"], {"warmup_steps": 0.1}),
    (["--group_by_length"], {"train_sampling_strategy": "group_by_length"}),
    (["--adafactor", "true"], {"optim": "adafactor"}),
    (["--include_inputs_for_metrics"], {"include_for_metrics": ["inputs"]}),
    (["--torchdynamo", "inductor"], {"torch_compile_backend": "inductor"}),
    (["--use_auth_token", "hf_abc"], {"token": "hf_abc"}),
    (["--fsdp_min_num_params", "1000", "--fsdp_transformer_layer_cls_to_wrap", "T5Block"],
     {"fsdp_config": json.dumps({"min_num_params": 1000, "transformer_layer_cls_to_wrap": ["T5Block"]})}),
    (["--dispatch_batches", "false", "--split_batches"],
     {"accelerator_config": json.dumps({"dispatch_batches": False, "split_batches": True})}),
    (["--save_safetensors", "--fp16_opt_level", "O1", "--past_index", "-1", "--ray_scope", "last",
      "--use_auth_token", "true"], {}),
]


@pytest.mark.parametrize("argv, successor", REMOVED_IN_5)
def test_flags_removed_in_transformers_5_go_to_their_successor_with_one_line_each(argv, successor):
    tr = flagschema.translate_legacy(argv)
    assert flagschema.parse_flag_tokens(tr.argv) == successor
    assert len(tr.notes) == sum(a.startswith("--") for a in argv)
    assert all("removed from transformers 5" in note for note in tr.notes)


@pytest.mark.parametrize("argv, names", [
    (["--save_safetensors", "false"], "safetensors"),
    (["--past_index", "2"], "drop it"),
    (["--mp_parameters", "x"], "--fsdp"),
    (["--split_batches", "--accelerator_config", "{}"], "put those keys into --accelerator_config"),
])
def test_removed_flags_without_a_successor_are_refused_naming_what_to_do(argv, names):
    with pytest.raises(UsageError, match=re.escape(names)):
        flagschema.parse_train_flags(argv)


def test_removed_flags_reach_the_real_training_arguments(tmp_path):
    from summtrain.parse import parse_train_args

    args = parse_train_args(["--output_dir", str(tmp_path), "--warmup_ratio", "0.25", "--group_by_length",
                             "--adafactor", "--split_batches", "true"])
    t = args.training
    assert t.warmup_steps == 0.25 and str(t.train_sampling_strategy) == "group_by_length"
    assert str(getattr(t.optim, "value", t.optim)) == "adafactor" and t.accelerator_config.split_batches


def test_no_trainer_spellings_become_the_trainer_flags(tmp_path):
    from summtrain.parse import parse_train_args

    args = parse_train_args(["--backend", "accelerate", "--output_dir", str(tmp_path), "--max_train_steps", "50",
                             "--num_warmup_steps", "8", "--use_slow_tokenizer", "--with_tracking",
                             "--max_length", "64", "--lr_scheduler_type", "cosine"])
    t = args.training
    assert (t.max_steps, t.warmup_steps, args.model.use_fast_tokenizer) == (50, 8, False)
    assert t.report_to == ["all"] or "tensorboard" in t.report_to
    with pytest.raises(UsageError, match="disagree"):
        parse_train_args(["--output_dir", str(tmp_path), "--max_train_steps", "5", "--max_steps", "6"])
