"""The HTML report: self-contained (no script, no network), charts as inline SVG, escaped input."""
from __future__ import annotations

import re

from ndr.reading.archives import Problem
from ndr.batch.findings import FindingsBuilder
from ndr.batch.html_report import render_report
from ndr.batch.summary import Summary
from ndr.batch.work import MessageResult, UnitResult


def _row(i, reason, day, diagnostic="550 5.1.1 user unknown"):
    return {"source": "box", "message_index": i, "kind": "bounce", "action": "failed",
            "recipient": f"u{i}@example.com", "status": "5.1.1", "reply_code": "550",
            "remote_mta": "mx.example.com", "reason": reason, "hard": reason == "userunknown",
            "catalog_id": None, "summary": "Mailbox does not exist", "causes": ["A typo."],
            "fixes": ["Fix the address."], "who": ["sender"], "diagnostic_code": diagnostic}


def _report(rows, problems=()):
    summary, findings = Summary(), FindingsBuilder()
    messages = [MessageResult("box", r["message_index"], str(i), (r,), (when,)) for i, (r, when) in enumerate(rows)]
    summary.add(UnitResult(messages=messages, problems=list(problems)))
    findings.add_messages(messages)
    return render_report(summary, findings.findings(), "test <archive>")


def test_self_contained_with_svg_charts():
    rows = [(_row(i, "userunknown" if i % 2 else "mailboxfull", f"2024-05-0{1 + i % 5}"),
             f"2024-05-0{1 + i % 5}T10:00:00Z") for i in range(20)]
    html = _report(rows, [Problem("x.zip", 3, "corrupt member: bad CRC", "m.eml")])
    assert html.count("<svg") == 3
    assert "<script" not in html.lower() and "<link" not in html.lower()
    assert not re.search(r"(src|href)=", html)
    assert "Likely cause: A typo." in html and "Fix: Fix the address." in html
    assert "corrupt member: bad CRC" in html and "m.eml" in html
    assert "test &lt;archive&gt;" in html


def test_hostile_text_is_escaped():
    evil = '<script>alert(1)</script><img src=x onerror=alert(2)>'
    rows = [(_row(i, "userunknown", "2024-05-01", evil), "2024-05-01T10:00:00Z") for i in range(3)]
    html = _report(rows)
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_long_spans_are_bucketed_and_undated_counted():
    rows = [(_row(i, "userunknown", ""), f"{2000 + i}-01-01T00:00:00Z") for i in range(70)]
    rows.append((_row(70, "userunknown", ""), None))
    html = _report(rows)
    assert "Failures per year, by reason" in html and "1 failure carries no date and is not shown" in html
