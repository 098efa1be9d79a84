"""``ndr parse [PATH...]``: bounces in, one record per failed recipient out.

Also the mailbox-rule mode (procmail, maildrop, Sieve, Postfix pipe(8), Exim pipe transport):
with ``--spool DIR`` every input is first stored durably and removed only once it was fully
processed (kept always with ``--keep-all``); ``--exec CMD`` hands each JSON record to a command on
stdin. Whenever something goes wrong inside ndr — the command fails, the disk is full, a bug —
the exit code is 75 (EX_TEMPFAIL), so the MTA keeps the message and retries: a bounce is never
lost. Given the spool itself as PATH (``ndr parse --spool DIR --exec CMD DIR``) the spool is
replayed: each message is removed once handed off, and no record is handed off twice (see
``handoff.py`` and ``Spool.handed``). A reader of stdout that goes away does not stop the
hand-off in mailbox mode.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any, Callable

from ..catalog import Catalog
from ..parse import parse_bytes
from ..policy import Policy
from ..reading.records import records
from ..reading.mbox import Limits, open_input
from ..reading.sources import Problem, RawMessage, iter_path
from ..safetext import for_terminal, json_lines, orjson_lines
from .common import (EXIT_DATAERR, EXIT_NOTHING, EXIT_OK, EXIT_TEMPFAIL, add_catalog_option,
                     add_lang_option, add_limit_options, bullet_lines, catalog_from, policy_from)

if TYPE_CHECKING:
    from pathlib import Path

    from ..reading.spool import Spool

NAME = "parse"


# --exec and --spool's own modules (shlex among them) are imported only by a run that uses them:
# a third of a millisecond of every mailbox rule's start. The option types import theirs when
# the option is given (argparse names neither in a message: they raise ArgumentTypeError).
def exec_command(text: str) -> list[str]:
    from .handoff import exec_command

    return exec_command(text)


def seconds(text: str) -> float:
    from .handoff import seconds

    return seconds(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="message file, mbox, Maildir or folder; '-' or nothing reads stdin")
    parser.add_argument("--format", choices=["jsonl", "json", "text"],
                        help="output format (default: text on a terminal, jsonl otherwise)")
    parser.add_argument("--all", action="store_true",
                        help="also report delivered/relayed/expanded, auto-replies and feedback")
    parser.add_argument("--spool", metavar="DIR",
                        help="keep every input that could not be fully processed in this Maildir")
    parser.add_argument("--keep-all", action="store_true", help="with --spool: keep every input")
    parser.add_argument("--exec", dest="exec_command", metavar="CMD", type=exec_command,
                        help="run CMD once per record with the JSON record on its stdin and its "
                             "record_id in NDR_RECORD_ID")
    parser.add_argument("--exec-timeout", type=seconds, default=60.0, metavar="SECONDS",
                        help="how long --exec may take per record (default 60)")
    add_catalog_option(parser)
    add_lang_option(parser)
    add_limit_options(parser)


class _Run:
    """One run of the command: its settings and what it has printed, kept and failed so far."""

    __slots__ = ("args", "catalog", "policy", "fmt", "spool", "printed", "unreadable", "failed",
                 "collected", "quiet", "quiet_first", "dumps", "held", "held_size")

    def __init__(self, args: argparse.Namespace, catalog: Catalog, policy: Policy, fmt: str,
                 spool: Spool | None) -> None:
        self.args, self.catalog, self.policy, self.fmt, self.spool = args, catalog, policy, fmt, spool
        self.printed = self.unreadable = self.failed = 0
        self.collected: list[dict[str, Any]] = []
        self.quiet = 0
        """Messages read that gave no record; the first one's (source, kind) is in ``quiet_first``."""
        self.quiet_first = ("", "")
        self.dumps: Callable[[Any], bytes] | None = None
        """orjson's JSON Lines encoder, made once ``ORJSON_FROM`` records were written."""
        self.held: list[bytes] | None = None
        """JSON Lines not yet written (``_hold``), or None where every message's lines are
        written at once: text, JSON, --exec, --spool (a mailbox rule) and a terminal."""
        self.held_size = 0


