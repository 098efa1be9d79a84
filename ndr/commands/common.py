"""Helpers shared by subcommands: exit codes, output formats, the catalog option."""
from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from typing import IO, Any, Iterable

from ..catalog import Catalog, load_catalog
from ..policy import DEFAULT, Policy

EXIT_OK = 0
EXIT_NOTHING = 1
EXIT_USAGE = 2
EXIT_DATAERR = 65
EXIT_TEMPFAIL = 75


class HelpFormatter(argparse.HelpFormatter):
    """argparse's help layout, sized to the terminal without importing shutil.

    argparse builds a formatter for every option it adds, and its own looks the width up with
    shutil, whose import pulls bz2 and lzma in: 3 ms on every start of a mailbox rule.
    """

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        super().__init__(prog, indent_increment, max_help_position,
                         _terminal_columns() - 2 if width is None else width)


def _terminal_columns() -> int:
    """What shutil.get_terminal_size() answers: $COLUMNS, else the terminal's, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns if sys.__stdout__ else 0
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class RawHelpFormatter(HelpFormatter, argparse.RawDescriptionHelpFormatter):
    """The same, keeping the description's and epilog's own line breaks (examples)."""


def add_catalog_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", metavar="FILE",
                        help="a user catalog that extends or overrides the shipped one")


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    from ..i18n import LANGS, resolve_language

    parser.add_argument("--lang", default=resolve_language(), choices=LANGS,
                        help="language of labels, dates, causes and fixes "
                             "(default: the user's locale, LC_ALL / LC_MESSAGES / LANG, else en)")


_UNITS = {"": 1, "K": 1024, "M": 1024 ** 2, "G": 1024 ** 3}


def parse_size(text: str) -> int:
    """A positive byte count: ``4096``, ``512K``, ``32M``, ``1G`` (binary units, case-insensitive,
    an optional trailing ``B``)."""
    raw = text.strip().upper().removesuffix("B")
    unit = raw[-1:] if raw[-1:] in ("K", "M", "G") else ""
    number = raw[: len(raw) - len(unit)]
    if not number.isdigit() or int(number) < 1:
        raise argparse.ArgumentTypeError(f"not a size: {text!r} (e.g. 4096, 512K, 32M)")
    return int(number) * _UNITS[unit]


def _count(text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of at least 1, not {text!r}")
    return int(text)


def _size_text(value: int) -> str:
    for unit in ("G", "M", "K"):
        if value % _UNITS[unit] == 0:
            return f"{value // _UNITS[unit]}{unit}"
    return str(value)


# option, Policy field, type, what it bounds
_LIMITS = (
    ("--max-message-size", "max_message_bytes", parse_size, "longer messages: headers and the first SIZE bytes"),
    ("--max-depth", "max_depth", _count, "deepest MIME nesting followed"),
    ("--max-parts", "max_parts", _count, "most MIME parts read from one message"),
    ("--max-headers", "max_header_count", _count, "most header fields read from one header block"),
    ("--max-line", "max_line_bytes", parse_size, "longer lines are cut"),
    ("--max-text", "max_text_chars", _count, "most characters of text (and of one diagnostic) read"),
    ("--max-recipients", "max_recipients", _count, "most recipients reported from one message"),
)


def add_limit_options(parser: argparse.ArgumentParser, **aliases: str) -> None:
    """The parser limits of ``Policy`` as options (hitting one is a defect on the report, never a
    crash). ``aliases`` maps a Policy field to an extra option string (kept for compatibility)."""
    group = parser.add_argument_group("limits on hostile input (a limit hit is a defect on the report)")
    for option, name, kind, what in _LIMITS:
        default = getattr(DEFAULT, name)
        shown = _size_text(default) if kind is parse_size else str(default)
        strings = [option] + ([aliases[name]] if name in aliases else [])
        group.add_argument(*strings, dest=name, type=kind, default=default,
                           metavar="SIZE" if kind is parse_size else "N",
                           help=f"{what} (default {shown})")


def policy_from(args: argparse.Namespace, policy: Policy = DEFAULT) -> Policy:
    """``policy`` with the language and the limits given on the command line."""
    changes: dict[str, object] = {name: getattr(args, name) for _, name, _, _ in _LIMITS
                                  if getattr(args, name, None) is not None}
    if getattr(args, "lang", None):
        changes["lang"] = args.lang
    return policy.clone(**changes)


def catalog_from(args: argparse.Namespace) -> Catalog:
    """The catalog the user asked for; overrides of shipped entries are reported on stderr."""
    catalog = load_catalog(getattr(args, "catalog", None))
    # The catalog lives as long as the command: set its objects aside from the cyclic collector,
    # which would otherwise walk them in every full collection of a long run (a library leaves
    # its host's collector alone; a command owns its process).
    gc.freeze()
    if catalog.overrides and not getattr(args, "quiet", False):
        print(f"ndr: user catalog overrides {len(catalog.overrides)} shipped entr"
              f"{'y' if len(catalog.overrides) == 1 else 'ies'}: {', '.join(catalog.overrides)}",
              file=sys.stderr)
    return catalog


def write_json(value: Any, stream: IO[str] = sys.stdout) -> None:
    stream.write(json.dumps(value, ensure_ascii=False, default=str) + "\n")


def bullet_lines(title: str, items: Iterable[str]) -> list[str]:
    items = list(items)
    if not items:
        return []
    return [f"  {title}:"] + [f"    - {item}" for item in items]
