"""The generic table decoder: layout engine on small hand-written messages, and validation of
broken ``vendors`` entries (every problem named, with its location)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ndr
from ndr.reading import mime
from ndr.catalog import CatalogError, load_catalog
from ndr.catalog.validate import vendor_problems
from ndr.reading.decoders.base import Mail
from ndr.catalog.layouts import compile_layout
from ndr.reading.decoders.table import TableDecoder

from .conftest import with_eol

LAYOUT: dict[str, Any] = {
    "id": "acme",
    "source": "hand-written test layout",
    "detect": [{"from": ["mailer-daemon"], "subject": [{"prefix": "acme failure"}]},
               {"headers": {"x-acme-failed": ""}}],
    "start": ["the following recipients failed"],
    "end": ["--- original message ---"],
    "original": ["--- original message ---"],
    "recipient": ["address", {"regex": "^ ?failed: {address}"}, {"after": "could not reach"}],
    "diagnostic": {"until": "blank"},
    "remote_mta": [{"regex": "\\bserver {host} answered"}],
    "reporting_mta": [{"regex": "^acme relay {host} here"}],
    "when": [{"phrase": "queue time exceeded", "status": "4.4.7"},
             {"phrase": "still trying", "action": "delayed"}],
    "defaults": {"status": "5.0.0"},
}

MESSAGE = b"""From: Mailer-Daemon <mailer-daemon@relay.example.net>
To: sender@example.org
Subject: ACME failure report

ACME relay relay.example.net here.
Intro text that names nobody@example.org but is not a recipient line.

The following recipients failed:

  <alice@example.com>
    server mx1.example.com answered: 550 5.1.1 no such user
    second line of the reason

Failed: bob@example.com queue time exceeded

carol@example.com
    still trying, 450 mailbox busy

--- original message ---
Message-ID: <orig-1@example.org>
Subject: hello there
From: sender@example.org
To: alice@example.com

