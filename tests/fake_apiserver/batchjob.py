"""The batch/v1 Job controller, as kube-controller-manager's (kubernetes v1.33
pkg/controller/job/job_controller.go and pod_failure_policy.go), for one NonIndexed Job.

- Pods are made from `spec.template` (name `<job>-<5 random>`), up to `parallelism` active and
  `completions` succeeded (both default 1), labelled `batch.kubernetes.io/job-name`,
  `batch.kubernetes.io/controller-uid` (and the legacy `job-name`, `controller-uid`), owned by
  the Job.
- A failed pod is matched against `spec.podFailurePolicy.rules` in order (onExitCodes of a
  named or any container, onPodConditions such as DisruptionTarget): `Ignore` replaces the pod
  without counting it (not in status.failed, not against backoffLimit), `FailJob` fails the Job
  (reason PodFailurePolicy), `Count` or no matching rule counts it. When the counted failures
  exceed `backoffLimit` (default 6) the Job fails with BackoffLimitExceeded.
- Finishing first adds the interim condition (SuccessCriteriaMet / FailureTarget), then the
  terminal one (Complete / Failed), as the controller does once no pod is terminating.
- `spec.suspend` deletes the active pods and sets Suspended (JobSuspended / JobResumed).

`preempt(pod)` plays the scheduler's preemption: the pod gets the DisruptionTarget condition
(reason PreemptionByScheduler) and its container is killed with SIGTERM's exit code 143.
"""

from __future__ import annotations

import copy

from .store import NotFound, now_iso

JOB_NAME, CONTROLLER_UID = "batch.kubernetes.io/job-name", "batch.kubernetes.io/controller-uid"
DEFAULT_BACKOFF_LIMIT = 6
TERMINAL = ("Complete", "Failed")


def _matches_exit_codes(rule: dict, pod: dict) -> bool:
    spec = rule["onExitCodes"]
    for status in (pod.get("status") or {}).get("containerStatuses") or []:
        if spec.get("containerName") and status.get("name") != spec["containerName"]:
            continue
        code = ((status.get("state") or {}).get("terminated") or {}).get("exitCode")
        if code is None or code == 0:
            continue
        inside = code in spec.get("values", [])
        if inside == (spec.get("operator", "In") == "In"):
            return True
    return False


def _matches_conditions(rule: dict, pod: dict) -> bool:
    have = {(c.get("type"), c.get("status")) for c in (pod.get("status") or {}).get("conditions") or []}
    return any((want["type"], want.get("status", "True")) in have for want in rule["onPodConditions"])


def failure_action(job: dict, pod: dict) -> str:
    """Count, Ignore or FailJob for one failed pod (the first matching rule; Count when none)."""
    for rule in (job["spec"].get("podFailurePolicy") or {}).get("rules") or []:
        if "onExitCodes" in rule and _matches_exit_codes(rule, pod):
            return rule["action"]
        if "onPodConditions" in rule and _matches_conditions(rule, pod):
            return rule["action"]
    return "Count"


def _condition(status: dict, type_: str, ok: bool, reason: str, message: str) -> bool:
    conditions = status.setdefault("conditions", [])
    current = next((c for c in conditions if c["type"] == type_), None)
    value = "True" if ok else "False"
    if (current is None and not ok) or (current and current["status"] == value):
        return False
    stamp = now_iso()
    entry = {"type": type_, "status": value, "reason": reason, "message": message,
             "lastProbeTime": stamp, "lastTransitionTime": stamp}
    if current:
        conditions[conditions.index(current)] = entry
    else:
        conditions.append(entry)
    return True


