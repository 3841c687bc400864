"""The real torch CPU image, built from the real templates with the real engine.

Needs a running Docker engine, the local base image and the registry on 127.0.0.1:5000 that tests/setup/docker.sh
makes (root): `bash tests/setup/docker.sh`, then `pytest -m docker tests/images`.
The torch stack's wheels come from the wheel cache that tests/setup/torch_venv.sh fills
(--wheelhouse; PyPI's CUDA build of torch, which runs on the CPU); anything missing from PyPI
through the host CA bundle (--ca-cert).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest

from summlaunch.images import stacks as images

pytestmark = [pytest.mark.docker, pytest.mark.slow]

BASE_IMAGE = os.environ.get("SUMMLAUNCH_BASE_IMAGE", "summlaunch-base:bookworm")
WHEELS = Path(os.environ.get("SUMMLAUNCH_WHEELS", Path.home() / ".cache/summlaunch/wheels"))
WHEELHOUSE = Path(os.environ.get("SUMMLAUNCH_WHEELHOUSE",
                                 WHEELS / f"torch-py{sys.version_info[0]}{sys.version_info[1]}"))
HOST_CA = Path("/etc/ssl/certs/ca-certificates.crt")
MARKER = "summlaunch-ca-marker-3f9d2c7e51b04a86"  # fixed, so reruns reuse the deps layers


def cli(*argv, env=None, timeout=900):
    full_env = dict(os.environ, NO_COLOR="1", COLUMNS="120", **(env or {}))
    return subprocess.run([sys.executable, "-m", "summlaunch", *argv], capture_output=True, text=True,
                          env=full_env, timeout=timeout)


def build_argv(ca: Path, *extra) -> list[str]:
    return ["build", "--framework", "torch-cpu", "--base-image", BASE_IMAGE, "--wheelhouse", str(WHEELHOUSE),
            "--ca-cert", str(ca), "--index-url", "https://pypi.org/simple", "-o", "json", *extra]


@pytest.fixture(scope="module", autouse=True)
def training_package(tmp_path_factory):
    """A snapshot of the training package, so edits to the checkout during the run change nothing."""
    copy = tmp_path_factory.mktemp("pkg") / "summtrain"
    shutil.copytree(images._package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SUMMLAUNCH_TRAINING_PACKAGE", str(copy))
        yield copy


@pytest.fixture(scope="module")
def engine():
    from summlaunch.images import engine as docker_engine

    eng = docker_engine.connect()
    assert eng.image_attrs(BASE_IMAGE) is not None, f"run tests/setup/docker.sh first (no {BASE_IMAGE})"
    return eng


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("summlaunch-cache")


@pytest.fixture(scope="module")
def marked_ca(tmp_path_factory) -> Path:
    """The host CA bundle plus a unique marker line (PEM readers skip text between certificates)."""
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    path.write_text(HOST_CA.read_text() + f"\n# {MARKER}\n")
    return path


@pytest.fixture(scope="module")
def built(engine, marked_ca, cache_dir):
    started = time.monotonic()
    result = cli(*build_argv(marked_ca), env={"SUMMLAUNCH_CACHE": str(cache_dir)})
    assert result.returncode == 0, result.stderr[-4000:]
    summary = json.loads(result.stdout)
    summary["seconds"] = time.monotonic() - started
    _remove_older_test_images(engine, keep=summary["image_id"])
    return summary


def _remove_older_test_images(engine, keep: str) -> None:
    """Images of earlier runs on the test base (GBs each) go once this run's image exists."""
    label = f"org.opencontainers.image.base.name={BASE_IMAGE}"
    for image in engine.client.images.list(filters={"label": label}):
        if image.id != keep:
            engine.client.images.remove(image.id, force=True)


def test_tag_is_the_content_hash_image_ref_predicts(built):
    assert built["image"] == images.image_ref("torch-cpu", base_image=BASE_IMAGE)


