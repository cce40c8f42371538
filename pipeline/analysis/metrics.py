"""d2: each metric's series, status against target and direction of travel.

Status (met / near / missed) respects "Better when": for Higher, met when value ≥ target and
near when it falls short by at most ``near_tolerance`` × |target|; for Lower the mirror image.

Direction of travel uses the Theil–Sen slope (the median of the slopes between every pair of
points) over the last ``trend_window`` periods, so one noisy point cannot flip it. The change
that slope implies across the window is *stable* when within ``stable_band`` × |target| (2 %; or
of the median value when the target is 0); otherwise *improving* or *declining* according to
"Better when". Fewer than 3 points: *insufficient data*. Gaps count by period position.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal

from ..formatting import number, percent
from ..workbook.model import Record, Table, WorkbookData
from ..workbook.periods import Granularity, Period, from_ordinal
from .base import ChartRef, Figure, FigureStatus, InputContext, Summary, SummaryTable, View
from .settings import AnalysisSettings

Status = Literal["met", "near", "missed", "no data"]
Trend = Literal["improving", "stable", "declining", "insufficient data"]


@dataclass(frozen=True)
class Point:
    period: Period
    value: float
    target: float
    status: Status


@dataclass
class MetricResult:
    id: str
    name: str
    unit: str
    better_when: str
    target: float | None
    owner: str
    source: str
    series: list[Point]
    history: int
    latest: float | None
    latest_period: Period | None
    previous: float | None
    change: float | None
    status: Status
    trend: Trend
    slope_per_period: float | None
    missing_periods: list[Period]
    objectives: list[str] = field(default_factory=list)
    limitations: list[str] = field(default_factory=list)


def metric_status(value: float, target: float, better_when: str, tolerance: float) -> Status:
    band = tolerance * abs(target)
    if better_when == "Lower":
        return "met" if value <= target else "near" if value <= target + band else "missed"
    return "met" if value >= target else "near" if value >= target - band else "missed"


def theil_sen(xs: list[int], ys: list[float]) -> float:
    slopes = [(ys[j] - ys[i]) / (xs[j] - xs[i])
              for i in range(len(xs)) for j in range(i + 1, len(xs)) if xs[j] != xs[i]]
    return statistics.median(slopes)


def direction(points: list[Point], target: float, better_when: str,
              settings: AnalysisSettings) -> tuple[Trend, float | None]:
    if not points:
        return "insufficient data", None
    first = points[-1].period.ordinal - settings.trend_window + 1
    window = [p for p in points if p.period.ordinal >= first]  # the last N *periods*
    if len(window) < 3:
        return "insufficient data", None
    xs = [p.period.ordinal for p in window]
    ys = [p.value for p in window]
    slope = theil_sen(xs, ys)
    change = slope * (xs[-1] - xs[0])
    scale = abs(target) or abs(statistics.median(ys)) or 1.0
    if abs(change) <= settings.stable_band * scale:
        return "stable", slope
    better = slope > 0 if better_when != "Lower" else slope < 0
    return ("improving" if better else "declining"), slope


def _missing(periods: list[Period]) -> list[Period]:
    granularity: Granularity = periods[0].granularity
    have = {p.ordinal for p in periods}
    return [from_ordinal(n, granularity) for n in range(min(have), max(have) + 1) if n not in have]


def analyse_metric(rows: list[Record], settings: AnalysisSettings) -> MetricResult:
    rows = sorted((r for r in rows if isinstance(r["Period"], Period)), key=lambda r: r["Period"])
    first, last = rows[0], rows[-1]
    better = last.get("Better when", "Higher")
    points = [
        Point(r["Period"], float(r["Value"]), float(r["Target"]),
              metric_status(float(r["Value"]), float(r["Target"]), better, settings.near_tolerance))
        for r in rows if r["Value"] is not None and r["Target"] is not None
    ]
    target = float(last["Target"]) if last["Target"] is not None else None
    trend, slope = direction(points, target or 0.0, better, settings) if points else (
        "insufficient data", None)
    granularities = {r["Period"].granularity for r in rows}
    missing = _missing([r["Period"] for r in rows]) if len(granularities) == 1 else []
    limitations = []
    if missing:
        limitations.append(f"No value for {', '.join(p.label for p in missing)}.")
    if len({p.target for p in points}) > 1:
        limitations.append("Target changed during the series (now "
                           f"{number(target, str(last.get('Unit', '')))}).")
    return MetricResult(
        id=str(first["Metric ID"]), name=str(last.get("Metric", "")), unit=str(last.get("Unit", "")),
        better_when=better, target=target, owner=str(last.get("Owner", "")),
        source=str(last.get("Source", "")),
        series=points[-settings.periods_shown:] if settings.periods_shown else points,
        history=len(points), latest=points[-1].value if points else None,
        latest_period=points[-1].period if points else None,
        previous=points[-2].value if len(points) > 1 else None,
        change=points[-1].value - points[-2].value if len(points) > 1 else None,
        status=points[-1].status if points else "no data", trend=trend,
        slope_per_period=slope, missing_periods=missing, limitations=limitations,
    )


def chart_stem(metric_id: str) -> str:
    """File stem of a metric's chart: metric_<id> with unsafe characters replaced."""
    return "metric_" + "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in metric_id)


