"""How ndr reads the lab's notices against the lab's truth: per MTA x scenario, which fields are
right. `python3 lab/score.py [OUT]` prints the table (run with ndr importable, e.g. the venv's
python); tests/lab uses compare() for its assertions."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

FIELDS = ("recipient", "action", "status", "remote_mta", "reason", "hard")
OUT = Path(__file__).resolve().parent / "out"


def manifest(out: Path = OUT) -> list[dict[str, Any]]:
    path = out / "manifest.json"
    return json.loads(path.read_text()) if path.is_file() else []


def record(out: Path, entry: dict[str, Any]) -> Any:
    """ndr's record for the notice's recipient (None when ndr reports no such recipient)."""
    import ndr

    report = ndr.parse((out / entry["file"]).read_bytes())
    for rec in report.recipients:
        if (rec.recipient or "").lower() == entry["recipient"]:
            return rec
    return None


def compare(out: Path, entry: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The fields ndr got wrong: {field: (ndr's value, truth)}."""
    rec = record(out, entry)
    if rec is None:
        return {"recipient": (None, entry["recipient"])}
    wrong = {}
    for field in FIELDS + tuple(k for k in ("last_error_status",) if k in entry):
        got = getattr(rec, field)
        if got != entry[field]:
            wrong[field] = (got, entry[field])
    return wrong


def table(out: Path = OUT) -> str:
    rows, totals = [], {f: 0 for f in FIELDS}
    entries = manifest(out)
    for entry in entries:
        wrong = compare(out, entry)
        for field in FIELDS:
            totals[field] += field not in wrong
        detail = "; ".join(f"{k}: {v[0]!r} (truth {v[1]!r})" for k, v in wrong.items())
        rows.append(f"{entry['mta']:<10} {entry['scenario']:<14} {entry['kind']:<6} "
                    f"{'ok' if not wrong else detail}")
    n = len(entries) or 1
    rows.append("right: " + "  ".join(f"{f}={100 * totals[f] / n:.1f}%" for f in FIELDS)
                + f"  (of {len(entries)} notices)")
    return "\n".join(rows)


if __name__ == "__main__":
    print(table(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT))
