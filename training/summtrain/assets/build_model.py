"""Build the embedded tiny T5 and its tokenizer from the bundled data.

The tokenizer is a `tokenizers` Unigram model over the corpus words and characters (scored
by frequency; Metaspace pre-tokenizer and decoder, specials <pad> </s> <unk>, `</s>`
appended), wrapped as `T5TokenizerFast(..., extra_ids=0)`; the
model is a freshly initialised `T5ForConditionalGeneration` (d_model 64, 2+2 layers).
The saved tokenizer folder also loads in transformers 4.x (see `make_4x_compatible`).

    python -m summtrain.assets.build_model [--out DIR] [--seed 0]
"""

from __future__ import annotations

import argparse
import json
import math
from collections import Counter
from pathlib import Path

from summtrain.assets import MODEL_DIR, SUMMARY_COLUMN, TEXT_COLUMN, data_file

SPECIALS = ["<pad>", "</s>", "<unk>"]
MODEL_SHAPE = dict(d_model=64, d_ff=128, d_kv=16, num_layers=2, num_decoder_layers=2, num_heads=4,
                   relative_attention_num_buckets=16, dropout_rate=0.0, feed_forward_proj="relu")


def _corpus() -> list[str]:
    texts = []
    for line in data_file("train").read_text().splitlines():
        row = json.loads(line)
        texts += [row[TEXT_COLUMN], row[SUMMARY_COLUMN]]
    return texts


def _unigram_vocab(texts: list[str]) -> list[tuple[str, float]]:
    """Whole words (with the Metaspace marker) and single characters, scored by log frequency."""
    counts = Counter(f"\u2581{w}" for text in texts for w in text.split())
    counts.update(ch for text in texts for ch in set(text.replace(" ", "")))
    total = sum(counts.values())
    pieces = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [(s, 0.0) for s in SPECIALS] + [("\u2581", math.log(0.5 / total))] + [
        (piece, math.log(n / total)) for piece, n in pieces
    ]


def build_tokenizer():
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors
    from transformers import T5TokenizerFast

    tok = Tokenizer(models.Unigram(_unigram_vocab(_corpus()), unk_id=SPECIALS.index("<unk>")))
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    tok.decoder = decoders.Metaspace()
    eos = tok.token_to_id("</s>")
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", pair="$A </s> $B </s>",
                                                       special_tokens=[("</s>", eos)])
    return T5TokenizerFast(tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>",
                           extra_ids=0, model_max_length=512)


def build_model(tokenizer, seed: int = 0):
    import torch
    from transformers import T5Config, T5ForConditionalGeneration

    torch.manual_seed(seed)
    config = T5Config(vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id,
                      eos_token_id=tokenizer.eos_token_id, decoder_start_token_id=tokenizer.pad_token_id,
                      **MODEL_SHAPE)
    return T5ForConditionalGeneration(config)


def make_4x_compatible(folder: Path) -> None:
    """transformers 5 writes `"extra_special_tokens": []`, which 4.x rejects; drop it."""
    path = folder / "tokenizer_config.json"
    config = json.loads(path.read_text())
    if not config.get("extra_special_tokens"):
        config.pop("extra_special_tokens", None)
    config.pop("backend", None)  # 4.x passes unknown keys to __init__
    config["tokenizer_class"] = "T5Tokenizer"
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")


def build(out: Path = MODEL_DIR, seed: int = 0) -> Path:
    tokenizer = build_tokenizer()
    model = build_model(tokenizer, seed)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    make_4x_compatible(out)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(f"wrote {build(args.out, args.seed)}")


if __name__ == "__main__":
    main()
