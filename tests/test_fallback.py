"""The generic fallback and the text scan: hand-written bounces in formats no layout describes,
the gate that keeps ordinary mail out, and a property: arbitrary non-bounce text never yields a
recipient, and nothing raises."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ndr
from ndr import Kind
from ndr.catalog import load_catalog
from ndr.catalog import notices
from ndr.reading.decoders.fallback import Fallback
from ndr.reading.decoders.base import Mail
from ndr.reading.mime import parse as mime_parse

from .conftest import run_ndr, with_eol


def _mail(text: str) -> Mail:
    return Mail(mime_parse(text.encode("utf-8")), load_catalog())


def _one(text: str):
    report = ndr.parse(text.encode("utf-8"))
    assert report.kind is Kind.BOUNCE, report
    return report


TRANSCRIPT = """\
From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
To: alice@example.org
Subject: Returned mail: see transcript for details

Delivery failed for one recipient.

   ----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> MAIL From:<alice@example.org>
<<< 250 2.1.0 Sender ok
>>> RCPT To:<bob@example.com>
<<< 550 5.1.1 <bob@example.com>... No such user here
"""

HOST_SAID = """\
From: MAILER-DAEMON@mail.example.net (Mail Delivery System)
To: alice@example.org
Subject: Undelivered Mail Returned to Sender

This is the mail system at host mail.example.net.

<carol@example.com>: host mx1.example.com[192.0.2.7] said: 552 5.2.2 Mailbox
    over quota (in reply to RCPT TO command)
"""

INDENTED = """\
From: postmaster@example.net
To: alice@example.org
Subject: failure notice

I could not deliver your message to these addresses.

dave@example.com
    Remote host said: 550 5.7.1 Relaying denied

erin@example.com
    Remote host said: 452 4.2.2 Mailbox full, try later
"""

NO_CODE = """\
From: "Mail Delivery System" <mailer-daemon@example.net>
To: alice@example.org
Subject: Undeliverable message

Your message to the following address could not be delivered.

Recipient address: frank@example.com
Reason: the mailbox is disabled
"""

DELAY = """\
From: mailer-daemon@example.net
To: alice@example.org
Subject: Delivery delayed

THIS IS A WARNING MESSAGE ONLY. Delivery will be retried.

<gina@example.com>: connection timed out
"""

INLINE_DSN = """\
From: mailer-daemon@example.net
To: alice@example.org
Subject: Delivery Status Notification (Failure)

A message could not be delivered.

Reporting-MTA: dns; out.example.net
Final-Recipient: rfc822; hank@example.com
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown
"""

FORWARDED = """\
From: Alice <alice@example.org>
To: helpdesk@example.org
Subject: Fwd: Undelivered Mail Returned to Sender

Can you look at this?

From: MAILER-DAEMON@relay.example.net
Subject: Undelivered Mail Returned to Sender
To: alice@example.org

