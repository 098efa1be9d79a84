"""records.py's written-out row (``_row``) gives what the plain per-field form it replaced gives:
the same keys in FIELDS order and the same values, whatever a report's fields hold (enums, dates,
tuples of anything, str subclasses)."""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from ndr.errors import Defect
from ndr.model import Action, Kind, OriginalMessage, RecipientResult, Report, plain
from ndr.reading.records import FIELDS, is_reportable, records

OWN = frozenset(f.name for f in fields(RecipientResult))


def plain_records(report: Report, source: str, index: int, include_all: bool) -> list[dict[str, Any]]:
    """The form records() had before: a comprehension over FIELDS, plain() on every recipient
    field that is no scalar, the report's own fields as they are."""
    original = report.original
    shared = {
        "source": source, "message_index": index, "kind": report.kind.value, "decoder": report.decoder,
        "received_from_mta": report.received_from_mta, "arrival_date": plain(report.arrival_date),
        "original_message_id": original.message_id, "original_subject": original.subject,
        "original_from": original.from_, "original_to": original.to, "original_date": original.date,
        "original_envelope_id": report.original_envelope_id, "subject": report.subject,
    }
    rows = []
    for recipient in report.recipients:
        if include_all or is_reportable(report.kind, recipient.action):
            shared["defects"] = [str(d) for d in report.defects]
            rows.append({name: plain(getattr(recipient, name)) if name in OWN else shared[name]
                         for name in FIELDS})
    return rows


texts = st.none() | st.text(max_size=8) | st.sampled_from(list(Action))
dates = st.none() | st.datetimes(timezones=st.none() | st.just(timezone(timedelta(hours=9))))
anything = texts | dates | st.booleans() | st.integers() | st.tuples(texts, dates)
lists = st.tuples() | st.lists(texts | dates, max_size=3).map(tuple)


@st.composite
def recipients(draw: st.DrawFn) -> RecipientResult:
    values = {f.name: draw(anything if draw(st.integers(0, 9)) == 0 else texts) for f in fields(RecipientResult)}
    for name in ("causes", "fixes", "who"):
        values[name] = draw(lists)
    for name in ("last_attempt_date", "will_retry_until"):
        values[name] = draw(dates)
    values["hard"] = draw(st.booleans() | anything)
    return RecipientResult(**values)


reports = st.builds(
    Report, kind=st.sampled_from(list(Kind)), decoder=texts,
    recipients=st.lists(recipients(), max_size=3).map(tuple), reporting_mta=texts, received_from_mta=texts,
    arrival_date=dates, original_envelope_id=texts,
    original=st.builds(OriginalMessage, message_id=texts, subject=texts, from_=texts, to=texts, date=texts),
    subject=texts, defects=st.lists(st.builds(Defect, st.sampled_from(["size-limit", "text-limit"]),
                                              st.text(max_size=5)), max_size=2).map(tuple))


@given(reports, st.booleans(), st.integers(0, 3))
@settings(max_examples=400, deadline=None)
def test_rows_are_the_plain_per_field_rows(report: Report, include_all: bool, index: int) -> None:
    fast = records(report, "box", index, include_all=include_all, clean=False)
    slow = plain_records(report, "box", index, include_all)
    assert [list(row.items()) for row in fast] == [list(row.items()) for row in slow]
    for row, other in zip(fast, slow):
        assert [type(v) for v in row.values()] == [type(v) for v in other.values()]  # no enum left as it was
        assert list(row) == list(FIELDS)
    if len(fast) > 1:  # each row owns its defects list (--exec and truncation extend it)
        assert fast[0]["defects"] is not fast[1]["defects"]


def test_a_row_keeps_fields_order_and_the_template_stays_empty() -> None:
    from ndr.reading import records as module

    report = Report(kind=Kind.BOUNCE, recipients=(RecipientResult("u@example.net", action="failed"),),
                    arrival_date=datetime(2024, 5, 1, tzinfo=timezone.utc))
    [row] = records(report, "b.eml")
    assert list(row) == list(FIELDS) and row["arrival_date"] == "2024-05-01T00:00:00+00:00"
    row["recipient"] = "changed"
    assert set(module._KEYS.values()) == {None}


