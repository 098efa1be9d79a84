"""Issue 13, text that leaves Python: lone surrogates never reach an encode, and terminal output
holds no control or bidi character. Each test failed before its fix."""
from __future__ import annotations

import json
import sqlite3

import pytest

import ndr
from ndr.cli import main
from ndr.safetext import for_terminal, no_surrogates

HEAD = (b"From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\n"
        b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n")
DSN_UTF7 = HEAD + (
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
    b"--B\nContent-Type: text/plain\n\nfailed\n"
    b"--B\nContent-Type: message/delivery-status; charset=utf-7\n\nReporting-MTA: dns; mx.example.org\n\n"
    b"Final-Recipient: rfc822; u@example.net\nAction: failed\nStatus: 5.1.1\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 +2D0- unknown\n\n"
    b"--B\nContent-Type: text/rfc822-headers\n\nSubject: =?utf-7?Q?+2D0-?=\nMessage-ID: <x@y>\n\n--B--\n")
INLINE_UTF7 = (
    b"From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\nSubject: fwd\nContent-Type: text/plain; charset=utf-7\n\n"
    b"see below +2D0-\n\nFrom: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail Returned to Sender\n\n"
    b"<u@example.net>: host mx.example.net[192.0.2.1] said: 550 5.1.1 unknown +2D0-\n")


def _all_text(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


def test_no_surrogates_replaces_each_lone_one() -> None:
    assert no_surrogates("a\ud83db\udc80") == "a\ufffdb\ufffd"
    assert no_surrogates("plain ✓") == "plain ✓"


@pytest.mark.parametrize("data", [DSN_UTF7, INLINE_UTF7], ids=["utf-7 parts", "forwarded inline"])
def test_utf7_surrogates_parse_and_print(data: bytes, tmp_path, capsys) -> None:
    path = tmp_path / "b.eml"
    path.write_bytes(data)
    assert main(["parse", "--format", "jsonl", str(path)]) == 0
    out = capsys.readouterr().out
    out.encode("utf-8")  # strict: would raise on a surrogate
    assert "u@example.net" in out


def test_surrogate_bounce_in_spool_mode_is_released(tmp_path, capsys) -> None:
    path = tmp_path / "b.eml"
    path.write_bytes(DSN_UTF7)
    spool = tmp_path / "spool"
    assert main(["parse", "--spool", str(spool), str(path)]) == 0
    assert list((spool / "new").iterdir()) == []


def test_str_input_with_a_lone_surrogate() -> None:
    report = ndr.parse(DSN_UTF7.decode("ascii").replace("unknown", "unknown \ud83d"))
    assert report.recipients and no_surrogates(_all_text(report.to_dict())) == _all_text(report.to_dict())


def test_analyze_records_and_ledger_with_surrogates(tmp_path) -> None:
    box = tmp_path / "box.mbox"
    box.write_bytes(b"From MAILER-DAEMON Thu Jan  1 00:00:00 2024\n" + DSN_UTF7)
    records, db = tmp_path / "r.jsonl", tmp_path / "l.db"
    code = main(["analyze", "-q", "--jobs", "1", "--records", str(records), "--summary",
                 str(tmp_path / "s.json"), "--db", str(db), str(box)])
    assert code in (0, 3)
    assert "u@example.net" in records.read_text(encoding="utf-8")
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM events").fetchone()[0] == 1


def test_json_queue_record_with_a_lone_surrogate(tmp_path) -> None:
    listing = tmp_path / "q.jsonl"
    record = ('{"queue_name": "deferred", "queue_id": "S1", "arrival_time": 1700000000, "sender": '
              '"a@example.com", "recipients": [{"address": "b@example.net", "delay_reason": '
              '"host mx.example.net[192.0.2.1] said: 550 5.1.1 nope \\ud83d"}]}')
    listing.write_text(record + "\n" + record.replace("S1", "S2") + "\n")
    out = tmp_path / "out"
    assert main(["generate", str(listing), "--now", "2024-01-01T00:00:00Z", "--out", str(out)]) == 0
    assert len(list(out.iterdir())) == 2


@pytest.mark.parametrize("bad", ["\x1b[2J", "\x9b2J", "\u202e", "\u2066", "\x07", "\r"])
def test_terminal_text_holds_no_control(bad: str) -> None:
    assert bad not in for_terminal(f"a{bad}b")
    assert for_terminal("línea\tok\n") == "línea\tok\n"


@pytest.mark.parametrize("bad", ["\x9b2J", "\u202e", "\u2066", "\u200f"])
def test_one_line_drops_c1_and_bidi(bad: str) -> None:
    from ndr.reading.text import one_line

    assert bad not in (one_line(f"user{bad}unknown") or "")
    assert bad not in (one_line(f"user{bad}unknown", 900) or "")


def test_text_format_strips_controls_from_fields(tmp_path, capsys) -> None:
    data = DSN_UTF7.replace(b"+2D0- unknown", b"\xc2\x9b2J \xe2\x80\xae unknown").replace(
        b"Content-Type: message/delivery-status; charset=utf-7", b"Content-Type: message/delivery-status; charset=utf-8")
    data = data.replace(b"Subject: =?utf-7?Q?+2D0-?=", b"Subject: =?utf-8?Q?=1B[31mred=E2=80=AE?=")
    path = tmp_path / "b.eml"
    path.write_bytes(data)
    assert main(["parse", "--format", "text", str(path)]) == 0
    out = capsys.readouterr().out
    for bad in ("\x1b", "\x9b", "\u202e"):
        assert bad not in out


def test_archive_member_names_reach_the_terminal_clean(tmp_path, capsys) -> None:
    import io
    import tarfile

    archive = tmp_path / "a.tar"
    with tarfile.open(archive, "w") as tar:
        for name, data in (("\x1b]0;owned\x07\x1b[2J.eml", b""), ("ok\u202e.eml", b"\x00\x01")):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    main(["analyze", "--jobs", "1", str(archive)])
    captured = capsys.readouterr()
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in captured.out and bad not in captured.err


def test_stderr_of_the_cli_is_terminal_safe(tmp_path, capsys) -> None:
    missing = tmp_path / "no\x1b[31msuch\u202e.eml"
    main(["parse", str(missing)])
    err = capsys.readouterr().err
    assert "no" in err and "\x1b" not in err and "\u202e" not in err


def test_a_file_name_that_is_not_utf8_reaches_every_output(tmp_path, capsys) -> None:
    import os

    folder = tmp_path / "in"
    folder.mkdir()
    name = os.path.join(os.fsencode(folder), b"b\xffad.eml")
    with open(name, "wb") as handle:
        handle.write(DSN_UTF7)
    out = {kind: tmp_path / f"out.{kind}" for kind in ("jsonl", "json", "html", "db")}
    code = main(["analyze", "-q", "--jobs", "1", "--records", str(out["jsonl"]), "--summary", str(out["json"]),
                 "--html", str(out["html"]), "--db", str(out["db"]), str(folder)])
    assert code == 0, capsys.readouterr().err
    assert "u@example.net" in out["jsonl"].read_text(encoding="utf-8")
    assert main(["parse", "--format", "text", str(folder)]) == 0
    capsys.readouterr().out.encode("utf-8")


def test_colour_sequences_vanish_whole_from_terminal_text() -> None:
    assert for_terminal("\x1b[32mINFO\x1b[0m: 127.0.0.1 GET /v1/parse\x1b[8m hidden") == \
        "INFO: 127.0.0.1 GET /v1/parse hidden"


def test_a_webhook_payload_with_a_lone_surrogate_reaches_records_clean() -> None:
    pytest.importorskip("cryptography")
    import ndr.webhooks
    from ndr.reading.records import records

    from . import webhook_payloads as P

    payload = json.dumps(P.ses_bounce("Permanent", "General", [
        {"emailAddress": "bob@example.net", "diagnosticCode": "smtp; 550 5.1.1 gone"}]))
    payload = payload.replace("5.1.1 gone", "5.1.1 gone \\ud83d")
    reports = ndr.webhooks.reports("ses", payload)
    rows = [row for report in reports for row in records(report, "ses")]
    assert rows and "\ufffd" in rows[0]["diagnostic_code"]
    for report in reports:  # the library's own objects hold none either
        json.dumps(report.to_dict(), ensure_ascii=False).encode("utf-8")
