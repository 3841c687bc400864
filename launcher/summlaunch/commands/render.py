"""`summlaunch render`: the Kubernetes objects of a training job, without submitting anything."""

from __future__ import annotations

import argparse
import sys

from summlaunch.commands import _jobflags

HELP = "print the Kubernetes objects of a training job (kubectl apply -f - ready)"
DESCRIPTION = (
    "Render a training job as Kubernetes objects: PyTorchJob (torch, accelerate), TFJob (tf), "
    "GKE TPU JobSet + node pool (xla, --tpu), Trainer v2 TrainJob (--kind trainjob) or a plain batch/v1 "
    "Job on one node (--kind job). "
    "Training flags go after `--`. Output: YAML (default), JSON (-o json: a kubectl `List`; "
    "-o json-array: a plain array), or one file per object (--output-dir)."
)
OUTPUTS = ("yaml", "json", "json-array")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    _jobflags.add_job_arguments(parser)
    out = parser.add_argument_group("output")
    out.add_argument("-o", "--output", choices=OUTPUTS, default="yaml",
                     help="yaml (default) | json (kubectl List) | json-array")
    out.add_argument("--output-dir", metavar="DIR", help="write one YAML file per object into DIR instead")
    out.add_argument("--helm-values", action="store_true",
                     help="print the values of the Helm chart charts/summlaunch for this job instead "
                          "(helm install NAME charts/summlaunch -f VALUES gives the same objects)")


def main(args: argparse.Namespace, train_argv: list[str]) -> int:
    from summlaunch.objects import render

    spec = _jobflags.spec_from_args(args, train_argv)
    if getattr(args, "helm_values", False):
        return _print_helm_values(spec, args.output)
    objects = render.render(spec)
    if args.output_dir:
        for path in render.write_dir(objects, args.output_dir):
            print(path)
        return 0
    if args.output == "yaml":
        sys.stdout.write(render.to_yaml(objects))
    else:
        sys.stdout.write(render.to_json(objects, as_list=args.output == "json"))
    return 0


def _print_helm_values(spec, output: str) -> int:
    """The chart values (summlaunch.objects.helm_values) as YAML, or JSON with -o json/json-array."""
    import json

    from summlaunch.objects import render
    from summlaunch.objects.helm_values import helm_values

    values = helm_values(spec)
    if output == "yaml":  # render's YAML writer: strings YAML 1.2 would read as numbers are quoted
        sys.stdout.write(f"# helm install {spec.name} charts/summlaunch -n {spec.namespace} -f THIS_FILE\n"
                         + render.to_yaml([values]))
    else:
        sys.stdout.write(json.dumps(values, indent=2) + "\n")
    return 0
