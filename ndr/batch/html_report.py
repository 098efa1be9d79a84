"""The HTML report of an analysis: one self-contained file (no JavaScript, no network), rendered
with jinja2 from ``templates/analyze/report.html.j2``. Charts are inline SVG whose geometry is
computed here, so the template only places shapes: failures per day (or month, or year, when the
span is long) by reason, top destination servers, and the distribution of status codes."""
from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, NamedTuple

from ..writing import render
from ..errors import InputError
from . import timechart
from ..safetext import no_surrogates
from .findings import Finding
from .summary import UNKNOWN, Summary, problem_dict

PALETTE = ("#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#9c755f")
OTHER_COLOUR = "#bab0ac"


class Bar(NamedTuple):
    """One rectangle of a chart, with its tooltip (an SVG <title>): plain values the template
    places, no behaviour."""

    x: float
    y: float
    width: float
    height: float
    colour: str
    title: str


def stacked_by_period(summary: Summary, reasons_shown: int = 7) -> dict[str, Any]:
    """Failures per period, stacked by reason, on a continuous time axis (``timechart``): the
    bars, the axis labels and ticks, the legend."""
    dated = {day: counts for day, counts in summary.by_day_reason.items() if day != UNKNOWN}
    days = timechart.valid_days(list(dated))
    unit = timechart.unit_for(days[0], days[-1]) if days else "day"
    keys = timechart.periods(days[0], days[-1], unit)[-timechart.MAX_PERIODS:] if days else []
    buckets: dict[str, Counter[str]] = {key: Counter() for key in keys}
    left_out = 0
    for day, counts in dated.items():
        if (key := timechart.period(day, unit)) in buckets:
            buckets[key].update(counts)
        else:  # before the 60 periods shown, or not a date
            left_out += sum(counts.values())
    totals: Counter[str] = Counter()
    for counts in buckets.values():
        totals.update(counts)
    top = [reason for reason, _ in totals.most_common(reasons_shown)]
    colours = {reason: PALETTE[i % len(PALETTE)] for i, reason in enumerate(top)}
    label_px = 7.0 * max((len(k) for k in keys), default=4)  # 11px digits are about 6-7px wide
    width, height, left, top_gap, bottom = 720.0, 200.0, 44.0, 8.0, 22.0
    right = max(12.0, label_px / 2 + 2)  # room for the last label, centred on the last bar
    base, plot_width = height - bottom, width - left - right
    step = plot_width / max(len(keys), 1)
    y_ticks = timechart.ticks(max((sum(c.values()) for c in buckets.values()), default=0))
    scale = (base - top_gap) / y_ticks[-1]
    bars: list[Bar] = []
    for i, key in enumerate(keys):
        x, y = left + i * step, base
        counts = buckets[key]
        order = [(r, counts[r]) for r in top if counts.get(r)]
        if other := sum(v for r, v in counts.items() if r not in colours):
            order.append(("other", other))
        for reason, value in order:
            y -= value * scale
            bars.append(Bar(round(x + step * 0.1, 1), round(y, 1), round(max(step * 0.8, 1), 1),
                            round(value * scale, 1), colours.get(reason, OTHER_COLOUR),
                            f"{key}: {value} {reason}"))
    shown = timechart.labelled(keys, unit, int(plot_width // (label_px + 12)))
    labels = [{"x": round(left + (i + 0.5) * step, 1), "text": keys[i]} for i in shown]
    legend = [{"reason": r, "colour": colours[r]} for r in top]
    if any(r not in colours for counts in buckets.values() for r in counts):
        legend.append({"reason": "other", "colour": OTHER_COLOUR})
    return {"unit": unit, "bars": bars, "labels": labels, "legend": legend, "peak": y_ticks[-1],
            "ticks": [{"y": round(base - v * scale, 1), "text": v} for v in y_ticks],
            "periods": keys, "width": width, "height": height, "left": left, "right": width - right,
            "bottom": bottom, "undated": summary.by_day.get(UNKNOWN, 0), "left_out": left_out}


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


def context(summary: Summary, findings: list[Finding], title: str, lang: str = "en") -> dict[str, Any]:
    """Everything the template needs, prepared (the template does no arithmetic), with ``_`` and
    ``ngettext`` for ``lang`` and its dates already formatted for people."""
    from .. import i18n

    found = [f.to_dict() for f in findings]
    for item in found:
        for key in ("first_seen", "last_seen"):
            item[key] = i18n.format_iso(item.get(key), lang) if item.get(key) else item.get(key)
    return {
        "title": title,
        "lang": lang,
        "_": i18n.gettext_for(lang),
        "ngettext": i18n.ngettext_for(lang),
        "generated": i18n.format_datetime(datetime.now(timezone.utc), lang),
        "totals": {"messages": summary.messages, "records": summary.records,
                   "skipped": summary.skipped, "problems": len(summary.problems),
                   "hard": summary.by_severity.get("hard", 0),
                   "soft": summary.by_severity.get("soft", 0)},
        "per_period": stacked_by_period(summary),
        "servers": horizontal(summary.by_server, 10, PALETTE[0]),
        "codes": horizontal(summary.by_status, 12, PALETTE[2]),
        "reasons": summary.by_reason.most_common(),
        "domains": summary.by_domain.most_common(15),
        "findings": found,
        "problems": [problem_dict(p) for p in summary.problems],
    }


def render_report(summary: Summary, findings: list[Finding], title: str = "ndr analysis",
                  lang: str = "en") -> str:
    """The report as an HTML string, in ``lang``."""
    env = render.environment()
    return render.render(env, "analyze/report.html.j2", context(summary, findings, title, lang))


def write_report(path: str | Path, summary: Summary, findings: list[Finding],
                 title: str = "ndr analysis", lang: str = "en") -> None:
    """Render and write the report; a file that cannot be written is an ``InputError``."""
    html = render_report(summary, findings, title, lang)
    try:
        Path(path).write_text(no_surrogates(html), encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot write report: {exc.strerror or exc}") from None
