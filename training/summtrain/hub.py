"""The Hugging Face Hub: is it reachable, is a name a local path, where the token comes from.

The reachability probe runs before any ML library is imported: when the Hub cannot be
reached, `HF_HUB_OFFLINE=1` is set so that transformers/datasets use only the local
cache and fail at once instead of retrying for minutes.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlparse

log = logging.getLogger("summtrain")
PROBE_TIMEOUT_S = 5.0
DEFAULT_TIMEOUTS = {"HF_HUB_ETAG_TIMEOUT": "10", "HF_HUB_DOWNLOAD_TIMEOUT": "20"}
_TRUE = ("1", "true", "yes", "on")
_probe_result: list[bool] = []


def endpoint_host() -> tuple[str, int]:
    url = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co"))
    return url.hostname or "huggingface.co", url.port or (80 if url.scheme == "http" else 443)


def offline_requested() -> bool:
    return any(os.environ.get(k, "").lower() in _TRUE for k in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def _connect(result: list[bool]) -> None:
    try:
        with socket.create_connection(endpoint_host(), timeout=PROBE_TIMEOUT_S):
            result.append(True)
    except OSError:
        result.append(False)


def hub_reachable() -> bool:
    """One TCP connect to the Hub endpoint, at most PROBE_TIMEOUT_S (DNS included); cached."""
    if offline_requested():
        return False
    if not _probe_result:
        result: list[bool] = []
        thread = threading.Thread(target=_connect, args=(result,), daemon=True)
        thread.start()
        thread.join(PROBE_TIMEOUT_S + 1)
        _probe_result.append(bool(result and result[0]))
    return _probe_result[0]


def prepare_environment() -> bool:
    """Short Hub timeouts; offline mode when unreachable. Returns whether the Hub is reachable."""
    for key, value in DEFAULT_TIMEOUTS.items():
        os.environ.setdefault(key, value)
    reachable = hub_reachable()
    if not reachable:
        os.environ["HF_HUB_OFFLINE"] = "1"
        os.environ["HF_DATASETS_OFFLINE"] = "1"
    return reachable


def looks_like_path(name: str) -> bool:
    """A name meant as a local path (a Hub id is `name` or `org/name`)."""
    return (name.startswith(("/", "./", "../", "~", ".\\")) or name.count("/") > 1 or os.sep != "/" and os.sep in name
            or Path(name).expanduser().exists())


def read_token(token_file: str | None) -> str | None:
    """The token from --hub_token_file, HF_TOKEN, or HF_TOKEN_PATH (a mounted Secret); never logged."""
    for path in (token_file, os.environ.get("HF_TOKEN_PATH")):
        if path and Path(path).is_file():
            text = Path(path).read_text().strip()
            if text:
                return text
    return os.environ.get("HF_TOKEN") or None


def redact(text: str, *secrets: str | None) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def push_output_dir(training_args, token: str | None, ignore: tuple[str, ...] = ()) -> None:
    """--push_to_hub: output_dir (model, tokenizer, results, card; not the checkpoints) to --hub_model_id,
    else a repo named after output_dir. The token comes from the environment (HF_TOKEN, a token file)."""
    from huggingface_hub import HfApi

    t = training_args
    api = HfApi(token=token)
    repo = api.create_repo(t.hub_model_id or Path(t.output_dir).resolve().name, private=bool(t.hub_private_repo),
                           exist_ok=True)
    patterns = ["checkpoint-*", "checkpoint-*/**", "step_*/**", "epoch_*/**", "runs/**", *ignore]
    api.upload_folder(repo_id=repo.repo_id, folder_path=t.output_dir, commit_message="End of training",
                      ignore_patterns=patterns)
    log.info("pushed %s to %s", t.output_dir, repo)
