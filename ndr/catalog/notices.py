"""The catalog's ``notices`` section: what bounce notices in general say, in no vendor's layout.

Which senders and subjects mean "bounce" (and which subjects an automatic reply starts with),
where the returned message starts, the line shapes that name a recipient, where a diagnostic
names the remote or reporting MTA or a reply code, delay and failure wording, and the MTAs' own
markers of the SMTP command a reply answered. The generic fallback decoder reads notices with
these alone; the RFC 3464 decoder, the decoders' final settling and classification use them too.
Until this round the section was a ``vendors`` entry with ``decoder: fallback``; that place still
works (``load.py`` lifts it here, and ``ndr catalog check`` warns).
"""
from __future__ import annotations

import functools
import os
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Iterator, overload

from ..lazy import regex
from .search import Planned, plan_of
from .match import ADDRESS_GROUP, compile_shape, has_top_level_alternation, regex_problem


DECODER = "fallback"
"""The ``decoder`` of the ``vendors`` entry that held this section before it had its own."""
FIELDS = {"source", "senders", "subjects", "autoreply_subjects", "ends", "headers_end", "recipients",
          "remote_mta", "reporting_mta", "reply", "delayed", "permanent", "temporary", "commands",
          "lookalikes", "intros", "quoted_fields", "destination", "last_error", "given_up", "__line__"}
COMMANDS = ("CONNECT", "HELO", "EHLO", "MAIL", "RCPT", "DATA")
"""The SMTP commands a ``commands`` entry may name (CONNECT: the greeting, before any command)."""
_PHRASE_FIELDS = ("senders", "subjects", "autoreply_subjects", "ends", "delayed", "permanent", "temporary",
                  "lookalikes", "intros", "quoted_fields", "given_up")
_REGEX_FIELDS = ("headers_end", "recipients", "remote_mta", "reporting_mta", "reply", "destination",
                 "last_error")
_ONE_GROUP = ("remote_mta", "reporting_mta", "reply", "destination", "last_error")


class Patterns(Sequence["re.Pattern[str]"]):
    """A field's expressions, compiled all together when the field is first used.

    A notice reader uses a few of the section's fields: compiling all of them (dozens of
    expressions) when the section is first read cost a one-bounce ``ndr parse`` about 10 ms.
    """

    __slots__ = ("_sources", "_flags", "_compiled", "_hash")

    def __init__(self, sources: Sequence[str], flags: int = 0) -> None:
        self._sources = tuple(sources)
        self._flags = flags
        self._compiled: tuple[re.Pattern[str], ...] | None = None
        self._hash = hash((self._sources, flags))  # a memo key of the decoders' searches

    def _all(self) -> tuple[re.Pattern[str], ...]:
        if self._compiled is None:
            self._compiled = tuple(compile_shape(r, self._flags) for r in self._sources)
        return self._compiled

    @overload
    def __getitem__(self, index: int) -> re.Pattern[str]: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[re.Pattern[str]]: ...

    def __getitem__(self, index: int | slice) -> re.Pattern[str] | Sequence[re.Pattern[str]]:
        return self._all()[index]

    def __len__(self) -> int:
        return len(self._sources)

    def __iter__(self) -> Iterator[re.Pattern[str]]:
        return iter(self._all())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Patterns):
            return (self._sources, self._flags) == (other._sources, other._flags)
        return isinstance(other, Sequence) and tuple(self) == tuple(other)

    def __hash__(self) -> int:
        return self._hash

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        # the hash of strings differs between processes: not pickled. The expressions (lazy,
        # compiled when first used) only once made, so that a plan built ahead holds the same.
        if self._compiled is None:
            return Patterns, (self._sources, self._flags)
        return _restored, (self._sources, self._flags, self._compiled)


def _restored(sources: tuple[str, ...], flags: int, expressions: tuple[re.Pattern[str], ...]) -> Patterns:
    patterns = Patterns(sources, flags)
    patterns._compiled = expressions
    return patterns