<ivan@example.com>: host mx.example.com[192.0.2.9] said: 550 5.1.1 unknown user
"""


def test_transcript_gives_recipient_code_and_host() -> None:
    [r] = _one(TRANSCRIPT).recipients
    assert (r.recipient, r.status, r.reply_code, r.remote_mta) == ("bob@example.com", "5.1.1", "550",
                                                                   "mx.example.com")
    assert "2.1.0" not in (r.diagnostic_code or "")  # success replies are not the diagnostic


def test_host_said_line_with_continuation() -> None:
    [r] = _one(HOST_SAID).recipients
    assert (r.recipient, r.status, r.reply_code, r.remote_mta) == ("carol@example.com", "5.2.2", "552",
                                                                   "mx1.example.com")
    assert "in reply to RCPT TO" in r.diagnostic_code
    assert r.reporting_mta == "mail.example.net"


def test_address_line_then_indented_reason_per_recipient() -> None:
    report = _one(INDENTED)
    found = {r.recipient: (r.status, r.reply_code) for r in report.recipients}
    assert found == {"dave@example.com": ("5.7.1", "550"), "erin@example.com": ("4.2.2", "452")}


def test_delay_notice_is_delayed_and_class_4() -> None:
    [r] = _one(DELAY).recipients
    assert r.action == "delayed" and r.status.startswith("4.") and r.status_source == "inferred" and not r.hard


# One recipient read from each: the named fields and their values.
ONE_RECIPIENT = {
    # no code stated: the reason's code in the final-failure class (issue 11, item 3)
    "no_code_means_final_failure_class": (NO_CODE, ("recipient", "status", "status_source", "action"),
                                          ("frank@example.com", "5.2.1", "inferred", "failed")),
    "status_fields_written_into_text": (INLINE_DSN, ("recipient", "status", "reply_code", "reporting_mta"),
                                        ("hank@example.com", "5.1.1", "550", "out.example.net")),
    "bounce_forwarded_in_the_text": (FORWARDED, ("recipient", "status", "remote_mta"),
                                     ("ivan@example.com", "5.1.1", "mx.example.com")),
}


@pytest.mark.parametrize("text, names, want", ONE_RECIPIENT.values(), ids=ONE_RECIPIENT)
def test_one_recipient_read(text: str, names: tuple[str, ...], want: tuple[str, ...]) -> None:
    [r] = _one(text).recipients
    assert tuple(getattr(r, name) for name in names) == want


@pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])
def test_line_endings_parse_alike(eol: str) -> None:
    for text in (TRANSCRIPT, HOST_SAID, INDENTED, INLINE_DSN):
        base = [(r.recipient, r.status, r.remote_mta) for r in ndr.parse(text.encode()).recipients]
        other = [(r.recipient, r.status, r.remote_mta)
                 for r in ndr.parse(with_eol(text.encode(), eol)).recipients]
        assert base == other and base


def test_ordinary_mail_is_not_a_bounce_even_with_addresses_and_codes() -> None:
    text = ("From: bob@example.com\nTo: alice@example.org\nSubject: lunch\n\n"
            "<carol@example.com>: host mx.example.com said: 550 5.1.1 no\n"
            "RCPT TO:<dave@example.com>\n550 5.1.1 unknown\n")
    assert ndr.parse(text.encode()).kind is Kind.NONE
    assert Fallback().decode(_mail(text)) is None


def test_the_bounce_own_addresses_are_never_recipients() -> None:
    text = ("From: MAILER-DAEMON@example.net\nTo: alice@example.org\nSubject: failure notice\n\n"
            "alice@example.org: your message failed\n<bob@example.com>: 550 5.1.1 unknown\n")
    assert [r.recipient for r in _one(text).recipients] == ["bob@example.com"]


def test_layout_is_compiled_once_per_catalog() -> None:
    catalog = load_catalog()
    assert catalog.notices is not None and catalog.notices is catalog.notices


def test_layout_problems_are_reported() -> None:
    bad = {"source": "x", "recipients": ["^no address here", "no anchor {address}"],
           "senders": ["Upper"], "remote_mta": ["\\bby (a)(b)"], "bogus": 1}
    problems = notices.problems(bad)
    assert any("unknown field 'bogus'" in p for p in problems)
    assert any("{address}" in p for p in problems)
    assert any("lowercase" in p for p in problems)
    assert any("exactly one group" in p for p in problems)
    assert any("anchored" in p for p in problems)


def test_the_old_place_of_the_notices_section_still_works_with_a_warning(tmp_path) -> None:
    """A user catalog written before ``notices`` existed: its ``vendors`` entry with
    ``decoder: fallback`` is read as ``notices`` (key by key over the shipped one), and
    ``ndr catalog check`` says it is deprecated."""
    path = tmp_path / "old.yaml"
    path.write_text('vendors:\n  - id: fallback\n    decoder: fallback\n    source: "mine"\n'
                    '    senders: ["my-bouncer"]\n', encoding="utf-8")
    catalog = load_catalog(path)
    assert catalog.notices is not None and catalog.notices.senders == ("my-bouncer",)
    assert catalog.notices.recipients == load_catalog().notices.recipients  # the rest is shipped
    assert not any(v.get("decoder") == "fallback" for v in catalog.vendors)
    assert len(catalog.deprecations) == 1 and "notices" in catalog.deprecations[0]
    result = run_ndr("catalog", "check", str(path))
    assert result.returncode == 0 and b"deprecated" in result.stderr and b"notices" in result.stderr


_LINES = st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=60)
                  | st.sampled_from(["550 5.1.1 <x@example.com>... unknown", "RCPT TO:<y@example.com>",
                                     "<z@example.com>: host mx[1.2.3.4] said: 550", "w@example.com",
                                     "Final-Recipient: rfc822; v@example.com", "Action: failed"]),
                  max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=_LINES, subject=st.sampled_from(["hello", "Re: minutes", "invoice 42", ""]))
def test_non_bounce_text_never_yields_a_recipient(lines: list[str], subject: str) -> None:
    text = "From: Bob <bob@example.com>\nTo: alice@example.org\nSubject: " + subject + "\n\n" + "\n".join(lines)
    mail = _mail(text)
    assert Fallback().decode(mail) is None
    assert not ndr.parse(text.encode("utf-8", "surrogatepass")).is_bounce


@settings(max_examples=100, deadline=None)
@given(lines=_LINES)
def test_bounce_shaped_text_never_raises(lines: list[str]) -> None:
    text = "From: MAILER-DAEMON@example.net\nSubject: failure notice\n\n" + "\n".join(lines)
    decoded = Fallback().decode(_mail(text))
    if decoded is not None:
        assert all(r.recipient and "@" in r.recipient for r in decoded.recipients)


GROUPS_NOTICE = """\
From: Mail Delivery Subsystem <mailer-daemon@googlemail.example>
To: alice@example.org
Subject: Delivery Status Notification (Failure)
X-Failed-Recipients: team@groups.example.com

