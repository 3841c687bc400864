"""`summlaunch status NAME [-o yaml|json]`: conditions, replicas, recent events, training progress."""

from __future__ import annotations

from summlaunch.commands._cluster_flags import add_cluster_flags, connect

HELP = "show a job's state, replicas, recent events and training progress"
LOG_TAIL = 2000  # lines of the leader's log parsed for progress
EVENTS = 10


def add_arguments(parser) -> None:
    parser.add_argument("name", help="job name")
    parser.add_argument("-o", "--output", choices=("table", "yaml", "json"), default="table",
                        help="output format (default: a human table)")
    add_cluster_flags(parser)


def main(args, train_argv) -> int:
    cluster, namespace = connect(args)
    facts, job = cluster.find_job(args.name, namespace)
    report = gather(cluster, namespace, facts, job)
    if args.output == "json":
        import json

        print(json.dumps(report, indent=2))
    elif args.output == "yaml":
        import yaml

        print(yaml.safe_dump(report, sort_keys=False), end="")
    else:
        print(table(report))
    return 0


def gather(cluster, namespace: str, facts, job: dict) -> dict:
    from summlaunch.cluster import logs as L
    from summlaunch.objects.kind_facts import age, job_state

    name = job["metadata"]["name"]
    pods = cluster.job_pods(facts, namespace, name)[1].get("items", [])
    replicas = [_replica(p) for p in sorted(pods, key=L.replica_name)]
    names = {name} | {p["metadata"]["name"] for p in pods}
    events = [e for e in cluster.list_events(namespace)
              if ((e.get("involvedObject") or {}).get("name") in names)]
    events.sort(key=lambda e: str(e.get("lastTimestamp") or e.get("eventTime") or ""))
    return {
        "name": name, "namespace": namespace, "kind": facts.kind, "apiVersion": facts.api_version,
        "state": job_state(facts, job), "age": age(job["metadata"].get("creationTimestamp")),
        "conditions": [{k: c.get(k) for k in ("type", "status", "reason", "message", "lastTransitionTime")}
                       for c in (job.get("status") or {}).get("conditions") or []],
        "replicas": replicas,
        "events": [{"time": e.get("lastTimestamp") or e.get("eventTime"), "type": e.get("type"),
                    "text": L.event_line(e)} for e in events[-EVENTS:]],
        "progress": _progress(cluster, namespace, pods, job),
    }


def _replica(pod: dict) -> dict:
    from summlaunch.cluster import logs as L

    reasons = L.pod_reasons(pod)
    return {"replica": L.replica_name(pod), "pod": pod["metadata"]["name"],
            "phase": (pod.get("status") or {}).get("phase", "Unknown"),
            "restarts": sum(int(cs.get("restartCount") or 0) for cs in L.container_statuses(pod)),
            "node": (pod.get("spec") or {}).get("nodeName"),
            "reason": "; ".join(f"{r}: {m}".rstrip(": ") for r, m in reasons) or None}


def _leader(pods: list[dict]):
    from summlaunch.cluster import logs as L

    ready = [p for p in pods if L.log_ready(p, p["spec"]["containers"][0]["name"])]
    order = ("master-0", "chief-0", "launcher-0")
    ready.sort(key=lambda p: (L.replica_name(p) not in order, L.replica_name(p)))
    return ready[0] if ready else None


def _progress(cluster, namespace: str, pods: list[dict], job: dict) -> dict:
    """The progress records in the leader's log, then the server's trainerStatus (TrainJob) where set."""
    from summlaunch.cluster.client import ClusterError
    from summlaunch.cluster.logs import split_timestamp
    from summlaunch.cluster.progress import Progress

    progress = Progress()
    leader = _leader(pods)
    if leader is None:
        progress.take_trainer_status((job.get("status") or {}).get("trainerStatus"))
        return progress.summary()
    try:
        for batch in cluster.open_log(namespace, leader["metadata"]["name"], leader["spec"]["containers"][0]["name"],
                                      follow=False, tail_lines=LOG_TAIL):
            for raw in batch:
                ts, text = split_timestamp(raw)
                progress.feed(text, ts)
    except ClusterError:
        pass  # progress is best effort; the rest of the status still stands
    progress.take_trainer_status((job.get("status") or {}).get("trainerStatus"))
    return progress.summary()


def table(report: dict) -> str:
    from summlaunch.cluster.progress import describe

    lines = [f"{report['kind']} {report['namespace']}/{report['name']}: {report['state']} (age {report['age']})",
             "", "CONDITIONS"]
    lines += [f"  {c['type']:<12} {c['status']:<6} {c.get('reason') or ''}  {c.get('message') or ''}".rstrip()
              for c in report["conditions"]] or ["  (none yet)"]
    lines += ["", "REPLICAS", f"  {'REPLICA':<14} {'PHASE':<10} {'RESTARTS':<9} {'POD':<34} REASON"]
    lines += [f"  {r['replica']:<14} {r['phase']:<10} {r['restarts']:<9} {r['pod']:<34} {r['reason'] or ''}".rstrip()
              for r in report["replicas"]] or ["  (no pods yet)"]
    lines += ["", "RECENT EVENTS"]
    lines += [f"  {e['time'] or '':<21} {e['type'] or '':<8} {e['text']}" for e in report["events"]] or ["  (none)"]
    lines += ["", "PROGRESS", f"  {describe(report['progress'])}"]
    return "\n".join(lines)
