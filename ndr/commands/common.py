"""Helpers shared by subcommands: exit codes, output formats, the catalog option."""
from __future__ import annotations

import argparse
import json
import sys
from typing import IO, Any, Iterable

from ..catalog import Catalog, load_catalog

EXIT_OK = 0
EXIT_NOTHING = 1
EXIT_USAGE = 2
EXIT_DATAERR = 65
EXIT_TEMPFAIL = 75


def add_catalog_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--catalog", metavar="FILE",
                        help="a user catalog that extends or overrides the shipped one")


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--lang", default="en", choices=["en", "pt-BR"],
                        help="language of causes and fixes (default: en)")


def catalog_from(args: argparse.Namespace) -> Catalog:
    """The catalog the user asked for; overrides of shipped entries are reported on stderr."""
    catalog = load_catalog(getattr(args, "catalog", None))
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
