"""The compiled catalog kept on disk between processes, so that a start-up skips YAML and checks.

One file per catalog combination (shipped or ``--catalog`` path, plus the merged user file) in
the user's cache folder (``ndr/diskcache.py``).
The file starts with a key: a checksum (CRC-32) of every catalog file's bytes, of ndr's version (the code of
the ``ndr`` package, fingerprinted by each module's size and modification time, so an upgrade or
a changed checkout rebuilds) and of the Python version. A file whose key differs is stale.

The cache is never a reason to fail: a missing, stale, truncated, foreign or unreadable file is
ignored (the catalog is rebuilt and the file rewritten), and a folder that cannot be written is
left alone. Files are written atomically (a temporary file renamed over the old one), and read
only when they and their folder belong to the user and nobody else can write them, since a
pickle runs code when it is loaded.
"""
from __future__ import annotations

import binascii
import gc
import os
import pickle
import sys
from typing import TYPE_CHECKING, Callable

from ..diskcache import cache_folder, read_private, write_private
from .entries import Catalog

if TYPE_CHECKING:
    from pathlib import Path

_MAGIC = b"ndr-catalog-cache 3\n"
_KEY_BYTES = 8
_PACKAGE = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))


def cache_dir() -> Path:
    """The folder for ndr's cache files (it may not exist yet)."""
    from pathlib import Path

    return Path(cache_folder())


#: False while ``ndr catalog check`` runs: a check reads and validates the files themselves
#: (and says whatever the checks say), then refreshes the cache.
READ_CACHE = True


def cached_catalog(files: tuple[str, ...], build: Callable[[], Catalog]) -> Catalog:
    """The catalog built from ``files`` by ``build``, from the disk cache when it is fresh.

    ``build`` raises ``CatalogError`` for a broken catalog; only built catalogs are kept.
    """
    key = _key(files)
    if key is None:  # a catalog file cannot be read: let build() say so
        return build()
    path = _file_for(files)
    catalog = _read(path, key) if path is not None and READ_CACHE else None
    if catalog is not None:
        return catalog
    catalog = build()
    if path is not None and _key(files) == key:  # not written if a file changed meanwhile
        _write(path, key, catalog)
    return catalog


def _key(files: tuple[str, ...]) -> bytes | None:
    # A checksum, not a cryptographic hash: it tells a changed catalog from the one cached, and
    # nothing here is a secret or a signature (the file is private: see _read). binascii is
    # loaded anyway (MIME decoding); hashlib would cost 2 ms of OpenSSL start-up per process.
    checksum = binascii.crc32(sys.version.encode(), binascii.crc32(_MAGIC))
    checksum = binascii.crc32(_code_fingerprint(), checksum)
    for name in files:
        try:
            with open(name, "rb") as handle:
                content = handle.read()
        except OSError:
            return None
        checksum = binascii.crc32(content, binascii.crc32(b"\0%d\0" % len(content), checksum))
    return b"%08x" % checksum


def _code_fingerprint() -> bytes:
    """ndr's version: every module's path, size and modification time."""
    rows: list[str] = []
    stack = [_PACKAGE]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.name.endswith(".py"):
                try:
                    info = entry.stat()
                except OSError:  # gone meanwhile: the key differs, as it should
                    continue
                rows.append(f"{entry.path}\0{info.st_size}\0{info.st_mtime_ns}")
            elif entry.is_dir() and entry.name != "__pycache__":
                stack.append(entry.path)
    return "\n".join(sorted(rows)).encode()


def _file_for(files: tuple[str, ...]) -> str | None:
    """The cache file of one combination of catalog files (its own name per combination)."""
    try:
        folder = cache_folder()
    except (OSError, RuntimeError):  # no home folder to be found
        return None
    name = "%08x" % binascii.crc32("\0".join(files).encode("utf-8", "surrogateescape"))
    return os.path.join(folder, f"catalog-{name}.pickle")


def _read(path: str, key: bytes) -> Catalog | None:
    data = read_private(path, _MAGIC + key)
    if data is None:
        return None
    try:
        catalog = _unpickled(data)
    except Exception:  # noqa: BLE001 - a broken cache is rebuilt, whatever broke it
        return None
    return catalog if isinstance(catalog, Catalog) else None


def _unpickled(data: bytes) -> object:
    """``pickle.load`` with the cyclic collector paused: the catalog is some 20,000 objects and no
    garbage, and the collector would walk them repeatedly as they are made."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        return pickle.loads(data)
    finally:
        if enabled:
            gc.enable()


def _write(path: str, key: bytes, catalog: Catalog) -> None:
    try:
        data = pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - an unpicklable catalog (a user's odd value): no cache
        return
    write_private(path, _MAGIC + key + data)
