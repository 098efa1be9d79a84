"""The report's MIME parts, built by hand so that nothing from input decides the structure: every
boundary is checked against the content it encloses."""
from __future__ import annotations

import binascii
import functools
from dataclasses import dataclass, field
from typing import Sequence

from ..reading import mime
from . import render
from ..errors import InputError


@dataclass(frozen=True, slots=True)
class _Part:
    """One MIME part as written: header bytes, body bytes, and the parts inside it."""

    headers: bytes
    body: bytes
    children: tuple["_Part", ...] = field(default=())
    gap: bool = False
    """End with a blank line, as the stdlib writes nested multiparts and delivery-status bodies
    (so that a strict stdlib re-parse and re-generation gives back the same bytes)."""




# Quoted-printable encodes each line on its own, and reports repeat most of their lines (labels,
# markup, the catalog's causes and fixes): most lines are encoded once.
@functools.lru_cache(maxsize=20000)
def _qp_line(line: str) -> bytes:
    """One line (no line end) quoted-printable encoded, with its CRLF; cached by text."""
    # With its newline, a line is encoded exactly as within the whole text (trailing blanks
    # escaped, soft breaks at 76).
    return binascii.b2a_qp(line.encode("utf-8") + b"\n", quotetabs=False, istext=True,
                           header=False)[:-1].replace(b"\n", b"\r\n") + b"\r\n"


def _alternative(text: bytes, html: bytes, lang: str, digest: str) -> _Part:
    """The multipart/alternative of the two rendered parts, already quoted-printable encoded."""
    language = f"Content-Language: {lang}\r\n".encode()
    plain = _Part(b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                  + language, text)
    rich = _Part(b"Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n"
                 + language, html)
    inner = _boundary(digest, "2", [plain, rich])
    return _Part(f'Content-Type: multipart/alternative;\r\n boundary="{inner}"\r\n'.encode(),
                 _multipart(inner, [plain, rich], b""), (plain, rich), gap=True)


def _status_part(body: str, utf8: bool) -> _Part:
    if utf8:
        data = body.encode("utf-8")
        encoding = b"Content-Transfer-Encoding: 8bit\r\n" if not data.isascii() else b""
        return _Part(b"Content-Type: message/global-delivery-status\r\n" + encoding, data, gap=True)
    return _Part(b"Content-Type: message/delivery-status\r\n", body.encode("ascii"), gap=True)


def _original_part(original: bytes, returned: str, utf8: bool) -> _Part:
    data = mime.normalise_newlines(original)
    if returned == "headers":
        data = mime.split_header_body(data)[0].rstrip(b"\n") + b"\n"
        kind = b"message/global-headers" if utf8 else b"text/rfc822-headers"
    else:
        kind = b"message/global" if utf8 else b"message/rfc822"
        if not data.endswith(b"\n"):
            data += b"\n"
    data = data.replace(b"\n", b"\r\n")
    headers = b"Content-Type: " + kind + b"\r\n"
    if kind == b"text/rfc822-headers":
        headers = b"Content-Type: text/rfc822-headers; charset=utf-8\r\n" if not data.isascii() else headers
    if not data.isascii():
        headers += b"Content-Transfer-Encoding: 8bit\r\n"
    # The stdlib reads message/global-headers as a message: a header block, its blank line, an
    # empty body; written that way, a strict re-parse gives back the same bytes.
    gap = kind == b"message/global-headers"
    return _Part(headers + b"Content-Description: Undelivered message\r\n", data + (b"\r\n" if gap else b""), gap=gap)


def _boundary(digest: str, level: str, parts: Sequence[_Part]) -> str:
    # Deterministic (golden files) yet never present in what it encloses.
    for attempt in range(100):
        candidate = f"=_ndr_{digest}_{level}" + (f"_{attempt}" if attempt else "")
        token = candidate.encode()
        if not any(token in p.headers or token in p.body for p in parts):
            return candidate
    raise InputError("cannot find a MIME boundary absent from the content")


def _multipart(boundary: str, parts: Sequence[_Part], preamble: bytes) -> bytes:
    delimiter = f"--{boundary}".encode()
    chunks = [preamble]
    for part in parts:
        chunks += [delimiter, b"\r\n", part.headers, b"\r\n", part.body]
        if not part.body.endswith(b"\r\n"):
            chunks.append(b"\r\n")
        if part.gap:
            chunks.append(b"\r\n")
    chunks += [delimiter, b"--\r\n"]
    return b"".join(chunks)
