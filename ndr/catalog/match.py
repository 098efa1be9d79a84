"""The catalog's pattern language, compiled once and matched in linear time.

A pattern is one of:

* a lowercase phrase that must occur in the text (``"user unknown"``);
* ordered fragments that must all occur, in this order (``["no such", "user"]``);
* ``{"regex": "..."}``, an anchored Python regular expression without nested quantifiers —
  the last resort, for shapes phrases cannot say.

Text is compared after ``fold()``: lowercased, whitespace runs folded to one space. Phrases and
fragments use ``str.find`` (linear time); regexes are checked for catastrophic shapes when the
catalog is validated (``regex_problem``): a repeated group that holds a repeat is refused unless
each repetition starts with a literal character its repeats cannot match. Matching many
patterns against one text at once is the phrase index's (``phrase_index.PatternTable``).
"""

import functools
import re
from typing import Any, Iterator, NamedTuple
from ..lazy import regex

# Local part and domain hold no "@" and start only after a delimiter or an "@", so a search
# tries each stretch of text a bounded number of times: linear even on "@@@@..." or a megabyte
# without a delimiter (the unrestricted form backtracks cubically there).
ADDRESS_PATTERN = (r"(?<![^\s<>()\[\]\"',;:@])[^\s<>()\[\]\"',;:@]+@[^\s<>()\[\]\"',;:@]+\.[A-Za-z0-9-]+"
                   r"|(?<![^\s<>()\[\]\"',;:@])[^\s<>()\[\]\"',;:@]+@\[[0-9.:a-fA-F]+\]")
"""An e-mail address in free text (no group), for decoders that build their own expressions."""
ADDRESS_GROUP = f"(?P<address>{ADDRESS_PATTERN})"
# Each alternative starts only where a host name (an IPv6 literal) can start, not inside one: a
# search stays linear on "a.a.a.a..." (from every word boundary it would rescan the rest).
HOST_GROUP = r"\[?(?P<host>(?<![a-z0-9.-])[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)+|(?<![0-9a-f:.])[0-9a-f]*:[0-9a-f:.]+)\]?"


_ADDRESS_AFTER_EQUALS = r"(?P<address>[^\s<>()\[\]\"',;:@=]+@[^\s<>()\[\]\"',;:@]+\.[A-Za-z0-9-]+)"


def compile_shape(expression: str, flags: int = 0) -> re.Pattern[str]:
    """A catalog regex of a layout or of the notices, its placeholders filled: ``{address}``
    (the group ``address``) and ``{host}`` (the group ``host``); case-insensitive."""
    # "{address}" right after a literal "=" (X.400's "dda:SMTP=user@host;"): the shape's own
    # literal fixes where the address starts, so the free-text rule (an address starts only after
    # a delimiter) is not needed there, and the local part holds no "=".
    expression = expression.replace("={address}", "=" + _ADDRESS_AFTER_EQUALS)
    expanded = expression.replace("{address}", ADDRESS_GROUP).replace("{host}", HOST_GROUP)
    # compiled when first searched: the table decoder compiles every vendor layout to pick one,
    # and a bounce is read with the few expressions of the layout that matched
    return regex(expanded, re.I | flags)


_UNALIGNED = ("\u0130", "\u0131", "\u017f")
"""The characters that lower to two characters (İ) or that ``re.I`` matches with an ASCII
letter they do not lower to (ı, ſ); none other, checked over all of Unicode."""


def aligned_lower(text: str) -> str | None:
    """``text.lower()`` when its characters sit where ``text``'s do and an ASCII literal found
    in it is exactly where ``re.I`` would match it in ``text``; else None."""
    if not text.isascii() and any(char in text for char in _UNALIGNED):
        return None
    return text.lower()


def fold(text: str) -> str:
    """Lowercase ``text`` and fold whitespace runs to single spaces."""
    # str.split() splits on exactly what ``\s`` matches (Unicode whitespace): the same result
    # as substituting runs of it and stripping, at a third of the cost
    return " ".join(text.split()).lower()


