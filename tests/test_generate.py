"""The generated report: structure, header, delivery-status fields, originals, templates."""
from __future__ import annotations

import dataclasses

from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser

import pytest

import ndr
from ndr.writing.decide import decide
from ndr.errors import InputError, TemplateError
from ndr.policy import Policy
from ndr.generate import ReportOptions, generate, generate_reports
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
NOW = T0 + timedelta(hours=30)
OPTIONS = ReportOptions(reporting_mta="mx.example.com")
ORIGINAL = (b"From: Alice <alice@example.com>\r\nTo: bob@example.net\r\nSubject: Contract draft\r\n"
            b"Message-ID: <draft-1@example.com>\r\nDate: Wed, 01 May 2024 08:00:00 +0000\r\n\r\nHello Bob.\r\n")
STRICT = policy.strict.clone(linesep="\r\n")


def _message(*recipients, **kwargs):
    recipients = recipients or (QueueRecipient("bob@example.net", attempts=(
        Attempt(T0 + timedelta(hours=20), "smarthost.example.net", error=LocalError.REFUSED),)),)
    return QueuedMessage(kwargs.pop("queue_id", "Q1"), kwargs.pop("sender", "alice@example.com"), T0,
                         tuple(recipients), **kwargs)


def _status_fields(report):
    """Per-message and per-recipient field blocks, read straight from the bytes."""
    text = report.data.decode("utf-8")
    start = text.index("delivery-status\r\n")
    body = text[text.index("\r\n\r\n", start) + 4:]
    body = body[: body.index("\r\n--=_ndr_")].replace("\r\n ", " ")
    blocks = [b for b in body.split("\r\n\r\n") if b.strip()]
    return [dict(line.split(": ", 1) for line in block.split("\r\n") if ": " in line) for block in blocks]


def test_structure_and_header():
    report = generate(_message(), "failed", now=NOW, original=ORIGINAL, options=OPTIONS)
    msg = report.message
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "delivery-status"
    types = [p.get_content_type() for p in msg.iter_parts()]
    assert types == ["multipart/alternative", "message/delivery-status", "message/rfc822"]
    assert [p.get_content_type() for p in msg.get_payload(0).iter_parts()] == ["text/plain", "text/html"]
    assert msg["From"] == "Mail Delivery System <MAILER-DAEMON@mx.example.com>"
    assert msg["To"].addresses[0].addr_spec == "alice@example.com"
    assert msg["Subject"] == "Undeliverable: Contract draft"
    assert msg["In-Reply-To"] == msg["References"] == "<draft-1@example.com>"
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["Message-ID"].endswith("@mx.example.com>") and msg["Date"]
    assert report.sender == "alice@example.com" and not report.smtputf8


def test_delivery_status_fields_for_a_refused_smart_host():
    report = generate(_message(envid="ENV-7"), "failed", now=NOW, original=ORIGINAL, options=OPTIONS)
    message_fields, recipient = _status_fields(report)
    assert message_fields["Reporting-MTA"] == "dns; mx.example.com"
    assert message_fields["Original-Envelope-Id"] == "ENV-7"
    assert message_fields["Arrival-Date"] == "Wed, 01 May 2024 08:00:00 +0000"
    assert recipient["Final-Recipient"] == "rfc822; bob@example.net"
    assert "Original-Recipient" not in recipient  # only when ORCPT was given
    assert recipient["Action"] == "failed"
    assert recipient["Status"] == "4.4.1"  # the registered code for a refused connection
    # nobody answered: no Remote-MTA; the host stays in the diagnostic (DECISIONS "Fields")
    assert "Remote-MTA" not in recipient
    assert recipient["Diagnostic-Code"].startswith("X-NDR; connect to smarthost.example.net")
    assert "Will-Retry-Until" not in recipient
    assert report.recipients[0].verdict.entry.id == "net-refused"  # general advice, not Microsoft's
    assert report.recipients[0].verdict.reason == "expired"  # the queue gave up


