"""The ``ndr`` command line: argparse subcommands, documented exit codes, no tracebacks.

Exit codes: 0 done (records printed); 1 input read but nothing to report; 2 usage error; 65 input
not readable as a message; 75 an internal failure or a broken catalog, so that an MTA pipe
retries later instead of losing the bounce.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import os
import sys
from typing import Sequence

from .commands.common import EXIT_DATAERR, EXIT_TEMPFAIL, EXIT_USAGE, HelpFormatter
from .errors import CatalogError, InputError, NdrError, TemplateError
from .safetext import TerminalStream

# name → (module, one-line help). A command's module is imported only when it runs, so that
# `ndr parse` in a mailbox rule does not pay for the generator's or the batch engine's imports.
COMMANDS: dict[str, tuple[str, str]] = {
    "parse": ("parse", "parse bounce messages (files, mbox, Maildir, folders or stdin)"),
    "explain": ("explain", "explain a status code (4.4.316, '450 4.4.316') or a diagnostic line"),
    "catalog": ("catalog", "work with the catalog (check)"),
    "analyze": ("analyze", "analyse bounce archives: summary, mail-flow findings, records, HTML report, ledger"),
    "generate": ("generate", "generate RFC 3464 bounces and delay warnings for queued messages that expire"),
    "suppressions": ("suppressions", "list the addresses to stop mailing, from an analyze --db ledger"),
    "serve": ("serve", "serve bounces and provider webhooks over HTTP (needs the serve extra)"),
}


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The argument parser; only the subcommand named in ``argv`` gets its options loaded."""
    parser = argparse.ArgumentParser(
        prog="ndr", formatter_class=HelpFormatter, description="Read and write bounce messages (NDRs, DSNs).",
        epilog="Exit codes: 0 done, 1 nothing to report, 2 usage error, "
               "65 input not readable as a message, 75 internal failure (retry later).",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0, help="show ndr's version and exit")
    # prog given: argparse would otherwise lay out a usage line to find it, and its help formatter
    # imports shutil (and with it bz2, lzma) at a cost of 3 ms on every start.
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", prog=parser.prog)
    wanted = next((a for a in argv if not a.startswith("-")), None)
    for name, (module_name, text) in COMMANDS.items():
        child = sub.add_parser(name, help=text, description=text, formatter_class=HelpFormatter)
        if name == wanted:
            module = importlib.import_module(f".commands.{module_name}", __package__)
            module.add_arguments(child)
            child.set_defaults(run=module.run, command_parser=child)
    return parser


class _VersionAction(argparse.Action):
    """``--version``, looking the version up only when asked (importlib.metadata is slow to import)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        print(f"ndr {_version()}")
        parser.exit()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("ndr")
    except PackageNotFoundError:
        return "0+unknown"


def _never_unencodable() -> None:
    """Last barrier: text that still holds a lone surrogate is written with an escape instead
    of failing the whole run (every decode already replaces them; see ndr/safetext.py). A
    stream the caller closed (``>&-``: Python has no sys.stdout then) writes to /dev/null, so
    that a mailbox rule still hands its records off."""
    if sys.stdout is None:
        sys.stdout = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - for the process
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None and getattr(stream, "errors", "") == "strict":
            reconfigure(errors="backslashreplace")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    _never_unencodable()
    stderr = sys.stderr
    sys.stderr = TerminalStream(stderr)  # duck-typed: write() filtered, the rest passed on
    try:
        return _run(arguments)
    finally:
        sys.stderr = stderr


def _run(arguments: list[str]) -> int:
    parser = build_parser(arguments)
    try:
        args, extra = parser.parse_known_args(arguments)
        if extra:
            # argparse hands a subcommand's unknown options up to the top-level parser, whose usage
            # says nothing about that subcommand: let the subcommand's own parser complain.
            owner: argparse.ArgumentParser = getattr(args, "command_parser", parser)
            owner.error(f"unrecognized arguments: {' '.join(extra)}")
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    finally:
        if not gc.isenabled():  # paused by the command's entry point (ndr/__main__.py): the
            gc.freeze()         # start-up objects are set aside for good, then it runs again
            gc.enable()
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
        # The reader closed the pipe (`ndr parse ... | head`): stop quietly, and keep Python from
        # complaining when it flushes stdout at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
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
