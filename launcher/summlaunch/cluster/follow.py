"""Follow every replica of a job as one stream (`summlaunch logs -f`).

Threads: one watches the job's pods (list + watch, relisting when a watch drops), one
reader per container streams its log (timestamps on; after a cut, a restart or a new
pod it reopens from `sinceTime` and `logs.Deduper` drops the replayed lines), and one
monitor polls the job and its events (why it is pending, whether it has finished,
whether an image cannot be pulled). The calling thread prints, in arrival order.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

from summlaunch import labels
from summlaunch.cluster import logs as L
from summlaunch.cluster.client import Cluster, ClusterError, Gone, NotFound
from summlaunch.cluster.progress import record_line
from summlaunch.objects.kind_facts import KindFacts, job_verdict

POLL_S = 1.0
DRAIN_S = 15.0  # after the job ends, how long readers may take to read the last lines


@dataclass
class FollowOptions:
    follow: bool = True
    replica: str = "all"
    since_seconds: int | None = None
    tail: int | None = None
    image_pull_timeout: float = 60.0
    colour: bool = False
    progress: bool = False  # only summtrain's progress records, one human line each
    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)


@dataclass
class _Attempt:
    """Which container attempt a current-log read is believed to show (see Follower._catch_up)."""
    uid: str | None
    restarts: int


@dataclass
class _Result:
    code: int | None = None
    message: str = ""


class Follower:
    def __init__(self, cluster: Cluster, namespace: str, facts: KindFacts, job: dict[str, Any],
                 opts: FollowOptions) -> None:
        self.cluster, self.ns, self.facts, self.opts = cluster, namespace, facts, opts
        self.name = job["metadata"]["name"]
        self.job = job
        self.selector = labels.selector(self.name)
        self.pods: dict[str, dict[str, Any]] = {}
        self.cond = threading.Condition()
        self.lines: queue.Queue = queue.Queue()
        self.result = _Result()
        self.finished = threading.Event()  # job finished: readers drain and stop
        self.stop = threading.Event()  # give up now (error, interrupt)
        self.readers: dict[tuple[str, str], threading.Thread] = {}
        self.prefix = L.Prefixer(opts.colour)
        self._said: set[Any] = set()
        self._pull_since: dict[str, float] = {}
        self.listed = threading.Event()  # the first pod listing is in (readers exist for every pod)

    # -- output ---------------------------------------------------------------------------
    def note(self, message: str, key: Any = None) -> None:
        """A status line on stderr (once per key)."""
        key = key if key is not None else message
        if key in self._said:
            return
        self._said.add(key)
        self.lines.put((None, message))

    def _print_loop(self) -> None:
        out, err = self.opts.out, self.opts.err
        while True:
            try:
                item = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self._all_done():
                    return
                continue
            batch = [item]
            while len(batch) < 2048:
                try:
                    batch.append(self.lines.get_nowait())
                except queue.Empty:
                    break
            for replica, texts in batch:
                if replica is None:
                    out.flush()
                    print(f"summlaunch: {texts}", file=err, flush=True)
                else:
                    tag = self.prefix(replica, "")
                    out.write("".join(f"{tag}{text}\n" for text in self._shown(texts)))
            out.flush()

    def _shown(self, texts: list[str]) -> list[str]:
        if not self.opts.progress:
            return texts
        return [line for line in map(record_line, texts) if line is not None]

    def _all_done(self) -> bool:
        if self.stop.is_set():
            return True
        if not self.finished.is_set() or not self.listed.is_set():
            return False
        return not any(t.is_alive() for t in list(self.readers.values()))

    # -- entry ----------------------------------------------------------------------------
    def run(self) -> int:
        if not self.opts.follow:
            return self._dump()
        threads = [threading.Thread(target=self._watch_pods, daemon=True),
                   threading.Thread(target=self._monitor, daemon=True)]
        for t in threads:
            t.start()
        try:
            self._print_loop()
        finally:
            self.stop.set()
            with self.cond:
                self.cond.notify_all()
        if self.result.message:
            print(f"summlaunch: {self.result.message}", file=self.opts.err, flush=True)
        return self.result.code if self.result.code is not None else 1

    def finish(self, code: int, message: str) -> None:
        if self.result.code is None:
            self.result = _Result(code, message)
        self.finished.set()
        with self.cond:
            self.cond.notify_all()
        threading.Thread(target=self._drain_deadline, daemon=True).start()

    def fail(self, message: str, code: int = 1) -> None:
        if self.result.code is None:
            self.result = _Result(code, message)
        self.stop.set()
        with self.cond:
            self.cond.notify_all()

    def _drain_deadline(self) -> None:
        time.sleep(DRAIN_S)
        self.stop.set()

    # -- pods -----------------------------------------------------------------------------
    def _watch_pods(self) -> None:
        backoff = 0.2
        while not self.stop.is_set():
            try:
                listing = self._list_pods()
                self._replace_pods(listing.get("items", []))
                self.listed.set()
                rv = listing.get("metadata", {}).get("resourceVersion", "0")
                for kind, pod in self.cluster.watch_pods(self.ns, self.selector, rv, timeout_s=30):
                    if self.stop.is_set():
                        return
                    if kind != "BOOKMARK":
                        self._update_pod(kind, pod)
                backoff = 0.2
            except (Gone, ClusterError, ValueError, KeyError) as e:
                if not self._transient(e):
                    self.fail(str(e), code=2)
                    return
                time.sleep(backoff)
                backoff = min(backoff * 2, 2.0)

    def _list_pods(self) -> dict[str, Any]:
        """List the job's pods; before any is found, also try the operator's own job label."""
        if self.pods:
            return self.cluster.list_pods(self.ns, self.selector)
        self.selector, listing = self.cluster.job_pods(self.facts, self.ns, self.name)
        return listing

    def _transient(self, e: Exception) -> bool:
        text = str(e)
        return not (" 401 " in text or "forbidden" in text or isinstance(e, NotFound))

    def _replace_pods(self, items: list[dict[str, Any]]) -> None:
        with self.cond:
            names = {p["metadata"]["name"] for p in items}
            for gone in set(self.pods) - names:
                del self.pods[gone]
        for pod in items:
            self._update_pod("ADDED", pod)

    def _update_pod(self, kind: str, pod: dict[str, Any]) -> None:
        name = pod["metadata"]["name"]
        with self.cond:
            if kind == "DELETED":
                if self.pods.get(name, {}).get("metadata", {}).get("uid") == pod["metadata"].get("uid"):
                    del self.pods[name]
            else:
                self.pods[name] = pod
            self.cond.notify_all()
        if kind == "DELETED":
            return
        replica = L.replica_name(pod)
        if not L.replica_matches(replica, self.opts.replica):
            return
        self._explain(replica, pod)
        containers = (pod.get("spec", {}) or {}).get("containers", [])
        for c in containers:
            key = (name, c["name"])
            if key not in self.readers:
                label = replica if len(containers) == 1 else f"{replica}/{c['name']}"
                t = threading.Thread(target=self._read, args=(name, c["name"], label), daemon=True)
                self.readers[key] = t
                t.start()

    def _explain(self, replica: str, pod: dict[str, Any]) -> None:
        uid = pod["metadata"].get("uid")
        for reason, message in L.pod_reasons(pod):
            self.note(f"{replica}: {reason}: {message}".rstrip(": "), key=(uid, reason, message))
        failure = L.pull_failure(pod)
        if failure is None:
            self._pull_since.pop(pod["metadata"]["name"], None)
            return
        first = self._pull_since.setdefault(pod["metadata"]["name"], time.monotonic())
        if failure[0] == "InvalidImageName" or time.monotonic() - first >= self.opts.image_pull_timeout:
            self.fail(f"job {self.ns}/{self.name}: replica {replica} cannot pull its image ({failure[0]}: "
                      f"{failure[1]}); fix the image (summlaunch build / --image) and resubmit, or "
                      f"`summlaunch delete {self.name}`")

    # -- one container's log ----------------------------------------------------------------
    def _pod(self, name: str) -> dict[str, Any] | None:
        with self.cond:
            return self.pods.get(name)

    def _wait_ready(self, name: str, container: str, seen: tuple | None) -> dict[str, Any] | None:
        """Block until the container's log is worth (re)opening; None when the reader should stop."""
        with self.cond:
            while not self.stop.is_set():
                pod = self.pods.get(name)
                if pod is not None and L.log_ready(pod, container):
                    state = (pod["metadata"].get("uid"), L.restart_count(pod, container))
                    done = L.container_done(pod, container)
                    if seen is None or state != seen[:2] or not (done and seen[2]):
                        return pod
                if self.finished.is_set():
                    return None
                self.cond.wait(timeout=POLL_S)
        return None

    def _read(self, name: str, container: str, label: str) -> None:
        dedup, seen, first = L.Deduper(), None, True
        backoff = 0.1
        while True:
            pod = self._wait_ready(name, container, seen)
            if pod is None:
                return
            uid, restarts = pod["metadata"].get("uid"), L.restart_count(pod, container)
            if seen is not None and seen[0] != uid:
                dedup, first = L.Deduper(), False  # a new pod under the same name: its log starts fresh
            elif seen is not None and restarts > seen[1]:
                self._stream(name, container, label, dedup, follow=False, previous=True)
            elif seen is None and restarts > 0 and self._whole_history():
                self._stream(name, container, label, dedup, follow=False, previous=True)
            done = L.container_done(pod, container)
            follow = self.opts.follow and not done and not self.finished.is_set()
            attempt = _Attempt(uid, restarts)
            ok = self._stream(name, container, label, dedup, follow=follow, first=first, attempt=attempt)
            first = False
            seen = (uid, attempt.restarts, done or ok is None)
            if not self.opts.follow or (self.finished.is_set() and ok):
                return
            time.sleep(0 if ok else backoff)
            backoff = 0.1 if ok else min(backoff * 2, 2.0)

    def _whole_history(self) -> bool:
        return self.opts.tail is None and self.opts.since_seconds is None

    def _stream(self, name: str, container: str, label: str, dedup: L.Deduper, *, follow: bool,
                previous: bool = False, first: bool = False, attempt: _Attempt | None = None) -> bool | None:
        """Read one log request into the queue; True when it ended cleanly, False when cut.

        `attempt` (current log only) holds the restart count the caller believes current; at the
        first batch it is checked against the server and raised, see `_catch_up`.
        """
        kwargs: dict[str, Any] = {}
        if dedup.has_history:
            dedup.reconnect()
            kwargs["since_time"] = dedup.since_time()
        elif first:
            kwargs = {"since_seconds": self.opts.since_seconds, "tail_lines": self.opts.tail}
        split, accept, put = L.split_timestamp, dedup.accept, self.lines.put
        try:
            for batch in self.cluster.open_log(self.ns, name, container, follow=follow, previous=previous, **kwargs):
                if attempt is not None:
                    self._catch_up(name, container, label, dedup, attempt)
                    attempt = None
                fresh = [text for ts, text in map(split, batch) if accept(ts, text)]
                if fresh:
                    put((label, fresh))
                if self.stop.is_set():
                    return False
            return True
        except NotFound:
            return None if previous else False
        except ClusterError:
            return False

    def _catch_up(self, name: str, container: str, label: str, dedup: L.Deduper, attempt: _Attempt) -> None:
        """Before the first lines of a current log go out, make sure no attempt was skipped.

        The pod we hold can lag behind the server: its restart count says attempt N while the
        log we opened may already be attempt N+1, whose previous attempt nobody has read. A
        fresh GET after the first lines arrived tells; when the count went up, the previous
        attempt is read first (lines already printed are dropped by the deduper, and the
        held-back first lines are replayed against it), so attempts come out in order.
        """
        try:
            pod = self.cluster.request("GET", f"/api/v1/namespaces/{self.ns}/pods/{name}",
                                       f"get pod {self.ns}/{name}")
        except ClusterError:
            return
        now = L.restart_count(pod, container)
        if now <= attempt.restarts or pod["metadata"].get("uid") != attempt.uid:
            return
        attempt.restarts = now
        if dedup.has_history or self._whole_history():
            self._stream(name, container, label, dedup, follow=False, previous=True)
            dedup.reconnect()

    def _dump(self) -> int:
        """Without -f: every matching container's log, merged by timestamp."""
        merged: list[tuple[str, int, str, str]] = []
        for pod in sorted(self._list_pods().get("items", []), key=L.replica_name):
            replica = L.replica_name(pod)
            if not L.replica_matches(replica, self.opts.replica):
                continue
            containers = pod["spec"]["containers"]
            for c in containers:
                if not L.log_ready(pod, c["name"]):
                    continue
                label = replica if len(containers) == 1 else f"{replica}/{c['name']}"
                for batch in self.cluster.open_log(self.ns, pod["metadata"]["name"], c["name"], follow=False,
                                                   since_seconds=self.opts.since_seconds, tail_lines=self.opts.tail):
                    for raw in batch:
                        ts, text = L.split_timestamp(raw)
                        merged.append((ts or "", len(merged), label, text))
            for reason, message in L.pod_reasons(pod):
                print(f"summlaunch: {replica}: {reason}: {message}".rstrip(": "), file=self.opts.err)
        merged.sort()
        self.opts.out.writelines(self.prefix(label, text) + "\n" for _, _, label, raw in merged
                                 for text in self._shown([raw]))
        self.opts.out.flush()
        return 0

    # -- job and events -----------------------------------------------------------------------
    def _monitor(self) -> None:
        seen_suspended = False
        while not self.stop.is_set() and not self.finished.is_set():
            try:
                job = self.cluster.request("GET", self.facts.path(self.ns, self.name),
                                           f"get {self.facts.kind} {self.ns}/{self.name}")
            except NotFound:
                self.fail(f"job {self.ns}/{self.name} was deleted while following it")
                return
            except ClusterError as e:
                if not self._transient(e):
                    self.fail(str(e), code=2)
                    return
                time.sleep(POLL_S)
                continue
            verdict = job_verdict(self.facts, job)
            if self.facts.is_suspended(job) and not seen_suspended:
                seen_suspended = True
                self.note(f"job {self.name} is suspended: waiting for admission (Kueue has not admitted it yet)")
            self._events()
            if verdict is not None:
                self._refresh_pods()
                code, message = verdict
                self.finish(code, f"job {self.ns}/{self.name} {message}")
                return
            self.stop.wait(POLL_S)

    def _refresh_pods(self) -> None:
        """The job is over: take the pods as the server has them now, so no reader gives up on a
        pod the (possibly dropped and not yet re-established) watch last showed as Pending."""
        try:
            self._replace_pods(self._list_pods().get("items", []))
        except ClusterError:
            pass

    def _events(self) -> None:
        with self.cond:
            names = {self.name} | set(self.pods)
        prefixes = (f"{self.facts.kueue_prefix}-{self.name}-",)
        try:
            events = self.cluster.list_events(self.ns)
        except ClusterError:
            return
        for ev in sorted(events, key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or "")):
            if L.event_is_relevant(ev, names, prefixes):
                self.note(L.event_line(ev), key=L.event_key(ev))
        for pod in list(self.pods.values()):
            replica = L.replica_name(pod)
            if L.replica_matches(replica, self.opts.replica):
                self._explain(replica, pod)
