"""Reading catalog files: the shipped one, a user one merged by id; validated, built and
cached per process (per path and modification time) and on disk (``cache``: keyed by the files'
content, so a fresh process skips YAML, checks and building)."""
from __future__ import annotations

import functools
import os
from typing import TYPE_CHECKING, Any, Hashable

from ..errors import CatalogError
from .cache import cached_catalog
from .entries import Catalog
from .notices import DECODER

if TYPE_CHECKING:
    from pathlib import Path
    import yaml


def _safe_base() -> type[yaml.SafeLoader]:
    """libyaml's parser when PyYAML was built with it (about ten times faster), else the pure one.

    Both construct with SafeConstructor, which is all this module relies on. PyYAML is imported
    here, when a catalog is actually read (not when the disk cache has it).
    """
    import yaml

    base: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return base


@functools.cache
def _loader() -> type[yaml.SafeLoader]:
    """A safe loader that records each mapping's line as ``__line__`` (for error locations)."""
    import yaml

    class LineLoader(_safe_base()):  # type: ignore[misc]
        pass

    def construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
        mapping = yaml.SafeLoader.construct_mapping(loader, node, deep=True)
        mapping["__line__"] = node.start_mark.line + 1
        return mapping

    LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    return LineLoader


def shipped_catalog_path() -> Path:
    """Where the shipped catalog.yaml is: inside the installed package, else the source tree."""
    from pathlib import Path

    return Path(_shipped_catalog_file())


@functools.cache
def _shipped_catalog_file() -> str:
    # The package folder itself (what importlib.resources gives for an installed package),
    # without importing importlib.resources, nor pathlib, at start-up.
    package = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    packaged = os.path.join(package, "catalog.yaml")
    if os.path.isfile(packaged):
        return packaged
    return os.path.join(os.path.dirname(package), "catalog.yaml")


def load_catalog(extra: str | os.PathLike[str] | None = None,
                 path: str | os.PathLike[str] | None = None) -> Catalog:
    """Load, validate and index the catalog (cached per process).

    ``path`` replaces the shipped catalog; ``extra`` is a user catalog merged into it by id.
    Raises ``CatalogError`` listing every problem when either file is broken.
    """
    base = os.path.realpath(path) if path else _shipped_catalog_file()
    user = os.path.realpath(extra) if extra else None
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
    # Here, not at import: a catalog is built only when its disk cache is missing or stale.
    from .build import build
    from .languages import language_problems
    from .schema import field_problems, used_fields
    from .validate import validate

    deprecations: list[str] = []
    data = lift_notices(read_yaml(base), base, deprecations)
    overrides: list[str] = []
    label = base
    # Each file must speak every language it uses; checked before merging (per file).
    language = language_problems(data, base if user else None)
    shipped = base == _shipped_catalog_file()
    fields = [] if shipped else field_problems(data)  # ours defines what is known, with FIELDS
    if user:
        extra = lift_notices(read_yaml(user), user, deprecations)
        language += language_problems(extra, user)
        known = used_fields(data) if shipped else None
        fields = [f"{base}: {p}" for p in fields] + [f"{user}: {p}" for p in field_problems(extra, known)]
        data = merge(data, extra, overrides)
        label = f"{base} + {user}"
    problems = fields + validate(data) + language
    if problems:
        raise CatalogError(label, problems)
    return build(data, label, tuple(overrides), deprecations)


def lift_notices(data: dict[str, Any], path: str, deprecations: list[str]) -> dict[str, Any]:
    """Move a ``vendors`` entry with ``decoder: fallback`` (the ``notices`` section's old place)
    into ``notices``, noting the deprecation; the file's own ``notices`` keys win."""
    vendors = data.get("vendors")
    if not isinstance(vendors, list):
        return data
    old = [item for item in vendors if isinstance(item, dict) and item.get("decoder") == DECODER]
    if not old:
        return data
    given = data.get("notices")
    notices: dict[str, Any] = given if isinstance(given, dict) else {}
    for item in old:
        deprecations.append(
            f"{path}: line {item.get('__line__', '?')}: vendors entry {item.get('id')!r} with "
            f"decoder: {DECODER} is the old place of the shared phrase lists: move its fields to "
            f"the top-level 'notices' section")
        lifted = {k: v for k, v in item.items() if k not in ("id", "name", "decoder")}
        notices = {**lifted, **notices}
    return {**data, "vendors": [item for item in vendors if not any(item is o for o in old)],
            "notices": notices}


def read_yaml(path: str) -> dict[str, Any]:
    """Read a catalog file; unreadable, non-UTF-8, alias-bomb or misshapen files raise
    ``CatalogError`` naming the line and field."""
    import yaml

    from .schema import shape_problems
    from .validate import SECTIONS

    try:
        with open(path, "rb") as handle:
            raw = handle.read()
    except OSError as exc:
        raise CatalogError(path, [f"cannot read: {exc.strerror or exc}"]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise CatalogError(path, [f"line {line}: not UTF-8 text (byte {raw[exc.start]:#04x})"]) from None
    try:
        if path != _shipped_catalog_file():  # ours holds no aliases; a user's is checked
            problem = alias_problem(text)
            if problem:
                raise CatalogError(path, [problem])
        data = yaml.load(text, Loader=_loader())  # noqa: S506 - a SafeLoader subclass
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
    problems = shape_problems(data)
    if problems:
        raise CatalogError(path, problems)
    for section in SECTIONS:
        data.setdefault(section, [])
    data.setdefault("notices", {})
    return data


MAX_EXPANDED_NODES = 100_000
"""Most YAML nodes a document may stand for once its aliases are expanded (a catalog has a few
thousand; an alias bomb has billions)."""


def alias_problem(text: str) -> str | None:
    """Why the YAML ``text``'s aliases may not be expanded (a bomb, or a recursive alias), or
    None. Counts nodes on the composed graph, each shared node once: linear in the text."""
    if "&" not in text or "*" not in text:
        return None
    import yaml

    root = yaml.compose(text, Loader=_safe_base())
    if root is None:
        return None
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        children = _children(node)
        if closing:
            open_nodes.discard(id(node))
            sizes[id(node)] = size = 1 + sum(sizes[id(c)] for c in children)
            if size > MAX_EXPANDED_NODES:
                return (f"line {node.start_mark.line + 1}: YAML aliases expand to more than "
                        f"{MAX_EXPANDED_NODES} nodes (an alias bomb?)")
            continue
        if id(node) in sizes:
            continue
        if id(node) in open_nodes:
            return f"line {node.start_mark.line + 1}: a YAML alias refers to itself"
        open_nodes.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in children if id(child) not in sizes)
    return None


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def merge(base: dict[str, Any], extra: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Merge ``extra`` into ``base`` by section and id; replaced ids are appended to ``overrides``."""
    from .validate import SECTIONS

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
    notices = extra.get("notices")
    if isinstance(notices, dict) and isinstance(merged.get("notices"), dict):
        merged["notices"] = dict(merged["notices"])
        for key, value in notices.items():
            if key != "__line__" and key in merged["notices"]:
                overrides.append(f"notices:{key}")
            merged["notices"][key] = value
    elif notices:
        merged["notices"] = notices  # not a mapping: validation says so
    return merged

