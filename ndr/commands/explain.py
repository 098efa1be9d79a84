"""``ndr explain CODE_OR_TEXT...``: the catalog's reason, causes and fixes for each query.

Several codes explain each (``ndr explain 4.4.316 5.1.1``); ``450 4.4.316`` and a diagnostic
line, quoted or not, are one query each. A query nothing in the catalog matches is reported on
standard error and the exit status is 1."""
from __future__ import annotations

import argparse
import sys

from ..explain import Explanation, explain_all, split_queries
from .common import EXIT_OK, add_catalog_option, add_lang_option, bullet_lines, catalog_from, write_json

NAME = "explain"
EXIT_NOT_UNDERSTOOD = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="+", metavar="CODE_OR_TEXT")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    add_catalog_option(parser)
    add_lang_option(parser)


def run(args: argparse.Namespace) -> int:
    results = explain_all(split_queries(list(args.query)), lang=args.lang, catalog=catalog_from(args))
    unknown = [r for r in results if not r.understood]
    for result in unknown:
        print(f"ndr explain: nothing in the catalog matches {result.query!r}", file=sys.stderr)
    known = [r for r in results if r.understood]
    if args.format == "json":
        payload = [r.to_dict() for r in results]
        write_json(payload[0] if len(payload) == 1 else payload)
    else:
        sys.stdout.write("\n".join(_text(r, args.lang) for r in known))
    return EXIT_NOT_UNDERSTOOD if unknown else EXIT_OK


def _text(result: Explanation, lang: str) -> str:
    pt = lang == "pt-BR"
    code = " ".join(x for x in (result.reply_code, result.status) if x) or "(no code)"
    lines = [f"{code}: {result.title}"]
    if result.last_error_status:
        lines.append(f"  {'último erro real' if pt else 'last real error'}: {result.last_error_status}")
    if result.rule.startswith("reply:"):
        lines.append(f"  {'classe' if pt else 'class'}: {result.reply_code[0] if result.reply_code else '?'}yz")
    else:
        lines.append(f"  reason: {result.reason} — {result.reason_summary}"
                     f" ({'hard' if result.hard else 'soft'} bounce)")
    if result.remote_mta:
        lines.append(f"  destination server: {result.remote_mta}")
    lines += bullet_lines("causas prováveis" if pt else "likely causes", result.causes)
    lines += bullet_lines("como corrigir" if pt else "how to fix", result.fixes)
    if result.who:
        lines.append(f"  {'quem deve agir' if pt else 'who should act'}: {', '.join(result.who)}")
    lines.append(f"  catalog: {result.catalog_id or '-'} (rule {result.rule}; source: {result.source})")
    return "\n".join(lines) + "\n"
