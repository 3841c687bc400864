"""`summtrain` / `python -m summtrain`: parse flags, check them, run the chosen back end.

With no model or data flags it trains the embedded tiny T5 on the bundled data (CPU,
offline, minutes). Errors the user can fix end in one line and exit code 2.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from summtrain import flagschema, hub
from summtrain.errors import UsageError

log = logging.getLogger("summtrain")
HUB_FLAGS = ("model_name_or_path", "config_name", "tokenizer_name", "dataset_name")


def setup_logging() -> None:
    if not log.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("summtrain: %(message)s"))
        log.addHandler(handler)
        log.propagate = False
    log.setLevel(logging.INFO)


def needs_hub(given: dict[str, Any]) -> bool:
    names = [given.get(k) for k in HUB_FLAGS]
    return bool(given.get("push_to_hub")) or any(n and not hub.looks_like_path(str(n)) for n in names)


def run(argv: Sequence[str]) -> int:
    given, translation = flagschema.parse_argv(argv)  # the one parse: no ML import before the Hub probe
    flagschema.check_backend(given)
    if needs_hub(given):
        reachable = hub.prepare_environment()  # unreachable: offline mode, cached files only
    else:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # nothing to fetch: never wait on the network
        reachable = False
    from summtrain import backends, checks
    from summtrain.parse import train_args

    backend = backends.get(given.get("backend", "trainer"))
    if hasattr(backend, "before_parse"):  # e.g. xla: SPMD mode before TrainingArguments touches a device
        backend.before_parse(given)
    # a back end on another transformers line (tf: 4.x) parses the same schema its own way
    args = (backend.train_args if hasattr(backend, "train_args") else train_args)(given, translation)
    plan = checks.validate(args, reachable)
    checks.clear_stale(plan)
    if args.embedded_default:
        log.info("embedded default: tiny T5 on the bundled data, writing to %s", plan.output_dir.resolve())
    elif "output_dir" not in args.given:
        log.info("writing to %s (pass --output_dir to choose)", plan.output_dir.resolve())
    return backends.get(args.summtrain.backend).run(args, plan)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    setup_logging()
    if any(a in ("-h", "--help") for a in argv):
        from summtrain.args import build_parser

        build_parser().print_help()
        return 0
    try:
        return run(argv)
    except UsageError as e:
        print(f"summtrain: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("summtrain: interrupted", file=sys.stderr)
        return 130
