"""ndr.webhooks without HTTP: each provider's events classified to the right reasons through the
catalog's ``webhooks`` entries and ndr's own classification of the diagnostic text, the record
ids, the catalog validation of the section, and each provider's signature check."""
from __future__ import annotations

import json
import time

import pytest

pytest.importorskip("cryptography")

import ndr
import ndr.webhooks
from ndr.errors import CatalogError
from ndr.webhooks import PayloadError
from ndr.webhooks.verify import (SignatureError, SnsCertificates, check_sns_cert_url, verify_basic,
                                 verify_mailgun, verify_sendgrid, verify_sns)

from .conftest import EXAMPLES
from . import webhook_payloads as P


@pytest.fixture(scope="module")
def keys() -> P.Keys:
    return P.make_keys()


def one(provider: str, payload: object) -> ndr.RecipientResult:
    found = ndr.webhooks.parse(provider, payload)
    assert len(found) == 1
    return found[0]


def test_ses_noemail_is_decided_by_the_provider():
    result = one("ses", P.ses_bounce("Permanent", "NoEmail", [{"emailAddress": "bob@example.net"}]))
    assert (result.reason, result.hard, result.status, result.status_source) == ("userunknown", True, "5.1.1", "inferred")
    assert result.rule == "webhook:ses-permanent-noemail"
    assert result.fixes, "the reason's advice comes with it"


def test_ses_general_bounce_is_read_from_the_diagnostic_text():
    result = one("ses", P.ses_bounce("Permanent", "General", [{
        "emailAddress": "bob@example.net", "action": "failed", "status": "5.2.2",
        "diagnosticCode": "smtp; 552 5.2.2 Mailbox full: quota exceeded"}]))
    assert (result.reason, result.status, result.reply_code, result.diagnostic_type) == (
        "mailboxfull", "5.2.2", "552", "smtp")
    assert not result.rule.startswith("webhook:")
    assert result.reporting_mta == "a8-70.smtp-out.eu-west-1.amazonses.com"


def test_ses_general_bounce_that_says_nothing_known_falls_back_to_the_catalog_entry():
    result = one("ses", P.ses_bounce("Permanent", "General", [{
        "emailAddress": "bob@example.net", "diagnosticCode": "smtp; 550 go away"}]))
    assert (result.reason, result.rule) == ("onhold", "webhook:ses-permanent")


def test_ses_complaint_and_delay():
    complaint = ndr.webhooks.reports("ses", P.ses_complaint("bob@example.net"))[0]
    assert complaint.kind is ndr.Kind.FEEDBACK
    assert (complaint.recipients[0].reason, complaint.recipients[0].feedback_type) == ("feedback", "abuse")
    assert complaint.recipients[0].action is None and not complaint.recipients[0].hard
    delay = one("ses", P.ses_delay("bob@example.net", "MailboxFull", "smtp; 452 4.2.2 over quota"))
    assert (delay.action, delay.reason, delay.hard, delay.status) == ("delayed", "mailboxfull", False, "4.2.2")


def test_ses_inside_an_sns_envelope_and_subscription_messages(keys):
    message = P.ses_bounce("Permanent", "NoEmail", [{"emailAddress": "bob@example.net"}])
    assert one("ses", P.sns_envelope(keys, message)).reason == "userunknown"
    assert ndr.webhooks.parse("ses", P.sns_envelope(keys, kind="SubscriptionConfirmation")) == []


def test_same_failure_by_mail_and_by_webhook_has_one_record_id():
    mail = ndr.parse((EXAMPLES / "postfix-user-unknown.eml").read_bytes()).recipients[0]
    hook = one("ses", P.ses_bounce("Permanent", "General", [{
        "emailAddress": "bob@example.net", "action": "failed", "status": "5.1.1",
        "diagnosticCode": "smtp; 550 5.1.1 <bob@example.net>: User unknown"}]))
    assert hook.record_id == mail.record_id
    other = one("ses", P.ses_bounce("Permanent", "General", [{"emailAddress": "carol@example.net"}]))
    assert other.record_id != mail.record_id


