"""Helpers of the Helm chart tests: run the real helm, run `summlaunch render`, compare objects.

Chart-only metadata (what `helm template` adds that `summlaunch render` does not):
- on top-level objects only, the label `helm.sh/chart: summlaunch-<chart version>`, and
  `app.kubernetes.io/managed-by: Helm` where render says `summlaunch` (Helm stamps that label on
  every object it installs anyway); pod templates carry exactly render's labels;
- the `helm test` objects (values helmTest.enabled), label `app.kubernetes.io/component: helm-test`:
  the test hook Pod (annotation `helm.sh/hook: test`) and its ServiceAccount, Role and RoleBinding.
`comparable()` removes exactly these, after checking they are there and have those values.
"""

from __future__ import annotations

import difflib
import json
import os
import subprocess
from functools import lru_cache
from pathlib import Path

import yaml

from summlaunch.objects.render import to_yaml
from tests.render._support import case_argv, run_cli

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "summlaunch"
CHART_VERSION = yaml.safe_load((CHART / "Chart.yaml").read_text())["version"]
HOOK = "helm.sh/hook"
CHART_LABEL = "helm.sh/chart"
MANAGED_BY = "app.kubernetes.io/managed-by"
COMPONENT = "app.kubernetes.io/component"


class Helm:
    """One helm binary with its own config/cache/data folders (nothing read from ~/.config/helm)."""

    def __init__(self, path: str, home: Path):
        self.path, self.home = path, home
        version = subprocess.run([path, "version", "--short"], capture_output=True, text=True, check=True)
        self.version = version.stdout.strip()

    def run(self, *args: str, check: bool = False, timeout: float = 120, env: dict | None = None):
        folders = {f"HELM_{k}_HOME": str(self.home / k.lower()) for k in ("CONFIG", "CACHE", "DATA")}
        full_env = {**os.environ, **folders, **(env or {})}
        result = subprocess.run([self.path, *args], capture_output=True, text=True, timeout=timeout, env=full_env)
        if check and result.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} exited {result.returncode}:\n{result.stderr}")
        return result

    def template(self, values: dict | str | None, tmp: Path, *extra: str, release: str = "parity",
                 check: bool = True):
        """`helm template RELEASE charts/summlaunch -f values.yaml EXTRA...` (returns the CompletedProcess).

        `values`: the text of a values file, or a dict (written as `render --helm-values` writes it)."""
        args = ["template", release, str(CHART)]
        if values is not None:
            path = tmp / f"values-{len(list(tmp.glob('values-*')))}.yaml"
            path.write_text(values if isinstance(values, str) else to_yaml([values]))
            args += ["-f", str(path)]
        return self.run(*args, *extra, check=check)

    def objects(self, values: dict | str | None, tmp: Path, *extra: str, release: str = "parity") -> list[dict]:
        return parse(self.template(values, tmp, *extra, release=release).stdout)


def parse(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


@lru_cache(maxsize=None)
def _render_cached(argv: tuple[str, ...]) -> str:
    code, out, err = run_cli(list(argv))
    assert code == 0, f"summlaunch {' '.join(argv)} failed: {err}"
    return out


def render_case(name: str) -> list[dict]:
    """The objects `summlaunch render` prints for tests/cases/<name>.yaml."""
    return parse(_render_cached(tuple(case_argv(name))))


def values_argv(argv: list[str]) -> list[str]:
    """The same command line with --helm-values (before the `--` of the training flags)."""
    at = argv.index("--") if "--" in argv else len(argv)
    return [*argv[:at], "--helm-values", *argv[at:]]


def case_values(name: str) -> str:
    """The values file `summlaunch render --helm-values` prints for tests/cases/<name>.yaml (text)."""
    return _render_cached(tuple(values_argv(case_argv(name))))


def is_chart_only(obj: dict) -> bool:
    """The helm test objects (and any hook): not made by `summlaunch render`."""
    meta = obj["metadata"]
    return HOOK in (meta.get("annotations") or {}) or meta.get("labels", {}).get(COMPONENT) == "helm-test"


def split_chart_only(objects: list[dict]) -> tuple[list[dict], list[dict]]:
    """(the job's objects, the chart-only objects)."""
    return [o for o in objects if not is_chart_only(o)], [o for o in objects if is_chart_only(o)]


def comparable(helm_objects: list[dict]) -> list[dict]:
    """helm's objects without the chart-only metadata (checked, then removed) and chart-only objects."""
    out = []
    for obj in split_chart_only(helm_objects)[0]:
        obj = json.loads(json.dumps(obj))
        labels = obj["metadata"]["labels"]
        where = f"{obj['kind']}/{obj['metadata']['name']}"
        assert labels.pop(CHART_LABEL, None) == f"summlaunch-{CHART_VERSION}", f"{where}: {CHART_LABEL} label"
        assert labels.get(MANAGED_BY) == "Helm", f"{where}: {MANAGED_BY} should be Helm"
        labels[MANAGED_BY] = "summlaunch"
        out.append(obj)
    return out


def _key(obj: dict) -> tuple[str, str, str]:
    return obj["apiVersion"], obj["kind"], obj["metadata"]["name"]


def diff_objects(expected: list[dict], actual: list[dict], names=("summlaunch render", "helm template")) -> str:
    """'' when both lists hold the same objects (any order); else a unified YAML diff."""
    expected, actual = sorted(expected, key=_key), sorted(actual, key=_key)
    if expected == actual:
        return ""

    def dump(objects):
        return yaml.safe_dump_all(objects, sort_keys=True, width=1 << 16).splitlines()

    return "\n".join(difflib.unified_diff(dump(expected), dump(actual), *names, lineterm=""))
