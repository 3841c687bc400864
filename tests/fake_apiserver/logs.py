"""Container log buffers (current and previous per container) and the log stream of GET pods/log."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone


class CutStream(Exception):
    """Raised inside a stream to drop the connection abruptly (no terminating chunk)."""


def rfc3339nano(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


def parse_time(text: str) -> datetime:
    text = text.replace("Z", "+00:00")
    if "." in text:  # Python wants at most 6 fractional digits
        head, rest = text.split(".", 1)
        digits = len(rest) - len(rest.lstrip("0123456789"))
        text = f"{head}.{rest[:min(digits, 6)]}{rest[digits:]}"
    return datetime.fromisoformat(text)


@dataclass
class ContainerLog:
    lines: list = field(default_factory=list)  # (datetime, text)
    closed: bool = False
    cond: threading.Condition = field(default_factory=threading.Condition)

    def write(self, text: str, ts: datetime | None = None) -> None:
        with self.cond:
            for part in text.rstrip("\n").split("\n"):
                self.lines.append((ts or datetime.now(timezone.utc), part))
            self.cond.notify_all()

    def close(self) -> None:
        with self.cond:
            self.closed = True
            self.cond.notify_all()


class LogStore:
    """Logs keyed by (pod uid, container): restarts keep the previous container's log."""

    def __init__(self):
        self._lock = threading.Lock()
        self._current: dict[tuple, ContainerLog] = {}
        self._previous: dict[tuple, ContainerLog] = {}

    def current(self, uid: str, container: str) -> ContainerLog:
        with self._lock:
            return self._current.setdefault((uid, container), ContainerLog())

    def previous(self, uid: str, container: str) -> ContainerLog | None:
        with self._lock:
            return self._previous.get((uid, container))

    def restart(self, uid: str, container: str) -> ContainerLog:
        """The container restarts: its log becomes `previous`, a new one begins."""
        with self._lock:
            old = self._current.pop((uid, container), None)
            if old:
                old.close()
                self._previous[(uid, container)] = old
            return self._current.setdefault((uid, container), ContainerLog())

    def close_pod(self, uid: str) -> None:
        with self._lock:
            logs = [log for key, log in self._current.items() if key[0] == uid]
        for log in logs:
            log.close()

    def text(self, uid: str, container: str) -> str:
        return "".join(t + "\n" for _, t in self.current(uid, container).lines)


def _encode(batch: list, timestamps: bool) -> bytes:
    if timestamps:
        return "".join(f"{rfc3339nano(ts)} {text}\n" for ts, text in batch).encode()
    return "".join(f"{text}\n" for _, text in batch).encode()


def stream(log: ContainerLog, follow: bool, since: datetime | None = None, tail: int | None = None,
           timestamps: bool = False, cut_after: int | None = None, cut_mode: str = "eof",
           alive=lambda: True):
    """Yield encoded log lines; with follow, keep yielding until the container's log closes."""
    with log.cond:
        start = 0
        if since is not None:
            while start < len(log.lines) and log.lines[start][0] < since:
                start += 1
        if tail is not None:
            start = max(start, len(log.lines) - tail)
    sent = 0
    while True:
        with log.cond:
            if start >= len(log.lines) and follow and not log.closed and alive():
                log.cond.wait(0.5)
            batch, closed = log.lines[start:], log.closed
        start += len(batch)
        if cut_after is not None and sent + len(batch) >= cut_after:
            yield _encode(batch[:cut_after - sent], timestamps)
            if cut_mode == "reset":
                raise CutStream()
            return
        sent += len(batch)
        if batch:
            yield _encode(batch, timestamps)  # one chunk per batch keeps 64 fast followers cheap
        if not follow or closed or not alive():
            return


def since_from(query: dict) -> datetime | None:
    if query.get("sinceSeconds"):
        return datetime.now(timezone.utc) - timedelta(seconds=int(query["sinceSeconds"]))
    if query.get("sinceTime"):
        return parse_time(query["sinceTime"])
    return None
