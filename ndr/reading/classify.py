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

import enum
import functools
import re
from collections.abc import Container, Mapping
from typing import NamedTuple

from ..catalog import codes
from ..catalog import Catalog, CodeEntry, Host, Reason
from ..catalog.entries import names_detail
from ..catalog.match import Pattern, fold
from ..catalog.notices import command_in
from ..model import SUCCESS_ACTIONS

_UNSTATED = frozenset({"undefined", "onhold"})
_FEEDBACK = {"feedback", "vacation"}

# The command a reply answered, as MTAs write it in the diagnostic when the decoder did not
# isolate it, comes from the catalog's ``notices.commands`` markers (one list for decoders and
# classification); these spellings of a command name the canonical one.
_CANONICAL = {"end of data": "data", ".": "data", "text": "data", "rcpt to": "rcpt", "rcpt_to": "rcpt",
              "recipient": "rcpt", "mail from": "mail", "initial connection": "connect",
              "greeting": "connect", "conn": "connect", "banner": "connect", "starttls": "ehlo"}


class RuleKind(enum.StrEnum):
    """Which precedence step decided (module docstring); a rule id reads ``<kind>:<detail>``."""

    FORMAT = "format"
    ACTION = "action"
    HOST = "host"
    FIELD = "field"
    TYPE = "type"
    CODE = "code"
    PHRASE = "phrase"
    NOTICE = "notice"
    COMMAND = "command"
    SUBJECT = "subject"
    UNDEFINED = "undefined"


_SPECIFIC = frozenset({RuleKind.HOST, RuleKind.FIELD, RuleKind.TYPE, RuleKind.PHRASE, RuleKind.NOTICE,
                       RuleKind.COMMAND})
"""Steps that name the failure itself: a delay keeps their reason."""
_BY_TEXT = frozenset({RuleKind.PHRASE, RuleKind.NOTICE})
_BY_ADDRESS = frozenset({RuleKind.HOST, RuleKind.FIELD})
"""Steps that speak about the address itself (never adjusted for DATA)."""


class Rule(NamedTuple):
    """The rule that decided a reason: its kind, what in it (an entry, a host rule, a phrase),
    and the adjustments made after (``+after-data``)."""

    kind: RuleKind
    detail: str = ""
    suffix: str = ""

    def but(self, suffix: str) -> "Rule":
        return Rule(self.kind, self.detail, self.suffix + suffix)

    def __str__(self) -> str:
        return f"{self.kind}:{self.detail}{self.suffix}" if self.detail else f"{self.kind}{self.suffix}"


def _phrase(kind: RuleKind, reason: str, pattern: Pattern) -> Rule:
    return Rule(kind, f"{reason}:{pattern.source}")


class Classification(NamedTuple):
    """The catalog's reading of one recipient: reason, hardness, the rule that decided, advice."""

    reason: str
    rule: str
    hard: bool
    entry: CodeEntry | None
    summary: str
    causes: tuple[str, ...]
    fixes: tuple[str, ...]
    who: tuple[str, ...]


# Archives repeat the same MTAs and domains, so most lookups are hits.
@functools.lru_cache(maxsize=8192)
def _named(catalog: Catalog, domain: bool, name: str) -> tuple[Host, ...]:
    """The hosts whose suffix rules (remote hosts, or recipient domains) match ``name``."""
    index = catalog.host_index[1 if domain else 0]
    suffix = name.strip().strip("[]<>").rstrip(".").lower()
    found: tuple[Host, ...] = ()
    while suffix:  # a.b.c, b.c, c: the names a suffix rule may be written as
        found += index.get(suffix, ())
        suffix = suffix.partition(".")[2]
    return found


def hosts_for(catalog: Catalog, remote_mta: str | None, recipient: str | None,
              reporting_mta: str | None = None) -> list[Host]:
    """Catalog hosts whose remote host suffix (remote or reporting MTA) or recipient domain
    suffix matches, remote host matches first."""
    remote, domains = catalog.host_index
    named = ((_named(catalog, False, remote_mta) if remote_mta and remote else ())
             + (_named(catalog, False, reporting_mta) if reporting_mta and remote else ())
             + (_named(catalog, True, recipient.rpartition("@")[2])
                if recipient and domains and "@" in recipient else ()))
    found: list[Host] = []
    for host in named:
        if host not in found:
            found.append(host)
    return found


