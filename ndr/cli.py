"""The ``ndr`` command line: argparse subcommands, documented exit codes, no tracebacks.

Exit codes: 0 done (records printed); 1 input read but nothing to report; 2 usage error; 65 input
not readable as a message; 75 an internal failure or a broken catalog, so that an MTA pipe
retries later instead of losing the bounce.
"""
from __future__ import annotations

import argparse
import sys
from typing import Sequence

from .commands import analyze as analyze_command
from .commands import catalog as catalog_command
from .commands import explain as explain_command
from .commands import generate as generate_command
from .commands import parse as parse_command
from .commands import suppressions as suppressions_command
from .commands.common import EXIT_DATAERR, EXIT_TEMPFAIL, EXIT_USAGE
from .errors import CatalogError, InputError, NdrError, TemplateError

COMMANDS = [parse_command, explain_command, catalog_command, analyze_command, generate_command,
            suppressions_command]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ndr", description="Read and write bounce messages (NDRs, DSNs).",
        epilog="Exit codes: 0 done, 1 nothing to report, 2 usage error, "
               "65 input not readable as a message, 75 internal failure (retry later).",
    )
    parser.add_argument("--version", action="version", version=f"ndr {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        child = sub.add_parser(command.NAME, help=command.HELP, description=command.HELP)
        command.add_arguments(child)
        child.set_defaults(run=command.run)
    return parser


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ndr")
    except PackageNotFoundError:
        return "0+unknown"


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    try:
        return int(args.run(args))
    except CatalogError as exc:
        # A configuration problem, not bad mail: 75 makes an MTA keep the message until fixed.
        print(f"ndr: {exc}", file=sys.stderr)
        return EXIT_TEMPFAIL
    except (InputError, TemplateError) as exc:
        print(f"ndr: {exc}", file=sys.stderr)
        return EXIT_DATAERR
    except NdrError as exc:
        print(f"ndr: {exc}", file=sys.stderr)
        return EXIT_TEMPFAIL
    except BrokenPipeError:
        return 0
    except KeyboardInterrupt:
        return 130
    except MemoryError:
        print("ndr: out of memory", file=sys.stderr)
        return EXIT_TEMPFAIL
    except Exception as exc:  # never a traceback: say what failed and let an MTA retry
        print(f"ndr: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return EXIT_TEMPFAIL


if __name__ == "__main__":
    sys.exit(main())
