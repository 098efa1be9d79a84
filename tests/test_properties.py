"""Hypothesis properties: parse never raises on arbitrary bytes or on mutated bounces, and line
endings never change the result."""
from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndr
from ndr import Kind

from .conftest import CORPUS, EXAMPLES, corpus_rows, with_eol
from .mutations import mutated

SEEDS = [p.read_bytes() for p in sorted(EXAMPLES.glob("*.eml"))]
SEEDS += [(CORPUS / row["file"]).read_bytes() for row in corpus_rows()[::12]]


@given(st.binary(max_size=4096))
@settings(max_examples=300, deadline=None)
def test_parse_never_raises_on_arbitrary_bytes(data: bytes) -> None:
    report = ndr.parse(data)
    assert isinstance(report.kind, Kind)


@given(mutated(SEEDS, most=6))
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