@dataclass(frozen=True, slots=True, eq=False, repr=False)
class Notices:
    """The compiled ``notices`` section (compared and hashed by identity: one per catalog)."""

    senders: tuple[str, ...]
    subjects: tuple[str, ...]
    ends: tuple[str, ...]
    headers_end: re.Pattern[str] | None
    recipients: Sequence[re.Pattern[str]]
    remote_mta: Sequence[re.Pattern[str]]
    reporting_mta: Sequence[re.Pattern[str]]
    reply: Sequence[re.Pattern[str]]
    delayed: tuple[str, ...]
    permanent: tuple[str, ...]
    temporary: tuple[str, ...]
    commands: re.Pattern[str] | None = None
    """One alternation, a named group per SMTP command: which command a diagnostic says failed."""
    command_keys: tuple[str, ...] | None = None
    """Literal words every ``commands`` expression starts with: a text holding none of them is
    not searched (None: some expression has no literal start, always search)."""
    command_anchored: bool = False
    """True when every match of ``commands`` starts with one of ``command_keys`` (no expression
    has an alternation outside a group): only the positions of the keys need trying."""
    autoreply_subjects: tuple[str, ...] = ()
    """Subject starts of automatic replies (out of office, vacation)."""
    intros: tuple[str, ...] = ()
    """Opening sentences of notices (MTAs' templates, localized labels): near the top of the
    text they say "bounce" when neither the sender nor the Subject does."""
    quoted_fields: tuple[str, ...] = ()
    """Header field names (``message-id:``) whose lines, quoted in a notice's text, never name
    a failed recipient ("Message-id: <x@host>" looks like an address line)."""
    lookalikes: tuple[str, ...] = ()
    """Phrases of notices that look like bounces but report no failure (challenge-response
    requests, quarantine and recall notices): without an SMTP code in the text, no record."""
    destination: Sequence[re.Pattern[str]] = ()
    """Where a text names the server the sender tried without it having answered (``connect to
    X[ip]``, ``LastAttemptedServerName=X``, Sendmail's ``Connection refused by X``): one group."""
    last_error: Sequence[re.Pattern[str]] = ()
    """Where an expiry notice quotes the last real error (Exchange ``LED=``, Postfix ``delivery
    temporarily suspended:``, Exim ``…: retry timeout exceeded``, Sendmail ``Deferred:``)."""
    given_up: tuple[str, ...] = ()
    """Expiry wording: the sender gave up after retrying (the record is an expiry notice)."""
    command_groups: tuple[tuple[str, tuple[str, ...]], ...] = field(init=False, default=())
    """``command_keys`` grouped by first word: (the group's common prefix, its keys). A text is
    searched once per group (23 on the shipped catalog) instead of once per key (45)."""
    command_sentinels: tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...] = field(
        init=False, default=())
    """``command_groups`` under a word their prefixes share (``smtp`` for ``smtp:mail``,
    ``smtp:data`` ...), else under the prefix itself: a text holding none of these (most) costs
    one ``in`` test each (15 on the shipped catalog)."""
    end_groups: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = field(init=False, default=())
    """``ends`` grouped under the shortest core (a phrase without its rules and punctuation) each
    holds, with where the core stands in each phrase: ten of the shipped phrases hold ``original
    message``, and a text that lacks it lacks all ten; where it holds the core, a phrase is looked
    for only around the core's places. A phrase alone in its group is its own core (at 0)."""

    phrase_groups: dict[str, PhraseGroups] = field(init=False, default_factory=dict)
    """The phrase lists looked for in whole texts (``given_up``, ``delayed``, ``lookalikes``,
    ``temporary``, ``permanent``), each filed as ``command_sentinels`` files command groups
    (``message`` for ``message expired`` and ``cannot send message for``): a text that lacks a
    sentinel lacks its phrases (6 tests for the 10 shipped ``given_up`` phrases). Read with
    ``holds_any``."""

    planned: Planned | None = field(init=False, default=None)
    """The search plans of the fields, built ahead by ``prepare``."""

    def prepare(self) -> None:
        """Build the search plans of the expression fields now (``search.plan_of``), to be kept
        with the compiled catalog: a process that reads one bounce then neither builds them nor
        reads the expressions' sources (a millisecond for a notice the fallback reads)."""
        fields = [getattr(self, name) for name in _REGEX_FIELDS]
        plans = [(f, plan_of(f)) for f in fields if isinstance(f, Patterns)]
        single = (None, plan_of([self.headers_end] if self.headers_end is not None else []))
        object.__setattr__(self, "planned", Planned((*plans, single)))

    def __post_init__(self) -> None:
        groups: dict[str, list[str]] = {}
        for key in dict.fromkeys(self.command_keys or ()):
            groups.setdefault(key.split(" ")[0], []).append(key)
        object.__setattr__(self, "command_groups", tuple(
            (os.path.commonprefix(keys), tuple(keys)) for keys in groups.values()))
        object.__setattr__(self, "command_sentinels", _sentinels(self.command_groups))
        object.__setattr__(self, "end_groups", _end_groups(self.ends))
        object.__setattr__(self, "phrase_groups", {name: _phrase_groups(getattr(self, name)) for name in
                                                   ("given_up", "delayed", "lookalikes", "temporary", "permanent")})


