"""The HTML report of an analysis: one self-contained file (no JavaScript, no network), rendered
with jinja2 from ``templates/analyze/report.html.j2``. Charts are inline SVG whose geometry is
computed here, so the template only places shapes: failures per day (or month, or year, when the
span is long) by reason, top destination servers, and the distribution of status codes."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from ..writing import render
from ..errors import InputError
from ..safetext import no_surrogates
from .findings import Finding
from .summary import UNKNOWN, Summary, problem_dict

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f")
OTHER_COLOUR = "#bab0ac"
MAX_BUCKETS = 60


@dataclass(frozen=True, slots=True)
class Bar:
    """One rectangle of a chart, with its tooltip (an SVG <title>)."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


def stacked_by_period(summary: Summary, reasons_shown: int = 7) -> dict[str, Any]:
    """Failures per period, stacked by reason: the bars, the axis labels, the legend."""
    dated = {day: counts for day, counts in summary.by_day_reason.items() if day != UNKNOWN}
    unit, buckets = _bucket(dated)
    totals: Counter[str] = Counter()
    for counts in buckets.values():
        totals.update(counts)
    top = [reason for reason, _ in totals.most_common(reasons_shown)]
    colours = {reason: PALETTE[i % len(PALETTE)] for i, reason in enumerate(top)}
    keys = sorted(buckets)[-MAX_BUCKETS:]
    width, height, left, bottom = 720.0, 220.0, 40.0, 30.0
    peak = max((sum(buckets[k].values()) for k in keys), default=0) or 1
    step = (width - left) / max(len(keys), 1)
    bars: list[Bar] = []
    labels: list[dict[str, Any]] = []
    for i, key in enumerate(keys):
        x = left + i * step
        y = height - bottom
        counts = buckets[key]
        order = [(r, counts[r]) for r in top if counts.get(r)]
        other = sum(v for r, v in counts.items() if r not in colours)
        if other:
            order.append(("other", other))
        for reason, value in order:
            h = (height - bottom - 10) * value / peak
            y -= h
            bars.append(Bar(round(x + 1, 1), round(y, 1), round(max(step - 2, 1), 1), round(h, 1),
                            colours.get(reason, OTHER_COLOUR), f"{key}: {value} {reason}"))
        if len(keys) <= 12 or i % max(len(keys) // 12, 1) == 0:
            labels.append({"x": round(x + step / 2, 1), "text": key})
    legend = [{"reason": r, "colour": colours[r]} for r in top]
    if any(r not in colours for counts in buckets.values() for r in counts):
        legend.append({"reason": "other", "colour": OTHER_COLOUR})
    return {"unit": unit, "bars": bars, "labels": labels, "legend": legend, "peak": peak,
            "width": width, "height": height, "left": left, "bottom": bottom,
            "undated": summary.by_day.get(UNKNOWN, 0)}


def _bucket(days: dict[str, Counter[str]]) -> tuple[str, dict[str, Counter[str]]]:
    """Per day when the days fit the chart, else per month, else per year."""
    for unit, cut in (("day", 10), ("month", 7), ("year", 4)):
        buckets: dict[str, Counter[str]] = {}
        for day, counts in days.items():
            buckets.setdefault(day[:cut], Counter()).update(counts)
        if len(buckets) <= MAX_BUCKETS or unit == "year":
            return unit, buckets
    raise AssertionError("unreachable")


def horizontal(counter: Counter[str], top: int = 10, colour: str = PALETTE[0]) -> dict[str, Any]:
    """A horizontal bar chart of the ``top`` largest counts."""
    rows = counter.most_common(top)
    label_width, width, row_height = 280.0, 720.0, 22.0
    peak = max((v for _, v in rows), default=0) or 1
    out = []
    for i, (name, value) in enumerate(rows):
        w = (width - label_width - 60) * value / peak
        out.append({"y": i * row_height, "label": name, "value": value,
                    "bar": Bar(label_width, i * row_height + 3, round(max(w, 1), 1),
                               row_height - 6, colour, f"{name}: {value}")})
    return {"rows": out, "width": width, "height": row_height * max(len(rows), 1),
            "label_width": label_width}


def context(summary: Summary, findings: list[Finding], title: str) -> dict[str, Any]:
    """Everything the template needs, prepared (the template does no arithmetic)."""
    return {
        "title": title,
        "generated": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "totals": {"messages": summary.messages, "records": summary.records,
                   "skipped": summary.skipped, "problems": len(summary.problems),
                   "hard": summary.by_severity.get("hard", 0),
                   "soft": summary.by_severity.get("soft", 0)},
        "per_period": stacked_by_period(summary),
        "servers": horizontal(summary.by_server, 10, PALETTE[0]),
        "codes": horizontal(summary.by_status, 12, PALETTE[2]),
        "reasons": summary.by_reason.most_common(),
        "domains": summary.by_domain.most_common(15),
        "findings": [f.to_dict() for f in findings],
        "problems": [problem_dict(p) for p in summary.problems],
    }


def render_report(summary: Summary, findings: list[Finding], title: str = "ndr analysis") -> str:
    """The report as an HTML string."""
    env = render.environment()
    return render.render(env, "analyze/report.html.j2", context(summary, findings, title))


def write_report(path: str | Path, summary: Summary, findings: list[Finding],
                 title: str = "ndr analysis") -> None:
    """Render and write the report; a file that cannot be written is an ``InputError``."""
    html = render_report(summary, findings, title)
    try:
        Path(path).write_text(no_surrogates(html), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write report: {exc.strerror or exc}") from None
