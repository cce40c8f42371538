"""d4: information security objectives: counts by status, and objectives whose linked metric
misses its target."""

from __future__ import annotations

from dataclasses import dataclass

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


@dataclass
class ObjectivesResult:
    total: int
    by_status: dict[str, int]
    metric_missed: list[ObjectiveMetric]
    not_on_track: list[str]
    basis: str


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
    return ObjectivesResult(
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


def summary(o: ObjectivesResult, view: View) -> Summary:
    status = ", ".join(f"{v} {k.lower()}" for k, v in o.by_status.items() if v)
    text = (f"{o.total} objectives: {status or 'none'}. "
            + ("Linked metric missing its target: "
               + ", ".join(f"{m.objective} ({m.metric})" for m in o.metric_missed) + "."
               if o.metric_missed else "No linked metric misses its target."))
    return Summary(text, SummaryTable(["Status", "Objectives"],
                                      [[k, str(v)] for k, v in o.by_status.items()]))
