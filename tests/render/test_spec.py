"""JobSpec from flags and run files: each validation error, defaults, derivations, overrides."""

from __future__ import annotations


import pytest

from summlaunch.errors import SummlaunchError
from summlaunch.jobspec.spec import JobSpec
from summlaunch.jobspec.build import build_spec, derive_name

IMG = "ghcr.io/example/summtrain:torch-test"


def build(train=(), run_file=None, **flags):
    warnings: list[str] = []
    flags.setdefault("image", IMG)
    spec = build_spec(flags, list(train), run_file, warn=warnings.append)
    return spec, warnings


ERRORS = [
    ({"name": "T5_CNN"}, (), "--name 'T5_CNN': must be a DNS-1035 label"),
    ({"name": "a" * 41}, (), "at most 40 characters"),
    ({"name": "9lives"}, (), "starting with a letter"),
    ({"framework": "pytorch"}, (), "--framework 'pytorch': not a valid choice; did you mean 'torch'?"),
    ({"kind": "tfjob"}, (), "--kind tfjob: not for --framework torch; use pytorchjob or trainjob"),
    ({"kind": "mpijob"}, (), "--kind 'mpijob': not a valid choice"),
    ({"gpus": "7", "nodes": "2"}, (), "--gpus 7: cannot be split evenly over --nodes 2"),
    ({"gpus": "8", "gpus_per_node": "3"}, (), "--gpus 8: not a multiple of --gpus-per-node 3"),
    ({"gpus": "8", "nodes": "2", "gpus_per_node": "3"}, (), "does not equal --nodes 2 x --gpus-per-node 3"),
    ({"gpus": "eight"}, (), "--gpus 'eight': must be a whole number"),
    ({"nodes": "0"}, (), "--nodes '0': must be at least 1"),
    ({"gpus": "-2"}, (), "--gpus '-2': must be at least 0"),
    ({"tpu": "v5e-12"}, (), "--tpu: 'v5e-12' is not a v5e size; valid: v5e-1, v5e-4, v5e-8, v5e-16"),
    ({"tpu": "v9-8"}, (), "--tpu: unknown TPU generation 'v9'"),
    ({"tpu": "v5e16"}, (), "is not GENERATION-SIZE"),
    ({"tpu": "v5e-16", "framework": "tf"}, (), "--tpu: TPUs run with --framework xla, not 'tf'"),
    ({"framework": "xla"}, (), "--framework xla: needs --tpu TYPE"),
    ({"tpu": "v5e-16", "gpus": "4"}, (), "not with --tpu"),
    ({"slices": "2"}, (), "--slices: only with --tpu"),
    ({"gke_cluster": "c1"}, (), "--gke-cluster: only with --tpu"),
    ({"privileged": True}, (), "--privileged: only with --tpu"),
    ({"node_pool": False}, (), "--node-pool: only with --tpu"),
    ({"tpu": "v5e-4", "image": "summtrain:xla-1", "gke_cluster": "Bad_Name"}, (), "--gke-cluster 'Bad_Name'"),
    ({"tpu": "v5e-16", "tpu_topology": "2x8x1"}, (), "not a 2-dimensional topology"),
    ({"tpu": "v5e-16", "tpu_topology": "4x8"}, (), "4x8 has 32 chips but v5e-16 has 16"),
    ({"tpu": "v5e-16", "slices": "0"}, (), "--slices '0': must be at least 1"),
    ({"cpu": "lots"}, (), "--cpu 'lots': not a positive Kubernetes quantity"),
    ({"memory": "0Gi"}, (), "--memory '0Gi'"),
    ({"shm_size": "8 GB"}, (), "--shm-size '8 GB'"),
    ({"env": ["HF_TOKEN=hf_abc"]}, (), "--env 'HF_TOKEN': is set by summlaunch"),
    ({"env": ["WANDB_API_KEY=abc"]}, (), "looks like a secret"),
    ({"env": ["1BAD=x"]}, (), "not a valid environment variable name"),
    ({"env": ["NOEQUALS"]}, (), "--env 'NOEQUALS': expected KEY=VALUE"),
    ({"labels": ["summlaunch.dev/job=x"]}, (), "is set by summlaunch"),
    ({"labels": ["team=has space"]}, (), "--label 'has space': not a valid label value"),
    ({"annotations": ["bad key=x"]}, (), "--annotation 'bad key': not a valid Kubernetes key"),
    ({"node_selector": ["pool=a/b"]}, (), "--node-selector 'a/b'"),
    ({"tolerations": ["gpu:Sometimes"]}, (), "--toleration effect 'Sometimes'"),
    ({"restart_policy": "Sometimes"}, (), "--restart-policy 'Sometimes': not a valid choice"),
    ({"image_pull_policy": "always"}, (), "did you mean 'Always'?"),
    ({"pvc": "My PVC"}, (), "--pvc 'My PVC': must be a lowercase DNS-1123 name"),
    ({"hf_token_secret": "HF"}, (), "--hf-token-secret 'HF'"),
    ({"namespace": "a.b"}, (), "--namespace 'a.b': must be a DNS-1123 label"),
    ({"queue": "q!"}, (), "--queue 'q!'"),
    ({"backoff_limit": "-1"}, (), "--backoff-limit '-1': must be at least 0"),
    ({"active_deadline": "0"}, (), "--active-deadline '0': must be at least 1"),
    ({"kind": "trainjob", "priority_class": "high"}, (), "--priority-class: a TrainJob cannot set it"),
    ({"accelerate_config": "x.yaml"}, (), "--accelerate-config: only for --framework accelerate"),
    ({"framework": "accelerate", "accelerate_config": "/nonexistent.yaml"}, (), "cannot read it"),
    ({"image": "has space"}, (), "--image 'has space': not an image reference"),
    ({"framework": "tf"}, (), "looks like a torch image but --framework tf needs the tf stack"),
    ({"tpu": "v5e-4"}, (), "looks like a torch image but --framework xla needs the xla stack"),
    ({"tpu": "v5e-4", "image": "summtrain:xla-1", "gke_location": "Mars"}, (), "--gke-location 'Mars'"),
    ({}, ("--fp16",), "--fp16 with the default (tiny T5) model: T5 overflows in float16"),
    ({}, ("--model_name_or_path", "t5-small", "--fp16"), "--fp16 with t5-small: T5 overflows"),
    ({}, ("--model_name_or_path", "google/flan-t5-base", "--fp16"), "use --bf16"),
    ({}, ("--output_dir", "/tmp/out"), "--output_dir /tmp/out: not on the shared volume"),
    ({}, ("--output_dir", "/workspace/../etc"), "not on the shared volume"),
    ({}, ("--hub_token", "hf_x"), "--hub_token: never put a token in a manifest"),
    ({"tpu": "v5e-4", "image": "summtrain:xla-1"}, ("--pad_to_max_length", "false"), "XLA/TPU needs static shapes"),
    ({}, ("--backend", "tf"), "--backend tf: the launcher sets it from --framework torch"),
    ({}, ("--do_trian",), "training flags: unknown training flag --do_trian (did you mean --do_train?)"),
    ({}, ("--num_train_epochs", "many"), "training flags:"),
]


