"""The lab's output is there (else this is the one test of tests/lab that runs, and it skips)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.lab.conftest import load_manifest

pytestmark = pytest.mark.lab


def test_lab_output_present(lab_out: Path) -> None:
    entries = load_manifest()
    assert entries, "the lab ran but wrote no notice"
    assert all((lab_out / e["file"]).is_file() for e in entries)
