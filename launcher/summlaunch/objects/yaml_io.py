"""YAML in and out with PyYAML (libyaml's C loader and dumper when PyYAML has them).

One addition to PyYAML's safe dumper: a string that a YAML 1.1 reader (PyYAML) or a
YAML 1.2 reader (kubectl, Helm, Go's yaml) could take for a number, a boolean, null, a
timestamp or a merge key is always quoted. PyYAML alone quotes only what YAML 1.1 would
misread, so `3e-4`, `1e5`, `0o17` or `y` would otherwise be written plain. Strings with line
breaks are written as literal blocks where YAML allows one.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_BASE_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

# Plain scalars that a YAML 1.1 or 1.2 reader would take as numbers, booleans, null,
# timestamps, merge or value keys.
NOT_A_STRING = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)?\.?[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*\.(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?0x[0-9a-fA-F_]+|[-+]?0o[0-7_]+|[-+]?0b[01_]+"
    r"|[-+]?[0-9][0-9_:]*(?:\.[0-9_]*)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?|<<|="
    r"|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|)$")


class _Dumper(_BASE_DUMPER):  # type: ignore[misc, valid-type]
    """PyYAML's safe dumper, quoting the strings YAML 1.2 would misread."""


def _represent_str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    style = None
    if NOT_A_STRING.match(text):
        style = "'"
    elif "\n" in text:
        style = "|"
    return dumper.represent_scalar("tag:yaml.org,2002:str", text, style=style)


_Dumper.add_representer(str, _represent_str)


def load_all(text: str) -> list[Any]:
    """Every non-empty document of `text`."""
    return [doc for doc in yaml.load_all(text, Loader=_LOADER) if doc is not None]


def load(text: str) -> Any:
    return yaml.load(text, Loader=_LOADER)


def dump(obj: Any) -> str:
    """One YAML document (without the `---` line), keys in their order, block style."""
    return yaml.dump(obj, Dumper=_Dumper, sort_keys=False, default_flow_style=False, allow_unicode=True,
                     width=1 << 16)


def dump_all(objects: list[Any]) -> str:
    """Every object as a document, each after a `---` line."""
    return "---\n" + "---\n".join(dump(obj) for obj in objects)
