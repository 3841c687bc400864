"""Load the tokenizer and the torch seq2seq model (shared by the torch back ends).

Hub or offline failures become `UsageError` with a fix; a T5-family model with fp16
gets the known-NaN warning.
"""

from __future__ import annotations

import logging
from typing import Any

from summtrain import hub
from summtrain.args import TrainArgs
from summtrain.errors import UsageError

log = logging.getLogger("summtrain")
T5_FAMILY = ("t5", "mt5", "umt5", "longt5", "switch_transformers")


def _load_error(flag: str, name: str, error: Exception) -> UsageError:
    if not hub.looks_like_path(name) and not hub.hub_reachable():
        return UsageError(f"--{flag} {name}: the Hugging Face Hub is unreachable and the model is not cached: "
                          "pass a local model folder (or leave --model_name_or_path out to train the "
                          "embedded tiny model on the bundled data)")
    first = (str(error).strip().splitlines() or [""])[0]
    return UsageError(f"--{flag} {name} could not be loaded ({type(error).__name__}: {first}): "
                      "check the name or path")


def _common(args: TrainArgs, token: str | None) -> dict[str, Any]:
    m = args.model
    return {"cache_dir": m.cache_dir, "revision": m.model_revision, "token": token,
            "trust_remote_code": m.trust_remote_code}


def load_tokenizer(args: TrainArgs, token: str | None = None) -> Any:
    from transformers import AutoTokenizer

    name = args.model.tokenizer_name or args.model.model_name_or_path
    flag = "tokenizer_name" if args.model.tokenizer_name else "model_name_or_path"
    try:
        tokenizer = AutoTokenizer.from_pretrained(name, use_fast=args.model.use_fast_tokenizer, **_common(args, token))
    except (OSError, ValueError, KeyError) as e:
        raise _load_error(flag, name, e) from None
    return set_languages(args, tokenizer)


def set_languages(args: TrainArgs, tokenizer: Any) -> Any:
    """`--lang`: source and target language of a multilingual tokenizer (mBART, ...), as upstream does."""
    if args.data.lang is None:
        return tokenizer
    if not hasattr(tokenizer, "src_lang"):
        log.warning("--lang %s: the tokenizer (%s) has no languages to set; ignored", args.data.lang,
                    type(tokenizer).__name__)
        return tokenizer
    tokenizer.src_lang = tokenizer.tgt_lang = args.data.lang
    log.info("--lang %s: the tokenizer's source and target language", args.data.lang)
    return tokenizer


def load_model(args: TrainArgs, tokenizer: Any, token: str | None = None) -> Any:
    from transformers import AutoConfig, AutoModelForSeq2SeqLM

    m = args.model
    if m.model_name_or_path is None:
        model = _from_scratch(args, token)
    else:
        name = m.config_name or m.model_name_or_path
        try:
            config = AutoConfig.from_pretrained(name, **_common(args, token))
            model = AutoModelForSeq2SeqLM.from_pretrained(m.model_name_or_path, config=config,
                                                          **_common(args, token))
        except (OSError, ValueError, KeyError) as e:
            raise _load_error("config_name" if m.config_name else "model_name_or_path", name, e) from None
    _adapt(args, model, tokenizer)
    return model


def _from_scratch(args: TrainArgs, token: str | None) -> Any:
    """`--model_type TYPE` without a model: freshly initialised weights, as upstream's scripts do."""
    import difflib

    from transformers import CONFIG_MAPPING, AutoConfig, AutoModelForSeq2SeqLM

    m, kind = args.model, args.summtrain.model_type
    if m.config_name:
        try:
            config = AutoConfig.from_pretrained(m.config_name, **_common(args, token))
        except (OSError, ValueError, KeyError) as e:
            raise _load_error("config_name", m.config_name, e) from None
    elif kind in CONFIG_MAPPING:
        config = CONFIG_MAPPING[kind]()
    else:
        close = difflib.get_close_matches(str(kind), list(CONFIG_MAPPING.keys()), n=1)
        raise UsageError(f"--model_type {kind} is not a model type transformers knows"
                         + (f" (did you mean {close[0]}?)" if close else "") + ": pass e.g. --model_type t5")
    log.warning("--model_type %s: training a new %s model from scratch (no pretrained weights)",
                kind, config.model_type)
    try:
        return AutoModelForSeq2SeqLM.from_config(config, trust_remote_code=m.trust_remote_code)
    except ValueError as e:
        raise UsageError(f"--model_type {kind}: {str(e).splitlines()[0]}: pick a sequence-to-sequence type "
                         "such as t5 or bart") from None


def _adapt(args: TrainArgs, model: Any, tokenizer: Any) -> None:
    """Upstream's adjustments: embeddings vs tokenizer, decoder start, position embeddings, fp16 warning."""
    if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
        model.resize_token_embeddings(len(tokenizer))
    if model.config.decoder_start_token_id is None:
        raise UsageError(f"--model_name_or_path {args.model.model_name_or_path} has no decoder_start_token_id in "
                         "its config: pick a sequence-to-sequence model")
    max_pos = getattr(model.config, "max_position_embeddings", None)
    if max_pos is not None and args.data.max_source_length > max_pos:
        if args.model.resize_position_embeddings and hasattr(model, "resize_position_embeddings"):
            model.resize_position_embeddings(args.data.max_source_length)
        elif not args.model.resize_position_embeddings:
            raise UsageError(f"--max_source_length {args.data.max_source_length} exceeds the model's "
                             f"{max_pos} position embeddings: lower it or pass --resize_position_embeddings true")
    if args.data.forced_bos_token is not None:
        model.config.forced_bos_token_id = tokenizer.convert_tokens_to_ids(args.data.forced_bos_token)
    if args.training.fp16 and model.config.model_type in T5_FAMILY:
        log.warning("T5-family models are known to produce NaN losses in fp16: prefer --bf16 (Ampere or "
                    "newer GPUs, TPUs, CPUs)")
