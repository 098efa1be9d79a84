"""Hostile input: every limit is a defect on the report (never a crash), limits reach the CLI and
batch workers, and text scans stay linear (baits that made regexes backtrack, timed)."""
from __future__ import annotations

import argparse
import json
import re
import time

import pytest

import ndr
from ndr.lazy import LazyRegex
from ndr.reading import mime
from ndr.batch.units import Payload
from ndr.batch.work import WorkContext, process_unit
from ndr.reading.archives import RawMessage
from ndr.commands.common import add_limit_options, parse_size, policy_from
from ndr.reading.text import find_address, html_to_text
from ndr.catalog.match import Pattern
from ndr.catalog.phrase_index import PatternTable

from .bounces import dsn, mbox
from .conftest import run_ndr

CATALOG = ndr.load_catalog()
BOUNCE_HEAD = (b"From: MAILER-DAEMON@mx.example.org\nTo: a@example.org\n"
               b"Subject: Undelivered Mail Returned to Sender\n")
FAST = 1.5
"""Seconds a bait of a few hundred kB may take (linear code takes milliseconds; the quadratic and
cubic shapes these replace took minutes)."""


def kinds(report: ndr.Report) -> set[str]:
    return {d.kind for d in report.defects}


def timed(function, *args):
    start = time.perf_counter()
    result = function(*args)
    return result, time.perf_counter() - start


# --- limits are defects ----------------------------------------------------------------------

@pytest.mark.parametrize("policy, data, kind", [
    (ndr.DEFAULT.clone(max_message_bytes=2000), dsn("bob@example.net") + b"x" * 5000, "size-limit"),
    (ndr.DEFAULT.clone(max_line_bytes=100), dsn("bob@example.net", text="a" * 500), "line-limit"),
    (ndr.DEFAULT.clone(max_header_count=3), dsn("bob@example.net"), "header-limit"),
    (ndr.DEFAULT.clone(max_parts=2), dsn("bob@example.net"), "part-limit"),
    (ndr.DEFAULT.clone(max_depth=1),
     b"From: a@example.org\nContent-Type: multipart/mixed; boundary=o\n\n--o\n" + dsn("b@example.net")
     + b"\n--o--\n", "depth-limit"),
    (ndr.DEFAULT.clone(max_text_chars=50), dsn("bob@example.net", text="a" * 500), "text-limit"),
])
def test_each_limit_is_a_defect_not_a_crash(policy: ndr.Policy, data: bytes, kind: str) -> None:
    report = ndr.parse(data, policy=policy, catalog=CATALOG)
    assert kind in kinds(report)
    with pytest.raises(ndr.DefectError):
        ndr.parse(data, policy=policy.clone(raise_on_defect=True), catalog=CATALOG)


def test_a_cut_diagnostic_still_classifies() -> None:
    data = dsn("bob@example.net", text="user unknown " + "x" * 5000)
    report = ndr.parse(data, policy=ndr.DEFAULT.clone(max_text_chars=1000), catalog=CATALOG)
    (recipient,) = report.recipients
    assert recipient.recipient == "bob@example.net" and recipient.status == "5.1.1"
    assert len(recipient.diagnostic_code or "") <= 1000 and "text-limit" in kinds(report)


def test_long_lines_are_cut_not_dropped() -> None:
    defects: list = []
    data = b"a\n" + b"b" * 50 + b"\nc\n" + b"d" * 9
    assert mime.cut_long_lines(data, 10, defects) == b"a\n" + b"b" * 10 + b"\nc\n" + b"d" * 9
    assert [d.kind for d in defects] == ["line-limit"]
    assert mime.cut_long_lines(data, 100, []) is data


def test_limits_on_the_command_line() -> None:
    assert [parse_size(s) for s in ("4096", "512K", "32m", "1G", "2MB")] == [
        4096, 512 * 1024, 32 * 1024 ** 2, 1024 ** 3, 2 * 1024 ** 2]
    for bad in ("0", "-1", "12Q", "", "1.5M"):
        with pytest.raises(argparse.ArgumentTypeError):
            parse_size(bad)
    parser = argparse.ArgumentParser()
    add_limit_options(parser, max_message_bytes="--max-message")
    args = parser.parse_args(["--max-message", "1M", "--max-depth", "3", "--max-parts", "7",
                              "--max-headers", "9", "--max-line", "2K", "--max-text", "500"])
    policy = policy_from(args)
    assert (policy.max_message_bytes, policy.max_depth, policy.max_parts, policy.max_header_count,
            policy.max_line_bytes, policy.max_text_chars) == (1024 ** 2, 3, 7, 9, 2048, 500)
    assert policy_from(parser.parse_args([])) == ndr.DEFAULT


