"""The catalog's typed entries: reasons, code entries, host rules, and the indexed ``Catalog``."""
from __future__ import annotations

from dataclasses import dataclass, field
from collections.abc import Container
from typing import Any, Mapping

from .match import Pattern, PatternTable


@dataclass(frozen=True, slots=True)
class Text:
    """Localised text: English always, other languages where the catalog has them."""

    values: Mapping[str, str]

    def get(self, lang: str = "en") -> str:
        return self.values.get(lang) or self.values.get(lang.split("-")[0]) or self.values.get("en", "")


@dataclass(frozen=True, slots=True)
class TextList:
    """Localised list of sentences (causes, fixes)."""

    values: Mapping[str, tuple[str, ...]]

    def get(self, lang: str = "en") -> tuple[str, ...]:
        return self.values.get(lang) or self.values.get("en", ())


@dataclass(frozen=True, slots=True)
class Reason:
    """A bounce reason (``userunknown``, ``mailboxfull`` ...)."""

    id: str
    priority: int
    hard: str
    default_status: str | None
    summary: Text
    advice: Text
    patterns: tuple[Pattern, ...]
    source: str
    after_data: str | None = None
    """The reason this one becomes when the server said it in answer to DATA (the address was
    accepted at RCPT, so a "user unknown" then is the content being refused: ``filtered``)."""
    commands: tuple[str, ...] = ()
    """SMTP commands (``connect``, ``helo``, ``ehlo``, ``mail``, ``rcpt``, ``data``) whose
    failure means this reason when no host rule, decisive code or phrase said more."""
    diagnostic_types: tuple[str, ...] = ()
    """Diagnostic-Code types (lowercase, e.g. ``x-unix``: a local delivery program, not an SMTP
    server) whose diagnostics mean this reason, ahead of codes and phrases."""
    yields_to: tuple[str, ...] = ()
    """For ``diagnostic_types``: reasons whose phrase, found first in the text, decides instead."""
    dsn_fields: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Extension fields of a recipient's delivery-status block (lowercase name → lowercase
    values) whose value is a vendor's own verdict meaning this reason (PowerMTA's
    ``x-powermta-bouncecategory: bad-mailbox`` → ``userunknown``)."""
    retried: Text = field(default_factory=lambda: Text({}))
    """For ``expired``: the summary's lead when a last real error explains the expiry
    ("Expired after retrying: <the error's title>")."""

    def is_hard(self, klass: str | None) -> bool:
        """Whether a failure of this reason is hard, given the class digit of its code."""
        return self.hard == "always" or (self.hard == "permanent" and klass == "5")


@dataclass(frozen=True, slots=True)
class CodeEntry:
    """What a status code means: title, reason, causes, fixes, who should act."""

    id: str
    status: str | None
    reply: str | None
    title: Text
    reason: str
    decisive: bool
    permanent: bool | None
    vendor: str | None
    causes: TextList
    fixes: TextList
    who: tuple[str, ...]
    patterns: tuple[Pattern, ...]
    source: str
    yields_to: tuple[str, ...] = ()
    """Reasons whose phrases, when they are the first to occur in the text, overrule this
    (decisive) code: the text names a more specific condition than the code (a ``5.1.1`` from
    an MDA whose text says the mailbox is over quota)."""
    explains: tuple[Pattern, ...] = ()
    """Texts this entry explains without deciding their reason (``did not accept our requests to
    connect`` is explained by the connection-timeout entry although the queue gave up)."""
    general: str | None = None
    """For a vendor's entry: the id of the entry that explains the same condition to a general
    mail administrator, used unless that vendor reported the failure (DECISIONS "Language":
    Microsoft 365 advice is chosen by who reported it)."""
    rfc_status: str | None = None
    """The registered RFC 3463 code a generated report states for this condition."""


@dataclass(frozen=True, slots=True)
class HostRule:
    reason: str
    status: str | None
    reply: str | None
    phrase: Pattern | None
    command: str | None = None
    """The SMTP command the reply answered (``rcpt``, ``data`` …), when the rule needs it."""


@dataclass(frozen=True, slots=True)
class Host:
    """Classification rules for one receiving provider, keyed by host or recipient domain."""

    id: str
    name: str
    remote_hosts: tuple[str, ...]
    domains: tuple[str, ...]
    rules: tuple[HostRule, ...]
    source: str
    notices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Marks of the notices this provider's own MTA writes (``headers`` present, ``from``
    fragments, ``body`` phrases; lowercase): a notice showing one was reported by it."""


@dataclass(frozen=True)
class Catalog:
    """The validated, indexed catalog. Immutable; build it with ``load_catalog``."""

    reasons: Mapping[str, Reason]
    codes: tuple[CodeEntry, ...]
    hosts: tuple[Host, ...]
    vendors: tuple[Mapping[str, Any], ...]
    """Vendor format entries, as validated data; the table decoder compiles them."""
    path: str = ""
    overrides: tuple[str, ...] = ()
    """Ids of shipped entries that a user catalog replaced."""
    exact: Mapping[str, CodeEntry] = field(default_factory=dict)
    by_subject: Mapping[str, CodeEntry] = field(default_factory=dict)
    ranges: tuple[tuple[str, int, int, CodeEntry], ...] = ()
    phrases: PatternTable[tuple[str, CodeEntry | None]] = field(default_factory=lambda: PatternTable(()))
    """Phrase patterns in precedence order, payload (reason id, code entry or None)."""
    cache: dict[str, Any] = field(default_factory=dict, compare=False)
    """Per-catalog compiled artefacts of other modules (e.g. the table decoder's layouts)."""

    def code_entry(self, status: str | None, vendors: frozenset[str] = frozenset()) -> CodeEntry | None:
        """The entry for an exact code, else its range, else its registry (X) form.

        A vendor's entry for a code that the registry also defines (Microsoft's 5.1.1) applies
        only when that vendor is in ``vendors`` (the hosts that matched the bounce); a code only
        the vendor defines (4.4.316) applies everywhere.
        """
        if not status:
            return None
        entry = self.exact.get(status)
        if entry is not None and (entry.vendor is None or entry.vendor in vendors
                                  or status[2:] not in self.by_subject):
            return entry
        prefix, _, detail = status.rpartition(".")
        if detail.isdigit():
            number = int(detail)
            for range_prefix, low, high, candidate in self.ranges:
                if range_prefix == prefix and low <= number <= high:
                    return candidate
        return self.by_subject.get(status[2:])

    def entry(self, entry_id: str) -> CodeEntry | None:
        """A code entry by id."""
        by_id: dict[str, CodeEntry] | None = self.cache.get("catalog.by-id")
        if by_id is None:
            by_id = self.cache["catalog.by-id"] = {candidate.id: candidate for candidate in self.codes}
        return by_id.get(entry_id)

    def scoped(self, entry: CodeEntry | None, reporters: Container[str]) -> CodeEntry | None:
        """``entry``, or its ``general`` counterpart when the entry's vendor did not report the
        failure (``reporters``: the vendors whose MTA wrote the notice)."""
        if entry is None or entry.general is None or entry.vendor in reporters:
            return entry
        return self.entry(entry.general) or entry

    def reason(self, reason_id: str) -> Reason:
        """A reason by id (``undefined`` when unknown)."""
        return self.reasons.get(reason_id) or self.reasons["undefined"]

    def entries_for_pattern(self, folded: str) -> list[CodeEntry]:
        """Code entries whose own patterns occur in ``folded`` text."""
        return [e for e in self.codes if any(p.search(folded) for p in e.patterns)]
