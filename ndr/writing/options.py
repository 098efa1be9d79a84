"""How generated reports are written (``ReportOptions``; public as ``ndr.ReportOptions``)."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """How reports are written. Every field has a safe default."""

    reporting_mta: str = "localhost"
    """This MTA's host name: Reporting-MTA, the From domain, the Message-ID domain."""
    from_address: str | None = None
    """The report's From address; default ``MAILER-DAEMON@<reporting_mta>``."""
    lang: str | None = None
    """Deprecated: ``Policy.lang`` (one settings object for parse, explain and generate)."""
    templates: str | Path | None = None
    """Deprecated: ``Policy.templates``."""
    max_original_bytes: int = 10 * 1024 * 1024
    """Larger originals are returned as headers only."""
    codes: str = "rfc"
    """Which codes ``Status:`` states for a local error: ``rfc`` (registered RFC 3463 codes, as
    MTAs write them: refused 4.4.1, DNS 4.4.3, dropped 4.4.2, certificate 4.7.5) or ``exchange``
    (Exchange Online's connector codes, 4.4.316 …). The advice is the general one either way."""
