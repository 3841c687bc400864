"""Fixtures for the cluster tests: a started fake API server and the CLI run in-process against it.

Pods and their logs are scripted the way a kubelet would produce them (`Pods` below) so each
test controls timing exactly; everything summlaunch does still goes over HTTP through the real
`kubernetes` client.
"""

from __future__ import annotations

import contextlib
import io
import threading

import pytest

from fake_apiserver.cluster import FakeCluster
from .scripted import Pods


@pytest.fixture
def fake(monkeypatch, tmp_path):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("COLUMNS", "200")
    monkeypatch.delenv("KUBECONFIG", raising=False)
    with FakeCluster(workdir=tmp_path) as cluster:
        monkeypatch.setenv("KUBECONFIG", cluster.kubeconfig)
        yield cluster


@pytest.fixture
def pods(fake):
    return Pods(fake)


class Result:
    def __init__(self, code, out, err):
        self.code, self.out, self.err = code, out, err

    def __repr__(self):
        return f"Result(code={self.code}, out={self.out!r}, err={self.err!r})"


def run_cli(*argv: str) -> Result:
    from summlaunch import cli

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(list(argv))
    return Result(code, out.getvalue(), err.getvalue())


class Background:
    """Run the CLI in a thread (for `logs -f` while the test scripts the cluster)."""

    def __init__(self, *argv: str):
        self.result: Result | None = None
        self.thread = threading.Thread(target=self._run, args=argv, daemon=True)
        self.thread.start()

    def _run(self, *argv):
        self.result = run_cli(*argv)

    def wait(self, timeout: float = 30) -> Result:
        self.thread.join(timeout)
        assert self.result is not None, f"command still running after {timeout} s"
        return self.result


@pytest.fixture
def cli():
    return run_cli
