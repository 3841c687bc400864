"""The fake operators: reconcile PyTorchJob, TFJob, JobSet and TrainJob into pods and job status.

Kueue is played too: `hold_admission` suspends matching jobs when they are created (as Kueue's webhook
does) and keeps them suspended with a Pending event until `admit`.
"""

from __future__ import annotations

import copy
import fnmatch
import queue
import threading

from . import conditions as cond
from . import operators
from .batchjob import JobController
from .kubelet import MAIN_CONTAINERS
from .store import NotFound, now_iso

JOB_KINDS = ("PyTorchJob", "TFJob", "JobSet", "TrainJob", "Job")  # Job: batch/v1, see batchjob.py
KUEUE_PENDING = ("couldn't assign flavors to pod set {pod_set}: insufficient unused quota for nvidia.com/gpu in "
                 "flavor default-flavor, 8 more needed")


def _suspend_path(job: dict) -> tuple[dict, str]:
    if job["kind"] in cond.KUBEFLOW_KINDS:
        return job["spec"].setdefault("runPolicy", {}), "suspend"
    return job["spec"], "suspend"


def is_suspended(job: dict) -> bool:
    parent, key = _suspend_path(copy.deepcopy(job))
    return bool(parent.get(key))


def _exit_code(pod: dict) -> int:
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (status.get("state") or {}).get("terminated")
        if terminated and terminated.get("exitCode"):
            return int(terminated["exitCode"])
    return 0


def _failed_replicas(plans) -> str:
    """Like "1 Master replica(s) failed, 2 Worker replica(s) failed" (the training operator's words)."""
    types = sorted({p.replica_type for p in plans})
    return ", ".join(f"{sum(p.replica_type == t for p in plans)} {t} replica(s) failed" for t in types)


