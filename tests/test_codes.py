"""Finding enhanced status codes and reply codes in diagnostic text."""
from __future__ import annotations

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
