"""Which status a record carries, and where it came from (``status_source``).

The one place that decides it (DECISIONS, "Fields"): ``status`` is the most specific code the
notice states — decoders find it and say where (``RawRecipient.status_source``):

* ``report``: a delivery-status field (RFC 3464 ``Status:``, an ESP's event field);
* ``reply``: the SMTP reply or diagnostic the notice quotes (``550 5.1.1 ...``);
* ``text``: the human-readable part (a layout's phrase with its code, e.g. Exim's "retry timeout
  exceeded" → ``4.4.7``).

Only when the notice states no code at all (the decoder put a bare class there, ``5.0.0``, or
nothing) is the status **inferred** from the reason: the reason's ``default_status`` in the
catalog, in the failure's class — the reply code's class, else the class the decoder read from
the text, else ``4`` for a delay and ``5`` for a failure (``mailboxfull`` → ``4.2.2`` or
``5.2.2``). A ticketing system thus always has a code to key on, and can tell stated codes
from inferred ones.
"""
from __future__ import annotations

from ..catalog import codes
from ..catalog import Reason

REPORT, REPLY, TEXT, INFERRED = "report", "reply", "text", "inferred"
_NOT_FAILURES = frozenset({"delivered", "relayed", "expanded"})


def settle(status: str | None, source: str | None, *, reason: Reason, action: str | None,
           reply: str | None, diagnostic: str | None = None,
           preset: str | None = None) -> tuple[str | None, str | None]:
    """(status, status_source) of one record.

    ``status``/``source``: what the decoder found (``source`` None when it stated nothing);
    ``reason``: the classification's reason; ``preset``: a reason the format itself set
    (feedback, vacation, delivered: not failures, nothing is inferred for them).

    >>> from ndr.catalog import load_catalog
    >>> settle("5.0.0", None, reason=load_catalog().reason("userunknown"), action="failed", reply="550")
    ('5.1.1', 'inferred')
    """
    if source is not None:
        return status, source
    if status and not codes.is_class_only(status):
        # a decoder that does not say where: the diagnostic's code, else a field
        return status, REPLY if diagnostic and codes.find_status(diagnostic) == status else REPORT
    if preset or action in _NOT_FAILURES or not reason.default_status:
        return status, None
    if action == "delayed":
        klass = "4"
    else:
        klass = codes.class_of(None, reply) or codes.class_of(status) or "5"
    implied = reason.default_status
    if implied[0] == "2":  # a success code never stands for a failure
        return status, None
    return f"{klass}{implied[1:]}", INFERRED
