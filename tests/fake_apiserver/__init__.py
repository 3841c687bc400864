"""A strict fake Kubernetes API server for tests (see README.md)."""

from .cluster import CONTEXT, UNREACHABLE_CONTEXT, FakeCluster

__all__ = ["CONTEXT", "UNREACHABLE_CONTEXT", "FakeCluster"]
