"""Image build benchmark: cold build, code-only rebuild, their ratio, and size overhead.

    python benchmarks/image_build.py [--base-image summlaunch-base:bookworm] [--wheelhouse /opt/wheels]

Needs a running Docker engine and the local base image (tests/setup/docker.sh).
1. cold: build the torch CPU image with the engine's cache off (every layer built);
2. rebuild: change one file of a copy of the training package and build again;
3. size: the image against its base plus the installed packages (/opt/venv).
Targets: rebuild < 10% of cold; image <= 5% over base + packages.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def _build(engine, spec, sources, *, nocache: bool) -> tuple[float, object]:
    from summlaunch.images.build import BuildRequest, build_image

    started = time.monotonic()
    outcome = build_image(BuildRequest(spec, sources, nocache=nocache, force=True, quiet=True), engine=engine)
    return time.monotonic() - started, outcome


def _venv_bytes(ref: str) -> int:
    """Apparent size of the installed packages (du -sb /opt/venv inside the image)."""
    out = subprocess.run(["docker", "run", "--rm", "--entrypoint", "du", ref, "-sb", "/opt/venv"],
                         capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def sizes(engine, ref: str, base_ref: str) -> dict:
    """Image size against base + packages: by du of /opt/venv, and by the venv's own layer."""
    image = engine.image_attrs(ref)["Size"]
    base = engine.image_attrs(base_ref)["Size"]
    venv_layer = max(h["Size"] for h in engine.history(ref) if "COPY --from" in h.get("CreatedBy", "")
                     or "COPY dir:" in h.get("CreatedBy", "") and h["Size"] > 100e6)
    venv = _venv_bytes(ref)
    return {
        "image_mb": round(image / 1e6, 1), "base_mb": round(base / 1e6, 1),
        "packages_du_mb": round(venv / 1e6, 1), "packages_layer_mb": round(venv_layer / 1e6, 1),
        "size_overhead_vs_du": round(image / (base + venv) - 1, 4),
        "size_overhead": round(image / (base + venv_layer) - 1, 4),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-image", default="summlaunch-base:bookworm")
    parser.add_argument("--wheelhouse", default="/opt/wheels")
    parser.add_argument("--ca-cert", default="/etc/ssl/certs/ca-certificates.crt")
    parser.add_argument("--index-url", default="https://pypi.org/simple")
    args = parser.parse_args()

    from summlaunch.images import engine as docker_engine
    from summlaunch.images import stacks as images
    from summlaunch.images.context import BuildSources

    engine = docker_engine.connect()
    spec = images.resolve("torch-cpu", base_image=args.base_image)
    sources = BuildSources(ca_cert=Path(args.ca_cert), wheelhouse=Path(args.wheelhouse),
                           index_urls=(args.index_url,))
    cold_s, cold = _build(engine, spec, sources, nocache=True)

    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "summtrain"
        shutil.copytree(images._package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
        (copy / "errors.py").write_text((copy / "errors.py").read_text() + "\n# benchmark change\n")
        os.environ["SUMMLAUNCH_TRAINING_PACKAGE"] = str(copy)  # the rebuild sees a code-only change
        rebuild_s, rebuilt = _build(engine, spec, sources, nocache=False)

    engine.api.remove_image(rebuilt.ref)
    result = {
        "cold_build_s": round(cold_s, 1),
        "code_only_rebuild_s": round(rebuild_s, 1),
        "rebuild_over_cold": round(rebuild_s / cold_s, 4),
        "rebuilt_steps": list(rebuilt.rebuilt_steps),
        **sizes(engine, cold.ref, args.base_image),
    }
    result["targets_met"] = result["rebuild_over_cold"] < 0.10 and result["size_overhead"] <= 0.05
    print(json.dumps(result, indent=2))
    return 0 if result["targets_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
