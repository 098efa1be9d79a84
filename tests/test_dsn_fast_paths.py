"""The RFC 3464 path's fast forms give what the plain forms they replace give (fourth speed pass).

Each property builds texts from the pieces that decide the question (the catalog's ``ends``
phrases and their cores, returned header lines, rules, codes, blanks, characters that strip or
lowercase unlike ASCII) and compares the fast form with the plain one it replaced.
"""
from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

import ndr
from ndr.catalog import codes
from ndr.catalog.search import literal_search
from ndr.reading.decoders import textscan

CATALOG = ndr.load_catalog()
LAYOUT = CATALOG.notices
assert LAYOUT is not None
ENDS = [phrase for _, phrases in LAYOUT.end_groups for phrase, _ in phrases]


def _human_text_plain(text: str, lower: str) -> tuple[str, str]:
    """``textscan.human_text`` as it was: every phrase, then the header in what is left."""
    end = len(lower)
    for phrase in LAYOUT.ends:
        found = lower.find(phrase, 0, end)
        if found >= 0:
            end = lower.rfind("\n", 0, found) + 1
    match = literal_search(LAYOUT.headers_end, lower[:end]) if LAYOUT.headers_end is not None else None
    if match:
        end = match.start()
    return text[:end], lower[:end]


class _Mail:
    def __init__(self, text: str) -> None:
        self.body_folded, self.body_lower = text, text.lower()


END_PIECES = [*LAYOUT.ends, "original message", "Original Message", "message text follows", "copy of the message",
              "\n", "\n\n", " ", "x", "Received: from a", "Return-Path: <a@b>", "received:", "Message-ID: <a>",
              "----- ", "-----", ": ", "\u0130", "é"]
end_texts = st.lists(st.sampled_from(END_PIECES), max_size=14).map("".join)


@given(end_texts)
@settings(max_examples=400, deadline=None)
def test_the_human_text_ends_where_the_plain_search_ends_it(text: str) -> None:
    mail = _Mail(text)
    assert textscan.human_text(mail, LAYOUT) == _human_text_plain(mail.body_folded, mail.body_lower)  # type: ignore[arg-type]


def test_every_ends_phrase_is_filed_with_its_core() -> None:
    assert sorted(ENDS) == sorted(LAYOUT.ends)
    for core, phrases in LAYOUT.end_groups:
        for phrase, offset in phrases:
            assert phrase[offset:offset + len(core)] == core
    text = "Intro\n\nbla ----- Original message -----\nReceived: from x\n"
    assert textscan.human_text(_Mail(text), LAYOUT)[0] == "Intro\n\n"  # type: ignore[arg-type]


def _summary_plain(text: str) -> str | None:
    kept: list[str] = []
    size = 0
    for line in text.split("\n"):
        if not textscan._WORD.search(line) or textscan._SEPARATOR.match(line):
            continue
        kept.append(line.strip())
        size += len(kept[-1]) + 1
        if size > textscan.SUMMARY_LIMIT:
            break
    words = " ".join(kept)
    if len(words) > textscan.SUMMARY_LIMIT:
        words = words[:textscan.SUMMARY_LIMIT].rsplit(" ", 1)[0]
    return words or None


SUMMARY_PIECES = ["a", "Bc d", " ", "  ", "\n", "\n\n", "-----", " -----", "=====", "___", "_x", "|", "*",
                  "----- a -----", "\t", "\xa0", "\x1c", "\u2028", "é", "5.1.1", "x" * 300]
summary_texts = st.lists(st.sampled_from(SUMMARY_PIECES), max_size=40).map("".join)


@given(summary_texts)
@settings(max_examples=400, deadline=None)
def test_the_summary_is_the_plain_summary(text: str) -> None:
    assert textscan.summary(text) == _summary_plain(text)


def _code_line_plain(text: str) -> str | None:
    for line in text.split("\n"):
        if codes.find_status(line) or codes.reply_line(line.strip()):
            return line.strip()
    return None


