"""The methods dataclasses writes, compiled once and kept on disk (ndr/codecache.py): the code that
comes back is the code compiling the text makes, the classes made with it behave the same, and
a file that cannot be trusted is never used."""
from __future__ import annotations

import dataclasses
import os
import subprocess
import sys

import pytest

from ndr import codecache, diskcache
from ndr.diskcache import KeptDict
from tests.conftest import EXAMPLES, ROOT, damage_kept_file


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    monkeypatch.setenv("NDR_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(codecache, "kept", KeptDict(codecache.kept.name, codecache._HEAD, codecache.MAX_ENTRIES))
    monkeypatch.setattr(diskcache.atexit, "register", lambda function: None)
    # dataclasses compiles through the cache only in this test (and in the ndr command's process)
    monkeypatch.setattr(dataclasses, "exec", codecache.cached_exec, raising=False)
    return tmp_path


def next_process() -> None:
    codecache.kept.known, codecache.kept.new, codecache.kept.used = None, {}, set()


def make_class() -> type:
    @dataclasses.dataclass(frozen=True, slots=True)
    class Sample:
        """A dataclass with what ndr's use: defaults, a factory, frozen, slots."""

        name: str
        count: int = 0
        tags: tuple[str, ...] = dataclasses.field(default_factory=tuple)

    return Sample


def test_a_class_made_from_the_cache_is_the_same(fresh) -> None:
    first = make_class()
    codecache.kept.save()
    next_process()
    second = make_class()
    assert codecache.kept.entries() and not codecache.kept.new  # every method from the file
    for name in ("__init__", "__repr__", "__eq__", "__hash__", "__setattr__"):
        assert getattr(first, name).__code__ == getattr(second, name).__code__, name
    a, b = first("x", 2), second("x", 2)
    assert repr(a).split("(", 1)[1] == repr(b).split("(", 1)[1] == "name='x', count=2, tags=())"
    assert b == second("x", 2) and hash(b) == hash(second("x", 2)) and b != second("x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        b.name = "y"  # type: ignore[misc]


def test_the_code_is_what_compiling_the_text_makes(fresh) -> None:
    text = "def __create_fn__(x):\n def f(self, y: x) -> None:\n  self.y = y\n return f\n"
    namespace: dict[str, object] = {}
    codecache.cached_exec(text, {}, namespace)
    codecache.kept.save()
    next_process()
    assert codecache.kept.get(text) == compile(text, "<string>", "exec", dont_inherit=True)
    # no __future__ flag of ndr's modules leaks in: annotations stay objects, as exec makes them
    assert namespace["__create_fn__"](int).__annotations__ == {"y": int, "return": None}  # type: ignore[operator]


@pytest.mark.parametrize("damage", ["garbage", "foreign", "shared", "not-code"])
def test_a_file_that_cannot_be_trusted_is_ignored(fresh, damage) -> None:
    make_class()
    codecache.kept.save()
    [path] = [p for p in fresh.iterdir() if p.name.startswith("code-")]
    if damage == "not-code":  # marshal data, but not code: compiled as usual
        import marshal

        path.write_bytes(codecache._HEAD + marshal.dumps({key: 1 for key in codecache.kept.new}))
    else:
        damage_kept_file(path, codecache._HEAD, damage)
    next_process()
    made = make_class()
    assert made("x").count == 0
    assert codecache.kept.new  # compiled again, and kept for the next process


def test_the_next_command_compiles_no_dataclass_method(tmp_path) -> None:
    env = {**os.environ, "NDR_CACHE_DIR": str(tmp_path), "PYTHONPATH": str(ROOT)}
    probe = ("import sys; from ndr.__main__ import entry; code = entry(['parse', sys.argv[1]]);"
             "from ndr import codecache; print(len(codecache.kept.entries()), len(codecache.kept.new), file=sys.stderr)")
    runs = []
    for _ in range(2):
        done = subprocess.run([sys.executable, "-c", probe, str(EXAMPLES / "postfix-user-unknown.eml")],
                              capture_output=True, text=True, env=env, timeout=120, check=True)
        runs.append((done.stdout, [int(n) for n in done.stderr.split()[-2:]]))
    (cold_out, (_, compiled)), (warm_out, (known, new)) = runs
    assert compiled > 10 and known >= compiled and new == 0
    assert warm_out == cold_out
    assert oct((tmp_path / f"code-{sys.implementation.cache_tag}.marshal").stat().st_mode & 0o777) == "0o600"


def test_a_program_of_ones_own_is_left_alone() -> None:
    """Importing ndr (not running the command) does not touch dataclasses."""
    done = subprocess.run([sys.executable, "-c", "import dataclasses, ndr.cli, ndr.model;"
                           "print('exec' in vars(dataclasses))"], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60, check=True)
    assert done.stdout.strip() == "False"