class JobController:
    def __init__(self, cluster):
        self.cluster = cluster

    def preempt(self, name: str, namespace: str = "default") -> None:
        def disrupt(pod):
            pod.setdefault("status", {}).setdefault("conditions", []).append({
                "type": "DisruptionTarget", "status": "True", "reason": "PreemptionByScheduler",
                "message": "fake-scheduler: preempting to accommodate a higher priority pod",
                "lastTransitionTime": now_iso()})
        self.cluster.store.mutate(self.cluster.pods, namespace, name, disrupt)
        self.cluster.kubelet.kill(name, namespace, exit_code=143, reason="Error")

    def reconcile(self, res, namespace: str, name: str) -> None:
        job = self.cluster.store.find(res, namespace, name)
        if job is None:
            return
        status = copy.deepcopy(job.get("status") or {})
        if any(c["type"] in TERMINAL and c["status"] == "True" for c in status.get("conditions") or []):
            return
        pods = self._pods(job)
        if job["spec"].get("suspend"):
            self._suspend(job, status, pods)
        else:
            _condition(status, "Suspended", False, "JobResumed", "Job resumed")
            status.setdefault("startTime", now_iso())
            self._drive(job, status, pods)
        self._store(res, job, status)

    def _pods(self, job: dict) -> list[dict]:
        uid = job["metadata"]["uid"]
        return [p for p in self.cluster.store.list(self.cluster.pods, job["metadata"].get("namespace"))
                if any(r.get("uid") == uid for r in p["metadata"].get("ownerReferences") or [])]

    def _suspend(self, job: dict, status: dict, pods: list[dict]) -> None:
        for pod in pods:
            if (pod.get("status") or {}).get("phase") not in ("Succeeded", "Failed"):
                self.cluster.store.delete(self.cluster.pods, pod["metadata"]["namespace"], pod["metadata"]["name"])
        if _condition(status, "Suspended", True, "JobSuspended", "Job suspended"):
            self._event(job, "Suspended", "Job suspended")
        status["active"] = 0

    def _drive(self, job: dict, status: dict, pods: list[dict]) -> None:
        spec = job["spec"]
        phases = [(p, (p.get("status") or {}).get("phase")) for p in pods]
        failed = [p for p, phase in phases if phase == "Failed"]
        actions = [failure_action(job, p) for p in failed]
        counted = actions.count("Count")
        succeeded = sum(phase == "Succeeded" for _, phase in phases)
        active = [p for p, phase in phases if phase not in ("Succeeded", "Failed")]
        status.update(active=len(active), succeeded=succeeded, failed=counted, terminating=0,
                      ready=sum(phase == "Running" for _, phase in phases), uncountedTerminatedPods={})
        if "FailJob" in actions:
            pod = failed[actions.index("FailJob")]["metadata"]["name"]
            return self._finish(job, status, False, "PodFailurePolicy",
                                f"Container summtrain for pod {job['metadata']['namespace']}/{pod} failed "
                                "with a rule of the pod failure policy")
        if counted > int(spec.get("backoffLimit", DEFAULT_BACKOFF_LIMIT)):
            return self._finish(job, status, False, "BackoffLimitExceeded", "Job has reached the specified backoff limit")
        if succeeded >= int(spec.get("completions", 1)):
            return self._finish(job, status, True, "CompletionsReached", "Reached expected number of succeeded pods")
        wanted = min(int(spec.get("parallelism", 1)), int(spec.get("completions", 1)) - succeeded)
        for _ in range(wanted - len(active)):
            self._create_pod(job)
        status["active"] = max(len(active), wanted)

    def _finish(self, job: dict, status: dict, ok: bool, reason: str, message: str) -> None:
        interim, final = ("SuccessCriteriaMet", "Complete") if ok else ("FailureTarget", "Failed")
        _condition(status, interim, True, reason, message)
        if _condition(status, final, True, reason, message):
            self._event(job, "Completed" if ok else reason, message, "Normal" if ok else "Warning")
        if ok:
            status["completionTime"] = now_iso()

    def _create_pod(self, job: dict) -> None:
        template = copy.deepcopy(job["spec"].get("template") or {})
        meta, name, uid = template.get("metadata") or {}, job["metadata"]["name"], job["metadata"]["uid"]
        labels = {**(meta.get("labels") or {}), JOB_NAME: name, CONTROLLER_UID: uid, "job-name": name,
                  "controller-uid": uid}
        owner = {"apiVersion": "batch/v1", "kind": "Job", "name": name, "uid": uid, "controller": True,
                 "blockOwnerDeletion": True}
        pod = self.cluster.store.create(self.cluster.pods, {
            "apiVersion": "v1", "kind": "Pod", "spec": template.get("spec") or {}, "status": {"phase": "Pending"},
            "metadata": {"generateName": f"{name}-", "namespace": job["metadata"].get("namespace", "default"),
                         "labels": labels, "annotations": dict(meta.get("annotations") or {}),
                         "ownerReferences": [owner]}})
        self._event(job, "SuccessfulCreate", f"Created pod: {pod['metadata']['name']}")

    def _event(self, job: dict, reason: str, message: str, type_: str = "Normal") -> None:
        self.cluster.recorder.emit(job, reason, message, type_, "job-controller")

    def _store(self, res, job: dict, status: dict) -> None:
        if status == job.get("status"):
            return

        def write(obj):
            obj["status"] = status
        try:
            self.cluster.store.mutate(res, job["metadata"].get("namespace"), job["metadata"]["name"], write)
        except NotFound:
            pass
