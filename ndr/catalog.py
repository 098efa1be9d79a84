"""The catalog: load, validate, index. The only module that reads YAML.

``load_catalog()`` reads the shipped ``catalog.yaml`` (found through the installed package), merges
an optional user catalog by id, validates everything at once — a broken file raises one
``CatalogError`` listing every problem with its line — and returns an immutable ``Catalog`` with
its lookup indexes and compiled patterns. Results are cached per (path, user file), so a process
compiles the catalog once. Nothing is read at import time.
"""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Hashable, Iterable, Mapping

import yaml

from . import codes as codes_mod
from .errors import CatalogError
from .match import Pattern, PatternTable, compile_pattern, pattern_key, pattern_problem

LANGS = ("en", "pt-BR")
HARD_RULES = ("always", "never", "permanent")
WHO = ("sender", "sender-admin", "recipient", "recipient-admin")
SECTIONS = ("reasons", "codes", "hosts", "vendors", "webhooks")
SMTP_COMMANDS = ("connect", "helo", "ehlo", "mail", "rcpt", "data")


# libyaml's parser when PyYAML was built with it (about ten times faster), else the pure one.
# Both construct with SafeConstructor, which is all this module relies on; the checker is told
# the pure one because which one exists is only known at run time.
if TYPE_CHECKING:
    _SafeBase = yaml.SafeLoader
else:
    _SafeBase = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _LineLoader(_SafeBase):
    """A safe loader that records each mapping's line as ``__line__`` (for error locations)."""


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


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
    """Texts this entry explains without deciding their reason (``connection timed out`` is
    explained by the connection-timeout entry even when the queue gave up: reason ``expired``)."""


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


@dataclass(frozen=True)
class Catalog:
    """The validated, indexed catalog. Immutable; build it with ``load_catalog``."""

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
        for candidate in self.codes:
            if candidate.id == entry_id:
                return candidate
        return None

    def reason(self, reason_id: str) -> Reason:
        """A reason by id (``undefined`` when unknown)."""
        return self.reasons.get(reason_id) or self.reasons["undefined"]

    def entries_for_pattern(self, folded: str) -> list[CodeEntry]:
        """Code entries whose own patterns occur in ``folded`` text."""
        return [e for e in self.codes if any(p.search(folded) for p in e.patterns)]


def shipped_catalog_path() -> Path:
    """Where the shipped catalog.yaml is: inside the installed package, else the source tree."""
    packaged = resources.files("ndr") / "catalog.yaml"
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "catalog.yaml"


def load_catalog(extra: str | os.PathLike[str] | None = None,
                 path: str | os.PathLike[str] | None = None) -> Catalog:
    """Load, validate and index the catalog (cached per process).

    ``path`` replaces the shipped catalog; ``extra`` is a user catalog merged into it by id.
    Raises ``CatalogError`` listing every problem when either file is broken.
    """
    base = str(Path(path).resolve()) if path else str(shipped_catalog_path())
    user = str(Path(extra).resolve()) if extra else None
    return _load_cached(base, user, _mtime(base), _mtime(user))


def _mtime(path: str | None) -> float:
    try:
        return os.stat(path).st_mtime if path else 0.0
    except OSError:
        return 0.0


@functools.lru_cache(maxsize=8)
def _load_cached(base: str, user: str | None, _base_mtime: float, _user_mtime: float) -> Catalog:
    data = read_yaml(base)
    overrides: list[str] = []
    label = base
    if user:
        data = merge(data, read_yaml(user), overrides)
        label = f"{base} + {user}"
    problems = validate(data)
    if problems:
        raise CatalogError(label, problems)
    return build(data, label, tuple(overrides))


