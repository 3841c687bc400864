"""YAML without PyYAML for render's hot path: a block-style writer, and a reader of the templates' dialect.

`dump` writes JSON-like data (dict, list, tuple, str, int, float, bool, None) the way
`yaml.dump(default_flow_style=False, sort_keys=False)` lays it out: two-space mappings,
sequences under a key not indented, `{}`/`[]` for empty ones. A string is written plain only
when no YAML 1.1 or 1.2 reader could take it for anything but that string; else single-quoted,
as a literal block (`|`, `|-`, `|+`) when it has line breaks, or double-quoted with escapes.

`load_all` reads only what manifests/*.j2 produce: block mappings and sequences whose values
are JSON (every template value goes through `tojson`) or simple plain words written in the
templates. On anything else it raises `Unsupported` and the caller uses PyYAML; whenever it
returns, the result is what `yaml.safe_load_all` gives for the same text (tests/render/
test_yaml_text.py checks both directions).
"""

from __future__ import annotations

import json
import re

# ---- writing ------------------------------------------------------------------------------

# Plain scalars that a YAML 1.1 (PyYAML) or 1.2 (kubectl) reader would take as numbers,
# booleans, null, timestamps, merge or value keys: such strings are always quoted.
NOT_A_STRING = re.compile(
    r"^(?:[-+]?(?:[0-9][0-9_]*)?\.?[0-9][0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*\.(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|[-+]?0x[0-9a-fA-F_]+|[-+]?0o[0-7_]+|[-+]?0b[01_]+"
    r"|[-+]?[0-9][0-9_:]*(?:\.[0-9_]*)?|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt ].*)?|<<|="
    r"|y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|)$")
_PLAIN_START = re.compile(r"[^-?:,\[\]{}#&*!|>'\"%@` ]|[-?:][^ ]")  # on printable ASCII
_UNSAFE_IN_PLAIN = re.compile(r": |\s#|:$|\s$|^---|^\.\.\.")
# What may not stand in a single-quoted or literal scalar: YAML's non-printable characters,
# line breaks other than \n (U+0085, U+2028, U+2029) and the byte order mark.
_NOT_PRINTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]")
_ESCAPES = {"\n": "\\n", "\t": "\\t", '"': '\\"', "\\": "\\\\"}


def _quoted(text: str) -> str:
    out = []
    for ch in text:
        code = ord(ch)
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif not _NOT_PRINTABLE.match(ch):
            out.append(ch)
        else:
            out.append(f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def _string(text: str, indent: int) -> str:
    if (text.isascii() and text.isprintable() and _PLAIN_START.match(text)
            and not _UNSAFE_IN_PLAIN.search(text) and not NOT_A_STRING.match(text)):
        return text
    if _NOT_PRINTABLE.search(text):
        return _quoted(text)
    if "\n" not in text:
        return "'" + text.replace("'", "''") + "'"
    lines = text.split("\n")
    if text[0] in " \t\n" or any(line != line.rstrip(" \t") for line in lines):
        return _quoted(text)  # a literal block cannot hold these
    body = text[:-1] if text.endswith("\n") else text
    chomp = "-" if not text.endswith("\n") else "+" if text.endswith("\n\n") else ""
    pad = " " * indent
    return f"|{chomp}\n" + "\n".join(pad + line if line else "" for line in body.split("\n"))


def _scalar(value, indent: int) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value:
            return ".nan"
        if value in (float("inf"), float("-inf")):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        if "e" in text and "." not in text:
            mantissa, exponent = text.split("e")
            text = f"{mantissa}.0e{exponent}"
        return text
    if isinstance(value, str):
        return _string(value, indent)
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, (list, tuple)):
        return "[]"
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _key(key) -> str:
    if not isinstance(key, str):
        raise TypeError(f"mapping keys must be strings, not {type(key).__name__}")
    return _string(key, 0) if "\n" not in key else _quoted(key)


def _node(value, indent: int, out: list[str]) -> None:
    """`value` as a block node at `indent`, starting at the beginning of a line."""
    pad = " " * indent
    if isinstance(value, dict) and value:
        for key, item in value.items():
            out.append(f"{pad}{_key(key)}:")
            if isinstance(item, dict) and item:
                out.append("\n")
                _node(item, indent + 2, out)
            elif isinstance(item, (list, tuple)) and item:
                out.append("\n")
                _node(item, indent, out)  # a sequence under a key is not indented
            else:
                out.append(f" {_scalar(item, indent + 2)}\n")
    elif isinstance(value, (list, tuple)) and value:
        for item in value:
            if isinstance(item, (dict, list, tuple)) and item:
                inner: list[str] = []
                _node(item, indent + 2, inner)
                out.append(f"{pad}- {''.join(inner)[indent + 2:]}")
            else:
                out.append(f"{pad}- {_scalar(item, indent + 2)}\n")
    else:
        out.append(f"{pad}{_scalar(value, indent + 2)}\n")


def dump(obj) -> str:
    """One YAML document (without the `---` line)."""
    out: list[str] = []
    _node(obj, 0, out)
    return "".join(out)


def dump_all(objects) -> str:
    """Every object as a document, each after a `---` line."""
    return "---\n" + "---\n".join(dump(obj) for obj in objects)


# ---- reading ------------------------------------------------------------------------------

