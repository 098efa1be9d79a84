"""Mutations of messages for the fuzz and property tests (one mutator for both): truncation,
wrong or missing boundaries, bad charsets, bad base64, huge and numerous headers, NULs, deep
nesting, splices of two messages, line-end changes, byte flips, dropped lines, inserted MIME and
DSN tokens, repeated stretches. Each takes (data, position fraction, a number, seeds)."""
from __future__ import annotations

import re
from typing import Sequence

from hypothesis import strategies as st


def _at(data: bytes, fraction: float) -> int:
    return int(len(data) * fraction)


def truncate(data: bytes, f: float, _: int, seeds: Sequence[bytes] = ()) -> bytes:
    return data[: _at(data, f)]


def break_boundary(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    match = re.search(rb'boundary="?([^";\r\n]+)"?', data, re.I)
    if match is None:
        return data
    boundary = match.group(1)
    choice = n % 4
    if choice == 0:  # the parameter names a boundary the body never uses
        return data[: match.start(1)] + b"x" + boundary[::-1] + data[match.end(1):]
    if choice == 1:  # the parameter is gone
        return data[: match.start()] + data[match.end():]
    if choice == 2:  # no closing delimiter
        return data.replace(b"--" + boundary + b"--", b"")
    return data.replace(b"--" + boundary, b"--" + boundary[: _at(boundary, f)], 1 + n % 3)


def bad_charset(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    names = [b"x-unknown-9", b"utf-7", b"utf-16", b"iso-2022-jp", b"", b'"', b"shift_jis\x00", b"utf-32-be"]
    return re.sub(rb"charset=\"?[^\";\s]*\"?", b"charset=" + names[n % len(names)], data, count=1 + n % 3,
                  flags=re.I)


def bad_base64(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    data = re.sub(rb"(?i)content-transfer-encoding:[^\r\n]*", b"Content-Transfer-Encoding: base64", data,
                  count=1 + n % 3)
    position = _at(data, f)
    junk = [b"=", b"====", b"!@#$", b"\xff\xfe", b"QUJD", b"A"][n % 6]
    return data[:position] + junk * (1 + n % 7) + data[position:]


def huge_header(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    if n % 3 == 0:
        header = b"X-Huge: " + b"a" * (1000 + n * 997 % 200_000) + b"\n"
    elif n % 3 == 1:
        header = b"".join(b"X-H%d: v\n" % i for i in range(1000 + n % 9000))
    else:
        header = b"Subject: " + b"=?utf-8?b?" + b"QUJD" * (n % 5000) + b"?=\n"
    return header + data


def nuls(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    position = _at(data, f)
    return data[:position] + b"\x00" * (1 + n % 50) + data[position:]


def deep_nesting(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    depth = 1 + n % 40
    for level in range(depth):
        if level % 2:
            data = b"Content-Type: message/rfc822\n\n" + data
        else:
            data = (b'Content-Type: multipart/mixed; boundary="n%d"\n\n--n%d\n' % (level, level) + data
                    + (b"\n--n%d--\n" % level if n % 3 else b""))
    return b"From: MAILER-DAEMON@example.org\nSubject: Undelivered\n" + data


def splice(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    if not seeds:
        return data
    other = seeds[n % len(seeds)]
    return data[: _at(data, f)] + other[_at(other, 1 - f):]


def line_ends(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    data = data.replace(b"\r\n", b"\n")
    return data.replace(b"\n", [b"\r\n", b"\r", b"\n\n", b"\r\r\n"][n % 4])


def flip(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    if not data:
        return data
    position = min(_at(data, f), len(data) - 1)
    return data[:position] + bytes([(data[position] + 1 + n) % 256]) + data[position + 1:]


def drop_lines(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    lines = data.split(b"\n")
    start = _at(lines, f) if lines else 0  # type: ignore[arg-type]
    return b"\n".join(lines[:start] + lines[start + 1 + n % 5:])


def insert(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    """A token that means something to a MIME or DSN reader, dropped anywhere."""
    tokens = [b"\x00", b"\n--", b"\r", b"=?utf-8?B?", b"\nContent-Type: multipart/mixed\n",
              b"Final-Recipient: rfc822; ", b"\xff\xfe", b"\n\n"]
    position = _at(data, f)
    return data[:position] + tokens[n % len(tokens)] + data[position:]


def duplicate(data: bytes, f: float, n: int, seeds: Sequence[bytes] = ()) -> bytes:
    """A stretch of the message repeated in place (up to 2000 bytes)."""
    position = _at(data, f)
    return data[:position] + data[position: position + 1 + n % 2000] + data[position:]


MUTATIONS = (truncate, break_boundary, bad_charset, bad_base64, huge_header, nuls, deep_nesting,
             splice, line_ends, flip, drop_lines, insert, duplicate)

mutation = st.tuples(st.sampled_from(MUTATIONS), st.floats(0, 1), st.integers(0, 10**6))


@st.composite
def mutated(draw: st.DrawFn, seeds: Sequence[bytes], splice_with: Sequence[bytes] = (),
            most: int = 4) -> bytes:
    """One of ``seeds`` after one to ``most`` mutations (splices take a second message from
    ``splice_with``, else from ``seeds``)."""
    data = draw(st.sampled_from(list(seeds)))
    for function, fraction, number in draw(st.lists(mutation, min_size=1, max_size=most)):
        data = function(data, fraction, number, splice_with or seeds)
    return data