CODE_PIECES = ["550", "5.1.1", "4.4.7", "2.0.0", "250", "421", "said:", "<<<", " ", "\n", "x", "1", ".",
               "(", "'", "-", ":", "out:", "returned was:", "v2.4.6"]
code_texts = st.lists(st.sampled_from(CODE_PIECES), max_size=16).map("".join)


@given(code_texts)
@settings(max_examples=400, deadline=None)
def test_the_code_line_is_the_first_line_the_plain_loop_finds(text: str) -> None:
    assert codes.code_line(text) == _code_line_plain(text)


VENDORS = sorted({entry.vendor for entry in CATALOG.codes if entry.vendor})
STATUSES = sorted({*CATALOG.exact, *(f"{c}.{s}" for c in "45" for s in CATALOG.by_subject), "5.7.950", "4.4.316",
                   "5.1.0", "5.9.9", "2.0.0"})


def test_a_detailed_status_has_only_detailed_entries_whichever_vendors_matched() -> None:
    from ndr.catalog.entries import names_detail

    assert any(CATALOG.detailed(status) for status in STATUSES)
    assert not all(CATALOG.detailed(status) for status in STATUSES)
    for status in STATUSES:
        if CATALOG.detailed(status):
            for vendors in (frozenset(), *(frozenset({v}) for v in VENDORS), frozenset(VENDORS)):
                assert names_detail(CATALOG.code_entry(status, vendors)), (status, vendors)


NOTICES = ["The email account that you tried to reach does not exist", "mailbox is full", "Address not found",
           "user unknown", "", "message rejected as spam"]


@given(st.sampled_from(STATUSES), st.sampled_from(["", "550 sorry", "550 5.1.0 Address rejected", "host said: no"]),
       st.sampled_from(NOTICES), st.sampled_from([None, "mx.google.com", "mail.protection.outlook.com"]))
@settings(max_examples=300, deadline=None)
def test_the_notice_of_a_detailed_status_is_never_read(status: str, text: str, notice: str,
                                                       remote: str | None) -> None:
    from ndr.reading.classify import classify

    if CATALOG.detailed(status):
        read = classify(CATALOG, status=status, reply=None, text=text, action="failed", remote_mta=remote,
                        recipient="a@example.org", notice=notice)
        assert read == classify(CATALOG, status=status, reply=None, text=text, action="failed",
                                remote_mta=remote, recipient="a@example.org")


GIVEN_UP_PIECES = [*LAYOUT.given_up, "queue", "message", "long", "expired", " ", "x", "retry", "for"]


@given(st.lists(st.sampled_from(GIVEN_UP_PIECES), max_size=6).map(" ".join))
@settings(max_examples=300, deadline=None)
def test_given_up_wording_is_found_under_its_sentinels(text: str) -> None:
    from ndr.reading.decoders.lasterror import gives_up

    assert gives_up(LAYOUT, text) == any(phrase in text for phrase in LAYOUT.given_up)
    for name in ("given_up", "delayed", "lookalikes", "temporary", "permanent"):
        groups = LAYOUT.phrase_groups[name]
        assert sorted(p for _, phrases in groups for p in phrases) == sorted(set(getattr(LAYOUT, name)))
        assert all(sentinel in phrase for sentinel, phrases in groups for phrase in phrases)


