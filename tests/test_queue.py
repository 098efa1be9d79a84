"""Queue listing readers: postqueue -j and ndr records, bad records, times and durations."""
from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from ndr.writing.listing import load_original, read_listing, strip_postcat_markers
from ndr.writing.queue import LocalError, QueuedMessage, RecordError, RecordProblem, parse_duration, parse_time

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "queue"
SCHEMA = Path(__file__).resolve().parent.parent / "ndr" / "schemas" / "queue-record.schema.json"


def _read(data, **kwargs):
    return list(read_listing(data, "test", **kwargs))


def test_postqueue_listing_reads_every_record_and_ignores_unknown_members():
    items = _read((EXAMPLES / "postqueue.jsonl").read_bytes())
    assert all(isinstance(i, QueuedMessage) for i in items)
    assert [i.queue_id for i in items] == ["4VbX1x2yZ3", "4VbX2a7kQ9", "4VbX3c1mN4", "4VbX4d5pR2"]
    first = items[0]
    assert first.arrival == datetime(2024, 5, 1, 8, 0, tzinfo=timezone.utc)
    assert first.recipients[0].attempts[0].remote_mta == "mx1.example.net"
    assert items[2].forced_expire and items[2].queue_name == "hold"
    assert items[3].sender == ""
    assert first.original.command is None  # no --original-command: headers unknown


def test_postqueue_original_command_substitutes_the_queue_id():
    line = b'{"queue_id": "ABC123", "arrival_time": 0, "sender": "a@example.com", "recipients": [{"address": "b@example.net"}]}'
    [message] = _read(line, command="postcat -bhq {queue_id}")
    assert message.original.command == ("postcat", "-bhq", "ABC123")


def test_postfix_3_11_members():
    line = json.dumps({"queue_id": "X1", "arrival_time": 5, "sender": "a@example.com", "recipients": [
        {"address": "b@example.net", "orig_address": "B@example.net", "bounce_reason": "host mx said: 550 5.1.1 no"}]})
    [message] = _read(line)
    assert message.recipients[0].orcpt == "rfc822;B@example.net"
    assert "550 5.1.1" in message.recipients[0].attempts[0].text


def test_ndr_yaml_listing():
    items = _read((EXAMPLES / "listing.yaml").read_bytes(), base=EXAMPLES)
    assert [type(i) for i in items] == [QueuedMessage] * 3
    q1 = items[0]
    assert q1.ret == "FULL" and q1.envid == "QQ314159"
    bob, carol = q1.recipients
    assert bob.notify == frozenset({"FAILURE", "DELAY"}) and bob.orcpt == "rfc822;bob@example.net"
    assert bob.attempts[-1].error is LocalError.REFUSED
    assert carol.notify == frozenset({"FAILURE"})
    assert load_original(q1).startswith(b"From: Alice")
    assert items[1].arrival == datetime.fromtimestamp(1714564800, timezone.utc)
    assert items[2].last_warning == datetime(2024, 5, 2, 10, 5, tzinfo=timezone.utc)


def test_json_document_and_json_lines_of_ndr_records():
    record = {"id": "J1", "sender": "a@example.com", "arrival": "2024-01-01T00:00:00",
              "recipients": [{"address": "b@example.net", "attempts": [{"error": "timeout"}]}]}
    assert isinstance(_read(json.dumps(record))[0], QueuedMessage)
    assert len(_read(json.dumps([record, record]))) == 2
    assert len(_read(json.dumps({"messages": [record]}))) == 1
    assert len(_read(json.dumps(record) + "\n" + json.dumps(record) + "\n")) == 2


@pytest.mark.parametrize("change, field", [
    ({"sender": "a@example.com\r\nBcc: x@evil.example"}, "sender"),
    ({"recipients": [{"address": "b@example.net\nX-Evil: 1"}]}, "recipients[0].address"),
    ({"recipients": [{"address": "b@example.net", "notify": "SOMETIMES"}]}, "recipients[0].notify"),
    ({"recipients": [{"address": "b@example.net", "notify": ["NEVER", "DELAY"]}]}, "recipients[0].notify"),
    ({"recipients": [{"address": "b@example.net", "attempts": [{"error": "gremlins"}]}]}, "recipients[0].attempts[0].error"),
    ({"recipients": [{"address": "b@example.net", "attempts": [{"remote_mta": "mx\r\nX: y", "error": "dns"}]}]},
     "recipients[0].attempts[0].remote_mta"),
    ({"recipients": [{"address": "b@example.net", "attempts": [{"reply": "hello"}]}]}, "recipients[0].attempts[0].reply"),
    ({"arrival": "yesterday"}, "arrival"),
    ({"ret": "SOME"}, "ret"),
    ({"envid": "x" * 101}, "envid"),
    ({"recipients": []}, "recipients"),
    ({"colour": "blue"}, "colour"),
    ({"id": "A\r\nB"}, "id"),
])
def test_bad_record_names_record_and_field_and_the_rest_is_processed(change, field):
    good = {"id": "G1", "sender": "a@example.com", "arrival": 0, "recipients": [{"address": "b@example.net"}]}
    bad = dict(good, id="B1", **change) if "id" not in change else dict(good, **change)
    items = _read(json.dumps([good, bad, good]))
    assert isinstance(items[0], QueuedMessage) and isinstance(items[2], QueuedMessage)
    problem = items[1]
    assert isinstance(problem, RecordProblem)
    assert problem.field == field
    assert "record 2" in str(problem) and field in str(problem)


