from fake_apiserver.fixture import fake_cluster, fake_cluster_factory  # noqa: F401  (pytest fixtures)
