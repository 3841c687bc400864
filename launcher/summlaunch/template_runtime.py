"""What the compiled manifests (summlaunch._manifests) need at run time, without Jinja2.

Each helper reproduces what Jinja2 does for the same template construct with
`StrictUndefined` and `autoescape=False`, so a compiled template writes exactly the text
`jinja2` writes (tests/render/test_compiled_manifests.py renders every case both ways).
A missing value raises `jinja2.UndefinedError`, importing Jinja2 only then.
"""

from __future__ import annotations

import json
from typing import Any

MISSING = object()  # a macro parameter the caller did not pass


def _fail(message: str):
    import jinja2

    raise jinja2.UndefinedError(message)


class Undefined:
    """Jinja2's StrictUndefined: usable only by the `defined` test; anything else raises."""

    __slots__ = ("_message",)

    def __init__(self, message: str):
        self._message = message

    def _raise(self, *args: Any, **kwargs: Any):
        _fail(self._message)

    __str__ = __iter__ = __len__ = __bool__ = __eq__ = __ne__ = __hash__ = __contains__ = _raise
    __add__ = __radd__ = __sub__ = __rsub__ = __mul__ = __rmul__ = __floordiv__ = __rfloordiv__ = _raise
    __truediv__ = __rtruediv__ = __mod__ = __lt__ = __le__ = __gt__ = __ge__ = __call__ = __getitem__ = _raise

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        _fail(self._message)


def undefined_name(name: str) -> Undefined:
    return Undefined(f"'{name}' is undefined")


def undefined_parameter(name: str) -> Undefined:
    return Undefined(f"parameter '{name}' was not provided")


def _missing_member(obj: Any, name: Any) -> Undefined:
    return Undefined(f"{type(obj).__name__!r} object has no attribute {name!r}")


def lookup(context: dict, name: str) -> Any:
    return context[name] if name in context else undefined_name(name)


def getattr_(obj: Any, name: str) -> Any:
    """`obj.name`: the Python attribute, else the item `name` (Jinja2's Environment.getattr)."""
    try:
        return getattr(obj, name)
    except AttributeError:
        pass
    try:
        return obj[name]
    except (TypeError, LookupError, AttributeError):
        return _missing_member(obj, name)


def getitem(obj: Any, key: Any) -> Any:
    """`obj[key]`: the item, else (a string key) the attribute (Jinja2's Environment.getitem)."""
    try:
        return obj[key]
    except (AttributeError, TypeError, LookupError):
        if isinstance(key, str):
            try:
                return getattr(obj, key)
            except AttributeError:
                pass
        return _missing_member(obj, key)


def call(func: Any, *args: Any, **kwargs: Any) -> Any:
    return func(*args, **kwargs)


def defined(value: Any) -> bool:
    return not isinstance(value, Undefined)


def tojson(value: Any) -> str:
    """Jinja2's `tojson`: sorted keys, and <, >, &, ' as \\u escapes."""
    if isinstance(value, Undefined):
        value._raise()
    text = json.dumps(value, sort_keys=True)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").replace("'", "\\u0027")


def indent(text: Any, width: int | str = 4, first: bool = False, blank: bool = False) -> str:
    """Jinja2's `indent`: every line but the first (and blank lines, unless `blank`) indented."""
    indention = width if isinstance(width, str) else " " * width
    text = str(text) + "\n"  # as Jinja2 does, so that splitlines() keeps a trailing empty line
    if blank:
        result = ("\n" + indention).join(text.splitlines())
    else:
        lines = text.splitlines()
        result = lines.pop(0)
        if lines:
            result += "\n" + "\n".join(indention + line if line else line for line in lines)
    return indention + result if first else result


def length(value: Any) -> int:
    return len(value)


class Module:
    """An imported template (`{% import "x" as m %}`): its macros as attributes."""

    def __init__(self, exports: dict[str, Any]):
        self.__dict__.update(exports)


FILTERS = {"tojson": "tojson", "indent": "indent", "length": "length", "count": "length"}
TESTS = {"defined": "defined"}
