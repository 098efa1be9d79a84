"""Classification: a decoded recipient in, a reason, hard/soft and the catalog's advice out.

Precedence, fixed and documented (README "How ndr decides the reason"); the first step that
gives an answer decides, and names itself in ``rule``:

0. the format itself (``format:feedback``, ``format:vacation``), then a successful action
   (``action:delivered``);
1. ``hosts`` rules of the catalog, keyed by the remote server or the recipient's domain
   (``host:<id>#<n>``, the n-th rule of that host); then a vendor's own verdict in an extension
   field of the recipient's delivery-status block, when a reason lists it in ``dsn_fields``
   (``field:x-powermta-bouncecategory=bad-mailbox`` → ``userunknown``); then the Diagnostic-Code
   type, when a reason
   claims it in ``diagnostic_types`` (``type:x-unix`` → ``mailererror``: a local delivery
   program failed), unless a phrase of a reason it ``yields_to`` comes first in the text;
2. the exact enhanced status code, when its catalog entry is ``decisive`` (``code:<entry id>``);
   a vendor's entry applies only when that vendor's host is involved (remote MTA, reporting MTA
   or recipient domain); the entry's ``yields_to`` reasons win when their phrase is the first
   one in the text (a ``5.1.1`` whose text says "over quota" is ``mailboxfull``);
3. phrase patterns, reasons in priority order, a code entry's own patterns first
   (``phrase:<reason>:<pattern>``);
4. the SMTP command that failed, when the code says nothing more specific than ``X.0.0``: a
   reason listing that command in ``commands`` (``command:<name>``, e.g. refused at EHLO →
   ``blocked``); then, when the code says no more than a class or subject (``X.S.0``) or there
   is none, a phrase in the reporting MTA's own words about the recipient
   (``notice:<reason>:<pattern>``; Gmail's "the address couldn't be found" above a reply that
   says only "550 #5.1.0 Address rejected"): the reply names no reason, the MTA that read it does;
5. the code's entry even when not decisive (``code:<entry id>``), else its class and subject
   (``subject:<entry id>``, the ``X.S.0`` entry);
6. ``undefined``; but a failure with a text that names nothing the catalog knows is ``onhold``
   (rule suffix ``+unstated``): the receiving side did not say why.

Two facts about the SMTP dialogue adjust the outcome:

* a delay (action ``delayed``) keeps a reason found in steps 1–4, else it is ``expired``
  (``action:delayed``); a delay is never hard;
* a reason given in answer to DATA, not by a host rule or decisive code, becomes the reason the
  catalog names in its ``after_data`` (``userunknown`` → ``filtered``: the address was
  accepted at RCPT, so the content was refused), rule suffix ``+after-data``; so does a reason
  decided by a phrase when nothing says which command failed (``+no-rcpt``): a user-unknown
  text is hard only with evidence that the address itself was refused — at RCPT TO (a 5xx reply
  that quotes the recipient's address answers RCPT TO), by an X.1.1 code, or in a phrase of the
  decisive X.1.1 entry (a vendor's wording of that code).

The explaining entry (``catalog_id``) is chosen apart from the reason: a decisive code's entry,
else the entry whose own phrase matched, else the entry that ``explains`` the deciding phrase
(``connection timed out`` → ``expired``, explained by the connection-timeout entry), else the
code's entry.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from . import codes
from .catalog import Catalog, CodeEntry, Host, Reason
from .match import Pattern, fold

_SUCCESS = {"delivered", "relayed", "expanded"}
_FEEDBACK = {"feedback", "vacation"}
_INDEX = "classify.hosts"
_EXPLAINS = "classify.explains"
_MEMO = "classify.host-memo"
_FIELDS = "classify.dsn-fields"

# The command a reply answered, as MTAs write it in the diagnostic when the decoder did not
# isolate it: Postfix "(in reply to end of DATA command)", Exim "after end of data" /
# "after RCPT TO:<x>" / "after initial connection", Sendmail transcripts ">>> DATA",
# DragonFly "did not like our RCPT TO", Yahoo "[RCPT_TO]", X3 "SMTP:RCPT host",
# 1&1 "for TEXT command" (the message text, i.e. DATA), qmail "does not like recipient".
_COMMAND = re.compile(
    r"(?:in reply to (?:the )?|\bafter (?:pipelined )?|>>> ?|did not like our |\bsmtp:)"
    r"(end of data|data|rcpt to|rcpt|mail from|ehlo|helo|initial connection|greeting)\b"
    r"|\[(rcpt_to)\]|\bfor (text) command\b|does not like (recipient)\b")
# Literal text one of which every _COMMAND match contains: most diagnostics hold none, and
# str.find over these is far cheaper than running the alternation at every position.
_COMMAND_ANCHORS = ("in reply to", "after ", ">>>", "did not like our", "smtp:", "[rcpt_to]",
                    "for text command", "does not like recipient")
_CANONICAL = {"end of data": "data", ".": "data", "text": "data", "rcpt to": "rcpt", "rcpt_to": "rcpt",
              "recipient": "rcpt", "mail from": "mail", "initial connection": "connect",
              "greeting": "connect", "conn": "connect", "banner": "connect", "starttls": "ehlo"}


@dataclass(frozen=True, slots=True)
class Classification:
    """The catalog's verdict on one recipient."""

    reason: str
    rule: str
    hard: bool
    entry: CodeEntry | None
    summary: str
    causes: tuple[str, ...]
    fixes: tuple[str, ...]
    who: tuple[str, ...]


