"""The command line through a subprocess, as users and MTA pipes run it: exit codes, formats,
stdin as bytes, one-line errors, never a traceback."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import EXAMPLES, run_ndr

EXAMPLE = str(EXAMPLES / "postfix-user-unknown.eml")


def test_parse_file_jsonl() -> None:
    result = run_ndr("parse", EXAMPLE)
    assert result.returncode == 0, result.stderr
    (line,) = result.stdout.decode().splitlines()
    record = json.loads(line)
    required = {"source", "message_index", "recipient", "original_recipient", "action", "status",
                "reply_code", "diagnostic_code", "remote_mta", "reporting_mta", "reason", "hard",
                "feedback_type", "decoder", "catalog_id", "original_message_id", "original_subject"}
    assert required <= set(record)
    assert record["source"] == EXAMPLE and record["message_index"] == 0
    assert (record["recipient"], record["status"], record["reason"]) == ("bob@example.net", "5.1.1", "userunknown")


def test_parse_stdin_as_bytes() -> None:
    data = Path(EXAMPLE).read_bytes().replace(b"Quarterly figures", "Relatório trimestral".encode())
    result = run_ndr("parse", "-", stdin=data)
    record = json.loads(result.stdout)
    assert record["source"] == "-" and record["original_subject"] == "Relatório trimestral"


def test_text_and_json_formats() -> None:
    text = run_ndr("parse", "--format", "text", EXAMPLE).stdout.decode()
    assert "userunknown" in text and "how to fix" in text
    array = json.loads(run_ndr("parse", "--format", "json", EXAMPLE).stdout)
    assert isinstance(array, list) and array[0]["recipient"] == "bob@example.net"


def test_mbox_and_maildir(tmp_path: Path) -> None:
    one = Path(EXAMPLE).read_bytes()
    mbox = tmp_path / "bounces.mbox"
    mbox.write_bytes(b"From MAILER-DAEMON Tue Nov 10 09:14:03 2026\n" + one + b"\n"
                     + b"From MAILER-DAEMON Tue Nov 10 09:15:03 2026\n" + one + b"\n")
    records = [json.loads(l) for l in run_ndr("parse", str(mbox)).stdout.splitlines()]
    assert [(r["source"], r["message_index"]) for r in records] == [(str(mbox), 0), (str(mbox), 1)]
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "new" / "1.host").write_bytes(one)
    (maildir / "cur" / "2.host:2,S").write_bytes(one)
    records = [json.loads(l) for l in run_ndr("parse", str(maildir) + "/").stdout.splitlines()]
    # each record names the message's own file, which a user can open, move or delete
    assert [(r["source"], r["message_index"]) for r in records] == [
        (f"{maildir}/cur/2.host:2,S", 0), (f"{maildir}/new/1.host", 0)]


def test_all_includes_non_bounces() -> None:
    vacation = b"From: pat@example.net\nSubject: Out of office\nAuto-Submitted: auto-replied\n\naway\n"
    assert run_ndr("parse", "-", stdin=vacation).returncode == 1
    result = run_ndr("parse", "--all", "-", stdin=vacation)
    assert result.returncode == 0 and json.loads(result.stdout)["reason"] == "vacation"


@pytest.mark.parametrize("data, code", [
    (b"", 65),
    (os.urandom(4096).replace(b":", b"_"), 65),
    (b"From: a@example.com\nSubject: hi\n\njust mail\n", 1),
    (b'From: a@example.com\nContent-Type: multipart/mixed; boundary="x"\n\n--x\n\ntrunc', 1),
])
def test_bad_input_exit_codes_and_one_line_errors(data: bytes, code: int) -> None:
    result = run_ndr("parse", "-", stdin=data)
    assert result.returncode == code
    assert b"Traceback" not in result.stderr
    assert len(result.stderr.decode().strip().splitlines()) <= 1


def test_big_attachment_is_fine() -> None:
    body = Path(EXAMPLE).read_bytes().replace(
        b"Content-Type: text/plain; charset=utf-8\n",
        b"Content-Type: text/plain; charset=utf-8\n\n" + b"A" * (20 * 1024 * 1024) + b"\n")
    result = run_ndr("parse", "-", stdin=body)
    assert result.returncode == 0 and b"Traceback" not in result.stderr


def test_missing_file_and_usage_errors(tmp_path: Path) -> None:
    result = run_ndr("parse", str(tmp_path / "nope.eml"))
    assert result.returncode == 65 and b"cannot open" in result.stderr
    assert run_ndr("parse", "--format", "yaml").returncode == 2
    assert run_ndr().returncode == 2


def test_explain_code_and_text_in_both_languages() -> None:
    # Exchange's own codes get Microsoft's connector advice; a Postfix line the general one
    for query, entry in ((["4.4.316"], "exo-4.4.316"), (["450", "4.4.316"], "exo-4.4.316"),
                         (["connect to mx1.contoso.com[192.0.2.10]:25: Connection refused"], "net-refused")):
        out = run_ndr("explain", *query).stdout.decode()
        assert entry in out and "how to fix" in out and "likely causes" in out
        pt = run_ndr("explain", "--lang", "pt-BR", *query).stdout.decode()
        assert entry in pt and "como corrigir" in pt
    data = json.loads(run_ndr("explain", "--format", "json", "Host or domain name not found").stdout)
    assert data["reason"] in ("hostunknown", "networkerror")


def test_explain_several_arguments_explain_each() -> None:
    result = run_ndr("explain", "--format", "json", "4.4.316", "5.1.1")
    assert result.returncode == 0
    assert [d["catalog_id"] for d in json.loads(result.stdout)] == ["exo-4.4.316", "iana-x.1.1"]
    # a reply code and its status, or an unquoted diagnostic line, are one query each
    one = json.loads(run_ndr("explain", "--format", "json", "550", "5.1.1", "User", "unknown").stdout)
    assert one["status"] == "5.1.1" and one["reply_code"] == "550" and one["reason"] == "userunknown"


@pytest.mark.parametrize("code, klass, words", [("550", "5yz", "mailbox unavailable"),
                                                ("421", "4yz", "Service not available")])
def test_explain_a_bare_reply_code_says_what_its_class_means(code: str, klass: str, words: str) -> None:
    result = run_ndr("explain", code)
    out = result.stdout.decode()
    assert result.returncode == 0 and klass in out and words in out
    assert "onhold" not in out
    assert ("permanent" if code[0] == "5" else "temporary") in out
    pt = run_ndr("explain", "--lang", "pt-BR", code).stdout.decode()
    assert ("permanente" if code[0] == "5" else "temporária") in pt


@pytest.mark.parametrize("query", [["9.9.9"], ["hello world"], ["4.4.316", "9.9.9"]])
def test_explain_says_when_nothing_matches_and_exits_1(query: list[str]) -> None:
    result = run_ndr("explain", *query)
    assert result.returncode == 1
    assert b"nothing in the catalog matches" in result.stderr


def test_explain_an_exchange_line_with_led_explains_the_inner_code() -> None:
    line = ("550 4.4.7 QUEUE.Expired; message expired [{LED=450 4.4.316 Connection refused "
            "[Message=Socket error code 10061] [LastAttemptedServerName=mail.contoso.test] "
            "[LastAttemptedIP=203.0.113.40:25]};{MSG=};{FQDN=mail.contoso.test};{IP=203.0.113.40}]")
    data = json.loads(run_ndr("explain", "--format", "json", line).stdout)
    assert data["catalog_id"] == "exo-4.4.316" and data["last_error_status"] == "4.4.316"
    assert data["reason"] == "expired" and data["remote_mta"] == "mail.contoso.test"
    other = json.loads(run_ndr("explain", "--format", "json",
                               '451 4.4.0 Primary target IP address responded with: "421 4.3.2 Service not available"').stdout)
    assert other["catalog_id"] == "exo-connector-other"


def test_python_dash_m_and_version() -> None:
    assert run_ndr("--version").returncode == 0


def test_reader_closing_the_pipe_is_not_an_error(tmp_path: Path) -> None:
    import subprocess
    import sys

    from .conftest import ROOT

    many = tmp_path / "many.mbox"
    one = Path(EXAMPLE).read_bytes()
    many.write_bytes(b"".join(b"From MAILER-DAEMON Tue Nov 10 09:14:03 2026\n" + one + b"\n" for _ in range(300)))
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    process = subprocess.Popen([sys.executable, "-m", "ndr", "parse", "--format", "text", str(many)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    process.stdout.readline()  # type: ignore[union-attr]
    process.stdout.close()  # type: ignore[union-attr]  # like `| head -1`
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0
    assert b"internal error" not in err and b"Traceback" not in err and b"Exception ignored" not in err
