"""The truth of each notice, known by construction (see scenarios.py and DECISIONS "Fields"):

- recipient: the scenario's recipient; action: ``delayed`` for a delay notice, else ``failed``
  (OpenSMTPD's expiry notice says ``delayed`` although the message is gone: it is final).
- status: the code the peer sent when the notice states it (a final notice of a permanent
  failure; a delay notice); for a failure the MTA itself detected (network, TLS, DNS), the code
  of its Diagnostic-Code when of the same class as its ``Status:`` field, else that field; for an
  expiry notice, the ``Status:`` field. ``last_error_status``: the code of the last real error
  an expiry notice quotes (its Diagnostic-Code, else the peer's code in its text).
- remote_mta: the scenario's host when the notice names it (the host tried, or whose lookup
  failed: DECISIONS "Fields", as main's parser reads ``Name service error for name=X``), else
  null: some notices hide it (Exim ``retry timeout exceeded``, OpenSMTPD's texts).
- reason: the scenario's reason, ``expired`` for the final notice of a temporary failure; a delay
  notice that hides a network or TLS cause (it says no more than that delivery is delayed) is a
  ``networkerror``.
- hard: only for an address that is bad (user unknown).
"""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path
from typing import Any

from scenarios import SCENARIOS, Scenario

_RCPT = re.compile(rb"rcpt(\d+)@s(\d\d)\.lab\.test")
# What a notice must say for its cause to count as stated (else the cause is hidden).
EVIDENCE = {
    "nostarttls": r"TLS|encrypt",
    "badcert": r"certificate|verif|TLS|authentication failed",
    "refused": r"refused",
    "nogreeting": r"timed out|timeout",
    "dropafterrcpt": r"lost connection|closed|reset|read error",
    "dropindata": r"lost connection|closed|reset|read error",
    "dnsfail": r"host lookup|name service|not found|lookup failure|name server",
}


# RFC 3463 meanings of the peer's codes, for a notice that quotes a code but not its words.
CODE_MEANING = {"4.7.1": "securityerror", "4.2.2": "mailboxfull", "4.3.2": "notaccept"}


def scenario_of(raw: bytes) -> Scenario | None:
    """The scenario whose recipient the notice names."""
    m = _RCPT.search(raw)
    if not m:
        return None
    for s in SCENARIOS:
        if s.number == int(m.group(1)):
            return s
    return None


_CODE = re.compile(r"\b([245])\.\d{1,3}\.\d{1,3}\b")


def notice_text(raw: bytes) -> tuple[str, str | None, str | None]:
    """The notice without the returned original, its per-recipient DSN Status and the code in
    its Diagnostic-Code."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    texts: list[str] = []
    status = diag = None
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype == "message/delivery-status":
            for block in part.get_payload():
                if block.get("Status"):
                    status = block["Status"].strip().split()[0]
                if block.get("Diagnostic-Code") and (m := _CODE.search(block["Diagnostic-Code"])):
                    diag = m.group(0)
                texts.append(block.as_string())
        elif ctype == "text/plain":
            payload = part.get_payload(decode=True) or b""
            texts.append(payload.decode("utf-8", "replace").split("----- Original message")[0])
    return "\n".join(texts), status, diag


def build(mta: str, s: Scenario, kind: str, raw: bytes, file: str) -> dict[str, Any]:
    text, dsn_status, diag = notice_text(raw)
    expiry = kind == "final" and s.temporary and s.name != "mailboxfull"
    peer_code = "5.2.2" if (s.name == "mailboxfull" and kind == "final") else s.code
    named = peer_code is not None and peer_code in text
    if expiry or not (peer_code or diag):
        status = dsn_status
    elif peer_code is not None and named:
        status = peer_code
    elif diag and dsn_status and diag[0] == dsn_status[0]:
        status = diag
    else:
        status = dsn_status
    # Named as the destination: not merely inside the peer's own reply ("421 4.3.2 mx... Service")
    host_named = s.host in text.replace(f"{s.code} {s.host}", "")
    if expiry:
        reason = "expired"
    elif re.search(EVIDENCE[s.name], text, re.I) if s.name in EVIDENCE else (
            peer_code is not None and named):
        reason = s.reason
    elif peer_code is not None and named:
        # The code without the words that tell its cause (Exim cuts its delay reasons short,
        # "450 4.7.1 <x>: Recipient addres"): what the code itself means.
        reason = CODE_MEANING[peer_code]
    else:
        # The delay notice hides the cause: all it says is that delivery is delayed (OpenSMTPD
        # "Network error on destination MXs" after a 421 greeting).
        reason = "networkerror"
    out: dict[str, Any] = {
        "mta": mta, "scenario": s.name, "kind": kind, "file": file,
        "recipient": s.recipient,
        "action": "delayed" if kind == "delay" else "failed",
        "status": status,
        "remote_mta": s.host if host_named else None,
        "reason": reason,
        "hard": s.hard and kind == "final",
        "destination": s.host,
        "peer_behaviour": s.behaviour,
    }
    if expiry and (diag or (s.code is not None and s.code in text)):
        out["last_error_status"] = diag or s.code
    return out


def rebuild(out: Path) -> list[dict[str, Any]]:
    """The manifest of the notices already named <mta>/<scenario>-<kind>.eml under *out*."""
    entries = []
    for path in sorted(out.glob("*/*-*.eml")):
        name, _, kind = path.stem.rpartition("-")
        scenario = next((s for s in SCENARIOS if s.name == name), None)
        if scenario is None or kind not in ("delay", "final"):
            continue
        entries.append(build(path.parent.name, scenario, kind, path.read_bytes(),
                             str(path.relative_to(out))))
    return entries


if __name__ == "__main__":
    import json
    import sys

    folder = Path(sys.argv[1])
    (folder / "manifest.json").write_text(json.dumps(rebuild(folder), indent=1) + "\n")
