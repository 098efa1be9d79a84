"""What is loaded only when first used, so that `ndr parse` in a mailbox rule does not pay for what
it never uses: a package's names (PEP 562: the generator, explain, catalog building), and, in the
command-line process only, standard modules that other standard modules import for a rare case;
also attributes computed on first read (``once``) and expressions compiled on first use."""
from __future__ import annotations

import _thread
import importlib
import re
import sys
from importlib.machinery import ModuleSpec
from collections.abc import Mapping
from types import ModuleType
from typing import Any, Callable, Generic, TypeVar, cast, overload

T = TypeVar("T")


class _LazyPackage(ModuleType):
    """A package that keeps its lazily loaded functions over their modules' names.

    Importing a submodule sets it as an attribute of its package: the first ``import
    ndr.generate`` would replace the function ``ndr.generate`` with the module of the same name.
    The function stays.
    """

    def __setattr__(self, name: str, value: object) -> None:
        if name in self.__dict__.get("_lazy_names", ()) and isinstance(value, ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


def load_on_first_use(package: str, names: Mapping[str, str]) -> None:
    """Make each of ``names`` (name → relative module) an attribute of ``package`` that is
    imported when first read."""
    module = sys.modules[package]

    def __getattr__(name: str) -> object:
        module_name = names.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(module_name, package), name)
        setattr(module, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted({*module.__dict__, *names})

    module.__dict__["_lazy_names"] = frozenset(names)
    module.__dict__["__getattr__"] = __getattr__
    module.__dict__["__dir__"] = __dir__
    module.__class__ = _LazyPackage


#: Standard modules the command line lets other standard modules import without loading them
#: until one of their attributes is used, each for what needs it:
#: - inspect (with ast, dis, tokenize: 4-5 ms): dataclasses imports it to write a signature into
#:   the docstring of a class that has none; ndr's dataclasses all have one.
#: - calendar (with locale): email._parseaddr, whose date parser ndr uses, imports it for
#:   mktime_tz only, which ndr does not call.
#: - ipaddress: urllib.parse (imported by pathlib) checks bracketed IPv6 hosts of URLs with it.
DEFERRED_STDLIB = ("inspect", "calendar", "ipaddress")


def defer_stdlib(names: tuple[str, ...] = DEFERRED_STDLIB) -> None:
    """Let ``names`` be imported without being loaded until an attribute is first read.

    For the command-line process only (its entry point, ndr/__main__.py, calls it before anything
    imports them): a library must not change how its host application's modules load. A module
    already loaded, or one that cannot be found, is left alone. Not importlib.util.LazyLoader: before Python 3.12 the
    import statement itself reads ``__spec__``, which makes LazyLoader load the module at once.
    """
    import importlib.util

    for name in names:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            continue
        sys.modules[name] = _deferred(spec)


def _deferred(spec: ModuleSpec) -> ModuleType:
    """A module with its spec (so ``import`` takes it as loaded) whose code runs, in place, when
    an attribute it does not have yet is first asked for (PEP 562 ``__getattr__``)."""
    import importlib.util

    module = importlib.util.module_from_spec(spec)
    lock = _thread.allocate_lock()

    def __getattr__(name: str) -> object:
        with lock:
            if module.__dict__.get("__getattr__") is __getattr__:
                del module.__dict__["__getattr__"]
                assert spec.loader is not None
                spec.loader.exec_module(module)
        return object.__getattribute__(module, name)

    module.__dict__["__getattr__"] = __getattr__
    return module


# Attributes of a compiled expression that a lazy one takes over once compiled, so that after the
# first use ``EXPR.search`` is a plain attribute read, as fast as on the compiled expression.
_PATTERN_ATTRIBUTES = ("search", "match", "fullmatch", "finditer", "findall", "sub", "subn", "split",
                       "scanner", "groups", "groupindex")


class LazyRegex:
    """A regular expression compiled when first used (see ``regex``)."""

    def __init__(self, pattern: str | bytes, flags: int = 0) -> None:
        self._args = (pattern, flags)

    @property
    def compiled(self) -> re.Pattern[Any]:
        """The compiled expression (compiled now if it was not yet)."""
        compiled: re.Pattern[Any] | None = self.__dict__.get("_compiled")
        if compiled is None:
            from .regexcache import compiled as from_cache  # here: ndr.lazy is imported first

            compiled = self.__dict__["_compiled"] = from_cache(*self._args)
            for name in _PATTERN_ATTRIBUTES:
                self.__dict__[name] = getattr(compiled, name)
        return compiled

    @property
    def pattern(self) -> str | bytes:
        """The expression as given, without compiling it."""
        return self._args[0]

    @property
    def flags(self) -> int:
        """The compiled expression's flags, without compiling it where they are known: the
        flags given, plus ``re.UNICODE`` for text (what ``re.compile`` adds), unless the
        expression opens with global inline flags such as ``(?im)`` (Python allows them only
        there; ``(?:``, ``(?P<`` and scoped ``(?i:`` change nothing)."""
        pattern, flags = self._args
        text = pattern.decode("latin-1") if isinstance(pattern, bytes) else pattern
        if text.startswith("(?") and text[2:].lstrip("aiLmsux")[:1] == ")" and text[2:3] != ")":
            return self.compiled.flags
        if isinstance(pattern, str) and not flags & re.ASCII:
            flags |= re.UNICODE
        return int(flags)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") or name in ("_args", "_compiled"):
            raise AttributeError(name)
        return getattr(self.compiled, name)

    def __reduce__(self) -> tuple[Any, ...]:
        return (LazyRegex, self._args)

    def __repr__(self) -> str:
        return f"regex({self._args[0]!r})"


@overload
def regex(pattern: str, flags: int = 0) -> re.Pattern[str]: ...
@overload
def regex(pattern: bytes, flags: int = 0) -> re.Pattern[bytes]: ...
def regex(pattern: str | bytes, flags: int = 0) -> re.Pattern[Any]:  # noqa: E302
    """``re.compile``, compiled when first used instead of when the module is imported.

    For module-level expressions: a command-line start compiled some seventy of them (a tenth of
    its time) while reading one bounce needs a few. Typed as the compiled expression it stands
    for; ``LazyRegex.compiled`` gives the real one.
    """
    return cast("re.Pattern[Any]", LazyRegex(pattern, flags))


class once(Generic[T]):  # noqa: N801  (reads like the decorator it replaces)
    """``functools.cached_property`` without its lock: the value is computed on the first read and
    stored in the instance's ``__dict__``, where later reads find it without calling anything.

    Why: Python 3.11's ``cached_property`` takes a lock on every first read (about 0.6 µs more
    per read here), and a message's views (its parts, its text, the folded and lowercased text)
    are each read first once per message. The lock only guarded against two threads computing the
    same value at once; Python 3.12 dropped it as well. A view is a pure function of its message,
    so two computations give equal values.
    """

    def __init__(self, function: Callable[[Any], T]) -> None:
        self.function = function
        self.name = function.__name__
        self.__doc__ = function.__doc__

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> "once[T]": ...
    @overload
    def __get__(self, instance: object, owner: type | None = None) -> T: ...
    def __get__(self, instance: object, owner: type | None = None) -> "T | once[T]":  # noqa: E301
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.function(instance)
        return value