class Controller:
    def __init__(self, cluster):
        self.cluster = cluster
        self.holds: list[tuple[str, str]] = []  # (job name glob, Kueue message)
        self._queue: queue.Queue = queue.Queue()
        self._restarts: dict[str, int] = {}  # job uid -> pods recreated
        self.jobs = JobController(cluster)  # batch/v1 Jobs
        self._thread = threading.Thread(target=self._loop, name="fake-operators", daemon=True)
        cluster.store.listeners.append(self._on_change)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._queue.put(None)

    # -- Kueue --------------------------------------------------------------------------------------
    def hold_admission(self, pattern: str = "*", message: str | None = None) -> None:
        """Jobs created from now on whose name matches stay suspended, as when Kueue does not admit them."""
        self.holds.append((pattern, message or KUEUE_PENDING))

    def admit(self, name: str, namespace: str = "default") -> None:
        """Kueue admits the job: it is unsuspended and its pods start."""
        self.holds = [(p, m) for p, m in self.holds if not fnmatch.fnmatchcase(name, p)]
        res, job = self._find_job(namespace, name)

        def resume(obj):
            parent, key = _suspend_path(obj)
            parent[key] = False
        job = self.cluster.store.mutate(res, namespace, name, resume)
        self.cluster.recorder.emit(job, "Admitted", "Admitted by ClusterQueue cluster-queue, wait time since "
                                   "reservation was 0s", component="kueue-admission")

    def _find_job(self, namespace: str, name: str):
        for kind in JOB_KINDS:
            for res in self.cluster.catalog.all():
                if res.kind == kind:
                    job = self.cluster.store.find(res, namespace, name)
                    if job:
                        return res, job
        raise NotFound(name)

    # -- the loop -----------------------------------------------------------------------------------
    def _on_change(self, kind: str, key: tuple, obj: dict) -> None:
        if obj.get("kind") in JOB_KINDS and kind != "DELETED":
            self._queue.put((key[1], key[2], key[3]))
        elif key[:2] == ("", "pods"):
            for ref in obj["metadata"].get("ownerReferences") or []:
                if ref.get("kind") in JOB_KINDS:
                    plural = next(r.plural for r in self.cluster.catalog.all() if r.kind == ref["kind"])
                    self._queue.put((plural, key[2], ref["name"]))

    def _loop(self) -> None:
        while True:
            try:
                item = self._queue.get(timeout=1.0)
            except queue.Empty:
                continue
            if item is None:
                return
            pending = {item}
            while not self._queue.empty():
                nxt = self._queue.get_nowait()
                if nxt is None:
                    return
                pending.add(nxt)
            for plural, namespace, name in pending:
                res = next((r for r in self.cluster.catalog.all() if r.plural == plural
                             and (r.crd or r.group == "batch")), None)
                if res is not None and not self.cluster.stopping:
                    try:
                        (self.jobs.reconcile if res.group == "batch" else self.reconcile)(res, namespace, name)
                    except Exception as e:  # a bug in the fake: the fixture reports it at teardown
                        self.cluster.errors.append(e)

    # -- reconcile ----------------------------------------------------------------------------------
    def reconcile(self, res, namespace: str, name: str) -> None:
        job = self.cluster.store.find(res, namespace, name)
        if job is None:
            return
        status = copy.deepcopy(job.get("status") or {})
        if cond.terminal(job):  # finished: only the replica counts still move
            plans, pods = self._plans_and_pods(job)
            self._store_status(res, job, {**status, **self._replica_status(job, plans, pods)})
            return
        if not status.get("conditions") and job["kind"] in cond.KUBEFLOW_KINDS:
            cond.set_condition(status, job["kind"], "created", True, cond.message(job, "created"))
            self.cluster.recorder.emit(job, cond.reason(job["kind"], "created"), cond.message(job, "created"),
                                       component=self._component(job))
        job = self._apply_holds(res, job)
        if is_suspended(job):
            self._suspend(res, job, status)
            return
        plans, pods = self._plans_and_pods(job)
        state, detail = self._drive(job, plans, pods)
        self._write_status(res, job, status, plans, pods, state, detail)

    def _plans_and_pods(self, job: dict) -> tuple[list, list[dict]]:
        plans = operators.plans_for(job, self._runtime(job))
        uid = job["metadata"]["uid"]
        pods = [p for p in self.cluster.store.list(self.cluster.pods, job["metadata"].get("namespace"))
                if any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences") or [])]
        return plans, pods

    def _apply_holds(self, res, job: dict) -> dict:
        """Kueue's webhook suspends a new job that matches a hold (it has not been admitted)."""
        match = next((m for p, m in self.holds if fnmatch.fnmatchcase(job["metadata"]["name"], p)), None)
        if match is None or is_suspended(job) or (job.get("status") or {}).get("startTime"):
            return job

        def suspend(obj):
            parent, key = _suspend_path(obj)
            parent[key] = True
        job = self.cluster.store.mutate(res, job["metadata"].get("namespace"), job["metadata"]["name"], suspend)
        pod_set = (operators.plans_for(job, self._runtime(job)) or [None])[0]
        text = match.format(pod_set=pod_set.replica_type.lower() if pod_set else "main")
        self.cluster.recorder.emit(job, "Pending", text, "Warning", "kueue-admission")
        return job

    def _suspend(self, res, job: dict, status: dict) -> None:
        for pod in self.cluster.store.list(self.cluster.pods, job["metadata"].get("namespace")):
            if any(r.get("uid") == job["metadata"]["uid"] for r in pod["metadata"].get("ownerReferences") or []):
                self.cluster.store.delete(self.cluster.pods, pod["metadata"]["namespace"], pod["metadata"]["name"])
        if cond.set_condition(status, job["kind"], "suspended", True, cond.message(job, "suspended")):
            self.cluster.recorder.emit(job, cond.reason(job["kind"], "suspended"), cond.message(job, "suspended"),
                                       component=self._component(job))
        self._store_status(res, job, status)

    def _runtime(self, job: dict) -> dict | None:
        if job["kind"] != "TrainJob":
            return None
        ref = job["spec"].get("runtimeRef") or {}
        try:
            res = self.cluster.resource("clustertrainingruntimes")
        except KeyError:
            return None
        return self.cluster.store.find(res, None, ref.get("name", ""))

    @staticmethod
    def _component(job: dict) -> str:
        return f"{job['kind'].lower()}-controller"

    def _drive(self, job: dict, plans, pods) -> tuple[str, str]:
        """Create missing pods, replace failed ones the policy retries; the job's state and why."""
        failed, restarted = [], []
        for plan in plans:
            mine = [p for p in pods if all(p["metadata"].get("labels", {}).get(k) == v
                                           for k, v in plan.labels.items())]
            phases = [p.get("status", {}).get("phase") for p in mine]
            retried = bool(mine) and phases.count("Failed") == len(mine) and self._retry(job, plan, mine)
            if retried:
                restarted.append(plan)
            elif mine and phases.count("Failed") == len(mine):
                failed.append(plan)
            if not mine or retried:
                self._create_pod(job, plan)
        if failed:
            return "failed", _failed_replicas(failed)
        if restarted and job["kind"] in cond.KUBEFLOW_KINDS:
            return "restarting", _failed_replicas(restarted)
        if self._succeeded(job, plans, pods):
            return "succeeded", ""
        limit = (job["spec"].get("runPolicy") or {}).get("backoffLimit")
        restarts = self._restarts.get(job["metadata"]["uid"], 0) + sum(
            s.get("restartCount", 0) for p in pods for s in p.get("status", {}).get("containerStatuses") or [])
        if limit is not None and restarts > int(limit):
            return "failed", "it has reached the specified backoff limit"
        running = any(p.get("status", {}).get("phase") == "Running" for p in pods)
        return ("running" if running else "created"), ""

    def _retry(self, job: dict, plan, mine: list[dict]) -> bool:
        """A replica's pods all failed: does the operator make a new one?"""
        uid = job["metadata"]["uid"]
        if job["kind"] in cond.KUBEFLOW_KINDS:
            if plan.restart_policy != "ExitCode" or _exit_code(mine[-1]) < 128:
                return False
            for pod in mine:  # the operator deletes the failed pod and creates it again, same name
                self.cluster.store.delete(self.cluster.pods, pod["metadata"]["namespace"], pod["metadata"]["name"])
            self._restarts[uid] = self._restarts.get(uid, 0) + 1
            return True
        if len(mine) <= plan.backoff_limit:  # the Job controller makes a new pod (new name), up to backoffLimit
            self._restarts[uid] = self._restarts.get(uid, 0) + 1
            return True
        return False

    @staticmethod
    def _succeeded(job: dict, plans, pods) -> bool:
        def done(plan):
            return any(p.get("status", {}).get("phase") == "Succeeded" and all(
                p["metadata"].get("labels", {}).get(k) == v for k, v in plan.labels.items()) for p in pods)
        leaders = [p for p in plans if p.replica_type in ("Master", "Chief")]
        return all(done(p) for p in (leaders or plans))

    def _create_pod(self, job: dict, plan) -> None:
        template = copy.deepcopy(plan.template)
        meta, spec = template.get("metadata") or {}, template.setdefault("spec", {})
        spec["restartPolicy"] = {"ExitCode": "Never"}.get(plan.restart_policy, plan.restart_policy or "Never")
        if plan.hostname:
            spec["hostname"] = plan.hostname
        if plan.subdomain:
            spec["subdomain"] = plan.subdomain
        containers = spec.get("containers") or []
        targets = [c for c in containers if c["name"] in MAIN_CONTAINERS] or containers[:1]
        for c in targets:
            c["env"] = [{"name": k, "value": v} for k, v in plan.env.items()] + list(c.get("env") or [])
        owner = {"apiVersion": job["apiVersion"], "kind": job["kind"], "name": job["metadata"]["name"],
                 "uid": job["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}
        pod_meta = {"namespace": job["metadata"].get("namespace", "default"),
                    "labels": {**(meta.get("labels") or {}), **plan.labels},
                    "annotations": {**(meta.get("annotations") or {}), **plan.annotations},
                    "ownerReferences": [owner]}
        if plan.name:
            pod_meta["name"] = plan.name
        else:
            pod_meta["generateName"] = plan.generate_name
        pod = self.cluster.store.create(self.cluster.pods, {"apiVersion": "v1", "kind": "Pod", "metadata": pod_meta,
                                                             "spec": spec, "status": {"phase": "Pending"}})
        self.cluster.recorder.emit(job, "SuccessfulCreatePod", f"Created pod: {pod['metadata']['name']}",
                                   component=self._component(job))
        self._ensure_service(job, plan, owner, spec)

    def _ensure_service(self, job: dict, plan, owner: dict, spec: dict) -> None:
        """The headless Service the operator makes: one per Kubeflow replica pod, one per JobSet subdomain."""
        name = plan.name if job["kind"] in cond.KUBEFLOW_KINDS else plan.subdomain
        namespace = job["metadata"].get("namespace", "default")
        services = self.cluster.resource("services")
        if not name or self.cluster.store.find(services, namespace, name) is not None:
            return
        ports = [{"name": p.get("name", f"port-{p['containerPort']}"), "port": p["containerPort"]}
                 for c in spec.get("containers") or [] for p in c.get("ports") or []]
        if job["kind"] in cond.KUBEFLOW_KINDS:
            selector = dict(plan.labels)
        else:
            selector = {"jobset.sigs.k8s.io/jobset-name": job["metadata"]["name"]}
        self.cluster.store.create(services, {
            "apiVersion": "v1", "kind": "Service",
            "metadata": {"name": name, "namespace": namespace, "labels": dict(plan.labels), "ownerReferences": [owner]},
            "spec": {"clusterIP": "None", "selector": selector, "ports": ports, "publishNotReadyAddresses": True}})
        self.cluster.recorder.emit(job, "SuccessfulCreateService", f"Created service: {name}",
                                   component=self._component(job))

    def _write_status(self, res, job, status, plans, pods, state: str, detail: str) -> None:
        kind = job["kind"]
        status.setdefault("startTime", now_iso())
        changed = []
        if state in ("running", "succeeded", "failed"):
            cond.set_condition(status, kind, "suspended", False, f"{kind} is resumed")
        if state in ("running", "restarting"):  # the two replace each other, as in the training operator
            other = "restarting" if state == "running" else "running"
            status["conditions"] = [c for c in status.get("conditions", [])
                                    if c["type"] != cond.condition_type(kind, other)]
            changed.append(cond.set_condition(status, kind, state, True, cond.message(job, state, detail)))
        if state in ("succeeded", "failed"):
            if kind in cond.KUBEFLOW_KINDS:
                cond.set_condition(status, kind, "running", False, cond.message(job, state, detail))
            changed.append(cond.set_condition(status, kind, state, True, cond.message(job, state, detail)))
            status["completionTime"] = now_iso()
            if kind == "JobSet":
                status["terminalState"] = "Completed" if state == "succeeded" else "Failed"
        if any(changed):
            self.cluster.recorder.emit(job, cond.reason(kind, state), cond.message(job, state, detail),
                                       "Warning" if state in ("failed", "restarting") else "Normal",
                                       self._component(job))
        status.update(self._replica_status(job, plans, pods))
        self._store_status(res, job, status)

    def _replica_status(self, job: dict, plans, pods) -> dict:
        counts: dict[str, dict] = {}
        for plan in plans:
            entry = counts.setdefault(plan.replica_type, {"active": 0, "succeeded": 0, "failed": 0})
            for pod in pods:
                if all(pod["metadata"].get("labels", {}).get(k) == v for k, v in plan.labels.items()):
                    phase = pod.get("status", {}).get("phase")
                    key = {"Succeeded": "succeeded", "Failed": "failed"}.get(phase, "active")
                    entry[key] += 1
        if job["kind"] in cond.KUBEFLOW_KINDS:
            return {"replicaStatuses": counts}
        jobs = [{"name": name, "ready": c["active"], "succeeded": c["succeeded"], "failed": c["failed"],
                 "active": c["active"], "suspended": 0} for name, c in counts.items()]
        if job["kind"] == "JobSet":
            return {"replicatedJobsStatus": jobs, "restarts": 0}
        return {"jobsStatus": jobs}

    def _store_status(self, res, job: dict, status: dict) -> None:
        if status == job.get("status"):
            return

        def write(obj):
            obj["status"] = status
        try:
            self.cluster.store.mutate(res, job["metadata"].get("namespace"), job["metadata"]["name"], write)
        except NotFound:
            pass  # deleted while reconciling; nothing to report on