PhraseGroups = tuple[tuple[str, tuple[str, ...]], ...]
"""(sentinel, the phrases filed under it): every phrase of a group holds its sentinel."""


def _phrase_groups(phrases: tuple[str, ...]) -> PhraseGroups:
    return tuple((sentinel, tuple(phrase for phrase, _ in groups))
                 for sentinel, groups in _sentinels(tuple((phrase, ()) for phrase in dict.fromkeys(phrases))))


def holds_any(groups: PhraseGroups, text: str) -> bool:
    """``any(phrase in text ...)`` over the phrases of ``groups`` (``Notices.phrase_groups``), a
    group passed over with one search when ``text`` lacks its sentinel: most phrases are absent,
    and an absent phrase costs a search of the whole text."""
    for sentinel, phrases in groups:  # a loop, not any(generator): this runs for every record
        if sentinel in text:
            for phrase in phrases:
                if phrase in text:
                    return True
    return False


def _end_groups(ends: tuple[str, ...]) -> tuple[tuple[str, tuple[tuple[str, int], ...]], ...]:
    cores = sorted({phrase.strip(_RULES) for phrase in ends} - {""}, key=len)
    groups: dict[str, list[str]] = {}
    for phrase in ends:
        groups.setdefault(next((core for core in cores if core in phrase), phrase), []).append(phrase)
    filed = ((core if len(members) > 1 else members[0], members) for core, members in groups.items())
    return tuple((core, tuple((phrase, phrase.find(core)) for phrase in members)) for core, members in filed)


_RULES = " -=_*#.:"
"""What a phrase of ``ends`` may hold around its words (rules of dashes, a colon)."""


def _sentinels(groups: tuple[tuple[str, tuple[str, ...]], ...],
               ) -> tuple[tuple[str, tuple[tuple[str, tuple[str, ...]], ...]], ...]:
    """``groups`` filed under the word of four letters or more of their prefix that most other
    prefixes hold too, or under the prefix itself when alone (a word is part of the prefix, so
    a text without it holds no prefix filed there)."""
    words = [[word for word in "".join(c if c.isalpha() else " " for c in prefix).split() if len(word) >= 4]
             for prefix, _ in groups]
    counts = Counter(word for found in words for word in set(found))
    filed: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for group, found in zip(groups, words):
        shared = max(found, key=counts.__getitem__, default=None)
        filed.setdefault(shared if shared is not None and counts[shared] > 1 else group[0], []).append(group)
    return tuple((sentinel if len(members) > 1 else members[0][0], tuple(members))
                 for sentinel, members in filed.items())


def compile_notices(item: dict[str, Any]) -> Notices:
    """Compile a validated ``notices`` section."""
    def phrases(name: str) -> tuple[str, ...]:
        return tuple(item.get(name) or ())

    def regexes(name: str, flags: int = 0) -> Patterns:
        return Patterns(item.get(name) or (), flags)

    heads = item.get("headers_end") or ()
    return Notices(
        senders=phrases("senders"), subjects=phrases("subjects"), ends=phrases("ends"),
        headers_end=regex("|".join(f"(?:{h})" for h in heads), re.I | re.M) if heads else None,
        recipients=regexes("recipients"), remote_mta=regexes("remote_mta"),
        reporting_mta=regexes("reporting_mta", re.M), reply=regexes("reply"), delayed=phrases("delayed"),
        permanent=phrases("permanent"), temporary=phrases("temporary"),
        commands=_commands(item.get("commands")), command_keys=_command_keys(item.get("commands")),
        command_anchored=_command_anchored(item.get("commands")),
        autoreply_subjects=phrases("autoreply_subjects"), lookalikes=phrases("lookalikes"),
        intros=phrases("intros"), quoted_fields=phrases("quoted_fields"),
        destination=regexes("destination"), last_error=regexes("last_error"),
        given_up=phrases("given_up"),
    )


def _commands(raw: dict[str, list[str]] | None) -> re.Pattern[str] | None:
    if not raw:
        return None
    groups = [f"(?P<{name}>{'|'.join(f'(?:{r})' for r in raw[name])})" for name in COMMANDS if raw.get(name)]
    return regex("|".join(groups))  # matched against lowercased text


_LITERAL = regex(r"[a-z0-9 :_<>'-]*")


