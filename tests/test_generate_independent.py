"""Generated reports read by an independent bounce parser (flufl.bounce, the GNU Mailman
project's detector) and by the stdlib ``email`` package: both must find the recipients and codes
ndr wrote. Skipped where flufl.bounce is not installed (it is in the ``test`` extra)."""
from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy

import pytest

from ndr.generate import generate
from ndr.writing.queue import Attempt, LocalError, QueueRecipient

from .test_generate import NOW, OPTIONS, ORIGINAL, T0, _message

flufl = pytest.importorskip("flufl.bounce")

RECIPIENTS = (
    QueueRecipient("bob@example.net", attempts=(Attempt(T0, "smarthost.example.net", error=LocalError.REFUSED),)),
    QueueRecipient("carol@example.org", attempts=(
        Attempt(T0, "mx.example.org", reply="550 5.1.1 <carol@example.org>: User unknown"),)),
    QueueRecipient("dave@example.com", attempts=(Attempt(T0, "mx.example.com", error=LocalError.TIMEOUT),)),
)


def _stdlib_fields(data: bytes) -> list[tuple[str, str, str]]:
    message = message_from_bytes(data, policy=policy.default)
    status = next(p for p in message.walk() if p.get_content_type() == "message/delivery-status")
    blocks = status.get_payload()[1:]  # the stdlib reads each field block as a Message
    return [(b["Final-Recipient"].split(";", 1)[1].strip(), b["Action"], b["Status"]) for b in blocks]


def test_failure_report_is_read_by_independent_parsers() -> None:
    report = generate(_message(*RECIPIENTS), "failed", now=NOW, original=ORIGINAL, options=OPTIONS)
    temporary, permanent = flufl.all_failures(message_from_bytes(report.data))
    found = {a.decode() if isinstance(a, bytes) else a for a in temporary | permanent}
    assert found == {"bob@example.net", "carol@example.org", "dave@example.com"}
    assert _stdlib_fields(report.data) == [
        ("bob@example.net", "failed", "4.4.1"),
        ("carol@example.org", "failed", "5.1.1"),
        ("dave@example.com", "failed", "4.4.1"),
    ]


def test_delay_warning_is_temporary_for_an_independent_parser() -> None:
    recipient = QueueRecipient("bob@example.net", attempts=(
        Attempt(T0, "smarthost.example.net", error=LocalError.REFUSED),))
    report = generate(_message(recipient), "delayed", now=T0 + timedelta(hours=5),
                      will_retry_until=T0 + timedelta(hours=24), original=ORIGINAL, options=OPTIONS)
    temporary, permanent = flufl.all_failures(message_from_bytes(report.data))
    assert {a.decode() if isinstance(a, bytes) else a for a in temporary} == {"bob@example.net"}
    assert not permanent
    assert _stdlib_fields(report.data) == [("bob@example.net", "delayed", "4.4.1")]
