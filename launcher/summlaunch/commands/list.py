"""`summlaunch list`: jobs made by summlaunch (every kind), with state and age."""

from __future__ import annotations

from summlaunch import labels
from summlaunch.commands._cluster_flags import add_cluster_flags, connect

HELP = "list the jobs summlaunch made in a namespace (or every namespace with -A)"
# app.kubernetes.io/name, not managed-by: the Helm chart sets managed-by to "Helm".
SELECTOR = f"{labels.NAME}={labels.APP}"


def add_arguments(parser) -> None:
    parser.add_argument("-A", "--all-namespaces", action="store_true", help="list jobs in every namespace")
    parser.add_argument("-o", "--output", choices=("table", "yaml", "json"), default="table",
                        help="output format (default: a human table)")
    add_cluster_flags(parser)


def main(args, train_argv) -> int:
    from summlaunch.objects.kind_facts import age, job_state

    cluster, namespace = connect(args)
    found = cluster.list_jobs(None if args.all_namespaces else namespace, SELECTOR)
    rows = [{"namespace": job["metadata"].get("namespace", namespace), "name": job["metadata"]["name"],
             "kind": facts.kind, "state": job_state(facts, job), "age": age(job["metadata"].get("creationTimestamp")),
             "created": job["metadata"].get("creationTimestamp")}
            for facts, job in found]
    rows.sort(key=lambda r: (r["namespace"], r["created"] or "", r["name"]))
    if args.output != "table":
        _dump(rows, args.output)
        return 0
    if not rows:
        where = "any namespace" if args.all_namespaces else f"namespace {namespace}"
        print(f"No summlaunch jobs in {where}.")
        return 0
    cols = (["namespace"] if args.all_namespaces else []) + ["name", "kind", "state", "age"]
    widths = {c: max(len(c), *(len(str(r[c])) for r in rows)) for c in cols}
    print("   ".join(c.upper().ljust(widths[c]) for c in cols).rstrip())
    for r in rows:
        print("   ".join(str(r[c]).ljust(widths[c]) for c in cols).rstrip())
    return 0


def _dump(rows: list[dict], fmt: str) -> None:
    if fmt == "json":
        import json

        print(json.dumps(rows, indent=2))
    else:
        import yaml

        print(yaml.safe_dump(rows, sort_keys=False), end="")