def test_ndr_parse_takes_the_limits(tmp_path) -> None:
    path = tmp_path / "long.eml"
    path.write_bytes(dsn("bob@example.net", text="a" * 5000))
    result = run_ndr("parse", "--max-line", "1K", str(path))
    assert result.returncode == 0, result.stderr
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert any(d.startswith("line-limit") for d in row["defects"])
    bad = run_ndr("parse", "--max-depth", "0", str(path))
    assert bad.returncode == 2 and b"Traceback" not in bad.stderr


def test_ndr_parse_reads_mbox_messages_up_to_the_size_limit(tmp_path) -> None:
    path = tmp_path / "in.mbox"
    path.write_bytes(mbox([dsn("bob@example.net", text="x" * 3000), dsn("carol@example.net", serial=1)]))
    result = run_ndr("parse", "--max-message-size", "2K", str(path))
    rows = {row["recipient"]: row for row in map(json.loads, result.stdout.splitlines())}
    assert any(d.startswith("size-limit") for d in rows["bob@example.net"]["defects"])
    assert rows["carol@example.net"]["defects"] == []


def test_analyze_workers_honour_the_policy() -> None:
    unit = Payload((RawMessage("in", 0, dsn("bob@example.net", text="a" * 5000)),), nbytes=0)
    context = WorkContext(policy=ndr.DEFAULT.clone(max_line_bytes=1024))
    (message,) = process_unit(unit, context).messages
    assert any(d.startswith("line-limit") for d in message.records[0]["defects"])
    (plain,) = process_unit(unit, WorkContext()).messages
    assert not plain.records[0]["defects"]


# --- bounded time on hostile input -----------------------------------------------------------

HOSTILE = {
    "one long line": BOUNCE_HEAD + b"\n" + b"x" * 3_000_000,
    "address fragments": BOUNCE_HEAD + b"\n" + b" ".join(b"<u%d@h%d.example>:" % (i, i) for i in range(30_000)),
    "at-sign bait": BOUNCE_HEAD + b"\n550 5.1.1 user unknown " + b"@" * 500_000 + b"<" * 200_000,
    "many headers": b"".join(b"X-H%d: v\n" % i for i in range(300_000)) + b"\nbody\n",
    "deep nesting": BOUNCE_HEAD + b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(2000)),
    "html tags": BOUNCE_HEAD + b"Content-Type: text/html\n\n" + b"<script>" * 50_000 + b"<" * 300_000,
    "blank run in a folded header": b"Subject: a" + b" " * 300_000 + b"b\n c\n\nbody\n",
    "host names": BOUNCE_HEAD + b"\n" + b"a." * 200_000 + b" failed\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_inputs_parse_in_bounded_time(name: str) -> None:
    report, took = timed(lambda: ndr.parse(HOSTILE[name], catalog=CATALOG))
    assert took < FAST, f"{name}: {took:.2f} s"
    assert isinstance(report, ndr.Report)


@pytest.mark.parametrize("bait", ["@" * 300_000, "a" * 300_000 + "@", "a@" * 150_000,
                                  "x " + "a." * 150_000 + "@" + "b." * 150_000])
def test_find_address_is_linear(bait: str) -> None:
    _, took = timed(find_address, bait)
    assert took < FAST


def test_find_address_still_finds_addresses() -> None:
    cases = {"<user@example.com>": "user@example.com", "RCPT TO:<u@[192.0.2.1]>": "u@[192.0.2.1]",
             "mailto:a.b@c.example.org.": "a.b@c.example.org", "no address here": None,
             "550 <x+tag@mx.example.net>... User unknown": "x+tag@mx.example.net"}
    assert {text: find_address(text) for text in cases} == cases


def test_html_to_text_is_linear_and_unchanged_on_html() -> None:
    for bait in ("<" * 300_000, "<script>" * 40_000, "<br" * 100_000, "<style><script></style>" * 20_000):
        _, took = timed(html_to_text, bait)
        assert took < FAST
    html = "<p>Hello<br/>there</p><script>var x = '<b>';</script><STYLE>p {}</style>&amp; done"
    assert html_to_text(html).split() == ["Hello", "there", "&", "done"]


def test_phrase_index_tries_each_pattern_once() -> None:
    """Thousands of words sharing a key (user1, user2 ...) once made every candidate pattern run
    once per word."""
    table = PatternTable.build([(Pattern(source=f"p{i}", fragments=(f"zz user{i}x",)), i) for i in range(200)])
    text = " ".join(f"user{i} host{i}" for i in range(50_000))
    result, took = timed(table.first, text)
    assert result is None and took < FAST


def real_pattern(value: re.Pattern | LazyRegex) -> re.Pattern:
    return value.compiled if isinstance(value, LazyRegex) else value


