"""`summlaunch versions`: the image stacks, their default pins and the compatibility rules."""

from __future__ import annotations

import argparse

HELP = "list image stacks, their pinned versions and the compatibility rules"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--stack", metavar="STACK", help="show one stack (name or alias)")
    parser.add_argument("--framework", metavar="F", help="show the stack of torch | accelerate | tf | xla")
    parser.add_argument("-o", "--output", choices=("text", "json"), default="text", help="output format")


def main(args: argparse.Namespace, train_argv: list[str]) -> int:
    import json

    from summlaunch.images.rules import load_versions
    from summlaunch.images.stacks import image_ref

    data = load_versions()
    if args.framework or args.stack:
        from summlaunch.images.docker_job import stack_choice

        names = [stack_choice(args)[1]]
    else:
        names = list(data["stacks"])
    stacks = {n: dict(data["stacks"][n], image=image_ref(n)) for n in names}
    rules = {
        "rules": data.get("rules", []),
        "python_support": data.get("python_support", []),
        "torch_cuda": data.get("torch_cuda", []),
    }
    if args.output == "json":
        print(json.dumps({"stacks": stacks, **rules}, indent=2))
        return 0
    _print_text(stacks, rules)
    return 0


def _print_text(stacks: dict, rules: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    for name, stack in stacks.items():
        console.print(f"[bold]{name}[/bold]: {stack['description']}")
        table = Table(show_header=False, box=None)
        table.add_column(style="bold")
        table.add_column()
        table.add_row("aliases", ", ".join(stack.get("aliases", [])) or "-")
        table.add_row("base", stack["base"].format(python=stack["python"]))
        table.add_row("python", stack["python"] + (f"   cuda {stack['cuda']}" if stack.get("cuda") else ""))
        table.add_row("pins", "\n".join(stack["pins"]))
        table.add_row("image", stack["image"])
        console.print(table)
        console.print()
    rows = Table(title="compatibility rules", title_justify="left")
    rows.add_column("rule")
    rows.add_column("checks")
    for rule in rules["rules"]:
        rows.add_row(rule["id"], rule["message"])
    for row in rules["python_support"]:
        rows.add_row(f"python-{row['package']}", f"{row['package']} {row['versions']} runs on python {row['python']}")
    for row in rules["torch_cuda"]:
        rows.add_row("cuda-base-vs-torch", f"torch {row['torch']} wheels are built for CUDA {row['cuda']}")
    console.print(rows)
