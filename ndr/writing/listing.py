"""Reading queue listings into ``QueuedMessage`` records: ndr's own JSON/YAML records and Postfix's
``postqueue -j``, and the original message from the queue."""
from __future__ import annotations

import json
import re
import shlex
import subprocess
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Mapping

import yaml

from ..reading.text import host_in_text
from ..catalog.load import alias_problem
from ..safetext import clean_tree, utf8
from .queue import (RET_VALUES, Attempt, LocalError, Original, QueuedMessage, QueueRecipient, RecordError,
                    RecordProblem, _bool, _CONTROL, _mapping, _notify, _orcpt, _string, check_address,
                    check_host, parse_time)
from ..lazy import regex


def _attempt(raw: Any, field: str) -> Attempt:
    raw = _mapping(raw, field)
    time = parse_time(raw["time"], f"{field}.time") if raw.get("time") is not None else None
    error = raw.get("error")
    if error is not None:
        try:
            error = LocalError(str(error).lower())
        except ValueError:
            raise RecordError(f"{field}.error", f"unknown local error {error!r} (want one of "
                                                f"{', '.join(e.value for e in LocalError)})") from None
    status = _string(raw.get("status"), f"{field}.status")
    if status is not None and not re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", status.strip()):
        raise RecordError(f"{field}.status", f"not an enhanced status code: {status!r}")
    reply = _string(raw.get("reply"), f"{field}.reply")
    if reply is not None and not re.match(r"[245]\d\d(?![\d])", reply.strip()):
        raise RecordError(f"{field}.reply", f"an SMTP reply starts with a 3-digit code: {reply!r}")
    if reply is None and error is None and not raw.get("detail"):
        raise RecordError(field, "needs a reply, an error or a detail")
    return Attempt(time=time, remote_mta=check_host(raw.get("remote_mta"), f"{field}.remote_mta"),
                   reply=reply.strip() if reply else None, status=status.strip() if status else None,
                   error=error, detail=_string(raw.get("detail"), f"{field}.detail"))


def _recipient(raw: Any, field: str) -> QueueRecipient:
    raw = _mapping(raw, field)
    attempts = raw.get("attempts") or []
    if not isinstance(attempts, list):
        raise RecordError(f"{field}.attempts", "must be a list")
    return QueueRecipient(
        address=check_address(raw.get("address"), f"{field}.address"),
        notify=_notify(raw.get("notify"), f"{field}.notify"),
        orcpt=_orcpt(raw.get("orcpt"), f"{field}.orcpt"),
        attempts=tuple(_attempt(a, f"{field}.attempts[{i}]") for i, a in enumerate(attempts)),
    )


def _original(raw: Any, base: Path | None) -> Original:
    if raw is None:
        return Original()
    raw = _mapping(raw, "original")
    if raw.get("path") is not None:
        path = Path(str(raw["path"]))
        if base is not None and not path.is_absolute():
            path = base / path
        return Original(path=str(path))
    if raw.get("inline") is not None:
        inline = _string(raw["inline"], "original.inline")
        return Original(inline=utf8(inline or ""))
    raise RecordError("original", "needs path or inline")


NDR_FIELDS = frozenset({"id", "sender", "arrival", "recipients", "size", "ret", "envid", "smtputf8",
                        "forced_expire", "last_warning", "original", "queue_name"})


