"""Hypothesis properties: parse never raises on arbitrary bytes or on mutated bounces, and line
endings never change the result."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndr
from ndr import Kind

from .conftest import CORPUS, EXAMPLES, corpus_rows, with_eol

SEEDS = [p.read_bytes() for p in sorted(EXAMPLES.glob("*.eml"))]
SEEDS += [(CORPUS / row["file"]).read_bytes() for row in corpus_rows()[::12]]


@given(st.binary(max_size=4096))
@settings(max_examples=300, deadline=None)
def test_parse_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    report = ndr.parse(data)
    assert isinstance(report.kind, Kind)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        operation = draw(st.sampled_from(["cut", "flip", "insert", "drop-line", "dup"]))
        if not data:
            break
        at = draw(st.integers(0, len(data) - 1))
        if operation == "cut":
            del data[at:]
        elif operation == "flip":
            data[at] = draw(st.integers(0, 255))
        elif operation == "insert":
            data[at:at] = draw(st.sampled_from([b"\x00", b"\n--", b"\r", b"=?utf-8?B?", b"\nContent-Type: multipart/mixed\n",
                                                b"Final-Recipient: rfc822; ", b"\xff\xfe", b"\n\n"]))
        elif operation == "drop-line":
            end = data.find(b"\n", at)
            del data[at: end if end > 0 else at + 1]
        else:
            data[at:at] = data[at: at + draw(st.integers(1, 2000))]
    return bytes(data)


@given(mutated())
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_parse_never_raises_on_mutated_bounces(data: bytes) -> None:
    report = ndr.parse(data)
    for recipient in report.recipients:
        assert recipient.reason in ndr.load_catalog().reasons


@given(st.sampled_from(SEEDS))
@settings(max_examples=40, deadline=None)
def test_line_endings_do_not_change_results(data: bytes) -> None:
    lf = ndr.parse(with_eol(data, "lf")).recipients
    assert ndr.parse(with_eol(data, "crlf")).recipients == lf
    assert ndr.parse(with_eol(data, "cr")).recipients == lf
