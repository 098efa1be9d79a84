"""The mail lab's output (lab/out, made by lab/run as root): tests skip with one line when it is
absent; `pytest -m lab` runs the lab first when it can."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
LAB = ROOT / "lab"
OUT = Path(os.environ.get("LAB_OUT", LAB / "out"))
sys.path.insert(0, str(LAB))

SKIP = ("lab output absent (lab/out/manifest.json): run `lab/run` as root, or `pytest -m lab`")


def pytest_configure(config: pytest.Config) -> None:
    """`pytest -m lab` without lab output runs the lab once (it says itself when it cannot)."""
    if "lab" in (config.getoption("markexpr") or "") and not (OUT / "manifest.json").is_file():
        subprocess.run([str(LAB / "run")], env=dict(os.environ, LAB_OUT=str(OUT)), check=False)


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """Without lab output only test_present.py is collected: one skip line, not one per test."""
    if collection_path.name.startswith("test_lab_") and not (OUT / "manifest.json").is_file():
        return True
    return None


def load_manifest() -> list[dict[str, Any]]:
    path = OUT / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else []


@pytest.fixture(scope="session")
def lab_out() -> Path:
    if not (OUT / "manifest.json").is_file():
        pytest.skip(SKIP)
    return OUT
