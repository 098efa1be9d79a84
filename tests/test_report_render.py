"""The HTML report's time chart, computed and then rendered by headless Chromium, the way a person
sees it: the time axis is continuous (a month without failures keeps its slot), the count axis
has several round ticks, no label is cut off by the chart's edge, and the legend sits right under
the chart. Chromium (Debian's ``chromium``, installed by .ci/run) lays the page out; a script
added to a copy of the report writes the bounding boxes into the DOM, read back with --dump-dom.
Without Chromium the rendering tests skip, except in CI, where they must run."""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ndr.batch import timechart

from .test_report import _report, _row

MEASURE = """<script>
const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
const svg = document.querySelector('svg.per-period');
const texts = sel => [...svg.querySelectorAll(sel)].map(t => ({text: t.textContent, box: box(t)}));
const out = {svg: box(svg), page: document.documentElement.clientWidth,
  legend: box(document.querySelector('p.legend')), xlabels: texts('text.x-label'),
  yticks: texts('text.y-tick'),
  all: [...document.querySelectorAll('svg text')].map(t => ({text: t.textContent, box: box(t),
                                                              svg: box(t.ownerSVGElement)}))};
const pre = document.createElement('pre'); pre.id = 'measured';
pre.textContent = JSON.stringify(out); document.body.appendChild(pre);
</script>"""

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars", "--window-size=1000,1400"]


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing in CI: .ci/run installs Debian's chromium package")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


def _rendered(page: str, tmp_path: Path) -> dict[str, Any]:
    """Lay the page out in headless Chromium and return the measured boxes."""
    target = tmp_path / "report.html"
    target.write_text(page.replace("</body>", MEASURE + "</body>"), encoding="utf-8")
    done = subprocess.run([_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                           "--dump-dom", target.as_uri()], capture_output=True, timeout=120)
    found = re.search(rb'<pre id="measured">(.*?)</pre>', done.stdout, re.S)
    assert found, done.stderr.decode(errors="replace")[-2000:]
    return json.loads(html.unescape(found.group(1).decode()))


def _rows(days: list[str]) -> list[tuple[dict[str, Any], str]]:
    return [(_row(i, ("userunknown", "mailboxfull", "blocked")[i % 3], ""), f"{day}T10:00:00Z")
            for i, day in enumerate(days)]


def _ordinal(text: str, unit: str) -> int:
    if unit == "day":
        return date.fromisoformat(text).toordinal()
    if unit == "month":
        return int(text[:4]) * 12 + int(text[5:7])
    return int(text)


# A few failures in November 2023, none in December and January, more from February to September.
SPANS = {
    "month": ["2023-11-03"] * 3 + ["2024-02-10"] * 9 + ["2024-03-05"] * 2 + ["2024-09-30"] * 14,
    "year": ["1995-06-01", "2007-03-02", "2007-04-02"] + ["2024-12-31"] * 37,
    "day": ["2024-05-01"] * 4 + ["2024-05-20"] * 7 + ["2024-05-31"],
}


def test_periods_are_continuous_and_ticks_round() -> None:
    first, last = date(2023, 11, 3), date(2024, 9, 30)
    assert timechart.unit_for(first, last) == "month"
    assert timechart.periods(first, last, "month")[:4] == ["2023-11", "2023-12", "2024-01", "2024-02"]
    assert len(timechart.periods(first, last, "month")) == 11
    assert timechart.periods(date(1995, 6, 1), date(2007, 1, 1), "year")[1] == "1996"
    assert timechart.ticks(37) == [0, 10, 20, 30, 40] and timechart.ticks(5) == [0, 1, 2, 3, 4, 5]
    assert timechart.ticks(0) == [0, 1]
    keys = timechart.periods(first, last, "month")
    assert [keys[i] for i in timechart.labelled(keys, "month", 4)] == ["2024-01", "2024-04", "2024-07"]


def test_span_beyond_sixty_years_says_what_it_leaves_out() -> None:
    page = _report(_rows(["1901-01-01", "2024-01-01", "2024-01-02"]))
    assert "1 failure before 1965 is not shown" in page


def test_finding_says_what_it_counts() -> None:
    rows = [(_row(i, "userunknown", ""), "2024-05-01T10:00:00Z") for i in range(6)]
    for row, _ in rows[4:]:
        row["recipient"] = "u0@example.com"  # the same address bounced three times
    text = " ".join(_report(rows).split())
    assert "6 messages to mx.example.com failed" in text
    assert "4 distinct recipient addresses in these 6 messages" in text


@pytest.mark.parametrize("unit", list(SPANS))
def test_rendered_chart_is_continuous_unclipped_and_tight(unit: str, tmp_path: Path) -> None:
    page = _report(_rows(SPANS[unit]))
    assert f"Failures per {unit}, by reason" in page
    measured = _rendered(page, tmp_path)
    left, top, right, bottom = measured["svg"]

    # continuous axis: every label sits where its period's distance from the first label puts it
    labels = measured["xlabels"]
    assert len(labels) >= 3, labels
    centre = [(b["box"][0] + b["box"][2]) / 2 for b in labels]
    order = [_ordinal(b["text"], unit) for b in labels]
    pitch = (centre[-1] - centre[0]) / (order[-1] - order[0])
    for x, n in zip(centre, order):
        assert abs(centre[0] + (n - order[0]) * pitch - x) < 1.0, (labels, unit)

    # several round ticks, evenly spaced, 0 at the bottom
    ticks = measured["yticks"]
    values = [int(t["text"]) for t in ticks]
    assert len(values) >= 3 and values[0] == 0 and values == sorted(values)
    steps = {values[i + 1] - values[i] for i in range(len(values) - 1)}
    assert len(steps) == 1

    # nothing outside the chart or the page
    for text in measured["all"]:
        l, t, r, b = text["box"]
        sl, st, sr, sb = text["svg"]
        assert sl - 0.5 <= l and r <= sr + 0.5 and st - 0.5 <= t and b <= sb + 0.5, text
        assert r <= measured["page"], text

    # the legend right under the chart, not a screen away
    legend_top = measured["legend"][1]
    assert bottom - 1 <= legend_top <= bottom + 24, (measured["svg"], measured["legend"])
