"""`summlaunch submit [render flags] [-- training flags]`: build if needed, create the objects, print how to follow."""

from __future__ import annotations

import argparse

from summlaunch.commands._cluster_flags import add_follow_flags

HELP = "build the image if needed, create the job on the cluster, and print how to follow it"
DESCRIPTION = (
    "Render the job exactly as `summlaunch render` does, build the training image when it is not built yet, "
    "and create the objects (ConfigMaps, Secrets, PVCs, Services first; the job last) with the official "
    "Kubernetes client. A failure undoes what this call created. --follow streams every replica's log "
    "until the job ends and exits with its result."
)
DEFAULT_TOKEN_SECRET = "summlaunch-hf-token"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from summlaunch.commands import _jobflags

    _jobflags.add_job_arguments(parser)
    group = parser.add_argument_group("submit")
    group.add_argument("--dry-run", nargs="?", const="client", choices=("client", "server", "none"), default="none",
                       help="client: print what would be sent; server: let the API server validate (dryRun=All); "
                            "nothing is created either way")
    group.add_argument("--replace", action="store_true", help="delete an existing job of the same name first")
    group.add_argument("--hf-token-from-env", action="store_true",
                       help="create/refresh the HF token Secret from $HF_TOKEN (the value is never printed)")
    group.add_argument("--no-build", action="store_true",
                       help="do not build the image first (use it as rendered)")
    group.add_argument("--follow", action="store_true", help="then stream every replica's log until the job ends")
    add_follow_flags(group)
    cluster = parser.add_argument_group("cluster (like kubectl)")
    cluster.add_argument("--kubeconfig", metavar="FILE",
                         help="kubeconfig file (default: $KUBECONFIG, then ~/.kube/config, then in-cluster)")
    cluster.add_argument("--context", metavar="NAME", help="kubeconfig context (default: the current context)")
    if not any("--namespace" in a.option_strings for a in parser._actions):
        cluster.add_argument("-n", "--namespace", metavar="NS", help="namespace (default: the context's)")


def main(args: argparse.Namespace, train_argv: list[str]) -> int:
    import sys

    from summlaunch.cluster import submit as submitter
    from summlaunch.commands import _jobflags

    spec, token = _token(args, _jobflags.spec_from_args(args, train_argv))
    if args.dry_run == "client":
        return _print_client_dry_run(spec, token)
    from summlaunch.cluster.client import Cluster

    cluster = Cluster.connect(args.kubeconfig, args.context, None)
    namespace = _namespace(args, spec, cluster)
    spec = spec._replace(namespace=namespace)
    if args.dry_run == "none" and not args.no_build:
        spec = _ensure_image(spec, args)
    note = (lambda text: print(f"summlaunch: {text}", file=sys.stderr))
    objects = submitter.drop_uninstalled_extras(cluster, _objects(spec, token), note)
    facts, job = submitter.job_of(objects)
    todo = submitter.plan(cluster, namespace, objects, replace=args.replace)
    submitter.validate(cluster, namespace, todo)
    if args.dry_run == "server":
        print(f"server dry run (dryRun=All) accepted {facts.kind} {namespace}/{spec.name} and "
              f"{len(objects) - 1} other object(s); nothing was created")
        return 0
    submitter.apply(cluster, namespace, todo, note=note)
    for obj in todo.reuse:
        note(f"using the existing {submitter.describe(obj, namespace)}")
    _print_next_steps(facts.kind, spec.name, namespace, args)
    if not args.follow:
        return 0
    from summlaunch.commands._cluster_flags import run_follow

    created = cluster.request("GET", facts.path(namespace, spec.name), f"get {facts.kind} {namespace}/{spec.name}")
    return run_follow(cluster, namespace, facts, created, args, follow=True)


def _token(args, spec):
    """(spec naming the token Secret, the token) with --hf-token-from-env; (spec, None) without."""
    import os

    from summlaunch.errors import SummlaunchError

    if not args.hf_token_from_env:
        return spec, None
    token = os.environ.get("HF_TOKEN")
    if not token:
        raise SummlaunchError("--hf-token-from-env: HF_TOKEN is not set in this environment: export it first")
    if not spec.hf_token_secret:
        spec = spec._replace(hf_token_secret=DEFAULT_TOKEN_SECRET)
    return spec, token


def _namespace(args, spec, cluster) -> str:
    """-n wins, then the run file's namespace, then the kubeconfig context's."""
    explicit = getattr(args, "namespace", None)
    if explicit:
        return explicit
    from summlaunch.commands import _jobflags

    from_file = getattr(_jobflags, "namespace_from_file", lambda a: None)(args)
    return from_file or cluster.namespace


def _objects(spec, token: str | None) -> list[dict]:
    from summlaunch.cluster import submit as submitter
    from summlaunch.objects.render import render
    from summlaunch.jobspec.spec import HF_TOKEN_KEY

    objects = list(render(spec))
    if token is not None:
        objects.append(submitter.token_secret(spec.hf_token_secret, spec.namespace, HF_TOKEN_KEY, token))
    return submitter.order(objects)


def _ensure_image(spec, args):
    """Build (and with a registry, push) the stack image when the spec uses the default image."""
    from summlaunch.images import stacks as images
    from summlaunch.jobspec import frameworks

    if getattr(args, "image", None):
        return spec  # the user chose an image: use it as is
    pins = tuple(getattr(args, "pin", None) or ())
    registry = getattr(args, "registry", None)
    from summlaunch.images.build import BuildRequest, build_image
    from summlaunch.images.context import BuildSources

    stack = frameworks.get(spec.framework).stack
    outcome = build_image(BuildRequest(images.resolve(stack, pins), BuildSources(), registry=registry,
                                       push=bool(registry), force=False, nocache=False, quiet=False))

    ref = f"{outcome.ref}@{outcome.digest}" if outcome.digest else outcome.ref
    return spec._replace(image=ref)


def _print_client_dry_run(spec, token: str | None) -> int:
    from summlaunch.cluster import submit as submitter
    from summlaunch.objects.render import to_yaml

    objects = [submitter.redact(o) for o in _objects(spec, token)]
    print(to_yaml(objects), end="")
    return 0


def _print_next_steps(kind: str, name: str, namespace: str, args) -> None:
    flags = f" -n {namespace}"
    if args.context:
        flags += f" --context {args.context}"
    if args.kubeconfig:
        flags += f" --kubeconfig {args.kubeconfig}"
    print(f"submitted {kind} {namespace}/{name}")
    print(f"  follow:  summlaunch logs {name} -f{flags}")
    print(f"  status:  summlaunch status {name}{flags}")
    print(f"  delete:  summlaunch delete {name}{flags}")