def run(args: argparse.Namespace) -> int:
    if args.keep_all and not args.spool:
        print("ndr: --keep-all needs --spool DIR", file=sys.stderr)
        return 2
    try:
        if args.spool:
            from ..reading.spool import Spool

            spool: Spool | None = Spool(args.spool)
        else:
            spool = None
    except OSError as exc:
        print(f"ndr: cannot use spool {args.spool}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_TEMPFAIL
    terminal = sys.stdout.isatty()
    state = _Run(args=args, catalog=catalog_from(args), policy=policy_from(args),
                 fmt=args.format or ("text" if terminal else "jsonl"), spool=spool)
    if state.fmt == "jsonl" and spool is None and not args.exec_command and not terminal:
        state.held = []
    try:
        _read_all(state, args.paths or ["-"])
    finally:  # what was read is written, whatever stops the run (a bug, Ctrl-C, a closed pipe)
        _write_held(state)
    if state.fmt == "json":
        _write(state, json.dumps(state.collected, ensure_ascii=False, indent=2) + "\n")
    _write(state, "")
    if not (state.printed or state.unreadable or state.failed) and terminal:
        _say_nothing(state)
    if state.failed:
        return EXIT_TEMPFAIL
    if state.printed:
        return EXIT_OK
    return EXIT_DATAERR if state.unreadable else EXIT_NOTHING


def _read_all(state: _Run, paths: list[str]) -> None:
    """Every message of every path, processed in order."""
    limits = Limits(max_message_bytes=state.policy.max_message_bytes)
    spool = state.spool
    for given in paths:
        if spool is not None and _same_folder(given, spool.folder):
            _replay(state, given, spool)
            continue
        if given == "-" and sys.stdin.isatty():
            # Someone typed `ndr parse` at a prompt: say why nothing happens instead of waiting mutely.
            print("ndr: reading a message from standard input (end it with Ctrl-D); "
                  "give a file, mbox or Maildir to read instead (see ndr parse --help)", file=sys.stderr)
        for item in iter_path(given, limits=limits):
            if isinstance(item, Problem):
                print(f"ndr: {item.source}: {item.error}", file=sys.stderr)
                state.unreadable += 1
                continue
            _one(state, item)


def _same_folder(given: str, folder: Path) -> bool:
    try:
        return given != "-" and os.path.samefile(given, folder)
    except OSError:
        return False


def _replay(state: _Run, given: str, spool: Spool) -> None:
    """Each spooled message processed in place: released once handed off, never copied again."""
    cap = state.policy.max_message_bytes
    for index, path in enumerate(spool.messages()):
        try:
            with open_input(path) as handle:
                data = handle.read(cap + 1)
        except OSError as exc:
            print(f"ndr: {path}: cannot read: {exc.strerror or exc}", file=sys.stderr)
            state.unreadable += 1
            continue
        _one(state, RawMessage(given, index, data[:cap], None, len(data) > cap), kept=path)


def _write(state: _Run, text: str | bytes) -> None:
    """Write to stdout (bytes: UTF-8 lines, straight to its binary buffer when it has one); in
    mailbox mode a reader that went away (EPIPE) does not stop the hand-off: the rest of the
    output is dropped and processing goes on."""
    try:
        if isinstance(text, bytes):
            buffer = getattr(sys.stdout, "buffer", None)
            if buffer is not None:
                buffer.write(text)
            else:  # a text-only stream (a test's StringIO)
                sys.stdout.write(text.decode("utf-8"))
        elif text:
            sys.stdout.write(text)
        else:
            sys.stdout.flush()
    except BrokenPipeError:
        if state.spool is None and not state.args.exec_command:
            raise
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


HELD_BYTES = 1 << 16
"""JSON Lines held before they are written: one write per 64 KiB of records rather than one
per message (what stdout's own 8 KiB buffer would make: a system call every few messages)."""


def _hold(state: _Run, held: list[bytes], lines: bytes) -> None:
    held.append(lines)
    state.held_size += len(lines)
    if state.held_size >= HELD_BYTES:
        _write_held(state)


def _write_held(state: _Run) -> None:
    held = state.held
    if held:  # taken out first: a write that fails (a closed pipe) is not tried again
        lines = b"".join(held)
        held.clear()
        state.held_size = 0
        _write(state, lines)


def _one(state: _Run, item: RawMessage, kept: Path | None = None) -> None:
    """Process one message; on any failure keep it (spool) and count it for exit 75."""
    if state.spool is not None and kept is None:
        try:
            kept = state.spool.keep(item.data)  # first, so that even kill -9 loses nothing
        except OSError as exc:
            print(f"ndr: {item.source}: cannot write to spool: {exc.strerror or exc}", file=sys.stderr)
            state.failed += 1
            return
    complete = False
    try:
        complete = _process(state, item)
    except BrokenPipeError:
        raise  # the reader of our output went away (`| head`): not a failure of this message
    except Exception as exc:  # a bug must not lose the bounce: keep it and let the MTA retry
        print(f"ndr: {item.source}#{item.index}: internal error: {type(exc).__name__}: {exc}",
              file=sys.stderr)
        state.failed += 1
    if kept is not None and complete and not state.args.keep_all and state.spool is not None:
        state.spool.release(kept)


# The stdlib's encoder with orjson's separators: both write the same bytes for a record
# (tests/test_output_path.py), so which one wrote a line never shows.
_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
ORJSON_FROM = 32
"""Records written with the stdlib's encoder before orjson takes over: orjson encodes a record
ten times faster but its import costs about 1.5 ms, a tenth of a mailbox rule's whole run."""


def _stdlib_line(row: Any) -> bytes:
    return (_COMPACT.encode(row) + "\n").encode("utf-8")  # a lone surrogate raises here


def _jsonl_dumps(state: _Run) -> Callable[[Any], bytes]:
    """The JSON Lines encoder for the next record: the stdlib's for the first few, then orjson
    (it refuses lone surrogates, which ``json_lines`` relies on, as str.encode does)."""
    if state.printed < ORJSON_FROM:
        return _stdlib_line
    if state.dumps is None:
        state.dumps = orjson_lines()
    return state.dumps


def _process(state: _Run, item: RawMessage) -> bool:
    """True when the message was fully processed (parsed, printed, handed to --exec)."""
    if not item.data or item.data.isspace():  # what .strip() leaves empty, without a copy
        print(f"ndr: {item.source}: input is empty", file=sys.stderr)
        state.unreadable += 1
        return False
    report = parse_bytes(item.data, state.catalog, state.policy)
    if report.defects and any(d.kind == "not-a-message" for d in report.defects):
        print(f"ndr: {item.source}: not readable as a mail message (no header fields)", file=sys.stderr)
        state.unreadable += 1
        return False
    # JSON Lines are checked for lone surrogates as they are encoded (json_lines); other outputs
    # get rows cleaned first.
    fast = state.fmt == "jsonl" and not state.args.exec_command
    rows = records(report, item.source, item.index, include_all=state.args.all, clean=not fast)
    if not rows:
        state.quiet += 1
        state.quiet_first = state.quiet_first if state.quiet > 1 else (item.source, str(report.kind))
    if item.truncated:  # the reader kept the first bytes of a message in an mbox or archive
        note = f"size-limit: only the first {state.policy.max_message_bytes} bytes were read"
        for row in rows:
            row["defects"] = [*row["defects"], note]
    if state.fmt == "jsonl":
        if rows:  # the message's lines in one write
            lines = json_lines(rows, state.dumps or _jsonl_dumps(state))  # orjson's, once it took over
            if state.held is not None:
                _hold(state, state.held, lines)
            else:
                _write(state, lines)
    elif state.fmt == "json":
        state.collected.extend(rows)
    else:
        for row in rows:  # records are paragraphs, a blank line between them
            _write(state, ("\n" if state.printed or row is not rows[0] else "")
                   + for_terminal(render_text(row, state.policy.lang or "en")) + "\n")
    state.printed += len(rows)
    if state.args.exec_command:
        for row in rows:
            if not _exec(state, row):
                state.failed += 1
                return False
    # kept in the spool: a decoder failed, or recipients past --max-recipients were not reported
    return not (report.defects and any(d.kind in ("decoder-error", "recipient-limit") for d in report.defects))


def _exec(state: _Run, row: dict[str, Any]) -> bool:
    """Hand ``row`` off unless the spool remembers it was; remember it once it was."""
    record_id = str(row.get("record_id") or "")
    if state.spool is not None and state.spool.handed(record_id):
        return True
    from .handoff import hand_off

    problem = hand_off(state.args.exec_command, row, state.args.exec_timeout)
    if problem is not None:
        print(f"ndr: {problem}", file=sys.stderr)
        return False
    if state.spool is not None:
        state.spool.mark_handed(record_id)
    return True


_NOT_A_BOUNCE = {
    "none": "not a bounce",
    "vacation": "an auto-reply, not a bounce (--all shows it)",
    "feedback": "a feedback report, not a bounce (--all shows it)",
    "delivered": "a delivery notice, not a bounce (--all shows it)",
    "bounce": "a bounce that names no failed or delayed recipient",
}


def _say_nothing(state: _Run) -> None:
    """On a terminal, one line on stderr for a run that printed nothing (pipes get silence)."""
    if state.quiet == 1:
        source, kind = state.quiet_first
        print(f"ndr: {source}: {_NOT_A_BOUNCE.get(kind, 'not a bounce')}", file=sys.stderr)
    elif state.quiet:
        print(f"ndr: none of the {state.quiet} messages is a bounce (--all shows auto-replies, "
              "feedback and delivery notices)", file=sys.stderr)


def render_text(row: dict[str, Any], lang: str = "en") -> str:
    """A readable summary of one record in ``lang``: translated labels, a local date, and the
    catalog's cause and fix (ids such as the reason stay ids)."""
    from ..i18n import format_iso, gettext_for

    _ = gettext_for(lang)
    code = " ".join(x for x in (row.get("reply_code"), row.get("status")) if x)
    hard = _("hard") if row.get("hard") else _("soft")
    action = row.get("action") or row.get("kind") or ""
    recipient = row.get("recipient") or _("(unknown recipient)")
    lines = [f"{recipient}: {_(action) if action else ''} {code} — {row.get('reason')} ({hard})"
             .replace("  ", " ")]
    when = row.get("last_attempt_date") or row.get("arrival_date")
    labelled = ((_("what"), row.get("summary")),
                (_("when"), format_iso(str(when), lang) if when else None),
                (_("destination"), row.get("remote_mta")),
                (_("reported by"), row.get("reporting_mta")),
                (_("diagnostic"), row.get("diagnostic_code")),
                (_("last error"), row.get("last_error")),
                (_("original"), row.get("original_subject")))
    lines += [f"  {label}: {value}" for label, value in labelled if value]
    lines += bullet_lines(_("likely causes"), row.get("causes") or ())
    lines += bullet_lines(_("how to fix"), row.get("fixes") or ())
    if row.get("who"):
        who_label = _("who should act")
        lines.append(f"  {who_label}: {', '.join(_(who) for who in row['who'])}")
    source_label, rule_label = _("source"), _("rule")
    lines.append(f"  {source_label}: {row['source']}#{row['message_index']}  {rule_label}: {row.get('rule')}")
    return "\n".join(lines)