def command_of(catalog: Catalog, smtp_command: str | None, folded: str) -> str | None:
    """The SMTP command the error answered — ``connect``, ``helo``, ``ehlo``, ``mail``, ``rcpt``
    or ``data`` — from the decoder's field, else from the text (the catalog's markers); None
    when unknown."""
    if smtp_command:
        word = " ".join(smtp_command.lower().split())
    else:
        named = command_in(catalog.notices, folded)
        if named is None:
            return None
        word = named.lower()
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
               folded: str, command: str | None = None) -> tuple[str, Rule, Pattern | None] | None:
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
            return rule.reason, Rule(RuleKind.HOST, f"{host.id}#{index}"), rule.phrase
    return None


def reason_for(catalog: Catalog, *, status: str | None, reply: str | None, text: str | None,
           action: str | None = None, remote_mta: str | None = None, recipient: str | None = None,
           preset: str | None = None, reporting_mta: str | None = None,
           smtp_command: str | None = None, diagnostic_type: str | None = None,
           extensions: Mapping[str, str] | None = None,
           notice: str | None = None) -> tuple[str, str, CodeEntry | None]:
    """(reason id, rule id, explaining code entry) by the precedence in the module docstring."""
    if preset:
        return preset, str(Rule(RuleKind.FORMAT, preset)), catalog.code_entry(status)
    if action in SUCCESS_ACTIONS:
        return "delivered", str(Rule(RuleKind.ACTION, action or "")), catalog.code_entry(status)
    folded = fold(text) if text else ""
    # Of the recipient, only its domain (host rules) and whether the reply quotes it count: the
    # key of the memo below, so the same reply to another address of a domain is a hit.
    domain = "@" + recipient.rpartition("@")[2] if recipient and "@" in recipient else None
    args = (catalog, status, reply, folded, action, remote_mta, domain, reporting_mta, smtp_command,
            diagnostic_type, tuple(extensions.items()) if extensions else None,
            notice or "", _names_recipient(folded, recipient))
    # (a long text is not kept alive for the memo; the notice is folded only if step 4 reads it)
    return _reason(*args) if len(folded) + len(notice or "") <= 4096 else _reason.__wrapped__(*args)


# Archives repeat the same replies (a provider's "mailbox full" to every address it refuses)
@functools.lru_cache(maxsize=1024)
def _reason(catalog: Catalog, status: str | None, reply: str | None, folded: str, action: str | None,
            remote_mta: str | None, domain: str | None, reporting_mta: str | None,
            smtp_command: str | None, diagnostic_type: str | None,
            extensions: tuple[tuple[str, str], ...] | None, notice: str,
            names: str | None) -> tuple[str, str, CodeEntry | None]:
    # Host rules only from the remote side (who refused), or from the reporting MTA when the
    # notice names no remote server (the reporter then is the system that refused); vendor
    # context also from the reporting MTA (whose codes these are).
    rule_hosts = hosts_for(catalog, remote_mta or reporting_mta, domain)  # "@domain" reads as an address
    context = rule_hosts + [h for h in hosts_for(catalog, reporting_mta, None) if h not in rule_hosts] \
        if remote_mta else rule_hosts  # (else the reporting MTA's hosts are rule hosts already)
    entry = catalog.code_entry(status, frozenset(h.id for h in context) if context else frozenset())
    command = command_of(catalog, smtp_command, folded) or names
    reason, rule, found, pattern = _decide(catalog, status, folded, reply, rule_hosts, entry, command,
                                           _typed(catalog, diagnostic_type) if diagnostic_type else None,
                                           _vendor_field_reason(catalog, extensions) if extensions else None,
                                           notice)
    if pattern is not None and (found is None or not found.decisive):
        # The phrase that decided may be explained by a more specific entry than the code's.
        found = catalog.explainers.get(pattern.source, found)
    if reason == "undefined" and folded and "onhold" in catalog.reasons:
        # A failure whose text names nothing the catalog knows: the receiving side did not say
        # why (onhold); undefined is left for a bounce with no text at all.
        reason, rule = "onhold", rule.but("+unstated")
    decisive_code = rule.kind is RuleKind.CODE and entry is not None and entry.decisive
    if action == "delayed" and not (rule.kind in _SPECIFIC or decisive_code):
        # DECISIONS "reason for given-up messages": a delay notice is no expiry. A code that
        # says more than its class keeps its reason (421 4.3.2: notaccept); a delay that names
        # no cause is still being retried over the network (networkerror).
        if rule.kind in (RuleKind.CODE, RuleKind.SUBJECT) and entry is not None and entry.status \
                and not entry.status.endswith(".0.0"):
            return reason, str(rule), found
        return "networkerror", str(Rule(RuleKind.ACTION, "delayed")), entry
    claimed = _command_reason(catalog, command)
    if claimed is not None and claimed != reason and rule.kind in _BY_TEXT \
            and catalog.reason(reason).hard == "always":
        # "unknown" / "not found" said in answer to MAIL FROM or HELO is about the sender's
        # address or the client's name, not the recipient's: the command's reason decides.
        return claimed, str(rule.but(f"+{command}")), found
    if command == "data" or (command is None and rule.kind in _BY_TEXT):
        after = catalog.reason(reason).after_data
        # Not when a host rule, a vendor's verdict, a decisive code, or a phrase standing for a decisive code (a
        # vendor's rendering of 5.1.1 without the code) decided: those name the address itself.
        if after and rule.kind not in _BY_ADDRESS and not decisive_code and not (
                rule.kind in _BY_TEXT and found is not None and found.decisive and found.reason == reason):
            return after, str(rule.but("+after-data" if command == "data" else "+no-rcpt")), found
    return reason, str(rule), found


