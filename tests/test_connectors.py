"""The story of a connector failure (refused, timeout, DNS, TLS, certificate, dropped) as Exchange
Online, Postfix, Exim and Sendmail tell it (tests/connector_samples.py): the destination, the last
real error of the expiry notice, and advice that fits who reported it (issue 10, DECISIONS)."""
from __future__ import annotations

import pytest

import ndr

from .connector_samples import RCPT, Sample, samples

SAMPLES = samples()
BY_NAME = pytest.mark.parametrize("sample", SAMPLES, ids=[s.name for s in SAMPLES])


def _record(sample: Sample, lang: str = "en") -> ndr.RecipientResult:
    report = ndr.parse(sample.data, policy=ndr.Policy(lang=lang))
    assert report.kind is ndr.Kind.BOUNCE, (sample.name, report.kind, report.decoder)
    [record] = report.recipients
    return record


@BY_NAME
def test_detected_with_recipient_and_destination(sample: Sample) -> None:
    record = _record(sample)
    assert record.recipient == RCPT
    assert record.action == "failed"
    assert record.remote_mta == sample.destination
    assert record.reporting_mta != record.remote_mta


@BY_NAME
def test_the_last_real_error_explains_the_expiry(sample: Sample) -> None:
    record = _record(sample)
    assert record.last_error, sample.name
    assert record.last_error_status is not None
    if sample.last_error_status is not None:
        assert record.last_error_status == sample.last_error_status
    assert "expire" not in record.last_error.lower() or "led" in record.last_error.lower()
    assert record.reason == "expired"  # given up after retrying (DECISIONS)
    assert record.summary and record.summary.startswith("Expired after retrying: ")
    assert record.status == ndr.parse(sample.data).recipients[0].status  # the stated status stays


@BY_NAME
def test_advice_fits_who_reported_it(sample: Sample) -> None:
    record = _record(sample)
    assert record.catalog_id is not None
    advice = " ".join(record.causes + record.fixes)
    if sample.microsoft:
        assert record.catalog_id.startswith("exo-")
    else:
        assert not record.catalog_id.startswith("exo-"), record.catalog_id
        assert "Microsoft" not in advice and "connector" not in advice.lower()
    assert record.causes and record.fixes


@pytest.mark.parametrize("sample", [s for s in SAMPLES if s.name.endswith("-refused")],
                         ids=lambda s: s.name)
def test_advice_in_portuguese(sample: Sample) -> None:
    english, portuguese = _record(sample), _record(sample, "pt-BR")
    assert portuguese.catalog_id == english.catalog_id
    assert portuguese.causes and portuguese.causes != english.causes
    assert portuguese.summary and portuguese.summary.startswith("Expirou após novas tentativas: ")


def test_a_delay_notice_for_a_timeout_is_a_network_error() -> None:
    # one rule for "connection timed out": networkerror while the queue still tries
    from .connector_samples import postfix
    data = postfix("timeout").replace(b"Action: failed", b"Action: delayed")
    [record] = ndr.parse(data).recipients
    assert (record.action, record.reason, record.last_error) == ("delayed", "networkerror", None)
    assert record.remote_mta == "mail.contoso.test"


def test_an_exchange_delay_notice_is_explained_by_its_led() -> None:
    # "400 4.4.7 Message delayed [{LED=450 4.4.316 …}]": still retrying, so not expired; the
    # LED's connector condition is the story, with Microsoft's advice (Exchange reported it)
    from .connector_samples import exchange_with_dsn
    data = (exchange_with_dsn("refused").replace(b"Action: failed", b"Action: delayed")
            .replace(b"550 4.4.7 QUEUE.Expired; message expired", b"400 4.4.7 Message delayed"))
    [record] = ndr.parse(data).recipients
    assert (record.action, record.status, record.reason) == ("delayed", "4.4.7", "networkerror")
    assert (record.catalog_id, record.last_error_status) == ("exo-4.4.316", "4.4.316")
    assert record.remote_mta == "mail.contoso.test" and not record.hard
