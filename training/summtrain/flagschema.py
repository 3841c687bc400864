"""Check training flags without importing any ML library (the launcher's side).

`flags.json` is generated from the real `HfArgumentParser` of `summtrain.args`
(`python -m summtrain.flagschema --write`; a test keeps it equal to a fresh
generation). `parse_argv(argv)` is summtrain's one parse of its argv: flags that
transformers 5 removed are translated first (`summtrain.legacy`), then an
`argparse` parser built from flags.json (`argument_parser()`: the same option
names, nargs, consts and `--no_X` negations as the real parser, no abbreviations)
reads them, with typed values, choices and "did you mean" in one-line errors.
`parse_train_flags(argv, backend)` adds the back end's checks: the launcher's
pre-submit check uses it.

Only argparse/json/difflib (the standard library) are imported here: the launcher calls this at start-up.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import json
import os
import re
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from summtrain.errors import UsageError
from summtrain.legacy import Translation, translate_legacy  # noqa: F401  (part of this module's API)

HERE = Path(__file__).resolve().parent
SCHEMA_PATH = HERE / "flags.json"
RULES_PATH = HERE / "flag_rules.json"
LOOP_FLAGS_PATH = HERE / "backends" / "loop_flags.json"  # flags the accelerate/xla loops refuse, with fixes
_UNSET = (None, False, "no", "none", ["none"], [])
BACKENDS = ("trainer", "accelerate", "tf", "xla")
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")
_TRUE = ("yes", "true", "t", "y", "1")
_FALSE = ("no", "false", "f", "n", "0")


@functools.cache
def load_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text())


@functools.cache
def load_rules() -> dict[str, Any]:
    return json.loads(RULES_PATH.read_text())


def evaluation_generates(backend: str) -> bool:
    """Whether the back end's evaluation generates (and scores ROUGE) without --predict_with_generate."""
    return backend in load_rules()["generate_during_eval"]


@functools.cache
def load_loop_flags() -> dict[str, Any]:
    return json.loads(LOOP_FLAGS_PATH.read_text())


def reject_loop_flags(backend: str, given: Mapping[str, Any]) -> None:
    """Refuse a flag the accelerate/xla loop cannot honour, naming the fix (loop_flags.json)."""
    table = load_loop_flags().get(backend, {})
    for name in sorted(given):
        if name in table and given[name] not in _UNSET:
            raise UsageError(f"--{name} is not supported by the {backend} back end: {table[name]}")


def _looks_like_flag(token: str) -> bool:
    """argparse's rule: starts with '-', is not a negative number and holds no space."""
    return token.startswith("-") and not _NEGATIVE_NUMBER.match(token) and " " not in token


def _did_you_mean(name: str) -> str:
    known = list(load_schema()["options"]) + [f"--{k}" for k in load_rules()["legacy"]]
    longer = sorted((k for k in known if k.startswith(name) and "-" not in k[2:]), key=len)  # a cut-off name
    close = longer[:1] or difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _unknown(name: str) -> UsageError:
    return UsageError(f"unknown training flag {name}{_did_you_mean(name)}: see `summtrain --help` for the flags")


def translate_legacy_dict(data: Mapping[str, Any]) -> tuple[dict[str, Any], Translation]:
    """The same translation for a run file's mapping (values stay as given)."""
    argv: list[str] = []
    plain: dict[str, Any] = {}
    legacy = load_rules()["legacy"]
    for key, value in data.items():
        if key in legacy:
            argv += [f"--{key}"] + ([] if value is True else [str(value)])
        else:
            plain[key] = value
    tr = translate_legacy(argv)
    for flag, value in parse_flag_tokens(tr.argv).items():
        plain[flag] = value
    return plain, tr


# ---------------------------------------------------------------- parsing

