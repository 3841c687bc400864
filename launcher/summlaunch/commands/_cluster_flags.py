"""Flags every cluster command shares (`--kubeconfig`, `--context`, `-n/--namespace`) and the connect step."""

from __future__ import annotations

import argparse
import os
import sys


def add_cluster_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("cluster (like kubectl)")
    group.add_argument("--kubeconfig", metavar="FILE",
                       help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)")
    group.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current context)")
    group.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: the context's namespace)")


def connect(args: argparse.Namespace):
    """(Cluster, namespace) from the shared flags."""
    from summlaunch.cluster.client import Cluster

    cluster = Cluster.connect(args.kubeconfig, args.context, args.namespace)
    return cluster, cluster.namespace


def use_colour(stream=None) -> bool:
    stream = stream or sys.stdout
    return "NO_COLOR" not in os.environ and hasattr(stream, "isatty") and stream.isatty()


def add_follow_flags(parser: argparse.ArgumentParser) -> None:
    """Flags of `logs` that `submit --follow` shares."""
    parser.add_argument("--replica", default="all", metavar="REPLICA",
                        help="all (default), a replica type (master, worker, chief) or one replica (worker-2)")
    parser.add_argument("--image-pull-timeout", type=float, default=60.0, metavar="SECONDS",
                        help="with -f: give up when an image cannot be pulled for this long (default 60; "
                             "InvalidImageName fails at once)")


def since_seconds(args) -> int | None:
    """--since as seconds (checked before anything talks to the cluster)."""
    from summlaunch.errors import SummlaunchError
    from summlaunch.cluster.logs import parse_duration

    since = getattr(args, "since", None)
    try:
        return parse_duration(since) if since else None
    except ValueError as e:
        raise SummlaunchError(f"--since: {e}") from None


def run_follow(cluster, namespace: str, facts, job: dict, args, *, follow: bool) -> int:
    from summlaunch.cluster.follow import Follower, FollowOptions

    since_s = since_seconds(args)
    opts = FollowOptions(follow=follow, replica=args.replica, since_seconds=since_s,
                         tail=getattr(args, "tail", None), image_pull_timeout=args.image_pull_timeout,
                         colour=use_colour(), progress=getattr(args, "progress", False))
    return Follower(cluster, namespace, facts, job, opts).run()
