"""Issue 13: archive limits that held for some members only. Each test failed before its fix."""
from __future__ import annotations

import io
import tarfile
import zipfile

from ndr.reading.archives import Limits, Problem, RawMessage, iter_messages

MIB = 1024 * 1024
MESSAGE = b"From: MAILER-DAEMON@example.org\nSubject: x\n\nbody\n"


def _items(path) -> list[RawMessage | Problem]:
    return list(iter_messages(str(path), str(path), Limits()))


def _add(tar: tarfile.TarFile, name: str, data: bytes, **pax: str) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    if pax:
        info.pax_headers = pax
    tar.addfile(info, io.BytesIO(data))


def test_a_tar_member_named_zip_is_inflated_under_the_ratio_guard(tmp_path) -> None:
    path = tmp_path / "bomb.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        _add(tar, "inner.zip", bytes(64 * MIB))  # skipped as a nested archive, yet inflated
        _add(tar, "after.eml", MESSAGE)
    items = _items(path)
    problems = [i for i in items if isinstance(i, Problem)]
    assert any("ratio" in p.error for p in problems), problems


def test_a_huge_pax_header_is_refused(tmp_path) -> None:
    path = tmp_path / "pax.tar"
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as tar:
        _add(tar, "a.eml", MESSAGE, comment="x" * (2 * MIB))
    problems = [i for i in _items(path) if isinstance(i, Problem)]
    assert problems and "extended tar header" in problems[0].error


def test_small_zip_members_add_up_to_the_ratio_limit(tmp_path) -> None:
    path = tmp_path / "many.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(24):
            archive.writestr(f"m{i}.eml", MESSAGE + bytes(MIB))
    items = _items(path)
    problems = [i for i in items if isinstance(i, Problem)]
    assert any("ratio" in p.error for p in problems), problems
    assert sum(isinstance(i, RawMessage) for i in items) < 24


def test_ordinary_archives_still_read(tmp_path) -> None:
    path = tmp_path / "ok.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for i in range(3):
            _add(tar, f"m{i}.eml", MESSAGE)
        _add(tar, "nested.zip", b"PK")
    items = _items(path)
    assert sum(isinstance(i, RawMessage) for i in items) == 3
    assert [i.error for i in items if isinstance(i, Problem)] == ["nested archive not read"]
