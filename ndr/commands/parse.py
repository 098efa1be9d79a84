"""``ndr parse [PATH...]``: bounces in, one record per failed recipient out."""
from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..parse import parse_bytes
from ..policy import DEFAULT
from ..records import records
from ..sources import Problem, iter_path
from .common import (EXIT_DATAERR, EXIT_NOTHING, EXIT_OK, add_catalog_option, add_lang_option,
                     bullet_lines, catalog_from)

NAME = "parse"
HELP = "parse bounce messages (files, mbox, Maildir, folders or stdin)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="message file, mbox, Maildir or folder; '-' or nothing reads stdin")
    parser.add_argument("--format", choices=["jsonl", "json", "text"],
                        help="output format (default: text on a terminal, jsonl otherwise)")
    parser.add_argument("--all", action="store_true",
                        help="also report delivered/relayed/expanded, auto-replies and feedback")
    add_catalog_option(parser)
    add_lang_option(parser)


def run(args: argparse.Namespace) -> int:
    catalog = catalog_from(args)
    policy = DEFAULT.clone(lang=args.lang)
    fmt = args.format or ("text" if sys.stdout.isatty() else "jsonl")
    collected: list[dict[str, Any]] = []
    printed = 0
    unreadable = 0
    for given in args.paths or ["-"]:
        for item in iter_path(given):
            if isinstance(item, Problem):
                print(f"ndr: {item.source}: {item.error}", file=sys.stderr)
                unreadable += 1
                continue
            if not item.data.strip():
                print(f"ndr: {item.source}: input is empty", file=sys.stderr)
                unreadable += 1
                continue
            report = parse_bytes(item.data, catalog, policy)
            if not any(d.kind == "not-a-message" for d in report.defects):
                pass
            else:
                print(f"ndr: {item.source}: not readable as a mail message (no header fields)",
                      file=sys.stderr)
                unreadable += 1
                continue
            rows = records(report, item.source, item.index, include_all=args.all)
            printed += len(rows)
            if fmt == "jsonl":
                for row in rows:
                    sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
            elif fmt == "json":
                collected.extend(rows)
            else:
                for row in rows:
                    sys.stdout.write(render_text(row) + "\n")
    if fmt == "json":
        sys.stdout.write(json.dumps(collected, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()
    if printed:
        return EXIT_OK
    return EXIT_DATAERR if unreadable else EXIT_NOTHING


def render_text(row: dict[str, Any]) -> str:
    """A readable summary of one record, with the catalog's cause and fix."""
    code = " ".join(x for x in (row.get("reply_code"), row.get("status")) if x)
    hard = "hard" if row.get("hard") else "soft"
    lines = [f"{row.get('recipient') or '(unknown recipient)'}: {row.get('action') or row.get('kind')}"
             f" {code} — {row.get('reason')} ({hard})".replace("  ", " ")]
    if row.get("summary"):
        lines.append(f"  what: {row['summary']}")
    for label, key in (("destination", "remote_mta"), ("reported by", "reporting_mta"),
                       ("diagnostic", "diagnostic_code"), ("original", "original_subject")):
        if row.get(key):
            lines.append(f"  {label}: {row[key]}")
    lines += bullet_lines("likely causes", row.get("causes") or ())
    lines += bullet_lines("how to fix", row.get("fixes") or ())
    if row.get("who"):
        lines.append(f"  who should act: {', '.join(row['who'])}")
    lines.append(f"  source: {row['source']}#{row['message_index']}  rule: {row.get('rule')}")
    return "\n".join(lines)
