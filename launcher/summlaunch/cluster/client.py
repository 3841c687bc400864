"""The one module that talks to a Kubernetes API server, through the official `kubernetes` client.

Configuration works like kubectl: an explicit kubeconfig, else $KUBECONFIG, else
~/.kube/config, else the in-cluster service account; `context` picks a context and
the namespace defaults to the context's. Every request carries connect/read timeouts
and a bounded retry, so a dead cluster is one `ClusterError` line well within 30 s.
Each failure is re-raised as `ClusterError` with a located message ("Failed to create
PyTorchJob ns/name: ...") `from` the client's exception. The kubeconfig is resolved in
summlaunch.cluster.kubeconfig.

Requests go through the client's ApiClient (param_serialize/call_api, its auth and TLS) with
paths built from the kind registry, not through the generated CoreV1Api/CustomObjectsApi
methods, and answers are kept as JSON dicts. Measured (kubernetes 37.0.2, a 200-pod list):
json.loads 11 ms; the typed V1PodList 163 ms (x15), and 130 ms more to turn it back into the
dicts the rest of the launcher (and every custom object) uses. The generated methods with
`_preload_content=False` would avoid that; moving to them is open work.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import urllib3
from kubernetes import client as k8s
from kubernetes.client.exceptions import ApiException

from summlaunch.cluster.kubeconfig import load_config
from summlaunch.errors import ClusterError
from summlaunch.objects.kind_facts import CORE_PLURALS, EXTRA_PLURALS, KindFacts, all_kinds, facts_for

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0  # a hung server fails one request in 10 s; connect: 5 s x 3 tries
STREAM_READ_TIMEOUT = 30.0  # a log/watch stream quiet this long is reopened (dedupe makes that safe)
RETRYABLE = {429, 500, 502, 503, 504}


class NotFound(ClusterError):
    """The object (or its namespace, or its CRD) does not exist."""


class Gone(ClusterError):
    """A watch's resourceVersion is too old (410): list again."""


def _reason(e: BaseException) -> str:
    """The API server's message from an ApiException body, else the exception text, one line."""
    if isinstance(e, ApiException):
        try:
            body = json.loads(e.body or "{}")
            msg = body.get("message") or e.reason
        except (ValueError, AttributeError):
            msg = (e.body or e.reason or "").strip() if isinstance(e.body, str) else e.reason
        return f"{e.status} {msg}".replace("\n", " ")
    text = str(getattr(e, "reason", None) or e)
    if "Failed to establish a new connection: " in text:  # drop urllib3's "HTTPConnection(host=...)" prefix
        text = text.split("Failed to establish a new connection: ", 1)[1]
    return " ".join(text.split())


def _is_status(body: str | None) -> bool:
    try:
        return json.loads(body or "").get("kind") == "Status"
    except (ValueError, AttributeError):
        return False


