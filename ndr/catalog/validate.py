"""Validation of catalog data as read from YAML: every problem at once, each with its line."""
from __future__ import annotations

from typing import Any, Callable, Iterable, Iterator

from . import codes as codes_mod
from .layout_check import vendor_problems as table_layout_problems
from .match import pattern_key, pattern_problem
from .notices import problems as notice_problems
from .webhooks import entry_problems as webhook_entry_problems


LANGS = ("en", "pt-BR")
HARD_RULES = ("always", "never", "permanent")
WHO = ("sender", "sender-admin", "recipient", "recipient-admin")
SECTIONS = ("reasons", "codes", "hosts", "vendors", "webhooks")
SMTP_COMMANDS = ("connect", "helo", "ehlo", "mail", "rcpt", "data")


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
    reason_ids = _check_reasons(data["reasons"], problems)
    _check_codes(data["codes"], reason_ids, problems)
    _check_general(data["codes"], problems)
    _check_hosts(data["hosts"], reason_ids, problems)
    _check_vendors(data["vendors"], reason_ids, problems)
    _check_notices(data.get("notices"), problems)
    problems.extend(_webhook_problems(data["webhooks"], reason_ids))
    return problems


def _check_notices(section: Any, problems: list[str]) -> None:
    if not section:
        return  # no notices: the generic fallback reads nothing
    if not isinstance(section, dict):
        problems.append("section 'notices' must be a mapping")
        return
    where = f"line {section['__line__']}: notices" if "__line__" in section else "notices"
    problems.extend(f"{where}: {p}" for p in notice_problems(section))
    if not section.get("source"):
        problems.append(f"{where}: missing source")


def _mappings(section: str, items: list[Any], problems: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, entry) for each entry of a section that is a mapping; others are problems."""
    for index, item in enumerate(items):
        where = _where(section, item, index)
        if isinstance(item, dict):
            yield where, item
        else:
            problems.append(f"{where}: must be a mapping")


class _Claims:
    """What the reasons checked so far have claimed: ids, priorities, phrases, DSN fields."""

    def __init__(self) -> None:
        self.reason_ids: set[str] = set()
        self.priorities: dict[int, str] = {}
        self.phrases: dict[str, str] = {}
        self.fields: dict[tuple[str, str], str] = {}


def _check_reasons(items: list[Any], problems: list[str]) -> set[str]:
    """Check the reasons section; return the reason ids it defines."""
    claims = _Claims()
    for where, item in _mappings("reasons", items, problems):
        rid = item.get("id")
        if not isinstance(rid, str) or not rid:
            problems.append(f"{where}: missing id")
            continue
        if rid in claims.reason_ids:
            problems.append(f"{where}: duplicate id {rid!r}")
        claims.reason_ids.add(rid)
        _check_reason(item, where, rid, claims, problems)
    reason_ids = claims.reason_ids
    if "undefined" not in reason_ids:
        problems.append("reasons: the reason 'undefined' is required (the last fallback)")
    for index, item in enumerate(items):
        if isinstance(item, dict) and isinstance(item.get("after_data"), str) \
                and item["after_data"] not in reason_ids:
            problems.append(f"{_where('reasons', item, index)}: after_data names unknown reason "
                            f"{item['after_data']!r}")
        if isinstance(item, dict) and isinstance(item.get("yields_to"), list):
            for other in item["yields_to"]:
                if other not in reason_ids:
                    problems.append(f"{_where('reasons', item, index)}: yields_to names unknown "
                                    f"reason {other!r}")
    return reason_ids


def _check_reason(item: dict[str, Any], where: str, rid: str, claims: _Claims,
                  problems: list[str]) -> None:
    priority = item.get("priority")
    if not isinstance(priority, int):
        problems.append(f"{where}: priority must be an integer")
    elif priority in claims.priorities:
        problems.append(f"{where}: priority {priority} already used by {claims.priorities[priority]!r}")
    else:
        claims.priorities[priority] = rid
    if item.get("hard") not in HARD_RULES:
        problems.append(f"{where}: hard must be one of {', '.join(HARD_RULES)}")
    if item.get("default_status") is not None:
        _check_status(item["default_status"], where, problems, allow_range=False)
    _check_text(item.get("summary"), where, "summary", problems)
    _check_text(item.get("advice"), where, "advice", problems, required=False)
    _check_text(item.get("retried"), where, "retried", problems, required=False)
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
    _check_dsn_fields(item.get("dsn_fields"), where, rid, claims.fields, problems)
    for raw in item.get("patterns") or []:
        if pattern_problem(raw) is None:
            key = pattern_key(raw)
            if key in claims.phrases and claims.phrases[key] != rid:
                problems.append(f"{where}: pattern {raw!r} is also claimed by reason "
                                f"{claims.phrases[key]!r}")
            claims.phrases.setdefault(key, rid)
    if not item.get("source"):
        problems.append(f"{where}: missing source")


def _check_codes(items: list[Any], reason_ids: set[str], problems: list[str]) -> None:
    ids: set[str] = set()
    statuses: dict[str, str] = {}
    for where, item in _mappings("codes", items, problems):
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
        _check_code(item, where, status, reason_ids, problems)


def _check_code(item: dict[str, Any], where: str, status: Any, reason_ids: set[str],
                problems: list[str]) -> None:
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
    if item.get("rfc_status") is not None:
        _check_status(item["rfc_status"], where, problems, allow_range=False)
    if not item.get("source"):
        problems.append(f"{where}: missing source")


def _check_general(items: list[Any], problems: list[str]) -> None:
    """A ``general`` counterpart must be another code entry, itself without a vendor."""
    by_id = {item.get("id"): item for item in items if isinstance(item, dict)}
    for index, item in enumerate(items):
        if not isinstance(item, dict) or item.get("general") is None:
            continue
        other = by_id.get(item["general"])
        if other is None or other is item or other.get("vendor") is not None:
            problems.append(f"{_where('codes', item, index)}: general must name a code entry "
                            f"without a vendor, not {item['general']!r}")


def _identified(section: str, items: list[Any], problems: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(location, entry) for each entry of a section that is a mapping with an id; a duplicate id
    or a missing source is a problem (the entry is still checked)."""
    ids: set[str] = set()
    for index, item in enumerate(items):
        where = _where(section, item, index)
        if not isinstance(item, dict) or not item.get("id"):
            problems.append(f"{where}: must be a mapping with an id")
            continue
        if item["id"] in ids:
            problems.append(f"{where}: duplicate id {item['id']!r}")
        ids.add(item["id"])
        if not item.get("source"):
            problems.append(f"{where}: missing source")
        yield where, item


