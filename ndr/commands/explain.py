"""``ndr explain CODE_OR_TEXT``: the catalog's reason, causes and fixes."""
from __future__ import annotations

import argparse
import sys

from ..explain import explain
from ..policy import Policy
from .common import EXIT_OK, EXIT_USAGE, add_catalog_option, add_lang_option, bullet_lines, catalog_from, write_json

NAME = "explain"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Explain one bounce code or diagnostic: what it means, its likely causes, how to fix it "
        "and who should act, with the catalog rule that decided.")
    parser.formatter_class = argparse.RawDescriptionHelpFormatter  # keep the examples' lines
    parser.epilog = ("examples:\n  ndr explain 5.1.1\n  ndr explain 550\n  ndr explain 4.4.316\n"
                     "  ndr explain 550 5.1.1 user unknown\n"
                     "  ndr explain 'connect to mx1.contoso.com[192.0.2.10]:25: Connection refused'")
    parser.add_argument("query", nargs="+", metavar="CODE_OR_TEXT",
                        help="an enhanced status code (5.1.1), an SMTP reply code (550), an Exchange "
                             "code (4.4.316, 5.7.520), a reply line ('450 4.4.316 ...') or any "
                             "diagnostic text; several words are joined into one text, so quoting "
                             "is optional")
    parser.add_argument("--format", choices=["text", "json"], default="text",
                        help="text (default) or one JSON object")
    add_catalog_option(parser)
    add_lang_option(parser)


def run(args: argparse.Namespace) -> int:
    try:
        result = explain(" ".join(args.query), policy=Policy(lang=args.lang), catalog=catalog_from(args))
    except ValueError as exc:
        print(f"ndr {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.format == "json":
        write_json(result.to_dict())
        return EXIT_OK
    from ..i18n import gettext_for

    _ = gettext_for(args.lang)
    code = " ".join(x for x in (result.reply_code, result.status) if x) or _("(no code)")
    bounce = _("hard bounce") if result.hard else _("soft bounce")
    reason_label, server_label, who_label = _("reason"), _("destination server"), _("who should act")
    lines = [f"{code}: {result.title}",
             f"  {reason_label}: {result.reason} — {result.reason_summary} ({bounce})"]
    if result.remote_mta:
        lines.append(f"  {server_label}: {result.remote_mta}")
    lines += bullet_lines(_("likely causes"), result.causes)
    lines += bullet_lines(_("how to fix"), result.fixes)
    if result.who:
        lines.append(f"  {who_label}: {', '.join(_(who) for who in result.who)}")
    catalog_label, rule_label, source_label = _("catalog"), _("rule"), _("source")
    lines.append(f"  {catalog_label}: {result.catalog_id or '-'} ({rule_label} {result.rule}; "
                 f"{source_label}: {result.source})")
    sys.stdout.write("\n".join(lines) + "\n")
    return EXIT_OK