def read_yaml(path: str) -> dict[str, Any]:
    """Read a catalog file; unreadable or non-mapping files raise ``CatalogError``."""
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_LineLoader)  # noqa: S506 - a SafeLoader subclass
    except OSError as exc:
        raise CatalogError(path, [f"cannot read: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(path, [f"{where}invalid YAML: {problem}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CatalogError(path, ["the top level must be a mapping with sections "
                                  + ", ".join(SECTIONS)])
    for section in SECTIONS:
        data.setdefault(section, [])
    return data


def merge(base: dict[str, Any], extra: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Merge ``extra`` into ``base`` by section and id; replaced ids are appended to ``overrides``."""
    merged = dict(base)
    for section in SECTIONS:
        items = list(base.get(section) or [])
        positions = {item.get("id"): i for i, item in enumerate(items) if isinstance(item, dict)}
        for item in extra.get(section) or []:
            key = item.get("id") if isinstance(item, dict) else None
            if key is not None and key in positions:
                items[positions[key]] = item
                overrides.append(f"{section}:{key}")
            else:
                items.append(item)
        merged[section] = items
    return merged


def _where(section: str, item: Any, index: int) -> str:
    line = item.get("__line__") if isinstance(item, dict) else None
    ident = item.get("id") if isinstance(item, dict) else None
    label = f"{section}[{index}]" + (f" id={ident}" if ident else "")
    return f"line {line}: {label}" if line else label


def _check_text(value: Any, where: str, name: str, problems: list[str], required: bool = True) -> None:
    if value is None:
        if required:
            problems.append(f"{where}: missing {name}")
        return
    if isinstance(value, str):
        return
    if isinstance(value, dict):
        langs = {k for k in value if k != "__line__"}
        if "en" not in langs:
            problems.append(f"{where}: {name} has no 'en' text")
        for lang in langs:
            if not isinstance(value[lang], str):
                problems.append(f"{where}: {name}.{lang} must be a string")
        return
    problems.append(f"{where}: {name} must be a string or a mapping of language to string")


def _check_dsn_fields(value: Any, where: str, rid: str, owner: dict[tuple[str, str], str],
                      problems: list[str]) -> None:
    """``dsn_fields``: lowercase ``x-`` field names to lists of lowercase values, each
    (field, value) pair meaning one reason only."""
    if value is None:
        return
    if not isinstance(value, dict):
        problems.append(f"{where}: dsn_fields must be a mapping of field name to list of values")
        return
    for name, values in value.items():
        if name == "__line__":
            continue
        if not isinstance(name, str) or not name.startswith("x-") or name != name.lower().strip():
            problems.append(f"{where}: dsn_fields name {name!r} must be a lowercase extension "
                            f"field (x-…)")
        if not isinstance(values, list) or not values or any(
                not isinstance(v, str) or not v or v != v.lower().strip() for v in values):
            problems.append(f"{where}: dsn_fields {name!r} must be a list of lowercase values")
            continue
        for v in values:
            other = owner.setdefault((str(name), v), rid)
            if other != rid:
                problems.append(f"{where}: dsn_fields {name}: {v} is also claimed by reason {other!r}")


def _check_text_list(value: Any, where: str, name: str, problems: list[str]) -> None:
    if value is None:
        return
    if isinstance(value, list):
        value = {"en": value}
    if not isinstance(value, dict) or "en" not in value:
        problems.append(f"{where}: {name} must map languages (with 'en') to lists of strings")
        return
    for lang, items in value.items():
        if lang == "__line__":
            continue
        if not isinstance(items, list) or not all(isinstance(s, str) for s in items):
            problems.append(f"{where}: {name}.{lang} must be a list of strings")


def _check_patterns(value: Any, where: str, problems: list[str]) -> None:
    if value is None:
        return
    if not isinstance(value, list):
        problems.append(f"{where}: patterns must be a list")
        return
    seen: set[str] = set()
    for raw in value:
        problem = pattern_problem(raw)
        if problem:
            problems.append(f"{where}: {problem}")
            continue
        key = pattern_key(raw)
        if key in seen:
            problems.append(f"{where}: pattern {raw!r} listed twice")
        seen.add(key)


def _check_status(value: Any, where: str, problems: list[str], allow_range: bool = True) -> None:
    if not isinstance(value, str) or not (
        codes_mod.STATUS_SHAPE.match(value) or (allow_range and codes_mod.STATUS_RANGE_SHAPE.match(value))
    ):
        problems.append(f"{where}: malformed status code {value!r} (want C.S.D with class 2, 4, 5 or X)")
        return
    if value.count(".") == 2 and int(value.split(".")[1]) > 7 and value[0] != "X":
        problems.append(f"{where}: status {value!r} has subject above 7")
    if "-" in value:
        low, high = value.rsplit(".", 1)[1].split("-")
        if int(low) > int(high):
            problems.append(f"{where}: status range {value!r} runs backwards")


def _check_reply(value: Any, where: str, problems: list[str]) -> None:
    if not codes_mod.REPLY_SHAPE.match(str(value)):
        problems.append(f"{where}: malformed reply code {value!r} (want three digits, class 2, 4 or 5)")


def validate(data: dict[str, Any]) -> list[str]:
    """Every problem in a catalog (as read by ``read_yaml``), each with its location."""
    problems: list[str] = []
    for section in SECTIONS:
        if not isinstance(data.get(section), list):
            problems.append(f"section {section!r} must be a list")
    if problems:
        return problems
    reason_ids: set[str] = set()
    priorities: dict[int, str] = {}
    owner: dict[str, str] = {}
    field_owner: dict[tuple[str, str], str] = {}
    for index, item in enumerate(data["reasons"]):
        where = _where("reasons", item, index)
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        rid = item.get("id")
        if not isinstance(rid, str) or not rid:
            problems.append(f"{where}: missing id")
            continue
        if rid in reason_ids:
            problems.append(f"{where}: duplicate id {rid!r}")
        reason_ids.add(rid)
        priority = item.get("priority")
        if not isinstance(priority, int):
            problems.append(f"{where}: priority must be an integer")
        elif priority in priorities:
            problems.append(f"{where}: priority {priority} already used by {priorities[priority]!r}")
        else:
            priorities[priority] = rid
        if item.get("hard") not in HARD_RULES:
            problems.append(f"{where}: hard must be one of {', '.join(HARD_RULES)}")
        if item.get("default_status") is not None:
            _check_status(item["default_status"], where, problems, allow_range=False)
        _check_text(item.get("summary"), where, "summary", problems)
        _check_text(item.get("advice"), where, "advice", problems, required=False)
        _check_patterns(item.get("patterns"), where, problems)
        if item.get("after_data") is not None and not isinstance(item["after_data"], str):
            problems.append(f"{where}: after_data must be a reason id")
        commands = item.get("commands") or []
        if not isinstance(commands, list) or any(c not in SMTP_COMMANDS for c in commands):
            problems.append(f"{where}: commands must be a list of {', '.join(SMTP_COMMANDS)}")
        types = item.get("diagnostic_types") or []
        if not isinstance(types, list) or any(not isinstance(t, str) or not t or t != t.lower()
                                              for t in types):
            problems.append(f"{where}: diagnostic_types must be a list of lowercase type names")
        if not isinstance(item.get("yields_to") or [], list):
            problems.append(f"{where}: yields_to must be a list of reason ids")
        _check_dsn_fields(item.get("dsn_fields"), where, rid, field_owner, problems)
        for raw in item.get("patterns") or []:
            if pattern_problem(raw) is None:
                key = pattern_key(raw)
                if key in owner and owner[key] != rid:
                    problems.append(f"{where}: pattern {raw!r} is also claimed by reason {owner[key]!r}")
                owner.setdefault(key, rid)
        if not item.get("source"):
            problems.append(f"{where}: missing source")
    if "undefined" not in reason_ids:
        problems.append("reasons: the reason 'undefined' is required (the last fallback)")
    for index, item in enumerate(data["reasons"]):
        if isinstance(item, dict) and isinstance(item.get("after_data"), str) \
                and item["after_data"] not in reason_ids:
            problems.append(f"{_where('reasons', item, index)}: after_data names unknown reason "
                            f"{item['after_data']!r}")
        if isinstance(item, dict) and isinstance(item.get("yields_to"), list):
            for other in item["yields_to"]:
                if other not in reason_ids:
                    problems.append(f"{_where('reasons', item, index)}: yields_to names unknown "
                                    f"reason {other!r}")

    ids: set[str] = set()
    statuses: dict[str, str] = {}
    for index, item in enumerate(data["codes"]):
        where = _where("codes", item, index)
        if not isinstance(item, dict):
            problems.append(f"{where}: must be a mapping")
            continue
        cid = item.get("id")
        if not isinstance(cid, str) or not cid:
            problems.append(f"{where}: missing id")
        elif cid in ids:
            problems.append(f"{where}: duplicate id {cid!r}")
        ids.add(str(cid))
        status = item.get("status")
        if status is not None:
            _check_status(status, where, problems)
            if isinstance(status, str):
                if status in statuses:
                    problems.append(f"{where}: status {status} already described by {statuses[status]!r}")
                statuses[status] = str(cid)
        reply = item.get("reply")
        if reply is not None:
            _check_reply(reply, where, problems)
            if isinstance(status, str) and not codes_mod.agree(str(reply), status):
                problems.append(f"{where}: reply {reply} and status {status} disagree on class")
        if item.get("reason") not in reason_ids:
            problems.append(f"{where}: unknown reason {item.get('reason')!r}")
        if "decisive" in item and not isinstance(item["decisive"], bool):
            problems.append(f"{where}: decisive must be true or false")
        if item.get("permanent") is not None and not isinstance(item["permanent"], bool):
            problems.append(f"{where}: permanent must be true or false")
        if (isinstance(status, str) and status[0] in "45" and isinstance(item.get("permanent"), bool)
                and item["permanent"] != (status[0] == "5")):
            problems.append(f"{where}: permanent={item['permanent']} contradicts class {status[0]}")
        _check_text(item.get("title"), where, "title", problems)
        _check_text_list(item.get("causes"), where, "causes", problems)
        _check_text_list(item.get("fixes"), where, "fixes", problems)
        who = item.get("who") or []
        if not isinstance(who, list) or any(w not in WHO for w in who):
            problems.append(f"{where}: who must be a list of {', '.join(WHO)}")
        _check_patterns(item.get("patterns"), where, problems)
        _check_patterns(item.get("explains"), where, problems)
        yields = item.get("yields_to") or []
        if not isinstance(yields, list) or any(y not in reason_ids for y in yields):
            problems.append(f"{where}: yields_to must be a list of reason ids")
        if not item.get("source"):
            problems.append(f"{where}: missing source")

    host_ids: set[str] = set()
    for index, item in enumerate(data["hosts"]):
        where = _where("hosts", item, index)
        if not isinstance(item, dict) or not item.get("id"):
            problems.append(f"{where}: must be a mapping with an id")
            continue
        if item["id"] in host_ids:
            problems.append(f"{where}: duplicate id {item['id']!r}")
        host_ids.add(item["id"])
        for key in ("remote_hosts", "domains"):
            value = item.get(key) or []
            if not isinstance(value, list) or any(not isinstance(v, str) or v != v.lower() for v in value):
                problems.append(f"{where}: {key} must be a list of lowercase strings")
        if not item.get("remote_hosts") and not item.get("domains"):
            problems.append(f"{where}: needs remote_hosts or domains")
        for rule_index, rule in enumerate(item.get("rules") or []):
            rwhere = f"{where} rule {rule_index}"
            if not isinstance(rule, dict):
                problems.append(f"{rwhere}: must be a mapping")
                continue
            if rule.get("reason") not in reason_ids:
                problems.append(f"{rwhere}: unknown reason {rule.get('reason')!r}")
            if rule.get("status") is not None:
                _check_status(rule["status"], rwhere, problems, allow_range=False)
            if rule.get("reply") is not None:
                _check_reply(rule["reply"], rwhere, problems)
            if rule.get("phrase") is not None:
                problem = pattern_problem(rule["phrase"])
                if problem:
                    problems.append(f"{rwhere}: {problem}")
            if rule.get("command") is not None and rule["command"] not in SMTP_COMMANDS:
                problems.append(f"{rwhere}: command must be one of {', '.join(SMTP_COMMANDS)}")
            if not any(rule.get(k) is not None for k in ("status", "reply", "phrase")):
                problems.append(f"{rwhere}: needs at least one of status, reply, phrase")
        if not item.get("source"):
            problems.append(f"{where}: missing source")

    vendor_ids: set[str] = set()
    for index, item in enumerate(data["vendors"]):
        where = _where("vendors", item, index)
        if not isinstance(item, dict) or not item.get("id"):
            problems.append(f"{where}: must be a mapping with an id")
            continue
        if item["id"] in vendor_ids:
            problems.append(f"{where}: duplicate id {item['id']!r}")
        vendor_ids.add(item["id"])
        if not item.get("source"):
            problems.append(f"{where}: missing source")
        problems.extend(f"{where}: {p}" for p in _vendor_problems(item, reason_ids))
    problems.extend(_webhook_problems(data["webhooks"], reason_ids))
    return problems


def _webhook_problems(items: list[Any], reason_ids: set[str]) -> list[str]:
    # ndr.webhooks owns the meaning of its entries (imported late: layering, start-up).
    from .webhooks.entries import entry_problems

    return [f"{_where('webhooks', item, i)}: {p}" for i, item in enumerate(items)
            for p in entry_problems(item, reason_ids, items[:i])]


def _vendor_problems(item: dict[str, Any], reason_ids: set[str]) -> list[str]:
    # The table decoder owns the meaning of a vendor layout; ask it (imported late: layering).
    from .decoders import vendor_problems

    return vendor_problems(item, reason_ids)


def _text(value: Any) -> Text:
    if value is None:
        return Text({})
    if isinstance(value, str):
        return Text({"en": value})
    return Text({k: v for k, v in value.items() if k != "__line__"})


def _text_list(value: Any) -> TextList:
    if value is None:
        return TextList({})
    if isinstance(value, list):
        value = {"en": value}
    return TextList({k: tuple(v) for k, v in value.items() if k != "__line__"})


def _patterns(raw: Iterable[Any] | None) -> tuple[Pattern, ...]:
    return tuple(compile_pattern(p) for p in raw or ())


def build(data: dict[str, Any], label: str = "", overrides: tuple[str, ...] = ()) -> Catalog:
    """Index a validated catalog."""
    reasons = {
        item["id"]: Reason(
            id=item["id"], priority=item["priority"], hard=item["hard"],
            default_status=item.get("default_status"), summary=_text(item.get("summary")),
            advice=_text(item.get("advice")), patterns=_patterns(item.get("patterns")),
            source=str(item.get("source", "")), after_data=item.get("after_data"),
            commands=tuple(item.get("commands") or ()),
            diagnostic_types=tuple(item.get("diagnostic_types") or ()),
            yields_to=tuple(item.get("yields_to") or ()),
            dsn_fields={name: tuple(values) for name, values in (item.get("dsn_fields") or {}).items()
                        if name != "__line__"},
        )
        for item in data["reasons"]
    }
    entries = tuple(
        CodeEntry(
            id=item["id"], status=item.get("status"),
            reply=str(item["reply"]) if item.get("reply") is not None else None,
            title=_text(item.get("title")), reason=item["reason"],
            decisive=bool(item.get("decisive", False)), permanent=item.get("permanent"),
            vendor=item.get("vendor"), causes=_text_list(item.get("causes")),
            fixes=_text_list(item.get("fixes")), who=tuple(item.get("who") or ()),
            patterns=_patterns(item.get("patterns")), source=str(item.get("source", "")),
            yields_to=tuple(item.get("yields_to") or ()), explains=_patterns(item.get("explains")),
        )
        for item in data["codes"]
    )
    exact: dict[str, CodeEntry] = {}
    by_subject: dict[str, CodeEntry] = {}
    ranges: list[tuple[str, int, int, CodeEntry]] = []
    for entry in entries:
        if not entry.status:
            continue
        if "-" in entry.status:
            prefix, _, span = entry.status.rpartition(".")
            low, high = span.split("-")
            ranges.append((prefix, int(low), int(high), entry))
        elif entry.status.startswith("X."):
            by_subject[entry.status[2:]] = entry
        else:
            exact[entry.status] = entry
    hosts = tuple(
        Host(
            id=item["id"], name=str(item.get("name") or item["id"]),
            remote_hosts=tuple(item.get("remote_hosts") or ()), domains=tuple(item.get("domains") or ()),
            rules=tuple(
                HostRule(reason=r["reason"], status=r.get("status"),
                         reply=str(r["reply"]) if r.get("reply") is not None else None,
                         phrase=compile_pattern(r["phrase"]) if r.get("phrase") is not None else None,
                         command=r.get("command"))
                for r in item.get("rules") or ()
            ),
            source=str(item.get("source", "")),
        )
        for item in data["hosts"]
    )
    # Phrase precedence: reasons by priority; a code entry's own patterns rank with its reason,
    # ahead of the reason's generic phrases (they are more specific).
    ordered: list[tuple[int, int, Pattern, tuple[str, CodeEntry | None]]] = []
    for entry in entries:
        reason = reasons[entry.reason]
        for pattern in entry.patterns:
            ordered.append((reason.priority, 0, pattern, (entry.reason, entry)))
    for reason in reasons.values():
        for pattern in reason.patterns:
            ordered.append((reason.priority, 1, pattern, (reason.id, None)))
    ordered.sort(key=lambda row: (row[0], row[1]))
    phrases = PatternTable.build((row[2], row[3]) for row in ordered)
    vendors = tuple(item for item in data["vendors"])
    return Catalog(reasons=reasons, codes=entries, hosts=hosts, vendors=vendors,
                   webhooks=tuple(data["webhooks"]), path=label,
                   overrides=overrides, exact=exact, by_subject=by_subject, ranges=tuple(ranges),
                   phrases=phrases)
