"""The public parse(): standard reports, feedback, auto-replies, ordinary mail, input types."""
from __future__ import annotations

import email
from pathlib import Path

import pytest

import ndr
from ndr import Kind
from ndr.reading.dsn import parse_fields

from .bounces import report
from .conftest import EXAMPLES, with_eol

DSN = report(
    "We could not deliver your message.",
    """Original-Recipient: rfc822; first@example.net
Final-Recipient: rfc822; first@example.net
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 550 5.2.2 <first@example.net>: mailbox full
Last-Attempt-Date: Mon, 2 Nov 2026 10:00:05 +0000""",
    """Final-Recipient: rfc822; second@example.com
Action: delayed
Status: 4.4.1
Remote-MTA: dns; mx.example.com
Will-Retry-Until: Thu, 5 Nov 2026 10:00:00 +0000""",
    """Final-Recipient: rfc822; third@example.com
Action: delivered
Status: 2.0.0""",
    reporting_mta="mta.example.org", sender="MAILER-DAEMON@mta.example.org",
    subject="Delivery Status Notification", boundary="B",
    message_fields="Arrival-Date: Mon, 2 Nov 2026 10:00:00 +0000\nOriginal-Envelope-Id: env-42\n",
    returned_type="message/rfc822",
    returned="""Message-ID: <orig-1@example.org>
Subject: =?utf-8?q?R=C3=A9union?=
From: Sender <sender@example.org>
To: first@example.net
Date: Mon, 2 Nov 2026 09:59:00 +0000

Hello""",
).encode()


@pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])
def test_rfc3464_report(eol: str) -> None:
    report = ndr.parse(with_eol(DSN, eol))
    assert report.kind is Kind.BOUNCE and report.is_bounce
    assert report.decoder == "rfc3464"
    assert report.reporting_mta == "mta.example.org"
    assert report.original_envelope_id == "env-42"
    assert report.arrival_date is not None and report.arrival_date.day == 2
    first, second, third = report.recipients
    # Status was only a class: the code comes from the diagnostic text.
    assert (first.recipient, first.action, first.status, first.reply_code) == (
        "first@example.net", "failed", "5.2.2", "550")
    assert first.original_recipient == "first@example.net"
    assert first.reason == "mailboxfull" and not first.hard
    assert first.last_attempt_date is not None
    assert (second.action, second.status, second.remote_mta, second.hard) == ("delayed", "4.4.1", "mx.example.com", False)
    assert second.will_retry_until is not None
    assert third.reason == "delivered"
    assert report.original.message_id == "<orig-1@example.org>"
    assert report.original.subject == "Réunion"
    assert report.original.from_ == "Sender <sender@example.org>"


def test_remote_mta_from_text_when_field_missing() -> None:
    data = DSN.replace(b"Diagnostic-Code: smtp; 550 5.2.2",
                       b"Diagnostic-Code: smtp; host mx9.example.net[192.0.2.9] said: 550 5.2.2")
    assert ndr.parse(data).recipients[0].remote_mta == "mx9.example.net"


def test_input_types(tmp_path: Path) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(DSN)
    from_bytes = ndr.parse(DSN)
    assert ndr.parse(path).recipients == from_bytes.recipients
    assert ndr.parse(DSN.decode()).recipients == from_bytes.recipients
    assert ndr.parse(email.message_from_bytes(DSN)).recipients[0].recipient == "first@example.net"
    with pytest.raises(TypeError):
        ndr.parse(42)  # type: ignore[arg-type]


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(ndr.InputError):
        ndr.parse(tmp_path / "absent.eml")


def test_ordinary_mail_yields_nothing() -> None:
    report = ndr.parse(b"From: friend@example.com\nTo: me@example.org\nSubject: lunch?\n\nNoon?\n")
    assert report.kind is Kind.NONE and report.recipients == () and not report.is_bounce


def test_garbage_never_raises_and_is_not_a_message() -> None:
    report = ndr.parse(bytes(range(256)) * 10)
    assert report.kind is Kind.NONE
    assert any(d.kind == "not-a-message" for d in report.defects)


