"""Bad values are rejected by helm itself (schema or the chart's validation helper), with a message
naming the value; injection attempts in strings are rejected before they reach a template.

Each case: a values file (YAML text, as a user would write it), the words the error must contain.
Nothing is printed on stdout when helm refuses (no half-rendered objects).
"""

from __future__ import annotations

import pytest

BASE = "image: ghcr.io/example/summtrain:torch-test\n"
BAD = {
    # schema: types, unknown keys, ranges, enums, patterns
    "wrong type": ("gpus: eight\n", ["gpus"]),
    "wrong type (list for a string)": ("cpu: [4]\n", ["cpu"]),
    "unknown key": ("gpuz: 8\n", ["gpuz"]),
    "unknown nested key": ("helmTest: {enabled: true, imagee: x}\n", ["imagee"]),
    "unknown toleration field": ("tolerations: [{key: a, opreator: Exists}]\n", ["opreator"]),
    "negative count": ("gpus: -1\n", ["gpus"]),
    "zero nodes": ("nodes: 0\n", ["nodes"]),
    "negative backoff": ("backoffLimit: -2\n", ["backoffLimit"]),
    "fractional count": ("gpus: 2.5\n", ["gpus"]),
    "bad enum": ("restartPolicy: Sometimes\n", ["restartPolicy"]),
    "bad quantity": ("memory: lots\n", ["memory"]),
    # injection attempts in strings
    "name with quotes": ("name: 'a\"b'\n", ["name"]),
    "name with a newline and a document": ("name: \"x\\n---\\nkind: Secret\"\n", ["name"]),
    "name with template syntax": ("name: \"{{ .Release.Name }}\"\n", ["name"]),
    "image with a newline": ("image: \"ghcr.io/x:1\\n  privileged: true\"\n", ["image"]),
    "label value with YAML syntax": ("labels: {team: \"nlp\\nkind: Secret\"}\n", ["labels"]),
    "label value as a flow mapping": ("labels: {team: \"{a: b}\"}\n", ["labels"]),
    "label key with a colon": ("labels: {\"team: x\": nlp}\n", ["labels"]),
    "env name with a newline": ("env: {\"A\\nB\": x}\n", ["env"]),
    "namespace with template syntax": ("namespace: \"{{ lookup }}\"\n", ["namespace"]),
    # the validation helper: combinations the schema cannot express
    "GPUs that do not divide": ("gpus: 3\nnodes: 2\n", ["gpus 3", "nodes 2"]),
    "GPUs inconsistent with gpusPerNode": ("gpus: 8\nnodes: 2\ngpusPerNode: 2\n", ["gpus 8", "gpusPerNode 2"]),
    "TF with a torch image": ("framework: tf\n", ["image", "torch", "framework tf"]),
    "torch with an XLA image": ("image: ghcr.io/x/summtrain:xla-1\n", ["image", "xla"]),
    "token as a literal env": ("env: {HF_TOKEN_VALUE: hf_abc}\n", ["env.HF_TOKEN_VALUE", "hfTokenSecret"]),
    "token pasted as the secret name": ("hfTokenSecret: hf_AbCdEf0123\n", ["hfTokenSecret"]),
    "reserved env": ("env: {HF_TOKEN: hf_abc}\n", ["env.HF_TOKEN"]),
    "hub token in the training flags": ("train: [--hub_token, hf_abc]\n", ["--hub_token", "hfTokenSecret"]),
    "output_dir off the volume": ("train: [--output_dir, /tmp/out]\n", ["--output_dir", "/workspace/"]),
    "reserved label": ("labels: {summlaunch.dev/job: other}\n", ["labels.summlaunch.dev/job"]),
    "kind for another framework": ("framework: tf\nimage: ghcr.io/x/summtrain:tf-1\nkind: pytorchjob\n",
                                   ["kind pytorchjob", "framework tf"]),
    "tpu with GPUs": ("tpu: v5e-16\ngpus: 8\nimage: ghcr.io/x/summtrain:xla-1\n", ["gpus", "tpu"]),
    "unknown tpu size": ("tpu: v5e-12\nimage: ghcr.io/x/summtrain:xla-1\n", ["tpu", "v5e-12"]),
    "tpu topology of the wrong size": ("tpu: v5e-16\ntpuTopology: 2x4\nimage: ghcr.io/x/summtrain:xla-1\n",
                                       ["tpuTopology", "16"]),
    "tpu-only value without a tpu": ("slices: 2\n", ["slices", "only with tpu"]),
    "priority class on a TrainJob": ("kind: trainjob\npriorityClass: high\n", ["priorityClass", "TrainJob"]),
    "accelerate config for torch": ("accelerateConfig: \"a: b\"\n", ["accelerateConfig", "accelerate"]),
    "release name that is no job name": (None, ["name", "DNS-1035"]),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_values_are_rejected_naming_the_value(helm, case, tmp_path):
    text, words = BAD[case]
    release = "parity"
    if text is None:  # no name value: the release name must then be a valid job name
        text, release = "", "r" * 41
    result = helm.template(BASE + text if "image:" not in text else text, tmp_path, release=release, check=False)
    assert result.returncode != 0, f"helm accepted {case!r}:\n{result.stdout[:2000]}"
    assert result.stdout.strip() == "", "helm printed objects although it refused the values"
    for word in words:
        assert word in result.stderr, f"{case}: {word!r} not in helm's message:\n{result.stderr}"


def test_set_flags_are_checked_too(helm, tmp_path):
    result = helm.run("template", "x", str(__import__("tests.helm._support", fromlist=["CHART"]).CHART),
                      "--set", "gpus=-4")
    assert result.returncode != 0 and "gpus" in result.stderr
