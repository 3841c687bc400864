"""Job status the way each operator writes it: condition types, reasons and messages."""

from __future__ import annotations

from .store import now_iso

KUBEFLOW_KINDS = ("PyTorchJob", "TFJob")


def terminal(job: dict) -> str | None:
    """"succeeded", "failed" or None, from the job's conditions."""
    for c in (job.get("status") or {}).get("conditions") or []:
        if c["status"] == "True" and c["type"] in ("Succeeded", "Completed", "Complete"):
            return "succeeded"
        if c["status"] == "True" and c["type"] == "Failed":
            return "failed"
    return None


def condition_type(kind: str, state: str) -> str:
    """state: created, running, restarting, suspended, succeeded, failed."""
    if kind in KUBEFLOW_KINDS:
        return state.capitalize()
    return {"succeeded": "Completed" if kind == "JobSet" else "Complete"}.get(state, state.capitalize())


def reason(kind: str, state: str) -> str:
    if kind in KUBEFLOW_KINDS:
        return f"{kind}{state.capitalize()}"
    return {"succeeded": "AllJobsCompleted" if kind == "JobSet" else "JobsCompleted", "failed": "FailedJobs",
            "suspended": "SuspendedJobs" if kind == "JobSet" else "Suspended",
            "running": "ResumeJobs"}.get(state, state.capitalize())


def message(job: dict, state: str, detail: str = "") -> str:
    kind, meta = job["kind"], job["metadata"]
    ref = f"{kind} {meta.get('namespace', 'default')}/{meta['name']}"
    if kind in KUBEFLOW_KINDS:
        return {"created": f"{kind} {meta['name']} is created.", "running": f"{ref} is running.",
                "succeeded": f"{ref} successfully completed.", "suspended": f"{kind} {meta['name']} is suspended.",
                "restarting": f"{ref} is restarting because {detail}.",
                "failed": f"{ref} has failed because {detail}."}[state]
    return {"succeeded": "jobset completed successfully" if kind == "JobSet" else "TrainJob completed successfully",
            "failed": f"jobset failed: {detail}" if kind == "JobSet" else f"TrainJob failed: {detail}",
            "suspended": "jobset is suspended" if kind == "JobSet" else "TrainJob is suspended",
            "running": "jobset is running", "created": "created", "restarting": detail}[state]


def set_condition(status: dict, kind: str, state: str, ok: bool, text: str) -> bool:
    """Set one condition; True when it changed (a transition worth an event)."""
    type_ = condition_type(kind, state)
    conditions = status.setdefault("conditions", [])
    current = next((c for c in conditions if c["type"] == type_), None)
    value = "True" if ok else "False"
    if current and current["status"] == value and current.get("message") == text:
        return False
    if current is None and not ok:
        return False
    stamp = now_iso()
    entry = {"type": type_, "status": value, "reason": reason(kind, state), "message": text,
             "lastUpdateTime": stamp, "lastTransitionTime": stamp}
    if kind not in KUBEFLOW_KINDS:
        entry.pop("lastUpdateTime")
    if current:
        conditions[conditions.index(current)] = entry
    else:
        conditions.append(entry)
    return True
