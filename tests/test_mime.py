"""The MIME scanner: structure, decoding, line endings, defects instead of exceptions."""
from __future__ import annotations

import pytest

from ndr.reading import charsets, mime
from ndr.policy import DEFAULT

from .conftest import with_eol

MULTI = b"""From: a@example.com
Subject: =?utf-8?B?w6lsw6k=?= report
Content-Type: multipart/mixed; boundary="XX"

preamble
--XX
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

caf=E9
--XX
Content-Type: message/rfc822

Message-ID: <m1@example.com>
Subject: inner

body
--XX--
epilogue
"""


@pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])
def test_structure_is_the_same_for_every_line_ending(eol: str) -> None:
    root = mime.parse(with_eol(MULTI, eol))
    assert root.content_type == "multipart/mixed"
    assert [p.content_type for p in root.parts] == ["text/plain", "message/rfc822"]
    assert root.parts[0].text().strip() == "café"
    assert root.parts[1].message is not None
    assert root.parts[1].message.headers.get("message-id") == "<m1@example.com>"
    assert root.headers.decoded("subject") == "élé report"
    assert not root.defects


def test_missing_boundary_is_a_defect_not_an_exception() -> None:
    root = mime.parse(b"Content-Type: multipart/mixed\n\nhello\n")
    assert root.content_type == "text/plain"
    assert any(d.kind == "missing-boundary" for d in root.defects)


def test_truncated_multipart_keeps_what_it_has() -> None:
    root = mime.parse(b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\nfirst\n--b\n\nsecond')
    assert [p.body.strip() for p in root.parts] == [b"first", b"second"]
    assert any(d.kind == "truncated-multipart" for d in root.defects)


def test_longer_boundary_is_not_mistaken_for_the_delimiter() -> None:
    data = b'Content-Type: multipart/mixed; boundary="b"\n\n--b\n\n--bb not a delimiter\n--b--\n'
    root = mime.parse(data)
    assert len(root.parts) == 1
    assert b"--bb not a delimiter" in root.parts[0].body


def test_depth_and_part_limits_are_defects() -> None:
    nested = b"Content-Type: message/rfc822\n\n" * 40 + b"Subject: deep\n\nx\n"
    root = mime.parse(nested, DEFAULT.clone(max_depth=5))
    assert any(d.kind == "depth-limit" for d in root.defects)
    many = b'Content-Type: multipart/mixed; boundary="b"\n\n' + b"--b\n\nx\n" * 50 + b"--b--\n"
    root = mime.parse(many, DEFAULT.clone(max_parts=10))
    assert any(d.kind == "part-limit" for d in root.defects)


def test_size_limit_keeps_the_head() -> None:
    data = b"Subject: big\n\n" + b"x" * 5000
    root = mime.parse(data, DEFAULT.clone(max_message_bytes=1000))
    assert root.headers.get("subject") == "big"
    assert any(d.kind == "size-limit" for d in root.defects)


@pytest.mark.parametrize("charset, raw, text", [
    ("iso-2022-jp", "テスト".encode("iso2022_jp"), "テスト"),
    ("shift_jis", "テスト".encode("shift_jis"), "テスト"),
    ("x-sjis", "テスト".encode("shift_jis"), "テスト"),
    ("windows-1252", "naïve €".encode("cp1252"), "naïve €"),
    ("iso-8859-2", "Łódź".encode("iso-8859-2"), "Łódź"),
    ("no-such-charset", "plain".encode(), "plain"),
    (None, "sans déclaration".encode("utf-8"), "sans déclaration"),
])
def test_charsets(charset: str | None, raw: bytes, text: str) -> None:
    assert charsets.decode_bytes(raw, charset) == text


def test_base64_with_garbage_still_decodes() -> None:
    data = b"Content-Transfer-Encoding: base64\n\naGVsbG8gd29y!!bGQ=\n"
    assert mime.parse(data).payload() == b"hello world"


def test_header_block_without_blank_line_ends_at_first_body_line() -> None:
    root = mime.parse(b"Subject: x\nFrom: a@b.example\nthis is body text\nmore\n")
    assert root.headers.get("subject") == "x"
    assert root.body.startswith(b"this is body text")


def test_mbox_from_line_is_skipped() -> None:
    root = mime.parse(b"From MAILER-DAEMON Mon Jan  1 00:00:00 2024\nSubject: s\n\nb\n")
    assert root.headers.get("subject") == "s"


def test_content_type_parameters() -> None:
    ctype, params = charsets.split_content_type('Multipart/Report; report-type="delivery-status"; boundary=abc')
    assert ctype == "multipart/report"
    assert params == {"report-type": "delivery-status", "boundary": "abc"}