def test_sendgrid_batch():
    found = {r.recipient: r for r in ndr.webhooks.parse("sendgrid", P.sendgrid_batch())}
    assert set(found) == {"gone@example.com", "listed@example.com", "before@example.com",
                          "slow@example.com", "angry@example.com"}, "delivered and open give nothing"
    assert (found["gone@example.com"].reason, found["gone@example.com"].hard) == ("userunknown", True)
    assert found["listed@example.com"].reason == "badreputation"
    assert found["listed@example.com"].rule == "webhook:sendgrid-blocked-reputation"
    assert (found["before@example.com"].reason, found["before@example.com"].rule) == (
        "suppressed", "webhook:sendgrid-dropped")
    assert (found["slow@example.com"].action, found["slow@example.com"].status) == ("delayed", "4.7.0")
    assert found["angry@example.com"].reason == "feedback"


def test_mailgun_events():
    permanent = one("mailgun", P.mailgun_event("bob@example.net"))
    assert (permanent.reason, permanent.status, permanent.reply_code, permanent.remote_mta) == (
        "userunknown", "5.1.1", "550", "mx1.example.net")
    suppressed = one("mailgun", P.mailgun_event("old@example.net", reason="suppress-bounce",
                                                code=605, message="Not delivering to previously bounced address"))
    assert (suppressed.reason, suppressed.rule) == ("suppressed", "webhook:mailgun-suppress-bounce")
    temporary = one("mailgun", P.mailgun_event("slow@example.net", severity="temporary", reason="generic",
                                               code=452, message="4.2.2 The email account is over quota"))
    assert (temporary.action, temporary.reason, temporary.hard) == ("delayed", "mailboxfull", False)
    complained = one("mailgun", P.mailgun_event("angry@example.net", event="complained"))
    assert complained.reason == "feedback"
    assert ndr.webhooks.parse("mailgun", P.mailgun_event("ok@example.net", event="delivered")) == []


def test_postmark_events():
    hard = one("postmark", P.postmark_bounce("bob@example.net"))
    assert (hard.reason, hard.rule, hard.hard) == ("userunknown", "webhook:postmark-hardbounce", True)
    assert hard.diagnostic_code is None, "Postmark's fixed Description is not the failure's text"
    dns = one("postmark", P.postmark_bounce("x@nowhere.invalid", "DnsError",
                                            "smtp;550 5.4.4 Host or domain name not found"))
    assert dns.reason == "hostunknown"
    transient = one("postmark", P.postmark_bounce("slow@example.net", "Transient"))
    assert (transient.action, transient.status) == ("delayed", "4.4.1")
    assert one("postmark", P.postmark_complaint("angry@example.net")).reason == "feedback"


@pytest.mark.parametrize("provider, payload", [
    ("ses", {"Type": "Notification", "Message": "not json"}),
    ("ses", {"hello": "world"}),
    ("sendgrid", [{"email": "x@example.com"}]),
    ("mailgun", ["not", "an", "object"]),
    ("postmark", {"Email": "x@example.com"}),
    ("postmark", b"{not json"),
])
def test_payloads_of_the_wrong_shape_are_payload_errors(provider, payload):
    with pytest.raises(PayloadError):
        ndr.webhooks.parse(provider, payload)


def test_unknown_provider():
    with pytest.raises(ValueError, match="unknown provider"):
        ndr.webhooks.parse("carrier-pigeon", {})


