"""The generator's speed-ups keep the output exact: caches, the template record, encodings, writes."""
from __future__ import annotations

import binascii
import email.utils
from datetime import datetime, timedelta, timezone

from hypothesis import example, given, settings
from hypothesis import strategies as st

from ndr.catalog import load_catalog
from ndr.reading.classify import classify
from ndr.writing.lasterror import _explained, recipient_report
from ndr.writing import render
from ndr.writing.mimeparts import _qp_line
from ndr.reading.text import one_line
from ndr.writing.text import format_datetime
from ndr.writing.queue import Attempt, LocalError, QueueRecipient
from ndr.writing.render import Record

T0 = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)


def _recipient(address, **attempt):
    return QueueRecipient(address, attempts=(Attempt(T0, **attempt),))


def test_cached_explanation_equals_a_fresh_classification():
    catalog = load_catalog()
    _explained.cache_clear()
    cases = [
        dict(remote_mta="smarthost.example.net", error=LocalError.REFUSED),
        dict(remote_mta="mx.example.org", reply="550 5.1.1 <x@example.org>: Recipient address rejected: User unknown"),
        dict(remote_mta="gmail-smtp-in.l.google.com", reply="421 4.7.0 Try again later, closing connection."),
        dict(remote_mta=None, error=LocalError.DNS),
    ]
    for attempt in cases:
        for domain in ("example.org", "gmail.com", "outlook.com"):
            first = recipient_report(_recipient(f"ann@{domain}", **attempt), catalog)
            second = recipient_report(_recipient(f"bob@{domain}", **attempt), catalog)  # from the cache
            assert second.classification is first.classification and second.status == first.status
            fresh = classify(catalog, status=first.status, reply=attempt.get("reply", "")[:3] or None,
                             text=first.diagnostic, remote_mta=attempt["remote_mta"],
                             recipient=f"bob@{domain}")
            assert (fresh.reason, fresh.rule) == (second.classification.reason, second.classification.rule)
    assert _explained.cache_info().currsize


def test_record_is_a_dict_with_attributes():
    record = Record(address="a@example.org", causes=["x"])
    assert record.address == record["address"] == "a@example.org"
    assert record == {"address": "a@example.org", "causes": ["x"]} and list(record.items())[1] == ("causes", ["x"])


@settings(max_examples=200, deadline=None)
@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)),
       st.integers(min_value=-23 * 3600, max_value=23 * 3600))
def test_format_datetime_is_the_stdlib_text(moment, offset):
    for tz in (timezone.utc, timezone(timedelta(seconds=offset)), timezone(timedelta(minutes=offset // 60))):
        aware = moment.replace(tzinfo=tz)
        assert format_datetime(aware) == email.utils.format_datetime(aware)
    assert format_datetime(moment) == email.utils.format_datetime(moment)


def _qp(text: str) -> bytes:
    """What the generator writes: each line of ``text`` encoded on its own (cached by line)."""
    return b"".join(map(_qp_line, render.lines(text)))


def _whole_text_qp(text: str) -> bytes:
    data = text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
    # Every line the generator writes ends with a line break, the last one too. Without one,
    # binascii breaks the data's last line one character earlier when it ends in an escape
    # (a 76-character line is allowed, RFC 2045 6.7 rule 5, but only before a line end).
    data = data.rstrip(b"\n") + b"\n"
    encoded = binascii.b2a_qp(data, quotetabs=False, istext=True, header=False)
    return encoded.replace(b"\n", b"\r\n").rstrip(b"\r\n") + b"\r\n"


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300)
       | st.text(alphabet=" \t=.-<>\"'abcxyzé\r\n", max_size=400))
@example("0000\x08\x80\x80\x80\x80\x80\U00010000\U00010000\U00010000\t")  # a last line of 76 characters
def test_line_by_line_quoted_printable_is_the_whole_text_encoding(text):
    assert _qp(text) == _whole_text_qp(text)
    assert _qp(text) == _whole_text_qp(text)  # the second time from the line cache


def test_format_datetime_keeps_the_zone_of_equal_instants():
    utc = datetime(2024, 5, 1, 8, tzinfo=timezone.utc)
    local = utc.astimezone(timezone(timedelta(hours=-3)))
    assert utc == local
    assert format_datetime(utc) == "Wed, 01 May 2024 08:00:00 +0000"
    assert format_datetime(local) == "Wed, 01 May 2024 05:00:00 -0300"


def test_one_line_fast_path_agrees_with_the_general_one():
    for text in ("plain text", "  padded  ", "two  spaces", "tab\there", "new\r\nline", "nul\x00", "ünï  côdé\u2028x"):
        general = " ".join(text.replace("\x00", " ").replace("\u2028", " ").split())
        assert one_line(text) == general
