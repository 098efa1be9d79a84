"""Provider webhook payloads for the tests, written by us from each provider's published
documentation (field names and shapes as documented; values invented), and the signing side of
each provider's proof, with keys made at test time (no private key is committed).

The SNS string to sign is spelled out here again from the SNS Developer Guide ("Verifying the
signatures of Amazon SNS messages") rather than taken from ndr, so a mistake in ndr's version
fails the tests instead of agreeing with itself.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID

CERT_URL = "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0000000000000000000000.pem"
TOPIC = "arn:aws:sns:eu-west-1:111122223333:ses-bounces"
MESSAGE_ID = "<q3-figures-7731@example.org>"  # the original of examples/postfix-user-unknown.eml


@dataclass
class Keys:
    """Test keys: an SNS signing certificate, a SendGrid key pair, Mailgun and Postmark secrets."""

    sns_key: rsa.RSAPrivateKey
    sns_cert_pem: bytes
    sendgrid_key: ec.EllipticCurvePrivateKey
    sendgrid_public_b64: str
    mailgun_key: str = "key-test-9f8e7d6c5b4a"
    postmark_auth: str = "ndr-hook:s3cret-Pa55"


def make_keys() -> Keys:
    sns_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(sns_key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
            .sign(sns_key, hashes.SHA256()))
    sendgrid = ec.generate_private_key(ec.SECP256R1())
    public = sendgrid.public_key().public_bytes(serialization.Encoding.DER,
                                                serialization.PublicFormat.SubjectPublicKeyInfo)
    return Keys(sns_key=sns_key, sns_cert_pem=cert.public_bytes(serialization.Encoding.PEM),
                sendgrid_key=sendgrid, sendgrid_public_b64=base64.b64encode(public).decode())


# --- Amazon SES through SNS ------------------------------------------------------------------

def ses_mail(message_id: str | None = MESSAGE_ID) -> dict[str, Any]:
    headers: dict[str, Any] = {"from": ["Alice <alice@example.org>"], "to": ["bob@example.net"],
                               "subject": "Q3 figures"}
    if message_id:
        headers["messageId"] = message_id
    return {"timestamp": "2026-11-10T09:13:58.000Z", "source": "alice@example.org",
            "messageId": "0102018f3c2d1e4f-5a6b7c8d-1111-2222-3333-444455556666-000000",
            "destination": ["bob@example.net"], "commonHeaders": headers}


def ses_bounce(kind: str, subkind: str, recipients: list[dict[str, Any]], **mail: Any) -> dict[str, Any]:
    return {"notificationType": "Bounce", "mail": ses_mail(**mail), "bounce": {
        "bounceType": kind, "bounceSubType": subkind, "bouncedRecipients": recipients,
        "timestamp": "2026-11-10T09:14:01.000Z", "feedbackId": "0102018f-feedback-0001",
        "reportingMTA": "dsn; a8-70.smtp-out.eu-west-1.amazonses.com", "remoteMtaIp": "192.0.2.25"}}


def ses_complaint(address: str) -> dict[str, Any]:
    return {"notificationType": "Complaint", "mail": ses_mail(), "complaint": {
        "complainedRecipients": [{"emailAddress": address}], "timestamp": "2026-11-10T10:00:00.000Z",
        "feedbackId": "0102018f-feedback-0002", "complaintFeedbackType": "abuse",
        "userAgent": "ExampleMail/1.0"}}


def ses_delay(address: str, delay_type: str, diagnostic: str) -> dict[str, Any]:
    return {"eventType": "DeliveryDelay", "mail": ses_mail(), "deliveryDelay": {
        "timestamp": "2026-11-10T09:30:00.000Z", "delayType": delay_type,
        "expirationTime": "2026-11-11T09:13:58.000Z", "reportingMTA": "a8-70.smtp-out.amazonses.com",
        "delayedRecipients": [{"emailAddress": address, "status": "4.2.2",
                               "diagnosticCode": diagnostic}]}}


def sns_string_to_sign(envelope: dict[str, Any]) -> bytes:
    if envelope["Type"] == "Notification":
        names = ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"]
    else:
        names = ["Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"]
    return "".join(f"{n}\n{envelope[n]}\n" for n in names if n in envelope).encode()


def sns_envelope(keys: Keys, message: dict[str, Any] | None = None, version: str = "1",
                 kind: str = "Notification", cert_url: str = CERT_URL) -> dict[str, Any]:
    envelope: dict[str, Any] = {
        "Type": kind, "MessageId": "22b80b92-fdea-4c2c-8f9d-bdfb0c7bf324", "TopicArn": TOPIC,
        "Message": json.dumps(message) if message is not None else "You have chosen to subscribe.",
        "Timestamp": "2026-11-10T09:14:02.123Z", "SignatureVersion": version,
        "SigningCertURL": cert_url,
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x"}
    if kind == "SubscriptionConfirmation":
        envelope["Token"] = "2336412f37fb687f5d51e6e2425c464de"
        envelope["SubscribeURL"] = ("https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription"
                                    f"&TopicArn={TOPIC}&Token=2336412f37fb687f5d51e6e2425c464de")
    digest = hashes.SHA1() if version == "1" else hashes.SHA256()
    signature = keys.sns_key.sign(sns_string_to_sign(envelope), padding.PKCS1v15(), digest)
    envelope["Signature"] = base64.b64encode(signature).decode()
    return envelope


# --- SendGrid ----------------------------------------------------------------------------------

def sendgrid_batch() -> list[dict[str, Any]]:
    base = {"timestamp": 1762766041, "smtp-id": "<sg-7731@example.org>",
            "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0"}
    return [
        {**base, "email": "gone@example.com", "event": "bounce", "type": "bounce",
         "bounce_classification": "Invalid Address", "reason": "550 5.1.1 The email account that "
         "you tried to reach does not exist.", "status": "5.1.1", "sg_event_id": "e1"},
        {**base, "email": "listed@example.com", "event": "bounce", "type": "blocked",
         "bounce_classification": "Reputation", "reason": "554 Service unavailable",
         "status": "5.0.0", "sg_event_id": "e2"},
        {**base, "email": "before@example.com", "event": "dropped", "reason": "Bounced Address",
         "status": "5.0.0", "sg_event_id": "e3"},
        {**base, "email": "slow@example.com", "event": "deferred",
         "response": "421 4.7.0 Try again later, closing connection.", "attempt": "3", "sg_event_id": "e4"},
        {**base, "email": "angry@example.com", "event": "spamreport", "sg_event_id": "e5"},
        {**base, "email": "fine@example.com", "event": "delivered", "response": "250 OK", "sg_event_id": "e6"},
        {**base, "email": "fine@example.com", "event": "open", "sg_event_id": "e7"},
    ]


def sendgrid_headers(keys: Keys, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    stamp = timestamp or str(int(time.time()))
    signature = keys.sendgrid_key.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))
    return {"X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": stamp, "Content-Type": "application/json"}


# --- Mailgun -----------------------------------------------------------------------------------

def mailgun_event(address: str, event: str = "failed", severity: str | None = "permanent",
                  reason: str | None = "bounce", code: int | None = 550,
                  message: str = "5.1.1 The email account that you tried to reach does not exist.",
                  message_id: str = "20261110091358.1.A1B2C3@mg.example.org") -> dict[str, Any]:
    data: dict[str, Any] = {"event": event, "timestamp": 1762766041.123456, "id": "Ase7i2zsRYeDXztHGENqRA",
                            "recipient": address, "log-level": "error",
                            "message": {"headers": {"to": address, "message-id": message_id,
                                                    "from": "alice@example.org", "subject": "Q3 figures"}}}
    if event == "failed":
        data.update(severity=severity, reason=reason)
        data["delivery-status"] = {"code": code, "message": message, "description": "",
                                   "mx-host": "mx1.example.net", "attempt-no": 1}
    return {"event-data": data}


def mailgun_sign(keys: Keys, payload: dict[str, Any], timestamp: str | None = None,
                 token: str = "a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0") -> dict[str, Any]:
    stamp = timestamp or str(int(time.time()))
    digest = hmac.new(keys.mailgun_key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return {"signature": {"timestamp": stamp, "token": token, "signature": digest}, **payload}


# --- Postmark ----------------------------------------------------------------------------------

def postmark_bounce(address: str, kind: str = "HardBounce", details: str = "") -> dict[str, Any]:
    return {"RecordType": "Bounce", "ID": 4323372036854775807, "Type": kind, "TypeCode": 1,
            "Name": "Hard bounce", "Tag": "invoices", "MessageID": "883953f4-6105-42a2-a16a-77a8eac79483",
            "ServerID": 23, "MessageStream": "outbound",
            "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
            "Details": details, "Email": address, "From": "alice@example.org",
            "BouncedAt": "2026-11-10T09:14:01.9070259Z", "DumpAvailable": True, "Inactive": True,
            "CanActivate": True, "Subject": "Q3 figures", "Metadata": {}}


def postmark_complaint(address: str) -> dict[str, Any]:
    return {**postmark_bounce(address, "SpamComplaint"), "RecordType": "SpamComplaint",
            "TypeCode": 512, "Name": "Spam complaint", "Description": "The subscriber explicitly "
            "marked this message as spam."}


def basic(credentials: str) -> str:
    return "Basic " + base64.b64encode(credentials.encode()).decode()
