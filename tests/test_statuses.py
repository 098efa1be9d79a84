"""status and status_source: stated codes are kept and say where they came from; a failure whose
notice states no code gets the code its reason implies (``inferred``), in the failure's class."""
from __future__ import annotations

import pytest

import ndr
from ndr.reading.statuses import settle

from .bounces import dsn


def _qmail(text: str) -> bytes:
    """A qmail-style notice (no delivery-status part) whose only words are ``text``."""
    return (
        "From: MAILER-DAEMON@mx.example.org\nTo: sender@example.org\n"
        "Subject: failure notice\nDate: Mon, 06 May 2024 09:15:00 +0000\n\n"
        "Hi. This is the qmail-send program at mx.example.org.\n"
        "I'm afraid I wasn't able to deliver your message to the following addresses.\n"
        "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
        f"<bob@example.net>:\n{text}\n\n"
        "--- Below this line is a copy of the message.\n\n"
        "From: sender@example.org\nTo: bob@example.net\nSubject: hi\n\nhello\n"
    ).encode()


@pytest.mark.parametrize("text, reason, status", [
    ("192.0.2.1 does not like recipient.\nRemote host said: 550 sorry, no mailbox here by that name\n"
     "Giving up on 192.0.2.1.", "userunknown", "5.1.1"),
    ("Sorry, the mailbox is full.", "mailboxfull", "5.2.2"),
    ("Message is too big for this system.", "emailtoolarge", "5.3.4"),
    ("Sorry, I couldn't find any host named example.net.", "hostunknown", "5.1.2"),
])
def test_a_failure_without_a_code_gets_the_code_its_reason_implies(text, reason, status):
    (record,) = ndr.parse(_qmail(text)).recipients
    assert (record.reason, record.status, record.status_source) == (reason, status, "inferred")


def test_the_inferred_code_takes_the_class_of_the_reply():
    (record,) = ndr.parse(_qmail("452 mailbox is full, try again later")).recipients
    assert (record.reason, record.status, record.status_source) == ("mailboxfull", "4.2.2", "inferred")


def test_a_delay_without_a_code_is_class_4():
    catalog = ndr.load_catalog()
    assert settle("4.0.0", None, reason=catalog.reason("mailboxfull"), action="delayed",
                  reply=None) == ("4.2.2", "inferred")
    assert settle(None, None, reason=catalog.reason("expired"), action="delayed",
                  reply=None) == ("4.4.7", "inferred")


def test_nothing_is_inferred_for_what_is_not_a_failure():
    catalog = ndr.load_catalog()
    assert settle(None, None, reason=catalog.reason("delivered"), action="delivered",
                  reply=None) == (None, None)
    assert settle(None, None, reason=catalog.reason("feedback"), action=None, reply=None,
                  preset="feedback") == (None, None)


def test_a_stated_code_is_kept_with_its_source():
    (record,) = ndr.parse(dsn("bob@example.net", "5.1.1", text="user unknown")).recipients
    assert (record.status, record.status_source) == ("5.1.1", "reply")
    # the diagnostic names no code: the Status field stands
    report = dsn("bob@example.net", "5.2.2", text="x").replace(b"550 5.2.2 x", b"550 mailbox full")
    (record,) = ndr.parse(report).recipients
    assert (record.status, record.status_source) == ("5.2.2", "report")


def test_a_stated_class_only_code_is_not_replaced():
    # Exim writes Status: 5.0.0 for every failure; stated, so kept (DECISIONS, "Fields")
    report = dsn("bob@example.net", "5.0.0", text="x").replace(b"550 5.0.0 x", b"550 Unknown user (in reply to RCPT TO command)")
    (record,) = ndr.parse(report).recipients
    assert (record.reason, record.status, record.status_source) == ("userunknown", "5.0.0", "report")


def test_every_failure_reason_implies_a_code_in_the_failure_class():
    catalog = ndr.load_catalog()
    for reason in catalog.reasons.values():
        if not reason.default_status or reason.default_status.startswith("2") or reason.id in (
                "feedback", "vacation"):
            continue
        for reply, klass in (("550", "5"), ("450", "4")):
            status, source = settle(f"{klass}.0.0", None, reason=reason, action="failed", reply=reply)
            assert (status, source) == (klass + reason.default_status[1:], "inferred"), reason.id
