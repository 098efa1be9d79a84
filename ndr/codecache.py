"""Python source that the standard library compiles while ndr starts, kept compiled on disk.

``dataclasses`` writes each class's ``__init__``, ``__repr__``, ``__eq__`` ... as source text and
compiles it when the class is made: about sixty functions for the classes a one-bounce ``ndr
parse`` loads, 6 ms of its 47 ms, every run. The same Python compiles the same text to the same
code, so the code is kept (marshal, as a ``.pyc`` file keeps it) in one private file per Python
version in ndr's cache folder (``ndr/diskcache.py``), found by the text itself, and the next
process takes it from there instead of compiling.

Only the ``ndr`` command's own process does this (``ndr/__main__.py`` calls ``install``): it gives
the ``dataclasses`` module a global ``exec``, which its ``exec(text, globals, namespace)`` calls
find before the builtin. Another Python, a file that is damaged or not private, a text not seen
before: the text is compiled as usual (and kept for the next process).
"""
from __future__ import annotations

import builtins
import sys
from types import CodeType
from typing import Any

from .diskcache import KeptDict

MAX_ENTRIES = 1024
MAX_SOURCE = 20_000
_MAGIC = getattr(sys.modules.get("_frozen_importlib_external"), "MAGIC_NUMBER", b"")
_HEAD = f"ndr-code-cache 1 {sys.version} {_MAGIC.hex()}\n".encode()

kept = KeptDict(f"code-{sys.implementation.cache_tag}.marshal", _HEAD, MAX_ENTRIES)
"""Code objects by their source text."""


def install() -> None:
    """Make ``dataclasses`` compile the methods it writes through ``cached_exec``."""
    import dataclasses

    dataclasses.exec = cached_exec  # type: ignore[attr-defined]


def cached_exec(source: Any, globals: dict[str, Any] | None = None,  # noqa: A002 - exec's names
                locals: Any = None, /) -> None:  # noqa: A002
    """``exec(source, globals, locals)``, with a source text's code from the cache when it is kept."""
    if type(source) is str and len(source) <= MAX_SOURCE:
        code = kept.get(source)
        if type(code) is not CodeType:
            # as exec compiles it for dataclasses: no __future__ flags of this module's
            code = compile(source, "<string>", "exec", dont_inherit=True)
            kept.add(source, code)
        source = code
    builtins.exec(source, globals, locals)
