"""``ndr generate``: bounces and delay warnings for a queue listing (postqueue -j or ndr records).

Exit codes: 0 reports written (or, with --dry-run, decisions printed); 1 nothing to report;
65 some record was bad (reported on stderr; the others were still processed); 75 a report could
not be sent and was kept in the --keep folder.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from ..catalog import Catalog
from ..writing.decide import MessageDecision, Verdict, decide, human
from ..writing.deliver import FSYNC_MODES, FolderSink, MboxSink, Sink, SmtpSettings, SmtpSink
from ..errors import InputError
from ..generate import ReportOptions, recipient_report
from ..policy import Policy
from ..writing.pool import generate_all
from ..writing.listing import load_original, read_listing
from ..writing.queue import QueuedMessage, RecordError, RecordProblem, parse_duration, parse_time
from .common import EXIT_DATAERR, EXIT_NOTHING, EXIT_OK, EXIT_TEMPFAIL, EXIT_USAGE, add_catalog_option, catalog_from

NAME = "generate"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("listings", nargs="*", metavar="LISTING",
                        help="queue listings: postqueue -j JSON lines or ndr records (JSON/YAML); "
                             "none or '-': standard input")
    parser.add_argument("--now", help="the current time (ISO 8601 or epoch seconds; default: now)")
    parser.add_argument("--lifetime", default="5d", help="queue lifetime before a bounce (default 5d)")
    parser.add_argument("--warn-after", default="",
                        help="delay-warning thresholds from arrival, comma-separated (e.g. 4h,12h)")
    parser.add_argument("--lang", help="report language (en, pt-BR); default: the original's "
                                       "Content-Language, else en")
    parser.add_argument("--templates", metavar="DIR", help="user templates, looked up first")
    parser.add_argument("--codes", choices=("rfc", "exchange"), default="rfc",
                        help="Status codes for local errors: registered RFC 3463 codes (default) or "
                             "Exchange Online's connector codes (4.4.316 ...); the advice stays general")
    parser.add_argument("--from", dest="from_address", metavar="ADDR",
                        help="From address (default MAILER-DAEMON@<reporting host>)")
    parser.add_argument("--reporting-mta", metavar="HOST", help="this MTA's name (default: this host's FQDN)")
    parser.add_argument("--max-original", default="10485760", metavar="BYTES",
                        help="larger originals are returned as headers only (default 10 MB)")
    parser.add_argument("--original-command", metavar="CMD",
                        help="reads a postqueue message, e.g. 'postcat -bhq {queue_id}' "
                             "(default: none; the report then says the headers are unknown)")
    out = parser.add_mutually_exclusive_group()
    out.add_argument("--out", metavar="DIR", help="write one .eml per report into DIR")
    out.add_argument("--mbox", metavar="FILE", help="append reports to an mbox")
    out.add_argument("--smtp", metavar="HOST:PORT", help="send reports by SMTP with MAIL FROM:<>")
    parser.add_argument("--fsync", choices=FSYNC_MODES, default="end",
                        help="--out durability: 'end' (default) makes reports durable in groups "
                             "(one file-system flush per 1000 reports and at the end, then renames); "
                             "'each' fsyncs every file before renaming it (slower, files appear one by one)")
    parser.add_argument("--starttls", action="store_true", help="use STARTTLS with --smtp")
    parser.add_argument("--smtp-user", help="SMTP AUTH user; the password is read from "
                                            "$NDR_SMTP_PASSWORD or --smtp-password-file")
    parser.add_argument("--smtp-password-file", metavar="FILE")
    parser.add_argument("--retries", type=int, default=3, help="SMTP attempts per report (default 3)")
    parser.add_argument("--retry-delay", type=float, default=5.0, help="seconds between attempts")
    parser.add_argument("--keep", metavar="DIR", default="ndr-unsent",
                        help="where reports that could not be sent are kept (default ./ndr-unsent)")
    parser.add_argument("--jobs", type=int, default=1, metavar="N",
                        help="generate in N worker processes (large listings; default 1); reports are "
                             "still written in listing order")
    parser.add_argument("--dry-run", action="store_true",
                        help="print the decisions as a table, write nothing; originals are still read "
                             "(--original-command runs), so a wrong command shows up now")
    parser.add_argument("-q", "--quiet", action="store_true",
                        help="no summary line on success (e.g. from cron)")
    add_catalog_option(parser)


def run(args: argparse.Namespace) -> int:
    try:
        now = parse_time(args.now, "--now") if args.now else datetime.now(timezone.utc)
        lifetime = parse_duration(args.lifetime, "--lifetime")
        warn_after = [parse_duration(v, "--warn-after") for v in args.warn_after.split(",") if v.strip()]
        max_original = int(args.max_original)
        if args.jobs < 1:
            raise ValueError(f"--jobs: at least 1, not {args.jobs}")
    except (RecordError, ValueError) as exc:
        print(f"ndr generate: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.dry_run and not (args.out or args.mbox or args.smtp):
        print("ndr generate: choose an output: --out DIR, --mbox FILE, --smtp HOST:PORT (or --dry-run)",
              file=sys.stderr)
        return EXIT_USAGE
    catalog = catalog_from(args)
    options = ReportOptions(
        reporting_mta=args.reporting_mta or socket.getfqdn() or "localhost",
        from_address=args.from_address, max_original_bytes=max_original, codes=args.codes,
    )
    policy = Policy(lang=args.lang, templates=args.templates)
    problems = 0
    decisions: list[MessageDecision] = []
    for message in _messages(args.listings, args.original_command):
        if isinstance(message, RecordProblem):
            print(f"ndr generate: {message}", file=sys.stderr)
            problems += 1
            continue
        decisions.append(decide(message, now=now, lifetime=lifetime, warn_after=warn_after))
    if args.dry_run:
        problems += _check_originals(decisions)
        _table(decisions, catalog, policy.lang or "en", options.codes)
        return EXIT_DATAERR if problems else (EXIT_OK if decisions else EXIT_NOTHING)

    due = [d for d in decisions if _due(d)]
    sink = _sink(args)
    written: Counter[str] = Counter()
    try:
        for decision, outcome in generate_all(due, now=now, options=options, catalog=catalog, jobs=args.jobs,
                                              policy=policy):
            if isinstance(outcome, (RecordError, InputError)):
                print(f"ndr generate: {decision.message.label}: {outcome}", file=sys.stderr)
                problems += 1
                continue
            for report in outcome:
                sink.put(report)
                written[report.action.value] += 1
    finally:
        sink.close()
    failures = getattr(sink, "failures", [])
    for line in failures:
        print(f"ndr generate: {line}", file=sys.stderr)
    if written and not args.quiet:
        print(_summary(args, written, len(failures)))
    if failures:
        return EXIT_TEMPFAIL
    if problems:
        return EXIT_DATAERR
    return EXIT_OK if written else EXIT_NOTHING


def _due(decision: MessageDecision) -> bool:
    return bool(decision.to_report(Verdict.FAILED) or decision.to_report(Verdict.DELAYED))


def _check_originals(decisions: list[MessageDecision]) -> int:
    """--dry-run: read the originals the real run would read, so that a wrong --original-command
    (a mistyped postcat path, a missing queue file) fails now; returns the problems reported.
    With nothing due, the first message that names a command is read as a probe."""
    chosen = [d for d in decisions if _due(d)]
    if not chosen:
        chosen = [d for d in decisions if d.message.original.command][:1]
    problems = 0
    for decision in chosen:
        try:
            load_original(decision.message)
        except RecordError as exc:
            print(f"ndr generate: {decision.message.label}: {exc}", file=sys.stderr)
            problems += 1
    return problems


def _summary(args: argparse.Namespace, written: Counter[str], unsent: int) -> str:
    """One line: how many reports of each kind, and where they went."""
    total = sum(written.values())
    kinds = ", ".join(f"{n} {'failure report' if kind == 'failed' else 'delay warning'}{'s' if n != 1 else ''}"
                      for kind, n in sorted(written.items()))
    if args.out:
        where = f"written to {args.out}"
    elif args.mbox:
        where = f"appended to {args.mbox}"
    else:
        where = f"sent to {args.smtp}" + (f" ({unsent} could not be sent, kept in {args.keep})" if unsent else "")
    what = kinds if len(written) == 1 else f"{total} reports ({kinds})"
    return f"ndr generate: {what} {where}"


def _messages(listings: list[str], command: str | None) -> Iterator[QueuedMessage | RecordProblem]:
    if not listings or listings == ["-"]:
        yield from read_listing(sys.stdin.buffer.read(), "<stdin>", command=command, base=Path.cwd())
        return
    for name in listings:
        if name == "-":
            data = sys.stdin.buffer.read()
            base = Path.cwd()
        else:
            try:
                data = Path(name).read_bytes()
            except OSError as exc:
                yield RecordProblem(name, "", exc.strerror or str(exc))
                continue
            base = Path(name).resolve().parent
        yield from read_listing(data, name, command=command, base=base)


def _sink(args: argparse.Namespace) -> Sink:
    if args.out:
        return FolderSink(args.out, fsync=args.fsync)
    if args.mbox:
        return MboxSink(args.mbox)
    host, _, port = args.smtp.rpartition(":")
    if not host or not port.isdigit():
        host, port = args.smtp, "25"
    password = os.environ.get("NDR_SMTP_PASSWORD")
    if args.smtp_password_file:
        try:
            password = Path(args.smtp_password_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(f"--smtp-password-file: {exc.strerror or exc}") from None
    return SmtpSink(SmtpSettings(host=host.strip("[]"), port=int(port), starttls=args.starttls,
                                 user=args.smtp_user, password=password, retries=args.retries,
                                 retry_delay=args.retry_delay, keep_dir=args.keep))


def _table(decisions: list[MessageDecision], catalog: Catalog, lang: str, codes: str = "rfc") -> None:
    rows = [("QUEUE-ID", "AGE", "RECIPIENT", "DECISION", "STATUS", "REPORT", "WHY")]
    for decision in decisions:
        message: QueuedMessage = decision.message
        for item in decision.decisions:
            try:
                status = recipient_report(item.recipient, catalog, lang, codes,
                                          item.verdict is Verdict.FAILED).status
            except InputError:
                status = "?"
            report = "yes" if item.report else (item.note or "-")
            rows.append((message.queue_id, human(decision.age), item.recipient.address, item.verdict.value,
                         status if item.verdict is not Verdict.NONE else "-", report, item.why))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        sys.stdout.write("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() + "\n")