def ndr_record(raw: Any, label: str, base: Path | None = None) -> QueuedMessage:
    """A ``QueuedMessage`` from one ndr queue record; raises ``RecordError`` naming the field."""
    raw = _mapping(raw, "record")
    unknown = sorted(set(raw) - NDR_FIELDS)
    if unknown:
        raise RecordError(unknown[0], f"unknown field (known: {', '.join(sorted(NDR_FIELDS))})")
    queue_id = _string(raw.get("id"), "id", required=True, allow_empty=False)
    assert queue_id is not None
    if _CONTROL.search(queue_id):
        raise RecordError("id", f"control character in {queue_id!r}")
    recipients = raw.get("recipients")
    if not isinstance(recipients, list) or not recipients:
        raise RecordError("recipients", "must be a non-empty list")
    ret = _string(raw.get("ret"), "ret")
    if ret is not None and ret.upper() not in RET_VALUES:
        raise RecordError("ret", f"want FULL or HDRS, not {ret!r}")
    envid = _string(raw.get("envid"), "envid")
    if envid is not None and len(envid) > 100:
        raise RecordError("envid", "longer than 100 characters (RFC 3461 §4.4)")
    size = raw.get("size")
    if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
        raise RecordError("size", "must be a whole number of bytes")
    return QueuedMessage(
        queue_id=queue_id,
        sender=check_address(raw.get("sender"), "sender", allow_empty=True),
        arrival=parse_time(raw.get("arrival"), "arrival") if raw.get("arrival") is not None
        else _missing("arrival"),
        recipients=tuple(_recipient(r, f"recipients[{i}]") for i, r in enumerate(recipients)),
        size=size, ret=ret.upper() if ret else None, envid=envid or None,
        smtputf8=_bool(raw.get("smtputf8"), "smtputf8"),
        forced_expire=_bool(raw.get("forced_expire"), "forced_expire"),
        last_warning=parse_time(raw["last_warning"], "last_warning") if raw.get("last_warning") is not None else None,
        original=_original(raw.get("original"), base),
        queue_name=_string(raw.get("queue_name"), "queue_name"),
        label=label,
    )


def _missing(field: str) -> datetime:
    raise RecordError(field, "missing")


def postfix_record(raw: Any, label: str, command: str | None = None) -> QueuedMessage:
    """A ``QueuedMessage`` from one ``postqueue -j`` object (unknown members ignored).

    ``command`` reads the message, e.g. ``postcat -bhq {queue_id}``; without it the original is
    absent and the report says its headers are unknown.
    """
    raw = _mapping(raw, "record")
    queue_id = _string(raw.get("queue_id"), "queue_id", required=True, allow_empty=False)
    assert queue_id is not None
    if not re.fullmatch(r"[A-Za-z0-9]+", queue_id):
        raise RecordError("queue_id", f"not a Postfix queue id: {queue_id!r}")
    recipients = raw.get("recipients")
    if not isinstance(recipients, list) or not recipients:
        raise RecordError("recipients", "must be a non-empty list")
    parsed = []
    for index, item in enumerate(recipients):
        field = f"recipients[{index}]"
        item = _mapping(item, field)
        attempts: tuple[Attempt, ...] = ()
        reason = item.get("bounce_reason") or item.get("delay_reason")
        if reason is not None:
            text = _string(reason, f"{field}.delay_reason") or ""
            attempts = (Attempt(time=None, remote_mta=host_in_text(text), detail=text),)
        orig = item.get("orig_address")
        parsed.append(QueueRecipient(
            address=check_address(item.get("address"), f"{field}.address"),
            orcpt=_orcpt(f"rfc822;{orig}", f"{field}.orig_address") if orig else None,
            attempts=attempts,
        ))
    argv = tuple(a.replace("{queue_id}", queue_id) for a in shlex.split(command)) if command else None
    size = raw.get("message_size")
    return QueuedMessage(
        queue_id=queue_id, sender=check_address(raw.get("sender", ""), "sender", allow_empty=True),
        arrival=parse_time(raw.get("arrival_time"), "arrival_time") if raw.get("arrival_time") is not None
        else _missing("arrival_time"),
        recipients=tuple(parsed), size=size if isinstance(size, int) and not isinstance(size, bool) else None,
        forced_expire=_bool(raw.get("forced_expire"), "forced_expire"),
        original=Original(command=argv) if argv else Original(),
        queue_name=_string(raw.get("queue_name"), "queue_name"), label=label,
    )


