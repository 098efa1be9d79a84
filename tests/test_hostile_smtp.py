"""Issue 13: SMTP servers that misbehave cannot hold ``ndr generate``: a greeting that never ends,
a server that never answers (a circuit breaker), reply text with terminal escapes. Counted in
connections and lines, not seconds. Each test failed before its fix."""
from __future__ import annotations

import json
import socket
import threading
from datetime import datetime, timedelta, timezone

import pytest

from ndr.cli import main
from ndr.generate import ReportOptions, generate
from ndr.writing.deliver import SmtpSettings, SmtpSink
from ndr.writing.queue import Attempt, LocalError, QueuedMessage, QueueRecipient

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)


pytestmark = pytest.mark.usefixtures("no_hang")  # see conftest.py


class Server:
    """A TCP server on 127.0.0.1 running ``talk(connection)`` for each client, counting them."""

    def __init__(self, talk) -> None:
        self.talk = talk
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.stopped = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        self.listener.settimeout(0.2)
        while not self.stopped.is_set():
            try:
                connection, _ = self.listener.accept()
            except OSError:
                continue
            self.connections += 1
            threading.Thread(target=self._one, args=(connection,), daemon=True).start()

    def _one(self, connection: socket.socket) -> None:
        with connection:
            try:
                self.talk(connection, self.stopped)
            except OSError:
                pass

    def close(self) -> None:
        self.stopped.set()
        self.listener.close()


def _report(queue_id: str = "Q9"):
    message = QueuedMessage(queue_id, "alice@example.com", T0, (QueueRecipient("bob@example.net", attempts=(
        Attempt(T0, "smarthost.example.net", error=LocalError.REFUSED),)),))
    return generate(message, "failed", now=T0 + timedelta(days=2), options=ReportOptions(reporting_mta="mx.example.com"))


def endless_greeting(connection: socket.socket, stopped: threading.Event) -> None:
    while not stopped.is_set():
        connection.sendall(b"220-still greeting\r\n" * 50)


def silent(connection: socket.socket, stopped: threading.Event) -> None:
    stopped.wait(30)


def test_a_greeting_that_never_ends_is_cut(tmp_path) -> None:
    server = Server(endless_greeting)
    try:
        sink = SmtpSink(SmtpSettings(host="127.0.0.1", port=server.port, retries=1, timeout=20,
                                     keep_dir=str(tmp_path)))
        sink.put(_report())
        sink.close()
    finally:
        server.close()
    assert len(sink.failures) == 1 and "lines" in sink.failures[0]


def test_a_server_that_never_answers_opens_the_breaker(tmp_path) -> None:
    server = Server(silent)
    try:
        sink = SmtpSink(SmtpSettings(host="127.0.0.1", port=server.port, retries=3, retry_delay=0.01,
                                     timeout=0.5, breaker=3, keep_dir=str(tmp_path)))
        for number in range(20):
            sink.put(_report(f"Q{number}"))
        sink.close()
    finally:
        server.close()
    assert server.connections == 3  # not 20 reports x 3 attempts
    assert len(sink.failures) == 20 and len(list(tmp_path.iterdir())) == 20
    assert "not tried" in sink.failures[-1]


def escape_reply(connection: socket.socket, stopped: threading.Event) -> None:
    reader = connection.makefile("rb")
    connection.sendall(b"220 hi\r\n")
    for line in reader:
        verb = line[:4].upper()
        if verb in (b"EHLO", b"HELO"):
            connection.sendall(b"250-hi\r\n250 8BITMIME\r\n")
        elif verb == b"MAIL":
            connection.sendall(b"250 ok\r\n")
        elif verb == b"RCPT":
            connection.sendall(b"550 5.1.1 \x1b]0;owned\x07\x1b[2J\xc2\x9b31m gone\r\n")
        elif verb == b"QUIT":
            connection.sendall(b"221 bye\r\n")
            return
        else:
            connection.sendall(b"500 what\r\n")


def test_smtp_reply_text_reaches_stderr_without_escapes(tmp_path, capsys) -> None:
    server = Server(escape_reply)
    listing = tmp_path / "q.jsonl"
    listing.write_text(json.dumps({"queue_name": "deferred", "queue_id": "E1", "arrival_time": 1700000000,
                                   "sender": "a@example.com", "recipients": [{"address": "b@example.net",
                                   "delay_reason": "connect to mx.example.net[192.0.2.1]:25: Connection refused"}]}) + "\n")
    try:
        main(["generate", str(listing), "--now", "2024-01-01T00:00:00Z", "--smtp", f"127.0.0.1:{server.port}",
              "--keep", str(tmp_path / "unsent")])
    finally:
        server.close()
    err = capsys.readouterr().err
    assert "gone" in err
    for bad in ("\x1b", "\x07", "\x9b"):
        assert bad not in err


@pytest.mark.parametrize("queue_id", [".hidden", "..", "-rf", "./../x"])
def test_a_queue_id_makes_no_hidden_or_option_like_file(tmp_path, queue_id: str) -> None:
    from ndr.writing.deliver import report_filename

    name = report_filename(_report(queue_id))
    assert not name.startswith((".", "-")) and "/" not in name
