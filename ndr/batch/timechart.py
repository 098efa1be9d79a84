"""The time axis of the HTML report's "failures per period" chart.

A time axis must be continuous: a month without failures is an empty slot, not a missing one, or
1995 ends up next to 2007 and a quiet month looks like no time at all. So the unit (day, month,
year) is chosen from the *span* of the dates, every period between the first and the last gets a
slot, and the labels fall on round periods (every 3rd month from January, every 5th year, …). The
count axis gets a few round ticks (0, 10, 20, 30, 40) instead of just 0 and the peak.
"""
from __future__ import annotations

import math
from datetime import date, timedelta

MAX_PERIODS = 60
"""Most slots on the axis: a span longer than 60 days is shown per month, then per year; beyond
60 years only the last 60 are drawn (the chart says how many failures it leaves out)."""

_CUT = {"day": 10, "month": 7, "year": 4}
_STRIDES = {"day": (1, 2, 7, 14, 28), "month": (1, 2, 3, 6, 12), "year": (1, 2, 5, 10, 20, 50)}


def valid_days(days: list[str]) -> list[date]:
    """The ISO dates among ``days`` (``YYYY-MM-DD``), sorted; anything else is ignored."""
    out = []
    for day in days:
        try:
            out.append(date.fromisoformat(day[:10]))
        except ValueError:
            continue
    return sorted(out)


def unit_for(first: date, last: date) -> str:
    """``day`` when the span fits the chart, else ``month``, else ``year``."""
    if (last - first).days < MAX_PERIODS:
        return "day"
    if _month_number(last) - _month_number(first) < MAX_PERIODS:
        return "month"
    return "year"


def period(day: str, unit: str) -> str:
    """The period a ``YYYY-MM-DD`` day falls in: ``2024-05-06``, ``2024-05`` or ``2024``."""
    return day[:_CUT[unit]]


def periods(first: date, last: date, unit: str) -> list[str]:
    """Every period from ``first``'s to ``last``'s, in order, none skipped."""
    if unit == "day":
        return [(first + timedelta(days=i)).isoformat() for i in range((last - first).days + 1)]
    if unit == "month":
        return [f"{n // 12:04d}-{n % 12 + 1:02d}"
                for n in range(_month_number(first), _month_number(last) + 1)]
    return [f"{y:04d}" for y in range(first.year, last.year + 1)]


def labelled(keys: list[str], unit: str, room: int) -> list[int]:
    """Indexes of the keys that get a label: at most ``room`` of them, on round periods."""
    need = max(1, math.ceil(len(keys) / max(room, 1)))
    stride = next((s for s in _STRIDES[unit] if s >= need), None)
    if stride is None:  # more than the largest round stride: a multiple of it
        largest = _STRIDES[unit][-1]
        stride = largest * math.ceil(need / largest)
    chosen = [i for i, key in enumerate(keys) if _ordinal(key, unit, i) % stride == 0]
    return chosen or ([0] if keys else [])


def ticks(peak: int, wanted: int = 5) -> list[int]:
    """Round values from 0 to at least ``peak``, about ``wanted`` of them: 0 10 20 30 40 for 37."""
    peak = max(peak, 1)
    magnitude = 10 ** max(0, math.floor(math.log10(peak / (wanted - 1))))
    candidates = [m * magnitude for m in (1, 2, 5, 10, 20)]
    # the round step whose number of intervals is closest to wanted - 1; on a tie, more ticks
    step = min(candidates, key=lambda s: (abs(math.ceil(peak / s) - (wanted - 1)), s))
    return list(range(0, step * math.ceil(peak / step) + 1, step))


def _month_number(day: date) -> int:
    return day.year * 12 + day.month - 1


def _ordinal(key: str, unit: str, index: int) -> int:
    # Months and years are labelled on calendar boundaries (January, April…; 2000, 2005…); days
    # from the first day shown, since weeks have no calendar-wide start.
    if unit == "month":
        return int(key[5:7]) - 1
    if unit == "year":
        return int(key)
    return index
