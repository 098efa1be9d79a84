"""``ndr catalog check [FILE]``: validate a catalog and report every problem at once."""
from __future__ import annotations

import argparse
import sys

from ..catalog import cache, load_catalog, shipped_catalog_path
from ..errors import CatalogError
from .common import EXIT_DATAERR, EXIT_OK

NAME = "catalog"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    check = sub.add_parser("check", help="validate the shipped catalog, or FILE merged into it")
    check.add_argument("file", nargs="?", metavar="FILE")
    check.add_argument("--alone", action="store_true",
                       help="validate FILE as a whole catalog instead of an extension")


def run(args: argparse.Namespace) -> int:
    cache.READ_CACHE = False  # check the files themselves, not a compiled copy
    try:
        if args.file and args.alone:
            catalog = load_catalog(path=args.file)
        elif args.file and _is_shipped(args.file):
            catalog = load_catalog(path=args.file)
        else:
            catalog = load_catalog(args.file)
    except CatalogError as exc:
        print(f"ndr: {exc}", file=sys.stderr)
        return EXIT_DATAERR
    print(f"catalog ok: {len(catalog.reasons)} reasons, {len(catalog.codes)} codes, "
          f"{len(catalog.hosts)} hosts, {len(catalog.vendors)} vendor formats, "
          f"{len(catalog.webhooks)} webhook mappings ({catalog.path})")
    for override in catalog.overrides:
        print(f"  overrides {override}")
    for note in catalog.deprecations:
        print(f"ndr: warning: deprecated: {note}", file=sys.stderr)
    return EXIT_OK


def _is_shipped(file: str) -> bool:
    from pathlib import Path

    try:
        return Path(file).resolve() == shipped_catalog_path().resolve() or Path(file).name == "catalog.yaml"
    except OSError:
        return False
