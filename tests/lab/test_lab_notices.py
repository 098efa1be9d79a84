"""ndr reads the notices that real Postfix, Exim, OpenSMTPD and Sendmail sent in the lab: every
field against the truth the lab knows by construction (lab/truth.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.lab.conftest import SKIP, load_manifest

pytestmark = pytest.mark.lab

MANIFEST = load_manifest()
# (mta, scenario, kind, field) that ndr still reads wrongly, each a known gap; shrinks with fixes.
KNOWN: set[tuple[str, str, str, str]] = {
    # OpenSMTPD says only "Host not found" when the MX host's lookup gets SERVFAIL: the same
    # words as for a host that does not exist, so ndr reads hostunknown (not networkerror).
    ('opensmtpd', 'dnsfail', 'delay', 'reason'),
}


def _id(entry: dict[str, Any]) -> str:
    return f"{entry['mta']}-{entry['scenario']}-{entry['kind']}"


def test_every_scenario_gave_its_notices(lab_out: Path) -> None:
    """Every MTA x scenario of the run: a final notice, and a delay notice first for a temporary
    failure (the long-only scenarios only when the run was long)."""
    import mtas
    import scenarios

    long_run = (lab_out / "long-run").exists()
    got = {(e["mta"], e["scenario"], e["kind"]) for e in load_manifest()}
    ran = {e["mta"] for e in load_manifest()}
    want = set()
    for mta in mtas.MTAS:
        if mta.name not in ran:
            continue
        for s in mta.scenarios(long_run):
            want.add((mta.name, s.name, "final"))
            if s.temporary:
                want.add((mta.name, s.name, "delay"))
    assert sorted(want - got) == []
    assert len(scenarios.SCENARIOS) >= 13


@pytest.mark.parametrize("entry", MANIFEST or [None], ids=_id if MANIFEST else None)
def test_notice_read_right(lab_out: Path, entry: dict[str, Any] | None) -> None:
    if entry is None:
        pytest.skip(SKIP)
    import score

    wrong = score.compare(lab_out, entry)
    known = {f for (m, s, k, f) in KNOWN if (m, s, k) == (entry["mta"], entry["scenario"], entry["kind"])}
    assert {f: v for f, v in wrong.items() if f not in known} == {}
    rec = score.record(lab_out, entry)
    # explained by the catalog: a code entry (catalog_id), or -- for a notice that states only
    # its class (Exim's and OpenSMTPD's 4.0.0 / 5.0.0) -- its reason's entry (summary, fixes)
    assert rec.catalog_id or (rec.reason not in ("undefined", "onhold") and rec.summary and rec.fixes), \
        "every notice is explained by a catalog entry"


def test_advice_is_scoped_to_who_reported(lab_out: Path) -> None:
    """DECISIONS "Language": Microsoft 365's advice only when Exchange reported the failure. None
    of the lab's MTAs is Exchange: every notice gets general advice (and some advice)."""
    import score

    for entry in load_manifest():
        rec = score.record(lab_out, entry)
        words = " ".join(rec.fixes + rec.causes)
        assert rec.fixes, _id(entry)
        assert not any(w in words for w in ("Microsoft", "Exchange", "365")), (_id(entry), words)
