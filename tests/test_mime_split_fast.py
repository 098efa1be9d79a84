"""The MIME scanner's fifth-pass fast forms give what the plain forms they replace give.

``_split_multipart`` tests a delimiter line inline instead of by a nested function per
delimiter; ``_header_and_body`` builds a header's index while it scans the header and reads a
stray line from it (a stray line's name is "") instead of sorting the pairs. Each is checked
against the plain form on bodies and blocks built from the pieces that decide them.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.errors import Defect, DefectKind
from ndr.policy import DEFAULT, Policy
from ndr.reading.mime import Headers, _FIELD, _header_and_body, _header_text, _split_multipart

_DELIMITER_ENDS = (b"", b"\n", b" ", b"\t")


def _plain_split(body: bytes, boundary: bytes, defects: list[Defect],
                 most: int = 1 << 62) -> list[bytes] | None:
    """The form ``_split_multipart`` had before (a nested function tests each delimiter)."""
    delimiter = b"--" + boundary
    line = b"\n" + delimiter
    size = len(delimiter)

    def is_delimiter_line(position: int) -> bool:
        tail = body[position + size: position + size + 2]
        return tail[:1] in _DELIMITER_ENDS or tail == b"--"

    position = 0 if body.startswith(delimiter) and is_delimiter_line(0) else -1
    search_from = 0
    while position < 0:
        found = body.find(line, search_from)
        if found < 0:
            return None
        if is_delimiter_line(found + 1):
            position = found + 1
        search_from = found + 1
    chunks: list[bytes] = []
    while len(chunks) < most:
        after = position + size
        if body.startswith(b"--", after):
            return chunks
        line_end = body.find(b"\n", after)
        if line_end < 0:
            defects.append(Defect(DefectKind.TRUNCATED_MULTIPART, "the message ends inside a delimiter line"))
            return chunks
        found = body.find(line, line_end)
        while found >= 0 and not is_delimiter_line(found + 1):
            found = body.find(line, found + 1)
        if found < 0:
            defects.append(Defect(DefectKind.TRUNCATED_MULTIPART, "no closing boundary"))
            chunks.append(body[line_end + 1:])
            return chunks
        chunks.append(body[line_end + 1: found])
        position = found + 1
    return chunks


BODY_PIECES = [b"--b", b"--b\t", b"--b ", b"--bx", b"--b--", b"--b-", b"\n", b" ", b"\t", b"-", b"b", b"x", b"text",
               b"\n--b\n", b"\n--b--\n", b"\n--b \n", b"\n--b\t", b"\n--b", b"\n--bb\n",
               b"Content-Type: text/plain\n"]
bodies = st.lists(st.sampled_from(BODY_PIECES), max_size=20).map(b"".join)


@given(bodies, st.sampled_from([b"b", b"bx", b"b-", b"x"]), st.sampled_from([1, 2, 3, 1 << 62]))
@settings(max_examples=1000, deadline=None)
def test_inline_delimiter_test_splits_as_the_nested_function_did(body: bytes, boundary: bytes,
                                                                  most: int) -> None:
    defects: list[Defect] = []
    expected_defects: list[Defect] = []
    assert _split_multipart(body, boundary, defects, most) == _plain_split(body, boundary, expected_defects, most)
    assert defects == expected_defects


HEADER_PIECES = [b"Subject: hi", b"content-TYPE: text/plain", b"Content-Type: x", b"X-A:", b"\n",
                 b"\n\n", b" folded", b"stray line", b":", b" ", b"\xc3\xa9", b"\xff", b"From x"]
blocks = st.lists(st.sampled_from(HEADER_PIECES), max_size=16).map(b"".join)


@given(blocks, st.sampled_from([DEFAULT, Policy(max_header_count=2)]),
       st.sampled_from(["content-type", "Content-Type", "subject", "x-a", "", "nothing"]))
@settings(max_examples=500, deadline=None)
def test_the_index_built_while_scanning_answers_as_one_built_when_asked(data: bytes, policy: Policy,
                                                                       name: str) -> None:
    headers, _ = _header_and_body(data, policy, [])
    asked = Headers.scanned(list(headers._pairs))  # its index is built on the first question
    assert headers.get(name) == asked.get(name)
    assert (name in headers) == (name in asked)
    assert headers.get_all(name) == asked.get_all(name)
    assert "" not in headers  # a stray line's pair never reaches a header


@given(blocks)
@settings(max_examples=300, deadline=None)
def test_a_field_name_is_never_empty(data: bytes) -> None:
    # what lets _header_and_body read a stray line from its index: only a stray line's name is ""
    assert all(name for name, _ in _FIELD.findall(_header_text(data)))


def test_a_part_built_without_its_init_has_every_field() -> None:
    # _entity sets Part's fields itself: a field added to Part must be set there too
    from dataclasses import fields

    from ndr.reading.mime import Part, parse

    root = parse(b"Content-Type: multipart/mixed; boundary=b\n\n--b\n\nx\n--b\n"
                 b"Content-Type: message/rfc822\n\nSubject: s\n\ny\n--b--\n")
    parts = list(root.walk(into_messages=True))
    assert len(parts) == 4
    for part in parts:
        assert all(hasattr(part, each.name) for each in fields(Part))
        assert part is root or part.defects == []
    # each part has lists of its own, as the default factories gave
    assert len({id(part.parts) for part in parts} | {id(part.defects) for part in parts}) == 2 * len(parts)