class Pattern(NamedTuple):
    """One compiled pattern."""

    source: str
    """The pattern as written in the catalog, for display (``rule`` ids, explain)."""
    fragments: tuple[str, ...] = ()
    regex: re.Pattern[str] | None = None
    needle: str = ""
    """For a regex: literal text every match contains (its leading literal), checked with
    ``str.find`` before the regex runs and used as the regex's key in the phrase index."""

    def search(self, folded: str) -> bool:
        """True when the pattern occurs in ``folded`` (text already passed through ``fold``)."""
        if self.regex is not None:
            return (not self.needle or self.needle in folded) and self.regex.search(folded) is not None
        position = 0
        for fragment in self.fragments:
            found = folded.find(fragment, position)
            if found < 0:
                return False
            position = found + len(fragment)
        return True


# A group that is itself repeated and contains a repeat: (a+)+, (\w*\s?)*, (?:x|y+){2,},
# ((a+))+. An optional group, (?:x+)?, runs at most once and cannot blow up.
@functools.cache  # compiled when a catalog is built, not at every start-up
def _quantified() -> re.Pattern[str]:
    return re.compile(r"(?:[^()\\\[]|\\.|\[\^?\]?(?:[^\]\\]|\\.)*\])*?[+*}]")


def _structure(expression: str) -> Iterator[tuple[int, str]]:
    """(index, character) of a regex's structural characters: those outside escapes and
    character classes (where ``(``, ``)``, ``|`` and quantifiers mean something)."""
    escaped = in_class = False
    for index, char in enumerate(expression):
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        else:
            yield index, char


def _repeated_groups(expression: str) -> list[str]:
    """Bodies of the groups that are repeated (``+``, ``*``, ``{``) and hold a repeat."""
    found: list[str] = []
    starts: list[int] = []
    for index, char in _structure(expression):
        if char == "(":
            starts.append(index)
        elif char == ")" and starts:
            start = starts.pop()
            body = expression[start + 1:index]
            if expression[index + 1:index + 2] in ("+", "*", "{") and (
                    "(" in body or _quantified().match(body) is not None):
                found.append(body)
    return found


# One item of a group body: an escape, a class, or one character; then its quantifier.
@functools.cache  # compiled when a catalog is built, not at every start-up
def _item() -> re.Pattern[str]:
    return re.compile(r"(\\.|\[\^?\]?(?:[^\]\\]|\\.)*\]|[^\\\[|()])([*+?]|\{\d*(?:,\d*)?\})?\??", re.S)


def _delimited(body: str) -> bool:
    """True when a repeated group's body starts with one literal character that none of its
    repeated items can match: ``\\.[a-z0-9-]+`` in ``(?:\\.[a-z0-9-]+)+``. Each repetition then
    begins exactly where that character stands, so there is one way to split the text into
    repetitions and matching stays linear per start position (like a plain ``[a-z]+``)."""
    body = body[2:] if body.startswith("?:") else body
    if body.startswith("?"):  # a named group, lookaround or flags: not this shape
        return False
    items: list[tuple[str, str | None]] = []
    position = 0
    while position < len(body):
        item = _item().match(body, position)
        if item is None:  # alternation, lookaround, a group: not this shape
            return False
        items.append((item.group(1), item.group(2)))
        position = item.end()
    if not items or items[0][1] is not None:
        return False
    first = items[0][0]
    if first.startswith("\\") and first[1:2].isalnum() or first in (".", "^", "$") or first.startswith("["):
        return False  # a class of characters, not one literal
    delimiter = first[-1]
    try:
        return all(re.fullmatch(token, delimiter) is None for token, quantifier in items[1:] if quantifier)
    except re.error:
        return False


def regex_problem(expression: str, per_line: bool = False) -> str | None:
    """Why ``expression`` may not be used as a catalog regex, or None when it is acceptable.
    ``per_line``: a vendor layout's expression, which sees one line at a time (see
    ``regexcheck.linear_problem``)."""
    if not (expression.startswith("^") or expression.startswith("\\b")):
        return "regex must be anchored with ^ or \\b"
    if any(not _delimited(body) for body in _repeated_groups(expression)):
        return "regex has a nested quantifier (catastrophic backtracking)"
    if re.search(r"\\[1-9]", expression):
        return "regex uses a backreference"
    try:
        re.compile(expression)
    except re.error as exc:
        return f"regex does not compile: {exc}"
    from .regexcheck import linear_problem  # only when a catalog is validated

    return linear_problem(expression, per_line)