def test_broken_json_line_is_a_problem_of_that_line_only():
    good = json.dumps({"queue_id": "A1", "arrival_time": 0, "sender": "a@example.com",
                       "recipients": [{"address": "b@example.net"}]})
    items = _read(good + "\n{not json\n" + good + "\n")
    assert [type(i) for i in items] == [QueuedMessage, RecordProblem, QueuedMessage]
    assert "line 2" in str(items[1])


def test_invalid_yaml_is_one_problem():
    [problem] = _read("messages: [\n  - id: x\n  bad: : :\n")
    assert isinstance(problem, RecordProblem) and "YAML" in problem.problem


@pytest.mark.parametrize("value, expected", [
    ("2024-05-01T10:00:00Z", datetime(2024, 5, 1, 10, tzinfo=timezone.utc)),
    ("2024-05-01T12:00:00+02:00", datetime(2024, 5, 1, 10, tzinfo=timezone.utc)),
    ("2024-05-01 10:00:00", datetime(2024, 5, 1, 10, tzinfo=timezone.utc)),
    (1714557600, datetime(2024, 5, 1, 10, tzinfo=timezone.utc)),
    ("1714557600", datetime(2024, 5, 1, 10, tzinfo=timezone.utc)),
    (1714557600.5, datetime(2024, 5, 1, 10, 0, 0, 500000, tzinfo=timezone.utc)),
])
def test_times(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize("value", ["soon", "", True, None, "2024-13-45"])
def test_bad_times(value):
    with pytest.raises(RecordError):
        parse_time(value)


@pytest.mark.parametrize("value, expected", [
    ("24h", timedelta(hours=24)), ("4h", timedelta(hours=4)), ("5d", timedelta(days=5)),
    ("30m", timedelta(minutes=30)), ("1d12h", timedelta(hours=36)), ("90", timedelta(seconds=90)),
    (3600, timedelta(hours=1)), ("1w", timedelta(days=7)),
])
def test_durations(value, expected):
    assert parse_duration(value) == expected


@pytest.mark.parametrize("value", ["", "4x", "h", "-4h", "0h", "4h and some"])
def test_bad_durations(value):
    with pytest.raises(RecordError):
        parse_duration(value)


def test_postcat_markers_are_stripped():
    out = (b"*** HEADER EXTRACTED deferred/ABC ***\nFrom: a@example.com\nSubject: x\n\n"
           b"*** MESSAGE CONTENTS deferred/ABC ***\nbody line\n*** MESSAGE FILE END deferred/ABC ***\n")
    assert strip_postcat_markers(out) == b"From: a@example.com\nSubject: x\n\nbody line\n"


def test_load_original_runs_the_command_without_a_shell(tmp_path):
    line = json.dumps({"queue_id": "ABC", "arrival_time": 0, "sender": "a@example.com",
                       "recipients": [{"address": "b@example.net"}]})
    command = f"{sys.executable} -c \"import sys; print('Subject: ' + sys.argv[1])\" {{queue_id}}"
    [message] = _read(line, command=command)
    assert load_original(message).strip() == b"Subject: ABC"
    [failing] = _read(line, command=f"{sys.executable} -c \"import sys; sys.exit(3)\"")
    with pytest.raises(RecordError, match="exited 3"):
        load_original(failing)


def test_missing_original_path_is_a_record_error(tmp_path):
    record = {"id": "P1", "sender": "a@example.com", "arrival": 0, "original": {"path": "nope.eml"},
              "recipients": [{"address": "b@example.net"}]}
    [message] = list(read_listing(json.dumps(record), "t", base=tmp_path))
    with pytest.raises(RecordError, match="original.path"):
        load_original(message)


def test_schema_documents_exactly_the_fields_the_reader_knows():
    from ndr.writing.listing import NDR_FIELDS

    schema = json.loads(SCHEMA.read_text())
    assert set(schema["properties"]) == NDR_FIELDS
    assert set(schema["required"]) == {"id", "sender", "arrival", "recipients"}
    errors = schema["$defs"]["attempt"]["properties"]["error"]["enum"]
    assert errors == [e.value for e in LocalError]


def test_examples_validate_against_the_schema_when_jsonschema_is_installed():
    jsonschema = pytest.importorskip("jsonschema")
    import yaml

    schema = json.loads(SCHEMA.read_text())
    for record in yaml.safe_load((EXAMPLES / "listing.yaml").read_text())["messages"]:
        jsonschema.validate(record, schema)