def test_the_cli_encodes_a_message_s_rows_at_once_and_cleans_only_a_row_that_needs_it(
        tmp_path, capsys, monkeypatch) -> None:
    """All the rows of a message are encoded in one join; when one of them holds a lone
    surrogate, each row is written as json_line writes it (the others as they are)."""
    import json

    from ndr.cli import main
    from ndr.commands import parse as command
    from ndr.safetext import clean_tree

    rows = [{"recipient": "a@example.net", "diagnostic_code": "ok"},
            {"recipient": "b@example.net", "diagnostic_code": "550 \ud83d gone", "who": ["x\udc80"]}]
    monkeypatch.setattr(command, "records", lambda *args, **kwargs: [dict(row) for row in rows])
    path = tmp_path / "b.eml"
    path.write_bytes(b"From: a@example.org\nSubject: x\n\nbody\n")
    for copies in (1, command.ORJSON_FROM):  # the stdlib's encoder, then orjson's
        assert main(["parse", "--format", "jsonl", *[str(path)] * copies]) == 0
        lines = capsys.readouterr().out.splitlines()
        expected = [json.dumps(clean_tree(row), ensure_ascii=False, separators=(",", ":")) for row in rows]
        assert lines == expected * copies


def _mbox(tmp_path, count: int):
    from tests.test_output_path import BOUNCE

    path = tmp_path / "box"
    path.write_bytes(b"".join(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n"
                              + BOUNCE.replace(b"u@example.net", b"u%d@example.net" % i) + b"\n"
                              for i in range(count)))
    return path


def test_held_lines_are_written_in_order_whatever_the_chunk(tmp_path, capsys, monkeypatch) -> None:
    from ndr.cli import main
    from ndr.commands import parse as command

    box = _mbox(tmp_path, 40)
    outputs = []
    for size in (1, 700, command.HELD_BYTES):
        monkeypatch.setattr(command, "HELD_BYTES", size)
        assert main(["parse", "--format", "jsonl", str(box)]) == 0
        outputs.append(capsys.readouterr().out)
    assert outputs[0] == outputs[1] == outputs[2]
    assert [line.split('"recipient":"')[1].split('"')[0] for line in outputs[0].splitlines()] == [
        f"u{i}@example.net" for i in range(40)]


def test_held_lines_are_written_when_the_run_is_stopped(tmp_path, capsys, monkeypatch) -> None:
    from ndr.cli import main
    from ndr.commands import parse as command

    read = command.iter_path

    def interrupted(given, limits=None):
        for count, item in enumerate(read(given, limits=limits)):
            if count == 3:
                raise KeyboardInterrupt
            yield item

    monkeypatch.setattr(command, "iter_path", interrupted)
    assert main(["parse", "--format", "jsonl", str(_mbox(tmp_path, 10))]) == 130
    assert len(capsys.readouterr().out.splitlines()) == 3


def _shape(value: Any) -> Any:
    """A value with the type of every part beside it (== alone takes an enum for its text)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return (type(value), [_shape(v) for v in value])
    return (type(value), value)


cell_texts = st.text(alphabet=st.sampled_from(["a", "é", "\ud83d", "\udc80", " ", "😀"]), max_size=4)
cells = st.recursive(st.none() | st.booleans() | st.integers() | cell_texts | st.sampled_from(list(Kind)),
                     lambda inner: st.lists(inner, max_size=3) | st.tuples(inner)
                     | st.dictionaries(cell_texts, inner, max_size=2), max_leaves=6)


@given(st.dictionaries(st.sampled_from(FIELDS), cells, max_size=8))
@settings(max_examples=500, deadline=None)
def test_a_row_is_cleaned_as_the_walk_cleans_it(row: dict[str, Any]) -> None:
    from ndr.reading.records import _cleaned
    from ndr.safetext import clean_tree

    assert _shape(_cleaned(dict(row))) == _shape(clean_tree(row))
    flat = (str, int, bool, type(None))
    if _shape(clean_tree(row)) == _shape(row) and all(
            type(v) in flat or type(v) is list and all(type(i) in flat for i in v) for v in row.values()):
        assert _cleaned(row) is row  # a record's shape with nothing to clean: not even copied
