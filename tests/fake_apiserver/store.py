"""Thread-safe object store with resourceVersions, label selectors, owner GC and watch streams."""

from __future__ import annotations

import copy
import queue
import threading
import uuid
from collections import deque
from datetime import datetime, timezone

from .resources import Resource


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Conflict(Exception):
    pass


class NotFound(Exception):
    pass


class Gone(Exception):
    """The requested resourceVersion is older than the kept watch history."""


def _key(res: Resource, namespace: str | None, name: str) -> tuple:
    return (res.group, res.plural, namespace if res.namespaced else None, name)


def parse_selector(text: str | None) -> list[tuple[str, str, object]]:
    """`a=b,c!=d,e,!f,g in (x,y),h notin (z)` -> [(key, op, value)]."""
    if not text:
        return []
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    out = []
    for part in (p.strip() for p in parts if p.strip()):
        for op in (" notin ", " in "):
            if op in part:
                key, values = part.split(op, 1)
                out.append((key.strip(), op.strip(), {v.strip() for v in values.strip(" ()").split(",")}))
                break
        else:
            if "!=" in part:
                key, value = part.split("!=", 1)
                out.append((key.strip(), "!=", value.strip()))
            elif "=" in part:
                key, value = part.replace("==", "=").split("=", 1)
                out.append((key.strip(), "=", value.strip()))
            elif part.startswith("!"):
                out.append((part[1:].strip(), "!", None))
            else:
                out.append((part, "exists", None))
    return out


def matches(obj: dict, selector: list, fields: list | None = None) -> bool:
    labels = obj.get("metadata", {}).get("labels") or {}
    for key, op, value in selector:
        have = labels.get(key)
        ok = {"=": have == value, "!=": have != value, "exists": key in labels, "!": key not in labels,
              "in": have in value if have is not None else False,
              "notin": have not in value if have is not None else True}[op]
        if not ok:
            return False
    for path, op, value in fields or []:
        cur = obj
        for part in path.split("."):
            cur = cur.get(part) if isinstance(cur, dict) else None
        if (str(cur) == value) != (op == "="):
            return False
    return True


class Watch:
    """One open watch: a queue of (type, object) filled by the store."""

    def __init__(self, store: Store, res: Resource, namespace: str | None, selector, fields):
        self.store, self.res, self.namespace = store, res, namespace
        self.selector, self.fields = selector, fields
        self.events: queue.Queue = queue.Queue()

    def wants(self, key: tuple, obj: dict) -> bool:
        if key[:2] != (self.res.group, self.res.plural):
            return False
        if self.namespace and key[2] != self.namespace:
            return False
        return matches(obj, self.selector, self.fields)

    def close(self) -> None:
        self.store.unwatch(self)


