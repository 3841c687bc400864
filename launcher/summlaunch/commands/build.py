"""`summlaunch build`: the training image for a chosen set of library versions."""

from __future__ import annotations

import argparse

HELP = "build the training image pinned to chosen library versions"
DESCRIPTION = (
    "Resolve the stack's pins with your --pin overrides, check them against the compatibility "
    "rules (images/versions.toml), render the Dockerfile and build it with the local Docker engine. "
    "The tag is a content hash of the pins, the templates and the training package, so building "
    "twice is a no-op. The image reference is printed on stdout."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_image_arguments(parser)
    parser.add_argument("--registry", metavar="HOST/PATH",
                        help="registry prefix of the tag (e.g. ghcr.io/acme); needed for --push")
    parser.add_argument("--push", action="store_true", help="push the image and record its digest")
    parser.add_argument("--ca-cert", metavar="FILE",
                        help="extra CA bundle trusted by pip during the build (not left in the image)")
    parser.add_argument("--wheelhouse", metavar="DIR", help="install wheels found in DIR first")
    parser.add_argument("--no-index", action="store_true",
                        help="install only from --wheelhouse (offline build)")
    parser.add_argument("--index-url", action="append", default=[], metavar="URL",
                        help="package index replacing the stack's (repeat: first is primary, rest extra)")
    parser.add_argument("--dockerfile-only", action="store_true",
                        help="write the Dockerfile and build context to --context-dir; build nothing")
    parser.add_argument("--context-dir", metavar="DIR", help="where --dockerfile-only writes the context")
    parser.add_argument("--force", action="store_true", help="build even if the tag already exists")
    parser.add_argument("--no-cache", action="store_true", help="build without the engine's layer cache")
    parser.add_argument("-q", "--quiet", action="store_true", help="no progress display, only the result")
    parser.add_argument("-o", "--output", choices=("name", "json"), default="name",
                        help="print the image reference (name) or a JSON summary")


def add_image_arguments(parser: argparse.ArgumentParser) -> None:
    """--framework, --stack, --pin, --base-image: what `build` and `run --docker` agree on."""
    parser.add_argument("--framework", metavar="F",
                        help="torch (default) | accelerate | tf | xla: build the framework's stack")
    parser.add_argument("--stack", metavar="STACK", help="image stack: torch-cuda, torch-cpu, tf, xla")
    parser.add_argument("--pin", action="append", default=[], metavar="NAME==VERSION",
                        help="override a stack pin (repeatable); --pin python==3.12 picks the Python")
    parser.add_argument("--base-image", metavar="IMAGE", help="base image instead of the stack's")


def main(args: argparse.Namespace, train_argv: list[str]) -> int:
    import json
    from pathlib import Path

    from summlaunch.errors import SummlaunchError
    from summlaunch.images.context import BuildSources, write_context
    from summlaunch.images.stacks import resolve, tag_for

    if train_argv:
        raise SummlaunchError("build takes no training flags (they go to `run`, `render` or `submit`)")
    from summlaunch.images.docker_job import stack_choice

    spec = resolve(stack_choice(args)[1], args.pin, args.base_image)  # pin checks come first, always
    sources = BuildSources(
        ca_cert=Path(args.ca_cert) if args.ca_cert else None,
        wheelhouse=Path(args.wheelhouse) if args.wheelhouse else None,
        no_index=args.no_index, index_urls=tuple(args.index_url),
    )
    if args.push and not args.registry:
        raise SummlaunchError("--push needs --registry HOST/PATH (the tag names the registry)")
    if args.dockerfile_only:
        if not args.context_dir:
            raise SummlaunchError("--dockerfile-only needs --context-dir DIR")
        dockerfile = write_context(spec, sources, Path(args.context_dir))
        ref = tag_for(spec, args.registry)
        print(json.dumps({"image": ref, "dockerfile": str(dockerfile)}) if args.output == "json" else ref)
        return 0
    from summlaunch.images.build import BuildRequest, build_image

    outcome = build_image(BuildRequest(spec, sources, registry=args.registry, push=args.push,
                                       force=args.force, nocache=args.no_cache, quiet=args.quiet))
    if args.output == "json":
        print(json.dumps(outcome.as_dict(), indent=2))
    else:
        print(f"{outcome.ref}@{outcome.digest}" if outcome.digest else outcome.ref)
    return 0