@pytest.mark.parametrize("flags,train,message", ERRORS, ids=[e[2][:40] for e in ERRORS])
def test_validation_error(flags, train, message):
    with pytest.raises(SummlaunchError) as info:
        build(train, **flags)
    text = str(info.value)
    assert message in text
    assert "\n" not in text


def test_defaults_cpu_single_node():
    spec, warnings = build(name="t5")
    assert (spec.framework, spec.kind, spec.nodes, spec.gpus_per_node, spec.namespace) == ("torch", "pytorchjob", 1, 0, "default")
    assert spec.pvc == "summlaunch-workspace" and spec.pvc_size is None
    assert spec.train_args == ("--output_dir", "/workspace/outputs/t5")
    assert warnings == []


@pytest.mark.parametrize("flags,nodes,per_node", [
    ({"gpus": "8"}, 1, 8), ({"gpus": "8", "nodes": "2"}, 2, 4), ({"gpus": "16", "gpus_per_node": "8"}, 2, 8),
    ({"nodes": "3", "gpus_per_node": "2"}, 3, 2), ({"gpus": "8", "nodes": "2", "gpus_per_node": "4"}, 2, 4),
    ({"nodes": "2"}, 2, 0),
])
def test_gpu_layouts(flags, nodes, per_node):
    spec, _ = build(**flags)
    assert (spec.nodes, spec.gpus_per_node, spec.total_gpus) == (nodes, per_node, nodes * per_node)


def test_tpu_implies_xla_and_hosts():
    spec, warnings = build(tpu="v5litepod-16", slices="2", image="summtrain:xla-1")
    assert (spec.framework, spec.kind, spec.nodes, spec.slices) == ("xla", "jobset", 4, 2)
    assert spec.tpu.tpu_type == "v5e-16" and spec.tpu.topology == "4x4"
    assert "--pad_to_max_length" in spec.train_args
    assert any("static shapes" in w for w in warnings)


def test_default_image_is_the_build_tag():
    from summlaunch.images.stacks import image_ref

    spec, _ = build(image=None, framework="tf")
    assert spec.image == image_ref("tf")


def test_default_image_takes_pins_and_registry():
    from summlaunch.images.stacks import image_ref

    spec, _ = build(image=None, registry="ghcr.io/acme")
    assert spec.image == image_ref("torch", [], "ghcr.io/acme")
    assert spec.image.startswith("ghcr.io/acme/")


@pytest.mark.parametrize("model,t5", [("t5-small", True), ("google/flan-t5-base", True), ("google/mt5-small", True),
                                      ("google/byt5-small", True), ("google/long-t5-tglobal-base", True),
                                      ("facebook/bart-large-cnn", False), ("google/pegasus-xsum", False)])
