"""Robust framing (issue 11, item 4): bounces wrapped, prefixed or mislabelled are still read,
each with a defect saying what was worked around; older notices that name the recipient in a
form of their own."""
from __future__ import annotations

import base64

import pytest

import ndr

from .conftest import recipient_fields

DSN = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: sender@example.org
Subject: Undelivered Mail Returned to Sender
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="BB"

--BB
Content-Type: text/plain

This is the mail system at host mx.example.org.

<bob@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown
    (in reply to RCPT TO command)

--BB
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.org

Final-Recipient: rfc822; bob@example.net
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 User unknown

--BB--
"""

TEXT_BOUNCE = """\
From: Mail Delivery System <MAILER-DAEMON@mx.example.org>
To: sender@example.org
Subject: Undelivered Mail Returned to Sender

This is the mail system at host mx.example.org.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients.

<bob@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 User unknown
    (in reply to RCPT TO command)
"""

PERSON = ("From: Alice <alice@example.org>\nTo: helpdesk@example.org\n"
          "Date: Mon, 06 May 2024 10:00:00 +0000\n")


def _read(data: str | bytes) -> tuple[list[tuple[str | None, str | None, str]], set[str]]:
    report = ndr.parse(data.encode() if isinstance(data, str) else data)
    return ([(r.recipient, r.status, r.reason) for r in report.recipients],
            {d.kind for d in report.defects})


BOB = [("bob@example.net", "5.1.1", "userunknown")]


def test_a_plain_bounce_has_no_defect():
    assert _read(DSN) == (BOB, set())


def test_leading_blank_and_whitespace_lines():
    assert _read("\n   \n" + DSN) == (BOB, {"leading-blank-lines"})


def test_byte_order_mark():
    assert _read(b"\xef\xbb\xbf" + DSN.encode()) == (BOB, {"leading-bom"})


def test_mbox_from_line():
    assert _read("From MAILER-DAEMON Mon May  6 09:15:00 2024\n" + DSN) == (BOB, {"mbox-from-line"})


def test_utf7_text():
    utf7 = DSN.replace("Content-Type: text/plain\n", "Content-Type: text/plain; charset=utf-7\n")
    utf7 = utf7.replace("This is the mail system", "+AMk-tat: this is the mail system")
    report = ndr.parse(utf7.encode())
    assert [(r.recipient, r.status) for r in report.recipients] == [("bob@example.net", "5.1.1")]


def test_rare_charset_text_part_is_read():
    body = "Ошибка доставки.\n\n<bob@example.net>: 550 5.1.1 user unknown (in reply to RCPT TO command)\n"
    message = (PERSON.replace("Alice <alice", "MAILER-DAEMON <mailer-daemon")
               + "Subject: Undelivered Mail\nMIME-Version: 1.0\nContent-Type: text/plain; charset=koi8-r\n\n")
    assert _read(message.encode() + body.encode("koi8-r"))[0] == BOB


def test_forwarded_inline():
    message = (PERSON + "Subject: Fwd: Undelivered Mail Returned to Sender\n\nSee below.\n\n"
               "---------- Forwarded message ---------\n" + TEXT_BOUNCE)
    assert _read(message) == (BOB, {"forwarded-bounce"})


def test_quoted():
    quoted = "".join("> " + line + "\n" for line in TEXT_BOUNCE.splitlines())
    message = PERSON + "Subject: Re: Undelivered Mail Returned to Sender\n\nWhat is this?\n\n" + quoted
    assert _read(message) == (BOB, {"quoted-bounce"})


def _mixed(attachment_headers: str, attachment: str) -> str:
    return (PERSON + "Subject: please look at this\nMIME-Version: 1.0\n"
            'Content-Type: multipart/mixed; boundary="OUT"\n\n--OUT\nContent-Type: text/plain\n\n'
            f"This came back.\n\n--OUT\n{attachment_headers}\n{attachment}\n--OUT--\n")


def test_attached_as_message_rfc822():
    assert _read(_mixed("Content-Type: message/rfc822\n", DSN)) == (BOB, {"forwarded-bounce"})


def test_attached_as_eml_file():
    headers = ('Content-Type: application/octet-stream; name="bounce.eml"\n'
               'Content-Disposition: attachment; filename="bounce.eml"\n')
    assert _read(_mixed(headers, DSN)) == (BOB, {"forwarded-bounce"})


def test_attached_as_txt_file_in_base64():
    headers = ('Content-Type: text/plain; name="bounce.txt"\nContent-Disposition: attachment\n'
               "Content-Transfer-Encoding: base64\n")
    assert _read(_mixed(headers, base64.encodebytes(TEXT_BOUNCE.encode()).decode())) == (
        BOB, {"forwarded-bounce"})


def test_an_attached_message_that_is_not_a_bounce_is_not_one():
    ordinary = "From: carol@example.org\nTo: alice@example.org\nSubject: lunch\n\nUser unknown? no.\n"
    assert _read(_mixed("Content-Type: message/rfc822\n", ordinary)) == ([], set())


def test_missing_boundary():
    assert _read(DSN.replace('; boundary="BB"', "")) == (BOB, {"missing-boundary"})


def test_wrong_boundary():
    assert _read(DSN.replace('boundary="BB"', 'boundary="CC"')) == (BOB, {"missing-boundary"})


def _notice(subject: str, body: str, sender: str = "postmaster@mail.example.org") -> str:
    return f"From: {sender}\nTo: sender@example.org\nSubject: {subject}\n\n{body}"


# Older notices that name the recipient in a form of their own: (subject, body, sender), then the
# one recipient read as (recipient, status, reason, status_source).
OLDER_NOTICES = {
    "intended_recipient": (
        ("Nondeliverable mail", "Your message could not be delivered.\n\n"
         "Intended recipient: carol@example.net\nReason: 550 5.1.1 No such user here\n", None),
        ("carol@example.net", "5.1.1", "userunknown", "reply")),
    "undeliverable_address_below_its_reason": (
        ("Mail System Error - Returned Mail",
         "This Message was undeliverable due to the following reason:\n\n"
         "The user(s) account is temporarily over quota.\n\n"
         "Undeliverable Address: dave@example.net\n\n"
         "Please reply to postmaster@mail.example.org\nif you feel this message to be in error.\n", None),
        ("dave@example.net", "4.2.2", "mailboxfull", "inferred")),
    "listserv_error_for": (
        ("Delivery error", "Error-for:    erin@example.net\n"
         "550 5.1.1 erin@example.net... User unknown\n",
         '"L-Soft list server at LISTS.EXAMPLE.ORG" <LISTSERV@LISTS.EXAMPLE.ORG>'),
        ("erin@example.net", "5.1.1", "userunknown", "reply")),
    "domino_recipient_only_in_the_subject": (
        ("DELIVERY FAILURE: User frank (frank@example.net) not listed in Domino Directory",
         "Your message\n\n  Subject: quarterly figures\n\nwas not delivered to:\n\n  frank\n\n"
         "because:\n\n  User frank not listed in Domino Directory\n", "Postmaster@notes.example.org"),
        ("frank@example.net", "5.1.1", "userunknown", "inferred")),
    "recipient_only_in_the_returned_message": (
        ("failure notice",
         "Hi. This is the mail transport at mail.example.org.\n"
         "I'm afraid I wasn't able to deliver the following message.\n"
         "This is a permanent error; I've given up. Sorry it didn't work out.\n\n"
         "Remote host said: 550 5.2.2 mailbox full\n\n"
         "--- Below this line is a copy of the message.\n\n"
         "Return-Path: <sender@example.org>\nFrom: sender@example.org\n"
         "To: grace@example.net\nSubject: hello\n\nhi\n", "MAILER-DAEMON@mail.example.org"),
        ("grace@example.net", "5.2.2", "mailboxfull", "reply")),
    "exchange_55_x400_recipient": (
        ("Undeliverable: quarterly figures",
         "Your message\n\n  To:      Henry Smith\n  Subject: quarterly figures\n\n"
         "did not reach the following recipient(s):\n\n"
         "c=US;a= ;p=Example Org;o=Site1;dda:SMTP=henry@example.net; on Mon, 6 May 2002 09:16:00 +0100\n"
         "    The recipient name is not recognized\n"
         "\tMSEXCH:IMS:Example Org:Site1:MAIL01 0 (000C05A6) Unknown Recipient\n",
         "System Administrator <postmaster@exch.example.org>"),
        ("henry@example.net", "5.1.1", "userunknown", "inferred")),
}


@pytest.mark.parametrize("notice, want", OLDER_NOTICES.values(), ids=OLDER_NOTICES)
def test_older_notice_names_its_recipient(notice: tuple[str, str, str | None], want: tuple[str, ...]) -> None:
    subject, body, sender = notice
    text = _notice(subject, body, sender) if sender else _notice(subject, body)
    assert recipient_fields(text, "recipient", "status", "reason", "status_source") == [want]