@pytest.mark.parametrize("error, rfc, exchange, general", [
    (LocalError.DNS, "4.4.3", "4.4.312", "net-dns"), (LocalError.TIMEOUT, "4.4.1", "4.4.315", "net-timeout"),
    (LocalError.REFUSED, "4.4.1", "4.4.316", "net-refused"), (LocalError.DROPPED, "4.4.2", "4.4.318", "net-dropped"),
    (LocalError.TLS_CERTIFICATE, "4.7.5", "4.7.320", "net-certificate"),
    (LocalError.TLS_REQUIRED, "4.7.4", "4.4.317", "net-tls"),
])
def test_local_errors_take_the_catalog_status(error, rfc, exchange, general):
    recipient = QueueRecipient("bob@example.net", attempts=(Attempt(T0, "smarthost.example.net", error=error),))
    report = generate(_message(recipient), "failed", now=NOW, options=OPTIONS)
    assert report.statuses == (rfc,)
    assert report.recipients[0].verdict.entry.id == general
    # Exchange's connector codes only when asked for; the advice stays general (DECISIONS)
    asked = dataclasses.replace(OPTIONS, codes="exchange")
    report = generate(_message(recipient), "failed", now=NOW, options=asked)
    assert report.statuses == (exchange,)
    assert report.recipients[0].verdict.entry.id == general
    text = report.message.get_payload(0).get_payload(0).get_content()
    assert "Microsoft" not in text and "exo-" not in text and "Classified by" not in text


def test_delay_warning_has_will_retry_until_and_headers_only():
    message = _message(orcpt=None) if False else _message()
    decision = decide(message, now=T0 + timedelta(hours=5), lifetime=timedelta(hours=24),
                      warn_after=[timedelta(hours=4)])
    [report] = generate_reports(decision, now=T0 + timedelta(hours=5), original=ORIGINAL, options=OPTIONS)
    assert report.message["Subject"] == "Delivery delayed: Contract draft"
    _, recipient = _status_fields(report)
    assert recipient["Action"] == "delayed"
    assert recipient["Will-Retry-Until"] == "Thu, 02 May 2024 08:00:00 +0000"
    assert [p.get_content_type() for p in report.message.iter_parts()][-1] == "text/rfc822-headers"


def test_orcpt_is_echoed_only_when_given_and_controls_are_xtext_encoded():
    recipient = QueueRecipient("bob@example.net", orcpt="rfc822;Bob\r\nX-Evil: 1@example.net",
                               attempts=(Attempt(T0, reply="550 5.1.1 no such user"),))
    report = generate(_message(recipient), "failed", now=NOW, options=OPTIONS)
    _, fields = _status_fields(report)
    assert fields["Original-Recipient"] == "rfc822; Bob+0D+0AX-Evil:+201@example.net"
    assert "X-Evil" not in report.message


@pytest.mark.parametrize("ret, size_limit, expected", [
    (None, 10 * 1024 * 1024, "message/rfc822"), ("FULL", 10 * 1024 * 1024, "message/rfc822"),
    ("HDRS", 10 * 1024 * 1024, "text/rfc822-headers"), ("FULL", 20, "text/rfc822-headers"),
])
def test_ret_and_size_limit(ret, size_limit, expected):
    options = ReportOptions(reporting_mta="mx.example.com", max_original_bytes=size_limit)
    report = generate(_message(ret=ret), "failed", now=NOW, original=ORIGINAL, options=options)
    last = list(report.message.iter_parts())[-1]
    assert last.get_content_type() == expected
    if expected == "text/rfc822-headers":
        assert b"Hello Bob" not in report.data


def test_unknown_original_is_said_and_not_attached():
    report = generate(_message(), "failed", now=NOW, original=None, options=OPTIONS)
    assert [p.get_content_type() for p in report.message.iter_parts()] == ["multipart/alternative", "message/delivery-status"]
    text = report.message.get_payload(0).get_payload(0).get_content()
    assert "headers are unknown" in text
    assert report.message["Subject"] == "Undeliverable: your message"
    assert report.message["In-Reply-To"] is None


