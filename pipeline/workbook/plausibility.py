"""Values the program can read but a person probably did not mean, each named by its cell.

- A number about 100 times off its metric's other values, its target or its unit: 78 % typed
  into a Percentage cell is stored by Excel as 0.78, and would be printed as "0.8 %, missed".
- A Progress % of 1: 1 % or 100 %?
- A date decades away from the review period (2062 for 2026).
- A metric with one period: no trend can be shown.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import Counter
from collections.abc import Iterator

from .findings import Finding, finding
from .model import Record, Table, WorkbookData
from .periods import Period

HUNDRED_FOLD = (30.0, 500.0)  # a ratio in this range is "about 100 times"
FAR_YEARS = 20  # dates this many years before or after the review period are suspicious
_PERCENT_UNITS = frozenset({"%", "percent", "percentage", "pct", "per cent", "% of total"})


def _at(table: Table, rec: Record, column: str, code: str, message: str,
        value: object = "") -> Finding:
    return finding(code, message, table.actual_name or table.sheet.name, rec.row,
                   table.column_index(column), value=value, column=column)


def _g(x: float) -> str:
    return f"{x:,.4g}"


def _span(values: list[float]) -> str:
    low, high = min(values), max(values)
    return _g(low) if low == high else f"{_g(low)} to {_g(high)}"


def _hundredfold(small: float, large: float) -> bool:
    return small > 0 and large > 0 and HUNDRED_FOLD[0] <= large / small <= HUNDRED_FOLD[1]


def _near_hundredfold(value: float, reference: float) -> bool:
    """A wide first filter (20x to 750x either way) before the exact leave-one-out test."""
    a, b = abs(value), abs(reference)
    if not a or not b:
        return False
    ratio = a / b if a > b else b / a
    return 20.0 <= ratio <= 750.0


def _off(value: float, reference: float) -> str | None:
    """'smaller' or 'larger' when ``value`` is about 100 times off ``reference``."""
    if _hundredfold(abs(value), abs(reference)):
        return "smaller"
    if _hundredfold(abs(reference), abs(value)):
        return "larger"
    return None


def metric_scale(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get("d2 Metrics")
    if table is None or not {"Metric ID", "Value"} <= table.columns.keys():
        return
    by_metric: dict[str, list[Record]] = {}
    for rec in table.records:  # names checked above: read the values directly
        metric, value = rec.values.get("Metric ID"), rec.values.get("Value")
        if metric is not None and isinstance(value, float | int):
            by_metric.setdefault(str(metric).casefold(), []).append(rec)
    for recs in by_metric.values():
        yield from _one_metric(table, recs)


def _one_metric(table: Table, recs: list[Record]) -> Iterator[Finding]:
    metric = recs[0]["Metric ID"]
    values = [float(r.values["Value"]) for r in recs]
    targets = Counter(float(t) for r in recs
                      if isinstance(t := r.values.get("Target"), float | int))
    target = targets.most_common(1)[0][0] if targets else None
    unit = str(recs[0]["Unit"] or "").strip()
    percent = unit.casefold() in _PERCENT_UNITS
    nonzero = [v for v in values if v]
    if percent and len(nonzero) >= 2 and max(abs(v) for v in values) <= 1:
        tail = f" and its target {_g(target)}" if target is not None and abs(target) <= 1 else ""
        first = recs[0]
        yield _at(table, first, "Value", "implausible-value",
                  f"Metric {metric} has the unit % but its values are {_span(values)}{tail}: "
                  f"they look like fractions ({_g(values[-1])} for {_g(values[-1] * 100)} %), and "
                  f"the pre-read would print {_g(values[-1])} %. Assumed scale: percentage "
                  "points (0 to 100), as the unit says. Type the values as numbers of percent "
                  f"(e.g. {_g(values[-1] * 100)}), with the cells formatted as Number, not "
                  "Percentage; or change the unit.", first["Value"])
        return
    odd: set[int] = set()
    nonzero_abs = [abs(v) for v in nonzero]
    overall = statistics.median(nonzero_abs) if nonzero_abs else None
    for i, rec in enumerate(recs):
        if overall is not None and values[i] and not _near_hundredfold(values[i], overall) and (
                target is None or not _near_hundredfold(values[i], target)):
            continue  # far from 100x the metric's median and target: the common case, fast
        others = [v for j, v in enumerate(values) if j != i and v]
        reference = statistics.median(others) if len(others) >= 2 else target
        if reference is None or not values[i]:
            continue
        direction = _off(values[i], reference)
        if direction is None:
            continue
        odd.add(i)
        yield _at(table, rec, "Value", "implausible-value",
                  _value_message(metric, values[i], others, target, direction, percent),
                  rec["Value"])
    kept = [v for i, v in enumerate(values) if i not in odd and v]
    if target is not None and target and len(kept) >= 2:
        direction = _off(target, statistics.median(kept))
        if direction is not None:
            rec = next(r for r in recs if isinstance(r["Target"], float | int)
                       and float(r["Target"]) == target)
            scaled = target * 100 if direction == "smaller" else target / 100
            yield _at(table, rec, "Target", "implausible-value",
                      f"The target {_g(target)} of metric {metric} is about 100 times "
                      f"{direction} than its values ({_span(kept)}). Assumed scale: that of the "
                      f"values. Type {_g(scaled)}"
                      + (" (a target of 95 % typed into a Percentage cell is stored as 0.95)"
                         if direction == "smaller" and percent else "")
                      + "; the target repeats on each of the metric's rows.", target)


def _value_message(metric: object, value: float, others: list[float], target: float | None,
                   direction: str, percent: bool) -> str:
    against = f"the other values ({_span(others)})" if len(others) >= 2 else "the target"
    if target is not None and len(others) >= 2:
        against += f" and the target ({_g(target)})"
    scaled = value * 100 if direction == "smaller" else value / 100
    why = (f" It was probably typed as {_g(scaled)} % into a cell formatted as Percentage, which "
           f"Excel stores as {_g(value)}." if direction == "smaller" and percent else
           " Check the decimal point.")
    return (f"{_g(value)} is about 100 times {direction} than {against} of metric {metric}.{why} "
            f"Assumed scale: that of the other rows; type {_g(scaled)}"
            + (" with the cell formatted as Number." if percent else "."))


def progress_ambiguous(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get("d4 Objectives")
    if table is None or "Progress %" not in table.columns:
        return
    for rec in table.records:
        if rec["Progress %"] == 1 and rec["Status"] not in ("Achieved", None):
            yield _at(table, rec, "Progress %", "ambiguous-percentage",
                      f"Progress of objective '{rec['Objective ID']}' is 1, read as 100 %, but "
                      f"its status is {rec['Status']}. If you meant 1 %, type 1% (with the % "
                      "sign); if 100 %, set the status to Achieved.", "1")


def _far(day: dt.date, start: dt.date, end: dt.date) -> str | None:
    if day.year < start.year - FAR_YEARS:
        return f"{start.year - day.year} years before"
    if day.year > end.year + FAR_YEARS:
        return f"{day.year - end.year} years after"
    return None


def dates_far_from_period(data: WorkbookData) -> Iterator[Finding]:
    start, end = data.review.get("Period start"), data.review.get("Period end")
    if not isinstance(start, dt.date) or not isinstance(end, dt.date) or end < start:
        return
    period = f"the review period ({start.isoformat()} to {end.isoformat()})"
    for name in ("Data cut-off", "Meeting date", "Next review date", "Approved on"):
        day = data.review.get(name)
        if isinstance(day, dt.date) and (how := _far(day, start, end)):
            row = data.review_rows.get(name)
            yield finding("date-far-from-period", f"'{name}' {day.isoformat()} is {how} {period}:"
                          " a typo in the year?", "Review", row, 1 if row else None,
                          value=day.isoformat(), column=name)
    low, high = dt.date(start.year - FAR_YEARS, 1, 1), dt.date(end.year + FAR_YEARS, 12, 31)
    for table in data.tables.values():
        dated = [c.name for c in table.sheet.columns if c.type == "date" and c.name in table.columns]
        for name in dated:
            for rec in table.records:
                day = rec.values.get(name)
                if day is not None and (day < low or day > high):
                    how = _far(day, start, end)
                    yield _at(table, rec, name, "date-far-from-period",
                              f"'{name}' {day.isoformat()} is {how} {period}: a typo in the "
                              "year?", day.isoformat())


def single_period(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get("d2 Metrics")
    if table is None or not {"Metric ID", "Period"} <= table.columns.keys():
        return
    periods: dict[str, set[str]] = {}
    first: dict[str, Record] = {}
    for rec in table.records:
        metric, period = rec["Metric ID"], rec["Period"]
        if metric is None or not isinstance(period, Period):
            continue
        key = str(metric).casefold()
        periods.setdefault(key, set()).add(period.label)
        first.setdefault(key, rec)
    for key, labels in periods.items():
        if len(labels) == 1:
            rec = first[key]
            yield _at(table, rec, "Period", "single-period",
                      f"Metric {rec['Metric ID']} has a value for one period only "
                      f"({next(iter(labels))}): no trend can be shown. Add the earlier periods "
                      "(three or four show a trend), or state in the pre-read why there is no "
                      "history.", next(iter(labels)))


PLAUSIBILITY_RULES = (metric_scale, progress_ambiguous, dates_far_from_period, single_period)
