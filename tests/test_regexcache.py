"""Compiled regular expressions kept on disk (ndr/regexcache.py): what comes back from the cache is
the expression ``re.compile`` makes, and a cache file that cannot be trusted is never used."""
from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from ndr import diskcache, regexcache
from ndr.diskcache import KeptDict
from ndr.catalog.match import ADDRESS_GROUP, HOST_GROUP, compile_shape
from tests.conftest import EXAMPLES, ROOT, damage_kept_file

SAMPLES = [
    (r"\d+", 0), ("(?i)abc", 0), (r"(?P<code>[245]\d\d)[ -](?P<text>.*)", re.I | re.M),
    (rb"(?m)^>From ", 0), (ADDRESS_GROUP, re.I), (HOST_GROUP, 0), (r"a|b|c", re.X), (r"x", re.A),
]


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("NDR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(regexcache, "kept", KeptDict(regexcache.kept.name, regexcache._HEAD, regexcache.MAX_ENTRIES))
    monkeypatch.setattr(diskcache.atexit, "register", lambda function: None)
    return tmp_path


def next_process() -> None:
    """What a new process knows: the file, nothing of this one's."""
    regexcache.kept.known, regexcache.kept.new, regexcache.kept.used = None, {}, set()


@pytest.mark.parametrize(("pattern", "flags"), SAMPLES)
def test_a_cached_expression_is_what_re_compile_makes(fresh, pattern, flags) -> None:
    made = regexcache.compiled(pattern, flags)
    regexcache.kept.save()
    next_process()
    again = regexcache.compiled(pattern, flags)
    assert (pattern, int(flags)) in regexcache.kept.entries()  # this time from the file
    expected = re.compile(pattern, flags)
    # Pattern equality compares the engine's code too, not only the expression and flags
    assert made == expected and again == expected
    assert again.groupindex == expected.groupindex and again.groups == expected.groups


def test_a_bad_expression_still_says_why(fresh) -> None:
    with pytest.raises(re.error):
        regexcache.compiled("(unclosed", 0)


def test_every_catalog_shape_comes_back_the_same(fresh) -> None:
    shape = compile_shape(r"^{address}: host {host} said:")
    assert regexcache.compiled(shape.pattern, shape.flags) == re.compile(shape.pattern, shape.flags)


@pytest.mark.parametrize("damage", ["garbage", "foreign", "shared"])
def test_a_file_that_cannot_be_trusted_is_ignored(fresh, damage) -> None:
    regexcache.compiled(r"\d+", 0)
    regexcache.kept.save()
    [path] = [p for p in fresh.iterdir() if p.name.startswith("regex-")]
    damage_kept_file(path, regexcache._HEAD, damage)
    next_process()
    assert regexcache.kept.entries() == {}
    assert regexcache.compiled(r"\d+", 0) == re.compile(r"\d+")


def test_the_next_process_reads_what_this_one_compiled(tmp_path) -> None:
    env = {**os.environ, "NDR_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    probe = ("import sys; from ndr.cli import main; code = main(['parse', sys.argv[1]]);"
             "from ndr import regexcache; print(len(regexcache.kept.entries()), len(regexcache.kept.new), file=sys.stderr)")
    counts = []
    for _ in range(3):  # the first run builds the catalog's cache, the second fills the regex cache
        done = subprocess.run([sys.executable, "-c", probe, str(EXAMPLES / "postfix-user-unknown.eml")],
                              capture_output=True, text=True, env=env, timeout=120, check=True)
        counts.append([int(n) for n in done.stderr.split()[-2:]])
    known, new = counts[-1]
    assert known > 10 and new == 0
    assert oct((tmp_path / f"regex-{sys.implementation.cache_tag}.marshal").stat().st_mode & 0o777) == "0o600"


def test_a_full_file_keeps_what_the_process_used(fresh, monkeypatch) -> None:
    regexcache.kept.most = 3
    for number in range(3):
        regexcache.compiled(f"old{number}", 0)
    regexcache.kept.save()
    next_process()
    regexcache.compiled("old1", 0)  # used: kept
    regexcache.compiled("new", 0)  # new: kept
    regexcache.kept.save()
    next_process()
    assert sorted(regexcache.kept.entries()) == [("new", 0), ("old1", 0)]


@pytest.mark.parametrize(("pattern", "flags"), [
    ("a.b", 0), ("a", re.I), ("(?m)^x", 0), (b"x", 0), (b"(?i)x", 0), ("x", re.A), ("(?:ab)", re.I | re.M),
    ("(?im)a", 0), ("(?i:a)b", 0), ("(?P<x>a)", 0), ("(?-i:a)", re.I), (b"(?:a)", 0)])
def test_a_lazy_expression_tells_its_pattern_and_flags(pattern, flags) -> None:
    from ndr.lazy import LazyRegex

    lazy = LazyRegex(pattern, flags)
    expected = re.compile(pattern, flags)
    assert (lazy.pattern, lazy.flags) == (expected.pattern, expected.flags)
    # only global inline flags, which only compiling reads, make it compile to answer
    assert ("_compiled" in vars(lazy)) == bool(re.match(rb"\(\?[aiLmsux]+\)", pattern.encode()
                                                        if isinstance(pattern, str) else pattern))
