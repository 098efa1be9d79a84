"""Notices in formats no layout describes, read by the generic path (issue 11): detection by
an MTA's opening sentence, localized notices, and the words MTAs write for each reason."""
from __future__ import annotations

import ndr


def _records(text: str) -> list[tuple[str | None, str | None, str]]:
    return [(r.recipient, r.action, r.reason) for r in ndr.parse(text.encode()).recipients]


def test_a_notice_known_by_its_opening_sentence():
    # nothing in the envelope says "bounce": no mail-system sender, a plain Subject
    text = ("From: no-reply@mail.example.net\nTo: sender@example.org\nSubject: Mail\n\n"
            "Your mail sent on: Mon, 6 May 2024 09:00:00 +0900\n"
            "     Could not be delivered to: <kim@example.net>\n     As their mailbox is full.\n")
    assert _records(text) == [("kim@example.net", "failed", "mailboxfull")]


def test_ordinary_mail_with_a_similar_sentence_is_not_a_bounce():
    text = ("From: alice@example.org\nTo: bob@example.net\nSubject: Mail\n\n"
            "The parcel could not be delivered to our office, can you pick it up?\n")
    assert _records(text) == []


def test_a_localized_google_groups_notice():
    text = ("From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nTo: kim@example.org\n"
            "Subject: Delivery Status Notification (Failure)\n\n"
            "Hallo kim@example.org,\n\nSie erhalten diese E-Mail, weil die Gruppe, die Sie kontaktieren "
            "möchten (team), möglicherweise nicht vorhanden ist bzw. Sie nicht die erforderlichen "
            "Berechtigungen haben, um der Gruppe Nachrichten zu posten.\n\n"
            "----- Original message -----\n\nFrom: kim@example.org\nTo: team@groups.example.net\n"
            "Subject: hi\n\nhi\n")
    assert _records(text) == [("team@groups.example.net", "failed", "rejected")]


def test_a_localized_exchange_label_names_the_reporting_server():
    text = ("From: postmaster@example.net\nTo: kim@example.org\nSubject: Unzustellbar: hi\n\n"
            "Die Nachricht konnte nicht zugestellt werden.\n\n"
            "Diagnoseinformationen für Administratoren:\n\nGenerierender Server: mx1.example.net\n\n"
            "lee@example.net\nRemote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n")
    report = ndr.parse(text.encode())
    assert [(r.recipient, r.status, r.reason) for r in report.recipients] == [
        ("lee@example.net", "5.1.1", "userunknown")]
    assert report.recipients[0].reporting_mta == "mx1.example.net"


OPENSMTPD = """\
From: Mailer Daemon <MAILER-DAEMON@mx.example.org>
To: sender@example.org
Subject: Delivery status notification: failed

    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

    An error has occurred while attempting to deliver a message for
    the following list of recipients:

bob@example.net: 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown in virtual mailbox table

carol@example.net: Envelope expired

    Below is a copy of the original message:

From: sender@example.org
To: bob@example.net, carol@example.net
"""

COURIER = """\
From: Courier mail server at mx.example.org <@>
To: sender@example.org
Subject: NOTICE: mail delivery status.

This is a delivery status notification from mx.example.org,
running the Courier mail server, version 1.1.4.

---------------------------------------------------------------------------

                           UNDELIVERABLE MAIL

Your message to the following recipients cannot be delivered:

<bob@example.net>:
    mx.example.net [192.0.2.1]:
>>> RCPT TO:<bob@example.net>
<<< 550 5.1.1 <bob@example.net>: Recipient address rejected: User unknown

<erin@example.net>:
    mx.example.net [192.0.2.1]:
<<< 552 5.2.2 Mailbox full
"""

ORACLE = """\
From: Internet Mail Delivery <postmaster@mail.example.org>
To: sender@example.org
Subject: Delivery Notification: Delivery has failed

This report relates to a message you sent with the following header fields:

  Message-id: <abc@example.org>
  From: sender@example.org
  To: frank@example.net

Your message cannot be delivered to the following recipients:

  Recipient address: frank@example.net
  Reason: Remote SMTP server has rejected address
  Diagnostic code: smtp;550 5.1.1 <frank@example.net>... User unknown
"""


def test_opensmtpd_notice():
    report = ndr.parse(OPENSMTPD.encode())
    assert [(r.recipient, r.status, r.reason, r.status_source) for r in report.recipients] == [
        ("bob@example.net", "5.1.1", "userunknown", "reply"),
        ("carol@example.net", "5.4.7", "expired", "inferred")]


def test_courier_notice():
    report = ndr.parse(COURIER.encode())
    assert [(r.recipient, r.status, r.reason) for r in report.recipients] == [
        ("bob@example.net", "5.1.1", "userunknown"), ("erin@example.net", "5.2.2", "mailboxfull")]


def test_oracle_messaging_server_notice_names_no_quoted_header_address():
    report = ndr.parse(ORACLE.encode())
    assert [(r.recipient, r.status, r.reason) for r in report.recipients] == [
        ("frank@example.net", "5.1.1", "userunknown")]


def test_older_labels_name_the_recipient():
    for label in ("Unknown address", "Bad address", "Receiver not found"):
        text = ("From: postmaster@mail.example.org\nTo: sender@example.org\nSubject: Returned mail\n\n"
                f"Your message could not be delivered.\n\n{label}: lee@example.net\n")
        assert [r.recipient for r in ndr.parse(text.encode()).recipients] == ["lee@example.net"], label


def test_opensmtpd_delay_notice_is_a_delay():
    text = ("From: Mailer Daemon <MAILER-DAEMON@mx.example.org>\nTo: sender@example.org\n"
            "Subject: Delivery status notification: delayed\n\n"
            "    Hi!\n\n    This is the MAILER-DAEMON, please DO NOT REPLY to this email.\n\n"
            "    A message is delayed for more than 4 hours for the following\n    list of recipients:\n\n"
            "bob@example.net: 421 4.3.0 Temporary system problem\n\n"
            "    Please note that this is only a temporary failure report.\n")
    report = ndr.parse(text.encode())
    assert [(r.recipient, r.action, r.status, r.hard) for r in report.recipients] == [
        ("bob@example.net", "delayed", "4.3.0", False)]
