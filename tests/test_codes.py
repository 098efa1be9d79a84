"""Finding enhanced status codes and reply codes in diagnostic text."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.catalog import codes


@pytest.mark.parametrize("text, status, reply", [
    ("550 5.1.1 <a@b.example>: Recipient address rejected", "5.1.1", "550"),
    ("host mx[192.0.2.1] said: 450 4.7.1 try later", "4.7.1", "450"),
    ("smtp; 550-5.7.1 blocked", "5.7.1", "550"),
    ("Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound'", "5.1.10", "550"),
    ("from 192.0.2.5.1.1 nothing", None, None),
    ("version 5.1.1.4 of the software", None, None),
    ("message of 552 bytes", None, None),
    ("450 4.4.316 Connection refused", "4.4.316", "450"),
    # qmail and vpopmail write the enhanced code after a hash sign
    ("550 no mailbox by that name here (#5.1.1 - chkusr)", "5.1.1", "550"),
    ("Sorry, I couldn't find any host by that name. (#5.1.2)", "5.1.2", None),
    ("see ticket #5.1.1.4 and host #192.0.2.1", None, None),
])
def test_find(text: str, status: str | None, reply: str | None) -> None:
    assert codes.find_status(text) == status
    assert codes.find_reply(text) == reply


@given(st.sampled_from("245"), st.integers(0, 7), st.integers(0, 999))
@settings(max_examples=200)
def test_status_round_trip(klass: str, subject: int, detail: int) -> None:
    code = f"{klass}.{subject}.{detail}"
    assert codes.find_status(f"error {code} here") == code


def test_agreement() -> None:
    assert codes.agree("550", "5.1.1")
    assert not codes.agree("450", "5.1.1")
    assert codes.agree(None, "5.1.1")


# The plain forms the fast ones replace: each searched over the whole text, in turn.
_PLAIN_STATUS = re.compile(r"(?<![\w.])([245])\.([0-7])\.(\d{1,3})(?![\w]|\.\d)")
_PLAIN_REPLY = (codes._REPLY_AT_START.match,
                re.compile(r"(?<![\w.#])([245][0-5]\d)[\s\-]+[(\[]?#?[245]\.[0-7]\.\d{1,3}").search,
                codes._REPLY_AFTER_MARKER.search)
CODE_PIECES = ["550", "5.1.1", "4.7.1", "250", "421", "#", ".", "-", " ", "\n", "a", "x5", "(", "<", "<<<",
               "'", '"', "[", "said:", "SAID:", "\u017faid:", "returned", "RESPONSE:", "reply:", "Error:",
               "smtp;", "esmtp;", "SMTP error", "\u0130", "\u0131", "\u212a", "\u00e9", "0", "9", ":"]


@given(st.lists(st.sampled_from(CODE_PIECES), max_size=14).map("".join))
@settings(max_examples=500, deadline=None)
def test_fast_code_searches_find_what_the_plain_searches_find(text: str) -> None:
    status = _PLAIN_STATUS.search(text)
    assert codes.find_status(text) == (f"{status[1]}.{int(status[2])}.{int(status[3])}" if status else None)
    reply = next((m.group(1) for m in (find(text) for find in _PLAIN_REPLY) if m), None)
    assert codes.find_reply(text) == reply
