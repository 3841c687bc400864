"""Data: a Hub dataset by name or local CSV/JSON/JSON Lines files, preprocessed as upstream.

Shared by every back end:
- `check_files(data)`: before anything is imported or written (missing, empty, bad suffix);
- `load_raw(model, data)` -> `datasets.DatasetDict` (parse errors become `UsageError`);
- `resolve_columns(data, column_names)` -> (text, summary), listing the columns on error;
- `prepare(raw, tokenizer, data, do_train=, do_eval=, do_predict=)` -> `Prepared`
  (selected, tokenized splits: prefix, truncation, padding, label pad -> -100);
- `make_collator(tokenizer, model, data, fp16)`: the torch `DataCollatorForSeq2Seq`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from summtrain.args import SUMMARIZATION_NAME_MAPPING, DataTrainingArguments, ModelArguments
from summtrain.errors import UsageError

SUFFIX_LOADER = {".csv": "csv", ".json": "json", ".jsonl": "json"}
FILE_SPLITS = (("train_file", "train"), ("validation_file", "validation"), ("test_file", "test"))


@dataclass
class Prepared:
    """Tokenized splits (None when not requested) and the raw texts needed for outputs."""

    train: Any
    eval: Any
    predict: Any
    text_column: str
    summary_column: str
    eval_references: list[str] | None = None
    predict_references: list[str] | None = None


def check_files(data: DataTrainingArguments) -> None:
    for flag, _ in FILE_SPLITS:
        path = getattr(data, flag)
        if path is None:
            continue
        p = Path(path).expanduser()
        if not p.is_file():
            raise UsageError(f"--{flag} {path} does not exist: pass an existing CSV/JSON/JSON Lines file")
        if p.suffix not in SUFFIX_LOADER:
            raise UsageError(f"--{flag} {path} must be a .csv, .json or .jsonl file")
        if not p.read_bytes().strip():
            raise UsageError(f"--{flag} {path} is empty: pass a file with a header/records and at least one row")


def _root_message(error: BaseException) -> str:
    while error.__cause__ or error.__context__:
        error = error.__cause__ or error.__context__
    text = str(error).strip().splitlines()
    return f"{type(error).__name__}: {text[0] if text else ''}"


def _load_files(model: ModelArguments, data: DataTrainingArguments):
    import datasets

    files = {split: str(Path(getattr(data, flag)).expanduser()) for flag, split in FILE_SPLITS if getattr(data, flag)}
    loaders = {SUFFIX_LOADER[Path(f).suffix] for f in files.values()}
    if len(loaders) > 1:
        raise UsageError("--train_file/--validation_file/--test_file mix CSV and JSON: use one format")
    raw = datasets.DatasetDict()
    for split, path in files.items():  # one at a time so an error names its file
        try:
            raw[split] = datasets.load_dataset(SUFFIX_LOADER[Path(path).suffix], data_files={split: path},
                                               split=split, cache_dir=model.cache_dir)
        except UsageError:
            raise
        except Exception as e:
            flag = dict((s, f) for f, s in FILE_SPLITS)[split]
            raise UsageError(f"--{flag} {path} does not parse as {Path(path).suffix[1:].upper()} "
                             f"({_root_message(e)}): fix the file") from None
        if len(raw[split]) == 0:
            raise UsageError(f"--{dict((s, f) for f, s in FILE_SPLITS)[split]} {path} has no rows: add data")
    return raw


def load_raw(model: ModelArguments, data: DataTrainingArguments, token: str | None = None):
    """The raw DatasetDict (splits train/validation/test as available)."""
    if data.dataset_name is None:
        return _load_files(model, data)
    import datasets

    try:
        return datasets.load_dataset(data.dataset_name, data.dataset_config_name, cache_dir=model.cache_dir,
                                     token=token)
    except Exception as e:
        from summtrain.hub import hub_reachable

        if not hub_reachable():
            raise UsageError(f"--dataset_name {data.dataset_name}: the Hugging Face Hub is unreachable and the "
                             "dataset is not cached: pass local files with --train_file/--validation_file "
                             "(CSV or JSON Lines)") from None
        raise UsageError(f"--dataset_name {data.dataset_name} could not be loaded ({_root_message(e)}): "
                         "check the name and --dataset_config_name") from None


def resolve_columns(data: DataTrainingArguments, column_names: list[str]) -> tuple[str, str]:
    """(text column, summary column): given ones, the upstream table's, or the first two."""
    mapped = SUMMARIZATION_NAME_MAPPING.get(data.dataset_name or "")
    chosen = []
    for i, flag in enumerate(("text_column", "summary_column")):
        name = getattr(data, flag)
        if name is None:
            name = mapped[i] if mapped else (column_names[i] if len(column_names) > i else None)
        if name not in column_names:
            raise UsageError(f"--{flag} {name!r} is not a column of the data (columns: "
                             f"{', '.join(column_names)}): pass --{flag} with one of them")
        chosen.append(name)
    return chosen[0], chosen[1]


