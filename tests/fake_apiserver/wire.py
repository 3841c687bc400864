"""Request and response values passed between the HTTP server and the API layer."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Request:
    method: str
    path: str
    query: dict
    raw_query: str = ""
    body: bytes = b""
    content_type: str = ""
    accept: str = ""


@dataclass
class Response:
    code: int
    body: object  # dict (JSON) or bytes
    content_type: str = "application/json"
    headers: dict = field(default_factory=dict)


@dataclass
class Stream:
    chunks: object  # iterator of bytes
    content_type: str = "application/json"


def truthy(value) -> bool:
    return str(value).lower() in ("1", "true")
