"""Command line: ``access30 coverage``, ``report``, ``suggest``, ``sites``, ``batch``, ``demo``.

Errors in the user's inputs print one French sentence naming the file, row or column and the fix,
and exit with code 2; no traceback. Every figure printed says what it counts.
"""

from __future__ import annotations

import os
import sys

from access30.base.errors import Access30Error
from access30.cli.commands import COMMANDS
from access30.cli.parser import build_parser

EXIT_INPUT_ERROR = 2


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``access30`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return COMMANDS[args.command](args)
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
