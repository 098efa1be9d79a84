"""``ndr suppressions --db FILE``: the addresses to stop mailing, from the ledger ``ndr analyze
--db`` keeps — a hard bounce once, or soft bounces N times within D days.

Exit codes: 0 addresses listed; 1 none to suppress; 2 usage error; 65 the ledger cannot be read.
"""
from __future__ import annotations

import argparse
import csv
import os
import sys

from ..batch.ledger import Ledger, LedgerError
from ..errors import InputError
from .common import EXIT_NOTHING, EXIT_OK

NAME = "suppressions"


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", required=True, metavar="FILE", help="the ledger of ndr analyze --db")
    parser.add_argument("--format", choices=["text", "csv"], default="text",
                        help="text: one address a line; csv: address, why, last seen, reason")
    parser.add_argument("--soft-count", type=_positive, default=3, metavar="N",
                        help="soft bounces that suppress an address (default 3)")
    parser.add_argument("--soft-days", type=_positive, default=7, metavar="D",
                        help="... when they fall within D days (default 7)")


def run(args: argparse.Namespace) -> int:
    if not os.path.isfile(args.db):
        raise InputError(f"{args.db}: no such ledger (create it with ndr analyze --db)")
    try:
        with Ledger(args.db) as ledger:
            found = ledger.suppressions(args.soft_count, args.soft_days)
    except LedgerError as exc:
        raise InputError(str(exc)) from None
    except Exception as exc:  # sqlite3.DatabaseError: a file that is not a ledger
        raise InputError(f"{args.db}: not a readable ledger: {exc}") from None
    if args.format == "csv":
        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["address", "why", "last_seen", "reason"])
        for item in found:
            writer.writerow([item.address, item.why, item.last_seen, item.reason or ""])
    else:
        for item in found:
            sys.stdout.write(item.address + "\n")
    return EXIT_OK if found else EXIT_NOTHING