def test_smtputf8_uses_rfc_6533_types():
    recipient = QueueRecipient("jörg@exämple.de", attempts=(Attempt(T0, "mx.example.de", reply="550 5.1.1 unknown"),))
    report = generate(_message(recipient, smtputf8=True), "failed", now=NOW, original=ORIGINAL, options=OPTIONS)
    types = [p.get_content_type() for p in report.message.iter_parts()]
    assert types == ["multipart/alternative", "message/global-delivery-status", "message/global"]
    assert report.smtputf8
    assert "Final-Recipient: utf-8; jörg@exämple.de" in report.data.decode("utf-8")
    headers_only = generate(_message(recipient, smtputf8=True, ret="HDRS"), "failed", now=NOW,
                            original=ORIGINAL, options=OPTIONS)
    assert [p.get_content_type() for p in headers_only.message.iter_parts()][-1] == "message/global-headers"


@pytest.mark.parametrize("original", [ORIGINAL, None])
@pytest.mark.parametrize("action", ["failed", "delayed"])
def test_reparses_unchanged_under_policy_strict(original, action):
    recipient = QueueRecipient("carol@example.org", orcpt="rfc822;carol@example.org", attempts=(
        Attempt(T0, "mx.example.org", reply="450 4.2.0 <carol@example.org>: Recipient address rejected: "
                + "Greylisted, please try again later " * 5),))
    report = generate(_message(recipient, envid="E1"), action, now=NOW, original=original,
                      will_retry_until=NOW, options=OPTIONS)
    parsed = BytesParser(policy=STRICT).parsebytes(report.data)
    assert all(not part.defects for part in parsed.walk())
    assert parsed.as_bytes(policy=STRICT) == report.data
    assert max(len(line) for line in report.data.split(b"\r\n")) <= 78 + 20


def test_ndr_parse_reads_it_back():
    recipients = (
        QueueRecipient("bob@example.net", attempts=(Attempt(T0, "smarthost.example.net", error=LocalError.REFUSED),)),
        QueueRecipient("carol@example.org", attempts=(Attempt(T0, "mx.example.org", reply="550 5.1.1 <carol@example.org>: User unknown"),)),
    )
    report = generate(_message(*recipients), "failed", now=NOW, original=ORIGINAL, options=OPTIONS)
    parsed = ndr.parse(report.data)
    assert parsed.is_bounce
    got = [(r.recipient, r.action, r.status, r.remote_mta) for r in parsed.recipients]
    assert got == [("bob@example.net", "failed", "4.4.1", "smarthost.example.net"),
                   ("carol@example.org", "failed", "5.1.1", "mx.example.org")]
    assert parsed.original.message_id == "<draft-1@example.com>"


def test_language_from_content_language_then_option_then_english():
    # DECISIONS (Language): the report speaks to the original's sender, in the language the
    # original declared; --lang is for originals that declare none (or one ndr cannot speak).
    pt = ORIGINAL.replace(b"Subject:", b"Content-Language: pt-BR\r\nSubject:")
    assert generate(_message(), "failed", now=NOW, original=pt, options=OPTIONS).message["Subject"].startswith("Não entregue")
    english = Policy(lang="en")
    assert generate(_message(), "failed", now=NOW, original=pt, options=OPTIONS,
                    policy=english).message["Subject"].startswith("Não entregue")
    portuguese = Policy(lang="pt-BR")
    assert generate(_message(), "failed", now=NOW, original=ORIGINAL, options=OPTIONS,
                    policy=portuguese).message["Subject"].startswith("Não entregue")
    german = ORIGINAL.replace(b"Subject:", b"Content-Language: de-DE\r\nSubject:")
    assert generate(_message(), "failed", now=NOW, original=german, options=OPTIONS).message["Subject"].startswith("Undeliverable")
    assert generate(_message(), "failed", now=NOW, original=german, options=OPTIONS,
                    policy=portuguese).message["Subject"].startswith("Não entregue")
    with pytest.raises(InputError, match="lang"):
        generate(_message(), "failed", now=NOW, policy=Policy(lang="xx"))


def test_causes_fixes_and_who_come_from_the_catalog():
    report = generate(_message(), "failed", now=NOW, original=ORIGINAL, options=OPTIONS)
    text = report.message.get_payload(0).get_payload(0).get_content()
    entry = ndr.load_catalog().entry("net-refused")  # our own queue: the general advice
    assert entry.causes.get("en")[0] in text.replace("\n", " ").replace("  ", " ") or entry.causes.get("en")[0][:40] in text
    assert "Who should act: Your email admin; The recipient's email admin" in text
    assert "Destination server: smarthost.example.net" in text