def analyse_metrics(data: WorkbookData, settings: AnalysisSettings,
                    table: Table | None = None) -> list[MetricResult]:
    table = table or data.tables.get("d2 Metrics")
    if table is None:
        return []
    by_id: dict[str, list[Record]] = defaultdict(list)
    order: list[str] = []
    for rec in table.records:
        key = rec["Metric ID"]
        if key is None or not isinstance(rec["Period"], Period):
            continue
        if key not in by_id:
            order.append(key)
        by_id[key].append(rec)
    results = [analyse_metric(by_id[key], settings) for key in order]
    objectives = data.tables.get("d4 Objectives")
    if objectives is not None:
        for rec in objectives.records:
            for metric in results:
                if rec["Metric ID"] is not None and str(rec["Metric ID"]).casefold() == metric.id.casefold():
                    metric.objectives.append(str(rec["Objective ID"]))
    return results


def stale_metrics(metrics: list[MetricResult], cutoff: dt.date) -> list[str]:
    """Limitation lines for metrics whose data ends more than a period before the cut-off,
    or whose latest period differs from the others'."""
    notes: list[str] = []
    dated = [m for m in metrics if m.latest_period is not None]
    if not dated:
        return notes
    newest = max(m.latest_period for m in dated if m.latest_period)
    for m in dated:
        assert m.latest_period is not None
        gap = (cutoff - m.latest_period.end).days
        length = (m.latest_period.end - m.latest_period.start).days + 1
        if gap > length + 14:
            note = (f"{m.id} data ends {m.latest_period.label}, {gap} days before the "
                    f"cut-off {cutoff.isoformat()}.")
            m.limitations.append(note)
            notes.append(note)
        elif m.latest_period.end < newest.start:
            note = f"{m.id} ends {m.latest_period.label} while other metrics reach {newest.label}."
            m.limitations.append(note)
            notes.append(note)
    if len({m.latest_period.granularity for m in dated if m.latest_period}) > 1:
        notes.append("Metrics are reported over periods of different lengths.")
    return notes


# --------------------------------------------------------------------- the input's shape

KEY = "metrics"


def analyse(ctx: InputContext) -> list[MetricResult]:
    return analyse_metrics(ctx.data, ctx.settings, ctx.table)


def status_counts(metrics: list[MetricResult]) -> dict[str, int]:
    counts = {s: 0 for s in ("met", "near", "missed", "no data")}
    for m in metrics:
        counts[m.status] = counts.get(m.status, 0) + 1
    return counts


COLUMNS = ("Metric ID", "Metric", "Unit", "Better when", "Target", "Period", "Value")


def shown_periods(m: MetricResult) -> str:
    """The periods a metric's chart covers, in words."""
    if not m.series:
        return "no periods"
    first, last = m.series[0].period.label, m.series[-1].period.label
    return f"periods {first} to {last}" if first != last else f"period {first}"


