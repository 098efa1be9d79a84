"""Decoding what headers and parts declare: charsets (with the aliases mail uses), RFC 2047 encoded
words, Content-Type parameters."""
from __future__ import annotations

import binascii
import codecs
import functools
import re

from ..safetext import no_surrogates
from ..lazy import regex


_ESC = 0x1B
_ENCODED_WORD = regex(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_ENCODED_GAP = regex(r"(\?=)\s+(=\?)")
_PARAM = regex(r';\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"?|([^;\s]*))')
# Charset names seen in real bounces that Python's codec registry does not know.
_CHARSET_ALIASES = {
    "x-sjis": "shift_jis", "shift-jis": "shift_jis", "sjis": "shift_jis", "x-euc-jp": "euc_jp",
    "iso-2022-jp-2": "iso2022_jp_2", "unicode-1-1-utf-7": "utf-7", "ks_c_5601-1987": "cp949",
    "x-unknown": "latin-1", "unknown-8bit": "latin-1", "x-user-defined": "latin-1",
    "ansi_x3.4-1968": "ascii", "iso-8859-8-i": "iso-8859-8", "gb2312": "gb18030", "gbk": "gb18030",
}
# Python codecs that are no mail charset; punycode and idna also decode in quadratic time.
_NOT_CHARSETS = frozenset({"punycode", "idna", "unicode-escape", "raw-unicode-escape", "undefined"})


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode ``data`` in ``charset``; guess UTF-8, then ISO-2022-JP, then Latin-1 when unsure."""
    codec = (_codec(charset) if len(charset) <= 64 else _codec.__wrapped__(charset)) if charset else None
    if codec is not None:
        try:
            text = data.decode(codec, "replace")
        except (UnicodeError, ValueError, TypeError):  # idna & co. fail even with "replace"
            pass
        else:
            # UTF-8's decoder never yields a lone surrogate (it replaces encoded ones): only the
            # other codecs' texts are searched for them (utf-7: "+2D0-")
            return text if codec == "utf-8" else no_surrogates(text)
    if data.isascii():
        # an escape byte first (memchr, an int: framing._CR says why): most texts have none,
        # and two-byte finds cost more
        if _ESC in data and (b"\x1b$" in data or b"\x1b(" in data):
            return data.decode("iso2022_jp", "replace")
        return data.decode("ascii")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


# A charset parameter's codec, found once per distinct value (a part's text is decoded by it;
# most parts of an archive declare one of a few charsets). At most 256 values of at most 64
# characters are kept.
@functools.lru_cache(maxsize=256)
def _codec(charset: str) -> str | None:
    """The codec name to decode ``charset`` with; None for ASCII, an unknown name or a codec
    that is no mail charset (those texts are guessed)."""
    name = charset.strip().strip('"').lower()
    if not name or name in ("us-ascii", "ascii"):
        return None
    name = _CHARSET_ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # unknown, or a name holding a NUL
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_CHARSETS:  # hex, rot13 ...
        return None
    return info.name


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words in a header value; text around them is kept."""
    if "=?" not in value:
        return value
    # The gap's two groups are always "?=" and "=?": a literal replacement, not the template
    # r"\1\2", which Python 3.11 expands by importing ``re`` (through the import system) per call.
    value = _ENCODED_GAP.sub("?==?", value)

    def one(match: re.Match[str]) -> str:
        charset = match.group(1).split("*", 1)[0]
        data = match.group(3)
        try:
            if match.group(2) in "bB":
                raw = _unbase64(data.encode("ascii", "replace"))
            else:
                raw = binascii.a2b_qp(data.replace("_", " ").encode("ascii", "replace"))
        except (ValueError, binascii.Error):
            return match.group(0)
        return decode_bytes(raw, charset)

    return _ENCODED_WORD.sub(one, value)


def split_content_type(value: str | None) -> tuple[str, dict[str, str]]:
    """``('maintype/subtype', params)`` from a Content-Type value; text/plain when absent."""
    if not value:
        return "text/plain", {}
    # bounded memory: at most 512 remembered values of at most 512 characters
    known = _split_remembered(value) if len(value) <= 512 else _split_content_type(value)
    return known[0], known[1].copy()  # a part's own params: callers may change them


# Most values recur (text/plain; charset=us-ascii, message/delivery-status ...): parsed once.
@functools.lru_cache(maxsize=512)
def _split_remembered(value: str) -> tuple[str, dict[str, str]]:
    return _split_content_type(value)


def _split_content_type(value: str) -> tuple[str, dict[str, str]]:
    head, _, rest = value.partition(";")
    ctype = head.strip().lower() or "text/plain"
    if "/" not in ctype:
        ctype = "text/plain" if ctype in ("text", "") else ctype + "/unknown"
    params: dict[str, str] = {}
    if rest:
        # findall gives "" for the branch not taken: a quoted value when it is not empty, else
        # the bare one ("" when the quoted branch matched an empty value), as the groups say
        for name, quoted, bare in _PARAM.findall(";" + rest):
            raw = quoted or bare
            params.setdefault(name.lower().rstrip("*"), raw.replace('\\"', '"') if raw else "")
    return ctype, params


def _unbase64(data: bytes) -> bytes:
    try:
        return binascii.a2b_base64(data)
    except binascii.Error:
        # Bad padding or stray characters: keep what decodes.
        cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
        cleaned = cleaned[: len(cleaned) - len(cleaned) % 4]
        try:
            return binascii.a2b_base64(cleaned)
        except binascii.Error:
            return b""