def test_every_code_and_catalog_regex_is_linear_on_repetition_baits() -> None:
    """Each compiled regex of ndr's modules and of the catalog, searched in strings made of one
    repeated unit: a regex that backtracks (quadratic or worse) takes seconds here."""
    import importlib
    import pkgutil

    for sample in (b"From: x@example.org\n\nhi\n", dsn("bob@example.net")):
        ndr.parse(sample, catalog=CATALOG)  # compile what the decoders compile lazily
    patterns: dict[str, re.Pattern] = {}
    for info in pkgutil.walk_packages(ndr.__path__, "ndr."):
        if info.name.endswith("__main__"):
            continue
        module = importlib.import_module(info.name)
        patterns.update({f"{info.name}.{k}": real_pattern(v) for k, v in vars(module).items()
                         if isinstance(v, (re.Pattern, LazyRegex))})

    def collect(value, path: str, depth: int = 0) -> None:
        if depth > 6:
            return
        if isinstance(value, (re.Pattern, LazyRegex)):
            patterns[path] = real_pattern(value)
        elif isinstance(value, (list, tuple)):
            for i, item in enumerate(value):
                collect(item, f"{path}[{i}]", depth + 1)
        elif isinstance(value, dict):
            for key, item in value.items():
                collect(item, f"{path}.{key}", depth + 1)
        elif hasattr(value, "__dataclass_fields__"):
            for key in value.__dataclass_fields__:
                collect(getattr(value, key, None), f"{path}.{key}", depth + 1)

    compiled = {"layouts": CATALOG.layouts, "detectors": CATALOG.detectors, "notices": CATALOG.notices,
                "phrases": CATALOG.phrases, "entry_patterns": CATALOG.entry_patterns}
    collect(compiled, "catalog")
    units = ["@", "<", "a", ".", " ", "a.", "5.", "550 ", "host ", "[", ":", "a@", "-", "said:", "\t",
             "1.", "a-", "a:", "<<<", "\n ", "=?", "0", "by ", "a ", "\u00a0"]
    slow = []
    for name, pattern in patterns.items():
        # Used with .match (one position) only; ndr.catalog.match's two read catalog regexes, not mail.
        if name in ("ndr.catalog.codes._REPLY_AT_START", "ndr.catalog.match._QUANTIFIED", "ndr.catalog.match._ITEM"):
            continue
        for unit in units:
            text = (unit * (6000 // len(unit)))[:6000] + "!"
            subject = text.encode("utf-8") if isinstance(pattern.pattern, bytes) else text
            _, took = timed(pattern.search, subject)
            if took > 0.25:
                slow.append(f"{name} on {unit!r}: {took:.2f} s")
    assert len(patterns) > 50 and not slow, slow


# --- regressions found by tests/test_fuzz.py (our own bytes) ---------------------------------

def test_control_characters_never_reach_a_record() -> None:
    data = dsn("bob@example.net", text="user\x00 unknown\x07 here").replace(
        b"Remote-MTA: dns; mx1.example.net", b"Remote-MTA: dns; mx1.exa\x00mple.net")
    report = ndr.parse(data, catalog=CATALOG)
    (recipient,) = report.recipients
    for value in (recipient.diagnostic_code, recipient.remote_mta, recipient.recipient):
        assert value is None or not re.search(r"[\x00-\x1f\x7f]", value), value


def test_charset_names_that_break_codecs() -> None:
    """A NUL in an encoded word's charset made ``codecs.lookup`` raise ValueError out of parse."""
    report = ndr.parse(b"Subject: =?\x00utf-8?b??=\nFrom: a@example.org\n\nhi\n", catalog=CATALOG)
    assert isinstance(report, ndr.Report)
    for charset in (b"hex", b"rot13", b"idna", b"undefined", b"unicode_escape"):
        data = BOUNCE_HEAD + b"Content-Type: text/plain; charset=" + charset + b"\n\n550 5.1.1 <b@example.net> unknown\n"
        ndr.parse(data, catalog=CATALOG)


def test_punycode_is_no_charset() -> None:
    """Python's punycode decoder is quadratic: a 1 MB part declared in it took an hour."""
    data = BOUNCE_HEAD + b"Content-Type: text/plain; charset=punycode\n\n-" + b"bc" * 500_000
    _, took = timed(lambda: ndr.parse(data, catalog=CATALOG))
    assert took < FAST


def test_control_characters_never_reach_report_fields() -> None:
    data = dsn("bob@example.net").replace(b"Subject: Undelivered", b"Subject: Undel\x00ivered").replace(
        b"Reporting-MTA: dns; mail.example.org", b"Reporting-MTA: dns; mail.exa\x01mple.org")
    report = ndr.parse(data, catalog=CATALOG)
    for value in (report.subject, report.reporting_mta, report.recipients[0].reporting_mta):
        assert value is None or not re.search(r"[\x00-\x1f]", value), value