def recommendation(m: MetricResult) -> str:
    """One line for a metric that misses its target or declines, from its own data."""
    gap = (m.latest - m.target) if m.latest is not None and m.target is not None else None
    reasons = []
    if m.status == "missed":
        reasons.append(f"missed its target of {number(m.target, m.unit)} with "
                       f"{number(m.latest, m.unit)} in {m.latest_period.label if m.latest_period else 'n/a'}"
                       f" (gap {number(abs(gap) if gap is not None else None, m.unit)}, "
                       f"{m.better_when.lower()} is better)")
    if m.trend == "declining":
        reasons.append("declining over the last periods")
    linked = f"; it measures {', '.join(m.objectives)}" if m.objectives else ""
    return (f"{m.id} {m.name}: {' and '.join(reasons)}{linked}. {m.owner or 'Its owner'} to "
            "present the cause and a recovery plan with a date.")


def summary(metrics: list[MetricResult], view: View) -> Summary:
    counts = status_counts(metrics)
    declining = [m.id for m in metrics if m.trend == "declining"]
    missed = [m.id for m in metrics if m.status == "missed"]
    text = (f"{counts['met']} of {len(metrics)} metrics meet their target in their latest period; "
            f"{counts['near']} are near and {counts['missed']} miss it"
            + (f" ({', '.join(missed)})" if missed else "") + ". "
            + (f"Declining: {', '.join(declining)}." if declining else "None is declining."))
    rows = [[m.id, m.name, number(m.target, m.unit), number(m.latest, m.unit),
             m.latest_period.label if m.latest_period else "n/a", m.status, m.trend]
            for m in metrics]
    charts = [ChartRef("kpi_metrics", "Metrics against target"), *(
        ChartRef(chart_stem(m.id), f"{m.id} {m.name}: {m.status}, {m.trend} ({shown_periods(m)})")
        for m in metrics)]
    recs = [recommendation(m) for m in metrics if m.status == "missed" or m.trend == "declining"]
    both = [m for m in metrics if m.status == "missed" and m.trend == "declining"]
    return Summary(text, SummaryTable(["Metric", "Name", "Target", "Latest", "Period", "Status",
                                       "Trend"], rows), charts,
                   significance="High" if both else "Medium" if recs else "Low",
                   recommendations=recs,
                   significance_rule="High when a metric both misses its target and declines; "
                                     "Medium when one misses or declines; otherwise Low.")


def figures(metrics: list[MetricResult], view: View) -> list[Figure]:
    counts = status_counts(metrics)
    status: FigureStatus = "met" if counts["missed"] == 0 and counts["near"] == 0 else (
        "missed" if counts["missed"] else "near")
    return [Figure("Metrics meeting target", f"{counts['met']} of {len(metrics)}", status,
                   "Latest period of each metric",
                   "Metrics whose value in their latest period meets the target, respecting "
                   f"'Better when' (near: within {percent(view.settings.near_tolerance)} of the "
                   "target).")]


def limitations(metrics: list[MetricResult], ctx: InputContext) -> list[str]:
    notes = stale_metrics(metrics, ctx.scope.cutoff)
    notes += [f"{m.id}: {line}" for m in metrics for line in m.limitations
              if not line.startswith(m.id)]
    if metrics and ctx.periods and metrics[0].latest_period is not None:
        granularity = ctx.periods[0].granularity
        if any(m.latest_period and m.latest_period.granularity != granularity for m in metrics):
            notes.append("Some metrics use a different period length from the review's "
                         f"{granularity}ly buckets.")
    return notes


def draw(metrics: list[MetricResult], view: View) -> dict[str, bytes]:
    from .charts import COLOURS, bars, metric_chart

    charts = {chart_stem(m.id): metric_chart(m) for m in metrics}
    counts = status_counts(metrics)
    charts["kpi_metrics"] = bars(
        "Metrics against target (latest period)", ["Met", "Near", "Missed"],
        [counts["met"], counts["near"], counts["missed"]],
        [COLOURS["met"], COLOURS["near"], COLOURS["missed"]],
        f"data to {view.cutoff.isoformat()}")
    return charts
