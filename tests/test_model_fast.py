"""model.py's records write their __init__, __eq__, __hash__ and __repr__ rather than let
@dataclass compile them at every start: each behaves as the generated one, checked against a twin
made by the stock ``@dataclass(frozen=True, slots=True)`` from the same fields."""
from __future__ import annotations

import dataclasses
import inspect
import pickle
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.model import Kind, OriginalMessage, RecipientResult, Report


def twin(cls: type) -> type:
    """``cls``'s fields in a class made by the stock decorator (same name, so the same repr)."""
    specs = [(f.name, f.type, dataclasses.field(default=f.default, default_factory=f.default_factory))
             for f in dataclasses.fields(cls)]
    return dataclasses.make_dataclass(cls.__name__, specs, frozen=True, slots=True)


CLASSES = (OriginalMessage, RecipientResult, Report)
TWINS = {cls: twin(cls) for cls in CLASSES}
values = st.none() | st.text(max_size=4) | st.integers(-3, 3) | st.booleans() | st.sampled_from(list(Kind)) \
    | st.tuples(st.text(max_size=2))


@st.composite
def field_values(draw: st.DrawFn, cls: type) -> list[Any]:
    return [draw(values) for _ in dataclasses.fields(cls)]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_the_signature_is_the_generated_one(cls: type) -> None:
    ours, stock = inspect.signature(cls).parameters, inspect.signature(TWINS[cls]).parameters
    assert [(p.name, p.kind, p.annotation) for p in ours.values()] == \
        [(p.name, p.kind, p.annotation) for p in stock.values()]
    assert [repr(p.default) for p in ours.values()] == [repr(p.default) for p in stock.values()]
    assert [f.name for f in dataclasses.fields(cls)] == list(ours)


@given(st.sampled_from(CLASSES), st.data())
@settings(max_examples=400, deadline=None)
def test_records_behave_as_generated_ones(cls: type, data: st.DataObject) -> None:
    stock = TWINS[cls]
    first, second = data.draw(field_values(cls)), data.draw(field_values(cls))
    second = data.draw(st.sampled_from([first, second]))  # often equal
    a, b, twin_a, twin_b = cls(*first), cls(*second), stock(*first), stock(*second)
    assert repr(a) == repr(twin_a)
    assert (a == b) == (twin_a == twin_b) and (a != b) == (twin_a != twin_b)
    assert hash(a) == hash(twin_a)
    assert a != twin_a and a.__eq__(twin_a) is NotImplemented  # only the very same class
    assert dataclasses.astuple(a) == tuple(first)
    named = dict(zip([f.name for f in dataclasses.fields(cls)], first))
    assert cls(**named) == a and pickle.loads(pickle.dumps(a)) == a


def test_defaults_frozenness_and_replace_are_the_generated_ones() -> None:
    report = Report(Kind.BOUNCE)
    assert report == Report(kind=Kind.BOUNCE, original=OriginalMessage())
    assert report.original == OriginalMessage() and report.original is not Report(Kind.BOUNCE).original
    assert Report(Kind.NONE, original=None).original is None  # type: ignore[arg-type]  # as given
    result = RecipientResult("u@example.net")
    assert (result.reason, result.hard, result.rule, result.causes) == ("undefined", False, "", ())
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.reason = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del result.reason  # type: ignore[misc]
    assert dataclasses.replace(result, reason="x") == RecipientResult("u@example.net", reason="x")
    with pytest.raises(TypeError):
        RecipientResult()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        OriginalMessage(nothing=1)  # type: ignore[call-arg]


def test_a_record_that_holds_itself_is_shown_as_the_generated_repr_shows_it() -> None:
    looped, stock = Report(Kind.BOUNCE), TWINS[Report](Kind.BOUNCE)
    object.__setattr__(looped, "recipients", (looped,))
    object.__setattr__(stock, "recipients", (stock,))
    assert repr(looped) == repr(stock) and "recipients=(...,)" in repr(looped)


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__name__)
def test_a_plain_subclass_is_never_equal_to_its_base(cls: type) -> None:
    """The generated __eq__ compares only instances of the very same class (not isinstance)."""
    ours = type("Sub", (cls,), {"__slots__": ()})
    stock = type("Sub", (TWINS[cls],), {"__slots__": ()})
    made = [None] * len(dataclasses.fields(cls))
    assert not ours(*made) == cls(*made) and not stock(*made) == TWINS[cls](*made)
    assert ours(*made) == ours(*made) and hash(ours(*made)) == hash(cls(*made))