class Store:
    HISTORY = 20000

    def __init__(self):
        self.lock = threading.RLock()
        self._objects: dict[tuple, dict] = {}
        self._rv = 0
        self._history: deque = deque(maxlen=self.HISTORY)  # (rv, key, type, obj)
        self._watches: list[Watch] = []
        self.listeners: list = []  # callables(type, res_key, obj) run after each change (the controller)

    @property
    def resource_version(self) -> str:
        return str(self._rv)

    def _record(self, key: tuple, kind: str, obj: dict) -> None:
        self._history.append((self._rv, key, kind, obj))
        for watch in list(self._watches):
            if watch.wants(key, obj):
                watch.events.put((kind, copy.deepcopy(obj)))
        for listener in list(self.listeners):
            listener(kind, key, obj)

    def get(self, res: Resource, namespace: str | None, name: str) -> dict:
        with self.lock:
            obj = self._objects.get(_key(res, namespace, name))
            if obj is None:
                raise NotFound(name)
            return copy.deepcopy(obj)

    def find(self, res: Resource, namespace: str | None, name: str) -> dict | None:
        try:
            return self.get(res, namespace, name)
        except NotFound:
            return None

    def list(self, res: Resource, namespace: str | None = None, selector=None, fields=None) -> list[dict]:
        with self.lock:
            out = [copy.deepcopy(o) for k, o in self._objects.items()
                   if k[:2] == (res.group, res.plural) and (not namespace or k[2] == namespace)
                   and matches(o, selector or [], fields)]
        return sorted(out, key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))

    def create(self, res: Resource, obj: dict) -> dict:
        obj = copy.deepcopy(obj)
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + uuid.uuid4().hex[:5]
        with self.lock:
            key = _key(res, meta.get("namespace"), meta["name"])
            if key in self._objects:
                raise Conflict(meta["name"])
            self._rv += 1
            meta.update(uid=str(uuid.uuid4()), resourceVersion=str(self._rv),
                        creationTimestamp=meta.get("creationTimestamp") or now_iso(), generation=1)
            if not res.namespaced:
                meta.pop("namespace", None)
            obj["apiVersion"], obj["kind"] = res.api_version, res.kind
            self._objects[key] = obj
            self._record(key, "ADDED", obj)
            return copy.deepcopy(obj)

    def replace(self, res: Resource, obj: dict, check_version: bool = True) -> dict:
        """Store a new version of an existing object (PUT semantics; 409 on a stale resourceVersion)."""
        obj = copy.deepcopy(obj)
        meta = obj["metadata"]
        with self.lock:
            key = _key(res, meta.get("namespace"), meta["name"])
            old = self._objects.get(key)
            if old is None:
                raise NotFound(meta["name"])
            sent = meta.get("resourceVersion")
            if check_version and sent and sent != old["metadata"]["resourceVersion"]:
                raise Conflict(meta["name"])
            self._rv += 1
            for field in ("uid", "creationTimestamp", "generation"):
                meta[field] = old["metadata"].get(field)
            if obj.get("spec") != old.get("spec"):
                meta["generation"] = old["metadata"].get("generation", 1) + 1
            meta["resourceVersion"] = str(self._rv)
            obj["apiVersion"], obj["kind"] = res.api_version, res.kind
            self._objects[key] = obj
            self._record(key, "MODIFIED", obj)
            return copy.deepcopy(obj)

    def mutate(self, res: Resource, namespace: str | None, name: str, fn) -> dict:
        """Apply fn(obj) to a copy of the stored object under the lock and store the result."""
        with self.lock:
            obj = self.get(res, namespace, name)
            fn(obj)
            return self.replace(res, obj, check_version=False)

    def delete(self, res: Resource, namespace: str | None, name: str, orphan: bool = False) -> dict:
        with self.lock:
            key = _key(res, namespace, name)
            if key not in self._objects:
                raise NotFound(name)
            obj = copy.deepcopy(self._objects.pop(key))
            self._rv += 1
            obj["metadata"]["resourceVersion"] = str(self._rv)
            obj["metadata"]["deletionTimestamp"] = now_iso()
            self._record(key, "DELETED", obj)
            if not orphan:
                self._collect(obj["metadata"]["uid"])
            return copy.deepcopy(obj)

    def _collect(self, owner_uid: str) -> None:
        """Garbage-collect dependents (ownerReferences), as background propagation does."""
        for key, obj in list(self._objects.items()):
            refs = obj["metadata"].get("ownerReferences") or []
            if any(r.get("uid") == owner_uid for r in refs) and key in self._objects:
                obj = copy.deepcopy(self._objects.pop(key))
                self._rv += 1
                obj["metadata"]["resourceVersion"] = str(self._rv)
                self._record(key, "DELETED", obj)
                self._collect(obj["metadata"]["uid"])

    def watch(self, res: Resource, namespace: str | None, selector=None, fields=None,
              since: str | None = None, initial_end: bool = False) -> Watch:
        """Open a watch. since=None/"0": synthetic ADDED for every current object; else replay after it.
        initial_end: after the synthetic events, a ("BOOKMARK", None) marker (watch-list clients)."""
        watch = Watch(self, res, namespace, selector or [], fields)
        with self.lock:
            if since in (None, "", "0"):
                for obj in self.list(res, namespace, selector, fields):
                    watch.events.put(("ADDED", obj))
                if initial_end:
                    watch.events.put(("BOOKMARK", None))
            else:
                start = int(since)
                if start < self._rv and (not self._history or self._history[0][0] > start + 1):
                    raise Gone(since)
                for rv, key, kind, obj in self._history:
                    if rv > start and watch.wants(key, obj):
                        watch.events.put((kind, copy.deepcopy(obj)))
            self._watches.append(watch)
        return watch

    def unwatch(self, watch: Watch) -> None:
        with self.lock:
            if watch in self._watches:
                self._watches.remove(watch)
            watch.events.put(None)
