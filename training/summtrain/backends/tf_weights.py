"""Weights and tokenizers for the TF back end, across the two transformers lines.

The torch back ends (transformers 5) write `model.safetensors` in PyTorch layout;
the TF stack runs transformers 4.x, whose `from_pretrained(..., from_pt=True)` is
broken for safetensors (upstream transformers#40028). So a PyTorch checkpoint is
loaded by building the TF model from its config and feeding the state dict, read
with `safetensors.numpy` (no torch needed), to `load_pytorch_state_dict_in_tf2_model`.

The other way round, `export_pt_safetensors` writes the TF weights as a PyTorch-layout
`model.safetensors` (names and transposes by transformers' own mapping, numpy only),
so every checkpoint this back end writes loads in the torch back ends too.
"""

from __future__ import annotations

import contextlib
import json
from pathlib import Path
from typing import Any

from summtrain.errors import UsageError

SAFETENSORS = "model.safetensors"
SAFETENSORS_INDEX = "model.safetensors.index.json"
TF_WEIGHTS = "tf_model.h5"
HUB_PATTERNS = ["*.json", "*.model", "*.txt", "tokenizer*", "spiece*", "*.safetensors", TF_WEIGHTS]


def resolve_model_dir(name_or_path: str, cache_dir: str | None = None, revision: str = "main",
                      token: str | None = None) -> Path:
    """A local folder for a model: the path itself, or a Hub snapshot of the files we can load."""
    path = Path(name_or_path)
    if path.is_dir():
        return path
    if path.exists() or name_or_path.startswith((".", "/")):
        raise UsageError(f"model path {name_or_path} is not a model folder: pass a folder holding config.json")
    from huggingface_hub import snapshot_download

    try:
        return Path(snapshot_download(name_or_path, revision=revision, cache_dir=cache_dir, token=token,
                                      allow_patterns=HUB_PATTERNS, etag_timeout=10))
    except Exception as e:  # offline, unknown repo, gated repo
        raise UsageError(f"cannot fetch model {name_or_path!r} from the Hugging Face Hub "
                         f"({type(e).__name__}): pass a local model folder to --model_name_or_path") from None


def read_pt_state_dict(model_dir: Path) -> dict[str, Any] | None:
    """The PyTorch-layout state dict of a safetensors checkpoint (single or sharded), as numpy."""
    from safetensors.numpy import load_file

    if (model_dir / SAFETENSORS).is_file():
        return load_file(str(model_dir / SAFETENSORS))
    index = model_dir / SAFETENSORS_INDEX
    if index.is_file():
        shards = sorted(set(json.loads(index.read_text())["weight_map"].values()))
        state: dict[str, Any] = {}
        for shard in shards:
            state.update(load_file(str(model_dir / shard)))
        return state
    return None


def load_tf_model(model_dir: Path, config=None):
    """A TF seq2seq model from a folder with `tf_model.h5` or PyTorch safetensors weights."""
    from transformers import AutoConfig, TFAutoModelForSeq2SeqLM
    from transformers.modeling_tf_pytorch_utils import load_pytorch_state_dict_in_tf2_model

    config = config or AutoConfig.from_pretrained(model_dir)
    state = read_pt_state_dict(model_dir)
    if state is None:
        if (model_dir / TF_WEIGHTS).is_file():
            return TFAutoModelForSeq2SeqLM.from_pretrained(model_dir, config=config)
        found = ", ".join(sorted(p.name for p in model_dir.iterdir())) or "nothing"
        raise UsageError(f"no weights the TF back end can load in {model_dir} (found: {found}): it needs "
                         f"{SAFETENSORS} (PyTorch layout) or {TF_WEIGHTS}; re-save a .bin checkpoint "
                         "with save_pretrained(safe_serialization=True)")
    with _quiet_transformers():  # "All PyTorch model weights were used ..." and the TF deprecation notice
        model = TFAutoModelForSeq2SeqLM.from_config(config)
        model(model.dummy_inputs, training=False)  # create the variables
        load_pytorch_state_dict_in_tf2_model(model, state, allow_missing_keys=False)
    return model


@contextlib.contextmanager
def _quiet_transformers():
    from transformers.utils import logging as hf_logging

    previous = hf_logging.get_verbosity()
    hf_logging.set_verbosity_error()
    try:
        yield
    finally:
        hf_logging.set_verbosity(previous)


def new_tf_model(config):
    """A freshly initialised TF model (for --config_name without pretrained weights)."""
    from transformers import TFAutoModelForSeq2SeqLM

    model = TFAutoModelForSeq2SeqLM.from_config(config)
    model(model.dummy_inputs, training=False)
    return model


def load_tokenizer(name_or_path: str, **kwargs):
    """AutoTokenizer, also for folders saved by transformers 5.

    transformers 5 writes `"extra_special_tokens": []` into tokenizer_config.json, which
    4.x reads as a mapping and fails on; an empty mapping means the same thing.
    """
    from transformers import AutoTokenizer

    config = Path(name_or_path) / "tokenizer_config.json"
    if config.is_file() and json.loads(config.read_text()).get("extra_special_tokens") == []:
        kwargs.setdefault("extra_special_tokens", {})
    return AutoTokenizer.from_pretrained(name_or_path, **kwargs)


def pt_state_dict(model) -> dict[str, Any]:
    """The TF model's weights under PyTorch names and layout (numpy arrays)."""
    import numpy as np
    from transformers.modeling_tf_pytorch_utils import apply_transpose, convert_tf_weight_name_to_pt_weight_name

    state: dict[str, Any] = {}
    for var in model.weights:
        name, transpose = convert_tf_weight_name_to_pt_weight_name(var.name, tf_weight_shape=var.shape)
        value = apply_transpose(transpose, var.numpy(), pt_to_tf=False)
        state[name] = np.ascontiguousarray(value)
    return state


def export_pt_safetensors(model, folder: Path) -> Path:
    """Write `model.safetensors` in PyTorch layout (loadable by the torch back ends)."""
    from safetensors.numpy import save_file

    folder.mkdir(parents=True, exist_ok=True)
    target = folder / SAFETENSORS
    save_file(pt_state_dict(model), str(target), metadata={"format": "pt"})
    return target