def test_fp16_is_refused_only_for_t5(model, t5):
    if t5:
        with pytest.raises(SummlaunchError, match="use --bf16"):
            build(["--model_name_or_path", model, "--fp16"])
    else:
        spec, _ = build(["--model_name_or_path", model, "--fp16"])
        assert "--fp16" in spec.train_args


def test_do_eval_without_generate_warns():
    _, warnings = build(train=("--do_eval",))
    assert any("--predict_with_generate" in w for w in warnings)
    _, warnings = build(train=("--do_eval", "--predict_with_generate"))
    assert warnings == []


@pytest.mark.parametrize("framework", ["accelerate", "tf"])
def test_do_eval_does_not_warn_where_evaluation_generates(framework):
    """The no_trainer and TF back ends generate during evaluation, as upstream's scripts do."""
    _, warnings = build(train=("--do_eval",), framework=framework, image=f"ghcr.io/example/summtrain:{framework}-test")
    assert not any("--predict_with_generate" in w for w in warnings), warnings


def test_output_dir_on_volume_is_kept():
    spec, _ = build(train=("--output_dir", "/workspace/runs/a"))
    assert spec.output_dir == "/workspace/runs/a"
    assert spec.train_args.count("--output_dir") == 1


@pytest.mark.parametrize("argv,name", [
    (["--output_dir", "/workspace/outputs/T5_CNN.v2/"], "t5-cnn-v2"),
    (["--model_name_or_path", "google/flan-t5-small"], "flan-t5-small"),
    (["--model_name_or_path", "/models/2024_model"], "summ-2024-model"),
    ([], "summlaunch"),
    (["--output_dir=/workspace/" + "x" * 60], "x" * 40),
])
def test_derived_name(argv, name):
    assert derive_name(argv) == name
    spec, _ = build(train=argv)
    assert spec.name == name


def test_pvc_size_creates_a_named_claim():
    spec, _ = build(name="job", pvc_size="100Gi")
    assert (spec.pvc, spec.pvc_size) == ("job-workspace", "100Gi")


def test_run_file_and_flags_override(tmp_path):
    run = tmp_path / "run.yaml"
    run.write_text("name: from-file\nnamespace: research\ngpus: 4\nenv: {A: '1', B: '2'}\n"
                   "train: {model_name_or_path: t5-small, do_train: true, num_train_epochs: 3, fp16: false}\n")
    spec, _ = build(["--learning_rate", "1e-4"], str(run), namespace="override", env=["B=3"])
    assert (spec.name, spec.namespace, spec.gpus_per_node) == ("from-file", "override", 4)
    assert dict(spec.env) == {"A": "1", "B": "3"}
    assert spec.train_args[:9] == ("--model_name_or_path", "t5-small", "--do_train", "--num_train_epochs", "3",
                                   "--fp16", "false", "--learning_rate", "1e-4")


@pytest.mark.parametrize("text,message", [
    ("gpu: 4\n", "unknown key 'gpu'; did you mean 'gpus'?"),
    ("- a\n", "expected a mapping of fields"),
    ("name: [unclosed\n", "not valid YAML"),
    ("train: 3\n", "train: expected a list of flags"),
])
def test_run_file_errors(tmp_path, text, message):
    run = tmp_path / "run.yaml"
    run.write_text(text)
    with pytest.raises(SummlaunchError) as info:
        build(run_file=str(run))
    assert message in str(info.value)


def test_missing_run_file():
    with pytest.raises(SummlaunchError, match="cannot read the run file"):
        build(run_file="/nonexistent/run.yaml")


def test_accelerate_config_drops_machine_keys(tmp_path):
    cfg = tmp_path / "acc.yaml"
    cfg.write_text("compute_environment: LOCAL_MACHINE\nmachine_rank: 3\nmain_process_ip: 1.2.3.4\n"
                   "num_machines: 9\nnum_processes: 9\nmixed_precision: bf16\n")
    spec, _ = build(framework="accelerate", accelerate_config=str(cfg), gpus="8", nodes="2")
    assert spec.accelerate_config == "compute_environment: LOCAL_MACHINE\nmixed_precision: bf16\n"


def test_run_file_accelerate_config_is_relative_to_the_run_file(tmp_path):
    (tmp_path / "acc.yaml").write_text("compute_environment: LOCAL_MACHINE\nmixed_precision: fp16\n")
    (tmp_path / "run.yaml").write_text("framework: accelerate\naccelerate_config: acc.yaml\n")
    spec, _ = build(run_file=str(tmp_path / "run.yaml"))
    assert "mixed_precision: fp16" in spec.accelerate_config


@pytest.mark.parametrize("flags", [{"tpu": "v5e-4", "image": "summtrain:xla-1", "restart_policy": "Never"},
                                   {"kind": "trainjob", "backoff_limit": "7"}])
def test_settings_a_kind_cannot_honour_warn(flags):
    _, warnings = build(**flags)
    assert any("ignored" in w for w in warnings)


def test_spec_is_frozen():
    spec, _ = build()
    with pytest.raises(AttributeError):
        spec.name = "other"  # type: ignore[misc]
    assert isinstance(spec, JobSpec)