def test_catalog_validates_the_webhooks_section(tmp_path):
    user = tmp_path / "user.yaml"
    user.write_text("""
webhooks:
  - id: mine
    provider: ses
    event: Bounce/Permanent
    reason: nosuchreason
    action: bounced
    status: 9.9
    source: me
  - id: pigeon
    provider: carrier-pigeon
    event: bounce
    reason: userunknown
  - id: again
    provider: ses
    event: bounce/permanent/noemail
    reason: userunknown
    source: me
""", encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        ndr.load_catalog(user)
    text = str(caught.value)
    for expected in ("lowercase key", "unknown reason 'nosuchreason'", "action must be one of",
                     "malformed status", "provider must be one of", "missing source",
                     "already mapped by 'ses-permanent-noemail'"):
        assert expected in text
    assert "line " in text and "webhooks[" in text


def test_user_catalog_can_override_a_provider_mapping(tmp_path):
    user = tmp_path / "user.yaml"
    user.write_text("webhooks:\n  - {id: ses-permanent, provider: ses, event: bounce/permanent, "
                    "reason: rejected, action: failed, source: house rule}\n", encoding="utf-8")
    catalog = ndr.load_catalog(user)
    result = ndr.webhooks.parse("ses", P.ses_bounce("Permanent", "General", [{"emailAddress": "b@example.net"}]),
                                catalog=catalog)[0]
    assert result.reason == "rejected"


# --- signatures --------------------------------------------------------------------------------

@pytest.mark.parametrize("version", ["1", "2"])
def test_sns_signatures(keys, version):
    certificates = SnsCertificates(keys.sns_cert_pem)
    envelope = P.sns_envelope(keys, P.ses_complaint("bob@example.net"), version=version)
    verify_sns(envelope, certificates)
    verify_sns(P.sns_envelope(keys, kind="SubscriptionConfirmation", version=version), certificates)
    tampered = dict(envelope, Message=envelope["Message"].replace("bob@", "eve@"))
    with pytest.raises(SignatureError, match="does not match"):
        verify_sns(tampered, certificates)
    with pytest.raises(SignatureError, match="SignatureVersion"):
        verify_sns(dict(envelope, SignatureVersion="3"), certificates)


@pytest.mark.parametrize("url", [
    "http://sns.eu-west-1.amazonaws.com/cert.pem",
    "https://sns.eu-west-1.amazonaws.com.evil.example/cert.pem",
    "https://evil.example/sns.eu-west-1.amazonaws.com/cert.pem",
    "https://sns.eu-west-1.amazonaws.com:8443/cert.pem",
    "https://sns.eu-west-1.amazonaws.com/cert.txt",
    None,
])
def test_sns_certificate_url_must_be_an_sns_host(url):
    with pytest.raises(SignatureError):
        check_sns_cert_url(url)


def test_sns_certificate_url_hosts_that_pass():
    for url in (P.CERT_URL, "https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-x.pem"):
        assert check_sns_cert_url(url) == url


def test_sendgrid_signature(keys):
    body = json.dumps(P.sendgrid_batch()).encode()
    headers = P.sendgrid_headers(keys, body)
    sig, stamp = headers["X-Twilio-Email-Event-Webhook-Signature"], headers["X-Twilio-Email-Event-Webhook-Timestamp"]
    verify_sendgrid(body, sig, stamp, keys.sendgrid_public_b64, max_age=600)
    with pytest.raises(SignatureError, match="does not match"):
        verify_sendgrid(body.replace(b"gone@", b"gona@"), sig, stamp, keys.sendgrid_public_b64, max_age=600)
    with pytest.raises(SignatureError, match="missing"):
        verify_sendgrid(body, None, stamp, keys.sendgrid_public_b64, max_age=600)
    old = P.sendgrid_headers(keys, body, timestamp=str(int(time.time()) - 3600))
    with pytest.raises(SignatureError, match="away from now"):
        verify_sendgrid(body, old["X-Twilio-Email-Event-Webhook-Signature"],
                        old["X-Twilio-Email-Event-Webhook-Timestamp"], keys.sendgrid_public_b64, max_age=600)


def test_mailgun_signature(keys):
    payload = P.mailgun_sign(keys, P.mailgun_event("bob@example.net"))
    verify_mailgun(payload, keys.mailgun_key.encode(), max_age=600)
    with pytest.raises(SignatureError, match="does not match"):
        verify_mailgun(payload, b"another-key", max_age=600)
    forged = dict(payload, signature=dict(payload["signature"], token="another-token"))
    with pytest.raises(SignatureError, match="does not match"):
        verify_mailgun(forged, keys.mailgun_key.encode(), max_age=600)
    with pytest.raises(SignatureError, match="no 'signature'"):
        verify_mailgun(P.mailgun_event("bob@example.net"), keys.mailgun_key.encode(), max_age=600)


def test_postmark_basic_credentials(keys):
    verify_basic(P.basic(keys.postmark_auth), keys.postmark_auth)
    for given in (None, P.basic("ndr-hook:wrong"), "Bearer x", "Basic !!!"):
        with pytest.raises(SignatureError):
            verify_basic(given, keys.postmark_auth)
