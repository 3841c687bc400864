"""Watch streams: JSON lines of {type, object}, with bookmarks, watch-list, expiry and injected drops."""

from __future__ import annotations

import json
import queue
import time

from .wire import Stream, truthy as _truthy
from .logs import CutStream
from .store import Gone
from .validation import ApiError


def _line(kind: str, obj: dict) -> bytes:
    return json.dumps({"type": kind, "object": obj}).encode() + b"\n"


def _expired(message: str) -> Stream:
    return Stream(iter([_line("ERROR", ApiError(410, "Expired", message).body())]))


def open_stream(cluster, res, namespace, q: dict, selector, fields, printer=None) -> Stream:
    drop = cluster.faults.take_watch_drop(res.plural)
    if drop and drop.mode == "gone":
        return _expired("too old resource version: requested watch was cut")
    initial = _truthy(q.get("sendInitialEvents"))
    try:
        watch = cluster.store.watch(res, namespace, selector, fields,
                                    None if initial else q.get("resourceVersion"), initial_end=initial)
    except Gone:
        return _expired(f"too old resource version: {q.get('resourceVersion')}")
    deadline = time.monotonic() + float(q.get("timeoutSeconds") or 1800)
    return Stream(_events(cluster, watch, deadline, drop, _truthy(q.get("allowWatchBookmarks")), printer))


def _bookmark(cluster, res, initial_end: bool = False) -> dict:
    meta = {"resourceVersion": cluster.store.resource_version}
    if initial_end:  # the end of the initial events of a watch-list request
        meta["annotations"] = {"k8s.io/initial-events-end": "true"}
    return {"kind": res.kind, "apiVersion": res.api_version, "metadata": meta}


def _events(cluster, watch, deadline: float, drop, bookmarks: bool, printer):
    sent, last_bookmark = 0, time.monotonic()
    try:
        while time.monotonic() < deadline and not cluster.stopping:
            if drop and sent >= drop.after:
                if drop.mode == "reset":
                    raise CutStream()
                return
            try:
                event = watch.events.get(timeout=0.5)
            except queue.Empty:
                if bookmarks and time.monotonic() - last_bookmark > 1:
                    last_bookmark = time.monotonic()
                    yield _line("BOOKMARK", _bookmark(cluster, watch.res))
                continue
            if event is None:
                return
            kind, obj = event
            if obj is None:
                yield _line(kind, _bookmark(cluster, watch.res, initial_end=True))
                continue
            yield _line(kind, printer([obj], sent == 0) if printer else obj)
            sent += 1
    finally:
        watch.close()
