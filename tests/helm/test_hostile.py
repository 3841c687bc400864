"""Hostile text in every free-text value keeps the structure: `helm template` still gives render's objects.

Env values, annotation values, training flag values and the accelerate config may hold any text,
so the schema lets them through; the chart must carry them verbatim (every value goes out
through toJson). Quotes, newlines, `---`, `{{ }}`, `{% %}`, YAML flow syntax, comments,
anchors, tags, `$(VAR)`, tabs and unicode line separators, through `--helm-values` and helm 4/3.
"""

from __future__ import annotations

import json

import pytest

from tests.render._support import run_cli

from ._support import comparable, diff_objects, parse, values_argv

NASTY = ('"\'\n---\n{{ .Release.Name }} {{- fail "x" }} {% if true %}x{% endif %}: [a, {b: c}] # &a *a '
         '!!python/object key: value\n  - item\\ ${HOME} $(PET_NODE_RANK) \t\u00e9\u2028 \'end')
KINDS = {
    "torch": ["--gpus", "4", "--nodes", "2"],
    "accelerate": ["--framework", "accelerate", "--gpus", "2", "--accelerate-config", "CONFIG"],
    "tf": ["--framework", "tf", "--image", "ghcr.io/example/summtrain:tf-test", "--nodes", "2"],
    "xla": ["--tpu", "v5e-16", "--slices", "2", "--image", "ghcr.io/example/summtrain:xla-test", "--no-node-pool"],
    "trainjob": ["--kind", "trainjob", "--gpus", "8", "--nodes", "2"],
    "job": ["--kind", "job", "--gpus", "2"],
}


def _argv(kind: str, tmp_path) -> list[str]:
    config = tmp_path / "accelerate.yaml"
    config.write_text(json.dumps({"compute_environment": "LOCAL_MACHINE", "distributed_type": "MULTI_GPU",
                                  "mixed_precision": "no", "main_training_function": NASTY}))
    args = [str(config) if a == "CONFIG" else a for a in KINDS[kind]]
    if "--image" not in args:
        args += ["--image", "ghcr.io/example/summtrain:torch-test"]
    return ["render", "--name", "hostile", *args, "--env", f"NOTE={NASTY}", "--env", "EMPTY=",
            "--annotation", f"example.com/note={NASTY}", "--annotation", "example.com/brace={{ x }}",
            "--", "--model_name_or_path", "t5-small", "--do_train", "--source_prefix", NASTY]


def _cli(argv: list[str]) -> str:
    code, out, err = run_cli(argv)
    assert code == 0, err
    return out


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_hostile_text_reaches_helm_objects_verbatim(helm, kind, tmp_path):
    argv = _argv(kind, tmp_path)
    expected = parse(_cli(argv))
    actual = comparable(helm.objects(_cli(values_argv(argv)), tmp_path))
    diff = diff_objects(expected, actual)
    assert not diff, f"{helm.version}: hostile values changed the objects ({kind}):\n{diff}"
    # not vacuous: the hostile text is really in the objects (env value, annotation, flag), whole
    assert sum(NASTY in s for s in _strings(actual)) >= 3


def _strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(key)
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)
    elif isinstance(node, str):
        yield node
