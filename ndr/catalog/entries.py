"""The catalog's typed entries: reasons, code entries, host rules, and the indexed ``Catalog``."""

import pickle
import warnings
from dataclasses import dataclass, field
from functools import cached_property
from collections.abc import Container
from typing import TYPE_CHECKING, Any, Mapping, NamedTuple

from .match import Pattern
from .phrase_index import PatternTable
from .notices import Notices, compile_notices

if TYPE_CHECKING:  # imported where used: a bounce decided by its delivery-status part needs neither
    from .layouts import Check, Layout
    from .webhooks import WebhookEntry


class Text(NamedTuple):
    """Localised text: English always, other languages where the catalog has them."""

    values: Mapping[str, str]

    def get(self, lang: str = "en") -> str:
        return self.values.get(lang) or self.values.get(lang.split("-")[0]) or self.values.get("en", "")


class TextList(NamedTuple):
    """Localised list of sentences (causes, fixes)."""

    values: Mapping[str, tuple[str, ...]]

    def get(self, lang: str = "en") -> tuple[str, ...]:
        return self.values.get(lang) or self.values.get("en", ())


@dataclass(frozen=True)  # no slots: a __dict__ unpickles in one C call (see catalog/cache.py)
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


@dataclass(frozen=True)  # no slots: a __dict__ unpickles in one C call (see catalog/cache.py)
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


def names_detail(entry: CodeEntry | None) -> bool:
    """True when ``entry`` is for a code that says more than its class and subject (``X.1.1``,
    not ``X.1.0``): classification then never reads the reporting MTA's own words about the
    recipient (``classify``, step 4: the notice), and a decoder need not compose them."""
    status = entry.status if entry is not None else None
    return bool(status and status.rsplit(".", 1)[-1] != "0")


class HostRule(NamedTuple):
    reason: str
    status: str | None
    reply: str | None
    phrase: Pattern | None
    command: str | None = None
    """The SMTP command the reply answered (``rcpt``, ``data`` …), when the rule needs it."""


class Host(NamedTuple):
    """Classification rules for one receiving provider, keyed by host or recipient domain."""

    id: str
    name: str
    remote_hosts: tuple[str, ...]
    domains: tuple[str, ...]
    rules: tuple[HostRule, ...]
    source: str
    notices: Mapping[str, tuple[str, ...]] = {}  # shared by hosts without marks: never changed
    """Marks of the notices this provider's own MTA writes (``headers`` present, ``from``
    fragments, ``body`` phrases; lowercase): a notice showing one was reported by it."""


