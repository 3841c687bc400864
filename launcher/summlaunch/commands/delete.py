"""`summlaunch delete NAME`: the job, its pods and its own objects; the PVC stays unless --delete-pvc."""

from __future__ import annotations

from summlaunch import labels as L
from summlaunch.commands._cluster_flags import add_cluster_flags, connect

HELP = "delete a job with its pods (the workspace PVC stays unless --delete-pvc)"
# Objects submit creates beside the job, found by the job label; PVCs only with --delete-pvc.
SIDE_KINDS = ("ConfigMap", "Service", "Secret")


def add_arguments(parser) -> None:
    parser.add_argument("name", help="job name")
    parser.add_argument("--delete-pvc", action="store_true",
                        help="also delete PVCs labelled with this job (the checkpoints and HF cache on them are lost)")
    parser.add_argument("--no-wait", dest="wait", action="store_false",
                        help="return at once instead of waiting until the job is gone")
    add_cluster_flags(parser)


def main(args, train_argv) -> int:
    cluster, namespace = connect(args)
    facts, job = cluster.find_job(args.name, namespace)
    removed = delete_job(cluster, namespace, job, delete_pvc=args.delete_pvc, wait=args.wait, facts=facts)
    print(f"deleted {facts.kind} {namespace}/{args.name}" + (f" and {', '.join(removed)}" if removed else ""))
    return 0


def delete_job(cluster, namespace: str, job: dict, *, delete_pvc: bool = False, wait: bool = True,
               facts=None) -> list[str]:
    """Delete the job, then its pods and labelled side objects; returns what else was removed."""
    from summlaunch.objects.kind_facts import CORE_PLURALS, facts_for

    name = job["metadata"]["name"]
    selector = L.selector(name)
    facts = facts or facts_for(job["apiVersion"], job["kind"])
    pod_selector = cluster.job_pods(facts, namespace, name)[0]
    cluster.delete(job, namespace, propagation="Background")
    removed = []
    kinds = SIDE_KINDS + (("PersistentVolumeClaim",) if delete_pvc else ())
    for kind in kinds + ("Pod",):
        plural = CORE_PLURALS.get(kind, "pods")
        items = cluster.list(f"/api/v1/namespaces/{namespace}/{plural}", f"list {plural} in {namespace}",
                             [("labelSelector", pod_selector if kind == "Pod" else selector)]).get("items", [])
        for item in items:
            obj = {"apiVersion": "v1", "kind": kind, "metadata": item["metadata"]}
            path = f"/api/v1/namespaces/{namespace}/{plural}/{item['metadata']['name']}"
            if _delete_path(cluster, path, f"delete {kind} {namespace}/{item['metadata']['name']}") and kind != "Pod":
                removed.append(f"{kind} {obj['metadata']['name']}")
    if wait:
        cluster.wait_gone(job, namespace)
    return removed


def _delete_path(cluster, path: str, what: str) -> bool:
    from summlaunch.cluster.client import NotFound

    body = {"apiVersion": "v1", "kind": "DeleteOptions", "propagationPolicy": "Background"}
    try:
        cluster.request("DELETE", path, what, body=body)
    except NotFound:
        return False
    return True
