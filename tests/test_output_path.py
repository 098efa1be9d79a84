"""`ndr parse`'s per-file path, made cheap for the corpus × 10 benchmark (issue 14): a message
file read with one read, rows checked for lone surrogates as they are encoded rather than walked
first. Each cheap form gives what the form it replaced gives."""
from __future__ import annotations

import json
import os

import orjson
import pytest

import ndr
from ndr.cli import main
from ndr.reading.mbox import Limits, read_file
from ndr.reading.records import records
from ndr.reading.sources import RawMessage, iter_path
from ndr.safetext import clean_tree, json_line

BOUNCE = (b"From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\nSubject: Undelivered Mail\n"
          b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
          b"--B\nContent-Type: text/plain\n\nfailed\n"
          b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\n"
          b"Final-Recipient: rfc822; u@example.net\nAction: failed\nStatus: 5.1.1\n\n--B--\n")


def _stdlib(row: object) -> bytes:
    return (json.dumps(row, ensure_ascii=False) + "\n").encode("utf-8")


def _orjson(row: object) -> bytes:
    return orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)


@pytest.mark.parametrize("dumps", [_stdlib, _orjson], ids=["json", "orjson"])
def test_a_row_with_a_lone_surrogate_is_cleaned_when_encoded(dumps) -> None:
    row = {"recipient": "u@example.net", "diagnostic_code": "550 \ud83d unknown", "who": ["x\udc80"]}
    line = json_line(row, dumps)
    assert line == dumps(clean_tree(row))
    assert json.loads(line) == {"recipient": "u@example.net", "diagnostic_code": "550 \ufffd unknown",
                                "who": ["x\ufffd"]}
    clean = {"recipient": "ü@example.net", "hard": True, "causes": []}
    assert json_line(clean, dumps) == dumps(clean)
    with pytest.raises(TypeError):  # what cannot be encoded at all still says so
        json_line({"x": object()}, dumps)


def test_jsonl_holds_what_the_stdlib_encoder_writes(tmp_path, capsys) -> None:
    path = tmp_path / "b.eml"
    path.write_bytes(BOUNCE)
    assert main(["parse", "--all", "--format", "jsonl", str(path)]) == 0
    [line] = capsys.readouterr().out.splitlines()
    row = records(ndr.parse(BOUNCE), str(path), include_all=True)[0]
    assert line == json.dumps(row, ensure_ascii=False, separators=(",", ":"))


def test_the_encoder_that_takes_over_writes_the_same_lines(tmp_path, capsys) -> None:
    """The first records are written by the stdlib's encoder, the rest by orjson (imported only
    for runs that write many): every line is what the stdlib's compact encoder writes."""
    from ndr.commands.parse import ORJSON_FROM

    copies = ORJSON_FROM + 8
    mbox = tmp_path / "box"
    mbox.write_bytes(b"".join(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2026\n"
                              + BOUNCE.replace(b"u@example.net", b"u%d@example.net" % i) + b"\n"
                              for i in range(copies)))
    assert main(["parse", "--format", "jsonl", str(mbox)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == copies
    for line in lines:
        assert line == json.dumps(json.loads(line), ensure_ascii=False, separators=(",", ":"))
    assert [json.loads(line)["recipient"] for line in lines] == [f"u{i}@example.net" for i in range(copies)]


def test_rows_left_uncleaned_hold_what_cleaned_rows_hold() -> None:
    report = ndr.parse(BOUNCE)
    assert records(report, "b.eml", clean=False) == records(report, "b.eml")
    assert [r["recipient"] for r in records(report, "b.eml")] == ["u@example.net"]


def test_one_message_file_is_read_whole(tmp_path) -> None:
    path = tmp_path / "b.eml"
    path.write_bytes(BOUNCE)
    assert list(read_file(str(path)) or ()) == [RawMessage(str(path), 0, BOUNCE)]
    assert list(iter_path(str(path))) == [RawMessage(str(path), 0, BOUNCE)]


def test_what_is_not_one_small_message_file_goes_to_the_general_readers(tmp_path) -> None:
    mbox = tmp_path / "box"
    mbox.write_bytes(b"From a@b Mon Jan  1 00:00:00 2024\n" + BOUNCE + b"\nFrom c@d Mon Jan  1 00:00:00 2024\n"
                     + BOUNCE)
    assert [m.index for m in read_file(str(mbox)) or ()] == [0, 1]  # split in the bytes read
    assert [m.index for m in iter_path(str(mbox))] == [0, 1]
    assert read_file(str(tmp_path)) is None
    assert read_file(str(tmp_path / "missing.eml")) is None
    big = tmp_path / "big.eml"
    big.write_bytes(BOUNCE + b"x" * 100)
    assert read_file(str(big), Limits(max_message_bytes=len(BOUNCE))) is None
    [cut] = iter_path(str(big), limits=Limits(max_message_bytes=len(BOUNCE)))
    assert isinstance(cut, RawMessage) and cut.truncated and cut.data == BOUNCE


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_is_not_opened_for_a_blocking_read(tmp_path) -> None:
    fifo = tmp_path / "pipe.eml"
    os.mkfifo(fifo)
    assert read_file(str(fifo)) is None
    [problem] = iter_path(str(fifo))
    assert "not a regular file" in getattr(problem, "error", "")


def test_jsonl_output_is_utf8_lines_whatever_the_stream(tmp_path, capsys) -> None:
    path = tmp_path / "b.eml"
    path.write_bytes(BOUNCE.replace(b"u@example.net", "ü@example.net".encode("utf-8")))
    assert main(["parse", "--format", "jsonl", str(path)]) == 0
    [line] = capsys.readouterr().out.splitlines()
    assert json.loads(line)["recipient"] == "ü@example.net"


@pytest.mark.parametrize("data", [b"", b"\n", b" \t\r\n\x0b\x0c", b"\n\nx"])
def test_an_input_is_empty_exactly_when_stripping_leaves_nothing(tmp_path, capsys, data) -> None:
    path = tmp_path / "m.eml"
    path.write_bytes(data)
    main(["parse", "--format", "jsonl", str(path)])
    assert ("input is empty" in capsys.readouterr().err) == (not data.strip())


def test_a_message_of_many_recipients_writes_a_line_each(tmp_path, capsys) -> None:
    many = BOUNCE.replace(b"\n\n--B--", b"\n\nFinal-Recipient: rfc822; v@example.net\nAction: failed\n"
                                        b"Status: 5.1.1\n\n--B--")
    path = tmp_path / "b.eml"
    path.write_bytes(many)
    assert main(["parse", "--format", "jsonl", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [json.loads(line)["recipient"] for line in lines] == ["u@example.net", "v@example.net"]
    assert lines == [json.dumps(row, ensure_ascii=False, separators=(",", ":"))
                     for row in records(ndr.parse(many), str(path))]
