"""Request-level faults a test scripts: error codes, slow responses, 403s, cut log streams, dropped watches."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass

REASONS = {400: "BadRequest", 403: "Forbidden", 404: "NotFound", 409: "Conflict", 410: "Expired",
           422: "Invalid", 429: "TooManyRequests", 500: "InternalError", 503: "ServiceUnavailable",
           504: "Timeout"}


@dataclass
class HttpFault:
    method: str | None  # "GET", "POST", ... None: any
    path: str  # regex searched in the request path
    status: int | None = 500  # None: no error, only the delay
    delay: float = 0.0  # seconds before answering (longer than the client's timeout: a timeout)
    times: int | None = 1  # requests it affects; None: every one
    message: str = ""
    query: str | None = None  # regex searched in the raw query string
    hits: int = 0

    def matches(self, method: str, path: str, query: str) -> bool:
        return ((self.method is None or self.method == method) and re.search(self.path, path) is not None
                and (self.query is None or re.search(self.query, query) is not None)
                and (self.times is None or self.hits < self.times))


@dataclass
class StreamFault:
    target: str  # pod name (logs) or resource plural (watches)
    after: int  # lines / events delivered before the cut
    mode: str  # "eof": clean end of stream; "reset": connection dropped mid-chunk; "gone": watch gets 410
    times: int | None = 1
    hits: int = 0


class Faults:
    def __init__(self):
        self._lock = threading.Lock()
        self.http: list[HttpFault] = []
        self.log_cuts: list[StreamFault] = []
        self.watch_drops: list[StreamFault] = []
        self.forbidden: set[tuple] = set()  # (verb, plural, namespace or None)

    def error(self, method: str | None, path: str, status: int = 500, times: int | None = 1,
              message: str = "", query: str | None = None, delay: float = 0.0) -> HttpFault:
        """Answer matching requests with `status` (a Status body) instead of serving them."""
        fault = HttpFault(method, path, status, delay, times, message, query)
        with self._lock:
            self.http.append(fault)
        return fault

    def slow(self, method: str | None, path: str, delay: float, times: int | None = 1,
             query: str | None = None) -> HttpFault:
        """Serve matching requests normally, `delay` seconds late (a client timeout when long enough)."""
        return self.error(method, path, None, times, "", query, delay)

    def forbid(self, verb: str, plural: str, namespace: str | None = None) -> None:
        """403 for one verb (get, list, watch, create, update, patch, delete) on one resource plural."""
        with self._lock:
            self.forbidden.add((verb, plural, namespace))

    def cut_logs(self, pod: str, after_lines: int = 0, mode: str = "eof", times: int | None = 1) -> StreamFault:
        """The next follow of `pod`'s log ends after `after_lines` lines while the pod still runs."""
        fault = StreamFault(pod, after_lines, mode, times)
        with self._lock:
            self.log_cuts.append(fault)
        return fault

    def drop_watch(self, plural: str, after_events: int = 0, mode: str = "eof",
                   times: int | None = 1) -> StreamFault:
        """The next watch of `plural` ends after `after_events` events ("gone": an ERROR 410 event)."""
        fault = StreamFault(plural, after_events, mode, times)
        with self._lock:
            self.watch_drops.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.http.clear(), self.log_cuts.clear(), self.watch_drops.clear(), self.forbidden.clear()

    def take_http(self, method: str, path: str, query: str) -> HttpFault | None:
        with self._lock:
            for fault in self.http:
                if fault.matches(method, path, query):
                    fault.hits += 1
                    return fault
        return None

    def is_forbidden(self, verb: str, plural: str, namespace: str | None) -> bool:
        with self._lock:
            return (verb, plural, None) in self.forbidden or (verb, plural, namespace) in self.forbidden

    def _take(self, faults: list[StreamFault], target: str) -> StreamFault | None:
        with self._lock:
            for fault in faults:
                if fault.target == target and (fault.times is None or fault.hits < fault.times):
                    fault.hits += 1
                    return fault
        return None

    def take_log_cut(self, pod: str) -> StreamFault | None:
        return self._take(self.log_cuts, pod)

    def take_watch_drop(self, plural: str) -> StreamFault | None:
        return self._take(self.watch_drops, plural)
