"""d4: information security objectives: counts by status, and objectives whose linked metric
misses its target."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..formatting import percent, short_date
from ..workbook.contract import Sheet
from ..workbook.model import Table
from .base import InputContext, Summary, SummaryTable, View
from .common import Scope, count_by, records
from .metrics import MetricResult


@dataclass(frozen=True)
class ObjectiveMetric:
    objective: str
    metric: str
    metric_status: str
    objective_status: str


@dataclass(frozen=True)
class ObjectiveLine:
    id: str
    objective: str
    status: str
    due: object
    progress: float | None
    metric: str
    metric_trend: str
    owner: str


@dataclass
class ObjectivesResult:
    total: int
    by_status: dict[str, int]
    metric_missed: list[ObjectiveMetric]
    not_on_track: list[str]
    basis: str
    lines: list[ObjectiveLine] = field(default_factory=list)


def analyse_objectives(table: Table | None, sheet: Sheet, metrics: list[MetricResult],
                       scope: Scope) -> ObjectivesResult:
    recs = records(table)
    by_id = {m.id.casefold(): m for m in metrics}
    missed = []
    for r in recs:
        metric = by_id.get(str(r["Metric ID"]).casefold()) if r["Metric ID"] is not None else None
        if metric is not None and metric.status == "missed":
            missed.append(ObjectiveMetric(str(r["Objective ID"]), metric.id, metric.status,
                                          str(r["Status"])))
    lines = []
    for r in recs:
        metric = by_id.get(str(r["Metric ID"]).casefold()) if r["Metric ID"] is not None else None
        lines.append(ObjectiveLine(str(r["Objective ID"]), str(r["Objective"] or ""),
                                   str(r["Status"]), r["Due date"], r["Progress %"],
                                   metric.id if metric else "",
                                   metric.trend if metric else "no linked metric",
                                   str(r["Owner"] or "")))
    return ObjectivesResult(
        lines=lines,
        total=len(recs), by_status=count_by(recs, "Status", sheet.column("Status").values),
        metric_missed=missed,
        not_on_track=[str(r["Objective ID"]) for r in recs if r["Status"] in ("At risk", "Off track")],
        basis=f"Objectives and progress at the cut-off {scope.cutoff.isoformat()}; linked "
              "metrics at their latest period.",
    )


# --------------------------------------------------------------------- the input's shape

KEY = "objectives"


def analyse(ctx: InputContext) -> ObjectivesResult:
    metrics: list[MetricResult] = ctx.results.get("metrics", [])
    return analyse_objectives(ctx.table, ctx.spec.sheet, metrics, ctx.scope)


COLUMNS = ("Objective ID", "Objective", "Metric ID", "Due date", "Progress %", "Status")


def summary(o: ObjectivesResult, view: View) -> Summary:
    status = ", ".join(f"{v} {k.lower()}" for k, v in o.by_status.items() if v)
    off = [x for x in o.lines if x.id in o.not_on_track]
    text = (f"{o.total} objectives: {status or 'none'}. "
            + ("Not on track: " + "; ".join(f"{x.id} {x.objective} ({x.status.lower()})" for x in off)
               + ". " if off else "")
            + ("Linked metric missing its target: "
               + ", ".join(f"{m.objective} ({m.metric})" for m in o.metric_missed) + "."
               if o.metric_missed else "No linked metric misses its target."))
    rows = [[x.id, x.status, percent(x.progress), short_date(x.due if isinstance(x.due, dt.date) else None),
             x.metric or "none", x.metric_trend] for x in o.lines]
    recs = [f"{x.id} {x.objective}: {x.status.lower()}"
            + (f", its metric {x.metric} is {x.metric_trend}" if x.metric else "")
            + f": {x.owner or 'its owner'} to present a recovery plan, or the review to re-set the "
              "target or date." for x in off]
    return Summary(text, SummaryTable(["Objective", "Status", "Progress", "Due", "Metric",
                                       "Trend of the metric"], rows),
                   significance="High" if any(x.status == "Off track" for x in off)
                   else "Medium" if off else "Low",
                   recommendations=recs,
                   significance_rule="High when an objective is off track; Medium when one is at "
                                     "risk; otherwise Low.")
