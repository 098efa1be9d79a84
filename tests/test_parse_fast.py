"""parse.py's fast forms give what the plain forms they replace give."""
from __future__ import annotations

import hashlib
import importlib

import pytest

parse_module = importlib.import_module("ndr.parse")  # ndr.parse is also the function's name


@pytest.mark.parametrize("data", [b"", b"x", b"From: a@example.org\n\nbody\n" * 500])
def test_a_message_digest_is_the_same_before_and_after_openssl_takes_over(monkeypatch, data) -> None:
    monkeypatch.setattr(parse_module, "_HASHED", [0])
    builtin = parse_module._digest_of(data)
    monkeypatch.setattr(parse_module, "_HASHED", [parse_module._OPENSSL_AFTER + 1])
    assert parse_module._digest_of(data) == builtin == hashlib.sha256(data).hexdigest()
