"""What a running service needs to know: address, limits, the ledger, and the secrets it reads
from files (never from the command line, where ``ps`` shows them to every user).

A ``ServeConfig`` holds file paths, not secrets, so it can travel to uvicorn's worker
processes as JSON in the environment; each process reads the files itself (``Secrets``).
"""
from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError

ENV = "NDR_SERVE_CONFIG"
"""The environment variable that carries a ``ServeConfig`` (as JSON) to worker processes."""


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Settings of ``ndr serve`` (all plain values; secrets as file paths)."""

    host: str = "127.0.0.1"
    port: int = 8025
    workers: int = 1
    token_file: str | None = None
    db: str | None = None
    lang: str = "en"
    catalog: str | None = None
    max_body: int = 10 * 1024 * 1024
    """Largest request body accepted; a longer one is answered 413."""
    sns_cert: str | None = None
    """A local PEM certificate used instead of downloading each SigningCertURL (tests)."""
    sns_topics: tuple[str, ...] = ()
    """Topic ARNs accepted from SNS (empty: any topic whose signature holds)."""
    sendgrid_key_file: str | None = None
    mailgun_key_file: str | None = None
    postmark_auth_file: str | None = None
    max_age: float = 600.0
    """Signed timestamps (SendGrid, Mailgun) further than this from now are refused."""
    access_log: bool = True

    def to_env(self) -> str:
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_env(cls) -> "ServeConfig":
        raw = os.environ.get(ENV)
        if not raw:
            return cls()
        data = json.loads(raw)
        data["sns_topics"] = tuple(data.get("sns_topics") or ())
        return cls(**data)


@dataclass(frozen=True, slots=True)
class Secrets:
    """The secrets the configuration names, read from their files. A provider's key is empty when
    its webhook is not configured (a secret file may not be empty, so no configured key is)."""

    token: str | None = None
    """The bearer token of the API; None: no token is asked for."""
    sendgrid_key: str = ""
    mailgun_key: bytes = b""
    postmark_auth: str = ""
    sns_cert: bytes | None = None


def read_secret(path: str, what: str) -> str:
    """One secret file's content, stripped; ``InputError`` when unreadable or empty."""
    try:
        text = Path(path).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{what} {path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    if not text:
        raise InputError(f"{what} {path}: the file is empty")
    return text


def load_secrets(config: ServeConfig) -> Secrets:
    """Read every secret file the configuration names (each must exist and not be empty)."""
    postmark = read_secret(config.postmark_auth_file, "--postmark-auth-file") \
        if config.postmark_auth_file else ""
    if postmark and ":" not in postmark:
        raise InputError("--postmark-auth-file must hold user:password (as in the webhook URL)")
    cert = None
    if config.sns_cert:
        try:
            cert = Path(config.sns_cert).read_bytes()
        except OSError as exc:
            raise InputError(f"--sns-cert {config.sns_cert}: cannot read: {exc.strerror or exc}") from None
    return Secrets(
        token=read_secret(config.token_file, "--token-file") if config.token_file else None,
        sendgrid_key=read_secret(config.sendgrid_key_file, "--sendgrid-key-file")
        if config.sendgrid_key_file else "",
        mailgun_key=read_secret(config.mailgun_key_file, "--mailgun-key-file").encode("utf-8")
        if config.mailgun_key_file else b"",
        postmark_auth=postmark, sns_cert=cert,
    )
