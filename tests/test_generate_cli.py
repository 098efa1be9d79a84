"""``ndr generate`` end to end: listings in, .eml / mbox / table out, exit codes."""
from __future__ import annotations

import json
import mailbox
from pathlib import Path

import ndr
from ndr.cli import main

EXAMPLES = Path(__file__).resolve().parent.parent / "examples" / "queue"
COMMON = ["--now", "2024-05-02T12:00:00Z", "--lifetime", "24h", "--warn-after", "4h,12h",
          "--reporting-mta", "mx.example.com"]


def test_out_folder_gets_one_eml_per_report_read_back_by_the_parser(tmp_path):
    out = tmp_path / "out"
    code = main(["generate", str(EXAMPLES / "listing.yaml"), str(EXAMPLES / "postqueue.jsonl"), *COMMON, "--out", str(out)])
    assert code == 0
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 5 and not any(name.startswith(".") for name in files)
    found = {}
    for path in out.iterdir():
        report = ndr.parse(path.read_bytes())
        for r in report.recipients:
            found[(path.name.split("-")[0], r.recipient)] = (r.action, r.status)
    assert found[("Q1001", "bob@example.net")] == ("failed", "4.4.1")
    assert found[("Q1001", "carol@example.org")] == ("failed", "5.1.1")
    assert found[("Q1002", "joao@example.net")] == ("failed", "4.7.5")
    assert found[("4VbX2a7kQ9", "carol@example.org")] == ("delayed", "4.2.0")
    assert found[("4VbX3c1mN4", "erin@example.info")][0] == "failed"


def test_mbox_output(tmp_path):
    box = tmp_path / "reports.mbox"
    assert main(["generate", str(EXAMPLES / "listing.yaml"), *COMMON, "--mbox", str(box)]) == 0
    messages = list(mailbox.mbox(str(box)))
    assert len(messages) == 2
    assert all(m.get_content_type() == "multipart/report" for m in messages)


def test_dry_run_prints_the_decision_table(capsys):
    assert main(["generate", str(EXAMPLES / "listing.yaml"), *COMMON, "--dry-run"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["QUEUE-ID", "AGE", "RECIPIENT", "DECISION", "STATUS", "REPORT", "WHY"]
    assert any("noc@example.info" in line and "already warned" in line for line in out)


def test_codes_exchange_states_connector_codes_with_general_advice(tmp_path, capsys):
    assert main(["generate", str(EXAMPLES / "listing.yaml"), *COMMON, "--dry-run"]) == 0
    rfc = [line for line in capsys.readouterr().out.splitlines() if "bob@example.net" in line]
    assert rfc and "4.4.1" in rfc[0].split()
    assert main(["generate", str(EXAMPLES / "listing.yaml"), *COMMON, "--dry-run", "--codes", "exchange"]) == 0
    exchange = [line for line in capsys.readouterr().out.splitlines() if "bob@example.net" in line]
    assert exchange and "4.4.316" in exchange[0].split()
    out = tmp_path / "out"
    assert main(["generate", str(EXAMPLES / "listing.yaml"), *COMMON, "--codes", "exchange", "--out", str(out)]) == 0
    for path in out.iterdir():
        text = path.read_text(encoding="utf-8", errors="replace")
        assert "Microsoft" not in text and "exo-" not in text and "Classified by" not in text
        if "bob@example.net" in text and "Status: 4.4.316" in text:
            assert "Remote-MTA: dns; smarthost.example.net" not in text  # nobody answered


def test_bad_record_is_reported_and_the_rest_written(tmp_path, capsys):
    listing = tmp_path / "l.json"
    good = {"id": "G1", "sender": "a@example.com", "arrival": 0, "recipients": [{"address": "b@example.net",
            "attempts": [{"error": "refused", "remote_mta": "mx.example.net"}]}]}
    bad = dict(good, id="B1", sender="a@example.com\r\nBcc: evil@example.net")
    listing.write_text(json.dumps([good, bad]))
    code = main(["generate", str(listing), "--now", "2024-01-01T00:00:00Z", "--out", str(tmp_path / "out")])
    assert code == 65
    err = capsys.readouterr().err
    assert "record 2 id=B1" in err and "sender" in err and "Traceback" not in err
    assert len(list((tmp_path / "out").iterdir())) == 1


def test_nothing_due_exits_1_and_usage_errors_exit_2(tmp_path):
    listing = tmp_path / "young.yaml"
    listing.write_text("id: Y1\nsender: a@example.com\narrival: 2024-05-01T08:00:00Z\n"
                       "recipients: [{address: b@example.net, attempts: [{error: timeout}]}]\n")
    assert main(["generate", str(listing), "--now", "2024-05-01T09:00:00Z", "--out", str(tmp_path)]) == 1
    assert main(["generate", str(listing), "--lifetime", "soon", "--out", str(tmp_path)]) == 2
    assert main(["generate", str(listing)]) == 2  # no output chosen


def test_unsendable_reports_exit_75_and_are_kept(tmp_path):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    keep = tmp_path / "unsent"
    code = main(["generate", str(EXAMPLES / "listing.yaml"), *COMMON, "--smtp", f"127.0.0.1:{port}",
                 "--retries", "1", "--keep", str(keep)])
    assert code == 75
    assert len(list(keep.iterdir())) == 2
