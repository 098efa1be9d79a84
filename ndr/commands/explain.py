"""``ndr explain CODE_OR_TEXT``: the catalog's reason, causes and fixes."""
from __future__ import annotations

import argparse
import sys

from ..explain import explain
from ..policy import Policy
from .common import EXIT_OK, add_catalog_option, add_lang_option, bullet_lines, catalog_from, write_json

NAME = "explain"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("query", nargs="+", metavar="CODE_OR_TEXT")
    parser.add_argument("--format", choices=["text", "json"], default="text")
    add_catalog_option(parser)
    add_lang_option(parser)


def run(args: argparse.Namespace) -> int:
    result = explain(" ".join(args.query), policy=Policy(lang=args.lang), catalog=catalog_from(args))
    if args.format == "json":
        write_json(result.to_dict())
        return EXIT_OK
    code = " ".join(x for x in (result.reply_code, result.status) if x) or "(no code)"
    lines = [f"{code}: {result.title}",
             f"  reason: {result.reason} — {result.reason_summary}"
             f" ({'hard' if result.hard else 'soft'} bounce)"]
    if result.remote_mta:
        lines.append(f"  destination server: {result.remote_mta}")
    lines += bullet_lines("causas prováveis" if args.lang == "pt-BR" else "likely causes", result.causes)
    lines += bullet_lines("como corrigir" if args.lang == "pt-BR" else "how to fix", result.fixes)
    if result.who:
        lines.append(f"  {'quem deve agir' if args.lang == 'pt-BR' else 'who should act'}: {', '.join(result.who)}")
    lines.append(f"  catalog: {result.catalog_id or '-'} (rule {result.rule}; source: {result.source})")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK
