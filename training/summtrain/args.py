"""TrainArgs: the flags of the upstream `run_summarization.py`, as dataclass groups.

Groups: `ModelArguments` and `DataTrainingArguments` (the upstream fields, defaults
and help), transformers' `Seq2SeqTrainingArguments`, and `SummtrainArguments`
(back-end choice and the few options of our own). They are parsed with
`HfArgumentParser` from argv or from a single `.json`/`.yaml` file.

This module imports no ML library at module level: `Seq2SeqTrainingArguments` is
imported inside `build_parser()`. Flags that transformers 5 removed are translated
first by `summtrain.flagschema.translate_legacy` (one log line each).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Sequence

from summtrain.errors import UsageError

# Upstream's default (text, summary) columns for well-known Hub datasets.
SUMMARIZATION_NAME_MAPPING: dict[str, tuple[str, str]] = {
    "amazon_reviews_multi": ("review_body", "review_title"),
    "big_patent": ("description", "abstract"),
    "cnn_dailymail": ("article", "highlights"),
    "orange_sum": ("text", "summary"),
    "pn_summary": ("article", "summary"),
    "psc": ("extract_text", "summary_text"),
    "samsum": ("dialogue", "summary"),
    "thaisum": ("body", "summary"),
    "xglue": ("news_body", "news_title"),
    "xsum": ("document", "summary"),
    "wiki_summary": ("article", "highlights"),
    "multi_news": ("document", "summary"),
}

BACKENDS = ("trainer", "accelerate", "tf", "xla")
CONFIG_SUFFIXES = (".json", ".yaml", ".yml")


@dataclass
class ModelArguments:
    """Which model/config/tokenizer to fine-tune from."""

    model_name_or_path: Optional[str] = field(
        default=None,
        metadata={"help": "Path to pretrained model or model identifier from huggingface.co/models "
                          "(default: the embedded tiny T5)."},
    )
    config_name: Optional[str] = field(
        default=None, metadata={"help": "Pretrained config name or path if not the same as model_name"}
    )
    tokenizer_name: Optional[str] = field(
        default=None, metadata={"help": "Pretrained tokenizer name or path if not the same as model_name"}
    )
    cache_dir: Optional[str] = field(
        default=None,
        metadata={"help": "Where to store the pretrained models downloaded from huggingface.co"},
    )
    use_fast_tokenizer: bool = field(
        default=True,
        metadata={"help": "Whether to use one of the fast tokenizer (backed by the tokenizers library) or not."},
    )
    model_revision: str = field(
        default="main",
        metadata={"help": "The specific model version to use (can be a branch name, tag name or commit id)."},
    )
    token: Optional[str] = field(
        default=None,
        metadata={"help": "The token to use as HTTP bearer authorization for remote files. Prefer the HF_TOKEN "
                          "environment variable or a token file: a token in argv is visible to other users."},
    )
    trust_remote_code: bool = field(
        default=False,
        metadata={"help": "Whether to trust the execution of code from datasets/models defined on the Hub. "
                          "This option should only be set to `True` for repositories you trust and in which "
                          "you have read the code, as it will execute code present on the Hub on your local "
                          "machine."},
    )
    resize_position_embeddings: Optional[bool] = field(
        default=None,
        metadata={"help": "Whether to automatically resize the position embeddings if `max_source_length` "
                          "exceeds the model's position embeddings."},
    )


@dataclass
class DataTrainingArguments:
    """What data to input our model for training and eval."""

    lang: Optional[str] = field(default=None, metadata={"help": "Language id for summarization."})
    dataset_name: Optional[str] = field(
        default=None, metadata={"help": "The name of the dataset to use (via the datasets library)."}
    )
    dataset_config_name: Optional[str] = field(
        default=None,
        metadata={"help": "The configuration name of the dataset to use (via the datasets library).",
                  "aliases": ["--dataset_config"]},
    )
    text_column: Optional[str] = field(
        default=None,
        metadata={"help": "The name of the column in the datasets containing the full texts (for summarization)."},
    )
    summary_column: Optional[str] = field(
        default=None,
        metadata={"help": "The name of the column in the datasets containing the summaries (for summarization)."},
    )
    train_file: Optional[str] = field(
        default=None, metadata={"help": "The input training data file (a jsonlines or csv file)."}
    )
    validation_file: Optional[str] = field(
        default=None,
        metadata={"help": "An optional input evaluation data file to evaluate the metrics (rouge) on (a "
                          "jsonlines or csv file)."},
    )
    test_file: Optional[str] = field(
        default=None,
        metadata={"help": "An optional input test data file to evaluate the metrics (rouge) on (a jsonlines "
                          "or csv file)."},
    )
    overwrite_cache: bool = field(
        default=False, metadata={"help": "Overwrite the cached training and evaluation sets"}
    )
    preprocessing_num_workers: Optional[int] = field(
        default=None, metadata={"help": "The number of processes to use for the preprocessing."}
    )
    max_source_length: Optional[int] = field(
        default=1024,
        metadata={"help": "The maximum total input sequence length after tokenization. Sequences longer "
                          "than this will be truncated, sequences shorter will be padded."},
    )
    max_target_length: Optional[int] = field(
        default=128,
        metadata={"help": "The maximum total sequence length for target text after tokenization. Sequences "
                          "longer than this will be truncated, sequences shorter will be padded."},
    )
    val_max_target_length: Optional[int] = field(
        default=None,
        metadata={"help": "The maximum total sequence length for validation target text after tokenization. "
                          "Sequences longer than this will be truncated, sequences shorter will be padded. "
                          "Will default to `max_target_length`. This argument is also used to override the "
                          "``max_length`` param of ``model.generate``, which is used during ``evaluate`` and "
                          "``predict``."},
    )
    pad_to_max_length: bool = field(
        default=False,
        metadata={"help": "Whether to pad all samples to model maximum sentence length. If False, will pad "
                          "the samples dynamically when batching to the maximum length in the batch. More "
                          "efficient on GPU but very bad for TPU."},
    )
    max_train_samples: Optional[int] = field(
        default=None,
        metadata={"help": "For debugging purposes or quicker training, truncate the number of training "
                          "examples to this value if set."},
    )
    max_eval_samples: Optional[int] = field(
        default=None,
        metadata={"help": "For debugging purposes or quicker training, truncate the number of evaluation "
                          "examples to this value if set."},
    )
    max_predict_samples: Optional[int] = field(
        default=None,
        metadata={"help": "For debugging purposes or quicker training, truncate the number of prediction "
                          "examples to this value if set."},
    )
    num_beams: Optional[int] = field(
        default=1,
        metadata={"help": "Number of beams to use for evaluation. This argument will be passed to "
                          "``model.generate``, which is used during ``evaluate`` and ``predict``."},
    )
    ignore_pad_token_for_loss: bool = field(
        default=True,
        metadata={"help": "Whether to ignore the tokens corresponding to padded labels in the loss "
                          "computation or not."},
    )
    source_prefix: Optional[str] = field(
        default="", metadata={"help": "A prefix to add before every source text (useful for T5 models)."}
    )
    forced_bos_token: Optional[str] = field(
        default=None,
        metadata={"help": "The token to force as the first generated token after the decoder_start_token_id. "
                          "Useful for multilingual models like mBART where the first generated token needs "
                          "to be the target language token (Usually it is the target language token)"},
    )


@dataclass
class SummtrainArguments:
    """Options of summtrain itself (not in the upstream script)."""

    backend: str = field(
        default="trainer",
        metadata={"help": "Training back end.", "choices": list(BACKENDS)},
    )
    overwrite_output_dir: bool = field(
        default=False,
        metadata={"help": "Start from scratch even if output_dir holds a checkpoint or another run's files "
                          "(removed from transformers 5; summtrain keeps its meaning)."},
    )
    eval_before_train: bool = field(
        default=False,
        metadata={"help": "Evaluate once before training so the final table shows ROUGE before and after "
                          "(default: on for the embedded default, off otherwise)."},
    )
    hub_token_file: Optional[str] = field(
        default=None,
        metadata={"help": "File holding the Hugging Face token (e.g. a mounted Secret); else HF_TOKEN, "
                          "HF_TOKEN_PATH or the huggingface_hub login."},
    )
    checkpointing_steps: Optional[str] = field(
        default=None,
        metadata={"help": "Save a checkpoint every N optimizer updates, or 'epoch' at the end of each epoch "
                          "(upstream run_summarization_no_trainer.py); trainer/tf back ends: sets "
                          "--save_strategy/--save_steps; default: --save_strategy/--save_steps."},
    )
    num_cores: Optional[int] = field(
        default=None,
        metadata={"help": "xla back end: accepted for upstream xla_spawn.py compatibility; one process uses "
                          "every local TPU chip (SPMD) whatever the value, which is logged."},
    )
    gpu_defaults: bool = field(
        default=True,
        metadata={"help": "On a CUDA GPU, pick faster settings for the flags not given: bf16 where supported, "
                          "TF32, fused AdamW, length-grouped batches, pinned memory and data-loading workers, "
                          "one log line each (summtrain.gpu_defaults); false: transformers' own defaults."},
    )
    tpu: Optional[str] = field(
        default=None,
        metadata={"help": "tf back end: train on this Cloud TPU with TPUStrategy (its name or grpc:// address; "
                          "'local' on a TPU VM).", "aliases": ["--tpu_name"]},
    )
    # run_summarization_no_trainer.py spellings (summtrain.parse.no_trainer_flags maps them, one log line each)
    max_train_steps: Optional[int] = field(
        default=None, metadata={"help": "run_summarization_no_trainer.py's --max_steps: total optimizer updates "
                                        "(overrides --num_train_epochs)."})
    num_warmup_steps: Optional[int] = field(
        default=None, metadata={"help": "run_summarization_no_trainer.py's --warmup_steps."})
    with_tracking: bool = field(
        default=False, metadata={"help": "run_summarization_no_trainer.py: report to the trackers of --report_to "
                                         "(default there: all installed), under the project "
                                         "'summarization_no_trainer'."})
    use_slow_tokenizer: bool = field(
        default=False, metadata={"help": "run_summarization_no_trainer.py's --use_fast_tokenizer false."})
    model_type: Optional[str] = field(
        default=None, metadata={"help": "Train from scratch: a fresh model of this type (e.g. t5) built from "
                                        "--config_name or the type's default config; needs --tokenizer_name."})
    max_length: Optional[int] = field(
        default=None, metadata={"help": "Accepted as run_summarization_no_trainer.py accepts it; that script does "
                                        "not use it, nor does summtrain: --max_source_length sets the input "
                                        "length."})


@dataclass
class TrainArgs:
    """All groups of one run, plus the flags the user actually gave (name -> value)."""

    model: ModelArguments
    data: DataTrainingArguments
    training: Any  # transformers.Seq2SeqTrainingArguments
    summtrain: SummtrainArguments
    given: dict[str, Any]
    embedded_default: bool = False

    def finalize_generation(self) -> None:
        """As upstream: eval/predict generation defaults to --val_max_target_length (else
        --max_target_length) and --num_beams."""
        d, t = self.data, self.training
        if d.val_max_target_length is None:
            d.val_max_target_length = d.max_target_length
        t.generation_max_length = t.generation_max_length or d.val_max_target_length
        t.generation_num_beams = d.num_beams if d.num_beams is not None else t.generation_num_beams


def dataclass_groups() -> list[type]:
    """The four groups, in parser order (imports transformers)."""
    from transformers import Seq2SeqTrainingArguments

    return [ModelArguments, DataTrainingArguments, Seq2SeqTrainingArguments, SummtrainArguments]


def build_parser():
    """The real HfArgumentParser (no abbreviations, so a typo is an error, not a guess)."""
    from transformers import HfArgumentParser

    parser = HfArgumentParser(dataclass_groups(), allow_abbrev=False)
    parser.prog = "summtrain"
    return parser


def is_config_file(argv: Sequence[str]) -> bool:
    return len(argv) == 1 and str(argv[0]).endswith(CONFIG_SUFFIXES)


def load_config_file(path: str) -> dict[str, Any]:
    """A run file (.json/.yaml) as a flat dict of flag names to values."""
    p = Path(path)
    if not p.is_file():
        raise UsageError(f"run file {path} does not exist: pass an existing .json/.yaml file or the flags themselves")
    try:
        text = p.read_text()
        if p.suffix == ".json":
            data = json.loads(text)
        else:
            import yaml

            data = yaml.safe_load(text)
    except Exception as e:  # json.JSONDecodeError, yaml.YAMLError
        raise UsageError(f"run file {path} does not parse ({type(e).__name__}: {str(e).splitlines()[0]}): "
                         "fix the syntax") from None
    if not isinstance(data, dict):
        raise UsageError(f"run file {path} must hold a mapping of flag names to values, got {type(data).__name__}")
    return data
