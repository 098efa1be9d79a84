"""A record made by ``slot_builder`` is the record its constructor makes; ``plain`` copies a tuple
of scalars in one call and still converts what a tuple holds otherwise."""
from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from ndr.model import Action, Defect, RecipientResult, plain, slot_builder

VALUES = ("u@example.net", Action.FAILED, "5.1.1", "550", "no such user", "smtp", None, "mx.example.net",
          "mta.example.org", datetime(2024, 5, 1, tzinfo=timezone.utc), None, "RCPT", "userunknown", True,
          "code:x", "c-1", "gone", ("a",), ("b", "c"), ("sender",), None, "report", None, None, "id")


def test_a_built_record_is_the_constructed_one() -> None:
    built = slot_builder(RecipientResult)(*VALUES)
    assert type(built) is RecipientResult
    assert built == RecipientResult(*VALUES) and hash(built) == hash(RecipientResult(*VALUES))
    assert dataclasses.astuple(built) == VALUES
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.reason = "other"  # type: ignore[misc]
    with pytest.raises(ValueError):  # every field must be given
        slot_builder(RecipientResult)(*VALUES[:-1])


def test_plain_copies_a_tuple_of_scalars_and_converts_any_other() -> None:
    texts = ("a", None, 1, True)
    assert plain(texts) == ["a", None, 1, True] and type(plain(texts)) is list
    when = datetime(2024, 5, 1, tzinfo=timezone.utc)
    assert plain((when, Action.DELAYED, ("x",))) == [when.isoformat(), "delayed", ["x"]]
    assert plain([Defect("size-limit", "cut")]) == [str(Defect("size-limit", "cut"))]
