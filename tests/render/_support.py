"""Helpers for the render tests: run a case through the real CLI, validate objects."""

from __future__ import annotations

import io
import os
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import yaml

TESTS = Path(__file__).resolve().parents[1]
CASES = TESTS / "cases"
GOLDEN = TESTS / "golden"
CNRM = "container.cnrm.cloud.google.com/v1beta1"
CORE_KINDS = ("Service", "PersistentVolumeClaim", "ConfigMap")


def case_names() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.yaml"))


def case_argv(name: str) -> list[str]:
    case = yaml.safe_load((CASES / f"{name}.yaml").read_text())
    args = [a.replace("{cases}", str(CASES)) for a in case["args"]]
    return ["render", *args, "--", *case.get("train", [])]


def run_cli(argv: list[str]) -> tuple[int, str, str]:
    """summlaunch's real entry point, in process, with NO_COLOR=1."""
    from summlaunch import cli

    os.environ["NO_COLOR"] = "1"
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def nodepool_errors(obj: dict) -> list[str]:
    """A minimal shape check of a Config Connector ContainerNodePool (no schema ships here)."""
    errors = []
    spec = obj.get("spec", {})
    allowed = {"clusterRef", "location", "nodeLocations", "nodeCount", "nodeConfig", "management",
               "placementPolicy"}
    errors += [f"spec.{k}: unknown field" for k in set(spec) - allowed]
    if not isinstance(spec.get("clusterRef", {}).get("name"), str):
        errors.append("spec.clusterRef.name: required string")
    if not isinstance(spec.get("location"), str):
        errors.append("spec.location: required string")
    if not isinstance(spec.get("nodeCount"), int) or spec["nodeCount"] < 1:
        errors.append("spec.nodeCount: positive integer required")
    if not isinstance(spec.get("nodeConfig", {}).get("machineType"), str):
        errors.append("spec.nodeConfig.machineType: required string")
    policy = spec.get("placementPolicy")
    if policy is not None and (set(policy) - {"type", "tpuTopology", "policyName"} or policy.get("type") != "COMPACT"):
        errors.append("spec.placementPolicy: only type COMPACT and tpuTopology")
    return errors


def object_errors(obj: dict) -> list[str]:
    from support import crds

    if obj.get("apiVersion") == CNRM and obj.get("kind") == "ContainerNodePool":
        return nodepool_errors(obj) + crds.metadata_errors(obj)
    if (obj.get("apiVersion") == "v1" and obj.get("kind") in CORE_KINDS) or obj.get("apiVersion") == "batch/v1":
        return crds.core_errors(obj)
    return crds.crd_errors(obj)
