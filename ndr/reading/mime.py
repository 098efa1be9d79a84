"""MIME: bytes in, a small typed tree of parts out. The parsing stage; it does not interpret.

Bounces are broken mail, and parsing is ndr's hot path, so this is a lenient, lazy scanner built
on ``bytes.find``: headers are read into (name, value) pairs in one pass (a value is unfolded
when read), multiparts are split on their boundaries, embedded messages are scanned the same
way, and bodies are decoded (transfer encoding, then charset) only when a decoder asks for
their text. Problems become defects; this
module raises on bad input only under a policy that raises on defects.

Why not flanker's MIME parser, or the stdlib's? Measured on the corpus, flanker's parser takes
about twice the time of the stdlib's ``message_from_bytes`` and rejects some real bounces outright
(a multipart without a boundary); the stdlib's feed parser walks every line in Python.
"""
from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field
from typing import Iterator

from ..errors import Defect, DefectKind, Defects
from ..policy import DEFAULT, Policy
from .charsets import _unbase64, decode_bytes, decode_words, split_content_type
# (re-exported: readers of a returned message's bytes use them through this module)
from .framing import _HEADER_LINE, strip_framing, cut_long_lines as cut_long_lines, \
    normalise_newlines as normalise_newlines
from ..lazy import regex

class Headers:
    """An ordered header block: (name, unfolded value) pairs, looked up case-insensitively."""

    __slots__ = ("_pairs", "_fields", "_first")

    def __init__(self, fields: list[tuple[str, str]]) -> None:
        self._pairs = fields
        """What lookups index: ``fields`` itself, or the pairs as scanned (``scanned``)."""
        self._fields: list[tuple[str, str]] | None = fields
        self._first: dict[str, str] | None = None

    @classmethod
    def scanned(cls, found: list[tuple[str, str]], first: dict[str, str] | None = None) -> Headers:
        """Headers over ``_FIELD``'s (name, value) pairs, each value unfolded only when read: most
        of a message's header fields (Received, DKIM ...) are never read, and this runs for
        every part of every message. ``first``: their index (``_index``), when already made."""
        headers = cls.__new__(cls)  # no __init__ frame: this runs for every part
        headers._pairs, headers._fields, headers._first = found, None, first
        return headers

    @property
    def fields(self) -> list[tuple[str, str]]:
        """The (name, unfolded value) pairs, in order."""
        if self._fields is None:
            self._fields = [(name, _clean(value)) for name, value in self._pairs]
        return self._fields

    def _index(self) -> dict[str, str]:
        # Each lowercased name's first value: built from the end, so an earlier duplicate
        # overwrites a later one. (A comprehension: this runs for most parts of every message,
        # and beats zip/map/dict and a memo of lowercased names at every header size measured,
        # 1 to 30 fields.) _header_and_body builds it so too, as it scans a header.
        first = self._first = {name.lower(): value for name, value in reversed(self._pairs)}
        return first

    def get(self, name: str, default: str | None = None) -> str | None:
        """The first value of field ``name`` (raw, RFC 2047 words not decoded)."""
        first = self._first
        if first is None:
            first = self._index()
        value = first.get(name)  # callers mostly ask in lowercase: no lower() copy for them
        if value is None:
            if name.islower():  # a lowercase name is its own key: absent
                return default
            value = first.get(name.lower())
            if value is None:
                return default
        if self._pairs is self._fields:
            return value
        return value.strip() if "\n" not in value else _clean(value)  # _clean, one call fewer

    def get_all(self, name: str) -> list[str]:
        """Every value of field ``name``, in order."""
        key = name.lower()
        first = self._first
        if key not in (first if first is not None else self._index()):
            return []
        if self._pairs is self._fields:
            return [value for field, value in self._pairs if field.lower() == key]
        return [_clean(value) for field, value in self._pairs if field.lower() == key]

    def decoded(self, name: str) -> str | None:
        """The first value of ``name`` with RFC 2047 encoded words decoded."""
        value = self.get(name)
        return decode_words(value) if value is not None else None

    def __contains__(self, name: object) -> bool:
        first = self._first
        return isinstance(name, str) and name.lower() in (first if first is not None else self._index())

    def __len__(self) -> int:
        return len(self._pairs)


