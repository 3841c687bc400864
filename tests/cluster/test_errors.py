"""Every cluster failure is one clear line, a non-zero exit, no traceback, well within 30 s."""

import time

import pytest
import yaml

from summlaunch.cluster import client as cluster_module
from summlaunch.cluster import kubeconfig as kubeconfig_module

from .jobs import create_job

COMMANDS = [("list",), ("status", "x"), ("logs", "x"), ("logs", "x", "-f"), ("delete", "x"),
            ("submit", "--name", "x", "--image", "img:1")]


def one_line_error(result, *fragments):
    assert result.code == 2, result
    assert result.out == "" or result.out.startswith("summlaunch"), result
    lines = result.err.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.err, result.err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


@pytest.mark.parametrize("argv", COMMANDS)
def test_unreachable_cluster(fake, cli, argv):
    start = time.monotonic()
    line = one_line_error(cli(*argv, "--context", "unreachable"), "cannot reach the Kubernetes API server",
                          "context unreachable")
    assert time.monotonic() - start < 30, line


@pytest.mark.parametrize("argv", COMMANDS)
def test_missing_broken_kubeconfig_and_unknown_context(fake, cli, tmp_path, monkeypatch, argv):
    one_line_error(cli(*argv, "--kubeconfig", str(tmp_path / "none")), "does not exist", "--kubeconfig")
    broken = tmp_path / "broken"
    broken.write_text("apiVersion: v1\nclusters: [oops\n")
    one_line_error(cli(*argv, "--kubeconfig", str(broken)), "is broken")
    one_line_error(cli(*argv, "--context", "nope"), "context 'nope' is not in kubeconfig", "use one of fake, unreachable")
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "gone"))
    one_line_error(cli(*argv), "KUBECONFIG=", "names no existing file")
    monkeypatch.delenv("KUBECONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    one_line_error(cli(*argv), "no kubeconfig found")


def test_in_cluster_config_is_used_without_kubeconfig(fake, cli, tmp_path, monkeypatch):
    sa = tmp_path / "sa"
    sa.mkdir()
    (sa / "token").write_text("fake-token")
    (sa / "ca.crt").write_text("")
    (sa / "namespace").write_text("default")
    monkeypatch.setattr(kubeconfig_module, "SA_DIR", sa)
    from kubernetes.config import incluster_config
    monkeypatch.setattr(incluster_config, "SERVICE_TOKEN_FILENAME", str(sa / "token"))
    monkeypatch.setattr(incluster_config, "SERVICE_CERT_FILENAME", str(sa / "ca.crt"))
    monkeypatch.delenv("KUBECONFIG")
    monkeypatch.setenv("HOME", str(tmp_path))
    host, port = fake.url.removeprefix("http://").split(":")
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", host)
    monkeypatch.setenv("KUBERNETES_SERVICE_PORT", port)
    # in-cluster config speaks https; the fake speaks http: the failure must still be one located line
    result = cli("list")
    assert result.code == 2 and "Traceback" not in result.err
    assert f"https://{host}:{port}" in result.err or "in-cluster" in result.err, result


@pytest.mark.parametrize("argv", [("status", "nojob"), ("logs", "nojob"), ("delete", "nojob")])
def test_missing_job_and_namespace(fake, cli, argv):
    one_line_error(cli(*argv), "job default/nojob not found", "summlaunch list -n default")
    one_line_error(cli(*argv, "-n", "nons"), "namespace nons does not exist")


def test_missing_namespace_on_submit_and_list(fake, cli):
    one_line_error(cli("submit", "--name", "x", "--image", "img:1", "-n", "nons"), "namespace nons does not exist")
    assert cli("list", "-n", "nons").out.strip() == "No summlaunch jobs in namespace nons."


@pytest.mark.parametrize("argv,verb,plural", [
    (("list",), "list", "pytorchjobs"),
    (("status", "j"), "get", "pytorchjobs"),
    (("logs", "j"), "list", "pods"),
    (("delete", "j"), "delete", "pytorchjobs"),
    (("submit", "--name", "j2", "--image", "img:1"), "create", "pytorchjobs"),
])
def test_forbidden(fake, cli, argv, verb, plural):
    create_job(fake, "j")
    fake.faults.forbid(verb, plural)
    one_line_error(cli(*argv), "forbidden", "ask for RBAC permission in namespace default")


def test_crds_not_installed_name_the_operators(fake, cli):
    for crd in ("pytorchjobs.kubeflow.org", "tfjobs.kubeflow.org", "jobsets.jobset.x-k8s.io",
                "trainjobs.trainer.kubeflow.org"):
        fake.uninstall_crd(crd)
    # batch/v1 Jobs are always served: list works, a missing job names the operators not installed
    assert cli("list").out.strip() == "No summlaunch jobs in namespace default."
    for argv in (("status", "x"), ("logs", "x")):
        one_line_error(cli(*argv), "job default/x not found (no Job of that name", "Kubeflow Training Operator v1",
                       "JobSet controller", "Kubeflow Trainer v2")
    one_line_error(cli("submit", "--name", "x", "--image", "img:1", "--framework", "tf"),
                   "TFJob is not installed", "tfjobs.kubeflow.org", "Kubeflow Training Operator v1")
    one_line_error(cli("submit", "--name", "x", "--image", "img:1", "--kind", "trainjob"),
                   "TrainJob is not installed", "Kubeflow Trainer v2")


def test_transient_500_on_reads_is_retried(fake, cli):
    create_job(fake, "r1")
    fake.faults.error("GET", "/pytorchjobs/r1$", status=500, times=2)
    result = cli("status", "r1", "-o", "yaml")
    assert result.code == 0, result
    assert yaml.safe_load(result.out)["name"] == "r1"


def test_persistent_500_is_one_line(fake, cli):
    fake.faults.error("GET", "/pytorchjobs$", status=503, times=None, message="etcd leader changed")
    one_line_error(cli("list"), "Failed to list pytorchjobs.kubeflow.org", "etcd leader changed")


def test_api_timeout_is_one_line(fake, cli, monkeypatch):
    monkeypatch.setattr(cluster_module, "READ_TIMEOUT", 1.0)
    fake.faults.slow("GET", "/pytorchjobs", delay=3, times=None)
    start = time.monotonic()
    one_line_error(cli("list"), "did not answer within 1 s")
    assert time.monotonic() - start < 5


def test_bad_flags_are_usage_errors(fake, cli):
    result = cli("logs", "x", "--since", "later")
    assert result.code == 2 and "--since" in result.err
