"""Compiled regular expressions kept on disk between processes.

``re.compile`` parses an expression and turns it into the code its engine runs; for ndr's
expressions (addresses, hosts, the catalog's shapes) that is about 0.1 ms each, and a one-bounce
``ndr parse`` needs thirty to sixty of them: a tenth of its time. The engine's code is a list of
integers that the same Python builds the same way every time, so it is kept here, in one file
per Python version in ndr's cache folder, and handed straight to the engine on the next start.

Trust and staleness: the file starts with the Python version and the engine's magic number
(another Python ignores it), is read only when private (``ndr/diskcache.py``), and holds only
marshal data (numbers, strings, tuples, dicts: loading it runs nothing); the engine checks the
code it is given. Each entry is found by the expression and flags exactly. An expression the
cache lacks is compiled as usual, and the file is rewritten when the process exits (expressions
of at most ``MAX_PATTERN`` characters; past ``MAX_ENTRIES`` entries, only those the process used).
"""
from __future__ import annotations

import re
import sys
from typing import Any

import _sre  # type: ignore[import-not-found]  # the engine behind re, without stubs

from .diskcache import KeptDict

MAX_ENTRIES = 4096
MAX_PATTERN = 20_000
_HEAD = f"ndr-regex-cache 2 {sys.version} {_sre.MAGIC} {_sre.CODESIZE}\n".encode()

Entry = tuple[int, bytes, int, dict[str, int], tuple[Any, ...]]
"""What ``_sre.compile`` takes after the expression: flags, code (its 32-bit words as bytes: a
file of many entries loads as fast as one of few), groups, group names both ways."""

kept = KeptDict(f"regex-{sys.implementation.cache_tag}.marshal", _HEAD, MAX_ENTRIES)
"""Entries by (expression, flags)."""


def compiled(pattern: str | bytes, flags: int = 0) -> re.Pattern[Any]:
    """``re.compile(pattern, flags)``, from the cache when it holds it (and into it when not)."""
    key = (pattern, int(flags))
    entry = kept.get(key)
    if entry is None and len(pattern) <= MAX_PATTERN:
        entry = _entry(pattern, int(flags))
        if entry is not None:
            kept.add(key, entry)
    if entry is not None:
        try:
            flags_seen, code, groups, names, by_index = entry
            words = memoryview(code).cast("I").tolist()
            return _sre.compile(pattern, flags_seen, words, groups, names, by_index)  # type: ignore[no-any-return]
        except Exception:  # noqa: BLE001 - an entry this engine refuses: compile it as usual
            pass
    return re.compile(pattern, flags)


def _entry(pattern: str | bytes, flags: int) -> Entry | None:
    """What ``re._compiler.compile`` hands the engine for ``pattern`` (its own steps)."""
    try:
        import importlib

        _compiler: Any = importlib.import_module("re._compiler")  # loaded with re; no stubs
        _parser: Any = importlib.import_module("re._parser")
        parsed = _parser.parse(pattern, flags)
        from array import array

        code = array("I", [int(op) for op in _compiler._code(parsed, flags)]).tobytes()
        names = dict(parsed.state.groupdict)
        by_index: list[Any] = [None] * parsed.state.groups
        for name, index in names.items():
            by_index[index] = name
        return (int(flags | parsed.state.flags), code, parsed.state.groups - 1, names, tuple(by_index))
    except Exception:  # noqa: BLE001 - another Python's internals: no cache, never a failure
        return None
