"""``ndr explain CODE_OR_TEXT...``: the catalog's reason, causes and fixes for each query.

Several codes explain each (``ndr explain 4.4.316 5.1.1``); ``450 4.4.316`` and a diagnostic
line, quoted or not, are one query each. A query nothing in the catalog matches is reported on
standard error and the exit status is 1."""
from __future__ import annotations

import argparse
import sys

from ..explain import Explanation, explain_all, split_queries
from ..policy import Policy
from .common import (EXIT_OK, EXIT_USAGE, RawHelpFormatter, add_catalog_option, add_lang_option, bullet_lines,
                     catalog_from, write_json)

NAME = "explain"
EXIT_NOT_UNDERSTOOD = 1


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = (
        "Explain one bounce code or diagnostic: what it means, its likely causes, how to fix it "
        "and who should act, with the catalog rule that decided.")
    parser.formatter_class = RawHelpFormatter  # keep the examples' lines
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
        results = explain_all(split_queries(list(args.query)), policy=Policy(lang=args.lang),
                              catalog=catalog_from(args))
    except ValueError as exc:
        print(f"ndr {exc}", file=sys.stderr)
        return EXIT_USAGE
    unknown = [r for r in results if not r.understood]
    for result in unknown:
        print(f"ndr explain: nothing in the catalog matches {result.query!r}", file=sys.stderr)
    known = [r for r in results if r.understood]
    if args.format == "json":
        payload = [r.to_dict() for r in results]
        write_json(payload[0] if len(payload) == 1 else payload)
    else:
        sys.stdout.write("\n".join(_text(r, args.lang or "en") for r in known))
    return EXIT_NOT_UNDERSTOOD if unknown else EXIT_OK


def _text(result: Explanation, lang: str) -> str:
    from ..i18n import gettext_for

    _ = gettext_for(lang)
    code = " ".join(x for x in (result.reply_code, result.status) if x) or _("(no code)")
    lines = [f"{code}: {result.title}"]
    if result.last_error_status:
        lines.append(f"  {_('last real error')}: {result.last_error_status}")
    if result.rule.startswith("reply:"):
        lines.append(f"  {_('class')}: {result.reply_code[0] if result.reply_code else '?'}yz")
    else:
        bounce = _("hard bounce") if result.hard else _("soft bounce")
        lines.append(f"  {_('reason')}: {result.reason} — {result.reason_summary} ({bounce})")
    if result.remote_mta:
        lines.append(f"  {_('destination server')}: {result.remote_mta}")
    lines += bullet_lines(_("likely causes"), result.causes)
    lines += bullet_lines(_("how to fix"), result.fixes)
    if result.who:
        lines.append(f"  {_('who should act')}: {', '.join(_(who) for who in result.who)}")
    catalog_label, rule_label, source_label = _("catalog"), _("rule"), _("source")
    lines.append(f"  {catalog_label}: {result.catalog_id or '-'} ({rule_label} {result.rule}; "
                 f"{source_label}: {result.source})")
    return "\n".join(lines) + "\n"
