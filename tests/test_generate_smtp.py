"""Sending reports by SMTP to a real aiosmtpd server on 127.0.0.1: null sender, content, retry."""
from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone

import pytest

aiosmtpd_controller = pytest.importorskip("aiosmtpd.controller")

from ndr.writing.deliver import SmtpSettings, SmtpSink  # noqa: E402
from ndr.generate import ReportOptions, generate  # noqa: E402
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient  # noqa: E402

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)


class Recorder:
    def __init__(self, refuse: bool = False) -> None:
        self.envelopes: list[tuple[str, list[str], bytes, list[str]]] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.refuse:
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content,
                               list(envelope.mail_options)))
        return "250 queued"


@pytest.fixture
def server():
    recorder = Recorder()
    controller = aiosmtpd_controller.Controller(recorder, hostname="127.0.0.1", port=_free_port(),
                                                enable_SMTPUTF8=True)
    controller.start()
    yield controller, recorder
    controller.stop()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _report(sender="alice@example.com", address="bob@example.net"):
    message = QueuedMessage("Q9", sender, T0, (QueueRecipient(address, attempts=(
        Attempt(T0, "smarthost.example.net", error=LocalError.REFUSED),)),))
    return generate(message, "failed", now=T0 + timedelta(days=2), options=ReportOptions(reporting_mta="mx.example.com"))


def test_report_is_sent_with_the_null_sender_to_the_original_sender(server, tmp_path):
    controller, recorder = server
    sink = SmtpSink(SmtpSettings(host="127.0.0.1", port=controller.port, retries=1, keep_dir=str(tmp_path)))
    report = _report()
    assert sink.put(report).startswith("smtp:")
    sink.close()
    [(mail_from, rcpt_tos, content, _)] = recorder.envelopes
    assert mail_from == "<>"  # aiosmtpd records MAIL FROM:<> as "<>"
    assert rcpt_tos == ["alice@example.com"]
    assert content == report.data
    assert not sink.failures and not list(tmp_path.iterdir())


def test_smtputf8_report_is_sent_with_smtputf8(server, tmp_path):
    controller, recorder = server
    sink = SmtpSink(SmtpSettings(host="127.0.0.1", port=controller.port, retries=1, keep_dir=str(tmp_path)))
    report = _report(sender="jörg@exämple.de")
    sink.put(report)
    sink.close()
    [(mail_from, rcpt_tos, content, options)] = recorder.envelopes
    assert mail_from == "<>" and rcpt_tos == ["jörg@exämple.de"] and "SMTPUTF8" in options
    assert content == report.data


def test_unreachable_server_is_retried_then_the_report_is_kept(tmp_path):
    sink = SmtpSink(SmtpSettings(host="127.0.0.1", port=_free_port(), retries=2, retry_delay=0.01,
                                 timeout=2, keep_dir=str(tmp_path / "unsent")))
    report = _report()
    kept = sink.put(report)
    sink.close()
    assert len(sink.failures) == 1 and "kept in" in sink.failures[0]
    [path] = list((tmp_path / "unsent").iterdir())
    assert str(path) == kept and path.read_bytes() == report.data


def test_permanent_refusal_is_not_retried_and_kept(tmp_path):
    recorder = Recorder(refuse=True)
    controller = aiosmtpd_controller.Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        sink = SmtpSink(SmtpSettings(host="127.0.0.1", port=controller.port, retries=3, retry_delay=5,
                                     keep_dir=str(tmp_path)))
        sink.put(_report())
        sink.close()
    finally:
        controller.stop()
    assert "550" in sink.failures[0] and len(list(tmp_path.iterdir())) == 1
