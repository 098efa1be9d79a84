"""The one remote_mta rule (ndr/reading/decoders/settle.py), for every decoder: the server that
answered, else the server the text says was tried, else None — never the reporter or the trace
(DECISIONS "Fields")."""
from __future__ import annotations

import pytest

import ndr
from ndr.catalog import load_catalog
from ndr.reading.decoders import settle as hosts
from ndr.reading.decoders.settle import answering_host, trace_host
from ndr.reading.decoders.base import Mail
from ndr.reading.mime import parse as mime_parse

from .bounces import report
from .conftest import with_eol

EOLS = pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])

# A plain-text Postfix notice from relay.example.net: its headers and first line, then the
# recipient's line.
POSTFIX_NOTICE = """\
Received: by relay.example.net (Postfix) id 1A2B3C; Thu, 29 Apr 2021 23:34:45 +0900
From: MAILER-DAEMON@relay.example.net (Mail Delivery System)
To: alice@example.org
Subject: Undelivered Mail Returned to Sender

This is the mail system at host relay.example.net.

"""

ANSWERED_POSTFIX = POSTFIX_NOTICE + """\
<bob@example.com>: host mx1.example.com[192.0.2.7] said: 550 5.1.1 <bob@example.com>:
    Recipient address rejected: User unknown (in reply to RCPT TO command)
"""

CONNECT_FAILED = POSTFIX_NOTICE + """\
<bob@example.com>: connect to mx1.example.com[192.0.2.7]:25: Connection timed out
"""

EXIM_ANSWER = """\
Received: from mail by smtp.example.net with local (Exim 4.94)
From: Mail Delivery System <Mailer-Daemon@smtp.example.net>
To: alice@example.org
Subject: Mail delivery failed: returning message to sender
X-Failed-Recipients: bob@example.com

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bob@example.com
    host mx.example.com [192.0.2.9]: 550 5.1.1 No such user
"""

NO_HOST_NAMED = """\
Received: from smtp.example.net (smtp.example.net [192.0.2.20])
\tby mx.example.org (Postfix) with ESMTP id 9F8E7D; Thu, 29 Apr 2021 23:34:45 +0900
Received: from mail by smtp.example.net with local (Exim 4.94)
From: Mail Delivery System <Mailer-Daemon@smtp.example.net>
To: alice@example.org
Subject: Mail delivery failed: returning message to sender

This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  bob@example.com
    Unrouteable address
"""

DSN_REMOTE = report(
    "Your message could not be delivered.",
    """Final-Recipient: rfc822; bob@example.com
Action: failed
Status: 5.2.2
Remote-MTA: dns; [192.0.2.33]
Diagnostic-Code: smtp; 552 5.2.2 Mailbox full""",
    """Final-Recipient: rfc822; carol@example.com
Action: failed
Status: 4.4.1
Diagnostic-Code: X-Postfix; connect to mx.example.com[192.0.2.8]:25: Connection refused""",
    reporting_mta="relay.example.net", sender="MAILER-DAEMON@relay.example.net", to="alice@example.org",
    subject="Delivery Status Notification (Failure)")


def _record(text: str, eol: str = "lf", recipient: str | None = None):
    report = ndr.parse(with_eol(text.encode(), eol))
    assert report.recipients, report
    if recipient is None:
        return report.recipients[0]
    return next(r for r in report.recipients if r.recipient == recipient)


@EOLS
def test_the_server_that_answered(eol):
    assert _record(ANSWERED_POSTFIX, eol).remote_mta == "mx1.example.com"
    assert _record(EXIM_ANSWER, eol).remote_mta == "mx.example.com"


@EOLS
def test_connection_failure_names_the_server_tried(eol):
    # nobody answered, but the text names the destination the sender tried: that is remote_mta;
    # the reporter stays reporting_mta
    record = _record(CONNECT_FAILED, eol)
    assert record.remote_mta == "mx1.example.com"
    assert record.reporting_mta == "relay.example.net"