Hello alice@example.org,

The group you tried to contact (team) may not exist, or you may not have permission to post
messages to the group.

----- Original message -----
From: alice@example.org
To: team@groups.example.com
"""


def test_a_notice_without_code_or_block_gives_its_own_words() -> None:
    record = _one(GROUPS_NOTICE).recipients[0]
    assert record.recipient == "team@groups.example.com"
    assert "may not have permission to post" in (record.diagnostic_code or "")
    assert "Original message" not in (record.diagnostic_code or "")


ATTACHED_BOUNCE = """\
From: MAILER-DAEMON@filter.example.net
To: notifications@filter.example.net
Subject: Returned mail: User unknown
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: text/plain

----- The following addresses had permanent delivery errors -----

--outer
Content-Type: message/rfc822

From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>
To: alice@example.org
Subject: Returned mail: see transcript for details

----- Transcript of session follows -----
... while talking to mx.example.com.:
>>> RCPT To:<bob@example.com>
<<< 550 5.1.1 <bob@example.com>... User unknown

--outer--
"""


def test_a_bounce_attached_to_an_empty_notice_is_decoded() -> None:
    record = _one(ATTACHED_BOUNCE).recipients[0]
    assert record.recipient == "bob@example.com" and record.status == "5.1.1"
    assert record.smtp_command == "RCPT"
    assert record.remote_mta == "mx.example.com"


@pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])
def test_delivery_failed_label_and_transcript_command(eol: str) -> None:
    text = ("From: postmaster@mx.example.net\nTo: alice@example.org\nSubject: Delivery failure\n\n"
            "Your delivery to the following address has been failed.\n\n"
            "Delivery failed: bob@example.com\n"
            "Remote host said: 554 5.4.14 Hop count exceeded - possible mail loop\n")
    report = ndr.parse(with_eol(text.encode(), eol))
    assert [(r.recipient, r.status) for r in report.recipients] == [("bob@example.com", "5.4.14")]


HEADED_TRANSCRIPT = """\
From: MAILER-DAEMON@relay.example.net
To: alice@example.org
Subject: FAILURE NOTICE : hello

  ----- The following addresses had permanent fatal errors -----

>>> bob@example.com <bob@example.com>

  ----- Transcript of session follows -----
550 no mailbox by that name here (#5.1.1 - chkusr)
"""


@pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])
def test_a_heading_line_closes_the_paragraph_above_the_reply(eol: str) -> None:
    # the reply sits right under a "----- ... -----" heading: it is still the notice's diagnostic,
    # and a recipient block that says nothing of its own gets it once
    [r] = ndr.parse(with_eol(HEADED_TRANSCRIPT.encode(), eol)).recipients
    assert (r.recipient, r.status, r.reason, r.hard) == ("bob@example.com", "5.1.1", "userunknown", True)
    assert r.diagnostic_code.count("no mailbox") == 1 and "-----" not in r.diagnostic_code
