"""Mail-flow findings: grouping by destination and catalog entry, thresholds, first/last seen."""
from __future__ import annotations

from ndr.reading.archives import DEFAULT_LIMITS
from ndr.batch.engine import LocalEngine
from ndr.batch.findings import FindingsBuilder, Thresholds
from ndr.batch.units import plan
from ndr.batch.work import WorkContext

from .bounces import mbox, mixed


def _findings(tmp_path, **thresholds):
    (tmp_path / "box.mbox").write_bytes(mbox(mixed(30)))
    builder = FindingsBuilder(Thresholds(**thresholds))
    for result in LocalEngine(WorkContext(), 1).run(plan([str(tmp_path / "box.mbox")], DEFAULT_LIMITS)):
        builder.add_messages(result.messages)
    return builder.findings()


def test_groups_by_server_with_cause_fix_and_period(tmp_path):
    found = _findings(tmp_path)
    assert {(f.destination, f.reason, f.action) for f in found} == {
        ("mx1.example.com", "userunknown", "failed"), ("mx.example.net", "mailboxfull", "failed"),
        ("mx1.contoso.example", "networkerror", "delayed")}
    delayed = next(f for f in found if f.action == "delayed")
    assert delayed.messages == 10 and delayed.destination == "mx1.contoso.example"
    assert delayed.code == "450 4.4.1"
    assert delayed.first_seen == "2024-05-06T11:08:00Z" and delayed.last_seen == "2024-05-09T11:23:00Z"
    assert "were delayed with 450 4.4.1" in delayed.text and "between 2024-05-06 11:08 and 2024-05-09 11:23 UTC" in delayed.text
    unknown = next(f for f in found if f.reason == "userunknown")
    assert unknown.causes and unknown.fixes
    assert f"likely cause: {unknown.causes[0]} Fix: {unknown.fixes[0]}" in unknown.text
    assert ".;" not in unknown.text and ".." not in unknown.text


def test_thresholds(tmp_path):
    assert _findings(tmp_path, min_count=11) == []
    assert len(_findings(tmp_path, limit=1)) == 1
    by_domain = _findings(tmp_path, group_by="domain")
    assert {f.destination for f in by_domain} == {"example.com", "example.net", "contoso.example"}
    full = next(f for f in by_domain if f.reason == "mailboxfull")
    assert full.recipients == 5 and full.count == 10
