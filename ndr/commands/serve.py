"""``ndr serve``: the HTTP service (``ndr.serve``) under uvicorn.

Secrets come from files only (``--token-file`` and the providers' ``--…-file`` options): a value
on the command line would be visible to every user through ``ps``. Without a token the service
answers anyone, so it then refuses to listen on anything but a loopback address.
"""
from __future__ import annotations

import argparse
import ipaddress
import os
import sqlite3
import sys

from ..errors import InputError
from .common import EXIT_OK, EXIT_USAGE, add_catalog_option, add_lang_option, parse_size

NAME = "serve"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8025, help="port (default 8025)")
    parser.add_argument("--workers", type=int, default=1, metavar="N",
                        help="worker processes (default 1; each parses on its own core)")
    parser.add_argument("--token-file", metavar="FILE",
                        help="file holding the bearer token every endpoint but the webhooks requires")
    parser.add_argument("--db", metavar="FILE",
                        help="SQLite ledger (as ndr analyze --db): keep every record once, by record_id")
    parser.add_argument("--max-body", type=parse_size, default=10 * 1024 * 1024, metavar="SIZE",
                        help="largest request body; larger is answered 413 (default 10M)")
    webhooks = parser.add_argument_group("provider webhooks (secrets from files)")
    webhooks.add_argument("--sns-cert", metavar="FILE",
                          help="PEM certificate used instead of downloading SigningCertURL (tests, no egress)")
    webhooks.add_argument("--sns-topic", action="append", default=[], metavar="ARN",
                          help="accept SNS messages from this topic only (repeatable)")
    webhooks.add_argument("--sendgrid-key-file", metavar="FILE",
                          help="SendGrid signed-event verification key (base64 DER or PEM)")
    webhooks.add_argument("--mailgun-key-file", metavar="FILE", help="Mailgun webhook signing key")
    webhooks.add_argument("--postmark-auth-file", metavar="FILE",
                          help="user:password that the Postmark webhook URL carries (HTTP Basic)")
    webhooks.add_argument("--max-age", type=float, default=600.0, metavar="SECONDS",
                          help="refuse SendGrid/Mailgun signatures older than this (default 600)")
    parser.add_argument("--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"])
    parser.add_argument("--no-access-log", action="store_true", help="do not log one line per request")
    add_catalog_option(parser)
    add_lang_option(parser)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_ledger(path: str) -> None:
    """Open the ledger once before listening, so a bad --db is an error now, not in a worker."""
    from ..batch.ledger import LedgerError
    from ..serve.store import Store

    try:
        Store(path).close()
    except (LedgerError, OSError, sqlite3.Error) as exc:
        raise InputError(f"--db {path}: {exc}") from None


def run(args: argparse.Namespace) -> int:
    try:
        import uvicorn

        from ..serve.app import create_app
        from ..serve.config import ENV, ServeConfig, load_secrets
    except ImportError as exc:
        print(f"ndr: ndr serve needs the serve extra (pip install 'ndr[serve]'): {exc}", file=sys.stderr)
        return EXIT_USAGE
    if not args.token_file and not _loopback(args.host):
        print(f"ndr: refusing to listen on {args.host} without --token-file (anyone could use it)",
              file=sys.stderr)
        return EXIT_USAGE
    if args.workers < 1:
        print("ndr: --workers must be at least 1", file=sys.stderr)
        return EXIT_USAGE
    config = ServeConfig(
        host=args.host, port=args.port, workers=args.workers, token_file=args.token_file, db=args.db,
        lang=args.lang, catalog=args.catalog, max_body=args.max_body, sns_cert=args.sns_cert,
        sns_topics=tuple(args.sns_topic), sendgrid_key_file=args.sendgrid_key_file,
        mailgun_key_file=args.mailgun_key_file, postmark_auth_file=args.postmark_auth_file,
        max_age=args.max_age, access_log=not args.no_access_log)
    app = create_app(config)  # reads every secret file and the catalog now: errors before listening
    if config.db:
        _check_ledger(config.db)
    if not load_secrets(config).token:
        print("ndr: warning: no --token-file: every endpoint is open to local users", file=sys.stderr)
    common = dict(host=config.host, port=config.port, log_level=args.log_level,
                  access_log=config.access_log, server_header=False, proxy_headers=False)
    if config.workers == 1:
        uvicorn.run(app, **common)
    else:
        os.environ[ENV] = config.to_env()  # paths only: each worker reads the files itself
        uvicorn.run("ndr.serve.app:app_from_env", factory=True, workers=config.workers,
                    **common)
    return EXIT_OK