@dataclass(slots=True, repr=False, eq=False)
class Part:
    """One MIME entity: its header, its type, and its body or children."""

    headers: Headers
    content_type: str = "text/plain"
    """Lowercased ``maintype/subtype``."""
    params: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    """The body as transmitted (transfer encoding not yet undone)."""
    parts: list["Part"] = field(default_factory=list)
    """Children of a multipart."""
    message: "Part | None" = None
    """The embedded message of message/rfc822, message/global or *-headers parts."""
    defects: list[Defect] = field(default_factory=list)
    """Defects of the whole message (filled on the top-level part only)."""

    @property
    def is_multipart(self) -> bool:
        return self.content_type.startswith("multipart/")

    def walk(self, into_messages: bool = False) -> Iterator["Part"]:
        """This part and its descendants, depth first (an embedded message after the part's
        children, and only if asked)."""
        # A stack, not nested generators: every message is walked, and a level costs a frame.
        stack = [self]
        while stack:
            part = stack.pop()
            yield part
            if into_messages and part.message is not None:
                stack.append(part.message)
            if part.parts:
                stack.extend(reversed(part.parts))

    def payload(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone."""
        encoding = self.headers.get("content-transfer-encoding")
        if encoding:  # most parts declare none: no strip or lower of ""
            encoding = encoding.strip().lower()
            if encoding == "base64":
                return _unbase64(self.body)
            if encoding == "quoted-printable":
                return binascii.a2b_qp(self.body)
        return self.body

    def text(self) -> str:
        """The body as text: transfer encoding undone, then the declared charset decoded."""
        return decode_bytes(self.payload(), self.params.get("charset"))


_new_part = object.__new__
"""``_new_part(Part)``: a part without its ``__init__``, whose fields ``_entity`` sets."""


# One field: its name, and its value with any continuation lines (unfolded afterwards).
# Possessive (*+, ++): what follows each repeat cannot start with what it repeats, so giving
# back never helps a match; the engine keeps no backtracking state (an eighth less time).
_NAME = r"([!-9;-~]++)[ \t]*+:[ \t]*+"
_VALUE = r"(.*+(?:\n[ \t].*+)*+)"  # with its continuation lines
_FIELD = regex(rf"^{_NAME}{_VALUE}", re.M)
# _FIELD, or a stray line (neither a field nor a continuation) as a pair with an empty name:
# one pass gives a header's fields and tells whether it holds a line that ends it early.
_FIELD_OR_STRAY = regex(rf"^(?:{_NAME}|(?=[^ \t])){_VALUE}", re.M)
_LINE_START = regex(r"^[^ \t\n]", re.M)
_STRAY_LINE = regex(r"^(?![ \t]|[!-9;-~]+[ \t]*:).+$", re.M)
# A line of a header block that is neither a field nor a continuation: after a newline (a
# literal first character lets the search skip from newline to newline in C; ``^`` with
# re.M would try every position); a first line is checked by ``framing._HEADER_LINE``.
_NOT_HEADER_LINE = regex(rb"\n(?![ \t]|[!-9;-~]+[ \t]*:)")
_LF = ord("\n")


def parse_headers(block: bytes, policy: Policy = DEFAULT,
                  defects: list[Defect] | None = None) -> Headers:
    """Parse a header block (LF line ends) into ``Headers``; stray lines become defects.

    Regular expressions do the line work in C: this runs for every part of every message.
    """
    text = _header_text(block)
    found = _fields(text, policy, defects)
    if defects is not None and len(found) < policy.max_header_count \
            and len(_LINE_START.findall(text)) > len(found):
        defects.extend(Defect(DefectKind.MALFORMED_HEADER, line[:80]) for line in _STRAY_LINE.findall(text))
    return Headers.scanned(found)


def _header_text(block: bytes) -> str:
    try:
        return block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("latin-1")


def _fields(text: str, policy: Policy, defects: list[Defect] | None) -> list[tuple[str, str]]:
    """The (name, value as scanned) pairs of a header text, at most ``policy.max_header_count``."""
    limit = policy.max_header_count
    if len(text) > limit and text.count("\n") >= limit:  # maybe too many: stop at one too many
        found: list[tuple[str, str]] = []
        for match in _FIELD.finditer(text):
            if len(found) >= limit:
                if defects is not None:
                    defects.append(Defect(DefectKind.HEADER_LIMIT, f"more than {limit} header fields"))
                break
            found.append((match[1], match[2]))
    else:  # fewer lines than the limit allows fields: all of them at once, in C
        found = _FIELD.findall(text)
    return found


def _clean(value: str) -> str:
    """A scanned field value unfolded and stripped."""
    if "\n" not in value:
        return value.strip()
    # not a regex: \s*\n\s* rescans a long run of blanks from each of its positions
    return " ".join(filter(None, map(str.strip, value.split("\n"))))  # C-level loops


def split_header_body(data: bytes) -> tuple[bytes, bytes]:
    """Split at the first blank line; a header block ends early at the first non-header line."""
    if data.startswith(b"\n"):
        return b"", data[1:]
    end = data.find(b"\n\n")
    head = data if end < 0 else data[:end]
    # A block that turns into body text without a blank line (a common defect) ends at the
    # first line that is neither a field nor a continuation.
    if not _HEADER_LINE.match(head):
        return b"", data
    stray = _NOT_HEADER_LINE.search(head)
    if stray is not None and stray.end() < len(head):
        position = stray.end()
        return data[: position - 1], data[position:]
    if end < 0:
        return data, b""
    return data[:end], data[end + 2:]


def parse(data: bytes, policy: Policy = DEFAULT) -> Part:
    """Scan a whole message. Defects land on the returned part; bad input raises only under a
    policy that raises on defects (``DefectError`` at the first one, where it is found)."""
    defects = Defects(policy.raise_on_defect)
    if len(data) > policy.max_message_bytes:
        defects.append(Defect(DefectKind.SIZE_LIMIT, f"{len(data)} bytes; only the first "
                                                      f"{policy.max_message_bytes} were read"))
        data = data[: policy.max_message_bytes]
    data = cut_long_lines(normalise_newlines(data), policy.max_line_bytes, defects)
    data = strip_framing(data, defects)
    counter = [0]
    root = _entity(data, policy, defects, 0, counter)
    root.defects = defects
    return root


def _header_and_body(data: bytes, policy: Policy, defects: list[Defect]) -> tuple[Headers, bytes]:
    """``split_header_body``, then the header's fields: in one pass over the header when no
    line of it is stray (almost every header), else as those two functions do."""
    end = data.find(b"\n\n")
    head = data if end < 0 else data[:end]
    if head and head[0] != _LF:  # not head.startswith(b"\n"): a byte by value, no method call
        try:  # _header_text, without a call for every part
            text = head.decode("utf-8")
        except UnicodeDecodeError:
            text = head.decode("latin-1")
        limit = policy.max_header_count
        if len(text) <= limit or text.count("\n") < limit:  # else _fields stops at the limit
            # Decoding keeps each line's first character ASCII or not, so a line is stray in
            # the text exactly when it is in the bytes. No stray line (the first one too is a
            # field or a continuation): split_header_body splits at the blank line, and these
            # are _FIELD's pairs (its pattern is the first branch).
            found = _FIELD_OR_STRAY.findall(text)
            if found:
                # The index every part's header is asked (its Content-Type) tells at once whether
                # a line is stray: only a stray line's name is "" (a field's has a character).
                index = {name.lower(): value for name, value in reversed(found)}  # Headers._index's
                if "" not in index:
                    return Headers.scanned(found, index), b"" if end < 0 else data[end + 2:]
    head, body = split_header_body(data)
    # split_header_body ends the block before any line that is neither a field nor a
    # continuation, so it holds no stray line: no need for parse_headers' check
    return Headers.scanned(_fields(_header_text(head), policy, defects)), body


def _entity(data: bytes, policy: Policy, defects: list[Defect], depth: int,
            counter: list[int]) -> Part:
    headers, body = _header_and_body(data, policy, defects)
    ctype, params = split_content_type(headers.get("content-type"))
    # Part's fields set here, not by its __init__ (a type call and a frame, for every part);
    # tests/test_mime_split_fast.py checks that these are all its fields
    part = _new_part(Part)
    part.headers, part.content_type, part.params, part.body = headers, ctype, params, body
    part.parts, part.message, part.defects = [], None, []
    counter[0] += 1
    if counter[0] > policy.max_parts:
        if counter[0] == policy.max_parts + 1:
            defects.append(Defect(DefectKind.PART_LIMIT, f"more than {policy.max_parts} MIME parts"))
        return part
    if depth >= policy.max_depth:
        if ctype.startswith(("multipart/", "message/")):
            defects.append(Defect(DefectKind.DEPTH_LIMIT, f"MIME nesting deeper than {policy.max_depth}"))
        return part
    if ctype[:10] == "multipart/":  # ctype.startswith("multipart/"), without its argument parsing
        boundary = params.get("boundary")
        # Split off no more parts than the limit leaves room for (plus one, which notes the
        # defect): 2 million parts in 10 MB must not be built only to be ignored.
        room = max(policy.max_parts - counter[0], 0) + 1
        chunks = _split_multipart(body, boundary.encode("utf-8", "replace"), defects, room) if boundary else None
        if chunks is None:
            defects.append(Defect(DefectKind.MISSING_BOUNDARY,
                                  f"{ctype} without {'a usable' if boundary else 'a'} boundary"))
            part.content_type = "text/plain"
        else:
            part.parts = [_entity(chunk, policy, defects, depth + 1, counter) for chunk in chunks]
    elif ctype in ("message/rfc822", "message/global"):
        inner = part.payload() if headers.get("content-transfer-encoding") else body
        inner = cut_long_lines(normalise_newlines(inner), policy.max_line_bytes, defects)
        part.message = _entity(inner, policy, defects, depth + 1, counter)
    elif ctype in ("text/rfc822-headers", "message/global-headers", "message/partial-headers"):
        inner = normalise_newlines(part.payload())
        # Some MTAs put a blank line first, or return the body too; read the header block only.
        part.message = Part(headers=_header_and_body(inner.lstrip(b"\n"), policy, defects)[0])
    return part


_DELIMITER_ENDS = (b"", b"\n", b" ", b"\t")
"""What may follow a boundary delimiter on its line (besides the closing "--"). A tuple: a
one-byte slice is compared by ``==``; ``in b"\n \t"`` would first try it as an int (an exception)."""


def _ends_delimiter(body: bytes, end: int) -> bool:
    """Whether a delimiter ending at ``end`` ends its line (or is the closing one), not a longer
    boundary: the byte after it (b"" at the body's end) is one of _DELIMITER_ENDS, or "--"."""
    return body[end:end + 1] in _DELIMITER_ENDS or body[end:end + 2] == b"--"


def _split_multipart(body: bytes, boundary: bytes, defects: list[Defect],
                     most: int = 1 << 62) -> list[bytes] | None:
    delimiter = b"--" + boundary
    line = b"\n" + delimiter
    size = len(delimiter)
    position = 0 if body.startswith(delimiter) and _ends_delimiter(body, size) else -1
    search_from = 0
    while position < 0:
        found = body.find(line, search_from)
        if found < 0:
            return None
        if _ends_delimiter(body, found + 1 + size):
            position = found + 1
        search_from = found + 1
    chunks: list[bytes] = []
    while len(chunks) < most:
        after = position + size
        if body[after:after + 2] == b"--":  # startswith(b"--", after), without its argument parsing
            return chunks
        line_end = body.find(b"\n", after)
        if line_end < 0:
            defects.append(Defect(DefectKind.TRUNCATED_MULTIPART, "the message ends inside a delimiter line"))
            return chunks
        found = body.find(line, line_end)
        while found >= 0 and not _ends_delimiter(body, found + 1 + size):
            found = body.find(line, found + 1)
        if found < 0:
            defects.append(Defect(DefectKind.TRUNCATED_MULTIPART, "no closing boundary"))
            chunks.append(body[line_end + 1:])
            return chunks
        chunks.append(body[line_end + 1: found])
        position = found + 1
    return chunks  # the part limit is reached: the rest is not split
