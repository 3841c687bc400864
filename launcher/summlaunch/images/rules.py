"""Pins and the compatibility rules of images/versions.toml.

Pure functions over data: parse `name==version` pins, compare versions against
simple PEP 440 ranges (`>=2.4,<2.5`), and check a resolved pin set against the
rules. No third-party imports, so the CLI and `image_ref` stay fast.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from summlaunch.assets import asset_dir
from summlaunch.errors import SummlaunchError

_PIN_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(\[[A-Za-z0-9._,\s-]+\])?\s*==\s*([0-9][0-9A-Za-z.+!-]*)\s*$")
_SPEC_RE = re.compile(r"^\s*(>=|<=|==|!=|>|<)?\s*([0-9][0-9.]*)\s*$")


class PinError(SummlaunchError):
    """A pin that cannot be parsed, or a pin set that the rules reject."""


@dataclass(frozen=True, order=True)
class Pin:
    """One `name[extras]==version` requirement; `key` is the normalized name."""

    key: str
    name: str
    version: str
    extras: str = ""

    def __str__(self) -> str:
        return f"{self.name}{self.extras}=={self.version}"


@dataclass(frozen=True)
class Conflict:
    """Two pins that a rule says cannot go together."""

    rule: str
    first: str
    second: str
    reason: str


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def parse_pin(text: str) -> Pin:
    m = _PIN_RE.match(text)
    if not m:
        raise PinError(f"--pin {text!r}: expected NAME==VERSION, e.g. --pin transformers==4.44.2")
    name, extras, version = m.group(1), (m.group(2) or "").replace(" ", ""), m.group(3)
    return Pin(normalize(name), name, version, extras)


def release(version: str) -> tuple[int, ...]:
    """The numeric release part of a version: '2.13.0+cpu' -> (2, 13, 0)."""
    m = re.match(r"\d+(?:\.\d+)*", version)
    return tuple(int(p) for p in m.group(0).split(".")) if m else ()


def _cmp(a: tuple[int, ...], b: tuple[int, ...]) -> int:
    width = max(len(a), len(b))
    a, b = a + (0,) * (width - len(a)), b + (0,) * (width - len(b))
    return (a > b) - (a < b)


def in_range(version: str, spec: str) -> bool:
    """True if `version` satisfies every clause of `spec` (e.g. '>=2.4,<2.5'); '' matches all."""
    ops = {">=": lambda c: c >= 0, "<=": lambda c: c <= 0, ">": lambda c: c > 0,
           "<": lambda c: c < 0, "==": lambda c: c == 0, "!=": lambda c: c != 0}
    for clause in filter(None, (c.strip() for c in spec.split(","))):
        m = _SPEC_RE.match(clause)
        if not m:
            raise ValueError(f"bad version range {spec!r} in versions.toml")
        op = m.group(1) or "=="
        ver = release(m.group(2))
        cand = release(version)[: len(ver)] if op in ("==", "!=") else release(version)
        if not ops[op](_cmp(cand, ver)):
            return False
    return True


def minor(version: str) -> tuple[int, ...]:
    return release(version)[:2]


@lru_cache(maxsize=None)
def load_versions() -> dict[str, Any]:
    """The parsed images/versions.toml."""
    with open(asset_dir("images") / "versions.toml", "rb") as f:
        return tomllib.load(f)


def _requirement(text: str) -> tuple[str, str]:
    """'transformers>=5' -> ('transformers', '>=5'); 'tf-keras' -> ('tf-keras', '')."""
    m = re.match(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(.*)$", text)
    return normalize(m.group(1)), m.group(2).strip()


def _check_forbids(rule: dict, pins: dict[str, Pin]) -> list[Conflict]:
    key, spec = _requirement(rule["if"])
    pin = pins.get(key)
    if pin is None or not in_range(pin.version, spec):
        return []
    return [Conflict(rule["id"], str(pin), str(pins[normalize(f)]), rule["message"])
            for f in rule["forbid"] if normalize(f) in pins]


def _check_same_minor(rule: dict, pins: dict[str, Pin]) -> list[Conflict]:
    pin, needs = pins.get(normalize(rule["package"])), normalize(rule["needs"])
    if pin is None:
        return []
    other = pins.get(needs)
    if other is None:
        return [Conflict(rule["id"], str(pin), f"{rule['needs']} (missing)", rule["message"])]
    if minor(other.version) != minor(pin.version):
        return [Conflict(rule["id"], str(pin), str(other), rule["message"])]
    return []


def _check_python(pins: dict[str, Pin], python: str) -> list[Conflict]:
    found = []
    for row in load_versions().get("python_support", []):
        pin = pins.get(normalize(row["package"]))
        if pin and in_range(pin.version, row["versions"]) and not in_range(python, row["python"]):
            found.append(Conflict(f"python-{pin.key}", str(pin), f"python=={python}",
                                  f"{pin.name} {pin.version} supports python {row['python']}"))
    return found


def torch_cuda_build(torch_version: str) -> str | None:
    """The CUDA version torch's default Linux wheels are built for, if known."""
    for row in load_versions().get("torch_cuda", []):
        if in_range(torch_version, row["torch"]):
            return row["cuda"]
    return None


