"""`ndr analyze` on the lab's notices: mail-flow findings from real servers name each
scenario's destination (where some notice names it) and give a fix."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.lab


def test_findings_name_each_destination_and_a_fix(lab_out: Path, tmp_path: Path) -> None:
    import score

    folders = sorted({str(lab_out / e["mta"]) for e in score.manifest(lab_out)})
    summary = tmp_path / "summary.json"
    subprocess.run([sys.executable, "-m", "ndr", "analyze", *folders, "--min-count", "1", "--max-findings", "500", "--quiet",
                    "--summary", str(summary)], check=True, capture_output=True, timeout=300)
    findings = json.loads(summary.read_text())["findings"]
    named = {e["remote_mta"] for e in score.manifest(lab_out) if e["remote_mta"]}
    if not named:
        pytest.skip("no notice of this run names its destination (e.g. an OpenSMTPD-only run)")
    for host in named:
        mine = [f for f in findings if f["destination"] == host]
        assert mine, f"no finding names {host}"
        assert all(f["fixes"] and f["code"] for f in mine), host
