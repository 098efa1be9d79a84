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
``TemplateError`` naming the file and line.
"""
from __future__ import annotations

import functools
import os
import types
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from .errors import TemplateError


@functools.lru_cache(maxsize=1)
def shipped_templates_path() -> Path:
    """The shipped templates folder: inside the installed package, else the source tree."""
    packaged = resources.files("ndr") / "templates"
    if packaged.is_dir():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "templates"


def _autoescape(name: str | None) -> bool:
    return bool(name) and (name.endswith(".html.j2") or name.endswith(".html"))  # type: ignore[union-attr]


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
    return env


class Record(dict):  # type: ignore[type-arg]
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


def module(env: jinja2.Environment, name: str) -> Any:
    """The exported variables of a template (e.g. a strings file), as an object."""
    try:
        return env.get_template(name).module
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
