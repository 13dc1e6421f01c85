"""Command line: ``access30 coverage``, ``report``, ``suggest``, ``tour``, ``sites``, ``batch``, ``demo``, ``download``,
``cache``, ``rerun``.

Errors in the user's inputs print one French sentence naming the file, row or column and the fix,
and exit with code 2; no traceback. Every figure printed says what it counts.
"""

from __future__ import annotations

import importlib
import os
import sys

from access30.base.errors import Access30Error
from access30.base.fetch import download_settings
from access30.cli.parser import build_parser

EXIT_INPUT_ERROR = 2
#: The module and function of each command. A command imports only what it needs when it runs (a study
#: command loads routing, solvers and plotting; ``download`` or ``cache`` load none of them and answer at once).
COMMANDS: dict[str, tuple[str, str]] = {
    "coverage": ("access30.cli.study", "cmd_coverage"), "demo": ("access30.cli.study", "cmd_demo"),
    "report": ("access30.cli.study", "cmd_report"), "suggest": ("access30.cli.study", "cmd_suggest"),
    "rerun": ("access30.cli.study", "cmd_rerun"), "tour": ("access30.cli.tour", "cmd_tour"),
    "batch": ("access30.cli.batch", "cmd_batch"),
    "sites": ("access30.cli.data", "cmd_sites"), "territories": ("access30.cli.data", "cmd_territories"),
    "download": ("access30.cli.cache", "cmd_download"), "cache": ("access30.cli.cache", "cmd_cache"),
}


def command(name: str):
    """The function of the command ``name`` (:data:`COMMANDS`), its module imported now."""
    module, function = COMMANDS[name]
    return getattr(importlib.import_module(module), function)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``access30`` command."""
    parser = build_parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parser.parse_args(argv)
    args.command_line = ["access30", *argv]  # for the run record
    try:
        # Downloads made by the command: progress bars unless --quiet, the --mirror option.
        with download_settings(progress=not getattr(args, "quiet", False), mirror=getattr(args, "mirror", None)):
            return command(args.command)(args)
    except Access30Error as exc:
        print(f"\nErreur : {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("\nInterrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped early (« | head »): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's final flush would raise again
        return 0


if __name__ == "__main__":
    sys.exit(main())
