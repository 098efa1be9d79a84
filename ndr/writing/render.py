"""The Jinja2 environments for report templates: lookup order, safety settings, error messages.

Templates only render the human-readable part of a report from a prepared context; the MIME
structure and the machine-readable fields are built in code (``ndr.generate``).

Lookup order: the user's folder (``--templates DIR`` / ``Policy.templates``), then the shipped
templates (``ndr/templates`` in the installed package, else ``templates/`` in the source tree).
The shipped templates are also reachable as ``shipped/<name>``, so a user template with the same
name can ``{% extends "shipped/dsn/failure.txt.j2" %}`` and replace a single block.

One environment per template folder, built once and cached. ``StrictUndefined`` (a misspelt
variable is an error, not an empty string), autoescape for ``.html`` templates, and
``SandboxedEnvironment`` whenever user templates are in play. Any template problem raises
``TemplateError`` naming the file and line. ``Shaped`` renders a shipped template once per
shape of its context and fills the per-message strings in afterwards (same output, a fraction of
the time; see the section below).
"""
from __future__ import annotations

import functools
import os
import string
import types
import weakref
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Mapping

import jinja2
import markupsafe
from jinja2.sandbox import SandboxedEnvironment

from ..errors import TemplateError
from ..lazy import regex


@functools.lru_cache(maxsize=1)
def shipped_templates_path() -> Path:
    """The shipped templates folder: inside the installed package, else the source tree."""
    packaged = resources.files("ndr") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parents[2] / "templates"


def _autoescape(name: str | None) -> bool:
    return name is not None and (name.endswith(".html.j2") or name.endswith(".html"))


def environment(user_dir: str | os.PathLike[str] | None = None) -> jinja2.Environment:
    """The environment for ``user_dir`` (None: shipped templates only), cached per folder."""
    key = str(Path(user_dir).resolve()) if user_dir else None
    if key is not None and not Path(key).is_dir():
        raise TemplateError(f"template folder {user_dir}: not a directory")
    return _environment(key, str(shipped_templates_path()))


@functools.lru_cache(maxsize=8)
def _environment(user_dir: str | None, shipped: str) -> jinja2.Environment:
    shipped_loader = jinja2.FileSystemLoader(shipped)
    loaders: list[jinja2.BaseLoader] = []
    if user_dir is not None:
        loaders.append(jinja2.FileSystemLoader(user_dir))
    loaders += [shipped_loader, jinja2.PrefixLoader({"shipped": shipped_loader})]
    options: dict[str, Any] = dict(
        loader=jinja2.ChoiceLoader(loaders), undefined=jinja2.StrictUndefined,
        autoescape=_autoescape, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        auto_reload=False,
    )
    # User templates are code from outside: sandbox them. The shipped ones are ours.
    env = SandboxedEnvironment(**options) if user_dir is not None else jinja2.Environment(**options)
    env.filters["indent_lines"] = _indent_lines
    if user_dir is None:
        _SHAPES[env] = {}  # shipped templates only: see Shaped
    return env


