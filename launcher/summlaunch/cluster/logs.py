"""Pure log-multiplexing logic: timestamps, de-duplication across reconnects, replica names,
prefixes and colours, and the reasons a pod is not running yet. No I/O here.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime, timezone
from typing import Any

from summlaunch import labels as L

# Waiting reasons worth telling the user about while a job is pending.
PULL_FAILURES = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull", "RegistryUnavailable")
WAIT_REASONS = PULL_FAILURES + ("CrashLoopBackOff", "CreateContainerConfigError", "CreateContainerError",
                                "RunContainerError")
# Normal-typed events that still explain a wait (Kueue, preemption); every Warning event is shown too.
NORMAL_EVENT_REASONS = ("Pending", "Preempted", "Evicted", "Suspended", "Killing")
COLOURS = ("36", "33", "32", "35", "34", "31", "96", "93", "92", "95", "94", "91")

_TS_RE = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$")


def timestamp_key(ts: str) -> str:
    """A sortable form of an RFC3339(Nano) timestamp: UTC, nine fraction digits."""
    if len(ts) > 20 and ts[-1] == "Z" and ts[19] == "." and ts[10] == "T" and ts[20:-1].isdigit() and len(ts) <= 30:
        return ts[:20] + ts[20:-1].ljust(9, "0")  # fast path: what the kubelet sends
    m = _TS_RE.match(ts)
    if not m:
        raise ValueError(f"not an RFC3339 timestamp: {ts!r}")
    base, frac, zone = m.group(1), (m.group(2) or "").ljust(9, "0"), m.group(3)
    if zone != "Z" and zone not in ("+00:00", "-00:00"):
        dt = datetime.fromisoformat(base + zone).astimezone(timezone.utc)
        base = dt.strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{frac}"


def split_timestamp(raw: bytes | str) -> tuple[str | None, str]:
    """("<sortable ts>", text) from a `timestamps=true` log line; (None, line) if it has none."""
    line = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    line = line.rstrip("\r")
    head, sep, text = line.partition(" ")
    try:
        return timestamp_key(head), text if sep else ""
    except ValueError:
        return None, line


def since_time_param(key: str) -> str:
    """The `sinceTime` query value (whole seconds, RFC3339) covering a sortable timestamp key."""
    return key[:19] + "Z"


def to_key(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "000"


class Deduper:
    """Drops lines already seen when one container's log is re-read from `since_time()`.

    The server resends every line from the start of the second named by sinceTime; we
    remember the (timestamp, text) pairs of that second (as a multiset, so two identical
    lines in the same nanosecond both survive) and spend them while the replay comes back.
    """

    def __init__(self) -> None:
        self.last: str | None = None  # newest accepted timestamp key
        self._window: Counter[tuple[str, str]] = Counter()
        self._replay: Counter[tuple[str, str]] = Counter()

    @property
    def has_history(self) -> bool:
        return self.last is not None

    def since_time(self) -> str | None:
        return since_time_param(self.last) if self.last else None

    def reconnect(self) -> None:
        """Call before re-reading from since_time(): the current window will be replayed."""
        self._replay = Counter(self._window)

    def accept(self, ts: str | None, text: str) -> bool:
        if ts is None:  # no timestamp: cannot dedupe; keep it
            return True
        if self.last is not None and ts[:19] < self.last[:19]:
            return False  # older than the replay window: seen before
        key = (ts, text)
        if self._replay[key] > 0:
            self._replay[key] -= 1
            return False
        if self.last is None or ts[:19] > self.last[:19]:
            self._window = Counter()
        if self.last is None or ts > self.last:
            self.last = ts
        self._window[key] += 1
        return True


def replica_name(pod: dict[str, Any]) -> str:
    """`master-0`, `worker-3` (Kubeflow), `slice-0-2` (JobSet), `node-0` (Job): the first kind in the
    registry that knows the pod names it; else the replica-type label and the pod's ordinal, else its name."""
    from summlaunch.objects import kinds

    labels = pod.get("metadata", {}).get("labels", {}) or {}
    annotations = pod.get("metadata", {}).get("annotations", {}) or {}
    index = L.BATCH_COMPLETION_INDEX
    if index not in labels and index in annotations:
        labels = {**labels, index: annotations[index]}
    name = pod.get("metadata", {}).get("name", "?")
    for cls in kinds.classes():
        named = cls.replica_name(labels, name)
        if named is not None:
            return named
    rtype = labels.get(L.REPLICA_TYPE)
    if rtype:
        match = re.search(rf"{re.escape(rtype)}-(\d+)", name, re.IGNORECASE)
        return f"{rtype.lower()}-{match.group(1) if match else name}"
    return name