def read_listing(data: bytes | str, name: str = "<stdin>", *, command: str | None = None,
                 base: Path | None = None) -> Iterator[QueuedMessage | RecordProblem]:
    """Every record of a listing, as ``QueuedMessage`` or ``RecordProblem``, in order.

    ``command`` reads originals of postqueue records; ``base`` resolves relative original paths.
    """
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    try:
        records = list(_documents(text))
    except ValueError as exc:
        yield RecordProblem(name, "", str(exc))
        return
    for number, (line, raw) in enumerate(records, 1):
        label = f"{name} record {number}" + (f" (line {line})" if line else "")
        if isinstance(raw, Mapping):
            ident = raw.get("queue_id") or raw.get("id")
            if isinstance(ident, (str, int)) and not _CONTROL.search(str(ident)):
                label += f" id={ident}"
        if isinstance(raw, _Broken):
            yield RecordProblem(label, "", raw.problem)
            continue
        try:
            if isinstance(raw, Mapping) and "queue_id" in raw:
                yield postfix_record(raw, label, command)
            else:
                yield ndr_record(raw, label, base)
        except RecordError as exc:
            yield RecordProblem(label, exc.field, exc.problem)


def _documents(text: str) -> Iterator[tuple[int | None, Any]]:
    stripped = text.lstrip()
    if not stripped:
        return
    if stripped[0] in "{[":
        try:
            yield from _unwrap(clean_tree(json.loads(text)), None)
            return
        except json.JSONDecodeError as exc:
            if exc.msg != "Extra data":
                raise ValueError(f"invalid JSON at line {exc.lineno}: {exc.msg}") from None
        for number, line in enumerate(text.splitlines(), 1):  # JSON lines (postqueue -j)
            if line.strip():
                try:
                    yield number, clean_tree(json.loads(line))
                except json.JSONDecodeError as exc:
                    yield number, _Broken(f"invalid JSON: {exc.msg}")
        return
    try:
        problem = alias_problem(text)  # an alias bomb expands to billions of records
        if problem:
            raise ValueError(problem)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"invalid YAML{where}: {getattr(exc, 'problem', None) or exc}") from None
    yield from _unwrap(clean_tree(document), None)


class _Broken(dict[str, Any]):
    """A line that is not JSON: reported as a problem of that record."""

    def __init__(self, problem: str) -> None:
        super().__init__()
        self.problem = problem


def _unwrap(document: Any, line: int | None) -> Iterator[tuple[int | None, Any]]:
    if isinstance(document, Mapping) and "messages" in document:
        document = document["messages"]
    if isinstance(document, list):
        for item in document:
            yield line, item
    elif document is not None:
        yield line, document


def load_original(message: QueuedMessage, timeout: float = 30.0) -> bytes | None:
    """The queued message itself, or None when the listing gives no way to read it.

    Raises ``RecordError`` (field ``original``) when the path or command fails.
    """
    source = message.original
    if source.inline is not None:
        return source.inline
    if source.path is not None:
        try:
            return Path(source.path).read_bytes()
        except OSError as exc:
            raise RecordError("original.path", f"{source.path}: {exc.strerror or exc}") from None
    if source.command:
        try:
            done = subprocess.run(list(source.command), capture_output=True, timeout=timeout, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise RecordError("original", f"{' '.join(source.command)}: {exc}") from None
        if done.returncode != 0:
            error = done.stderr.decode("utf-8", "replace").strip().splitlines()
            raise RecordError("original", f"{' '.join(source.command)} exited {done.returncode}"
                                          + (f": {error[-1]}" if error else ""))
        return strip_postcat_markers(done.stdout)
    return None


_MARKER = regex(rb"^\*\*\* (?:ENVELOPE RECORDS|MESSAGE CONTENTS|HEADER EXTRACTED|BODY EXTRACTED|"
                     rb"MESSAGE FILE END|HEADER EXTRACTED)[^\r\n]* \*\*\*\r?$")


def strip_postcat_markers(data: bytes) -> bytes:
    """``postcat`` output without its ``*** HEADER EXTRACTED ... ***`` section lines."""
    lines = data.split(b"\n")
    kept = [line for line in lines if not _MARKER.match(line)]
    return b"\n".join(kept).lstrip(b"\r\n")
