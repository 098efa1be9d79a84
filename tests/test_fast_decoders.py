"""The decoders' fast forms give what the plain forms they replace give: the last-error search
(each expression found from its literal), the delivery-status field reader, and settle's
reading of a lone recipient's paragraph."""
from __future__ import annotations


from hypothesis import given, settings
from hypothesis import strategies as st

import ndr
from ndr.catalog.match import aligned_lower
from ndr.reading import mime
from ndr.reading.decoders.base import Decoded, Mail, RawRecipient
from ndr.reading.decoders.settle import settle
from ndr.reading.dsn import parse_fields
from ndr.catalog.search import literal_search

from .test_fast_paths import _same

CATALOG = ndr.load_catalog()
LAYOUT = CATALOG.notices
assert LAYOUT is not None

PIECES = ["LED=", "led=", "{", "}", "Queue.Expired; message expired", " returned '", "550 5.1.1 ",
          "'", "delivery temporarily suspended: ", "retry timeout exceeded", ":", "Deferred: ",
          " message could not be delivered for", "i'm not going to try again; this message has been "
          "in the queue too long", "remote server returned '", "reported error: ", "unable to deliver "
          "in 5 minutes <", ">", "host mx.example.org", " ", "\n", "/", "x", "\u212a", "\u0130", "Ünï"]
texts = st.lists(st.sampled_from(PIECES), max_size=12).map("".join)


@given(texts)
@settings(max_examples=300, deadline=None)
def test_last_error_search_finds_what_search_finds(text: str) -> None:
    for expression in LAYOUT.last_error:
        assert _same(literal_search(expression, text, aligned_lower(text)), expression.search(text))


def test_field_blocks_split_as_reports_bend_them() -> None:
    fields = parse_fields("Reporting-MTA: dns; a\n\u3000\nFinal-Recipient: rfc822; x@y.z\n"
                          "Original-Recipient: rfc822; x@y.z\nAction: failed\n"
                          "Original-Recipient: rfc822; w@y.z\nFinal-Recipient: rfc822; w@y.z\n"
                          "Status: 5.1.1\nStatus: 4.0.0\nBad Name: v\n  lost\nno colon\n  lost too")
    assert fields.message == {"reporting-mta": "dns; a"}  # a line of blanks ends a block
    assert fields.recipients == [
        {"final-recipient": "rfc822; x@y.z", "original-recipient": "rfc822; x@y.z", "action": "failed"},
        {"original-recipient": "rfc822; w@y.z", "final-recipient": "rfc822; w@y.z", "status": "5.1.1"}]


TRANSCRIPT = ("From: MAILER-DAEMON@mx.example.net\nTo: alice@example.net\nSubject: Undelivered\n\n"
              "<bob@example.org>: host mx.example.org[192.0.2.1] said: 550 no such user\n"
              "    (in reply to RCPT TO command)\n\n"
              "   ----- Transcript of session follows -----\n>>> DATA\n<<< 554 go away\n")


def _settled(paragraphs_read: bool) -> str | None:
    mail = Mail(mime.parse(TRANSCRIPT.encode()), CATALOG)
    raw = RawRecipient(recipient="bob@example.org", action="failed", status="5.1.1",
                       diagnostic="550 no such user")
    settle(mail, Decoded(decoder="test", recipients=[raw]), paragraphs_read=paragraphs_read)
    return raw.smtp_command


def test_a_paragraph_already_read_is_not_read_again() -> None:
    assert _settled(False) == "RCPT"  # the recipient's paragraph names the command
    assert _settled(True) == "DATA"   # the decoder found none there: the transcript's is left
