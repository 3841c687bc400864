"""Flags that transformers 5 removed, rewritten into their successors (`flag_rules.json`, one log line each).

A rule translates a flag to its successor (`to`, with the same value, a fixed `value`, or a key of
the successor's JSON object), moves its value to an environment variable, drops it with a note, or
refuses it naming what to do instead. Only the standard library is imported (the launcher uses it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, NamedTuple

from summtrain.errors import UsageError

RULES_PATH = Path(__file__).resolve().parent / "flag_rules.json"
_NEGATIVE_NUMBER = re.compile(r"^-\d+$|^-\d*\.\d+$")
_FALSE = ("no", "false", "f", "n", "0")


class Translation(NamedTuple):
    argv: list[str]
    notes: list[str]  # one log line per translated flag
    env: dict[str, str]  # environment variables a legacy flag maps to


def load_legacy() -> dict[str, Any]:
    return json.loads(RULES_PATH.read_text())["legacy"]


def _looks_like_flag(token: str) -> bool:
    """argparse's rule: starts with '-', is not a negative number and holds no space."""
    return token.startswith("-") and not _NEGATIVE_NUMBER.match(token) and " " not in token

def _legacy_value(argv: Sequence[str], i: int, inline: str | None, kind: str) -> tuple[str | None, int]:
    """The value a legacy flag takes at argv[i], and the index after it."""
    if inline is not None:
        return inline, i + 1
    nxt = argv[i + 1] if i + 1 < len(argv) else None
    if kind == "bool":
        if nxt is not None and not _looks_like_flag(nxt):
            return nxt, i + 2
        return None, i + 1
    if nxt is None or _looks_like_flag(nxt):
        raise UsageError(f"training flag {argv[i].split('=')[0]} expects a value: pass --{argv[i].lstrip('-')} VALUE")
    return nxt, i + 2


def _refusal(name: str, value: str | None, rule: Mapping[str, Any]) -> str | None:
    """The message when a rule refuses this value (None: translate it)."""
    if "refuse_false" in rule and value is not None and value.lower() in _FALSE:
        return rule["refuse_false"]
    if "refuse" in rule and (value or "") != rule.get("refuse_unless"):
        return rule["refuse"]
    return None


def _json_value(value: str | None, rule: Mapping[str, Any]) -> Any:
    if rule["kind"] == "bool":
        return value is None or value.lower() not in _FALSE
    if rule.get("type") == "int":
        return int(value) if value is not None and value.lstrip("-").isdigit() else value
    if rule.get("type") == "list":
        return [v for v in re.split(r"[,\s]+", value or "") if v]
    return value


def _translate_one(name: str, value: str | None, rule: Mapping[str, Any], tr: Translation,
                   merged: dict[str, dict[str, Any]]) -> None:
    to, env, note = rule.get("to"), rule.get("env"), rule.get("note", "")
    refused = _refusal(name, value, rule)
    if refused:
        raise UsageError(f"--{name}{'' if value is None else ' ' + value} was removed from transformers 5: {refused}")
    removed = f"--{name} was removed from transformers 5"
    if to and "json" in rule:
        merged.setdefault(to, {})[rule["json"]] = _json_value(value, rule)
        tr.notes.append(f"{removed}: using --{to} with {json.dumps({rule['json']: _json_value(value, rule)})}")
    elif to and rule["kind"] == "bool" and "value" in rule:
        if value is not None and value.lower() in _FALSE:
            tr.notes.append(f"{removed}: ignored (it was false)")
            return
        tr.argv.extend([f"--{to}", rule["value"]])
        tr.notes.append(f"{removed}: using --{to} {rule['value']} instead")
    elif to and "bool_note" in rule and value is not None and value.lower() in ("true", "false", "yes", "no"):
        tr.notes.append(f"{removed}: {rule['bool_note']}")
    elif to:
        tr.argv.append(f"--{to}")
        if value is not None:
            tr.argv.append(value)
        shown = "" if value is None or "token" in name else f" {value}"
        tr.notes.append(f"--{name}{shown} was removed from transformers 5: using --{to}{shown} instead"
                        + (f" ({note})" if note else ""))
    elif env:
        if value is not None:
            tr.env[env] = value
        tr.notes.append(f"{removed}: set {env}={value} instead")
    else:
        tr.notes.append(f"{removed}: {note or 'ignored'}")


def _emit_merged(tr: Translation, merged: dict[str, dict[str, Any]]) -> None:
    """One `--to JSON` per successor that took keys (refused when the command gives --to itself)."""
    for to, values in merged.items():
        if any(tok == f"--{to}" or tok.startswith(f"--{to}=") for tok in tr.argv):
            raise UsageError(f"--{to} is given together with removed flags that set its keys "
                             f"({', '.join(values)}): put those keys into --{to}")
        tr.argv.extend([f"--{to}", json.dumps(values)])


def translate_legacy(argv: Sequence[str]) -> Translation:
    """Rewrite flags that transformers 5 removed into their replacements."""
    legacy = load_legacy()
    tr, merged = Translation([], [], {}), {}
    org, i = None, 0
    argv = list(argv)
    while i < len(argv):
        tok = argv[i]
        name, eq, inline = tok.partition("=")
        key = name[2:].replace("-", "_") if name.startswith("--") else None
        if key not in legacy:
            tr.argv.append(tok)
            i += 1
            continue
        value, i = _legacy_value(argv, i, inline if eq else None, legacy[key]["kind"])
        if key == "push_to_hub_organization":
            org = value
            continue
        _translate_one(key, value, legacy[key], tr, merged)
    _emit_merged(tr, merged)
    if org:
        _apply_organization(tr, org)
    return tr


def _apply_organization(tr: Translation, org: str) -> None:
    """`--push_to_hub_organization ORG`: the repo becomes ORG/<hub_model_id or output_dir name>."""
    given = _last_value(tr.argv, "--hub_model_id")
    name = given or Path(_last_value(tr.argv, "--output_dir") or "summtrain-output").name
    if "/" not in name:
        name = f"{org}/{name}"
    tr.argv.extend(["--hub_model_id", name])
    tr.notes.append(f"--push_to_hub_organization {org} was removed from transformers 5: using --hub_model_id {name}")


def _last_value(argv: Sequence[str], flag: str) -> str | None:
    found = None
    for i, tok in enumerate(argv):
        if tok == flag and i + 1 < len(argv):
            found = argv[i + 1]
        elif tok.startswith(flag + "="):
            found = tok.split("=", 1)[1]
    return found
