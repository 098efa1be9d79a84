"""Reading catalog files: the shipped one, a user one merged by id; validated, built and
cached per process (per path and modification time) and on disk (``cache``: keyed by the files'
content, so a fresh process skips YAML, checks and building)."""
from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Hashable

from ..errors import CatalogError
from .cache import cached_catalog
from .entries import Catalog
from .validate import SECTIONS, validate
from .build import build

if TYPE_CHECKING:
    import yaml


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    """A safe loader that records each mapping's line as ``__line__`` (for error locations).

    PyYAML is imported here, when a catalog is actually read (not when the disk cache has it).
    libyaml's parser is used when PyYAML was built with it (about ten times faster), else the
    pure one; both construct with SafeConstructor, which is all this module relies on.
    """
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class LineLoader(base):  # type: ignore[valid-type,misc]
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
        mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return LineLoader


def shipped_catalog_path() -> Path:
    """Where the shipped catalog.yaml is: inside the installed package, else the source tree."""
    # The package folder itself (what importlib.resources gives for an installed package),
    # without importing importlib.resources at start-up.
    packaged = Path(__file__).resolve().parents[1] / "catalog.yaml"
    if packaged.is_file():
        return packaged
    return Path(__file__).resolve().parents[2] / "catalog.yaml"


def load_catalog(extra: str | os.PathLike[str] | None = None,
                 path: str | os.PathLike[str] | None = None) -> Catalog:
    """Load, validate and index the catalog (cached per process).

    ``path`` replaces the shipped catalog; ``extra`` is a user catalog merged into it by id.
    Raises ``CatalogError`` listing every problem when either file is broken.
    """
    base = str(Path(path).resolve()) if path else str(shipped_catalog_path())
    user = str(Path(extra).resolve()) if extra else None
    return _load_cached(base, user, _mtime(base), _mtime(user))


def _mtime(path: str | None) -> float:
    try:
        return os.stat(path).st_mtime if path else 0.0
    except OSError:
        return 0.0


@functools.lru_cache(maxsize=8)
def _load_cached(base: str, user: str | None, _base_mtime: float, _user_mtime: float) -> Catalog:
    files = (base, user) if user else (base,)
    return cached_catalog(files, lambda: _build(base, user))


def _build(base: str, user: str | None) -> Catalog:
    from .languages import language_problems

    data = read_yaml(base)
    overrides: list[str] = []
    label = base
    # Each file must speak every language it uses; checked before merging (per file).
    language = language_problems(data, base if user else None)
    if user:
        extra = read_yaml(user)
        language += language_problems(extra, user)
        data = merge(data, extra, overrides)
        label = f"{base} + {user}"
    problems = validate(data) + language
    if problems:
        raise CatalogError(label, problems)
    return build(data, label, tuple(overrides))


def read_yaml(path: str) -> dict[str, Any]:
    """Read a catalog file; unreadable or non-mapping files raise ``CatalogError``."""
    import yaml

    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
    except OSError as exc:
        raise CatalogError(path, [f"cannot read: {exc.strerror or exc}"]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise CatalogError(path, [f"{where}invalid YAML: {problem}"]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise CatalogError(path, ["the top level must be a mapping with sections "
                                  + ", ".join(SECTIONS)])
    for section in SECTIONS:
        data.setdefault(section, [])
    return data


def merge(base: dict[str, Any], extra: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Merge ``extra`` into ``base`` by section and id; replaced ids are appended to ``overrides``."""
    merged = dict(base)
    for section in SECTIONS:
        items = list(base.get(section) or [])
        positions = {item.get("id"): i for i, item in enumerate(items) if isinstance(item, dict)}
        for item in extra.get(section) or []:
            key = item.get("id") if isinstance(item, dict) else None
            if key is not None and key in positions:
                items[positions[key]] = item
                overrides.append(f"{section}:{key}")
            else:
                items.append(item)
        merged[section] = items
    return merged

