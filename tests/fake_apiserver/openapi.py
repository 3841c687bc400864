"""OpenAPI v3 documents, just enough for kubectl: per group-version paths whose PATCH operations carry
the GVK extension and the fieldValidation parameter, so kubectl validates on the server (Strict)."""

from __future__ import annotations

import hashlib
import json

from .resources import Catalog, Resource
from .validation import ApiError
from .wire import Response

QUERY_PARAMS = ("dryRun", "fieldManager", "fieldValidation", "force", "pretty")
# Strategic merge patch is left out on purpose: kubectl then builds it from its compiled-in types for
# core kinds (as against a real server) and falls back to JSON merge patch for custom resources.
PATCH_TYPES = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")


def _gv_path(res: Resource) -> str:
    return f"apis/{res.group}/{res.version}" if res.group else f"api/{res.version}"


def _item_path(res: Resource) -> str:
    prefix = "/" + _gv_path(res)
    scope = "/namespaces/{namespace}" if res.namespaced else ""
    return f"{prefix}{scope}/{res.plural}/{{name}}"


def _patch_operation(res: Resource) -> dict:
    gvk = {"group": res.group, "version": res.version, "kind": res.kind}
    ref = {"$ref": f"#/components/schemas/{_schema_name(res)}"}
    return {
        "operationId": f"patch{res.kind}", "x-kubernetes-action": "patch", "x-kubernetes-group-version-kind": gvk,
        "parameters": [{"name": name, "in": "query", "schema": {"type": "string"}} for name in QUERY_PARAMS],
        "requestBody": {"content": {t: {"schema": {"type": "object"}} for t in PATCH_TYPES}, "required": True},
        "responses": {"200": {"description": "OK", "content": {"application/json": {"schema": ref}}}},
    }


def _schema_name(res: Resource) -> str:
    group = ".".join(reversed(res.group.split("."))) if res.group else "io.k8s.api.core"
    return f"{group}.{res.version}.{res.kind}"


def _pb(field: int, payload: bytes) -> bytes:
    """One length-delimited protobuf field (payloads here are shorter than 128 bytes)."""
    return bytes([field << 3 | 2, len(payload)]) + payload


class OpenApi:
    def __init__(self, catalog: Catalog):
        self.catalog = catalog

    def group_version_doc(self, gv_path: str) -> dict | None:
        resources = [r for r in self.catalog.all() if _gv_path(r) == gv_path]
        if not resources:
            return None
        paths = {_item_path(r): {"patch": _patch_operation(r)} for r in resources}
        schemas = {_schema_name(r): {"type": "object", "x-kubernetes-group-version-kind": [
            {"group": r.group, "version": r.version, "kind": r.kind}]} for r in resources}
        return {"openapi": "3.0.0", "info": {"title": "Kubernetes", "version": "v1.35.0"},
                "paths": paths, "components": {"schemas": schemas}}

    def root(self) -> dict:
        paths = {}
        for gv in sorted({_gv_path(r) for r in self.catalog.all()}):
            digest = hashlib.sha256(json.dumps(self.group_version_doc(gv), sort_keys=True).encode()).hexdigest()
            paths[gv] = {"serverRelativeURL": f"/openapi/v3/{gv}?hash={digest[:32].upper()}"}
        return {"paths": paths}

    def serve(self, path: str):
        if path == "/openapi/v2":
            # kubectl reads v2 (as protobuf) only to validate kinds nothing serves: an empty document
            # (gnostic openapi_v2.Document: swagger = field 1, info = field 2 {title = 1, version = 2}).
            info = _pb(1, b"Kubernetes") + _pb(2, b"v1.35.0")
            return Response(200, _pb(1, b"2.0") + _pb(2, info),
                            "application/com.github.proto-openapi.spec.v2.v1.0+protobuf")
        if path == "/openapi/v3":
            return Response(200, self.root())
        if path.startswith("/openapi/v3/"):
            doc = self.group_version_doc(path[len("/openapi/v3/"):])
            if doc is not None:
                return Response(200, doc)
        raise ApiError(404, "NotFound", "the server could not find the requested resource", {})
