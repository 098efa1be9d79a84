"""Round-trip and injection properties of the generator (hypothesis, bounded examples)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from email import policy
from email.parser import BytesParser

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndr
from ndr.reading.dsn import parse_fields
from ndr.errors import InputError
from ndr.generate import ReportOptions, generate
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
NOW = T0 + timedelta(days=2)
OPTIONS = ReportOptions(reporting_mta="mx.example.com")
STRICT = policy.strict.clone(linesep="\r\n")
CATALOG = ndr.load_catalog()
SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _concrete(status: str, klass: str) -> str:
    status = status.split("-")[0]
    return klass + status[1:] if status.startswith("X") else status


CODES = sorted({_concrete(e.status, k) for e in CATALOG.codes if e.status for k in "45"
                if not (e.status[0] in "45" and e.status[0] != k)})
HOSTS = ["mx.example.net", "smarthost.example.org", "mx1.mail.example.com", "[192.0.2.25]"]
local_parts = st.one_of(
    st.from_regex(r"[a-z][a-z0-9.+_-]{0,14}[a-z0-9]", fullmatch=True).filter(lambda s: ".." not in s),
    st.text(st.characters(categories=["Ll", "Lu", "Lo"]), min_size=1, max_size=10),
)
# Odd characters: controls, quotes, angle brackets, non-ASCII, boundary-like dashes; no digits, so
# the text cannot carry a second status code that a reader would rightly prefer.
odd_text = st.text(st.characters(blacklist_categories=["Nd", "Cs"], blacklist_characters="."), max_size=60)


@st.composite
def recipients(draw):
    address = f"{draw(local_parts)}@{draw(st.sampled_from(['example.net', 'example.org', 'exämple.de']))}"
    status = draw(st.sampled_from(CODES))
    remote = draw(st.sampled_from(HOSTS))
    if draw(st.booleans()):
        attempt = Attempt(T0, remote, reply=f"{status[0]}50 {status} {draw(odd_text)}")
    else:
        attempt = Attempt(T0, remote, error=draw(st.sampled_from(list(LocalError))), detail=None)
    return QueueRecipient(address, attempts=(attempt,), orcpt=draw(st.none() | st.just(f"rfc822;{address}")))


@SETTINGS
@given(st.lists(recipients(), min_size=1, max_size=3, unique_by=lambda r: r.address.lower()),
       st.sampled_from(["failed", "delayed"]), st.booleans())
def test_ndr_parse_reads_back_recipients_actions_statuses_and_servers(rcpts, action, with_original):
    message = QueuedMessage("Q1", "alice@example.com", T0, tuple(rcpts), envid="ENV1")
    original = b"From: alice@example.com\r\nSubject: hi\r\nMessage-ID: <m1@example.com>\r\n\r\nbody\r\n"
    report = generate(message, action, now=NOW, will_retry_until=NOW, options=OPTIONS,
                      original=original if with_original else None)
    parsed = ndr.parse(report.data, catalog=CATALOG)
    assert parsed.is_bounce
    expected = [(r.address, action, s, r.attempts[0].remote_mta.strip("[]"))
                for r, s in zip(rcpts, report.statuses)]
    got = [(r.recipient, r.action, r.status, (r.remote_mta or "").strip("[]")) for r in parsed.recipients]
    assert got == expected
    for recipient, status in zip(rcpts, report.statuses):
        if recipient.attempts[0].reply:
            assert status == recipient.attempts[0].reply.split()[1]  # the reply's code is kept
    reparsed = BytesParser(policy=STRICT).parsebytes(report.data)
    assert reparsed.as_bytes(policy=STRICT) == report.data


INJECTIONS = ["\r\nX-Injected: 1", "\nX-Injected: 1\n", "\rX-Injected: 1", "\x00X-Injected: 1",
              "\r\n\r\n--=_ndr_\r\nContent-Type: text/plain\r\nX-Injected: 1\r\n\r\n",
              "\u2028X-Injected: 1", "\x85X-Injected: 1"]
FIELDS = ["sender", "recipient", "remote_mta", "reply", "detail", "envid", "orcpt", "queue_id",
          "subject", "encoded_subject", "message_id", "reporting_mta", "from_address"]


def _build(field: str, payload: str):
    values = {f: None for f in FIELDS}
    values[field] = payload
    reply = "450 4.2.0 greylisted" + (payload if field == "reply" else "")
    attempt = Attempt(T0, ("mx.example.net" + payload) if field == "remote_mta" else "mx.example.net",
                      reply=None if field == "detail" else reply,
                      detail=("connect to mx: Connection refused" + payload) if field == "detail" else None)
    recipient = QueueRecipient(("bob@example.net" + payload) if field == "recipient" else "bob@example.net",
                               orcpt=("rfc822;bob" + payload + "@example.net") if field == "orcpt" else None,
                               attempts=(attempt,))
    message = QueuedMessage(("Q1" + payload) if field == "queue_id" else "Q1",
                            ("alice@example.com" + payload) if field == "sender" else "alice@example.com",
                            T0, (recipient,), envid=("E1" + payload) if field == "envid" else None)
    subject = "Hello"
    if field == "subject":
        subject += payload.replace("\r", "").replace("\n", "\r\n ").replace("\x00", "")
    if field == "encoded_subject":
        subject = "=?utf-8?q?" + "".join(f"={b:02X}" for b in ("Hi" + payload).encode()) + "?="
    message_id = "<m1@example.com>" if field != "message_id" else "<m1" + payload.replace("\r", "").replace("\n", "") + "@example.com>"
    original = (f"From: alice@example.com\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n\r\nbody\r\n").encode("utf-8")
    options = ReportOptions(
        reporting_mta=("mx.example.com" + payload) if field == "reporting_mta" else "mx.example.com",
        from_address=("daemon@example.com" + payload) if field == "from_address" else None)
    return message, original, options


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(FIELDS), st.sampled_from(INJECTIONS), st.sampled_from(["failed", "delayed"]))
def test_control_characters_in_any_field_never_add_a_header_or_a_part(field, payload, action):
    message, original, options = _build(field, payload)
    try:
        report = generate(message, action, now=NOW, will_retry_until=NOW, original=original, options=options)
    except InputError as exc:
        assert field in ("sender", "recipient", "remote_mta", "reporting_mta", "from_address")
        assert str(exc)
        return
    parsed = BytesParser(policy=policy.compat32).parsebytes(report.data)
    for part in parsed.walk():
        assert "X-Injected" not in part.keys()
    top = [p.get_content_type() for p in parsed.get_payload()]
    assert top[:2] == ["multipart/alternative", "message/delivery-status"] and len(top) == 3
    assert len(parsed.get_payload(0).get_payload()) == 2
    status = parsed.get_payload(1).get_payload()
    for block in status:
        assert "X-Injected" not in block.keys()
    text = report.data.decode("utf-8", "replace")
    body = text[text.index("message/delivery-status\r\n\r\n"):]
    fields = parse_fields(body.split("\r\n\r\n", 1)[1].split("\r\n--=_ndr_")[0])
    known = {"reporting-mta", "x-ndr-queue-id", "original-envelope-id", "arrival-date"}
    assert set(fields.message) <= known
    for block in fields.recipients:
        assert set(block) <= {"original-recipient", "final-recipient", "action", "status", "remote-mta",
                              "diagnostic-code", "last-attempt-date", "will-retry-until"}
    header_block = text.split("\r\n\r\n", 1)[0]
    assert not any(line.lower().startswith("x-injected") for line in header_block.split("\r\n"))
    assert "\x00" not in header_block
