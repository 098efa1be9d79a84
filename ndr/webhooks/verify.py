"""Each provider's own proof that a webhook came from it.

* SES through SNS: the envelope is signed with RSA by the SNS signing certificate named in
  ``SigningCertURL`` — SignatureVersion 1 over SHA1, 2 over SHA256 — over the "string to sign"
  the SNS Developer Guide lists (chosen fields, ``name\\nvalue\\n``, in a fixed order). The
  certificate URL must be HTTPS on ``sns.<region>.amazonaws.com`` (``.com.cn`` in China); a
  local certificate can stand in for the download (tests, hosts without egress).
* SendGrid: an ECDSA (P-256, SHA256) signature, base64 DER, over the timestamp header followed
  by the raw body, checked with the verification key SendGrid shows (base64 DER or PEM).
* Mailgun: HMAC-SHA256 of ``timestamp + token`` with the webhook signing key, hex.
* Postmark: HTTP Basic credentials that the webhook URL carries.

Signed timestamps older than ``max_age`` seconds are refused (a replayed POST).
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from ..errors import NdrError
from ..lazy import regex

_SNS_HOST = regex(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_SNS_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                 "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token",
                                "TopicArn", "Type"),
}


class SignatureError(NdrError):
    """A webhook whose signature or credentials do not check out."""


def sns_string_to_sign(envelope: dict[str, Any]) -> bytes:
    """The bytes SNS signs for this envelope (absent optional fields are left out)."""
    names = _SNS_FIELDS.get(str(envelope.get("Type")))
    if names is None:
        raise SignatureError(f"unknown SNS message type {envelope.get('Type')!r}")
    parts = [f"{name}\n{envelope[name]}\n" for name in names if envelope.get(name) is not None]
    return "".join(parts).encode("utf-8")


def check_sns_cert_url(url: Any) -> str:
    """The certificate URL when it is HTTPS on an SNS host of AWS, else ``SignatureError``."""
    parts = urlsplit(url if isinstance(url, str) else "")
    if parts.scheme != "https" or not _SNS_HOST.match(parts.hostname or "") or parts.port not in (None, 443) \
            or not parts.path.endswith(".pem"):
        raise SignatureError(f"SigningCertURL {url!r} is not an HTTPS .pem on sns.<region>.amazonaws.com")
    return str(url)


class SnsCertificates:
    """SNS signing certificates by URL: downloaded once and kept, or one local PEM file's
    certificate for every (checked) URL."""

    def __init__(self, local_pem: bytes | None = None, timeout: float = 5.0) -> None:
        self.local_pem = local_pem
        self.timeout = timeout
        self._cache: dict[str, Any] = {}
        self._lock = threading.Lock()

    def public_key(self, url: str) -> Any:
        """The public key of the certificate at ``url`` (a URL ``check_sns_cert_url`` passed)."""
        from cryptography import x509

        with self._lock:
            cert = self._cache.get(url)
        if cert is None:
            pem = self.local_pem if self.local_pem is not None else self._download(url)
            try:
                cert = x509.load_pem_x509_certificate(pem)
            except ValueError:
                raise SignatureError(f"{url}: not a PEM certificate") from None
            with self._lock:
                self._cache[url] = cert
        return cert.public_key()

    def _download(self, url: str) -> bytes:
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as answer:  # noqa: S310 - https, checked host
                return bytes(answer.read(64 * 1024))
        except OSError as exc:
            raise SignatureError(f"cannot fetch the SNS signing certificate {url}: {exc}") from None


def verify_sns(envelope: dict[str, Any], certificates: SnsCertificates) -> None:
    """Check an SNS envelope's signature; ``SignatureError`` when it does not hold."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    version = str(envelope.get("SignatureVersion", ""))
    digest = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)
    if digest is None:
        raise SignatureError(f"unsupported SNS SignatureVersion {version!r}")
    signature = _b64(envelope.get("Signature"), "SNS Signature")
    key = certificates.public_key(check_sns_cert_url(envelope.get("SigningCertURL")))
    if not isinstance(key, rsa.RSAPublicKey):
        raise SignatureError("the SNS signing certificate does not hold an RSA key")
    try:
        key.verify(signature, sns_string_to_sign(envelope), padding.PKCS1v15(), digest)
    except InvalidSignature:
        raise SignatureError("the SNS signature does not match the message") from None


def verify_sendgrid(body: bytes, signature: str | None, timestamp: str | None, public_key: str,
                    max_age: float, now: float | None = None) -> None:
    """Check a SendGrid signed event batch (the two ``X-Twilio-Email-Event-Webhook-*`` headers)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    if not signature or not timestamp:
        raise SignatureError("missing X-Twilio-Email-Event-Webhook-Signature or -Timestamp header")
    _fresh(timestamp, max_age, now)
    text = public_key.strip()
    try:
        key = (serialization.load_pem_public_key(text.encode("ascii")) if text.startswith("-----")
               else serialization.load_der_public_key(_b64(text, "SendGrid verification key")))
    except ValueError:
        raise SignatureError("the configured SendGrid verification key is not a public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise SignatureError("the configured SendGrid verification key is not an ECDSA key")
    try:
        key.verify(_b64(signature, "SendGrid signature"), timestamp.encode("ascii", "replace") + body,
                   ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise SignatureError("the SendGrid signature does not match the batch") from None


def verify_mailgun(payload: Any, signing_key: bytes, max_age: float, now: float | None = None) -> None:
    """Check a Mailgun webhook's ``signature`` object."""
    block = payload.get("signature") if isinstance(payload, dict) else None
    if not isinstance(block, dict):
        raise SignatureError("the Mailgun webhook has no 'signature' object")
    timestamp, token, given = (str(block.get(k) or "") for k in ("timestamp", "token", "signature"))
    if not (timestamp and token and given):
        raise SignatureError("the Mailgun signature needs timestamp, token and signature")
    _fresh(timestamp, max_age, now)
    expected = hmac.new(signing_key, (timestamp + token).encode("utf-8"), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, given.lower()):
        raise SignatureError("the Mailgun signature does not match")


def verify_basic(authorization: str | None, expected: str) -> None:
    """Check HTTP Basic credentials (``user:password``) in constant time."""
    scheme, _, value = (authorization or "").partition(" ")
    if scheme.lower() != "basic" or not value:
        raise SignatureError("HTTP Basic credentials required")
    try:
        given = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError("malformed HTTP Basic credentials") from None
    if not hmac.compare_digest(given, expected.encode("utf-8")):
        raise SignatureError("wrong HTTP Basic credentials")


def _fresh(timestamp: str, max_age: float, now: float | None) -> None:
    try:
        signed = float(timestamp)
    except ValueError:
        raise SignatureError(f"malformed signature timestamp {timestamp!r}") from None
    if abs((time.time() if now is None else now) - signed) > max_age:
        raise SignatureError(f"signature timestamp {timestamp} is more than {max_age:g} s away from now")


def _b64(value: Any, what: str) -> bytes:
    try:
        data = base64.b64decode(str(value or ""), validate=True)
    except (binascii.Error, ValueError):
        raise SignatureError(f"{what} is not base64") from None
    if not data:
        raise SignatureError(f"{what} is missing")
    return data
