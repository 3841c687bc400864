import pytest

from fake_apiserver.fixture import fake_cluster, fake_cluster_factory  # noqa: F401  (pytest fixtures)


@pytest.fixture(autouse=True)
def _private_summlaunch_cache(tmp_path_factory, monkeypatch):
    """Renders must not depend on this user's ~/.cache/summlaunch (recorded image digests)."""
    monkeypatch.setenv("SUMMLAUNCH_CACHE", str(tmp_path_factory.getbasetemp() / "summlaunch-cache"))
