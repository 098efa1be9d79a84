"""Writers for per-recipient records (JSON Lines or CSV, the fields of ``ndr.records``) and the
terminal progress bar."""
from __future__ import annotations

import csv
import io
import os
import sys
import time
from typing import IO, Any

from ..reading.records import FIELDS
from ..safetext import json_lines, orjson_lines

LIST_SEPARATOR = " | "
"""How list fields (causes, fixes, who, defects) are joined in a CSV cell."""


class RecordWriter:
    """Writes records as JSON Lines, or as CSV when the file name ends in ``.csv``."""

    def __init__(self, stream: IO[str], fmt: str, header: bool = True) -> None:
        if fmt not in ("jsonl", "csv"):
            raise ValueError(f"records format must be jsonl or csv, not {fmt!r}")
        self.stream = stream
        self.fmt = fmt
        self.count = 0
        self._csv = None
        if fmt == "csv":
            self._csv = csv.DictWriter(stream, fieldnames=FIELDS, extrasaction="ignore")
            if header:  # a worker renders its unit's rows without one; the parent writes it
                self._csv.writeheader()

    def write_rendered(self, data: bytes, count: int) -> None:
        """Write ``count`` rows a worker rendered in this writer's format, as UTF-8."""
        self.count += count
        buffer = getattr(self.stream, "buffer", None)
        encoding = (getattr(self.stream, "encoding", None) or "").lower().replace("-", "")
        if buffer is None or encoding != "utf8" or os.linesep != "\n":
            # no bytes below (io.StringIO), another encoding, or line ends the text layer changes
            self.stream.write(data.decode("utf-8"))
            return
        self.stream.flush()  # what was written as text (the CSV header) goes first
        buffer.write(data)


def render(rows: list[dict[str, Any]], fmt: str) -> bytes:
    """``rows`` in the records format ``fmt``, as UTF-8: JSON Lines by orjson (the bytes ``ndr
    parse --format jsonl`` writes for the same records, ten times faster than the standard
    library's encoder), or CSV rows without the header (``RecordWriter`` writes it once)."""
    if fmt == "jsonl":
        return json_lines(rows, orjson_lines())
    if fmt != "csv":
        raise ValueError(f"records format must be jsonl or csv, not {fmt!r}")
    stream = io.StringIO()
    writer = csv.DictWriter(stream, fieldnames=FIELDS, extrasaction="ignore")
    writer.writerows({k: csv_cell(v) for k, v in row.items()} for row in rows)
    return stream.getvalue().encode("utf-8")


def csv_cell(value: Any) -> Any:
    """A CSV cell: lists joined, booleans as true/false, None as empty."""
    if isinstance(value, (list, tuple)):
        return LIST_SEPARATOR.join(str(v) for v in value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else value


def format_of(path: str) -> str:
    """``csv`` for a .csv file name, else ``jsonl``."""
    return "csv" if path.lower().endswith(".csv") else "jsonl"


class Progress:
    """A one-line progress bar on stderr, redrawn at most five times a second; silent when off."""

    def __init__(self, total_bytes: int, enabled: bool, stream: IO[str] = sys.stderr) -> None:
        self.total = total_bytes
        self.enabled = enabled
        self.stream = stream
        self.done = 0
        self.messages = 0
        self.problems = 0
        self.started = time.monotonic()
        self._drawn = 0.0

    def update(self, nbytes: int, messages: int, problems: int) -> None:
        self.done += nbytes
        self.messages += messages
        self.problems += problems
        now = time.monotonic()
        if self.enabled and now - self._drawn >= 0.2:
            self._drawn = now
            self._draw(now)

    def _draw(self, now: float) -> None:
        share = min(self.done / self.total, 1.0) if self.total else 0.0
        filled = int(share * 30)
        rate = self.messages / max(now - self.started, 1e-6)
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {100 * share:5.1f}%  "
                          f"{self.messages} messages  {self.problems} problems  {rate:,.0f}/s ")
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(time.monotonic())
            self.stream.write("\n")
            self.stream.flush()