def test_image_has_pins_labels_user_and_hf_home(built, engine):
    attrs = engine.image_attrs(built["image"])
    config = attrs["Config"]
    labels = config["Labels"]
    spec = images.resolve("torch-cpu", base_image=BASE_IMAGE)
    assert labels["dev.summlaunch.pins"] == " ".join(spec.pin_strings())
    assert labels["dev.summlaunch.pin.torch"] == "2.13.0"
    assert labels["org.opencontainers.image.base.name"] == BASE_IMAGE
    assert config["User"] == "summ"
    assert "HF_HOME=/workspace/hf-cache" in config["Env"]
    assert not any(e.startswith(("PIP_CERT", "SSL_CERT_FILE", "REQUESTS_CA_BUNDLE")) for e in config["Env"])
    out = subprocess.run(["docker", "run", "--rm", built["image"], "sh", "-c",
                          "id -u; command -v summtrain; python -c 'import torch, transformers, summtrain;"
                          "print(torch.__version__, transformers.__version__)'"],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    uid, script, versions = out.stdout.split("\n")[:3]
    assert uid == "1000" and script == "/opt/venv/bin/summtrain"
    torch_version, transformers_version = versions.split()
    assert torch_version.split("+")[0] == "2.13.0" and transformers_version == "5.24.0"


def test_digest_record_written(built, cache_dir):
    record = json.loads((cache_dir / "images.json").read_text())[built["image"]]
    assert record["image_id"] == built["image_id"]
    assert "torch==2.13.0" in record["pins"]


def test_building_twice_is_a_no_op(built, marked_ca, cache_dir):
    result = cli(*build_argv(marked_ca), env={"SUMMLAUNCH_CACHE": str(cache_dir)}, timeout=120)
    assert result.returncode == 0, result.stderr
    again = json.loads(result.stdout)
    assert again["built"] is False and again["image_id"] == built["image_id"]
    assert "is up to date" in result.stderr


def _holds(stream, marker: bytes, chunk: int = 1 << 22) -> bool:
    """Whether a (multi-GB) byte stream holds marker, read in chunks that overlap by its length."""
    tail = b""
    while block := stream.read(chunk):
        if marker in tail + block:
            return True
        tail = block[-len(marker):]
    return False


def _layer_files(saved) -> dict[str, list[str]]:
    """Layer name -> its file names, read from a `docker save` stream in one pass, nothing on disk;
    AssertionError as soon as a file of a layer holds the CA marker."""
    marker, found = MARKER.encode(), {}
    with tarfile.open(fileobj=saved, mode="r|") as outer:
        for member in outer:
            if not member.isfile() or not member.name.endswith("layer.tar"):
                continue
            names = found.setdefault(member.name, [])
            with tarfile.open(fileobj=outer.extractfile(member), mode="r|") as layer:
                for info in layer:
                    names.append(info.name)
                    if info.isfile():
                        assert not _holds(layer.extractfile(info), marker), f"{member.name}: {info.name} holds the CA"
    return found


class _Stream:
    """A file-like view of the engine's chunk iterator (the image is GBs: never on disk, never in memory)."""

    def __init__(self, chunks):
        self.chunks, self.buffer = iter(chunks), b""

    def read(self, size=-1):
        while size < 0 or len(self.buffer) < size:
            chunk = next(self.chunks, None)
            if chunk is None:
                break
            self.buffer += chunk
        size = len(self.buffer) if size < 0 else size
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return out


def test_no_layer_of_the_image_holds_the_build_ca(built, engine):
    layers = _layer_files(_Stream(engine.save(built["image"])))
    assert len(layers) >= 4
    for name, files in layers.items():
        left = [n for n in files if "summlaunch-build" in n or "wheelhouse" in n
                or (n.lstrip("./").startswith("tmp/") and n.endswith(".whl")
                    and "/summlaunch-dist/" not in n)]  # the training wheel's COPY layer (<1 MB)
        assert not left, (name, left)
    history = " ".join(h.get("CreatedBy", "") for h in engine.history(built["image"]))
    assert MARKER not in history and "PIP_CERT" not in history
    # one copy of the venv: the pip step's layer is the only one holding torch
    with_torch = [n for n, files in layers.items() if any("site-packages/torch/" in f for f in files)]
    assert len(with_torch) == 1, with_torch


def test_code_only_change_rebuilds_only_the_code_layers(built, engine, marked_ca, tmp_path, monkeypatch):
    from summlaunch.images.build import BuildRequest, build_image
    from summlaunch.images.context import BuildSources

    copy = tmp_path / "summtrain"
    shutil.copytree(images._package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "errors.py").write_text((copy / "errors.py").read_text() + "\n# a code-only change\n")
    monkeypatch.setenv("SUMMLAUNCH_TRAINING_PACKAGE", str(copy))
    monkeypatch.setenv("SUMMLAUNCH_CACHE", str(tmp_path / "cache"))
    spec = images.resolve("torch-cpu", base_image=BASE_IMAGE)
    sources = BuildSources(ca_cert=marked_ca, wheelhouse=WHEELHOUSE, index_urls=("https://pypi.org/simple",))
    started = time.monotonic()
    outcome = build_image(BuildRequest(spec, sources, quiet=True), engine=engine)
    seconds = time.monotonic() - started
    try:
        assert outcome.built and outcome.ref != built["image"]
        assert outcome.rebuilt_steps, "nothing was rebuilt"
        assert all(" : COPY dist/" in s or " : RUN /opt/venv/bin/pip install --no-deps" in s
                   or " : LABEL dev.summlaunch.content-hash" in s or " : USER " in s or " : WORKDIR " in s
                   or " : CMD " in s for s in outcome.rebuilt_steps), outcome.rebuilt_steps
        old, new = engine.layers(built["image"]), engine.layers(outcome.ref)
        assert len(old) == len(new) and old[:-2] == new[:-2] and old[-2:] != new[-2:]
        print(f"\ncold build {built['seconds']:.0f} s, code-only rebuild {seconds:.1f} s")
    finally:
        engine.api.remove_image(outcome.ref)


def test_failing_build_step_is_one_line_exit_2(engine, marked_ca, cache_dir):
    result = cli("build", "--framework", "torch-cpu", "--base-image", BASE_IMAGE, "--pin", "transformers==4.57.6",
                 "--wheelhouse", str(WHEELHOUSE), "--no-index", "--quiet",
                 env={"SUMMLAUNCH_CACHE": str(cache_dir)}, timeout=300)
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("summlaunch build: error: build of summtrain:torch-cpu-"), last
    assert re.search(r" at step \d+/\d+ \(RUN /opt/venv/bin/pip install ", last) and len(last) < 300, last
    assert "returned a non-zero code: 1" in last
    assert "No matching distribution found" in result.stderr  # pip's own words, shown even with --quiet


def test_missing_base_image_is_one_line_exit_2(engine):
    result = cli("build", "--framework", "torch-cpu", "--base-image", "summlaunch-no-such-base:0",
                 "--quiet", timeout=300)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "base image summlaunch-no-such-base:0" in lines[0], result.stderr


def test_push_to_an_unreachable_registry_is_one_line_exit_2(built, marked_ca, cache_dir):
    registry = "127.0.0.1:5999/team"  # nothing listens there
    result = cli(*build_argv(marked_ca, "--registry", registry, "--push", "--quiet"),
                 env={"SUMMLAUNCH_CACHE": str(cache_dir)}, timeout=300)
    assert result.returncode == 2, result.stderr
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"summlaunch build: error: push of {registry}/summtrain:torch-cpu-"), line
    # the content was already built: the registry tag points at the same image, nothing rebuilt
    ref = images.image_ref("torch-cpu", registry=registry, base_image=BASE_IMAGE)
    out = subprocess.run(["docker", "image", "inspect", "--format", "{{.Id}}", ref],
                         capture_output=True, text=True)
    assert out.stdout.strip() == built["image_id"]
    subprocess.run(["docker", "rmi", ref], capture_output=True)


