"""The benchmark scripts still run: they call into ndr's internals, which move (their figures are
read by people, never asserted: these machines are shared and noisy)."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import CORPUS, ROOT


def test_bench_parse_stages_runs_every_stage() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_parse.py"), "--stages",
                           "--rounds", "1"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    stages = done.stdout.split("stages (best round each):")[1]
    for stage in ("mime", "rfc3464", "classify+records"):
        assert f"  {stage} " in stages