body of the original
"""


def _mail(data: bytes) -> Mail:
    return Mail(mime.parse(data), load_catalog())


def _run(data: bytes, layout: dict[str, Any] = LAYOUT):
    return TableDecoder().run(compile_layout(layout), _mail(data))


def test_recipients_and_their_diagnostics() -> None:
    decoded = _run(MESSAGE)
    assert decoded is not None
    by = {r.recipient: r for r in decoded.recipients}
    assert list(by) == ["alice@example.com", "bob@example.com", "carol@example.com"]
    alice = by["alice@example.com"]
    assert alice.status == "5.1.1" and alice.reply_code == "550"
    assert alice.remote_mta == "mx1.example.com"
    assert alice.diagnostic == "server mx1.example.com answered: 550 5.1.1 no such user second line of the reason"
    assert alice.action == "failed"
    assert decoded.reporting_mta == "relay.example.net" and alice.reporting_mta == "relay.example.net"


def test_when_rules_and_defaults() -> None:
    by = {r.recipient: r for r in _run(MESSAGE).recipients}
    assert by["bob@example.com"].status == "4.4.7"  # the phrase decides when the text has no code
    carol = by["carol@example.com"]
    assert carol.action == "delayed"
    assert carol.status == "4.0.0"  # the default 5.0.0 yields: a delay is never permanent


def test_original_headers_after_the_marker() -> None:
    decoded = _run(MESSAGE)
    assert decoded.original_headers is not None
    assert decoded.original_headers.get("message-id") == "<orig-1@example.org>"


def test_block_ends_at_the_end_marker() -> None:
    # the original's To: line names alice again, but no line after the marker is read
    decoded = _run(MESSAGE.replace(b"To: alice@example.com", b"dave@example.com"))
    assert "dave@example.com" not in {r.recipient for r in decoded.recipients}


def test_start_line_and_intro_are_not_recipients() -> None:
    assert "nobody@example.org" not in {r.recipient for r in _run(MESSAGE).recipients}


@pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])
def test_line_endings_read_alike(eol: str) -> None:
    decoded = _run(with_eol(MESSAGE, eol))
    assert [r.recipient for r in decoded.recipients] == ["alice@example.com", "bob@example.com",
                                                         "carol@example.com"]
    assert decoded.recipients[0].status == "5.1.1"


def test_block_mode_and_section() -> None:
    layout = dict(LAYOUT, diagnostic={"section": ["technical details:"], "until": "blank"})
    data = (b"From: mailer-daemon@x.example\nSubject: ACME failure\n\n"
            b"The following recipients failed:\n\n  * x@example.com\n\n=====\nTechnical details:\n\n"
            b"RCPT host 192.0.2.1: 553 5.3.0 no such user\n")
    layout["recipient"] = [{"regex": "^ ?\\* {address}$"}]
    decoded = _run(data, layout)
    assert decoded.recipients[0].status == "5.3.0"
    layout = dict(layout, diagnostic={"block": True})
    decoded = _run(data, layout)
    assert "technical details" in (decoded.recipients[0].diagnostic or "").lower()


def test_recipient_headers_when_no_line_names_an_address() -> None:
    layout = dict(LAYOUT, recipient_headers=["x-acme-failed"])
    data = (b"From: mailer-daemon@x.example\nSubject: ACME failure\nX-Acme-Failed: local@example.com\n\n"
            b"The following recipients failed:\n\n  local\n    mailbox is full: queue time exceeded\n")
    decoded = _run(data, layout)
    assert [r.recipient for r in decoded.recipients] == ["local@example.com"]
    assert decoded.recipients[0].status == "4.4.7"
    assert "mailbox is full" in decoded.recipients[0].diagnostic


def test_after_shape_keeps_the_whole_line() -> None:
    data = (b"From: mailer-daemon@x.example\nSubject: ACME failure\n\n"
            b"The following recipients failed:\n\nWe could not reach <x@example.com> (and others in the domain).\n")
    decoded = _run(data)
    assert decoded.recipients[0].diagnostic == "We could not reach <x@example.com> (and others in the domain)."


def test_until_line_takes_the_section_not_the_following_lines() -> None:
    layout = dict(LAYOUT, start=["error message below:"], recipient=[{"regex": "^ ?rcpt to: ?<?{address}"}],
                  diagnostic={"until": "line", "section": ["error message below:"]})
    data = (b"From: mailer-daemon@x.example\nSubject: ACME failure\n\nError message below:\n"
            b"550 5.1.1 no such user here\n\nMessage details:\n RCPT TO: x@example.com\n From: a@example.org\n")
    raw = _run(data, layout).recipients[0]
    assert raw.recipient == "x@example.com"
    assert raw.diagnostic == "550 5.1.1 no such user here" and raw.status == "5.1.1"


@pytest.mark.parametrize("to, want", [("x@example.com", "x@example.com"),
                                      ("x@example.com, y@example.com", None)])
def test_sole_addressee_of_the_original_when_the_notice_names_nobody(to: str, want: str | None) -> None:
    data = (b"From: mailer-daemon@x.example\nSubject: ACME failure\n\nThe following recipients failed:\n"
            b"450 example.com (smtp)... Deferred: Connection timed out\n\n--- original message ---\n"
            b"From: a@example.org\nTo: " + to.encode() + b"\nSubject: hi\n\nbody\n")
    decoded = _run(data)
    if want is None:
        assert decoded is None  # two addressees: the notice does not say whose failure it is
    else:
        assert [r.recipient for r in decoded.recipients] == [want]
        assert decoded.recipients[0].status == "4.0.0"


def test_shared_rule_fills_remote_mta_and_smtp_command() -> None:
    data = (b"Received: by relay.example.net (ACME) id 1\nFrom: mailer-daemon@x.example\nSubject: ACME failure\n\n"
            b"The following recipients failed:\n\n  <a@example.com>\n"
            b"    SMTP error from remote mail server after RCPT TO:<a@example.com>: 550 5.1.1 unknown\n")
    raw = _run(data).recipients[0]
    assert raw.smtp_command == "RCPT"
    assert raw.remote_mta is None  # nobody named: no stand-in (DECISIONS "Fields")
    assert raw.reporting_mta == "relay.example.net"  # the reporter: the bounce's first signed hop


SESSION_LAYOUT = dict(LAYOUT, start=["transcript of session follows"], end=["unsent message follows"],
                      recipient=[{"regex": "^ ?[245][0-9][0-9] <{address}>\\.\\.\\. ?"}],
                      diagnostic={"until": "line", "transcript": True})
SESSION = b"""From: mailer-daemon@x.example
Subject: ACME failure

   ----- Transcript of session follows -----
While talking to mx.example.com:
>>> MAIL From:<a@example.org>
<<< 250 ok
>>> RCPT To:<b@example.com>
<<< 550 No such mailbox here
>>> RCPT To:<c@example.com>
<<< 250 ok
>>> DATA
<<< 554 Message refused by content policy
554 <c@example.com>... Service unavailable
550 <d@example.net>... 550 Host unknown (Authoritative answer from name server)
550 <b@example.com>... User unknown
While talking to mx.example.org:
>>> RCPT To:<e@example.org>
<<< 452 Too many recipients this session

   ----- Unsent message follows -----
