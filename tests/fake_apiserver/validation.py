"""What a real API server rejects, as Kubernetes Status bodies: names, schemas, unknown fields."""

from __future__ import annotations

import re

from support import crds

from .resources import Resource

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
_REQUIRED = re.compile(r"^'([^']+)' is a required property$")
_INDEX = re.compile(r"\.(\d+)(?=\.|$)")


class ApiError(Exception):
    """An error response: HTTP code plus a v1 Status body."""

    def __init__(self, code: int, reason: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details

    def body(self) -> dict:
        body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": self.message, "reason": self.reason, "code": self.code}
        if self.details:
            body["details"] = self.details
        return body


def _details(res: Resource, name: str | None, **extra) -> dict:
    details = {"group": res.group, "kind": res.plural, **extra}
    if name:
        details["name"] = name
    return details


def not_found(res: Resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{res.qualified} "{name}" not found', _details(res, name))


def namespace_not_found(namespace: str) -> ApiError:
    return ApiError(404, "NotFound", f'namespaces "{namespace}" not found',
                    {"name": namespace, "kind": "namespaces"})


def already_exists(res: Resource, name: str) -> ApiError:
    return ApiError(409, "AlreadyExists", f'{res.qualified} "{name}" already exists', _details(res, name))


def conflict(res: Resource, name: str) -> ApiError:
    return ApiError(409, "Conflict", f'Operation cannot be fulfilled on {res.qualified} "{name}": the object has '
                    "been modified; please apply your changes to the latest version and try again",
                    _details(res, name))


def forbidden(res: Resource, verb: str, namespace: str | None, user: str = "test-user") -> ApiError:
    where = f' in the namespace "{namespace}"' if namespace else " at the cluster scope"
    return ApiError(403, "Forbidden", f'{res.qualified} is forbidden: User "{user}" cannot {verb} resource '
                    f'"{res.plural}" in API group "{res.group}"{where}', _details(res, None))


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def invalid(res: Resource, name: str, errors: list[str]) -> ApiError:
    causes = []
    for line in errors:
        field, _, message = line.partition(": ")
        field = _INDEX.sub(r"[\1]", field)  # containers.0.args -> containers[0].args, as a real server writes
        required = _REQUIRED.match(message)
        if required:
            field = f"{field}.{required.group(1)}" if field != "<root>" else required.group(1)
            message = "Required value"
        causes.append({"reason": "FieldValueRequired" if required else "FieldValueInvalid",
                       "message": message, "field": field})
    summary = ", ".join(f"{c['field']}: {c['message']}" for c in causes)
    kind = f"{res.kind}.{res.group}" if res.group else res.kind
    details = {**_details(res, name, causes=causes), "kind": res.kind}  # Invalid names the Kind, not the plural
    return ApiError(422, "Invalid", f'{kind} "{name}" is invalid: ' + (f"[{summary}]" if len(causes) > 1 else summary),
                    details)


def prune(value, schema: dict, path: str, unknown: list[str]):
    """Drop fields the structural schema does not know (the API server's pruning); record their paths."""
    if not isinstance(schema, dict):
        return value
    if isinstance(value, dict):
        props = schema.get("properties")
        if props is None:
            addl = schema.get("additionalProperties")
            if isinstance(addl, dict):
                return {k: prune(v, addl, f"{path}.{k}", unknown) for k, v in value.items()}
            return value
        out = {}
        for k, v in value.items():
            if k in props:
                out[k] = prune(v, props[k], f"{path}.{k}", unknown)
            elif schema.get("x-kubernetes-preserve-unknown-fields"):
                out[k] = v
            else:
                unknown.append(f"{path}.{k}".lstrip("."))
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [prune(v, schema["items"], f"{path}[{i}]", unknown) for i, v in enumerate(value)]
    return value


def _crd_prune(res: Resource, obj: dict) -> tuple[dict, list[str]]:
    crd = crds.load_crds()[(res.api_version, res.kind)]
    schema = crd.versions[res.version]["schema"]["openAPIV3Schema"]
    body = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
    unknown: list[str] = []
    pruned = prune(body, schema, "", unknown)
    return {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
            "metadata": obj.get("metadata", {}), **pruned}, unknown


def _name_errors(res: Resource, name: str) -> list[str]:
    if res.kind == "Namespace" and not (_DNS1123_LABEL.match(name) and len(name) <= 63):
        return [f"metadata.name: Invalid value: {name!r}: a lowercase RFC 1123 label must consist of lower case "
                "alphanumeric characters or '-', and must start and end with an alphanumeric character"]
    if res.kind == "Service" and not (_DNS1035_LABEL.match(name) and len(name) <= 63):
        return [f"metadata.name: Invalid value: {name!r}: a DNS-1035 label must consist of lower case "
                "alphanumeric characters or '-', start with an alphabetic character, and end with an "
                "alphanumeric character"]
    return []


def check(res: Resource, obj: dict, field_validation: str | None) -> tuple[dict, list[str]]:
    """Validate an object sent by a client. Returns (object to store, warnings) or raises ApiError."""
    name = (obj.get("metadata") or {}).get("name") or (obj.get("metadata") or {}).get("generateName", "")
    mode = (field_validation or "Warn").capitalize()
    if mode not in ("Strict", "Warn", "Ignore"):
        raise bad_request(f"fieldValidation must be one of Strict, Warn, Ignore, got {field_validation!r}")
    warnings: list[str] = []
    if res.schemaless:
        errors = crds.metadata_errors(obj)
    elif res.crd:
        obj, unknown = _crd_prune(res, obj)
        if unknown and mode == "Strict":
            fields = ", ".join(f'unknown field "{u}"' for u in unknown)
            raise bad_request(f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
                              f"strict decoding error: {fields}")
        if mode == "Warn":
            warnings += [f'unknown field "{u}"' for u in unknown]
        errors = crds.crd_errors(obj)
    else:
        errors = crds.core_errors(obj)
        unexpected = [e for e in errors if "Additional properties are not allowed" in e]
        if unexpected and mode != "Strict":
            warnings += unexpected if mode == "Warn" else []
            errors = [e for e in errors if e not in unexpected]
        elif unexpected:
            raise bad_request(f'{res.kind} in version "{res.version}" cannot be handled as a {res.kind}: '
                              f"strict decoding error: {'; '.join(unexpected)}")
    errors += _name_errors(res, name) if (obj.get("metadata") or {}).get("name") else []
    if errors:
        raise invalid(res, name, errors)
    return obj, warnings