def _check_cuda(pins: dict[str, Pin], cuda: str | None) -> list[Conflict]:
    torch = pins.get("torch")
    build = torch_cuda_build(torch.version) if torch and cuda else None
    if build is None:
        return []
    base, built = release(cuda), release(build)
    if base[:1] != built[:1] or _cmp(base, built) < 0:
        return [Conflict("cuda-base-vs-torch", str(torch), f"base CUDA {cuda}",
                         f"torch {torch.version} wheels are built for CUDA {build}; the base image "
                         f"needs CUDA {built[0]}.x at least as new")]
    return []


def check(pins: dict[str, Pin], python: str, cuda: str | None = None) -> list[Conflict]:
    """Every rule the pin set breaks (empty when it is fine)."""
    kinds = {"forbids": _check_forbids, "same_minor": _check_same_minor}
    found: list[Conflict] = []
    for rule in load_versions().get("rules", []):
        found += kinds[rule["kind"]](rule, pins)
    return found + _check_python(pins, python) + _check_cuda(pins, cuda)


def suggest(conflict: Conflict, pins: dict[str, Pin], user: set[str], python: str,
            cuda: str | None, defaults: dict[str, Pin]) -> dict[str, Pin] | None:
    """A pin set close to `pins` that passes every rule, or None."""
    rules = {r["id"]: r for r in load_versions().get("rules", [])}
    rule = rules.get(conflict.rule)
    trial = dict(pins)
    if rule and rule["kind"] == "forbids":
        if rule.get("fix"):  # replace the package that forbids the others
            fix = parse_pin(rule["fix"])
            trial[fix.key] = fix
        else:  # drop the forbidden packages
            trial = {k: v for k, v in trial.items() if k not in {normalize(f) for f in rule["forbid"]}}
    elif rule and rule["kind"] == "same_minor":
        pkg, needs = normalize(rule["package"]), normalize(rule["needs"])
        keep, change = (needs, pkg) if needs in user and pkg not in user else (pkg, needs)
        display = rule["package"] if change == pkg else rule["needs"]
        base = trial.get(change) or defaults.get(change) or Pin(change, display, "0")
        ver = ".".join(str(p) for p in minor(trial[keep].version)) + ".0"
        trial[change] = Pin(base.key, base.name, ver, base.extras)
    else:
        trial = {k: v for k, v in pins.items() if k in user or k not in defaults} | {
            k: v for k, v in defaults.items() if k not in user}
    if not check(trial, python, cuda):
        return trial
    fallback = dict(defaults)
    return fallback if not check(fallback, python, cuda) else None


def check_declared(stack: str, pins: dict[str, Pin], user: set[str]) -> None:
    """Refuse a user pin outside the range the training package declares for the stack
    (`summtrain.requirements`, the extras of pyproject.toml), naming the range."""
    from summtrain.requirements import declared_ranges

    ranges = declared_ranges(stack)
    for key in sorted(user):
        spec = ranges.get(key)
        if spec and not in_range(pins[key].version, spec):
            raise PinError(f"--pin {pins[key]}: the training package summtrain needs {pins[key].name}{spec} "
                           f"on the {stack} stack; pin a version in that range")
