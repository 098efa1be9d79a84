"""Corpus agreement for the vendor formats the table decoder reads (catalog ``vendors`` layouts).

Every corpus file of these families is parsed with LF, CRLF and CR line ends made on the fly;
recipients and status codes must agree with truth.jsonl at least at the rate reached when the
layouts were written (Sisimai's pseudo codes X.0.9NN compare on their class only, as score.py
does). Skipped cleanly when ../shared/corpus is absent.
"""
from __future__ import annotations


import pytest

import ndr

from .conftest import CORPUS, agreement, corpus_rows

# The families whose formats are table layouts in catalog.yaml, and the agreement floor each one
# reached: (recipient %, status %). Where a family stays below 100 the reason is a truth entry
# that disagrees with the text (see the layout notes) or a format variant not described yet.
FLOORS: dict[str, tuple[float, float]] = {
    "lhost-exim": (100, 97),
    "lhost-qmail": (100, 100),
    "lhost-dragonfly": (100, 100),
    "lhost-v5sendmail": (91, 91),  # v5sendmail-01: the truth's address is cut ("kijitora@exampl")
    "lhost-x2": (100, 100),
    "lhost-x3": (100, 100),
    "lhost-zoho": (100, 100),
    "lhost-notes": (100, 100),
    "lhost-domino": (66, 66),  # domino-03: the truth names a domain the message never mentions
    "lhost-biglobe": (100, 100),
    "lhost-verizon": (100, 100),
    "lhost-exchange2003": (100, 100),
    "lhost-ezweb": (100, 100),
    "lhost-imailserver": (100, 100),
    "lhost-kddi": (100, 100),
    "lhost-trendmicro": (100, 100),
    "lhost-fml": (100, 100),
}
ROWS = [row for row in corpus_rows() if row["family"] in FLOORS and row["kind"] == "bounce"]


def _agreement(family: str, eol: str) -> tuple[float, float]:
    rows = [row for row in ROWS if row["family"] == family]
    if not rows:
        pytest.skip(f"no corpus files for {family}")
    return agreement(rows, eol)


@pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])
@pytest.mark.parametrize("family", sorted(FLOORS))
def test_family_agreement(family: str, eol: str) -> None:
    if not ROWS:
        pytest.skip("../shared/corpus is not present")
    recipient, status = _agreement(family, eol)
    want_recipient, want_status = FLOORS[family]
    assert recipient >= want_recipient and status >= want_status, (family, eol, recipient, status)


# Files of these families that the generic fallback reads instead of their layout, each with why;
# every other file of a family must be read by its layout (or a standard report).
FALLS_THROUGH = {
    "lhost-exim-61.eml": "an Exim relay whose notice says 'created automatically by the SMTP "
                         "relay', a variant the exim layout does not detect",
    "lhost-x2-07.eml": "an X2 notice without the text the x2 layout detects",
}


@pytest.mark.parametrize("family", sorted(FLOORS))
def test_family_is_read_by_its_layout(family: str) -> None:
    """Each family's files are decoded by a table layout (or a standard report), not by a later
    generic decoder: all of them but the files named in ``FALLS_THROUGH``, and those not."""
    rows = [row for row in ROWS if row["family"] == family]
    if not rows:
        pytest.skip("../shared/corpus is not present")
    read_by = {row["file"].split("/")[-1]: ndr.parse((CORPUS / row["file"]).read_bytes()).decoder
               for row in rows}
    generic = {name for name, decoder in read_by.items()
               if not decoder or not (decoder.startswith("table:") or decoder in ("rfc3464", "arf"))}
    assert generic == {name for name in read_by if name in FALLS_THROUGH}, (family, read_by)
