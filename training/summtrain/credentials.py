"""The Hugging Face token: found once, kept out of argv-derived objects, logs and outputs.

`take_token(args)` returns the token (from --hub_token_file, HF_TOKEN_PATH, HF_TOKEN, or
a --token/--hub_token flag) and removes it from `args.model.token` and
`args.training.hub_token`, because the Trainer pickles its arguments into every
checkpoint (`training_args.bin`). huggingface_hub then reads it from HF_TOKEN.
"""

from __future__ import annotations

import logging
import os

from summtrain import hub
from summtrain.args import TrainArgs

log = logging.getLogger("summtrain")


class _Redact(logging.Filter):
    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = hub.redact(message, self.secret), ()
        return True


def take_token(args: TrainArgs) -> str | None:
    from_flags = args.model.token or args.training.hub_token
    if from_flags:
        log.warning("a token on the command line is visible to other users: prefer HF_TOKEN or --hub_token_file")
    token = from_flags or hub.read_token(args.summtrain.hub_token_file)
    args.model.token = None
    args.training.hub_token = None
    if token:
        os.environ["HF_TOKEN"] = token
        for handler in logging.getLogger().handlers:
            handler.addFilter(_Redact(token))
    return token
