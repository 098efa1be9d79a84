"""Neighbouring reasons decided by the evidence (issue 11, item 6): which command failed."""
from __future__ import annotations

import pytest

import ndr
from ndr.reading.classify import classify


@pytest.mark.parametrize("command, text, reason", [
    # the verdict is about the sender's domain or the client's name, not the recipient
    ("MAIL", "553 5.1.0 <x@nowhere.example>: Sender address rejected: Domain not found", "rejected"),
    ("HELO", "450 4.7.1 <mail.example.org>: Helo command rejected: Host not found", "blocked"),
    # the same words at RCPT TO are about the recipient
    ("RCPT", "450 4.1.2 <x@nowhere.example>: Recipient address rejected: Domain not found", "hostunknown"),
    ("RCPT", "550 No such user here", "userunknown"),
])
def test_the_failed_command_says_whose_address(command, text, reason):
    verdict = classify(ndr.load_catalog(), status=None, reply=text[:3], text=text, smtp_command=command)
    assert verdict.reason == reason


def test_a_reply_quoting_the_recipient_answers_rcpt():
    catalog = ndr.load_catalog()
    quoted = classify(catalog, status=None, reply="550", text="550 <kim@example.net>... No such user",
                      recipient="kim@example.net")
    bare = classify(catalog, status=None, reply="550", text="550 No such user", recipient="kim@example.net")
    assert (quoted.reason, quoted.hard) == ("userunknown", True)
    assert (bare.reason, bare.hard) == ("filtered", False)  # nothing says the address was refused
