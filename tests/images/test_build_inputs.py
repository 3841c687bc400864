"""--ca-cert and --wheelhouse reach the pip step from a loopback server, never through a layer.

No engine needed: the server is real, and a real pip reads the wheelhouse through it.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from summlaunch import __version__
from summlaunch.errors import SummlaunchError
from summlaunch.images import build_inputs
from summlaunch.images import stacks as images
from summlaunch.images.context import BuildSources, render_dockerfile, write_wheel


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def port(monkeypatch) -> int:
    number = _free_port()
    monkeypatch.setenv("SUMMLAUNCH_BUILD_PORT", str(number))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    return number


@pytest.fixture
def inputs(tmp_path) -> tuple[Path, Path]:
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n")
    wheels = tmp_path / "wheels"
    write_wheel(wheels)  # a real wheel (the training package), so pip has something to install
    return ca, wheels


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as resp:
        return resp.read()


def test_serves_the_ca_and_the_wheelhouse_while_the_build_runs(port, inputs):
    ca, wheels = inputs
    wheel = next(wheels.glob("*.whl"))
    with build_inputs.serve(ca, wheels) as layout:
        assert layout.ca_url == f"http://127.0.0.1:{port}/ca.pem" and layout.network_mode == "host"
        assert _get(layout.ca_url) == ca.read_bytes()
        assert wheel.name.encode() in _get(layout.find_links)
        assert _get(layout.find_links + wheel.name) == wheel.read_bytes()
        roots = list(Path(tempfile.gettempdir()).glob("summlaunch-inputs-*"))
        assert roots
    with pytest.raises(urllib.error.URLError):
        _get(layout.ca_url)  # gone with the build
    assert not [r for r in roots if r.exists()]
    assert wheels.is_dir() and wheel.is_file()  # the user's wheelhouse is untouched


def test_pip_installs_from_the_served_wheelhouse(port, inputs, tmp_path):
    _, wheels = inputs
    with build_inputs.serve(None, wheels) as layout:
        assert layout.ca_url is None
        out = subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "--no-index", "--disable-pip-version-check",
             f"--find-links={layout.find_links}", f"summtrain=={__version__}", "-d", str(tmp_path / "got")],
            capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert [p.name for p in (tmp_path / "got").iterdir()] == [next(wheels.glob("*.whl")).name]


def test_no_inputs_no_server_no_host_network(port):
    with build_inputs.serve(None, None) as layout:
        assert layout == build_inputs.NONE and layout.network_mode is None


def test_a_taken_port_is_one_clear_error(port, inputs):
    ca, wheels = inputs
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", port))
        taken.listen()
        with pytest.raises(SummlaunchError, match=f"127.0.0.1:{port}.*SUMMLAUNCH_BUILD_PORT"):
            with build_inputs.serve(ca, wheels):
                pass


@pytest.mark.parametrize("value", ["http", "0", "70000", ""])
def test_a_bad_port_setting_is_refused(monkeypatch, value):
    monkeypatch.setenv("SUMMLAUNCH_BUILD_PORT", value)
    with pytest.raises(SummlaunchError, match="SUMMLAUNCH_BUILD_PORT"):
        build_inputs.port()


def test_a_remote_engine_is_told_to_use_dockerfile_only(port, inputs, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "tcp://build-box:2376")
    with pytest.raises(SummlaunchError, match="--dockerfile-only"):
        with build_inputs.serve(*inputs):
            pass


def test_server_dockerfile_holds_no_input_and_does_not_depend_on_where_they_are(port, inputs, tmp_path):
    ca, wheels = inputs
    other_ca = tmp_path / "other.pem"
    other_ca.write_text(ca.read_text() + "# another bundle\n")
    spec = images.resolve("torch-cpu")
    texts = []
    for bundle, house in ((ca, wheels), (other_ca, tmp_path)):
        sources = BuildSources(ca_cert=bundle, wheelhouse=house)
        texts.append(render_dockerfile(spec, sources, build_inputs.server_layout(bundle, house)))
    assert texts[0] == texts[1]  # the pip step's cache key is the pins, not the inputs' location
    dockerfile = texts[0]
    assert "COPY build" not in dockerfile and "--mount" not in dockerfile and "--from=" not in dockerfile
    assert f"http://127.0.0.1:{port}/ca.pem {build_inputs.FETCHED_CA} \\\n && /opt/venv/bin/pip install" in dockerfile
    assert f"--cert={build_inputs.FETCHED_CA} --find-links=http://127.0.0.1:{port}/wheels/" in dockerfile
    assert f"&& rm -f {build_inputs.FETCHED_CA}" in dockerfile
