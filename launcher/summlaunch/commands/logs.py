"""`summlaunch logs NAME [-f]`: every replica's output as one prefixed stream."""

from __future__ import annotations

from summlaunch.commands._cluster_flags import add_cluster_flags, add_follow_flags, connect, run_follow, since_seconds

HELP = "stream the logs of every replica of a job, prefixed by replica"
DESCRIPTION = (
    "Print the logs of every replica of a job as one stream, each line prefixed with its replica "
    "(coloured on a terminal; NO_COLOR turns colour off). With -f: wait through Pending (printing why), "
    "follow pods replaced after a restart or preemption without losing or repeating lines, and exit when "
    "the job ends with its result (0 succeeded, 1 failed or image pull failure, 2 usage/cluster errors)."
)


def add_arguments(parser) -> None:
    parser.add_argument("name", help="job name")
    parser.add_argument("-f", "--follow", action="store_true", help="follow until the job ends")
    add_follow_flags(parser)
    parser.add_argument("--since", metavar="DURATION", help="only lines newer than this (30s, 5m, 2h)")
    parser.add_argument("--tail", type=int, metavar="N", help="only the last N lines of each replica")
    parser.add_argument("--progress", action="store_true",
                        help="only summtrain's progress records (step, loss, metrics), one line each")
    add_cluster_flags(parser)


def main(args, train_argv) -> int:
    since_seconds(args)
    if args.tail is not None and args.tail < 0:
        from summlaunch.errors import SummlaunchError

        raise SummlaunchError(f"--tail {args.tail}: must be 0 or more")
    cluster, namespace = connect(args)
    facts, job = cluster.find_job(args.name, namespace)
    return run_follow(cluster, namespace, facts, job, args, follow=args.follow)