def test_a_pickled_catalog_carries_its_notices_search_plans() -> None:
    """The compiled catalog's pickle (the disk cache) holds the notices section with its search
    plans: an unpickled one searches with them (first_search and literal_search build none)."""
    import pickle

    from ndr.catalog import search

    fresh = ndr.catalog.build(ndr.catalog.read_yaml(ndr.catalog.shipped_catalog_path()))
    copy = pickle.loads(pickle.dumps(fresh, protocol=pickle.HIGHEST_PROTOCOL))
    lay = copy.notices
    assert lay is not None and lay.planned is not None and fresh.notices is not None
    built: list[object] = []
    original = search._entry
    search._entry = lambda pattern: built.append(pattern) or original(pattern)  # type: ignore[assignment]
    try:
        text = "This is the mail system at host mx.example.org.\n\n<a@b.example>: host x[1.2.3.4] said: 550 no\n"
        for name in ("recipients", "remote_mta", "reporting_mta", "destination", "last_error", "reply"):
            ours, theirs = getattr(lay, name), getattr(fresh.notices, name)
            found, expected = search.first_search(ours, text), search.first_search(theirs, text)
            assert (found and found.span()) == (expected and expected.span()), name
            for pattern in ours:
                match = search.literal_search(pattern, text)
                assert (match and match.span()) == ((m := pattern.search(text)) and m.span())
        assert lay.headers_end is not None
        assert search.literal_search(lay.headers_end, "x\nreceived: from a\n") is not None
    finally:
        search._entry = original  # type: ignore[assignment]
    assert built == []


def test_a_gate_drops_group_names_only_where_a_group_opens() -> None:
    from ndr.catalog.search import _uncaptured

    assert _uncaptured(r"^ ?<(?P<address>[^>]+)>") == r"^ ?<(?:[^>]+)>"
    assert _uncaptured(r"^\(?P<x>") == r"^\(?P<x>"  # an escaped parenthesis opens no group
    assert _uncaptured(r"^[(?P<x>]a(?P<y>b)") == r"^[(?P<x>]a(?:b)"  # nor one inside a class


LINE_PIECES = ["<x@example.org>", "x@example.org", "mailto:", '"', " ", ": ", "RCPT TO:", ">>> ", "Final ",
               "Recipient address: ", "550 ", "unknown user: ", "* ", "• ", "delivery failed: ", "Original-",
               "user not found: ", "Intended recipient: ", "could not be delivered to: ", "a", "(", "@", ">"]
lines = st.lists(st.sampled_from(LINE_PIECES), min_size=1, max_size=8).map("".join)


@given(lines)
@settings(max_examples=500, deadline=None)
def test_the_recipient_shapes_behind_their_gate_match_as_each_alone(line: str) -> None:
    from ndr.catalog.search import first_search

    expected = next((m for m in (p.search(line) for p in LAYOUT.recipients) if m is not None), None)
    found = first_search(LAYOUT.recipients, line)
    assert (found and (found.span(), found.re.pattern)) == (expected and (expected.span(), expected.re.pattern))


ERROR_PIECES = ["LED=", "{", "}", "550 5.1.1 no", "delivery temporarily suspended: ", "retry timeout exceeded",
                "Deferred: ", "Remote server returned '", "reported error: ", "unable to deliver in 5 minutes",
                "<x>", "queue.expired; message expired", " returned '", "\n", " ", "x", "\u0130"]


@given(st.lists(st.sampled_from(ERROR_PIECES), max_size=8).map("".join))
@settings(max_examples=300, deadline=None)
def test_the_last_error_shapes_a_text_may_hold_are_all_that_match(text: str) -> None:
    from ndr.catalog.match import aligned_lower
    from ndr.catalog.search import holding, literal_search

    lower = aligned_lower(text)
    if lower is not None:
        found = [p.pattern for p in holding(LAYOUT.last_error, lower) if literal_search(p, text, lower)]
        assert found == [p.pattern for p in LAYOUT.last_error if p.search(text)]


RECEIVED_PIECES = ["by ", "BY ", "By", "bY\t", "from a ", "mx.example.org", "[192.0.2.1]", "(x)", "\n ", "ſ",
                   "\u212a", "\u0130", "abby ", "-by ", ";", " with esmtp", "by\n [::1]"]


@given(st.lists(st.sampled_from(RECEIVED_PIECES), max_size=10).map("".join))
@settings(max_examples=400, deadline=None)
def test_the_received_by_host_is_found_as_the_plain_search_finds_it(value: str) -> None:
    found, expected = textscan._received_by(value), textscan._RECEIVED_BY.search(value)
    assert (found and (found.span(), found.group(1))) == (expected and (expected.span(), expected.group(1)))
