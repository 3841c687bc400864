"""Hostile values in every string field never change the structure of the rendered objects.

Each kind is rendered twice from specs built directly (bypassing validation, which would
reject most of these): once with unique harmless placeholders, once with hostile strings
(quotes, newlines, `{{ }}`, `{% %}`, YAML syntax, `---`, comments, anchors, tags). The
hostile objects must equal the placeholder objects with each placeholder replaced by its
hostile value, in keys and values alike: same structure, values carried verbatim.
"""

from __future__ import annotations

import json
import shlex

import pytest
import yaml

from summlaunch import labels as L
from summlaunch.objects.render import render, to_json, to_yaml
from summlaunch.jobspec.spec import JobSpec, Toleration
from summlaunch.jobspec.tpu_types import lookup

NASTY = ('"\'\n---\n{{ c.name }} {% if true %}x{% endif %} {#c#}: [a, {b: c}] # &a *a !!python/object '
         'key: value\n  - item\\ ${HOME} $(PET_NODE_RANK) \t\u00e9\u2028 ')

STRING_FIELDS = ("name", "image", "namespace", "gpu_resource", "cpu", "memory", "shm_size", "pvc", "pvc_size",
                 "pvc_access_mode", "storage_class", "hf_token_secret", "priority_class", "queue",
                 "service_account", "image_pull_policy", "restart_policy", "runtime", "accelerate_config",
                 "gke_cluster", "gke_location", "tpu_zone")
PAIR_FIELDS = ("env", "labels", "annotations", "node_selector")
CASES = [("pytorchjob", "torch", None), ("pytorchjob", "accelerate", None), ("tfjob", "tf", None),
         ("jobset", "xla", "v5e-16"), ("trainjob", "torch", None), ("trainjob", "accelerate", None),
         ("job", "torch", None), ("job", "tf", None)]


def _values(make):
    """{field: value} for every string field, pair field (key and value) and toleration part."""
    values = {field: make(f"{i:02d}{field}") for i, field in enumerate(STRING_FIELDS)}
    pairs = {field: ((make(f"{i:02d}{field}k"), make(f"{i:02d}{field}v")),)
             for i, field in enumerate(PAIR_FIELDS, start=50)}
    toleration = Toleration(make("70tolk"), "Equal", make("71tolv"), make("72tole"))
    args = (make("80arg"), "--output_dir", make("81out"))
    return values, pairs, toleration, args


def _spec(kind, framework, tpu, make) -> JobSpec:
    values, pairs, toleration, args = _values(make)
    slice_ = lookup(tpu) if tpu else None
    return JobSpec(kind=kind, framework=framework, tpu=slice_, nodes=slice_.hosts if slice_ else 2,
                   gpus_per_node=0 if slice_ else 2, slices=2 if slice_ else 1, tolerations=(toleration,),
                   train_args=args, **values, **pairs)


def _placeholder(tag: str) -> str:
    return f"zq{tag}zq"


def _hostile(tag: str) -> str:
    return f"{NASTY}{tag}"


def _substitute(node, mapping):
    if isinstance(node, dict):
        return {_substitute(k, mapping): _substitute(v, mapping) for k, v in node.items()}
    if isinstance(node, list):
        return [_substitute(v, mapping) for v in node]
    if isinstance(node, str):
        for placeholder, hostile in mapping.items():
            node = node.replace(placeholder, hostile)
    return node


def _mapping():
    tags = ([f"{i:02d}{f}" for i, f in enumerate(STRING_FIELDS)]
            + [f"{i:02d}{f}{s}" for i, f in enumerate(PAIR_FIELDS, start=50) for s in "kv"]
            + ["70tolk", "71tolv", "72tole", "80arg", "81out"])
    return {_placeholder(t): _hostile(t) for t in tags}


def _without_gcloud(objects):
    out = []
    for obj in objects:
        obj = json.loads(json.dumps(obj))
        obj["metadata"].get("annotations", {}).pop(L.GCLOUD_COMMAND, None)
        out.append(obj)
    return out


@pytest.mark.parametrize("kind,framework,tpu", CASES)
def test_hostile_values_keep_the_structure(kind, framework, tpu):
    benign = render(_spec(kind, framework, tpu, _placeholder))
    hostile = render(_spec(kind, framework, tpu, _hostile))
    assert _without_gcloud(hostile) == _substitute(_without_gcloud(benign), _mapping())
    # and the placeholders really reached the output (the test is not vacuous)
    flat = json.dumps(benign)
    for field in ("name", "image", "namespace", "cpu", "pvc"):
        assert _placeholder(f"{STRING_FIELDS.index(field):02d}{field}") in flat


@pytest.mark.parametrize("kind,framework,tpu", CASES)
def test_hostile_values_survive_yaml_and_json_output(kind, framework, tpu):
    objects = render(_spec(kind, framework, tpu, _hostile))
    assert [d for d in yaml.safe_load_all(to_yaml(objects)) if d is not None] == objects
    assert json.loads(to_json(objects)) == objects
    assert json.loads(to_json(objects, as_list=True))["items"] == objects


def test_gcloud_command_quotes_hostile_values():
    spec = _spec("jobset", "xla", "v5e-16", _hostile)
    pools = [o for o in render(spec) if o["kind"] == "ContainerNodePool"]
    assert len(pools) == 2
    argv = shlex.split(pools[0]["metadata"]["annotations"][L.GCLOUD_COMMAND])
    assert argv[:5] == ["gcloud", "container", "node-pools", "create", f"{spec.name}-pool-0"]
    assert f"--cluster={spec.gke_cluster}" in argv
    assert f"--node-locations={spec.tpu_zone}" in argv


def test_hostile_text_changes_nothing_when_it_looks_like_a_document():
    spec = _spec("pytorchjob", "torch", None, _placeholder)._replace(image="x\n---\nkind: Secret\n")
    objects = render(spec)
    assert [o["kind"] for o in objects] == ["PersistentVolumeClaim", "ConfigMap", "PyTorchJob"]
    containers = objects[-1]["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"]
    assert containers[0]["image"] == "x\n---\nkind: Secret\n"
