"""submit against the fake API server: order, dry runs, 409/--replace, the HF token Secret, rollback, --follow."""

import base64

import yaml

from .scripted import wait_for

IMG = ("--image", "registry.example/summ:1")


def test_submit_creates_pvc_then_job_and_prints_next_steps(fake, cli):
    result = cli("submit", "--name", "sub1", *IMG, "--nodes", "2", "--pvc-size", "1Gi")
    assert result.code == 0, result
    assert "submitted PyTorchJob default/sub1" in result.out
    assert "summlaunch logs sub1 -f -n default" in result.out
    posts = [path for method, path, _ in fake.requests if method == "POST"]
    assert posts[-2:] == ["/api/v1/namespaces/default/persistentvolumeclaims",
                          "/apis/kubeflow.org/v1/namespaces/default/pytorchjobs"]
    assert fake.get("pytorchjobs", "sub1")["spec"]["pytorchReplicaSpecs"]["Worker"]["replicas"] == 1


def test_submit_uses_context_namespace_and_dash_n(fake, cli, tmp_path):
    fake.store.create(fake.namespaces, {"metadata": {"name": "team"}, "status": {"phase": "Active"}})
    fake.write_kubeconfig(fake.kubeconfig, namespace="team")
    assert cli("submit", "--name", "ns1", *IMG).code == 0
    assert fake.get("pytorchjobs", "ns1", "team")
    assert cli("submit", "--name", "ns2", *IMG, "-n", "default").code == 0
    assert fake.get("pytorchjobs", "ns2", "default")


def test_submit_existing_job_is_a_clear_409_and_replace_works(fake, cli):
    assert cli("submit", "--name", "dup", *IMG).code == 0
    uid = fake.get("pytorchjobs", "dup")["metadata"]["uid"]
    again = cli("submit", "--name", "dup", *IMG)
    assert again.code == 2
    assert again.err.strip().splitlines() == [
        "summlaunch submit: error: PyTorchJob default/dup already exists: `summlaunch delete dup -n default` "
        "first, or resubmit with --replace"]
    replaced = cli("submit", "--name", "dup", *IMG, "--replace")
    assert replaced.code == 0, replaced
    assert fake.get("pytorchjobs", "dup")["metadata"]["uid"] != uid


def test_dry_run_client_prints_objects_and_sends_nothing(fake, cli, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_supersecret")
    before = len(fake.requests)
    result = cli("submit", "--name", "dr", *IMG, "--hf-token-from-env", "--dry-run=client")
    assert result.code == 0, result
    docs = list(yaml.safe_load_all(result.out))
    assert [d["kind"] for d in docs] == ["Secret", "PyTorchJob"]
    assert "hf_supersecret" not in result.out + result.err
    assert len(fake.requests) == before


def test_dry_run_server_validates_without_creating(fake, cli):
    result = cli("submit", "--name", "drs", *IMG, "--pvc-size", "1Gi", "--dry-run=server")
    assert result.code == 0, result
    assert "nothing was created" in result.out
    assert any("dryRun=All" in q for m, _, q in fake.requests if m == "POST")
    assert fake.list("pytorchjobs") == [] and fake.list("persistentvolumeclaims") == []


def test_hf_token_secret_from_env_is_created_and_never_printed(fake, cli, monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_supersecret")
    result = cli("submit", "--name", "tok", *IMG, "--hf-token-from-env")
    assert result.code == 0, result
    secret = fake.get("secrets", "summlaunch-hf-token")
    assert base64.b64decode(secret["data"]["token"]).decode() == "hf_supersecret"
    assert "hf_supersecret" not in result.out + result.err
    env = fake.get("pytorchjobs", "tok")["spec"]["pytorchReplicaSpecs"]["Master"]["template"]["spec"]["containers"][0]
    assert "hf_supersecret" not in str(env)
    missing = cli("submit", "--name", "tok2", *IMG, "--hf-token-from-env")
    monkeypatch.delenv("HF_TOKEN")
    missing = cli("submit", "--name", "tok3", *IMG, "--hf-token-from-env")
    assert missing.code == 2 and "HF_TOKEN is not set" in missing.err


def test_failed_job_create_rolls_back_side_objects(fake, cli):
    # the server dry run passes; the real create fails after the PVC was made
    fake.faults.error("POST", "/pytorchjobs$", status=500, message="etcdserver: request timed out", query="^$")
    result = cli("submit", "--name", "rb", *IMG, "--pvc-size", "1Gi")
    assert result.code == 2
    line, = result.err.strip().splitlines()
    assert "Failed to create PyTorchJob default/rb" in line and "etcdserver: request timed out" in line
    assert "rolled back: deleted PersistentVolumeClaim default/rb-workspace" in line
    assert fake.list("persistentvolumeclaims") == [] and fake.list("pytorchjobs") == []


def test_submit_rejected_by_schema_creates_nothing(fake, cli):
    fake.faults.error("POST", "/pytorchjobs$", status=422, message='PyTorchJob.kubeflow.org "bad" is invalid')
    result = cli("submit", "--name", "bad", *IMG, "--pvc-size", "1Gi")
    assert result.code == 2 and "is invalid" in result.err
    assert fake.list("persistentvolumeclaims") == []


def test_submit_follow_streams_until_success(fake, cli):
    fake.kubelet.script("fol-*", lines=["hello", "step 1 loss 2.0", "bye"])
    result = cli("submit", "--name", "fol", *IMG, "--nodes", "2", "--follow")
    assert result.code == 0, result
    lines = result.out.splitlines()
    assert "submitted PyTorchJob default/fol" in lines[0]
    for replica in ("master-0", "worker-0"):
        assert [ln.split(None, 1)[1] for ln in lines if ln.startswith(f"[{replica}]")] == \
            ["hello", "step 1 loss 2.0", "bye"]
    assert "job default/fol succeeded" in result.err


def test_submit_without_crd_names_the_operator(fake, cli):
    fake.uninstall_crd("pytorchjobs.kubeflow.org")
    result = cli("submit", "--name", "nocrd", *IMG, "--pvc-size", "1Gi")
    assert result.code == 2
    assert "Kubeflow Training Operator v1" in result.err and "pytorchjobs.kubeflow.org" in result.err
    assert fake.list("persistentvolumeclaims") == []


def test_submit_tpu_skips_node_pool_without_config_connector(fake, cli):
    result = cli("submit", "--name", "tpu1", *IMG, "--framework", "xla", "--tpu", "v5e-16")
    assert result.code == 0, result
    assert "skipping ContainerNodePool" in result.err
    assert fake.get("jobsets", "tpu1")
    wait_for(lambda: fake.list("services"), what="service")
