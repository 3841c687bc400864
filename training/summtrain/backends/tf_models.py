"""Tokenizer, TF model and collator for the TF back end (the torch side is `summtrain.models`)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Optional

from summtrain import hub
from summtrain.args import TrainArgs
from summtrain.backends import tf_weights
from summtrain.errors import UsageError

log = logging.getLogger("summtrain")


def _hub_error(flag: str, name: str, error: Exception) -> UsageError:
    if not hub.looks_like_path(name) and not hub.hub_reachable():
        return UsageError(f"--{flag} {name}: the Hugging Face Hub is unreachable and the model is not cached: "
                          "pass a local model folder, or leave --model_name_or_path out for the embedded model")
    first = (str(error).strip().splitlines() or [""])[0]
    return UsageError(f"--{flag} {name} could not be loaded ({type(error).__name__}: {first}): check the name or path")


def load_tokenizer(args: TrainArgs, token: Optional[str] = None) -> Any:
    m = args.model
    name = m.tokenizer_name or m.model_name_or_path
    flag = "tokenizer_name" if m.tokenizer_name else "model_name_or_path"
    try:
        tokenizer = tf_weights.load_tokenizer(name, use_fast=m.use_fast_tokenizer, cache_dir=m.cache_dir,
                                              revision=m.model_revision, token=token,
                                              trust_remote_code=m.trust_remote_code)
    except (OSError, ValueError, KeyError) as e:
        raise _hub_error(flag, name, e) from None
    from summtrain.models import set_languages

    return set_languages(args, tokenizer)


def load_model(args: TrainArgs, tokenizer: Any, token: Optional[str] = None) -> Any:
    """The TF model: PyTorch safetensors or tf_model.h5 weights; a --config_name alone starts fresh."""
    from transformers import AutoConfig

    m = args.model
    try:
        config = AutoConfig.from_pretrained(m.config_name or m.model_name_or_path, cache_dir=m.cache_dir,
                                            revision=m.model_revision, token=token,
                                            trust_remote_code=m.trust_remote_code)
        folder = tf_weights.resolve_model_dir(m.model_name_or_path, m.cache_dir, m.model_revision, token)
    except (OSError, ValueError, KeyError) as e:
        flag = "config_name" if m.config_name else "model_name_or_path"
        raise _hub_error(flag, m.config_name or m.model_name_or_path, e) from None
    model = tf_weights.load_tf_model(Path(folder), config)
    _adapt(args, model, tokenizer)
    return model


def _adapt(args: TrainArgs, model: Any, tokenizer: Any) -> None:
    """Upstream's adjustments: embeddings vs tokenizer, decoder start, forced BOS."""
    if len(tokenizer) > model.config.vocab_size:
        model.resize_token_embeddings(len(tokenizer))
    if model.config.decoder_start_token_id is None:
        raise UsageError(f"--model_name_or_path {args.model.model_name_or_path} has no decoder_start_token_id in "
                         "its config: pick a sequence-to-sequence model")
    max_pos = getattr(model.config, "max_position_embeddings", None)
    if max_pos is not None and args.data.max_source_length > max_pos:
        raise UsageError(f"--max_source_length {args.data.max_source_length} exceeds the model's {max_pos} "
                         "position embeddings: lower it (the tf back end cannot resize them)")
    if args.data.forced_bos_token is not None:
        model.config.forced_bos_token_id = tokenizer.convert_tokens_to_ids(args.data.forced_bos_token)


def make_collator(tokenizer: Any, data: Any, pad_to_multiple_of: Optional[int] = None) -> Any:
    """`DataCollatorForSeq2Seq` to numpy; the TF model shifts labels into decoder inputs itself."""
    from transformers import DataCollatorForSeq2Seq

    label_pad = -100 if data.ignore_pad_token_for_loss else tokenizer.pad_token_id
    return DataCollatorForSeq2Seq(tokenizer, label_pad_token_id=label_pad, pad_to_multiple_of=pad_to_multiple_of,
                                  return_tensors="np")
