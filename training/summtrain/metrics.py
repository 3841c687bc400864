"""ROUGE-1/2/L/Lsum, offline (rouge_score; no Hub metric, no NLTK data).

`rouge(predictions, references)` returns the upstream keys (`rouge1`, `rouge2`,
`rougeL`, `rougeLsum`), mean F-measure x 100 rounded to 4 places. For Lsum each text
is split into sentences with a regular expression (upstream uses NLTK's punkt data,
which no package ships). Framework-free: every back end uses it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

ROUGE_KEYS = ("rouge1", "rouge2", "rougeL", "rougeLsum")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])")


def split_sentences(text: str) -> list[str]:
    """Sentences of a text: split after . ! ? followed by space and a capital or digit."""
    return [s for s in (part.strip() for part in _SENTENCE_END.split(text.strip())) if s]


def rouge(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(list(ROUGE_KEYS), use_stemmer=True)
    totals = dict.fromkeys(ROUGE_KEYS, 0.0)
    for pred, ref in zip(predictions, references, strict=True):
        pred_s, ref_s = "\n".join(split_sentences(pred)), "\n".join(split_sentences(ref))
        scores = scorer.score(ref_s, pred_s)
        for key in ROUGE_KEYS:
            totals[key] += scores[key].fmeasure
    n = max(len(predictions), 1)
    return {key: round(100 * value / n, 4) for key, value in totals.items()}


def decode(tokenizer: Any, token_ids: Any) -> list[str]:
    """Decode generated ids or labels (-100 becomes padding first)."""
    import numpy as np

    ids = np.asarray(token_ids)
    ids = np.where(ids < 0, tokenizer.pad_token_id, ids)
    return [t.strip() for t in tokenizer.batch_decode(ids, skip_special_tokens=True, clean_up_tokenization_spaces=True)]


def generation_metrics(tokenizer: Any, preds: Any, labels: Any) -> dict[str, float]:
    """ROUGE plus `gen_len` (mean count of non-pad generated tokens), as upstream reports them."""
    import numpy as np

    if isinstance(preds, tuple):
        preds = preds[0]
    result = rouge(decode(tokenizer, preds), decode(tokenizer, labels))
    preds = np.asarray(preds)
    result["gen_len"] = round(float(np.mean(np.count_nonzero((preds != tokenizer.pad_token_id) & (preds >= 0), axis=1))), 4)
    return result


def compute_metrics_fn(tokenizer: Any) -> Callable[[Any], dict[str, float]]:
    """A `compute_metrics` for Seq2SeqTrainer (takes an EvalPrediction)."""

    def compute(eval_pred: Any) -> dict[str, float]:
        return generation_metrics(tokenizer, eval_pred.predictions, eval_pred.label_ids)

    return compute