def _host_index(catalog: Catalog) -> tuple[dict[str, list[Host]], dict[str, list[Host]]]:
    """Host suffix → hosts, for remote host names and for recipient domains (built once)."""
    cached = catalog.cache.get(_INDEX)
    if cached is None:
        remote: dict[str, list[Host]] = {}
        domains: dict[str, list[Host]] = {}
        for host in catalog.hosts:
            for suffix in host.remote_hosts:
                remote.setdefault(suffix.strip(".").lower(), []).append(host)
            for suffix in host.domains:
                domains.setdefault(suffix.strip(".").lower(), []).append(host)
        cached = catalog.cache[_INDEX] = (remote, domains)
    return cached


def _suffixes(name: str) -> list[str]:
    """``a.b.c`` → ``a.b.c``, ``b.c``, ``c``: the names a suffix rule may be written as."""
    labels = name.split(".")
    return [".".join(labels[i:]) for i in range(len(labels))]


_MEMO_LIMIT = 4096
"""Host names remembered per index: archives repeat the same MTAs, so most lookups are hits."""


def _lookup(index: dict[str, list[Host]], memo: dict[str, tuple[Host, ...]], name: str | None,
            found: list[Host]) -> None:
    if not name or not index:
        return
    hosts = memo.get(name)
    if hosts is None:
        clean = name.strip().strip("[]<>").rstrip(".").lower()
        hosts = tuple(host for suffix in _suffixes(clean) if clean for host in index.get(suffix, ()))
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()
        memo[name] = hosts
    for host in hosts:
        if host not in found:
            found.append(host)


def hosts_for(catalog: Catalog, remote_mta: str | None, recipient: str | None,
              reporting_mta: str | None = None) -> list[Host]:
    """Catalog hosts whose remote host suffix (remote or reporting MTA) or recipient domain
    suffix matches, remote host matches first."""
    remote, domains = _host_index(catalog)
    memo_remote, memo_domains = _host_memo(catalog)
    found: list[Host] = []
    _lookup(remote, memo_remote, remote_mta, found)
    _lookup(remote, memo_remote, reporting_mta, found)
    if recipient and "@" in recipient:
        _lookup(domains, memo_domains, recipient.rpartition("@")[2], found)
    return found


def _host_memo(catalog: Catalog) -> tuple[dict[str, tuple[Host, ...]], dict[str, tuple[Host, ...]]]:
    memo = catalog.cache.get(_MEMO)
    if memo is None:
        memo = catalog.cache[_MEMO] = ({}, {})
    return memo