def _vendor_field_reason(catalog: Catalog,
                         extensions: tuple[tuple[str, str], ...] | None) -> tuple[str, Rule] | None:
    """(reason, rule) when an extension field of the recipient's block carries a vendor's
    verdict a reason lists in ``dsn_fields``, else None."""
    if not extensions:
        return None
    for name, value in extensions:
        known = catalog.field_reasons.get(name)
        if known is not None:
            said = " ".join(value.lower().split())
            reason = known.get(said)
            if reason is not None:
                return reason, Rule(RuleKind.FIELD, f"{name}={said}")
    return None


def _typed(catalog: Catalog, diagnostic_type: str | None) -> tuple[str, Reason] | None:
    """(type, reason) when a reason claims this Diagnostic-Code type (``x-unix``), else None."""
    if not diagnostic_type:
        return None
    name = diagnostic_type.strip().lower()
    claimed = catalog.type_claims.get(name)
    return (name, claimed) if claimed is not None else None


def _command_reason(catalog: Catalog, command: str | None) -> str | None:
    """The reason whose ``commands`` lists ``command`` (first by priority), if any."""
    claimed = catalog.command_claims.get(command) if command is not None else None
    return claimed.id if claimed is not None else None


def _decide(catalog: Catalog, status: str | None, folded: str, reply: str | None,
            hosts: list[Host], entry: CodeEntry | None, command: str | None = None,
            typed: tuple[str, Reason] | None = None, vendor_reason: tuple[str, Rule] | None = None,
            notice: str = "") -> tuple[str, Rule, CodeEntry | None, Pattern | None]:
    """Steps 1–5 of the precedence: (reason, rule, entry, the phrase that decided or None)."""
    hit = _host_rule(hosts, status, reply, folded, command) if hosts else None
    if hit is not None:
        return hit[0], hit[1], entry, hit[2]
    if vendor_reason is not None:
        # The sending MTA's own classification of the reply (it knows its vendor's texts).
        return vendor_reason[0], vendor_reason[1], entry, None
    if typed is not None:
        # A local program's diagnostic: its failure, unless it first names a reason the type
        # yields to (a delivery agent reporting the mailbox over quota).
        name, owner = typed
        phrase = catalog.phrases.first(folded) if folded and owner.yields_to else None
        if phrase is not None and phrase[1][0] in owner.yields_to:
            pattern, (reason, code_entry) = phrase
            return reason, _phrase(RuleKind.PHRASE, reason, pattern), code_entry or entry, pattern
        return owner.id, Rule(RuleKind.TYPE, name), entry, None
    if entry is not None and entry.decisive:
        # A decisive code decides, unless the text first names a reason it yields to.
        phrase = catalog.phrases.first(folded) if folded and entry.yields_to else None
        if phrase is None or phrase[1][0] not in entry.yields_to:
            return entry.reason, Rule(RuleKind.CODE, entry.id), entry, None
        pattern, (reason, code_entry) = phrase
        return reason, _phrase(RuleKind.PHRASE, reason, pattern), code_entry, pattern
    phrase = catalog.phrases.first(folded) if folded else None
    if phrase is not None:
        pattern, (reason, code_entry) = phrase
        # The phrase's own entry (4.4.316 for "connection refused") explains better than a
        # generic registry entry of the code (X.4.1).
        return reason, _phrase(RuleKind.PHRASE, reason, pattern), code_entry or entry, pattern
    by_command = _command_reason(catalog, command)
    if by_command is not None and (entry is None or not entry.status or entry.status.endswith(".0.0")
                                   or entry.status.startswith("X.0.")):
        return by_command, Rule(RuleKind.COMMAND, command or ""), entry, None
    notice = fold(notice) if notice and not names_detail(entry) else ""  # (Catalog.detailed: not read)
    phrase = catalog.phrases.first(notice) if notice else None
    if phrase is not None:
        # The reply names no reason and its code no more than a class or subject (5.1.0); the
        # reporting MTA, which read it, states one.
        pattern, (reason, code_entry) = phrase
        return reason, _phrase(RuleKind.NOTICE, reason, pattern), code_entry or entry, pattern
    if entry is not None:
        return entry.reason, Rule(RuleKind.CODE, entry.id), entry, None
    if status:
        subject = catalog.by_subject.get(status[2:].split(".")[0] + ".0")
        if subject is not None:
            return subject.reason, Rule(RuleKind.SUBJECT, subject.id), subject, None
    return "undefined", Rule(RuleKind.UNDEFINED), None, None