LOCAL_REGISTRY = "127.0.0.1:5000"  # started by tests/setup/docker.sh (plain HTTP; loopback is insecure-by-default)
MANIFEST_TYPES = "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json"


def _registry_manifest(ref: str) -> tuple[str, dict]:
    """(Docker-Content-Digest, manifest) that the registry serves for `host/repo:tag`."""
    import urllib.request

    host, rest = ref.split("/", 1)
    repo, tag = rest.rsplit(":", 1)
    req = urllib.request.Request(f"http://{host}/v2/{repo}/manifests/{tag}", headers={"Accept": MANIFEST_TYPES})
    with urllib.request.urlopen(req, timeout=10) as resp:
        return resp.headers["Docker-Content-Digest"], json.loads(resp.read())


def test_push_to_a_real_registry_records_the_digest_render_pins(built, marked_ca, cache_dir, monkeypatch):
    ref = images.image_ref("torch-cpu", registry=LOCAL_REGISTRY, base_image=BASE_IMAGE)
    env = {"SUMMLAUNCH_CACHE": str(cache_dir)}
    result = cli(*build_argv(marked_ca, "--registry", LOCAL_REGISTRY, "--push", "--quiet"), env=env, timeout=600)
    assert result.returncode == 0, result.stderr[-4000:]
    pushed = json.loads(result.stdout)
    assert pushed["image"] == ref and pushed["built"] is False  # the local build, retagged
    assert pushed["image_id"] == built["image_id"] and pushed["digest"].startswith("sha256:")
    served, manifest = _registry_manifest(ref)
    assert served == pushed["digest"]
    assert manifest["config"]["digest"] == built["image_id"] and len(manifest["layers"]) >= 4
    record = json.loads((cache_dir / "images.json").read_text())[ref]
    assert record["digest"] == served and record["image_id"] == built["image_id"]
    monkeypatch.setenv("SUMMLAUNCH_CACHE", str(cache_dir))
    assert images.pinned_ref(ref) == f"{ref}@{served}"
    rendered = cli("render", "--image", ref, env=env, timeout=120)
    assert rendered.returncode == 0, rendered.stderr
    assert f"image: {ref}@{served}\n" in rendered.stdout
    subprocess.run(["docker", "rmi", ref], capture_output=True)
    pulled = subprocess.run(["docker", "pull", f"{ref}@{served}"], capture_output=True, text=True, timeout=300)
    assert pulled.returncode == 0, pulled.stderr  # the pinned reference is what a node will pull
    subprocess.run(["docker", "rmi", f"{ref}@{served}"], capture_output=True)


