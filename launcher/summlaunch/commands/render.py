"""`summlaunch render`: the Kubernetes objects of a training job, without submitting anything."""

from __future__ import annotations

import argparse
import sys

from summlaunch.commands import _jobflags

HELP = "print the Kubernetes objects of a training job (kubectl apply -f - ready)"
DESCRIPTION = (
    "Render a training job as Kubernetes objects: PyTorchJob (torch, accelerate), TFJob (tf), "
    "GKE TPU JobSet + node pool (xla, --tpu) or Trainer v2 TrainJob (--kind trainjob). "
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


def main(args: argparse.Namespace, train_argv: list[str]) -> int:
    from summlaunch import render

    spec = _jobflags.spec_from_args(args, train_argv)
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