class Cluster:
    """A connection to one API server, in one default namespace."""

    def __init__(self, api: k8s.ApiClient, namespace: str, context: str):
        self.api = api
        self.namespace = namespace
        self.context = context
        self.host = api.configuration.host

    @classmethod
    def connect(cls, kubeconfig: str | None = None, context: str | None = None,
                namespace: str | None = None) -> "Cluster":
        cfg, default_ns, ctx = load_config(kubeconfig, context)
        cfg.retries = urllib3.Retry(total=2, connect=2, read=0, status=0, backoff_factor=0.2, raise_on_status=False)
        return cls(k8s.ApiClient(cfg), namespace or default_ns, ctx)

    # -- raw requests ----------------------------------------------------------------------
    def _send(self, method: str, path: str, query: list[tuple[str, Any]] | None, body: Any,
              timeout: tuple[float, float | None], content_type: str | None = None):
        headers = {"Accept": "application/json, */*"}
        if body is not None:
            headers["Content-Type"] = content_type or "application/json"
        params = self.api.param_serialize(method=method, resource_path=path, query_params=query or [],
                                          header_params=headers, body=body, auth_settings=["BearerToken"])
        resp = self.api.call_api(*params, _request_timeout=timeout)
        if not 200 <= resp.status <= 299:
            data = resp.read()
            ApiException.from_response(http_resp=resp, body=data.decode("utf-8", "replace"), data=None)
        return resp

    def request(self, method: str, path: str, what: str, query: list[tuple[str, Any]] | None = None,
                body: Any = None, content_type: str | None = None, retry: bool | None = None) -> dict[str, Any]:
        """One JSON request. `what` locates failures: "create PyTorchJob ns/name"."""
        retry = method in ("GET", "DELETE") if retry is None else retry
        attempts = 3 if retry else 1
        for attempt in range(attempts):
            try:
                resp = self._send(method, path, query, body, (CONNECT_TIMEOUT, READ_TIMEOUT), content_type)
                data = resp.read()
                return json.loads(data) if data else {}
            except ApiException as e:
                if e.status in RETRYABLE and attempt + 1 < attempts:
                    time.sleep(0.3 * (attempt + 1))
                    continue
                raise self._api_error(e, what) from e
            except (urllib3.exceptions.HTTPError, OSError) as e:
                if attempt + 1 < attempts and isinstance(e, urllib3.exceptions.ProtocolError):
                    continue  # connection reset mid-request: safe to repeat a GET/DELETE
                if isinstance(e, urllib3.exceptions.ReadTimeoutError) or "timed out" in str(e):
                    raise ClusterError(f"Failed to {what}: the Kubernetes API server at {self.host} did not answer "
                                       f"within {READ_TIMEOUT:.0f} s (context {self.context})") from e
                raise ClusterError(f"Failed to {what}: cannot reach the Kubernetes API server at {self.host} "
                                   f"(context {self.context}): {_reason(e)}") from e
        raise AssertionError("unreachable")

    def stream(self, path: str, what: str, query: list[tuple[str, Any]]):
        """Open a streaming GET (watch, followed log); the caller reads `.read1()` and closes it."""
        try:
            return self._send("GET", path, query, None, (CONNECT_TIMEOUT, STREAM_READ_TIMEOUT)).response
        except ApiException as e:
            if e.status == 410:
                raise Gone(f"Failed to {what}: {_reason(e)}") from e
            raise self._api_error(e, what) from e
        except (urllib3.exceptions.HTTPError, OSError) as e:
            raise ClusterError(f"Failed to {what}: cannot reach the Kubernetes API server at {self.host}: "
                               f"{_reason(e)}") from e

    def _api_error(self, e: ApiException, what: str) -> ClusterError:
        reason = _reason(e)
        if not _is_status(e.body):
            return ClusterError(f"Failed to {what}: {self.host} answered HTTP {e.status} {e.reason or ''}, not as a "
                                f"Kubernetes API server: check the server address of context {self.context}")
        if e.status == 401:
            return ClusterError(f"Failed to {what}: unauthorized ({reason}): the credentials of context "
                                f"{self.context} were rejected; log in again or fix the kubeconfig")
        if e.status == 403:
            return ClusterError(f"Failed to {what}: forbidden ({reason}): ask for RBAC permission in "
                                f"namespace {self.namespace}, or use another --namespace/--context")
        if e.status == 404:
            return NotFound(f"Failed to {what}: {reason}")
        if e.status == 409:
            return ClusterError(f"Failed to {what}: {reason}")
        if e.status in (400, 422):
            return ClusterError(f"Failed to {what}: the API server rejected it: {reason}")
        return ClusterError(f"Failed to {what}: {reason}")

    # -- diagnosis of 404s ----------------------------------------------------------------
    def crd_installed(self, facts: KindFacts) -> bool:
        return self.served(facts.api_version, facts.plural)

    def served(self, api_version: str, plural: str) -> bool:
        """Whether discovery lists `plural` under `api_version` (its CRD is installed)."""
        try:
            found = self.request("GET", f"/apis/{api_version}", f"discover {api_version}")
        except NotFound:
            return False
        return any(r.get("name") == plural for r in found.get("resources", []))

    def require_namespace(self, namespace: str) -> None:
        try:
            self.request("GET", f"/api/v1/namespaces/{namespace}", f"get namespace {namespace}")
        except NotFound as e:
            raise NotFound(f"namespace {namespace} does not exist (context {self.context}): "
                           f"create it or pass another -n/--namespace") from e
        except ClusterError as e:
            if "forbidden" not in str(e):  # no right to read namespaces: cannot tell, carry on
                raise

    def require_crd(self, facts: KindFacts) -> None:
        if not self.crd_installed(facts):
            raise NotFound(f"{facts.kind} is not installed in the cluster at {self.host} (no {facts.resource} "
                           f"CRD): install {facts.operator}")

    # -- objects ----------------------------------------------------------------------------
    def object_path(self, obj: dict[str, Any], namespace: str, name: str | None = None) -> tuple[str, str]:
        """(REST path, "Kind") for a manifest object; name=None gives the collection."""
        kind, api_version = obj["kind"], obj["apiVersion"]
        if api_version == "v1" and kind in CORE_PLURALS:
            ns = "" if kind == "Namespace" else f"/namespaces/{namespace}"
            return f"/api/v1{ns}/{CORE_PLURALS[kind]}" + (f"/{name}" if name else ""), kind
        extra = EXTRA_PLURALS.get(f"{api_version}/{kind}")
        if extra:
            return f"/apis/{api_version}/namespaces/{namespace}/{extra}" + (f"/{name}" if name else ""), kind
        return facts_for(api_version, kind).path(namespace, name), kind

    def create(self, obj: dict[str, Any], namespace: str, dry_run: bool = False) -> dict[str, Any]:
        name = obj["metadata"]["name"]
        path, kind = self.object_path(obj, namespace)
        what = f"create {kind} {namespace}/{name}"
        query = [("dryRun", "All")] if dry_run else []
        try:
            return self.request("POST", path, what, query=query, body=obj)
        except NotFound as e:
            if obj["apiVersion"] != "v1" and f"{obj['apiVersion']}/{obj['kind']}" not in EXTRA_PLURALS:
                self.require_crd(facts_for(obj["apiVersion"], obj["kind"]))
            self.require_namespace(namespace)
            raise e

    def get(self, obj: dict[str, Any], namespace: str) -> dict[str, Any] | None:
        name = obj["metadata"]["name"]
        path, kind = self.object_path(obj, namespace, name)
        try:
            return self.request("GET", path, f"get {kind} {namespace}/{name}")
        except NotFound:
            return None

    def delete(self, obj: dict[str, Any], namespace: str, propagation: str = "Background") -> bool:
        """Delete one object; False when it was already gone."""
        name = obj["metadata"]["name"]
        path, kind = self.object_path(obj, namespace, name)
        body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": propagation}
        try:
            self.request("DELETE", path, f"delete {kind} {namespace}/{name}", body=body)
        except NotFound:
            return False
        return True

    def wait_gone(self, obj: dict[str, Any], namespace: str, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while self.get(obj, namespace) is not None:
            if time.monotonic() > deadline:
                raise ClusterError(f"{obj['kind']} {namespace}/{obj['metadata']['name']} still exists "
                                   f"{timeout:.0f} s after deletion: check its finalizers")
            time.sleep(0.3)

    def list(self, path: str, what: str, query: list[tuple[str, Any]] | None = None) -> dict[str, Any]:
        return self.request("GET", path, what, query=query)

    def find_job(self, name: str, namespace: str) -> tuple[KindFacts, dict[str, Any]]:
        """The summlaunch job called `name`, whatever its kind (tried in the kind registry's order)."""
        served, missing = [], []
        for facts in all_kinds():
            try:
                return facts, self.request("GET", facts.path(namespace, name), f"get {facts.kind} {namespace}/{name}")
            except NotFound:
                (served if self.crd_installed(facts) else missing).append(facts)
        if not served:
            raise NotFound(f"no training-job CRD is installed in the cluster at {self.host}: install one of "
                           f"{_operators(missing)}")
        self.require_namespace(namespace)
        absent = f"; not installed here: {_operators(missing)}" if missing else ""
        raise NotFound(f"job {namespace}/{name} not found (no {' or '.join(f.kind for f in served)} of that "
                       f"name{absent}): `summlaunch list -n {namespace}` shows the jobs there")

    def list_jobs(self, namespace: str | None, selector: str) -> list[tuple[KindFacts, dict[str, Any]]]:
        """Jobs of every installed kind carrying `selector`; namespace None lists all namespaces."""
        found, installed = [], 0
        for facts in all_kinds():
            try:
                items = self.list(facts.path(namespace), f"list {facts.resource}",
                                  [("labelSelector", selector)]).get("items", [])
            except NotFound:
                continue
            installed += 1
            found += [(facts, item) for item in items]
        if not installed:
            if namespace:
                self.require_namespace(namespace)
            raise NotFound(f"no training-job CRD is installed in the cluster at {self.host}: install one of "
                           f"{_operators(all_kinds())}")
        return found

    # -- pods, events, logs -----------------------------------------------------------------
    def list_pods(self, namespace: str, selector: str) -> dict[str, Any]:
        return self.list(f"/api/v1/namespaces/{namespace}/pods", f"list pods {namespace} ({selector})",
                         [("labelSelector", selector)])

    def job_pods(self, facts: KindFacts, namespace: str, name: str) -> tuple[str, dict[str, Any]]:
        """(selector, pod list) of a job: our label, else the operator's own job label (TrainJob pods)."""
        listing, first = {}, None
        for label in facts.pod_labels:
            selector = f"{label}={name}"
            listing = self.list_pods(namespace, selector)
            first = first or (selector, listing)
            if listing.get("items"):
                return selector, listing
        return first

    def list_events(self, namespace: str) -> list[dict[str, Any]]:
        return self.list(f"/api/v1/namespaces/{namespace}/events", f"list events in {namespace}").get("items", [])

    def watch_pods(self, namespace: str, selector: str, resource_version: str,
                   timeout_s: int = 60) -> Iterator[tuple[str, dict[str, Any]]]:
        """Yield (type, pod) from a watch until the server ends it; raises Gone on 410."""
        query = [("labelSelector", selector), ("watch", "true"), ("resourceVersion", resource_version),
                 ("allowWatchBookmarks", "true"), ("timeoutSeconds", timeout_s)]
        resp = self.stream(f"/api/v1/namespaces/{namespace}/pods", f"watch pods in {namespace}", query)
        try:
            for line in iter_lines(resp):
                event = json.loads(line)
                if event.get("type") == "ERROR":
                    status = event.get("object", {})
                    if status.get("code") == 410:
                        raise Gone(f"watch pods in {namespace}: {status.get('message', 'expired')}")
                    raise ClusterError(f"watch pods in {namespace}: {status.get('message', status)}")
                yield event["type"], event["object"]
        finally:
            resp.release_conn()

    def open_log(self, namespace: str, pod: str, container: str | None, *, follow: bool,
                 since_time: str | None = None, since_seconds: int | None = None,
                 tail_lines: int | None = None, previous: bool = False) -> Iterator[list[bytes]]:
        """Yield batches of raw log lines ("<RFC3339Nano> text", timestamps on) of one container, as they arrive."""
        query: list[tuple[str, Any]] = [("timestamps", "true")]
        for key, value in (("container", container), ("follow", "true" if follow else None),
                           ("sinceTime", since_time), ("sinceSeconds", since_seconds),
                           ("tailLines", tail_lines), ("previous", "true" if previous else None)):
            if value is not None:
                query.append((key, value))
        resp = self.stream(f"/api/v1/namespaces/{namespace}/pods/{pod}/log", f"read logs of pod {namespace}/{pod}",
                           query)
        try:
            yield from iter_batches(resp)
        finally:
            resp.release_conn()


def _operators(kinds: list[KindFacts]) -> str:
    return "; ".join(sorted({f.operator.split(" (")[0] for f in kinds}))


def iter_lines(resp) -> Iterator[bytes]:
    """Complete lines of a streamed response as they arrive; a cut stream raises StreamCut."""
    for batch in iter_batches(resp):
        yield from batch


def iter_batches(resp) -> Iterator[list[bytes]]:
    """Lists of complete lines, one list per read; a cut stream raises StreamCut (its partial line is dropped)."""
    buf = b""
    try:
        while True:
            chunk = resp.read1(262144)
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            if lines:
                yield lines
    except (urllib3.exceptions.HTTPError, OSError) as e:
        raise StreamCut(_reason(e)) from e
    if buf:  # a final line without newline: the writer omitted it
        yield [buf]


class StreamCut(ClusterError):
    """A watch or log stream broke (connection reset, read timeout, protocol error)."""