def test_strict_policy_raises_on_defects() -> None:
    with pytest.raises(ndr.DefectError):
        ndr.parse(b"Content-Type: multipart/mixed\n\nx\n", policy=ndr.STRICT)


ARF = b"""From: feedback@isp.example
Subject: Abuse report
MIME-Version: 1.0
Content-Type: multipart/report; report-type=feedback-report; boundary="F"

--F
Content-Type: text/plain

This is an abuse report for a message you sent.
--F
Content-Type: message/feedback-report

Feedback-Type: abuse
User-Agent: isp-fbl/1.0
Version: 1
Original-Rcpt-To: <complainer@isp.example>
Source-IP: 192.0.2.77
Reporting-MTA: dns; fbl.isp.example

--F
Content-Type: text/rfc822-headers

From: news@example.org
To: complainer@isp.example
Subject: Offers
Message-ID: <n-1@example.org>
--F--
"""


def test_arf_feedback_is_not_a_bounce() -> None:
    report = ndr.parse(ARF)
    assert report.kind is Kind.FEEDBACK and not report.is_bounce
    (recipient,) = report.recipients
    assert (recipient.recipient, recipient.reason, recipient.feedback_type) == (
        "complainer@isp.example", "feedback", "abuse")
    assert recipient.remote_mta == "192.0.2.77"
    assert report.original.message_id == "<n-1@example.org>"


def test_auto_reply_is_vacation() -> None:
    data = (b"From: Pat <pat@example.net>\nTo: me@example.org\nSubject: Out of office\n"
            b"Auto-Submitted: auto-replied\n\nI am away until Monday.\n\n> quoted\n")
    report = ndr.parse(data)
    assert report.kind is Kind.VACATION
    assert report.recipients[0].recipient == "pat@example.net"
    assert report.recipients[0].reason == "vacation"
    assert report.recipients[0].diagnostic_code == "I am away until Monday."


def test_mailer_daemon_is_never_a_vacation_reply() -> None:
    data = b"From: MAILER-DAEMON@example.net\nSubject: Auto: something\nAuto-Submitted: auto-replied\n\nx\n"
    assert ndr.parse(data).kind is not Kind.VACATION


def test_delivery_status_fields() -> None:
    fields = parse_fields("Reporting-MTA: dns; a\n\nFinal-Recipient: rfc822; x@y.z\nAction: failed\n"
                          "Diagnostic-Code: smtp; 550\n  folded\nFinal-Recipient: rfc822; w@y.z\n")
    assert fields.message == {"reporting-mta": "dns; a"}
    assert [r["final-recipient"] for r in fields.recipients] == ["rfc822; x@y.z", "rfc822; w@y.z"]
    assert fields.recipients[0]["diagnostic-code"] == "smtp; 550 folded"


def test_bundled_examples_parse() -> None:
    report = ndr.parse(EXAMPLES / "postfix-user-unknown.eml")
    assert report.recipients[0].reason == "userunknown" and report.recipients[0].hard
    report = ndr.parse(EXAMPLES / "exchange-connector-refused.eml")
    recipient = report.recipients[0]
    assert recipient.catalog_id == "exo-4.4.316" and recipient.causes and recipient.fixes


def test_to_dict_is_json_ready() -> None:
    import json

    report = ndr.parse(DSN)
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data  # plain JSON types only: a round trip changes nothing
    assert data["kind"] == report.kind.value and data["decoder"] == report.decoder
    assert [r["recipient"] for r in data["recipients"]] == [r.recipient for r in report.recipients]
    first = data["recipients"][0]
    assert first["action"] == report.recipients[0].action and first["reason"] == report.recipients[0].reason
    assert isinstance(first["hard"], bool) and isinstance(data["defects"], list)


def test_public_api_matches_all() -> None:
    namespace: dict[str, object] = {}
    exec("from ndr import *", namespace)
    assert set(ndr.__all__) == {k for k in namespace if not k.startswith("__")}