From: a@example.org
"""


@pytest.mark.parametrize("eol", ["lf", "crlf", "cr"])
def test_transcript_replies_go_to_the_recipient_they_answer(eol: str) -> None:
    found = {r.recipient: r for r in _run(with_eol(SESSION, eol), SESSION_LAYOUT).recipients}
    got = {a: (r.diagnostic, r.smtp_command) for a, r in found.items() if a != "d@example.net"}
    assert found["d@example.net"].diagnostic == "550 Host unknown (Authoritative answer from name server)"
    assert got == {
        # the RCPT reply is b's although other lines stand between it and b's result line
        "b@example.com": ("User unknown 550 No such mailbox here", "RCPT"),
        # a reply to DATA belongs to the result line that follows it, and to no later one
        "c@example.com": ("Service unavailable 554 Message refused by content policy", "DATA"),
        # refused at RCPT without a result line of its own: still a failed recipient
        "e@example.org": ("452 Too many recipients this session", "RCPT"),
    }
    assert found["e@example.org"].status == "4.0.0" and found["b@example.com"].status == "5.0.0"


def test_without_transcript_the_exchange_lines_follow_the_recipient_line() -> None:
    layout = dict(SESSION_LAYOUT, diagnostic={"until": "recipient"})
    found = {r.recipient: r.diagnostic for r in _run(SESSION, layout).recipients}
    assert "e@example.org" not in found and "mx.example.org" in found["b@example.com"]


def test_nothing_found_is_none() -> None:
    assert _run(b"From: mailer-daemon@x.example\nSubject: ACME failure\n\nno addresses here\n") is None


def test_detection_through_a_user_catalog(tmp_path: Path) -> None:
    import yaml

    user = tmp_path / "acme.yaml"
    user.write_text(yaml.safe_dump({"vendors": [LAYOUT]}), encoding="utf-8")
    catalog = load_catalog(str(user))
    assert any(layout.id == "acme" for layout in catalog.layouts)
    assert catalog.layouts is catalog.layouts  # compiled once per catalog
    report = ndr.parse(MESSAGE, catalog=catalog)
    assert report.decoder == "table:acme"
    assert {r.recipient for r in report.recipients} == {"alice@example.com", "bob@example.com",
                                                        "carol@example.com"}
    # the other alternative: a header alone
    plain = MESSAGE.replace(b"Subject: ACME failure report", b"Subject: x\nX-Acme-Failed: yes")
    assert ndr.parse(plain, catalog=catalog).decoder == "table:acme"
    # neither alternative: not this layout
    other = MESSAGE.replace(b"Subject: ACME failure report", b"Subject: hello")
    assert ndr.parse(other, catalog=catalog).decoder != "table:acme"


# ---- validation ----------------------------------------------------------------------------

def _problems(**changes: Any) -> list[str]:
    item = dict(LAYOUT)
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    return vendor_problems(item, set())


def test_the_test_layout_is_valid() -> None:
    assert _problems() == []


@pytest.mark.parametrize("changes, fragment", [
    ({"detect": None}, "detect must be a non-empty list"),
    ({"detect": [{"from": ["mailer-daemon"]}]}, "too broad"),
    ({"detect": [{"sender": ["x"]}]}, "unknown key 'sender'"),
    ({"detect": [{"subject": ["Upper Case"]}]}, "not lowercase"),
    ({"detect": [{"subject": [{"suffix": "x"}]}]}, "prefix"),
    ({"detect": [{"headers": ["x-failed"]}]}, "headers must map header names"),
    ({"recipient": None}, "recipient must be a non-empty list"),
    ({"recipient": ["addr"]}, "unknown shape 'addr'"),
    ({"recipient": [{"regex": "^failed: (\\S+)"}]}, "{address} exactly once"),
    ({"recipient": [{"regex": "failed: {address}"}]}, "anchored"),
    ({"recipient": [{"regex": "^(a+)+{address}"}]}, "nested quantifier"),
    ({"start": "the following"}, "start must be a non-empty list"),
    ({"end": ["Original Message"]}, "not lowercase"),
    ({"diagnostic": {"until": "forever"}}, "diagnostic.until"),
    ({"diagnostic": {"lines": 3}}, "unknown key 'lines'"),
    ({"diagnostic": {"transcript": "yes"}}, "diagnostic.transcript must be true or false"),
    ({"remote_mta": [{"regex": "\\bserver (\\S+)"}]}, "{host} exactly once"),
    ({"remote_mta": [{"regex": "\\bserver {host} (x)"}]}, "capturing"),
    ({"reply": [{"regex": "\\bcode \\d+"}]}, "exactly 1 capturing group"),
    ({"when": [{"phrase": "x"}]}, "needs status or action"),
    ({"when": [{"phrase": "x", "status": "9.9.9"}]}, "is not a status code"),
    ({"defaults": {"action": "bounced"}}, "not a DSN action"),
    ({"defaults": {"status": "X.1.1"}}, "not a status code"),
    ({"colour": "red"}, "unknown field 'colour'"),
])
def test_broken_layouts_are_named(changes: dict[str, Any], fragment: str) -> None:
    problems = _problems(**changes)
    assert any(fragment in p for p in problems), problems


def test_catalog_reports_vendor_problems_with_location(tmp_path: Path) -> None:
    import yaml

    broken = dict(LAYOUT, id="broken", recipient=["addr"], defaults={"action": "bounced"})
    user = tmp_path / "broken.yaml"
    user.write_text(yaml.safe_dump({"vendors": [broken]}), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(str(user))
    text = str(caught.value)
    assert "id=broken" in text and "unknown shape 'addr'" in text and "not a DSN action" in text


def test_entries_of_code_decoders_are_left_to_them() -> None:
    assert vendor_problems({"id": "x", "decoder": "not-registered", "source": "s"}, set()) == []
    assert vendor_problems({"id": "x", "decoder": 3, "source": "s"}, set())


def test_shipped_layouts_compile() -> None:
    catalog = load_catalog()
    ids = [layout.id for layout in catalog.layouts]
    assert len(ids) == len(set(ids)) and "exim" in ids and "qmail" in ids