def _check_hosts(items: list[Any], reason_ids: set[str], problems: list[str]) -> None:
    for where, item in _identified("hosts", items, problems):
        for key in ("remote_hosts", "domains"):
            value = item.get(key) or []
            if not isinstance(value, list) or any(not isinstance(v, str) or v != v.lower() for v in value):
                problems.append(f"{where}: {key} must be a list of lowercase strings")
        if not item.get("remote_hosts") and not item.get("domains"):
            problems.append(f"{where}: needs remote_hosts or domains")
        notices = item.get("notices") or {}
        if not isinstance(notices, dict) or any(
                key != "__line__" and (key not in ("headers", "from", "body") or not isinstance(value, list)
                                       or any(not isinstance(v, str) or v != v.lower() for v in value))
                for key, value in notices.items()):
            problems.append(f"{where}: notices maps headers, from, body to lists of lowercase strings")
        for rule_index, rule in enumerate(item.get("rules") or []):
            _check_host_rule(rule, f"{where} rule {rule_index}", reason_ids, problems)


def _check_host_rule(rule: Any, rwhere: str, reason_ids: set[str], problems: list[str]) -> None:
    if not isinstance(rule, dict):
        problems.append(f"{rwhere}: must be a mapping")
        return
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


def _check_vendors(items: list[Any], reason_ids: set[str], problems: list[str]) -> None:
    for where, item in _identified("vendors", items, problems):
        problems.extend(f"{where}: {p}" for p in vendor_problems(item, reason_ids))


def _webhook_problems(items: list[Any], reason_ids: set[str]) -> list[str]:
    return [f"{_where('webhooks', item, i)}: {p}" for i, item in enumerate(items)
            for p in webhook_entry_problems(item, reason_ids, items[:i])]


LayoutCheck = Callable[[dict[str, Any], set[str]], Iterable[str]]
"""Checks one ``vendors`` entry (entry, reason ids) → its problems, without location."""

_LAYOUT_CHECKS: dict[str, LayoutCheck] = {"table": table_layout_problems}


def register_layout_check(decoder: str, check: LayoutCheck) -> None:
    """Let a code decoder check the ``vendors`` entries that name it (``decoder: NAME``); the
    catalog imports no decoder (``ndr.reading.decoders.register`` calls this)."""
    _LAYOUT_CHECKS[decoder] = check


def vendor_problems(item: dict[str, Any], reason_ids: set[str]) -> list[str]:
    """Problems in one catalog ``vendors`` entry.

    An entry is a table layout unless it names a code decoder with ``decoder: NAME``; such an
    entry is data for that decoder alone, checked by the check it registered, if any (a catalog
    may be loaded before a library user registers the decoder its entry is for).
    """
    owner = item.get("decoder", "table")
    if not isinstance(owner, str) or not owner:
        return [f"decoder must be a decoder name, not {owner!r}"]
    check = _LAYOUT_CHECKS.get(owner)
    return list(check(item, reason_ids)) if check is not None else []
