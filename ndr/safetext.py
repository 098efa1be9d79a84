"""Text that may leave Python: no lone surrogates, and nothing that steers a terminal.

Lone surrogates (U+D800–U+DFFF) come from the UTF-7 and UTF-16 codecs, from ``surrogateescape``
and from JSON's ``\\ud83d``; ``str.encode("utf-8")`` refuses them, so one of them in a bounce would
make every write of its record (stdout, JSON, SQLite, SMTP) fail on every retry. Every decode of
outside bytes goes through ``no_surrogates``, and the outputs check once more.

Terminal text (stderr messages, ``--format text``, problem lists) also loses C0/C1 controls and
the bidirectional overrides that make a line read differently from what it holds.
"""
from __future__ import annotations

from functools import partial
from typing import Any, Callable

from .lazy import regex

_SURROGATES = regex("[\ud800-\udfff]")
_SGR = regex("\x1b\\[[0-9;]{0,32}m")  # colours (uvicorn's log levels): dropped whole, not shown as "?[32m"
_TERMINAL = regex("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def no_surrogates(text: str) -> str:
    """``text`` with every lone surrogate replaced by U+FFFD (linear; unchanged text is returned
    as is)."""
    if text.isascii() or _SURROGATES.search(text) is None:
        return text
    return _SURROGATES.sub("\ufffd", text)


def clean_tree(value: Any) -> Any:
    """``no_surrogates`` over every string of a JSON-shaped value (keys included)."""
    if isinstance(value, str):
        return no_surrogates(value)
    if isinstance(value, dict):
        return {clean_tree(k): clean_tree(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_tree(v) for v in value]
    return value


def json_line(row: dict[str, Any], dumps: Callable[[Any], bytes]) -> bytes:
    """``dumps(row)``: one line of JSON in UTF-8, without lone surrogates.

    ``dumps`` must refuse a lone surrogate (orjson raises ``TypeError``, ``str.encode``
    ``UnicodeEncodeError``): the row is encoded once, and only a row that holds one is cleaned
    (``clean_tree``) and encoded again. Cheaper than walking every row first: almost no row holds
    one, since every decode of outside bytes already goes through ``no_surrogates``.
    """
    try:
        return dumps(row)
    except (UnicodeEncodeError, TypeError):
        return dumps(clean_tree(row))  # what else cannot be encoded raises here


def json_lines(rows: list[dict[str, Any]], dumps: Callable[[Any], bytes]) -> bytes:
    """``json_line`` of each row, joined: all the rows encoded at once, and each on its own
    (``json_line``) only when one of them holds a lone surrogate."""
    try:
        return b"".join(map(dumps, rows))
    except (UnicodeEncodeError, TypeError):
        return b"".join([json_line(row, dumps) for row in rows])


def orjson_lines() -> Callable[[Any], bytes]:
    """orjson's JSON Lines encoder: a record and its line end, with no Python frame per record,
    ten times the standard library's speed; it refuses lone surrogates, as ``json_line`` needs.
    Imported when first asked for (1.5 ms, a tenth of a mailbox rule's run)."""
    import orjson

    dumps: Callable[[Any], bytes] = partial(orjson.dumps, option=orjson.OPT_APPEND_NEWLINE)
    return dumps


def for_terminal(text: str) -> str:
    """``text`` safe to show on a terminal: colour sequences are dropped, other controls but
    newline and tab, C1 controls and bidi overrides become ``?``; lone surrogates U+FFFD."""
    text = no_surrogates(text)
    if text.isascii() and text.isprintable():
        return text
    return _TERMINAL.sub("?", _SGR.sub("", text) if "\x1b[" in text else text)


def utf8(text: str) -> bytes:
    """``text`` as UTF-8 bytes, whatever it holds (``surrogateescape`` bytes are given back,
    other lone surrogates become U+FFFD)."""
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return no_surrogates(text).encode("utf-8")


class TerminalStream:
    """A text stream that passes every write through ``for_terminal`` (a leading carriage return,
    which progress bars use, is kept). ``ndr`` wraps stderr in it: messages quote file names,
    archive member names and SMTP replies, all chosen by whoever sent the mail."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        lead = "\r" if text.startswith("\r") else ""
        return int(self._stream.write(lead + for_terminal(text[len(lead):])))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
