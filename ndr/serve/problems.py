"""Errors as RFC 9457 problem details (``application/problem+json``): every failure the service
answers has a status, a title and a detail a person can act on — never a traceback."""
from __future__ import annotations

import json
from http import HTTPStatus
from typing import Mapping

from starlette.responses import Response

MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    """An error answer; raise it from a handler."""

    def __init__(self, status: int, detail: str, *, headers: Mapping[str, str] | None = None,
                 slug: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})
        self.slug = slug
        """A short name for the problem type (``signature``); ``about:blank`` when None."""


def problem_response(status: int, detail: str, instance: str | None = None,
                     headers: Mapping[str, str] | None = None, slug: str | None = None) -> Response:
    """The problem document as a response."""
    body: dict[str, object] = {
        "type": f"urn:ndr:problem:{slug}" if slug else "about:blank",
        "title": _title(status), "status": status, "detail": detail,
    }
    if instance:
        body["instance"] = instance
    return Response(json.dumps(body, ensure_ascii=False), status_code=status,
                    media_type=MEDIA_TYPE, headers=dict(headers or {}))


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