def _convert(spec: Mapping[str, Any], option: str, raw: str) -> Any:
    kind = spec["type"]
    try:
        if kind == "bool":
            low = raw.lower()
            if low in _TRUE or low in _FALSE:
                return low in _TRUE
            raise ValueError
        value: Any = int(raw) if kind == "int" else float(raw) if kind == "float" else raw
    except ValueError:
        want = {"bool": "true or false", "int": "an integer", "float": "a number"}[kind]
        raise UsageError(f"training flag {option} expects {want}, got {raw!r}") from None
    choices = spec.get("choices")
    if choices and str(value) not in choices:
        close = difflib.get_close_matches(str(value), choices, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UsageError(f"training flag {option} got {raw!r}{hint}: choose one of {', '.join(choices)}")
    return value


class _Parser(argparse.ArgumentParser):
    """argparse with flags.json's options; its errors become one-line `UsageError`s."""

    def error(self, message: str):
        option = re.match(r"argument (\S+?)(?:/\S+)?: (.*)", message)
        if option is None:
            raise UsageError(f"training flags: {message}: see `summtrain --help`")
        name, what = option.group(1), option.group(2)
        if what.startswith("expected at least one"):
            raise UsageError(f"training flag {name} expects one or more values")
        if what.startswith("expected one"):
            raise UsageError(f"training flag {name} expects a value: pass {name} VALUE")
        if what.startswith("ignored explicit argument"):
            raise UsageError(f"training flag {name} takes no value")
        raise UsageError(f"training flag {name}: {what}")


def _converter(spec: Mapping[str, Any], option: str):
    def convert(raw: str) -> Any:
        return _convert(spec, option, raw)  # raises UsageError, which argparse lets through

    return convert


@functools.lru_cache(maxsize=8)
def argument_parser(only: frozenset[str] | None = None) -> argparse.ArgumentParser:
    """The argparse parser of summtrain's flags, built from flags.json (no ML import).

    `only`: build just the options named there (and their other spellings). With exact
    matching (no abbreviations) that parser reads an argv naming only those options exactly
    as the whole one does, and costs a fraction of it (~200 options take ~30 ms to add,
    which is most of a cold `summlaunch render`'s training-flag check)."""
    schema = load_schema()
    parser = _Parser(prog="summtrain", allow_abbrev=False, add_help=False)
    grouped: dict[tuple[str, str], list[str]] = {}
    for option, o in schema["options"].items():
        grouped.setdefault((o["dest"], o["action"]), []).append(option)
    for (dest, action), names in grouped.items():
        if only is not None and only.isdisjoint(names):
            continue
        names = sorted(names, key=lambda n: ("-" in n[2:], n))  # underscore spelling first (messages)
        if action == "store_false":
            parser.add_argument(*names, dest=dest, action="store_false", default=argparse.SUPPRESS)
            continue
        spec = schema["flags"][dest]
        extra = {"nargs": spec["nargs"]} if spec.get("nargs") else {}
        if spec.get("nargs") == "?":
            extra["const"] = spec.get("const", True)
        parser.add_argument(*names, dest=dest, default=argparse.SUPPRESS, type=_converter(spec, names[0]), **extra)
    return parser


def parse_flag_tokens(argv: Sequence[str]) -> dict[str, Any]:
    """{dest: value} for the flags in argv (already translated): argparse with flags.json's options."""
    named = frozenset(tok.partition("=")[0] for tok in argv if tok.startswith("-"))
    parsed, rest = argument_parser(named).parse_known_args(list(argv))
    if rest:
        tok = rest[0]
        if tok == "--" or not _looks_like_flag(tok):
            raise UsageError(f"unexpected training argument {tok!r}: training flags look like --name VALUE")
        raise _unknown(tok.partition("=")[0])
    return vars(parsed)


def parse_train_flags(argv: Sequence[str], backend: str = "trainer") -> dict[str, Any]:
    """Validate training flags; {flag_name: value} for the flags given (legacy ones translated).

    Raises `UsageError` (one line, with a "did you mean") on an unknown flag, a bad
    value or a flag the chosen back end does not support. A single `.json`/`.yaml`
    argument is read as a run file.
    """
    given, _ = parse_argv(argv)
    check_backend(given, backend)
    return given


def parse_argv(argv: Sequence[str]) -> tuple[dict[str, Any], Translation]:
    """The one parse of summtrain's argv (or of a single `.json`/`.yaml` run file): {dest: typed value}
    for the flags given, legacy ones translated, and the translation's log lines and environment."""
    argv = [str(a) for a in argv]
    if len(argv) == 1 and argv[0].endswith((".json", ".yaml", ".yml")):
        from summtrain.args import load_config_file

        return check_mapping(load_config_file(argv[0]))
    tr = translate_legacy(argv)
    return parse_flag_tokens(tr.argv), tr


def check_backend(given: Mapping[str, Any], backend: str = "trainer") -> None:
    """The chosen back end exists and supports every flag given."""
    chosen = given.get("backend", backend)
    if chosen not in BACKENDS:
        raise UsageError(f"unknown back end {chosen!r}: choose one of {', '.join(BACKENDS)}")
    unsupported = sorted(set(given) & set(load_rules()["unsupported"].get(chosen, [])))
    if unsupported:
        raise UsageError(f"training flag --{unsupported[0]} is not supported by the {chosen} back end: remove it")
    reject_loop_flags(chosen, given)


def check_mapping(data: Mapping[str, Any]) -> tuple[dict[str, Any], Translation]:
    """Validate a run file's mapping: known keys (did-you-mean), values of the right type."""
    plain, tr = translate_legacy_dict(data)
    flags = load_schema()["flags"]
    out: dict[str, Any] = {}
    for key, value in plain.items():
        if key not in flags:
            raise _unknown(f"--{key}")
        spec = flags[key]
        if value is None or isinstance(value, (dict, list)) and spec.get("nargs") != "+":
            out[key] = value
        elif isinstance(value, list):
            out[key] = [_convert(spec, f"--{key}", str(v)) for v in value]
        else:
            raw = str(value).lower() if isinstance(value, bool) else str(value)
            out[key] = _convert(spec, f"--{key}", raw)
    return out, tr


# ---------------------------------------------------------------- generation

def _type_name(action: Any) -> str:
    name = getattr(action.type, "__name__", "")
    if name == "string_to_bool":
        return "bool"
    return {"int": "int", "float": "float"}.get(name, "str")


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def generate() -> dict[str, Any]:
    """Build the schema from the real parser (imports transformers)."""
    import transformers

    from summtrain.args import build_parser

    parser = build_parser()
    options: dict[str, Any] = {}
    flags: dict[str, Any] = {}
    for action in parser._actions:
        if not action.option_strings or action.dest == "help":
            continue
        kind = type(action).__name__
        act = "store_false" if kind == "_StoreFalseAction" else "store"
        for opt in action.option_strings:
            options[opt] = {"dest": action.dest, "action": act}
        if act == "store_false":
            continue
        spec: dict[str, Any] = {"type": _type_name(action), "nargs": action.nargs,
                                "default": _jsonable(action.default), "help": action.help or ""}
        if action.nargs == "?":
            spec["const"] = _jsonable(action.const)
        if action.choices:
            spec["choices"] = [str(getattr(c, "value", c)) for c in action.choices]
        flags[action.dest] = spec
    clash = sorted(set(load_rules()["legacy"]) & set(flags))
    if clash:
        raise SystemExit(f"flag_rules.json lists flags the parser still has: {clash}")
    return {"generated_with": {"transformers": transformers.__version__},
            "options": dict(sorted(options.items())), "flags": dict(sorted(flags.items()))}


def render_schema(schema: Mapping[str, Any]) -> str:
    return json.dumps(schema, indent=1, sort_keys=False) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    text = render_schema(generate())
    if "--write" in argv:
        SCHEMA_PATH.write_text(text)
        print(f"wrote {os.path.relpath(SCHEMA_PATH)}")
        return 0
    if SCHEMA_PATH.read_text() != text:
        print(f"{SCHEMA_PATH} is stale: run `python -m summtrain.flagschema --write`", file=sys.stderr)
        return 1
    print(f"{SCHEMA_PATH} is up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