def test_html_part_is_autoescaped():
    recipient = QueueRecipient("bob@example.net", attempts=(Attempt(T0, "mx.example.net",
                               reply="550 5.7.1 <script>alert(1)</script> rejected"),))
    report = generate(_message(recipient), "failed", now=NOW, options=OPTIONS)
    html = report.message.get_payload(0).get_payload(1).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html


@pytest.mark.parametrize("field, value", [
    ("sender", "alice@example.com\r\nBcc: x@evil.example"),
    ("reporting_mta", "mx.example.com\r\nX-Evil: 1"),
    ("from_address", "daemon@example.com\nX-Evil: 1"),
    ("remote_mta", "mx\r\nX-Evil: 1"),
    ("address", "bob@example.net\x00\r\nX-Evil: 1"),
])
def test_header_fields_with_controls_are_rejected_naming_the_field(field, value):
    options, message = OPTIONS, _message()
    if field == "sender":
        message = _message(sender=value)
    elif field in ("reporting_mta", "from_address"):
        options = ReportOptions(**{"reporting_mta": "mx.example.com", field: value})
    elif field == "remote_mta":
        message = _message(QueueRecipient("bob@example.net", attempts=(Attempt(T0, value, error=LocalError.DNS),)))
    else:
        message = _message(QueueRecipient(value))
    with pytest.raises(InputError, match=field if field != "address" else "recipient"):
        generate(message, "failed", now=NOW, options=options)


def test_user_template_extends_a_shipped_one(tmp_path):
    (tmp_path / "dsn").mkdir()
    (tmp_path / "dsn" / "failure.txt.j2").write_text(
        '{% extends "shipped/dsn/failure.txt.j2" %}\n{% block admin %}Call the help desk at extension 4242.\n{% endblock %}\n')
    text = generate(_message(), "failed", now=NOW, options=OPTIONS,
                    policy=Policy(templates=tmp_path)).message.get_payload(0).get_payload(0).get_content()
    assert "extension 4242" in text and "More info for email admins" not in text
    assert "Your message could not be delivered" in text  # the rest is the shipped template
    # the old place of the setting still works, with a warning (one settings object: Policy)
    old = ReportOptions(reporting_mta="mx.example.com", templates=tmp_path)
    with pytest.warns(DeprecationWarning, match="Policy"):
        assert generate(_message(), "failed", now=NOW, options=old).data == generate(
            _message(), "failed", now=NOW, options=OPTIONS, policy=Policy(templates=tmp_path)).data


def test_template_error_names_file_and_line(tmp_path):
    (tmp_path / "dsn").mkdir()
    (tmp_path / "dsn" / "failure.txt.j2").write_text("line one\n{{ recipients[0].nonexistent_field }}\n")
    with pytest.raises(TemplateError, match=r"failure\.txt\.j2:2"):
        generate(_message(), "failed", now=NOW, options=OPTIONS, policy=Policy(templates=tmp_path))
    broken = tmp_path / "broken"
    (broken / "dsn").mkdir(parents=True)
    (broken / "dsn" / "failure.txt.j2").write_text("ok\n\n{% if %}\n")
    with pytest.raises(TemplateError, match=r"failure\.txt\.j2:3"):
        generate(_message(), "failed", now=NOW, policy=Policy(templates=broken))


def test_user_templates_are_sandboxed(tmp_path):
    (tmp_path / "dsn").mkdir()
    (tmp_path / "dsn" / "failure.txt.j2").write_text("{{ s.__class__.__mro__ }}\n")
    with pytest.raises(TemplateError, match="failure.txt.j2"):
        generate(_message(), "failed", now=NOW, policy=Policy(templates=tmp_path))


def test_missing_template_folder_is_a_template_error(tmp_path):
    with pytest.raises(TemplateError, match="not a directory"):
        generate(_message(), "failed", now=NOW, policy=Policy(templates=tmp_path / "absent"))


def test_public_api_exports():
    assert ndr.generate is generate
    for name in ("generate", "GeneratedReport", "ReportOptions", "QueuedMessage", "QueueRecipient"):
        assert name in ndr.__all__
