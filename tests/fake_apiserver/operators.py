"""What each training operator makes of a job: one PodPlan per replica, with the operator's env and labels.

PyTorchJob/TFJob follow the Kubeflow training-operator v1 (pods `<job>-<type>-<i>`, MASTER_*/PET_* or
TF_CONFIG), JobSet follows jobset v1alpha2 (Indexed Jobs, pods `<job>-<index>-<random>`,
JOB_COMPLETION_INDEX), TrainJob follows Kubeflow Trainer v2 (a JobSet of `node` pods, PET_* env).
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass, field

KUBEFLOW = "training.kubeflow.org/"
JOBSET = "jobset.sigs.k8s.io/"
COMPLETION_INDEX = "batch.kubernetes.io/job-completion-index"


@dataclass
class PodPlan:
    key: str  # stable identity within the job, e.g. "master-0" or "workers-0-1"
    name: str | None  # fixed pod name, or None: generate_name + random suffix (Job-made pods)
    generate_name: str
    replica_type: str  # as the job spells it: Master, Worker, Chief, a replicatedJob name
    index: int
    template: dict  # the pod template (metadata + spec)
    env: dict  # injected into the main containers
    labels: dict
    annotations: dict = field(default_factory=dict)
    restart_policy: str = "Never"  # the replica's policy as the job states it (ExitCode, OnFailure, ...)
    hostname: str | None = None
    subdomain: str | None = None
    backoff_limit: int = 6


def _replica_specs(job: dict) -> dict:
    spec = job["spec"]
    return spec.get("pytorchReplicaSpecs") or spec.get("tfReplicaSpecs") or {}


def _kubeflow_plans(job: dict, env_for) -> list[PodPlan]:
    name = job["metadata"]["name"]
    plans = []
    for rtype, rspec in _replica_specs(job).items():
        for i in range(int(rspec.get("replicas", 1))):
            labels = {KUBEFLOW + "job-name": name, KUBEFLOW + "replica-type": rtype.lower(),
                      KUBEFLOW + "replica-index": str(i), KUBEFLOW + "operator-name": job["kind"].lower()[:-3]
                      + "job-controller"}
            if rtype in ("Master", "Chief") or (rtype == "Worker" and i == 0 and "Master" not in
                                                 _replica_specs(job) and "Chief" not in _replica_specs(job)):
                labels[KUBEFLOW + "job-role"] = "master"
            pod_name = f"{name}-{rtype.lower()}-{i}"
            policy = rspec.get("restartPolicy", "Never")
            plans.append(PodPlan(f"{rtype.lower()}-{i}", pod_name, "", rtype, i, rspec.get("template", {}),
                                 env_for(job, rtype, i), labels, restart_policy=policy,
                                 hostname=pod_name, subdomain=""))
    return plans


def _port(job: dict, rtype: str, port_name: str, default: int) -> int:
    template = _replica_specs(job).get(rtype, {}).get("template", {})
    for c in template.get("spec", {}).get("containers", []):
        for p in c.get("ports") or []:
            if p.get("name") == port_name:
                return int(p["containerPort"])
    return default


def pytorch_env(job: dict, rtype: str, index: int) -> dict:
    specs = _replica_specs(job)
    name = job["metadata"]["name"]
    nnodes = sum(int(s.get("replicas", 1)) for s in specs.values())
    nproc = str(job["spec"].get("nprocPerNode") or "1")
    world = nnodes * (int(nproc) if nproc.isdigit() else 1)
    master = "Master" if "Master" in specs else "Worker"
    port = str(_port(job, master, "pytorchjob-port", 23456))
    rank = index + 1 if rtype == "Worker" and "Master" in specs else index
    addr = f"{name}-{master.lower()}-0"
    return {"PYTHONUNBUFFERED": "1", "MASTER_ADDR": addr, "MASTER_PORT": port, "WORLD_SIZE": str(world),
            "RANK": str(rank), "PET_MASTER_ADDR": addr, "PET_MASTER_PORT": port, "PET_NNODES": str(nnodes),
            "PET_NPROC_PER_NODE": nproc, "PET_NODE_RANK": str(rank)}


def tf_env(job: dict, rtype: str, index: int) -> dict:
    name, namespace = job["metadata"]["name"], job["metadata"].get("namespace", "default")
    cluster = {}
    for rt, spec in _replica_specs(job).items():
        port = _port(job, rt, "tfjob-port", 2222)
        cluster[rt.lower()] = [f"{name}-{rt.lower()}-{i}.{namespace}.svc:{port}"
                               for i in range(int(spec.get("replicas", 1)))]
    config = {"cluster": cluster, "task": {"type": rtype.lower(), "index": index}, "environment": "cloud"}
    return {"PYTHONUNBUFFERED": "1", "TF_CONFIG": json.dumps(config)}


def jobset_plans(job: dict) -> list[PodPlan]:
    name = job["metadata"]["name"]
    plans, global_index = [], 0
    dns = (job["spec"].get("network") or {}).get("enableDNSHostnames", True)
    subdomain = (job["spec"].get("network") or {}).get("subdomain") or name
    for rjob in job["spec"].get("replicatedJobs", []):
        jspec = rjob["template"].get("spec", {})
        pods = int(jspec.get("parallelism", 1))
        for j in range(int(rjob.get("replicas", 1))):
            job_name = f"{name}-{rjob['name']}-{j}"
            for p in range(int(jspec.get("completions", pods))):
                labels = {JOBSET + "jobset-name": name, JOBSET + "replicatedjob-name": rjob["name"],
                          JOBSET + "replicatedjob-replicas": str(rjob.get("replicas", 1)),
                          JOBSET + "job-index": str(j), JOBSET + "job-global-index": str(global_index),
                          JOBSET + "restart-attempt": "0", JOBSET + "job-key": job_name,
                          "batch.kubernetes.io/job-name": job_name, "job-name": job_name, COMPLETION_INDEX: str(p)}
                annotations = {k: v for k, v in labels.items() if k.startswith(JOBSET)}
                annotations[COMPLETION_INDEX] = str(p)
                template = jspec.get("template", {})
                plans.append(PodPlan(f"{rjob['name']}-{j}-{p}", None, f"{job_name}-{p}-", rjob["name"], p,
                                     template, {"JOB_COMPLETION_INDEX": str(p)}, labels, annotations,
                                     template.get("spec", {}).get("restartPolicy", "Never"),
                                     f"{job_name}-{p}" if dns else None, subdomain if dns else None,
                                     int(jspec.get("backoffLimit", 6))))
            global_index += 1
    return plans


def trainjob_plans(job: dict, runtime: dict | None) -> list[PodPlan]:
    """TrainJob -> the `node` pods of the JobSet that Trainer v2 would make from the runtime."""
    name = job["metadata"]["name"]
    trainer = job["spec"].get("trainer") or {}
    ml = ((runtime or {}).get("spec") or {}).get("mlPolicy") or {}
    nodes = int(trainer.get("numNodes") or ml.get("numNodes") or 1)
    nproc = str(trainer.get("numProcPerNode") or (ml.get("torch") or {}).get("numProcPerNode") or "1")
    template = _runtime_node_template(runtime)
    container = next((c for c in template["spec"]["containers"] if c["name"] == "node"), None)
    if container is None:
        container = {"name": "node"}
        template["spec"]["containers"].insert(0, container)
    for key in ("image", "command", "args"):
        if key in trainer:
            container[key] = trainer[key]
    if "resourcesPerNode" in trainer:
        container["resources"] = trainer["resourcesPerNode"]
    container["env"] = list(container.get("env") or []) + list(trainer.get("env") or [])
    fake = {"metadata": job["metadata"], "spec": {"replicatedJobs": [
        {"name": "node", "replicas": 1, "template": {"spec": {"parallelism": nodes, "completions": nodes,
                                                               "backoffLimit": 0, "template": template}}}]}}
    plans = jobset_plans(fake)
    master = f"{name}-node-0-0.{name}"
    for plan in plans:
        plan.env.update({"PET_NNODES": str(nodes), "PET_NPROC_PER_NODE": nproc, "PET_NODE_RANK": str(plan.index),
                         "PET_MASTER_ADDR": master, "PET_MASTER_PORT": "29400"})
        plan.labels["trainer.kubeflow.org/trainjob-ancestor-step"] = "trainer"
    return plans


def _runtime_node_template(runtime: dict | None) -> dict:
    for rjob in (((runtime or {}).get("spec") or {}).get("template") or {}).get("spec", {}).get("replicatedJobs", []):
        if rjob.get("name") == "node":
            template = copy.deepcopy(rjob["template"]["spec"]["template"])
            template.setdefault("spec", {}).setdefault("containers", [])
            return template
    return {"metadata": {}, "spec": {"restartPolicy": "Never", "containers": []}}


def plans_for(job: dict, runtime: dict | None = None) -> list[PodPlan]:
    kind = job["kind"]
    if kind == "PyTorchJob":
        return _kubeflow_plans(job, pytorch_env)
    if kind == "TFJob":
        return _kubeflow_plans(job, tf_env)
    if kind == "JobSet":
        return jobset_plans(job)
    if kind == "TrainJob":
        return trainjob_plans(job, runtime)
    raise ValueError(f"no operator for {kind}")