@dataclass(frozen=True, eq=False)
class Catalog:
    """The validated, indexed catalog. Immutable; build it with ``load_catalog``.

    Compared and hashed by identity (one per loaded file set). Its compiled forms are typed
    properties built on first use, once per catalog: the layouts and their detectors, the
    ``notices`` section, and the indexes classification looks things up in.
    """

    reasons: Mapping[str, Reason]
    codes: tuple[CodeEntry, ...]
    hosts: tuple[Host, ...]
    vendors: tuple[Mapping[str, Any], ...]
    """Vendor format entries, as validated data; the table decoder compiles them."""
    webhooks: tuple[Mapping[str, Any], ...] = ()
    """Email service providers' own bounce classifications (SES bounceType/bounceSubType,
    SendGrid bounce classification …) mapped to reasons, as validated data (``ndr.webhooks``)."""
    path: str = ""
    overrides: tuple[str, ...] = ()
    """Ids of shipped entries that a user catalog replaced."""
    exact: Mapping[str, CodeEntry] = field(default_factory=dict)
    by_subject: Mapping[str, CodeEntry] = field(default_factory=dict)
    ranges: tuple[tuple[str, int, int, CodeEntry], ...] = ()
    phrases: PatternTable[tuple[str, CodeEntry | None]] = field(default_factory=lambda: PatternTable(()))
    """Phrase patterns in precedence order, payload (reason id, code entry or None)."""
    notices_data: Mapping[str, Any] = field(default_factory=dict)
    """The ``notices`` section as validated data (``notices`` compiles it)."""
    deprecations: tuple[str, ...] = ()
    """What the files say in a way that still works but will not always (``ndr catalog check``)."""

    def __getstate__(self) -> dict[str, Any]:
        """What a pickle holds (the disk cache, workers): the fields, the compiled forms built
        so far, the ``notices`` section compiled with its search plans (``Notices.prepare``) and
        the compiled layouts: built once with the catalog rather than in every process that
        reads a bounce."""
        state = dict(self.__dict__)
        if self.notices is not None:
            if self.notices.planned is None:
                self.notices.prepare()
            state["notices"] = self.notices
        # The vendor layouts and their detectors too, which a bounce the table or the fallback
        # reads would otherwise compile in its own process; as bytes, unpickled when first read,
        # so that the common RFC 3464 report does not pay for them.
        state.pop("layouts", None)
        state.pop("detectors", None)
        state["_layouts_kept"] = pickle.dumps((self.layouts, self.detectors), protocol=pickle.HIGHEST_PROTOCOL)
        return state

    def _kept_layouts(self) -> "tuple[tuple[Layout, ...], tuple[tuple[Layout, tuple[Check, ...]], ...]] | None":
        """The layouts and detectors a pickle brought (``__getstate__``), once; else None."""
        kept = self.__dict__.pop("_layouts_kept", None)
        if kept is None:
            return None
        layouts, detectors = pickle.loads(kept)
        self.__dict__["layouts"], self.__dict__["detectors"] = layouts, detectors
        return layouts, detectors

    @cached_property
    def cache(self) -> dict[str, Any]:
        """Deprecated: compiled forms are the typed properties of the catalog now. A plain dict,
        one per catalog, for code written before."""
        warnings.warn("Catalog.cache is deprecated: use the catalog's typed properties "
                      "(layouts, notices, host_index ...)", DeprecationWarning, stacklevel=2)
        return {}

    @cached_property
    def layouts(self) -> "tuple[Layout, ...]":
        """The ``vendors`` layouts the table decoder runs, compiled."""
        kept = self._kept_layouts()
        if kept is not None:
            return kept[0]
        from .layouts import compile_layouts

        return compile_layouts(self.vendors)

    @cached_property
    def detectors(self) -> "tuple[tuple[Layout, tuple[Check, ...]], ...]":
        """Each layout with its detect alternatives as grouped checks."""
        kept = self._kept_layouts()
        if kept is not None:
            return kept[1]
        from .layouts import detectors

        return detectors(self.layouts)

    @cached_property
    def notices(self) -> Notices | None:
        """The ``notices`` section, compiled; None when the catalog has none."""
        return compile_notices(dict(self.notices_data)) if self.notices_data else None

    @cached_property
    def host_index(self) -> tuple[Mapping[str, tuple[Host, ...]], Mapping[str, tuple[Host, ...]]]:
        """Host suffix → hosts, for remote host names and for recipient domains."""
        remote: dict[str, list[Host]] = {}
        domains: dict[str, list[Host]] = {}
        for host in self.hosts:
            for suffix in host.remote_hosts:
                remote.setdefault(suffix.strip(".").lower(), []).append(host)
            for suffix in host.domains:
                domains.setdefault(suffix.strip(".").lower(), []).append(host)
        return ({k: tuple(v) for k, v in remote.items()}, {k: tuple(v) for k, v in domains.items()})

    @cached_property
    def webhook_index(self) -> "Mapping[tuple[str, str], WebhookEntry]":
        """(provider, event key) → the ``webhooks`` entry for it."""
        from .webhooks import index

        return index(self.webhooks)

    @cached_property
    def explainers(self) -> Mapping[str, CodeEntry]:
        """Phrase (as written) → the code entry that ``explains`` it."""
        table: dict[str, CodeEntry] = {}
        for entry in self.codes:
            for pattern in entry.explains:
                table.setdefault(pattern.source, entry)
        return table

    @cached_property
    def field_reasons(self) -> Mapping[str, Mapping[str, str]]:
        """DSN extension field → its value → the reason that lists it in ``dsn_fields``."""
        table: dict[str, dict[str, str]] = {}
        for reason in self.reasons.values():
            for name, values in reason.dsn_fields.items():
                for value in values:
                    table.setdefault(name, {})[value] = reason.id
        return table

    @cached_property
    def type_claims(self) -> Mapping[str, Reason]:
        """Diagnostic-Code type → the first reason by priority that lists it."""
        return self._claims("diagnostic_types")

    @cached_property
    def command_claims(self) -> Mapping[str, Reason]:
        """SMTP command → the first reason by priority that lists it in ``commands``."""
        return self._claims("commands")

    def _claims(self, name: str) -> dict[str, Reason]:
        table: dict[str, Reason] = {}
        for reason in sorted(self.reasons.values(), key=lambda r: r.priority):
            for value in getattr(reason, name):
                table.setdefault(value, reason)
        return table

    @cached_property
    def entry_patterns(self) -> PatternTable[CodeEntry]:
        """Code entries' own patterns, for entries with a concrete code (no ``X``)."""
        return PatternTable.build((pattern, entry) for entry in self.codes
                                  if entry.status and "X" not in entry.status for pattern in entry.patterns)

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
        if prefix in self.range_prefixes and detail.isdigit():
            number = int(detail)
            for range_prefix, low, high, candidate in self.ranges:
                if range_prefix == prefix and low <= number <= high:
                    return candidate
        return self.by_subject.get(status[2:])

    def detailed(self, status: str | None) -> bool:
        """``names_detail`` of every entry ``code_entry`` may give for ``status``, whichever
        vendors matched the bounce (all it depends on is whether the exact entry's vendor did)."""
        exact = self.exact.get(status) if status else None
        vendors = frozenset((exact.vendor,)) if exact is not None and exact.vendor is not None else frozenset()
        return names_detail(self.code_entry(status)) and names_detail(self.code_entry(status, vendors))

    @cached_property
    def range_prefixes(self) -> frozenset[str]:
        """The ``C.S`` parts of the ranges (``5.7`` of ``5.7.900-999``): most codes are in none."""
        return frozenset(prefix for prefix, _, _, _ in self.ranges)

    @cached_property
    def by_id(self) -> Mapping[str, CodeEntry]:
        """Code entries by id."""
        return {candidate.id: candidate for candidate in self.codes}

    def entry(self, entry_id: str) -> CodeEntry | None:
        """A code entry by id."""
        return self.by_id.get(entry_id)

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
