"""The OpenAPI 3.1 description of the service (``/openapi.json``), written as data, and a
readable page drawn from it (``/docs``: plain HTML, no script, nothing fetched from elsewhere)."""
from __future__ import annotations

import html
from functools import lru_cache
from typing import Any

from ..reading.records import FIELDS
from .hooks import MEDIA

_ARRAY_FIELDS = ("causes", "fixes", "who", "defects")
_PROBLEM = {"description": "problem details (RFC 9457)",
            "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_RECORDS = {"description": "the records, as `ndr parse --all --format json` prints them",
            "content": {"application/json": {"schema": {"type": "array",
                                                        "items": {"$ref": "#/components/schemas/Record"}}}}}
_LANG = {"name": "lang", "in": "query", "schema": {"type": "string", "enum": ["en", "pt-BR"]},
         "description": "language of summaries, causes and fixes (default: ndr serve --lang)"}


def _query(name: str, kind: str, text: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": {"type": kind}, "description": text}


def _errors(*codes: int) -> dict[str, Any]:
    return {str(code): _PROBLEM for code in codes}


_WEBHOOK_TEXT = {
    "ses": "Amazon SNS envelope (SubscriptionConfirmation, or Notification with an SES Bounce, "
           "Complaint or DeliveryDelay); the SNS signature is checked against SigningCertURL.",
    "sendgrid": "SendGrid Event Webhook batch (bounce, blocked, dropped, deferred, spamreport); "
                "signed events are checked when --sendgrid-key-file is given.",
    "mailgun": "Mailgun webhook (failed permanent/temporary, complained); HMAC signature with the "
               "signing key (--mailgun-key-file).",
    "postmark": "Postmark Bounce or SpamComplaint webhook; HTTP Basic credentials (--postmark-auth-file).",
}


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/v1/parse": {"post": {
            "summary": "Parse a bounce message (or an mbox) into records",
            "parameters": [_LANG, _query("source", "string", "the `source` field of the records (default `-`)")],
            "requestBody": {"required": True, "content": {
                "message/rfc822": {"schema": {"type": "string", "format": "binary"}},
                "application/mbox": {"schema": {"type": "string", "format": "binary"}}}},
            "responses": {"200": _RECORDS, **_errors(400, 401, 413, 415, 422)}}},
        "/v1/explain": {"get": {
            "summary": "Explain a status code, reply or diagnostic line (as `ndr explain`)",
            "parameters": [_query("q", "string", "e.g. `450 4.4.316` or a diagnostic line", True), _LANG],
            "responses": {"200": {"description": "the explanation", "content": {"application/json": {
                "schema": {"type": "object"}}}}, **_errors(400, 401)}}},
        "/v1/suppressions": {"get": {
            "summary": "Addresses to stop mailing, from the ledger (--db)",
            "parameters": [_query("soft_count", "integer", "soft bounces that suppress (default 3)"),
                           _query("soft_days", "integer", "... within this many days (default 7)")],
            "responses": {"200": {"description": "`{suppressions: [{address, why, last_seen, reason}]}`",
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          **_errors(400, 401, 404)}}},
        "/v1/findings": {"get": {
            "summary": "Mail-flow findings from the ledger's records (as `ndr analyze`)",
            "parameters": [_query("min_count", "integer", "fewest failures in a group (default 3)"),
                           _query("group_by", "string", "`server` (default) or `domain`"),
                           _query("limit", "integer", "most findings (default 25)")],
            "responses": {"200": {"description": "`{findings: [...]}`",
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          **_errors(400, 401, 404)}}},
        "/healthz": {"get": {"summary": "Liveness, and the ledger's row counts",
                             "responses": {"200": {"description": "`{status: ok, ledger: {...}}`"},
                                           **_errors(401)}}},
    }
    for provider, text in _WEBHOOK_TEXT.items():
        paths[f"/v1/webhooks/{provider}"] = {"post": {
            "summary": f"{provider} webhook", "description": text, "security": [],
            "parameters": [_LANG],
            "requestBody": {"required": True, "content": {kind: {"schema": {"type": "object"}}
                                                          for kind in MEDIA[provider]}},
            "responses": {"200": _RECORDS, **_errors(400, 401, 404, 413, 415, 422)}}}
    return paths


@lru_cache(maxsize=1)
def openapi() -> dict[str, Any]:
    """The OpenAPI document."""
    record = {"type": "object", "properties": {
        name: ({"type": "array", "items": {"type": "string"}} if name in _ARRAY_FIELDS else {})
        for name in FIELDS}}
    return {
        "openapi": "3.1.0",
        "info": {"title": "ndr", "version": "1",
                 "description": "Bounces (mail and provider webhooks) in, ndr's records out: the same "
                                "fields as `ndr parse --all --format json`."},
        "paths": _paths(),
        "components": {
            "schemas": {"Record": record, "Problem": {"type": "object", "properties": {
                "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
                "detail": {"type": "string"}, "instance": {"type": "string"}}}},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer",
                                           "description": "the token in ndr serve --token-file"}}},
        "security": [{"bearer": []}],
    }


@lru_cache(maxsize=1)
def docs_page() -> str:
    """A readable HTML page of the OpenAPI document."""
    doc = openapi()
    out = ["<!doctype html><html><head><meta charset='utf-8'><title>ndr service</title>",
           "<style>body{font:15px/1.5 sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
           "code{background:#f3f3f3;padding:0 .2em}h2{border-top:1px solid #ccc;padding-top:.6em}</style>",
           "</head><body><h1>ndr service</h1>", f"<p>{html.escape(doc['info']['description'])}</p>",
           "<p>Every endpoint but the webhooks needs <code>Authorization: Bearer TOKEN</code>. "
           "Errors are <code>application/problem+json</code>. Machine-readable: "
           "<a href='/openapi.json'>/openapi.json</a>.</p>"]
    for path, methods in doc["paths"].items():
        for method, op in methods.items():
            out.append(f"<h2><code>{method.upper()} {html.escape(path)}</code></h2>")
            out.append(f"<p>{html.escape(op['summary'])}</p>")
            if op.get("description"):
                out.append(f"<p>{html.escape(op['description'])}</p>")
            if op.get("requestBody"):
                kinds = ", ".join(op["requestBody"]["content"])
                out.append(f"<p>Body: <code>{html.escape(kinds)}</code></p>")
            params = op.get("parameters") or []
            if params:
                out.append("<ul>" + "".join(
                    f"<li><code>{html.escape(p['name'])}</code>{' (required)' if p.get('required') else ''}: "
                    f"{html.escape(p.get('description', ''))}</li>" for p in params) + "</ul>")
            codes = ", ".join(op["responses"])
            out.append(f"<p>Answers: {html.escape(codes)}</p>")
    out.append("</body></html>")
    return "\n".join(out)