def pattern_problem(raw: Any) -> str | None:
    """Why ``raw`` (a pattern as read from YAML) is malformed, or None."""
    if isinstance(raw, str):
        parts = [raw]
    elif isinstance(raw, list) and raw and all(isinstance(p, str) for p in raw):
        parts = raw
    elif isinstance(raw, dict) and set(raw) - {"__line__"} == {"regex"} and isinstance(raw["regex"], str):
        return regex_problem(raw["regex"])
    else:
        return f"pattern must be a string, a list of strings or {{regex: ...}}, not {raw!r}"
    for part in parts:
        if not part:
            return "empty pattern"
        if part != part.strip():
            return f"pattern {part!r} has leading or trailing whitespace"
        if part != part.lower():
            return f"pattern {part!r} is not lowercase"
        if part != fold(part):
            return f"pattern {part!r} has runs of whitespace"
    return None


_META = frozenset(".^$*+?{}[]\\|()")


def has_top_level_alternation(expression: str) -> bool:
    """True when a regex has a ``|`` outside every group and character class."""
    if "|" not in expression:  # (most have none: no need to read them character by character)
        return False
    depth = 0
    for _, char in _structure(expression):
        if char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif char == "|" and depth == 0:
            return True
    return False


# The decoders' searches ask about the same few hundred expressions (module and catalog ones).
@functools.lru_cache(maxsize=1024)
def literal_prefix(expression: str) -> str:
    """The literal text at the start of an anchored regex that every match contains, or "".

    ``\\bhost not found(?!, try again)`` → ``host not found``. Empty when the regex has an
    alternation outside a group (then no single prefix is required).
    """
    body = expression[1:] if expression.startswith("^") else expression[2:] \
        if expression.startswith("\\b") else expression
    literal: list[str] = []
    for char in body:
        if char in _META:
            if char in "*?{" and literal:
                literal.pop()  # the character before may occur zero times
            break
        literal.append(char)
    # (the whole expression is read for an alternation only when there is a prefix to lose)
    return "".join(literal) if literal and not has_top_level_alternation(expression) else ""


_UNSURE = regex(r"\\[0-9xuUN]|\[\^?\]|\(\?[aiLmsux-]")
"""What ``required_literal`` does not read: numeric and named escapes, a class opening with
``]``, inline flags."""


def required_literal(expression: str) -> str:
    """The longest literal text every match of a regex contains: a run of plain characters
    outside groups (``\\b(?<!no )domain not found`` → ``domain not found``); "" when there is
    none, or for a shape this reading does not cover (``_UNSURE``, a top-level alternation)."""
    if has_top_level_alternation(expression) or _UNSURE.search(expression):
        return ""
    runs, run, depth, braces, last = [""], "", 0, False, -1
    for index, char in _structure(expression):
        if index != last + 1:  # an escape or a class stood in between
            runs.append(run)
            run = ""
        last = index
        if braces:  # inside a {m,n} repeat
            braces = char != "}"
        elif char in "()":
            runs.append(run)
            run, depth = "", depth + (1 if char == "(" else -1)
        elif depth == 0 and char in _META:
            runs.append(run[:-1] if char in "*?{" else run)  # the character before may be absent
            run, braces = "", char == "{"
        elif depth == 0:
            run += char
    return max(runs + [run], key=len)


def compile_pattern(raw: Any) -> Pattern:
    """Compile a validated pattern."""
    if isinstance(raw, str):
        return Pattern(source=raw, fragments=(raw,))
    if isinstance(raw, list):
        return Pattern(source=" … ".join(raw), fragments=tuple(raw))
    # compiled when first searched (validation compiled it already): unpickling a cached catalog
    # then compiles none of its expressions
    return Pattern(source="regex:" + raw["regex"], regex=regex(raw["regex"]),
                   needle=literal_prefix(raw["regex"]) or required_literal(raw["regex"]))


def pattern_key(raw: Any) -> str:
    """A hashable identity of a raw pattern, for duplicate detection."""
    if isinstance(raw, str):
        return raw
    if isinstance(raw, list):
        return "\x00".join(raw)
    return "regex\x00" + str(raw.get("regex"))

