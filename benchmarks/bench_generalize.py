#!/usr/bin/env python3
"""How well the generic path reads bounces nobody described: the corpus, one family at a time,
with the catalog's knowledge of that family switched off.

    python benchmarks/bench_generalize.py [--corpus ../shared/corpus/sisimai] [--details FAMILY]

For each family of truth.jsonl (``family``), the catalog is rebuilt without

* the vendor layouts that claim the family's files (found by parsing them with the whole
  catalog: every ``table:<id>`` decoder that read one of them), and the code decoders that did
  (``amazonses``);
* the host rules of the provider the family is named after (``PROVIDER_HOSTS`` below: the
  family ``rhost-google`` is Google's servers, so the ``google`` host entry goes; a Postfix
  family whose files merely deliver to Gmail keeps it, since Postfix is not Google);

then its files are parsed and compared with the expected results the way ``score.py`` does
(a record matches an expected recipient by address; pseudo codes ``X.0.9NN`` compare on their
class). Printed per family: files, detect, recipient, status and reason in percent; then the
unweighted mean over the families with at least three files and expected recipients (DECISIONS,
"Measures"). A script, not a test: read the figures.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ndr  # noqa: E402
from ndr.reading import decoders as registry  # noqa: E402
from ndr.catalog import build, read_yaml, shipped_catalog_path, validate  # noqa: E402
from ndr.parse import parse_bytes  # noqa: E402

# The provider (catalog ``hosts`` ids) each family is named after. Families not listed are
# software families (Postfix, Sendmail, RFC 3464 ...): no host entry describes them.
PROVIDER_HOSTS: dict[str, tuple[str, ...]] = {
    "lhost-gmail": ("google",), "lhost-googleworkspace": ("google",), "rhost-google": ("google",),
    "rhost-gsuite": ("google",), "lhost-googlegroups": ("googlegroups", "google"),
    "lhost-office365": ("microsoft",), "lhost-outlook": ("microsoft",),
    "rhost-outlook": ("microsoft",), "rhost-microsoft": ("microsoft",),
    "lhost-yahoo": ("yahoo",), "rhost-aol": ("yahoo",), "rhost-yahooinc": ("yahoo",),
    "rhost-apple": ("apple",), "rhost-cox": ("cox",), "rhost-godaddy": ("godaddy",),
    "lhost-kddi": ("kddi",), "rhost-kddi": ("kddi",), "lhost-ezweb": ("kddi",),
    "rhost-nttdocomo": ("nttdocomo",), "rhost-tencent": ("tencent",),
    "lhost-mimecast": ("mimecast",), "rhost-mimecast": ("mimecast",),
    "rhost-spectrum": ("spectrum",), "rhost-facebook": ("facebook",),
    "lhost-verizon": ("verizon",),
}
CODE_DECODERS = ("amazonses",)
PSEUDO = re.compile(r"^[245]\.0\.9\d\d$")
FIGURES = ("detect", "recipient", "status", "reason")


def same_status(want: str | None, got: str | None) -> bool:
    if not want:
        return True
    if not got:
        return False
    return got[0] == want[0] if PSEUDO.match(want) else got == want


def catalog_without(data: dict[str, Any], vendors: set[str], hosts: set[str]) -> ndr.Catalog:
    trimmed = dict(data)
    trimmed["vendors"] = [v for v in data["vendors"] if v["id"] not in vendors]
    trimmed["hosts"] = [h for h in data["hosts"] if h["id"] not in hosts]
    problems = validate(trimmed)
    if problems:
        raise SystemExit("catalog problems: " + "; ".join(problems[:5]))
    return build(trimmed, "bench_generalize")


def parse_all(files: list[bytes], catalog: ndr.Catalog, without: set[str]) -> list[ndr.Report]:
    """Parse with the code decoders named in ``without`` left out of the registry."""
    saved = list(registry._VENDOR)
    registry._VENDOR[:] = [d for d in saved if d.name not in without]
    try:
        return [parse_bytes(data, catalog, ndr.DEFAULT) for data in files]
    finally:
        registry._VENDOR[:] = saved


def claims(reports: list[ndr.Report]) -> tuple[set[str], set[str]]:
    """(layout ids, code decoder names) that read any of these reports."""
    layouts, code = set(), set()
    for report in reports:
        name = report.decoder or ""
        if name.startswith("table:"):
            layouts.add(name[6:])
        elif name in CODE_DECODERS:
            code.add(name)
    return layouts, code


def score(rows: list[dict[str, Any]], reports: list[ndr.Report], details: list[str]) -> dict[str, float]:
    n: Counter[str] = Counter()
    for row, report in zip(rows, reports):
        got = [r for r in report.recipients]
        failures = [r for r in got if r.reason not in ("vacation", "feedback", "delivered")]
        if row["kind"] == "bounce":
            n["bounce_files"] += 1
            n["detected"] += bool(failures)
        for want in row["recipients"] or ():
            n["expected"] += 1
            key = (want["recipient"] or "").strip("<>").lower()
            hit = next((r for r in got if (r.recipient or "").strip("<>").lower() == key), None)
            if hit is None:
                details.append(f"{row['file']}: {key} missing")
                continue
            got.remove(hit)
            n["recipient"] += 1
            n["status"] += same_status(want["status"], hit.status)
            n["reason"] += want["reason"] == hit.reason
            if want["reason"] != hit.reason or not same_status(want["status"], hit.status):
                details.append(f"{row['file']}: {key} reason {want['reason']} got {hit.reason} "
                               f"({hit.rule}); status {want['status']} got {hit.status} "
                               f"[{report.decoder}] {(hit.diagnostic_code or '')[:120]}")

    def pct(part: str, whole: str) -> float:
        return 100.0 * n[part] / n[whole] if n[whole] else float("nan")

    return {"files": len(rows), "expected": n["expected"], "detect": pct("detected", "bounce_files"),
            "recipient": pct("recipient", "expected"), "status": pct("status", "expected"),
            "reason": pct("reason", "expected")}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "sisimai")
    parser.add_argument("--whole", action="store_true",
                        help="switch nothing off: the same figures with the whole catalog (the ceiling)")
    parser.add_argument("--details", action="append", default=[],
                        help="print the disagreements of this family (repeatable)")
    args = parser.parse_args()
    truth = args.corpus / "truth.jsonl"
    if not truth.is_file():
        print(f"no corpus at {args.corpus}", file=sys.stderr)
        return 2
    rows = [json.loads(line) for line in truth.open()]
    rows = [r for r in rows if r["kind"] != "unknown"]
    data = read_yaml(str(shipped_catalog_path()))
    full = ndr.load_catalog()
    families: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        families.setdefault(row["family"], []).append(row)
    results: dict[str, dict[str, float]] = {}
    print(f"{'family':24} {'files':>5} {'detect':>7} {'recip':>7} {'status':>7} {'reason':>7}  switched off")
    for family, members in sorted(families.items()):
        files = [(args.corpus / r["file"]).read_bytes() for r in members]
        layouts, code = claims(parse_all(files, full, set()))
        hosts = set(PROVIDER_HOSTS.get(family, ()))
        if args.whole:
            layouts, code, hosts = set(), set(), set()
        catalog = catalog_without(data, layouts, hosts) if layouts or hosts else full
        details: list[str] = []
        results[family] = figures = score(members, parse_all(files, catalog, code), details)
        off = ", ".join([*sorted(layouts), *sorted(code), *(f"host:{h}" for h in sorted(hosts))])
        print(f"{family:24} {len(members):5d} " + " ".join(f"{figures[k]:7.1f}" for k in FIGURES)
              + f"  {off}")
        if family in args.details:
            print("    " + "\n    ".join(details))
    counted = [f for f, r in results.items() if r["files"] >= 3 and r["expected"]]
    means = {k: sum(results[f][k] for f in counted if results[f][k] == results[f][k])
             / max(1, sum(1 for f in counted if results[f][k] == results[f][k])) for k in FIGURES}
    print(f"mean over {len(counted)} families with >= 3 files: "
          + " ".join(f"{k}={means[k]:.1f}" for k in FIGURES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