class Unsupported(ValueError):
    """The text uses YAML beyond the templates' dialect: read it with PyYAML instead."""


_OUTSIDE_DIALECT = re.compile(r"[^\n\x20-\x7e]")  # templates and tojson write printable ASCII only
_PLAIN_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_./-]*):(?: |$)")
_BOOLS = {s: b for b, words in ((True, "yes true on"), (False, "no false off"))
          for w in words.split() for s in (w, w.capitalize(), w.upper())}
_INT = re.compile(r"[-+]?(?:0|[1-9][0-9_]*)")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89abAB]")  # PyYAML reads such pairs as two code points
_DECODER = json.JSONDecoder(parse_float=lambda s: _no_exponent(s), parse_constant=lambda s: _unsupported(s),
                            object_pairs_hook=lambda pairs: _unique(pairs))


def _unsupported(what: str):
    raise Unsupported(what)


def _no_exponent(text: str) -> float:
    if "e" in text or "E" in text:  # YAML 1.1 reads 1e5 as a string
        raise Unsupported(text)
    return float(text)


def _unique(pairs: list) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise Unsupported("a duplicate key")
    return out


def _value(text: str):
    """A scalar or JSON value written on one line."""
    text = text.rstrip(" ")
    if text[:1] in ('"', "[", "{"):
        if _SURROGATE_ESCAPE.search(text):
            raise Unsupported(text)
        try:
            value, end = _DECODER.raw_decode(text)
        except ValueError as e:
            raise Unsupported(text) from e
        if end != len(text):
            raise Unsupported(text)
        return value
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if text in _BOOLS:
        return _BOOLS[text]
    if _INT.fullmatch(text):
        return int(text.replace("_", ""))
    if text[0] in "-+.0123456789<=&*!|>'%@`#?:," or ": " in text or " #" in text or text.endswith(":"):
        raise Unsupported(text)
    return text


class _Reader:
    def __init__(self, lines: list[tuple[int, str]]):
        self.lines = lines
        self.i = 0

    def peek(self) -> tuple[int, str] | None:
        return self.lines[self.i] if self.i < len(self.lines) else None

    def node(self, indent: int):
        line = self.peek()
        content = line[1]
        if content == "-" or content.startswith("- "):
            return self.sequence(indent)
        if self.key(content) is not None:
            return self.mapping(indent)
        self.i += 1
        return _value(content)

    def key(self, content: str):
        """(key, rest of the line) of a mapping line, or None."""
        if content.startswith('"'):
            try:
                key, end = _DECODER.raw_decode(content)
            except ValueError:
                return None
            if not isinstance(key, str) or _SURROGATE_ESCAPE.search(content[:end]):
                return None
            if content[end:end + 2] == ": " or content[end:] == ":":
                return key, content[end + 1:]
            return None
        match = _PLAIN_KEY.match(content)
        if match is None:
            return None
        if not isinstance(_value(match.group(1)), str):
            raise Unsupported(f"the key {match.group(1)!r}")
        return match.group(1), content[match.end():]

    def mapping(self, indent: int) -> dict:
        out: dict = {}
        while (line := self.peek()) is not None and line[0] == indent:
            split = self.key(line[1])
            if split is None:
                raise Unsupported(line[1])
            key, rest = split
            if key in out:
                raise Unsupported(f"the duplicate key {key!r}")
            self.i += 1
            nxt = self.peek()
            if rest.strip(" "):
                out[key] = _value(rest.lstrip(" "))
            elif nxt is not None and nxt[0] > indent:
                out[key] = self.node(nxt[0])
            elif nxt is not None and nxt[0] == indent and (nxt[1] == "-" or nxt[1].startswith("- ")):
                out[key] = self.sequence(indent)
            else:
                out[key] = None
        return out

    def sequence(self, indent: int) -> list:
        out: list = []
        while (line := self.peek()) is not None and line[0] == indent and (line[1] == "-" or line[1].startswith("- ")):
            rest = line[1][2:]
            if not rest.strip(" "):
                self.i += 1
                nxt = self.peek()
                out.append(self.node(nxt[0]) if nxt is not None and nxt[0] > indent else None)
                continue
            column = indent + 2 + len(rest) - len(rest.lstrip(" "))
            self.lines[self.i] = (column, rest.lstrip(" "))  # the item starts on the dash line
            out.append(self.node(column))
        return out

    def document(self):
        if not self.lines:
            return None
        value = self.node(self.lines[0][0])
        if self.i != len(self.lines):
            raise Unsupported(self.lines[self.i][1])
        return value


def load_all(text: str) -> list:
    """Every non-empty document of `text`, read as PyYAML's safe loader reads it."""
    if _OUTSIDE_DIALECT.search(text):
        raise Unsupported("characters outside printable ASCII")
    documents: list[list[tuple[int, str]]] = [[]]
    for raw in text.split("\n"):
        if raw.rstrip(" ") == "---":
            documents.append([])
            continue
        content = raw.lstrip(" ")
        if not content.strip(" "):
            continue
        if content.startswith(("#", "---", "...", "%")):
            raise Unsupported(raw)
        documents[-1].append((len(raw) - len(content), content.rstrip(" ")))
    loaded = (_Reader(lines).document() for lines in documents)
    return [doc for doc in loaded if doc is not None]
