"""The REST layer: routes a request to discovery, resource verbs, watch or pod logs."""

from __future__ import annotations

import copy

import yaml

from . import discovery, logs, patch, tables, validation, watches
from .resources import Resource
from .store import Conflict, NotFound, now_iso, parse_selector
from .validation import ApiError
from .wire import Request, Response, Stream, truthy as _truthy


def _not_served() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def _split_path(path: str) -> tuple[str, str, list[str]] | None:
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        return "", parts[1], parts[2:]
    if len(parts) >= 3 and parts[0] == "apis":
        return parts[1], parts[2], parts[3:]
    return None


class Api:
    def __init__(self, cluster):
        self.cluster = cluster
        self.catalog, self.store, self.logs, self.faults = (cluster.catalog, cluster.store, cluster.logs,
                                                           cluster.faults)

    # -- routing ------------------------------------------------------------------------------------
    def handle(self, req: Request):
        try:
            return self._route(req)
        except ApiError as e:
            return Response(e.code, e.body())

    def _route(self, req: Request):
        path = "/" + req.path.strip("/")
        if path in ("/healthz", "/livez", "/readyz"):
            return Response(200, b"ok", "text/plain")
        if path == "/version":
            return Response(200, discovery.VERSION)
        if path.startswith("/openapi/"):
            return self.cluster.openapi.serve(path)
        doc = self._discovery(path)
        if doc is not None:
            return Response(200, doc)
        split = _split_path(path)
        if split is None:
            raise _not_served()
        group, version, rest = split
        res, namespace, name, sub = self._resource(group, version, rest)
        return self._verb(req, res, namespace, name, sub)

    def _discovery(self, path: str) -> dict | None:
        parts = [p for p in path.split("/") if p]
        if parts == ["api"]:
            return discovery.api_versions(self.cluster.url.split("//")[1])
        if parts == ["apis"]:
            return discovery.api_group_list(self.catalog)
        if len(parts) == 2 and parts[0] == "api":
            doc = discovery.resource_list(self.catalog, "", parts[1])
        elif len(parts) == 2 and parts[0] == "apis":
            doc = discovery.api_group(self.catalog, parts[1])
        elif len(parts) == 3 and parts[0] == "apis":
            doc = discovery.resource_list(self.catalog, parts[1], parts[2])
        else:
            return None
        if doc is None:  # a group or version nothing serves (e.g. a CRD that is not installed)
            raise _not_served()
        return doc

    def _resource(self, group: str, version: str, rest: list[str]):
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces" and rest[2] not in ("status", "finalize"):
            namespace, rest = rest[1], rest[2:]
        if not rest or len(rest) > 3:
            raise _not_served()
        res = self.catalog.find(group, version, rest[0])
        if res is None or (namespace and not res.namespaced):
            raise _not_served()
        name = rest[1] if len(rest) > 1 else None
        sub = rest[2] if len(rest) > 2 else None
        if sub and sub not in res.subresources:
            raise _not_served()
        return res, namespace, name, sub

    def _verb(self, req: Request, res: Resource, namespace, name, sub):
        q = req.query
        verb = {"GET": "get" if name else ("watch" if _truthy(q.get("watch")) else "list"),
                "POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if name else "deletecollection"}.get(req.method)
        if verb is None or (verb == "create" and name):
            raise ApiError(405, "MethodNotAllowed", f"the server does not allow this method on {res.qualified}")
        if self.faults.is_forbidden(verb, res.plural, namespace):
            raise validation.forbidden(res, verb, namespace)
        if sub == "log":
            return self.pod_log(namespace, name, q)
        if res.kind == "CustomResourceDefinition":
            return self._crds(verb, name)
        printer = self._printer(req, res)
        if verb == "get":
            obj = self._get(res, namespace, name)
            return Response(200, printer([obj], True) if printer else obj)
        if verb == "list":
            out = self.list(res, namespace, q)
            return Response(200, printer(out["items"], True) if printer else out)
        if verb == "watch":
            return watches.open_stream(self.cluster, res, namespace, q, *self._selectors(q), printer)
        if verb == "deletecollection":
            return Response(200, self.delete_collection(res, namespace, q))
        if verb == "delete":
            return Response(200, self.delete(res, namespace, name, req))
        body = self._body(req)
        if verb == "create":
            return self.create(res, namespace, body, q)
        if verb == "update":
            return self.update(res, namespace, name, sub, body, q)
        return self.patch(res, namespace, name, sub, body, req)

    def _printer(self, req: Request, res: Resource):
        """For `Accept: ...;as=Table` (kubectl get): objects -> a Table; else None."""
        if "as=Table" not in req.accept:
            return None
        full = req.query.get("includeObject") == "Object"
        return lambda objs, headers: tables.table(res, objs, self.store.resource_version, full, headers)

    @staticmethod
    def _body(req: Request):
        try:
            return yaml.safe_load(req.body) if req.body else {}
        except yaml.YAMLError as e:
            raise validation.bad_request(f"the request body is not valid JSON/YAML: {e}") from e

    def _crds(self, verb: str, name: str | None) -> Response:
        """Read-only: the installed CRDs, as the real documents."""
        from support import crds
        docs = {f"{c.plural}.{c.group}": c.raw for c in crds.load_crds().values()
                if f"{c.plural}.{c.group}" in self.catalog.installed}
        res = self.catalog.find("apiextensions.k8s.io", "v1", "customresourcedefinitions")
        if verb == "get":
            if name not in docs:
                raise validation.not_found(res, name)
            return Response(200, docs[name])
        if verb == "list":
            return Response(200, {"kind": "CustomResourceDefinitionList", "apiVersion": res.api_version,
                                  "metadata": {"resourceVersion": self.store.resource_version},
                                  "items": [docs[n] for n in sorted(docs)]})
        raise ApiError(405, "MethodNotAllowed", "CRDs are installed with FakeCluster.install_crd in tests")

    # -- reads --------------------------------------------------------------------------------------
    def _get(self, res, namespace, name) -> dict:
        try:
            return self.store.get(res, namespace, name)
        except NotFound:
            raise validation.not_found(res, name) from None

    def _selectors(self, q: dict):
        fields = [(k.strip(), "!=" if "!=" in part else "=", v.strip())
                  for part in (q.get("fieldSelector") or "").split(",") if part
                  for k, v in [part.replace("!=", "=").replace("==", "=").split("=", 1)]]
        return parse_selector(q.get("labelSelector")), fields

    def list(self, res, namespace, q) -> dict:
        selector, fields = self._selectors(q)
        with self.store.lock:
            items = self.store.list(res, namespace, selector, fields)
            version = self.store.resource_version
        return {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                "metadata": {"resourceVersion": version}, "items": items}

    # -- writes -------------------------------------------------------------------------------------
    def _check_namespace(self, res, namespace, body) -> None:
        if not isinstance(body, dict) or body.get("kind") not in (None, res.kind):
            raise validation.bad_request(f"the body is not a {res.kind} object")
        meta = body.setdefault("metadata", {})
        if res.namespaced:
            if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                raise validation.bad_request("the namespace of the provided object does not match the namespace "
                                             "sent on the request")
            meta["namespace"] = namespace or meta.get("namespace")
            if self.store.find(self.cluster.namespaces, None, meta["namespace"]) is None:
                raise validation.namespace_not_found(meta["namespace"])
        body.setdefault("apiVersion", res.api_version)
        body.setdefault("kind", res.kind)

    def _prepare(self, res, body, old: dict | None, q: dict) -> tuple[dict, list[str]]:
        body, warnings = validation.check(res, body, q.get("fieldValidation"))
        if "status" in res.subresources or res.kind == "Pod":
            body.pop("status", None)
            if old is not None and "status" in old:
                body["status"] = old["status"]
        if res.kind == "Secret" and "stringData" in body:
            import base64
            data = body.setdefault("data", {})
            for k, v in body.pop("stringData").items():
                data[k] = base64.b64encode(v.encode()).decode()
        return body, warnings

    @staticmethod
    def _warn(warnings: list[str]) -> dict:
        return {"Warning": ", ".join(f'299 - "{w}"' for w in warnings)} if warnings else {}

    def create(self, res, namespace, body, q) -> Response:
        self._check_namespace(res, namespace, body)
        body, warnings = self._prepare(res, body, None, q)
        if res.kind in ("Namespace", "Pod", "PersistentVolumeClaim"):
            body["status"] = {"phase": {"Namespace": "Active", "Pod": "Pending", "PersistentVolumeClaim": "Bound"}
                              [res.kind]}
        name = body["metadata"].get("name")
        if name and self.store.find(res, body["metadata"].get("namespace"), name) is not None:
            raise validation.already_exists(res, name)
        if q.get("dryRun") == "All":
            meta = body["metadata"]
            meta.setdefault("uid", "00000000-0000-0000-0000-000000000000")
            meta.setdefault("creationTimestamp", now_iso())
            return Response(201, body, headers=self._warn(warnings))
        try:
            created = self.store.create(res, body)
        except Conflict:
            raise validation.already_exists(res, name) from None
        return Response(201, created, headers=self._warn(warnings))

    def _store_update(self, res, new: dict, q: dict, check_version: bool = True) -> dict:
        if q.get("dryRun") == "All":
            return new
        try:
            return self.store.replace(res, new, check_version)
        except Conflict:
            raise validation.conflict(res, new["metadata"]["name"]) from None
        except NotFound:
            raise validation.not_found(res, new["metadata"]["name"]) from None

    def update(self, res, namespace, name, sub, body, q) -> Response:
        old = self._get(res, namespace, name)
        self._check_namespace(res, namespace, body)
        if body["metadata"].get("name") != name:
            raise validation.bad_request(f"the name of the object ({body['metadata'].get('name')}) does not match "
                                         f"the name on the URL ({name})")
        warnings: list[str] = []
        if sub == "status":
            new = copy.deepcopy(old)
            new["status"] = body.get("status")
            new["metadata"]["resourceVersion"] = body["metadata"].get("resourceVersion")
        else:
            new, warnings = self._prepare(res, body, old, q)
        return Response(200, self._store_update(res, new, q), headers=self._warn(warnings))

    def patch(self, res, namespace, name, sub, body, req: Request) -> Response:
        """Like a real API server, a patch without a resourceVersion of its own is re-applied to the
        newest object when a concurrent write (the operator's status update) got there first."""
        pinned = isinstance(body, dict) and bool((body.get("metadata") or {}).get("resourceVersion"))
        for _ in range(9):
            try:
                return self._patch_once(res, namespace, name, sub, copy.deepcopy(body), req)
            except ApiError as e:
                if pinned or e.code != 409 or e.reason != "Conflict":
                    raise
        return self._patch_once(res, namespace, name, sub, body, req)

    def _patch_once(self, res, namespace, name, sub, body, req: Request) -> Response:
        kind = req.content_type.split(";")[0].strip()
        old = self.store.find(res, namespace, name)
        if kind == "application/apply-patch+yaml":
            if old is None:
                body.setdefault("metadata", {})["name"] = name
                return self.create(res, namespace, body, req.query)
            new = patch.merge_patch(old, body)
        elif old is None:
            raise validation.not_found(res, name)
        elif kind == "application/merge-patch+json":
            new = patch.merge_patch(old, body)
        elif kind == "application/strategic-merge-patch+json":
            if res.crd:
                raise ApiError(415, "UnsupportedMediaType", "strategic merge patch is not supported for custom "
                               "resources; use a JSON merge patch")
            new = patch.strategic_merge_patch(old, body)
        elif kind == "application/json-patch+json":
            try:
                new = patch.json_patch(old, body)
            except (ValueError, KeyError, IndexError) as e:
                raise ApiError(422, "Invalid", f"the JSON patch could not be applied: {e}") from e
        else:
            raise ApiError(415, "UnsupportedMediaType", f"the body of the request was in an unknown format: {kind}")
        new["metadata"]["name"], new["metadata"]["namespace"] = name, old["metadata"].get("namespace")
        warnings: list[str] = []
        if sub == "status":
            status = new.get("status")
            new = copy.deepcopy(old)
            new["status"] = status
        else:
            new, warnings = self._prepare(res, new, old, req.query)
        return Response(200, self._store_update(res, new, req.query), headers=self._warn(warnings))

    def delete(self, res, namespace, name, req: Request) -> dict:
        options = self._body(req) or {}
        policy = options.get("propagationPolicy") or req.query.get("propagationPolicy")
        obj = self._get(res, namespace, name)
        if req.query.get("dryRun") == "All" or options.get("dryRun") == ["All"]:
            return obj
        if res.kind == "Namespace":
            for other in self.catalog.all():
                if other.namespaced:
                    for item in self.store.list(other, name):
                        self.store.delete(other, name, item["metadata"]["name"])
        try:
            return self.store.delete(res, namespace, name, orphan=policy == "Orphan")
        except NotFound:
            raise validation.not_found(res, name) from None

    def delete_collection(self, res, namespace, q) -> dict:
        selector, fields = self._selectors(q)
        deleted = []
        for item in self.store.list(res, namespace, selector, fields):
            if q.get("dryRun") != "All":
                deleted.append(self.store.delete(res, item["metadata"].get("namespace"), item["metadata"]["name"]))
        return {"kind": f"{res.kind}List", "apiVersion": res.api_version,
                "metadata": {"resourceVersion": self.store.resource_version}, "items": deleted}

    # -- pod logs -----------------------------------------------------------------------------------
    def pod_log(self, namespace, name, q) -> Response | Stream:
        pod = self._get(self.cluster.pods, namespace, name)
        log = self.cluster.kubelet.log_for(pod, q.get("container"), _truthy(q.get("previous")))
        tail = int(q["tailLines"]) if q.get("tailLines") not in (None, "") else None
        cut = self.faults.take_log_cut(name) if _truthy(q.get("follow")) else None
        chunks = logs.stream(log, _truthy(q.get("follow")), logs.since_from(q), tail, _truthy(q.get("timestamps")),
                             cut.after if cut else None, cut.mode if cut else "eof",
                             alive=lambda: not self.cluster.stopping)
        if not _truthy(q.get("follow")):
            return Response(200, b"".join(chunks), "text/plain")
        return Stream(chunks, "text/plain")