def _command_keys(raw: dict[str, list[str]] | None) -> tuple[str, ...] | None:
    keys: list[str] = []
    for name in COMMANDS:
        for expression in (raw or {}).get(name) or ():
            body = expression[2:] if expression.startswith("\\b") else expression.lstrip("^")
            prefix = _LITERAL.match(body)  # always matches (``*``), perhaps empty
            literal = prefix.group(0) if prefix is not None else ""
            if body[len(literal):len(literal) + 1] in ("?", "*", "{"):
                literal = literal[:-1]  # the last character is optional
            if len(literal.strip()) < 3:
                return None
            keys.append(literal)
    return tuple(keys)


def _command_anchored(raw: dict[str, list[str]] | None) -> bool:
    return all(not has_top_level_alternation(expression)
               for name in COMMANDS for expression in (raw or {}).get(name) or ())


def command_in(lay: Notices | None, text: str | None) -> str | None:
    """The SMTP command ``text`` says failed (the last one it names: in a transcript, the command
    the error answered comes last), as one of ``COMMANDS``; None when it names none."""
    if lay is None or lay.commands is None or not text:
        return None
    if len(text) > _MEMO_TEXT:  # a long text is not kept alive for a memo
        return _command_in(lay, text.lower())
    return _remembered(lay, text)


_MEMO_TEXT = 4096


# Decoders and hosts.settle ask about the same diagnostic or paragraph several times per
# message (a quarter of the calls on the corpus), and archives repeat the same MTAs' texts.
@functools.lru_cache(maxsize=1024)
def _remembered(lay: Notices, text: str) -> str | None:
    return _command_in(lay, text.lower())


def _command_in(lay: Notices, text: str) -> str | None:
    if lay.commands is None:
        return None
    if lay.command_keys is not None and lay.command_anchored:
        # Every match starts where a key stands: try those positions in order, as finditer
        # would meet them (the alternation, tried at every character, costs ~30 ns each).
        starts: set[int] = set()
        for groups in [groups for sentinel, groups in lay.command_sentinels if sentinel in text]:
            for prefix, keys in groups:
                at = text.find(prefix)
                while at >= 0:
                    if text.startswith(keys, at):
                        starts.add(at)
                    at = text.find(prefix, at + 1)
        found = None
        position = 0
        for at in sorted(starts):
            if at >= position:
                match = lay.commands.match(text, at)
                if match is not None:
                    found, position = match, match.end()
        return found.lastgroup if found is not None else None
    if lay.command_keys is not None and not any(key in text for key in lay.command_keys):
        return None
    last = None
    for last in lay.commands.finditer(text):
        pass
    return last.lastgroup if last is not None else None


def _string_lists(item: dict[str, Any], names: tuple[str, ...], what: str,
                  found: list[str]) -> Iterator[tuple[str, list[str]]]:
    """(name, value) for each field of ``names`` given as a list of non-empty strings; any
    other value is a problem."""
    for name in names:
        value = item.get(name)
        if value is None:
            continue
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            found.append(f"{name} must be a list of {what}")
        else:
            yield name, value


def problems(item: dict[str, Any]) -> list[str]:
    """Problems in the ``notices`` section (the caller adds its location)."""
    found: list[str] = []
    for key in sorted(set(item) - FIELDS):
        found.append(f"unknown field {key!r}")
    for name, value in _string_lists(item, _PHRASE_FIELDS, "phrases", found):
        if any(v != v.lower() or v != " ".join(v.split()) for v in value):
            found.append(f"{name}: phrases are lowercase, single-spaced")
    for name, value in _string_lists(item, _REGEX_FIELDS, "regexes", found):
        for expression in value:
            problem = regex_problem(expression.replace("{address}", ADDRESS_GROUP), per_line=True)
            if problem:
                found.append(f"{name}: {expression!r}: {problem}")
            elif name == "recipients" and "{address}" not in expression:
                found.append(f"recipients: {expression!r} has no {{address}}")
            elif name in _ONE_GROUP and re.compile(expression).groups != 1:
                found.append(f"{name}: {expression!r} needs exactly one group")
    commands = item.get("commands")
    if commands is not None:
        if not isinstance(commands, dict):
            found.append("commands must map SMTP commands to lists of regexes")
        else:
            for name, value in commands.items():
                if name == "__line__":
                    continue
                if name not in COMMANDS:
                    found.append(f"commands: {name!r} is not one of {', '.join(COMMANDS)}")
                elif not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
                    found.append(f"commands.{name} must be a list of regexes")
                else:
                    for expression in value:
                        problem = regex_problem(expression, per_line=True)
                        if problem:
                            found.append(f"commands.{name}: {expression!r}: {problem}")
                        elif re.compile(expression).groups:
                            found.append(f"commands.{name}: {expression!r} must have no group")
    if not item.get("recipients"):
        found.append("recipients: at least one line shape is needed")
    return found
