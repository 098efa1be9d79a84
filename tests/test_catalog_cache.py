"""The compiled catalog's disk cache: used when fresh, rebuilt when stale or broken, never a failure."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

import ndr
from ndr.catalog import CatalogError, cache
from tests.conftest import EXAMPLES, run_ndr


SHIPPED = ndr.load_catalog()  # loaded once, before any test points the cache elsewhere


class Builds:
    """A build function that counts its calls and returns the shipped catalog."""

    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> ndr.Catalog:
        self.calls += 1
        return SHIPPED


@pytest.fixture()
def setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    folder = tmp_path / "cache"
    monkeypatch.setenv("NDR_CACHE_DIR", str(folder))
    source = tmp_path / "catalog.yaml"
    source.write_text("reasons: []\n")
    return folder, source


def only_file(folder: Path) -> Path:
    files = list(folder.glob("catalog-*.pickle"))
    assert len(files) == 1, files
    return files[0]


def test_second_load_comes_from_disk(setup: tuple[Path, Path]) -> None:
    folder, source = setup
    builds = Builds()
    first = cache.cached_catalog((str(source),), builds)
    second = cache.cached_catalog((str(source),), builds)
    assert builds.calls == 1
    assert second is not first and second.reasons.keys() == first.reasons.keys()
    assert second.codes == first.codes
    assert oct(only_file(folder).stat().st_mode & 0o777) == oct(0o600)
    assert not list(folder.glob(".*.tmp"))  # the temporary file was renamed, not left behind


def test_changed_catalog_file_is_a_stale_key(setup: tuple[Path, Path]) -> None:
    _, source = setup
    builds = Builds()
    cache.cached_catalog((str(source),), builds)
    source.write_text("reasons: []  # edited\n")
    cache.cached_catalog((str(source),), builds)
    assert builds.calls == 2
    cache.cached_catalog((str(source),), builds)
    assert builds.calls == 2  # the rebuilt one was written back


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "header only"])
def test_corrupt_file_is_rebuilt_and_rewritten(setup: tuple[Path, Path], damage: str) -> None:
    folder, source = setup
    builds = Builds()
    cache.cached_catalog((str(source),), builds)
    path = only_file(folder)
    data = path.read_bytes()
    head = len(cache._MAGIC) + cache._KEY_BYTES
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": data[:head] + b"\x80\x05junk" * 50,
                      "empty": b"", "header only": data[:head]}[damage])
    catalog = cache.cached_catalog((str(source),), builds)
    assert builds.calls == 2 and catalog.reasons
    cache.cached_catalog((str(source),), builds)
    assert builds.calls == 2


def test_unwritable_cache_folder_is_no_failure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("NDR_CACHE_DIR", str(blocker / "cache"))  # cannot be created, even by root
    source = tmp_path / "catalog.yaml"
    source.write_text("reasons: []\n")
    builds = Builds()
    assert cache.cached_catalog((str(source),), builds).reasons
    assert cache.cached_catalog((str(source),), builds).reasons
    assert builds.calls == 2


def test_file_others_can_write_is_not_loaded(setup: tuple[Path, Path]) -> None:
    folder, source = setup
    builds = Builds()
    cache.cached_catalog((str(source),), builds)
    only_file(folder).chmod(0o666)
    cache.cached_catalog((str(source),), builds)
    assert builds.calls == 2


def test_user_catalog_gets_its_own_file(setup: tuple[Path, Path], tmp_path: Path) -> None:
    folder, source = setup
    user = tmp_path / "user.yaml"
    user.write_text("codes: []\n")
    builds = Builds()
    cache.cached_catalog((str(source),), builds)
    cache.cached_catalog((str(source), str(user)), builds)
    cache.cached_catalog((str(source),), builds)
    cache.cached_catalog((str(source), str(user)), builds)
    assert builds.calls == 2
    assert len(list(folder.glob("catalog-*.pickle"))) == 2


def test_broken_catalog_raises_and_is_not_cached(setup: tuple[Path, Path]) -> None:
    folder, source = setup

    def broken() -> ndr.Catalog:
        raise CatalogError(str(source), ["line 1: invalid"])

    with pytest.raises(CatalogError):
        cache.cached_catalog((str(source),), broken)
    assert not folder.exists() or not list(folder.iterdir())


def test_default_folder_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("NDR_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / "ndr"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert cache.cache_dir() == tmp_path / ".cache" / "ndr"


def test_cli_output_is_the_same_with_a_corrupt_cache(tmp_path: Path) -> None:
    message = str(EXAMPLES / "postfix-user-unknown.eml")
    env = os.environ.copy()
    os.environ["NDR_CACHE_DIR"] = str(tmp_path)
    try:
        fresh = run_ndr("parse", "--format", "jsonl", message)
        for path in tmp_path.glob("catalog-*.pickle"):
            path.write_bytes(path.read_bytes()[:100])
        damaged = run_ndr("parse", "--format", "jsonl", message)
        cached = run_ndr("parse", "--format", "jsonl", message)
    finally:
        os.environ.clear()
        os.environ.update(env)
    assert fresh.returncode == damaged.returncode == cached.returncode == 0
    assert fresh.stdout == damaged.stdout == cached.stdout and not damaged.stderr


def test_catalog_check_reads_the_files_not_the_cache(tmp_path: Path) -> None:
    env = os.environ.copy()
    os.environ["NDR_CACHE_DIR"] = str(tmp_path)
    try:
        assert run_ndr("parse", str(EXAMPLES / "postfix-user-unknown.eml")).returncode == 0
        (cached,) = tmp_path.glob("catalog-*.pickle")
        before = cached.stat().st_mtime_ns
        checked = run_ndr("catalog", "check")
    finally:
        os.environ.clear()
        os.environ.update(env)
    assert checked.returncode == 0 and b"catalog ok" in checked.stdout
    assert cached.stat().st_mtime_ns != before  # built from the file again, and written back


def test_a_pickled_catalog_brings_its_compiled_layouts_unpickled_when_first_read(monkeypatch) -> None:
    """The disk cache holds the vendor layouts and their detectors compiled: a process reading a
    table or fallback bounce compiles none, one reading an RFC 3464 report does not unpickle them."""
    import pickle

    import ndr.catalog
    from ndr.catalog import layouts as layouts_module

    fresh = ndr.catalog.build(ndr.catalog.read_yaml(ndr.catalog.shipped_catalog_path()))
    copy = pickle.loads(pickle.dumps(fresh, protocol=pickle.HIGHEST_PROTOCOL))
    assert "layouts" not in vars(copy) and "_layouts_kept" in vars(copy)  # not unpickled yet

    def refuse(*args: object) -> object:
        raise AssertionError("compiled again")

    monkeypatch.setattr(layouts_module, "compile_layouts", refuse)
    monkeypatch.setattr(layouts_module, "detectors", refuse)
    assert [layout.id for layout in copy.layouts] == [layout.id for layout in fresh.layouts]
    assert [layout.id for layout, _ in copy.detectors] == [layout.id for layout, _ in fresh.detectors]
    kept = {id(layout) for layout in copy.layouts}
    assert all(id(layout) in kept for layout, _ in copy.detectors)  # the same objects, as built
    assert "_layouts_kept" not in vars(copy)
    again = pickle.loads(pickle.dumps(copy, protocol=pickle.HIGHEST_PROTOCOL))  # pickled again
    assert [layout.id for layout, _ in again.detectors] == [layout.id for layout, _ in fresh.detectors]
