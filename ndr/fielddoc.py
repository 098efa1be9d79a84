"""Field descriptions that ``help()`` can show, written once as attribute docstrings.

A string right under a dataclass field (``reason: str = "undefined"`` then ``\"\"\"Catalog reason
id…\"\"\"``) documents the field for readers of the source and for Sphinx, but Python keeps it
nowhere: a ``slots=True`` dataclass turns each field into a bare member descriptor, so
``help(ndr.RecipientResult)`` would show the names only. ``documented`` reads those strings from
the class's source once, when the class is created, and appends them to the class docstring as
an ``Attributes:`` section (and keeps them in ``__field_docs__``). Without the source (a frozen
application) the class is left as it is.
"""
from __future__ import annotations

import functools
import re
import sys
from dataclasses import fields
from typing import TypeVar
from .lazy import regex

T = TypeVar("T", bound=type)

# A field line at the class body's indentation, then a docstring right under it. A pattern, not
# the ast module: this runs while `ndr parse` starts, and a scan costs a tenth of a parse.
_NEXT_TOP_LEVEL = regex(r"\n\S")
_FIELD_NOTE = regex(r'^    (\w+): [^\n]*\n    """(.*?)"""', re.M | re.S)


def documented(cls: T) -> T:
    """Class decorator (put it above ``@dataclass``): the fields' docstrings join ``__doc__``."""
    module = sys.modules.get(cls.__module__)
    path = getattr(module, "__file__", None)
    notes = _attribute_docs(path, cls.__qualname__) if path else {}
    if not notes:
        return cls
    lines = ["", "Attributes:"]
    for item in fields(cls):
        kind = item.type if isinstance(item.type, str) else getattr(item.type, "__name__", str(item.type))
        note = notes.get(item.name)
        lines.append(f"    {item.name} ({kind})" + (f": {note}" if note else ""))
    cls.__doc__ = (cls.__doc__ or cls.__name__).rstrip() + "\n" + "\n".join(lines) + "\n"
    setattr(cls, "__field_docs__", dict(notes))
    return cls


@functools.lru_cache(maxsize=8)
def _source(path: str) -> str:
    try:
        with open(path, encoding="utf-8") as stream:
            return stream.read()
    except (OSError, UnicodeDecodeError):
        return ""


def _attribute_docs(path: str, name: str) -> dict[str, str]:
    """``{field: docstring, white space folded}`` for the top-level class ``name`` in ``path``."""
    text = _source(path)
    # String searches, not patterns made per class: each would be compiled at every start.
    head = f"\nclass {name}"
    start = text.find(head)
    while start >= 0 and text[start + len(head):start + len(head) + 1] not in ("(", ":"):
        start = text.find(head, start + 1)
    if start < 0:
        return {}
    body_start = text.find("\n", start + 1) + 1
    end = _NEXT_TOP_LEVEL.search(text, body_start)
    body = text[body_start:end.start() + 1 if end else len(text)]
    return {m.group(1): " ".join(m.group(2).split()) for m in _FIELD_NOTE.finditer(body)}