class Record(dict[str, Any]):
    """A dict whose keys are also attributes, for template contexts.

    Jinja2 looks ``r.address`` up as an attribute first and only falls back to ``r["address"]``
    after an AttributeError; for a plain dict that exception costs more than the rest of the
    lookup. Here the attribute exists, and the value is still an ordinary dict for everything
    else (``r["address"]``, ``r.items()``, JSON).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.__dict__ = self


def _indent_lines(text: str, prefix: str = "  ") -> str:
    return "\n".join(prefix + line if line else line for line in str(text).splitlines())


def render(env: jinja2.Environment, name: str, context: Mapping[str, Any]) -> str:
    """Render template ``name``; any failure is a ``TemplateError`` naming the file and line."""
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or name
        raise TemplateError(f"{where}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {exc.name} (needed by {name})") from None
    except Exception as exc:  # undefined variables, sandbox refusals, errors in filters
        raise TemplateError(f"{_where(exc.__traceback__, name)}: {type(exc).__name__}: {exc}") from None


def module(env: jinja2.Environment, name: str, variables: Mapping[str, Any] | None = None) -> Any:
    """The exported variables of a template (e.g. a strings file), as an object; ``variables``
    are visible while it runs (``_``, the gettext of the report's language)."""
    try:
        template = env.get_template(name)
        return template.make_module(dict(variables)) if variables else template.module
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(f"{exc.filename or exc.name or name}:{exc.lineno}: {exc.message}") from None
    except jinja2.TemplateNotFound:
        raise TemplateError(f"template not found: {name}") from None
    except Exception as exc:
        raise TemplateError(f"{_where(exc.__traceback__, name)}: {type(exc).__name__}: {exc}") from None


def _where(trace: types.TracebackType | None, fallback: str) -> str:
    # Jinja2 rewrites tracebacks so template frames carry the template's file and line; the
    # innermost such frame is where the template went wrong.
    found = fallback
    while trace is not None:
        filename = trace.tb_frame.f_code.co_filename
        if filename.endswith(".j2") or filename.endswith(".html") or filename.endswith(".txt"):
            found = f"{filename}:{trace.tb_lineno}"
        trace = trace.tb_next
    return found


# ---- shaped rendering: a template rendered once per shape of its context ------------------------
#
# A report's human-readable part depends on a handful of per-message strings (addresses, dates,
# the queue id, the last error) and on much that repeats from report to report (the catalog's
# explanation of each failure, the language, which fields are empty). ``Shaped`` renders a shipped
# template once with each per-message string replaced by a marker, remembers the output as a
# format string, and fills the real strings in afterwards (HTML-escaped where the template
# escaped the marker). Emptiness is part of the shape (an empty string is passed through, never
# a marker), so every ``{% if %}`` takes the branch the real value would take. It relies on the
# shipped templates only printing those strings (no filters or comparisons on them); user
# templates (``--templates DIR``) are always rendered directly.

_MARK_OPEN, _MARK_CLOSE = "\ue000", "\ue001"
"""Private-use characters around a marker; output holding a stray one is not shaped."""
_MARKER = regex("\ue000(\\d+)x(&|&amp;)X\ue001")
"""A marker as printed (``&``) or as autoescaped (``&amp;``): the marker shows which one; its
letters of both cases show a case-changing filter (a marker it changed is stray)."""
_SHAPES_MAX = 512
"""Shapes remembered per environment; a listing's failures repeat, so few are ever needed."""
_SHAPES: weakref.WeakKeyDictionary[jinja2.Environment, dict[Any, Any]] = (
    weakref.WeakKeyDictionary())
"""Environments whose templates may be shaped (the shipped-only ones) → their shapes."""


def _plain(value: str) -> str:
    return value


class Shaped:
    """Templates rendered for one context that ``build`` makes from per-message strings.

    ``build(put)`` returns the context, with every per-message string ``v`` written as
    ``put(v)``; everything else in the context must be hashable once lists and dicts are
    frozen into tuples (strings, booleans, None, objects by identity), and is the shape.
    """

    __slots__ = ("env", "build", "values", "context", "key")

    def __init__(self, env: jinja2.Environment, build: Callable[[Callable[[str], str]], Mapping[str, Any]]) -> None:
        self.env = env
        self.build = build
        self.values: list[str] = []
        self.context: Mapping[str, Any] | None = None
        self.key: Any = None
        if env in _SHAPES:
            self.context = build(self._put)
            try:
                self.key = _freeze(self.context)
            except TypeError:  # something unhashable: render directly
                self.context = None

    def _put(self, value: str) -> str:
        if not value:
            return value
        self.values.append(value)
        return f"{_MARK_OPEN}{len(self.values) - 1}x&X{_MARK_CLOSE}"

    def render(self, name: str) -> str:
        """Template ``name`` rendered with the real strings (``TemplateError`` as ``render``)."""
        shape = self._shape(name)
        if shape is None:
            return render(self.env, name, self.build(_plain))
        return shape[0].format(self._filled(shape[1]))

    def render_lines(self, name: str, encode_line: Callable[[str], bytes]) -> bytes:
        """``b"".join(map(encode_line, lines(self.render(name))))``, with the lines that hold no
        per-message string encoded once per shape (``encode_line`` must depend on its line only).
        """
        shape = self._shape(name)
        if shape is None or any("\n" in v or "\r" in v for v in self.values):
            return b"".join(map(encode_line, lines(self.render(name))))  # (a line could split)
        items = _encoded_items(shape[0], encode_line)
        values = self._filled(shape[1])
        # not format(*values): unpacking every value of the message for each line was quadratic
        return b"".join([item if type(item) is bytes else encode_line(item.format(values))  # type: ignore[union-attr]
                         for item in items])

    def _shape(self, name: str) -> tuple[str, int] | None:
        """(format string, whether it uses escaped strings) for ``name``; None: render directly."""
        if self.context is None:
            return None
        shapes = _SHAPES[self.env]
        key = (name, self.key)
        try:
            shape: tuple[str, int] | None = shapes[key]
        except KeyError:
            shape = _shape(render(self.env, name, self.context), len(self.values))
            if len(shapes) >= _SHAPES_MAX:
                shapes.clear()
            shapes[key] = shape
        return shape

    def _filled(self, escaped: int) -> list[str]:
        # The arguments of a shape's format string: the strings, then (if it escapes) escaped.
        if escaped:
            return self.values + [str(markupsafe.escape(v)) for v in self.values]
        return self.values


def _shape(output: str, count: int) -> tuple[str, int] | None:
    """A format string for ``output`` ({i} where marker i was printed, {count + i} where it was
    escaped) and whether any was escaped; None when the output holds a marker character that is
    not part of a whole marker (a filter or a literal changed it: render such shapes directly)."""
    pieces: list[str] = []
    escaped = 0
    last = 0
    for found in _MARKER.finditer(output):
        pieces.append(output[last:found.start()].replace("{", "{{").replace("}", "}}"))
        index = int(found.group(1))
        if found.group(2) != "&":
            escaped, index = 1, index + count
        pieces.append(f"{{0[{index}]}}")  # one list argument: a line's format call costs its own length
        last = found.end()
    pieces.append(output[last:].replace("{", "{{").replace("}", "}}"))
    template = "".join(pieces)
    if _MARK_OPEN in template or _MARK_CLOSE in template:
        return None
    return template, escaped


def lines(text: str) -> list[str]:
    """The lines of ``text`` (any newline convention) without line ends; trailing empty lines
    dropped."""
    return text.replace("\r\n", "\n").replace("\r", "\n").rstrip("\n").split("\n")


# A shape's items depend on its format string and the encoder alone: encoded once per shape.
@functools.lru_cache(maxsize=_SHAPES_MAX)
def _encoded_items(template: str, encode_line: Callable[[str], bytes]) -> tuple[bytes | str, ...]:
    """A shape's format string as line items: runs of lines without a per-message string,
    encoded (bytes), and the other lines as format strings (str). A filled-in line never splits
    or vanishes (its strings hold no newline and are never empty), so the lines of the filled-in
    text are those of the format string."""
    items: list[bytes | str] = []
    static: list[bytes] = []
    for line in lines(template):
        if any(field is not None for _, field, _, _ in _FORMATTER.parse(line)):
            if static:
                items.append(b"".join(static))
                static = []
            items.append(line)
        else:
            static.append(encode_line(line.format()))
    if static:
        items.append(b"".join(static))
    return tuple(items)


_FORMATTER = string.Formatter()


def _freeze(value: Any) -> Any:
    """``value`` with dicts and lists made tuples (a hashable key); TypeError if it cannot be."""
    if isinstance(value, dict):
        return tuple([(k, v if type(v) in _SCALARS else _freeze(v)) for k, v in value.items()])
    if isinstance(value, (list, tuple)):
        frozen = tuple(value)
        try:
            hash(frozen)  # a list of strings, the common case
            return frozen
        except TypeError:
            return tuple([_freeze(v) for v in value])
    hash(value)
    return value


_SCALARS = frozenset({str, bool, int, type(None)})