def _leftover_containers(ref: str) -> list[str]:
    out = subprocess.run(["docker", "ps", "-aq", "--filter", "label=app.kubernetes.io/managed-by=summlaunch",
                          "--filter", f"ancestor={ref}"], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_run_docker_trains_the_embedded_default_with_outputs_on_the_host(built, tmp_path):
    out = tmp_path / "runs" / "tiny"
    result = cli("run", "--docker", "--image", built["image"], "--hf-cache", str(tmp_path / "hf"), "--",
                 "--max_steps", "5", "--max_eval_samples", "8", "--max_predict_samples", "8",
                 "--output_dir", str(out), timeout=600)
    assert result.returncode == 0, (result.stdout[-3000:], result.stderr[-3000:])
    results = json.loads((out / "all_results.json").read_text())
    assert "train_loss" in results
    assert (out / "model.safetensors").is_file() and (out / "generated_predictions.txt").is_file()
    assert json.loads((out / "trainer_state.json").read_text())["global_step"] == 5
    assert f"outputs in {out}" in result.stderr
    assert _leftover_containers(built["image"]) == []


def test_run_docker_returns_the_container_exit_code(built, tmp_path):
    result = cli("run", "--docker", "--image", built["image"], "--hf-cache", str(tmp_path / "hf"), "--",
                 "--train_file", "/nonexistent/train.jsonl", "--output_dir", str(tmp_path / "o"), timeout=300)
    assert result.returncode == 2, result.stderr
    assert "summtrain: error:" in result.stdout + result.stderr  # the container's own message, streamed
    assert "(exit code 2)" in result.stderr
    assert _leftover_containers(built["image"]) == []


def test_ctrl_c_stops_the_container_cleanly(built, tmp_path):
    import signal

    argv = [sys.executable, "-m", "summlaunch", "run", "--docker", "--image", built["image"],
            "--hf-cache", str(tmp_path / "hf"), "--", "--max_steps", "100000", "--output_dir", str(tmp_path / "o")]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=dict(os.environ, NO_COLOR="1"))
    try:
        first = proc.stdout.readline()  # the launcher's own line, then the container's logs
        assert "run --docker" in first, first
        deadline = time.monotonic() + 120
        while not _leftover_containers(built["image"]) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert _leftover_containers(built["image"]), "the container never started"
        time.sleep(3)
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, rest[-2000:]
    assert "interrupted" in rest
    assert _leftover_containers(built["image"]) == []
