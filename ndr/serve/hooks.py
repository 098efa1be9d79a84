"""``POST /v1/webhooks/{provider}``: check the provider's proof, then read the payload with
``ndr.webhooks``. A provider whose secret is not configured is not served (404), except SES,
whose proof needs no secret, and SendGrid, whose signed events are checked only when a
verification key is configured (as SendGrid makes signing optional)."""
from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from ..catalog import Catalog
from ..reading.records import records
from ..webhooks import PayloadError, reports
from ..webhooks.verify import SignatureError, SnsCertificates, verify_basic, verify_mailgun, verify_sendgrid, verify_sns
from .config import Secrets, ServeConfig
from .problems import Problem
from ..safetext import clean_tree

log = logging.getLogger("ndr.serve")

# SNS posts its JSON as text/plain; the others as JSON.
MEDIA = {"ses": ("text/plain", "application/json"), "sendgrid": ("application/json",),
         "mailgun": ("application/json",), "postmark": ("application/json",)}
_OPTIONS = {"mailgun": "--mailgun-key-file", "postmark": "--postmark-auth-file"}


@dataclass
class Webhooks:
    """The provider endpoints' settings and state."""

    config: ServeConfig
    secrets: Secrets
    certificates: SnsCertificates

    def check_enabled(self, provider: str) -> None:
        if provider not in MEDIA:
            raise Problem(404, f"no webhook for {provider!r}; providers: {', '.join(MEDIA)}",
                          slug="provider")
        if (provider == "mailgun" and not self.secrets.mailgun_key) or (
                provider == "postmark" and not self.secrets.postmark_auth):
            raise Problem(404, f"{provider} webhooks are not enabled: start ndr serve with "
                               f"{_OPTIONS[provider]} FILE", slug="provider")

    def authenticate(self, provider: str, request: Request, body: bytes) -> Any:
        """The payload as JSON data, once its proof holds; problems 400/401/403 otherwise."""
        if provider == "postmark":  # credentials first: nothing is read for a stranger
            self._check(lambda: verify_basic(request.headers.get("authorization"),
                                             self.secrets.postmark_auth),
                        {"WWW-Authenticate": 'Basic realm="ndr postmark webhook"'})
        try:
            payload = clean_tree(json.loads(body))  # no lone surrogate reaches the ledger
        except (ValueError, UnicodeDecodeError) as exc:
            raise Problem(400, f"the body is not JSON: {exc}", slug="json") from None
        if provider == "ses":
            if not isinstance(payload, dict) or "Type" not in payload:
                raise Problem(400, "not an SNS message (no Type field)", slug="payload")
            self._check(lambda: verify_sns(payload, self.certificates))
            topics = self.config.sns_topics
            if topics and payload.get("TopicArn") not in topics:
                raise Problem(403, f"SNS topic {payload.get('TopicArn')!r} is not accepted here", slug="topic")
            if payload["Type"] == "SubscriptionConfirmation":
                # Confirming is the operator's decision: visiting SubscribeURL starts the flow.
                log.warning("SNS subscription to %s is waiting: confirm it by visiting %s",
                            payload.get("TopicArn"), payload.get("SubscribeURL"))
        elif provider == "sendgrid" and self.secrets.sendgrid_key:
            self._check(lambda: verify_sendgrid(
                body, request.headers.get("x-twilio-email-event-webhook-signature"),
                request.headers.get("x-twilio-email-event-webhook-timestamp"),
                self.secrets.sendgrid_key, self.config.max_age))
        elif provider == "mailgun":
            self._check(lambda: verify_mailgun(payload, self.secrets.mailgun_key, self.config.max_age))
        return payload

    @staticmethod
    def _check(verify: Any, headers: dict[str, str] | None = None) -> None:
        try:
            verify()
        except SignatureError as exc:
            raise Problem(401, str(exc), headers=headers, slug="signature") from None

    def records(self, provider: str, payload: Any, catalog: Catalog, lang: str) -> list[dict[str, Any]]:
        """The payload's records, as ``ndr parse`` shapes them (``source: webhook:<provider>``)."""
        try:
            found = reports(provider, payload, catalog=catalog, lang=lang)
        except PayloadError as exc:
            raise Problem(422, str(exc), slug="payload") from None
        source = f"webhook:{provider}"
        return [row for index, report in enumerate(found)
                for row in records(report, source, index, include_all=True)]
