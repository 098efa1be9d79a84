"""Issue 10's rules outside the connector samples: who reported a failure, scoped advice, the
X.0.0 rule, the catalog checks of the new fields, the last-error reader."""
from __future__ import annotations

import copy

import pytest

import ndr
from ndr.catalog import load_catalog, read_yaml, shipped_catalog_path, validate
from ndr.reading import platform
from ndr.reading.classify import classify
from ndr.reading.decoders.base import Mail, RawRecipient
from ndr.reading.decoders.lasterror import find
from ndr.reading.mime import parse as mime_parse

CATALOG = load_catalog()
LAYOUT = CATALOG.notices


def _mail(text: str) -> Mail:
    return Mail(mime_parse(text.encode()), CATALOG)


@pytest.mark.parametrize("message, reporting, microsoft", [
    ("From: MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@contoso.test\n\nx\n", None, True),
    ("From: postmaster@contoso.test\nX-MS-Exchange-Message-Is-Ndr:\n\nx\n", None, True),
    ("From: postmaster@contoso.test\n\nDiagnostic information for administrators:\n", None, True),
    ("From: postmaster@contoso.test\n\nDiagnoseinformationen für Administratoren:\n", None, True),
    ("From: postmaster@contoso.test\n\nx\n", "BN8PR00MB0000.namprd00.prod.outlook.com", True),
    ("From: MAILER-DAEMON@relay.example.net\n\nThis is the mail system at host relay.example.net.\n",
     "relay.example.net", False),
])
def test_who_reported_the_failure(message: str, reporting: str | None, microsoft: bool) -> None:
    assert ("microsoft" in platform.reporters(_mail(message), reporting)) is microsoft
    assert ("microsoft" in platform.Reporters(_mail(message), reporting)) is microsoft


def test_vendor_advice_only_for_the_vendor_that_reported() -> None:
    text = "450 4.4.318 Connection was closed abruptly"
    exchange = classify(CATALOG, status="4.4.318", reply="450", text=text, reporters=frozenset({"microsoft"}))
    anyone = classify(CATALOG, status="4.4.318", reply="450", text=text)
    assert exchange.entry is not None and exchange.entry.id == "exo-4.4.318"
    assert anyone.entry is not None and anyone.entry.id == "net-dropped"
    assert exchange.reason == anyone.reason == "networkerror"
    portuguese = classify(CATALOG, status="4.4.318", reply="450", text=text, lang="pt-BR")
    assert portuguese.causes and portuguese.causes != anyone.causes


def test_a_class_only_code_gives_way_to_the_reason() -> None:
    verdict = classify(CATALOG, status="5.0.0", reply="550", text="550 5.0.0 mailbox is full")
    assert verdict.reason == "mailboxfull"
    assert verdict.entry is None or verdict.entry.status != "X.0.0"
    assert verdict.summary == CATALOG.reason("mailboxfull").summary.get("en")
    unknown = classify(CATALOG, status="5.0.0", reply=None, text=None)
    assert unknown.entry is not None and unknown.entry.id == "iana-x.0.0"  # nothing better to say


def test_every_general_counterpart_is_bilingual_and_has_an_rfc_code() -> None:
    for entry in CATALOG.codes:
        if entry.general is None:
            continue
        general = CATALOG.entry(entry.general)
        assert general is not None and general.vendor is None
        if general.id.startswith("net-"):
            assert general.rfc_status and general.rfc_status[0] == "4"
            for lang in ("en", "pt-BR"):
                assert general.title.values.get(lang) and general.causes.values.get(lang)
                assert general.fixes.values.get(lang)
                assert not any("Microsoft" in line for line in general.causes.get(lang) + general.fixes.get(lang))


def test_catalog_check_refuses_a_general_that_is_not_a_plain_entry() -> None:
    data = read_yaml(str(shipped_catalog_path()))
    broken = copy.deepcopy(data)
    for item in broken["codes"]:
        if item.get("id") == "exo-4.4.316":
            item["general"] = "exo-4.4.315"  # a vendor entry
        if item.get("id") == "net-refused":
            item["rfc_status"] = "4.4"
    problems = validate(broken)
    assert any("general must name a code entry without a vendor" in p for p in problems)
    assert any("net-refused" in p for p in problems)
    assert not validate(data)


@pytest.mark.parametrize("action, status, diagnostic, want", [
    ("failed", "4.4.7", "550 4.4.7 QUEUE.Expired; message expired [{LED=450 4.4.316 Connection refused};"
                        "{FQDN=mx.example.com}]", ("4.4.316", "450 4.4.316 Connection refused")),
    ("failed", "4.4.1", "delivery temporarily suspended: connect to mx.example.com[192.0.2.1]:25: "
                        "Connection refused", (None, "connect to mx.example.com[192.0.2.1]:25: Connection refused")),
    ("failed", "4.4.1", "connect to mx.example.com[192.0.2.1]:25: Connection timed out",
     ("4.4.1", "connect to mx.example.com[192.0.2.1]:25: Connection timed out")),
    ("failed", "5.0.0", "host mx.example.com [192.0.2.1]: Connection refused retry timeout exceeded",
     (None, "host mx.example.com [192.0.2.1]: Connection refused")),
    ("failed", "4.4.7", "... Deferred: Connection refused by mx.example.com. Message could not be delivered "
                        "for 5 days", (None, "Connection refused by mx.example.com.")),
    ("failed", "5.0.0", "retry timeout exceeded", None),  # the cause is hidden: nothing to add
    ("failed", "5.1.1", "550 5.1.1 user unknown", None),  # not an expiry notice
    ("delayed", "4.4.1", "connect to mx.example.com[192.0.2.1]:25: Connection refused", None),
    ("failed", "4.4.7", "550 4.4.7 QUEUE.Expired; message expired", None),  # only the queue's words
])
def test_the_last_real_error(action: str, status: str, diagnostic: str,
                             want: tuple[str | None, str] | None) -> None:
    assert LAYOUT is not None
    raw = RawRecipient(recipient="bob@example.com", action=action, status=status, diagnostic=diagnostic)
    assert find(LAYOUT, raw, lambda: None) == want


def test_a_hidden_cause_is_expired_without_a_destination() -> None:
    # DECISIONS "The lab": Exim's "retry timeout exceeded" alone is right with remote_mta null
    data = (b"From: Mail Delivery System <Mailer-Daemon@relay.example.net>\nTo: a@example.org\n"
            b"Subject: Mail delivery failed: returning message to sender\n\n"
            b"This message was created automatically by mail delivery software.\n\n"
            b"A message that you sent could not be delivered to one or more of its\n"
            b"recipients. This is a permanent error. The following address(es) failed:\n\n"
            b"  bob@example.com\n    retry timeout exceeded\n")
    [record] = ndr.parse(data).recipients
    assert (record.reason, record.remote_mta, record.last_error) == ("expired", None, None)