def replica_matches(replica: str, wanted: str) -> bool:
    """`--replica all`, a type (`worker`: every worker) or one replica (`worker-2`)."""
    wanted = wanted.lower()
    return wanted == "all" or replica == wanted or replica.rsplit("-", 1)[0] == wanted \
        or replica.split("-", 1)[0] == wanted


class Prefixer:
    """`[worker-1] text`, padded to the widest replica name seen, coloured on request."""

    def __init__(self, colour: bool) -> None:
        self.colour = colour
        self._codes: dict[str, str] = {}
        self.width = 0

    def __call__(self, replica: str, text: str) -> str:
        if replica not in self._codes:
            self._codes[replica] = COLOURS[len(self._codes) % len(COLOURS)]
        self.width = max(self.width, len(replica))
        tag = f"[{replica}]".ljust(self.width + 2)
        if self.colour:
            tag = f"\x1b[{self._codes[replica]}m{tag}\x1b[0m"
        return f"{tag} {text}"


def container_statuses(pod: dict[str, Any]) -> list[dict[str, Any]]:
    status = pod.get("status", {}) or {}
    return list(status.get("initContainerStatuses") or []) + list(status.get("containerStatuses") or [])


def pod_reasons(pod: dict[str, Any]) -> list[tuple[str, str]]:
    """(reason, message) pairs that explain why a pod is not (yet) running."""
    found = []
    status = pod.get("status", {}) or {}
    for cond in status.get("conditions") or []:
        if cond.get("type") == "PodScheduled" and cond.get("status") == "False":
            found.append((cond.get("reason") or "Unschedulable", cond.get("message") or ""))
    for cs in container_statuses(pod):
        waiting = (cs.get("state") or {}).get("waiting") or {}
        if waiting.get("reason") in WAIT_REASONS:
            message = waiting.get("message") or ""
            if waiting["reason"] in PULL_FAILURES and cs.get("image") and cs["image"] not in message:
                message = f"image {cs['image']}: {message}".rstrip(": ")
            found.append((waiting["reason"], message))
    return found


def pull_failure(pod: dict[str, Any]) -> tuple[str, str] | None:
    for reason, message in pod_reasons(pod):
        if reason in PULL_FAILURES:
            return reason, message
    return None


def log_ready(pod: dict[str, Any], container: str) -> bool:
    """True once the container has started at least once (its log can be read)."""
    for cs in container_statuses(pod):
        if cs.get("name") == container:
            state = cs.get("state") or {}
            return bool(state.get("running") or state.get("terminated") or cs.get("restartCount"))
    return (pod.get("status", {}) or {}).get("phase") in ("Running", "Succeeded", "Failed")


def container_done(pod: dict[str, Any], container: str) -> bool:
    """True when the container has terminated and will not run again in this pod."""
    phase = (pod.get("status", {}) or {}).get("phase")
    if phase in ("Succeeded", "Failed"):
        return True
    for cs in container_statuses(pod):
        if cs.get("name") == container:
            terminated = (cs.get("state") or {}).get("terminated")
            policy = (pod.get("spec", {}) or {}).get("restartPolicy", "Always")
            if terminated and (policy == "Never" or (policy == "OnFailure" and terminated.get("exitCode") == 0)):
                return True
    return False


def restart_count(pod: dict[str, Any], container: str) -> int:
    for cs in container_statuses(pod):
        if cs.get("name") == container:
            return int(cs.get("restartCount") or 0)
    return 0


def event_line(event: dict[str, Any]) -> str:
    obj = event.get("involvedObject") or event.get("regarding") or {}
    reason = event.get("reason") or ""
    message = " ".join((event.get("message") or event.get("note") or "").split())
    return f"{obj.get('kind', '?')}/{obj.get('name', '?')}: {reason}: {message}"


def event_is_relevant(event: dict[str, Any], names: set[str], prefixes: tuple[str, ...]) -> bool:
    obj = event.get("involvedObject") or event.get("regarding") or {}
    name = obj.get("name") or ""
    if name not in names and not name.startswith(prefixes):
        return False
    return event.get("type") == "Warning" or event.get("reason") in NORMAL_EVENT_REASONS


def event_key(event: dict[str, Any]) -> tuple[str, str, str]:
    meta = event.get("metadata", {}) or {}
    return (meta.get("uid") or meta.get("name") or "", str(event.get("count") or ""),
            str(event.get("lastTimestamp") or event.get("eventTime") or ""))


def parse_duration(text: str) -> int:
    """`90`, `30s`, `5m`, `2h`, `1h30m` -> seconds (for --since)."""
    m = re.fullmatch(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s?)?", text.strip())
    if not text.strip() or not m or not any(m.groups()):
        raise ValueError(f"{text!r} is not a duration like 30s, 5m, 2h or 1h30m")
    h, mnt, s = (int(g or 0) for g in m.groups())
    return h * 3600 + mnt * 60 + s