def _split(raw: Any, name: str, flag: str) -> Any:
    if name not in raw:
        raise UsageError(f"--do_{flag} needs a {name} split: pass --{name}_file or a dataset that has one")
    return raw[name]


@contextlib.contextmanager
def no_ordering(desc: str = "") -> Any:
    """The single-process stand-in for `TrainingArguments.main_process_first(desc=...)`."""
    yield


def prepare(raw: Any, tokenizer: Any, data: DataTrainingArguments, *, do_train: bool, do_eval: bool,
            do_predict: bool, main_process_first: Any = no_ordering) -> Prepared:
    """Select, tokenize and keep the reference summaries of the requested splits."""
    first = next(iter(raw.values()))
    text_col, summary_col = resolve_columns(data, list(first.column_names))
    for split in raw.values():
        missing = [c for c in (text_col, summary_col) if c not in split.column_names]
        if missing:
            raise UsageError(f"column {missing[0]!r} is missing from the {split.split} split (columns: "
                             f"{', '.join(split.column_names)}): make all data files share the columns")
    specs = (("train", "train", do_train, data.max_train_samples, data.max_target_length),
             ("validation", "eval", do_eval, data.max_eval_samples, data.val_max_target_length),
             ("test", "predict", do_predict, data.max_predict_samples, data.val_max_target_length))
    out = Prepared(None, None, None, text_col, summary_col)
    for name, flag, wanted, limit, target_len in specs:
        if not wanted:
            continue
        ds = _split(raw, name, flag)
        if limit is not None:
            ds = ds.select(range(min(len(ds), limit)))
        ds = ds.filter(lambda ex: bool(ex[text_col]) and bool(ex[summary_col]))
        with main_process_first(desc=f"{name} dataset map pre-processing"):
            tokenized = tokenize(ds, tokenizer, data, text_col, summary_col, target_len or data.max_target_length)
        setattr(out, flag, tokenized)
        if flag != "train":
            setattr(out, f"{flag}_references", list(ds[summary_col]))
    return out


def tokenize(ds: Any, tokenizer: Any, data: DataTrainingArguments, text_col: str, summary_col: str,
             max_target_length: int) -> Any:
    padding = "max_length" if data.pad_to_max_length else False
    prefix = data.source_prefix or ""

    def preprocess(examples: dict[str, list]) -> dict[str, list]:
        inputs = [prefix + text for text in examples[text_col]]
        model_inputs = tokenizer(inputs, max_length=data.max_source_length, padding=padding, truncation=True)
        labels = tokenizer(text_target=examples[summary_col], max_length=max_target_length, padding=padding,
                           truncation=True)["input_ids"]
        if padding == "max_length" and data.ignore_pad_token_for_loss:
            labels = [[t if t != tokenizer.pad_token_id else -100 for t in label] for label in labels]
        model_inputs["labels"] = labels
        return model_inputs

    return ds.map(preprocess, batched=True, num_proc=data.preprocessing_num_workers,
                  remove_columns=ds.column_names, load_from_cache_file=not data.overwrite_cache,
                  desc="Running tokenizer on dataset")


def make_collator(tokenizer: Any, model: Any, data: DataTrainingArguments, fp16: bool = False) -> Any:
    from transformers import DataCollatorForSeq2Seq

    label_pad = -100 if data.ignore_pad_token_for_loss else tokenizer.pad_token_id
    return DataCollatorForSeq2Seq(tokenizer, model=model, label_pad_token_id=label_pad,
                                  pad_to_multiple_of=8 if fp16 else None)