def command_of(smtp_command: str | None, folded: str) -> str | None:
    """The SMTP command the error answered — ``connect``, ``helo``, ``ehlo``, ``mail``, ``rcpt``
    or ``data`` — from the decoder's field, else from the text; None when unknown."""
    if smtp_command:
        word = " ".join(smtp_command.lower().split())
    else:
        if not any(anchor in folded for anchor in _COMMAND_ANCHORS):
            return None
        match = _COMMAND.search(folded)
        if match is None:
            return None
        word = next(group for group in match.groups() if group)
    word = _CANONICAL.get(word, word)
    first = word.split(" ")[0]
    return _CANONICAL.get(first, first)


def _names_recipient(folded: str, recipient: str | None) -> str | None:
    """``rcpt`` when the server's reply quotes the recipient's address (``550 <x>... No such
    user``, ``550 Unknown user x``): a reply about that address, the answer to RCPT TO."""
    if not recipient or "@" not in recipient or not folded:
        return None
    at = folded.find(recipient.lower())
    if at < 0:
        return None
    reply = codes.find_reply(folded)
    return "rcpt" if reply is not None and reply[0] == "5" and folded.find(reply) < at else None


def _host_rule(hosts: list[Host], status: str | None, reply: str | None,
               folded: str, command: str | None = None) -> tuple[str, str, Pattern | None] | None:
    for host in hosts:
        for index, rule in enumerate(host.rules):
            if rule.status is not None and rule.status != status:
                continue
            if rule.reply is not None and rule.reply != reply:
                continue
            if rule.command is not None and rule.command != command:
                continue
            if rule.phrase is not None and not rule.phrase.search(folded):
                continue
            return rule.reason, f"host:{host.id}#{index}", rule.phrase
    return None


def decide(catalog: Catalog, *, status: str | None, reply: str | None, text: str | None,
           action: str | None = None, remote_mta: str | None = None, recipient: str | None = None,
           preset: str | None = None, reporting_mta: str | None = None,
           smtp_command: str | None = None, diagnostic_type: str | None = None,
           extensions: Mapping[str, str] | None = None,
           notice: str | None = None) -> tuple[str, str, CodeEntry | None]:
    """(reason id, rule id, explaining code entry) by the precedence in the module docstring."""
    if preset:
        return preset, f"format:{preset}", catalog.code_entry(status)
    if action in _SUCCESS:
        return "delivered", f"action:{action}", catalog.code_entry(status)
    folded = fold(text) if text else ""
    # Host rules only from the remote side (who refused); vendor context also from the
    # reporting MTA (whose codes these are).
    rule_hosts = hosts_for(catalog, remote_mta, recipient)
    context = rule_hosts + [h for h in hosts_for(catalog, reporting_mta, None) if h not in rule_hosts]
    entry = catalog.code_entry(status, frozenset(h.id for h in context))
    command = command_of(smtp_command, folded) or _names_recipient(folded, recipient)
    reason, rule, found, pattern = _decide(catalog, status, folded, reply, rule_hosts, entry, command,
                                           _typed(catalog, diagnostic_type),
                                           _field_verdict(catalog, extensions),
                                           fold(notice) if notice else "")
    if pattern is not None and (found is None or not found.decisive):
        # The phrase that decided may be explained by a more specific entry than the code's.
        found = _explainers(catalog).get(pattern.source, found)
    if reason == "undefined" and folded and "onhold" in catalog.reasons:
        # A failure whose text names nothing the catalog knows: the receiving side did not say
        # why (onhold); undefined is left for a bounce with no text at all.
        reason, rule = "onhold", rule + "+unstated"
    specific = rule.startswith(("host:", "field:", "type:", "phrase:", "notice:", "command:")) or (
        rule.startswith("code:") and entry is not None and entry.decisive)
    if action == "delayed" and not specific:
        return "expired", "action:delayed", entry
    claimed = _command_reason(catalog, command)
    if claimed is not None and claimed != reason and rule.startswith(("phrase:", "notice:")) \
            and catalog.reason(reason).hard == "always":
        # "unknown" / "not found" said in answer to MAIL FROM or HELO is about the sender's
        # address or the client's name, not the recipient's: the command's reason decides.
        return claimed, f"{rule}+{command}", found
    if command == "data" or (command is None and rule.startswith(("phrase:", "notice:"))):
        after = catalog.reason(reason).after_data
        # Not when a host rule, a vendor's verdict, a decisive code, or a phrase standing for a decisive code (a
        # vendor's rendering of 5.1.1 without the code) decided: those name the address itself.
        if after and not rule.startswith(("host:", "field:")) and not (
                rule.startswith("code:") and entry is not None and entry.decisive) and not (
                rule.startswith(("phrase:", "notice:")) and found is not None and found.decisive
                and found.reason == reason):
            suffix = "+after-data" if command == "data" else "+no-rcpt"
            return after, rule + suffix, found
    return reason, rule, found


