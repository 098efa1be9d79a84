"""ndr ships ``py.typed``: the package type-checks under the strict settings in pyproject.toml,
and a user's program sees the public API's real types (not ``Any``)."""
from __future__ import annotations

import importlib.util
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from .conftest import ROOT

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is not installed")


def _mypy(*args: str) -> subprocess.CompletedProcess[str]:
    # Run from the repository root so pyproject.toml's [tool.mypy] applies; the cache stays in
    # ROOT/.mypy_cache (git-ignored), so runs after the first take about half a second.
    return subprocess.run([sys.executable, "-m", "mypy", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_package_type_checks() -> None:
    result = _mypy("ndr")
    assert result.returncode == 0, result.stdout + result.stderr


def test_user_code_sees_the_public_types(tmp_path: Path) -> None:
    # Each line misuses one public name; an untyped (Any) API would let all of them pass.
    user = tmp_path / "user_program.py"
    user.write_text(textwrap.dedent("""\
        import ndr

        report = ndr.parse(b"")
        kind: int = report.kind
        status: int = report.recipients[0].status
        explained: int = ndr.explain("5.1.1")
        reasons: int = ndr.load_catalog().reasons
        options: int = ndr.ReportOptions()
        generated: int = ndr.generate
        ndr.parse(b"", policy="strict")
        """), encoding="utf-8")
    result = _mypy("--no-error-summary", str(user))
    lines = [line for line in result.stdout.splitlines() if ": error:" in line]
    assert result.returncode == 1, result.stdout + result.stderr
    assert [int(line.split(":")[1]) for line in lines] == [4, 5, 6, 7, 8, 9, 10], result.stdout
