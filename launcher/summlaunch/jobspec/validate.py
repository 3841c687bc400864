"""Field checks for JobSpec input: each returns the clean value or raises a one-line SummlaunchError."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from summlaunch.errors import SummlaunchError

_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUB = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
_NAME_PART = re.compile(r"^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$")
_QUANTITY = re.compile(r"^(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$")
_ENV_NAME = re.compile(r"^[-._a-zA-Z][-._a-zA-Z0-9]*$")
_IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@+-]*$")
_LOCATION = re.compile(r"^[a-z]+-[a-z]+[0-9]+(-[a-z])?$")
_SECRET_ENV = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY|PRIVATE_KEY", re.IGNORECASE)
RESERVED_ENV = frozenset({"HF_HOME", "HF_TOKEN", "HUGGING_FACE_HUB_TOKEN", "MASTER_ADDR", "MASTER_PORT",
                          "WORLD_SIZE", "RANK", "TF_CONFIG", "PJRT_DEVICE"})
EFFECTS = ("NoSchedule", "PreferNoSchedule", "NoExecute")


def _flag(field: str) -> str:
    return "--" + field.replace("_", "-")


def _fail(field: str, value: Any, why: str) -> SummlaunchError:
    return SummlaunchError(f"{_flag(field)} {str(value)!r}: {why}")


def choice_error(flag: str, value: Any, allowed: Iterable[str]) -> str:
    import difflib

    allowed = list(allowed)
    close = difflib.get_close_matches(str(value), allowed, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    return f"{flag} {str(value)!r}: not a valid choice; {hint}choose one of {', '.join(allowed)}"


def dns1035(field: str, value: str) -> str:
    value = str(value)
    if len(value) > 40 or not _DNS1035.match(value):
        raise _fail(field, value, "must be a DNS-1035 label of at most 40 characters "
                    "(lowercase letters, digits and '-', starting with a letter), e.g. t5-cnn")
    return value


def dns1123_label(field: str, value: str) -> str:
    if len(value) > 63 or not _DNS1123_LABEL.match(value):
        raise _fail(field, value, "must be a DNS-1123 label (lowercase letters, digits and '-', at most 63)")
    return value


def dns1123_subdomain(field: str, value: str) -> str:
    if len(value) > 253 or not _DNS1123_SUB.match(value):
        raise _fail(field, value, "must be a lowercase DNS-1123 name (letters, digits, '-' and '.')")
    return value


def qualified_name(field: str, key: str) -> str:
    prefix, slash, name = key.rpartition("/")
    if (len(name) > 63 or not _NAME_PART.match(name)
            or (slash and (not prefix or len(prefix) > 253 or not _DNS1123_SUB.match(prefix)))):
        raise _fail(field, key, "not a valid Kubernetes key ([prefix/]name, name of at most 63 "
                    "alphanumerics, '-', '_' or '.')")
    return key


def label_value(field: str, value: str) -> str:
    if len(value) > 63 or not _LABEL_VALUE.match(value):
        raise _fail(field, value, "not a valid label value (at most 63 alphanumerics, '-', '_' or '.')")
    return value


def quantity(field: str, value: str) -> str:
    value = str(value)
    if not _QUANTITY.match(value) or float(re.match(r"[\d.]+", value).group() or 0) <= 0:
        raise _fail(field, value, "not a positive Kubernetes quantity (e.g. 4, 500m, 16Gi)")
    return value


def location(field: str, value: str) -> str:
    if not _LOCATION.match(value):
        raise _fail(field, value, "not a Google Cloud region or zone (e.g. us-west4 or us-west4-a)")
    return value


def image(field: str, value: str) -> str:
    value = str(value)
    if not _IMAGE.match(value):
        raise _fail(field, value, "not an image reference (e.g. ghcr.io/org/summtrain:torch-1)")
    return value


def _int(field: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool):
        raise _fail(field, value, "must be a whole number")
    try:
        number = int(str(value))
    except ValueError:
        raise _fail(field, value, "must be a whole number") from None
    if number < minimum:
        raise _fail(field, value, f"must be at least {minimum}")
    return number


def positive_int(field: str, value: Any) -> int:
    return _int(field, value, 1)


def non_negative_int(field: str, value: Any) -> int:
    return _int(field, value, 0)


def boolean(field: str, value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).lower()
    if text in ("true", "yes", "1", "on"):
        return True
    if text in ("false", "no", "0", "off"):
        return False
    raise _fail(field, value, "must be true or false")


def pairs(field: str, value: Any) -> dict[str, str]:
    """A mapping, or a list of KEY=VALUE strings (what repeated flags give), as a dict."""
    if value is None:
        return {}
    if isinstance(value, dict):
        return {str(k): _scalar(field, k, v) for k, v in value.items()}
    if isinstance(value, str):
        value = [value]
    out: dict[str, str] = {}
    for item in value:
        key, eq, val = str(item).partition("=")
        if not eq or not key:
            raise _fail(field, item, "expected KEY=VALUE")
        out[key] = val
    return out


def _scalar(field: str, key: Any, value: Any) -> str:
    if isinstance(value, (dict, list)) or value is None:
        raise _fail(field, key, "expected a string value")
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def env_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    items = pairs("env", value)
    for key in items:
        if not _ENV_NAME.match(key):
            raise _fail("env", key, "not a valid environment variable name")
        if key in RESERVED_ENV or key.startswith("PET_"):
            raise _fail("env", key, "is set by summlaunch or the operator; use the matching flag "
                        "(--hf-token-secret for the token)")
        if _SECRET_ENV.search(key):
            raise _fail("env", key, "looks like a secret; never put secrets in manifests: store it in a "
                        "Secret (for the HF token use --hf-token-secret NAME)")
    return tuple(sorted(items.items()))


def label_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    from summlaunch.labels import RESERVED

    items = pairs("labels", value)
    for key, val in items.items():
        qualified_name("label", key)
        label_value("label", val)
        if key in RESERVED:
            raise _fail("label", key, "is set by summlaunch (it is how summlaunch finds the job's pods)")
    return tuple(sorted(items.items()))


def annotation_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    items = pairs("annotations", value)
    for key in items:
        qualified_name("annotation", key)
    return tuple(sorted(items.items()))


def selector_pairs(value: Any) -> tuple[tuple[str, str], ...]:
    items = pairs("node_selector", value)
    for key, val in items.items():
        qualified_name("node_selector", key)
        label_value("node_selector", val)
    return tuple(sorted(items.items()))


def tolerations(value: Any):
    """`key[=value][:Effect]` strings (or mappings with key/operator/value/effect) as Tolerations."""
    from summlaunch.jobspec.spec import Toleration

    out = []
    for item in [value] if isinstance(value, (str, dict)) else (value or []):
        if isinstance(item, dict):
            unknown = set(item) - {"key", "operator", "value", "effect"}
            if unknown:
                raise _fail("toleration", sorted(unknown)[0], "unknown toleration field; use key, operator, "
                            "value, effect")
            key, value_, effect = str(item.get("key", "")), item.get("value"), item.get("effect")
        else:
            rest, _, effect = str(item).partition(":")
            key, eq, value_ = rest.partition("=")
            value_ = value_ if eq else None
            effect = effect or None
        qualified_name("toleration", key)
        if value_ is not None:
            label_value("toleration", str(value_))
        if effect is not None and effect not in EFFECTS:
            raise SummlaunchError(choice_error("--toleration effect", effect, EFFECTS))
        operator = "Equal" if value_ is not None else "Exists"
        out.append(Toleration(key, operator, None if value_ is None else str(value_), effect))
    return tuple(out)