def _explainers(catalog: Catalog) -> dict[str, CodeEntry]:
    """Phrase (as written) → the code entry that ``explains`` it (built once)."""
    table = catalog.cache.get(_EXPLAINS)
    if table is None:
        table = {}
        for entry in catalog.codes:
            for pattern in entry.explains:
                table.setdefault(pattern.source, entry)
        catalog.cache[_EXPLAINS] = table
    return table


def _field_verdict(catalog: Catalog, extensions: Mapping[str, str] | None) -> tuple[str, str] | None:
    """(reason, rule) when an extension field of the recipient's block carries a vendor's
    verdict a reason lists in ``dsn_fields``, else None."""
    if not extensions:
        return None
    table = catalog.cache.get(_FIELDS)
    if table is None:
        table = {}
        for reason in catalog.reasons.values():
            for name, values in reason.dsn_fields.items():
                for value in values:
                    table.setdefault(name, {})[value] = reason.id
        catalog.cache[_FIELDS] = table
    for name, value in extensions.items():
        known = table.get(name)
        if known is not None:
            verdict = " ".join(value.lower().split())
            reason = known.get(verdict)
            if reason is not None:
                return reason, f"field:{name}={verdict}"
    return None


def _claims(catalog: Catalog, field: str) -> dict[str, Reason]:
    """Each value that reasons list in ``field`` (``diagnostic_types``, ``commands``) → the
    first reason by priority that lists it; built once per catalog."""
    key = f"classify.claims.{field}"
    table: dict[str, Reason] | None = catalog.cache.get(key)
    if table is None:
        table = {}
        for reason in sorted(catalog.reasons.values(), key=lambda r: r.priority):
            for name in getattr(reason, field):
                table.setdefault(name, reason)
        catalog.cache[key] = table
    return table


def _typed(catalog: Catalog, diagnostic_type: str | None) -> tuple[str, Reason] | None:
    """(type, reason) when a reason claims this Diagnostic-Code type (``x-unix``), else None."""
    if not diagnostic_type:
        return None
    name = diagnostic_type.strip().lower()
    claimed = _claims(catalog, "diagnostic_types").get(name)
    return (name, claimed) if claimed is not None else None


def _command_reason(catalog: Catalog, command: str | None) -> str | None:
    """The reason whose ``commands`` lists ``command`` (first by priority), if any."""
    if command is None:
        return None
    claimed = _claims(catalog, "commands").get(command)
    return claimed.id if claimed is not None else None


