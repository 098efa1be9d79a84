"""``ndr analyze PATH...``: batch analysis of bounce archives — parallel, incremental, with
mail-flow findings and an HTML report.

Exit codes: 0 done, no problems; 3 done, with problems (unreadable files, corrupt members, messages
that crashed the parser — listed in the summary); 1 no message found; 2 usage error; 65 nothing
readable (every input was a problem); 75 internal failure. ``--strict`` stops at the first
problem and exits 3.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import IO, TYPE_CHECKING, Iterator

from ..reading.mbox import DEFAULT_LIMITS, Limits
from ..batch.dask_engine import DaskEngine, DaskUnavailable
from ..batch.engine import LocalEngine, default_jobs
from ..batch.findings import FindingsBuilder, Thresholds
from ..batch.fold import Fold
from ..batch.findings import render_text as render_findings
from ..batch.output import Progress, RecordWriter, format_of
from ..batch.summary import Summary
from ..batch.units import plan
from ..batch.findings import Finding
from ..batch.work import WorkContext
from ..errors import InputError
from ..safetext import clean_tree, for_terminal
from ..reading.sources import folder_files, is_maildir, maildir_files
if TYPE_CHECKING:
    from ..batch.ledger import Ledger

from .common import (EXIT_DATAERR, EXIT_NOTHING, EXIT_OK, EXIT_USAGE, add_catalog_option,
                     add_lang_option, add_limit_options, catalog_from, parse_size, policy_from)

NAME = "analyze"
EXIT_PROBLEMS = 3
_DEFAULTS = Thresholds()
"""Done, but some inputs could not be read or parsed (they are listed as problems)."""


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def _ratio(text: str) -> float:
    value = float(text)
    if value <= 1:
        raise argparse.ArgumentTypeError(f"must be more than 1, not {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (f"{parser.description}. Exit codes: 0 done, no problems; {EXIT_PROBLEMS} done, with "
                          "problems; 1 no message found; 2 usage error; 65 nothing readable; "
                          "75 internal failure.")
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="mbox, Maildir, folder of .eml, .gz/.bz2/.xz, .tar/.tar.gz/.zip")
    parser.add_argument("--jobs", "-j", type=_positive, default=None, metavar="N",
                        help=f"worker processes (default: the CPU count, {default_jobs()})")
    parser.add_argument("--records", metavar="FILE",
                        help="write per-recipient records: .csv for CSV, else JSON Lines; '-' stdout")
    parser.add_argument("--summary", metavar="FILE", help="write the summary and findings as JSON")
    parser.add_argument("--html", metavar="FILE", help="write a self-contained HTML report")
    parser.add_argument("--db", metavar="FILE",
                        help="SQLite ledger: skip messages already ingested, keep address history")
    parser.add_argument("--engine", choices=["local", "dask"], default="local",
                        help="where to run: local processes (default) or a Dask cluster")
    parser.add_argument("--scheduler", metavar="ADDRESS",
                        help="Dask scheduler address (with --engine dask), e.g. tcp://host:8786")
    parser.add_argument("--quiet", "-q", action="store_true",
                        help="no progress bar and no terminal summary")
    parser.add_argument("--strict", action="store_true", help="stop at the first problem")
    parser.add_argument("--all", action="store_true",
                        help="records also for delivered/relayed, auto-replies and feedback")
    parser.add_argument("--min-count", type=_positive, default=_DEFAULTS.min_count, metavar="N",
                        help=f"fewest failures in a group to make a finding (default {_DEFAULTS.min_count})")
    parser.add_argument("--group-by", choices=["server", "domain"], default=_DEFAULTS.group_by,
                        help="group findings by destination server (default) or domain")
    parser.add_argument("--max-findings", type=_positive, default=_DEFAULTS.limit, metavar="N",
                        help=f"most findings shown (default {_DEFAULTS.limit})")
    parser.add_argument("--top", type=_positive, default=10, metavar="N",
                        help="rows per terminal table (default 10)")
    parser.add_argument("--max-decompressed", type=parse_size, metavar="BYTES",
                        default=DEFAULT_LIMITS.max_decompressed_bytes,
                        help="most bytes one compressed file or archive member may produce "
                             f"(default {DEFAULT_LIMITS.max_decompressed_bytes})")
    parser.add_argument("--max-ratio", type=_ratio, default=DEFAULT_LIMITS.max_ratio, metavar="R",
                        help=f"most decompressed bytes per compressed byte (default "
                             f"{DEFAULT_LIMITS.max_ratio:g})")
    add_catalog_option(parser)
    add_lang_option(parser)
    add_limit_options(parser, max_message_bytes="--max-message")


def run(args: argparse.Namespace) -> int:
    if args.engine == "dask" and not args.scheduler:
        print("ndr: --engine dask needs --scheduler ADDRESS", file=sys.stderr)
        return EXIT_USAGE
    if args.scheduler and args.engine != "dask":
        print("ndr: --scheduler only applies with --engine dask", file=sys.stderr)
        return EXIT_USAGE
    missing = [p for p in args.paths if not os.path.exists(p)]
    if missing and len(missing) == len(args.paths):
        raise InputError(f"{missing[0]}: no such file or directory")
    catalog_from(args)  # validate once here, and report overrides, before any worker starts
    limits = Limits(max_message_bytes=args.max_message_bytes, max_decompressed_bytes=args.max_decompressed,
                    max_ratio=args.max_ratio)
    thresholds = Thresholds(min_count=args.min_count, group_by=args.group_by, limit=args.max_findings)
    try:
        return _analyze(args, limits, thresholds)
    except DaskUnavailable as exc:  # a missing optional extra is a usage problem, not a failure
        print(f"ndr: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _analyze(args: argparse.Namespace, limits: Limits, thresholds: Thresholds) -> int:
    summary = Summary()
    findings = FindingsBuilder(thresholds)
    with ExitStack() as stack:
        ledger = _open_ledger(stack, args.db)
        context = WorkContext(catalog=args.catalog, lang=args.lang, limits=limits,
                              policy=policy_from(args),
                              include_all=args.all,
                              known=ledger.known_digests() if ledger else frozenset())
        writer, terminal = _open_records(stack, args.records)
        fold = Fold(writer.fmt if writer else None, thresholds, keep_messages=ledger is not None)
        show = not args.quiet and sys.stderr.isatty()
        progress = Progress(_total_bytes(args.paths) if show else 0, enabled=show)
        stopped = False
        try:
            for result in _engine(args, context, fold).run(plan(args.paths, limits), _file_bytes(args.paths)):
                folded = fold.apply(result).folded  # local workers folded theirs already
                assert folded is not None
                progress.update(result.nbytes, folded.summary.messages, len(result.problems))
                summary.add(result)
                findings.merge(folded.groups)
                if writer is not None:
                    writer.write_rendered(folded.text, folded.summary.records)
                if ledger is not None:
                    ledger.add(result.messages)
                if args.strict and result.problems:
                    stopped = True
                    break
        finally:
            progress.close()
        found = findings.findings()
        if args.summary:
            _write_json(args.summary, summary, found, stopped)
        if args.html:
            from ..batch.html_report import write_report

            write_report(args.html, summary, found, title=", ".join(args.paths), lang=args.lang)
        if not args.quiet:
            print(for_terminal(summary.render_text(args.top, args.lang)), file=terminal)
            print("", file=terminal)
            print(for_terminal(render_findings(found, args.lang)), file=terminal)
        if stopped:
            problem = summary.problems[0]
            print(f"ndr: stopped at the first problem (--strict): {problem.label}#{problem.index}: "
                  f"{problem.error}", file=sys.stderr)
    return exit_code(summary)


def exit_code(summary: Summary) -> int:
    """0 done; 3 done with problems; 1 nothing found; 65 nothing readable."""
    if summary.problems:
        return EXIT_PROBLEMS if summary.messages or summary.skipped else EXIT_DATAERR
    return EXIT_OK if summary.messages or summary.skipped else EXIT_NOTHING


def _engine(args: argparse.Namespace, context: WorkContext, fold: Fold) -> LocalEngine | DaskEngine:
    if args.engine == "dask":
        return DaskEngine(context, args.scheduler)
    return LocalEngine(context, args.jobs, fold)


def _open_ledger(stack: ExitStack, path: str | None) -> Ledger | None:
    if not path:
        return None
    from ..batch.ledger import Ledger, LedgerError  # here: sqlite3 only for a run with --db

    try:
        return stack.enter_context(Ledger(path))
    except LedgerError as exc:
        raise InputError(str(exc)) from None


def _open_records(stack: ExitStack, path: str | None) -> tuple[RecordWriter | None, IO[str]]:
    """The records writer, and where terminal tables go (stderr when records use stdout)."""
    if not path:
        return None, sys.stdout
    if path == "-":
        return RecordWriter(sys.stdout, "jsonl"), sys.stderr
    try:
        stream = stack.enter_context(open(path, "w", encoding="utf-8", newline=""))
    except OSError as exc:
        raise InputError(f"{path}: cannot write records: {exc.strerror or exc}") from None
    return RecordWriter(stream, format_of(path)), sys.stdout


def _write_json(path: str, summary: Summary, found: list[Finding], stopped: bool) -> None:
    value = summary.to_dict()
    value["stopped_by_strict"] = stopped
    value["findings"] = [f.to_dict() for f in found]
    try:
        with open(path, "w", encoding="utf-8") as stream:
            json.dump(clean_tree(value), stream, ensure_ascii=False, indent=2)
            stream.write("\n")
    except OSError as exc:
        raise InputError(f"{path}: cannot write summary: {exc.strerror or exc}") from None


def _file_bytes(paths: list[str]) -> int:
    """Bytes of the PATHs that are files (folders count nothing): what the input holds at least,
    known from one ``stat`` per PATH, without walking folders or reading anything."""
    total = 0
    for given in paths:
        try:
            total += os.path.getsize(given) if os.path.isfile(given) else 0
        except OSError:
            pass
    return total


def _total_bytes(paths: list[str]) -> int:
    """Bytes on disk under the PATHs (for the progress bar)."""
    return sum(os.path.getsize(f) for f in _files(paths) if os.path.isfile(f))


def _files(paths: list[str]) -> Iterator[str]:
    for given in paths:
        if is_maildir(Path(given)):
            yield from (str(p) for p in maildir_files(Path(given)))
        elif os.path.isdir(given):
            yield from folder_files(Path(given))
        else:
            yield given
