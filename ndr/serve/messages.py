"""``POST /v1/parse``: a message or an mbox in, the records of ``ndr parse --all --format json``
out — the same reader (``split_stream``: an mbox when the body starts with ``From ``), the same
parser and the same record builder as the command line."""
from __future__ import annotations

import io
from typing import Any

from ..reading.mbox import MAX_LINE, Limits, split_stream
from ..catalog import Catalog
from ..parse import parse_bytes
from ..policy import Policy
from ..reading.records import records
from .problems import Problem


def parse_body(body: bytes, source: str, catalog: Catalog, policy: Policy) -> list[dict[str, Any]]:
    """Every record of every message in ``body``; 422 when no message in it can be read."""
    handle = io.BytesIO(body)
    lines = iter(lambda: handle.readline(MAX_LINE), b"")
    rows: list[dict[str, Any]] = []
    unreadable = 0
    for item in split_stream(lines, source, None, Limits(max_message_bytes=policy.max_message_bytes)):
        if not item.data.strip():
            unreadable += 1
            continue
        report = parse_bytes(item.data, catalog, policy)
        if any(d.kind == "not-a-message" for d in report.defects):
            unreadable += 1
            continue
        found = records(report, item.source, item.index, include_all=True)
        if item.truncated:  # as ndr parse notes a message cut at --max-message-size
            note = f"size-limit: only the first {policy.max_message_bytes} bytes were read"
            for row in found:
                row["defects"] = [*row["defects"], note]
        rows.extend(found)
    if unreadable and not rows:
        raise Problem(422, "the body is not readable as a mail message (no header fields)",
                      slug="not-a-message")
    return rows