@EOLS
def test_no_host_named_gives_none(eol):
    # neither the reporter nor the bounce's trace stands in for a destination nobody named
    record = _record(NO_HOST_NAMED, eol)
    assert record.remote_mta is None
    assert record.reporting_mta is not None


def test_remote_mta_field_wins_and_is_normalised_and_connect_to_names_the_destination():
    assert _record(DSN_REMOTE, recipient="bob@example.com").remote_mta == "192.0.2.33"
    assert _record(DSN_REMOTE, recipient="carol@example.com").remote_mta == "mx.example.com"


@pytest.mark.parametrize("text, want", [
    ("connect to mx.example.com[192.0.2.1]:25: Connection refused", "mx.example.com"),
    ("delivery temporarily suspended: connect to MX.example.com[192.0.2.1]:25: Connection timed out",
     "mx.example.com"),
    ("lost connection with mx.example.com[192.0.2.1] while receiving the initial server greeting",
     "mx.example.com"),
    ("conversation with mx.example.com[192.0.2.1] timed out while sending RCPT TO", "mx.example.com"),
    ("TLS is required, but was not offered by host mx.example.com[192.0.2.1]", "mx.example.com"),
    ("host mx.example.com [192.0.2.1]: Connection refused", "mx.example.com"),
    ("Deferred: Connection refused by mx.example.com.", "mx.example.com"),
    ("Deferred: Connection timed out with mx.example.com.", "mx.example.com"),
    ("450 4.4.316 Connection refused [Message=Socket error code 10061] "
     "[LastAttemptedServerName=mail.contoso.test] [LastAttemptedIP=203.0.113.40:25]", "mail.contoso.test"),
    ("550 4.4.7 QUEUE.Expired; message expired [{LED=450 4.4.312 DNS query failed};{MSG=};"
     "{FQDN=mail.contoso.test};{IP=203.0.113.40}]", "mail.contoso.test"),
    ("Host or domain name not found. Name service error for name=example.com type=MX: Host not found",
     None),
    ("Unrouteable address", None),
])
def test_tried_host(text, want):
    mail = Mail(mime_parse(b"From: x@example.com\n\nx\n"), load_catalog())
    assert hosts.tried_host(mail, text) == want


@pytest.mark.parametrize("header, want", [
    ("Received: by 2002:a17:902:9a94:: with SMTP id w20mr5721806plp.6", "2002:a17:902:9a94::"),
    ("Received: from a.example.net (a.example.net [192.0.2.1])\n\tby B.Example.ORG. (Postfix)", "b.example.org"),
    ("Received: (qmail 1 invoked by uid 910); 29 Apr 2013 04:00:00 -0000\n"
     "Received: from x.example.net by gw.example.com", None),
])
def test_trace_host(header, want):
    text = f"From: MAILER-DAEMON@example.com\nSubject: x\n{header}\n\nbody\n"
    mail = Mail(mime_parse(text.encode()), load_catalog())
    got = trace_host(mail)
    if want is None:  # the qmail note is skipped; the next (newer) header is the oldest hop
        assert got == "gw.example.com"
    else:
        assert got == want


@pytest.mark.parametrize("text, want", [
    ("host mx.example.com[192.0.2.1] said: 550 5.1.1 unknown", "mx.example.com"),
    ("host mx.example.com[192.0.2.1] refused to talk to me: 554 go away", "mx.example.com"),
    ("SMTP error from remote mail server after RCPT TO:<a@b.example>: host mx.b.example [192.0.2.2]: "
     "550 no", "mx.b.example"),
    ("SMTP error from remote server for TEXT command, host: smtp-in.example.fr (193.252.22.65) "
     "reason: 550 5.2.0 rejected", "smtp-in.example.fr"),
    ("connect to mx.example.com[192.0.2.1]:25: Connection refused", None),
    ("lost connection with mx.example.com[192.0.2.1] while receiving the initial server greeting", None),
    ("Unrouteable address", None),
])
def test_answering_host(text, want):
    mail = Mail(mime_parse(b"From: x@example.com\n\nx\n"), load_catalog())
    assert mail.catalog.notices is not None
    assert answering_host(mail, text) == want