def _decide(catalog: Catalog, status: str | None, folded: str, reply: str | None,
            hosts: list[Host], entry: CodeEntry | None, command: str | None = None,
            typed: tuple[str, Reason] | None = None, verdict: tuple[str, str] | None = None,
            notice: str = "") -> tuple[str, str, CodeEntry | None, Pattern | None]:
    """Steps 1–5 of the precedence: (reason, rule, entry, the phrase that decided or None)."""
    hit = _host_rule(hosts, status, reply, folded, command)
    if hit is not None:
        return hit[0], hit[1], entry, hit[2]
    if verdict is not None:
        # The sending MTA's own classification of the reply (it knows its vendor's texts).
        return verdict[0], verdict[1], entry, None
    if typed is not None:
        # A local program's diagnostic: its failure, unless it first names a reason the type
        # yields to (a delivery agent reporting the mailbox over quota).
        name, owner = typed
        phrase = catalog.phrases.first(folded) if folded and owner.yields_to else None
        if phrase is not None and phrase[1][0] in owner.yields_to:
            pattern, (reason, code_entry) = phrase
            return reason, f"phrase:{reason}:{pattern.source}", code_entry or entry, pattern
        return owner.id, f"type:{name}", entry, None
    if entry is not None and entry.decisive:
        # A decisive code decides, unless the text first names a reason it yields to.
        phrase = catalog.phrases.first(folded) if folded and entry.yields_to else None
        if phrase is None or phrase[1][0] not in entry.yields_to:
            return entry.reason, f"code:{entry.id}", entry, None
        pattern, (reason, code_entry) = phrase
        return reason, f"phrase:{reason}:{pattern.source}", code_entry, pattern
    phrase = catalog.phrases.first(folded) if folded else None
    if phrase is not None:
        pattern, (reason, code_entry) = phrase
        # The phrase's own entry (4.4.316 for "connection refused") explains better than a
        # generic registry entry of the code (X.4.1).
        return reason, f"phrase:{reason}:{pattern.source}", code_entry or entry, pattern
    by_command = _command_reason(catalog, command)
    if by_command is not None and (entry is None or not entry.status or entry.status.endswith(".0.0")
                                   or entry.status.startswith("X.0.")):
        return by_command, f"command:{command}", entry, None
    phrase = catalog.phrases.first(notice) if notice and (
        entry is None or not entry.status or entry.status.rsplit(".", 1)[-1] == "0") else None
    if phrase is not None:
        # The reply names no reason and its code no more than a class or subject (5.1.0); the
        # reporting MTA, which read it, states one.
        pattern, (reason, code_entry) = phrase
        return reason, f"notice:{reason}:{pattern.source}", code_entry or entry, pattern
    if entry is not None:
        return entry.reason, f"code:{entry.id}", entry, None
    if status:
        subject = catalog.by_subject.get(status[2:].split(".")[0] + ".0")
        if subject is not None:
            return subject.reason, f"subject:{subject.id}", subject, None
    return "undefined", "undefined", None, None


def classify(catalog: Catalog, *, status: str | None, reply: str | None, text: str | None,
             action: str | None = None, remote_mta: str | None = None, recipient: str | None = None,
             preset: str | None = None, lang: str = "en", reporting_mta: str | None = None,
             smtp_command: str | None = None, diagnostic_type: str | None = None,
             extensions: Mapping[str, str] | None = None, notice: str | None = None) -> Classification:
    """Decide the reason and gather the catalog's summary, causes, fixes and who should act.

    >>> from ndr.catalog import load_catalog
    >>> classify(load_catalog(), status="5.1.1", reply="550", text="User unknown").reason
    'userunknown'
    """
    reason_id, rule, entry = decide(catalog, status=status, reply=reply, text=text, action=action,
                                    remote_mta=remote_mta, recipient=recipient, preset=preset,
                                    reporting_mta=reporting_mta, smtp_command=smtp_command,
                                    diagnostic_type=diagnostic_type, extensions=extensions,
                                    notice=notice)
    reason = catalog.reason(reason_id)
    # STYLE.md: hard only where the address itself is bad; a delay or a non-failure never is.
    hard = (action != "delayed" and action not in _SUCCESS and preset not in _FEEDBACK
            and reason.is_hard(codes.class_of(status, reply) or "5"))
    if entry is not None and entry.reason != reason_id and not entry.causes.get(lang):
        entry = None  # a bare registry title that says something else would only confuse
    summary = (entry.title.get(lang) if entry is not None else "") or reason.summary.get(lang)
    causes = entry.causes.get(lang) if entry is not None else ()
    fixes = entry.fixes.get(lang) if entry is not None else ()
    if not fixes and reason.advice.get(lang):
        fixes = (reason.advice.get(lang),)
    who = entry.who if entry is not None else ()
    return Classification(reason=reason_id, rule=rule, hard=hard, entry=entry, summary=summary,
                          causes=tuple(causes), fixes=tuple(fixes), who=who)