def classify(catalog: Catalog, *, status: str | None, reply: str | None, text: str | None,
             action: str | None = None, remote_mta: str | None = None, recipient: str | None = None,
             preset: str | None = None, lang: str = "en", reporting_mta: str | None = None,
             smtp_command: str | None = None, diagnostic_type: str | None = None,
             extensions: Mapping[str, str] | None = None, notice: str | None = None,
             reporters: Container[str] = frozenset()) -> Classification:
    """Decide the reason and gather the catalog's summary, causes, fixes and who should act.

    >>> from ndr.catalog import load_catalog
    >>> classify(load_catalog(), status="5.1.1", reply="550", text="User unknown").reason
    'userunknown'
    """
    reason_id, rule, entry = reason_for(catalog, status=status, reply=reply, text=text, action=action,
                                    remote_mta=remote_mta, recipient=recipient, preset=preset,
                                    reporting_mta=reporting_mta, smtp_command=smtp_command,
                                    diagnostic_type=diagnostic_type, extensions=extensions,
                                    notice=notice)
    reason = catalog.reason(reason_id)
    # STYLE.md: hard only where the address itself is bad; a delay or a non-failure never is.
    hard = (action != "delayed" and action not in SUCCESS_ACTIONS and preset not in _FEEDBACK
            and reason.is_hard(codes.class_of(status, reply) or "5"))
    # A vendor's advice only when that vendor reported the failure (``reporters``: who wrote
    # the notice, ndr/reading/platform.py); else the entry for any mail administrator.
    entry = catalog.scoped(entry, reporters)
    if entry is not None and entry.reason != reason_id and not entry.causes.get(lang):
        entry = None  # a bare registry title that says something else would only confuse
    if entry is not None and entry.status == "X.0.0" and reason_id not in _UNSTATED:
        entry = None  # the code says no more than its class: the reason's explanation leads
    summary = (entry.title.get(lang) if entry is not None else "") or reason.summary.get(lang)
    causes = entry.causes.get(lang) if entry is not None else ()
    fixes = entry.fixes.get(lang) if entry is not None else ()
    if not fixes and (advice := reason.advice.get(lang)):
        fixes = (advice,)
    who = entry.who if entry is not None else ()
    # (reason, rule, hard, entry, summary, causes, fixes, who)
    return Classification(reason_id, rule, hard, entry, summary, tuple(causes), tuple(fixes), who)


decide = reason_for
"""The old name of ``reason_for`` (``decide`` also names the generator's step in writing/)."""
