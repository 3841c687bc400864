"""The `summlaunch` command line: parse, hand off to a command module, report errors.

Each verb lives in `summlaunch.commands.<verb>` and defines:

- ``HELP``: one line for `summlaunch --help`;
- ``add_arguments(parser)``: its flags (the module imports nothing heavy at top level);
- ``main(args, train_argv) -> int``: the work, importing what it needs inside.

Everything after the first ``--`` is a training flag for summtrain. A command with
``PASSTHROUGH = True`` also treats flags it does not know as training flags, so
``summlaunch run --model_name_or_path t5-small ...`` works like the upstream script.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from summlaunch import __version__
from summlaunch.errors import SummlaunchError

# Order is the order `summlaunch --help` lists them in.
COMMANDS: tuple[str, ...] = ("run", "render", "build", "submit", "logs", "status", "delete", "list", "versions")


def _command_module(name: str):
    return importlib.import_module(f"summlaunch.commands.{name.replace('-', '_')}")


def build_parser(verb: str | None = None) -> argparse.ArgumentParser:
    """The whole parser, or with `verb` only that verb's flags (the other verbs' modules are
    not imported, which keeps a command's start-up to what it needs)."""
    parser = argparse.ArgumentParser(
        prog="summlaunch",
        description="Fine-tune summarization models locally, in a container, or on Kubernetes.",
        epilog="Training flags (the upstream run_summarization.py flags) go after `--`.",
    )
    parser.add_argument("--version", action="version", version=f"summlaunch {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        if verb is not None and name != verb:
            sub.add_parser(name)
            continue
        module = _command_module(name)
        command = sub.add_parser(name, help=module.HELP, description=getattr(module, "DESCRIPTION", module.HELP))
        module.add_arguments(command)
        command.set_defaults(_module=module)
    return parser


def split_train_argv(argv: Sequence[str]) -> tuple[list[str], list[str]]:
    """Split at the first `--`: launcher flags before it, training flags after."""
    argv = list(argv)
    if "--" in argv:
        cut = argv.index("--")
        return argv[:cut], argv[cut + 1 :]
    return argv, []


def main(argv: Sequence[str] | None = None) -> int:
    launcher_argv, train_argv = split_train_argv(sys.argv[1:] if argv is None else argv)
    verb = launcher_argv[0] if launcher_argv and launcher_argv[0] in COMMANDS else None
    parser = build_parser(verb)
    args, extra = parser.parse_known_args(launcher_argv)
    if args.command is None:
        parser.print_help()
        return 0
    module = args._module
    if extra:
        if not getattr(module, "PASSTHROUGH", False):
            parser.error(f"unrecognized arguments: {' '.join(extra)} (training flags go after `--`)")
        train_argv = extra + train_argv
    try:
        return int(module.main(args, train_argv) or 0)
    except SummlaunchError as e:
        print(f"summlaunch {args.command}: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print(f"summlaunch {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # summtrain's usage errors, raised while checking training flags
        from summtrain.errors import UsageError

        if isinstance(e, UsageError):
            print(f"summlaunch {args.command}: error: {e}", file=sys.stderr)
            return 2
        raise


if __name__ == "__main__":
    sys.exit(main())
