"""d1: nonconformities and corrective actions: flow per period, open by severity and age,
time to close, effectiveness verified."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass

from ..formatting import long_date, number, percent, short_date
from ..workbook.contract import Sheet
from ..workbook.model import Table
from ..workbook.periods import Period
from ..workbook.signals import major_nc_open
from .base import ChartRef, Figure, InputContext, Summary, SummaryTable, View
from .common import Scope, count_by, records, share, stale_note


@dataclass(frozen=True)
class PeriodFlow:
    period: Period
    opened: int
    closed: int


@dataclass(frozen=True)
class OpenNc:
    id: str
    severity: str
    raised_on: dt.date | None
    age_days: int | None
    owner: str
    due: dt.date | None


@dataclass
class NonconformitiesResult:
    total: int
    open: int
    open_by_severity: dict[str, int]
    per_period: list[PeriodFlow]
    open_detail: list[OpenNc]
    closed: int
    days_to_close_median: float | None
    days_to_close_mean: float | None
    verified: int
    verified_share: float | None
    majors_open: list[str]
    basis: str


def _in(day: object, period: Period) -> bool:
    return isinstance(day, dt.date) and period.start <= day <= period.end


def analyse_nonconformities(table: Table | None, sheet: Sheet, scope: Scope,
                            periods: list[Period]) -> NonconformitiesResult:
    recs = records(table)
    open_recs = [r for r in recs if r["Status"] not in ("Closed", None)]
    closed = [r for r in recs if r["Status"] == "Closed"]
    durations = [(r["Closed on"] - r["Raised on"]).days for r in closed
                 if isinstance(r["Closed on"], dt.date) and isinstance(r["Raised on"], dt.date)
                 and r["Closed on"] >= r["Raised on"]]
    verified = [r for r in closed if r["Effectiveness verified"] is True]
    open_detail = sorted(
        (OpenNc(str(r["NC ID"]), str(r["Severity"]), r["Raised on"],
                (scope.cutoff - r["Raised on"]).days if isinstance(r["Raised on"], dt.date) else None,
                str(r["Owner"] or ""), r["Due date"]) for r in open_recs),
        key=lambda n: (-(n.age_days or 0), n.id))
    return NonconformitiesResult(
        total=len(recs), open=len(open_recs),
        open_by_severity=count_by(open_recs, "Severity", sheet.column("Severity").values),
        per_period=[PeriodFlow(p, sum(_in(r["Raised on"], p) for r in recs),
                               sum(_in(r["Closed on"], p) for r in closed)) for p in periods],
        open_detail=open_detail, closed=len(closed),
        days_to_close_median=float(statistics.median(durations)) if durations else None,
        days_to_close_mean=statistics.fmean(durations) if durations else None,
        verified=len(verified), verified_share=share(len(verified), len(closed)),
        majors_open=[str(r["NC ID"]) for r in recs if major_nc_open(r)],
        basis=f"All nonconformities on the register; ages at the cut-off {scope.cutoff.isoformat()}.",
    )


# --------------------------------------------------------------------- the input's shape

KEY = "nonconformities"


def analyse(ctx: InputContext) -> NonconformitiesResult:
    return analyse_nonconformities(ctx.table, ctx.spec.sheet, ctx.scope, ctx.periods)


def summary(n: NonconformitiesResult, view: View) -> Summary:
    sev = ", ".join(f"{v} {k.lower()}" for k, v in n.open_by_severity.items() if v)
    text = (f"{n.open} nonconformities open ({sev or 'none'}); {n.closed} closed, in a median of "
            f"{number(n.days_to_close_median)} days (mean {number(n.days_to_close_mean)}). "
            f"Effectiveness verified for {percent(n.verified_share)} of closed ones."
            + (f" Major nonconformity {', '.join(n.majors_open)} is still open." if n.majors_open else ""))
    rows = [[o.id, o.severity, short_date(o.raised_on), number(o.age_days), o.owner,
             short_date(o.due)] for o in n.open_detail]
    return Summary(text, SummaryTable(["Open NC", "Severity", "Raised", "Age (days)", "Owner", "Due"],
                                      rows),
                   [ChartRef("kpi_nonconformities", "Nonconformities opened and closed per period")])


def figures(n: NonconformitiesResult, view: View) -> list[Figure]:
    return [Figure("Major nonconformities open", number(len(n.majors_open)),
                   "missed" if n.majors_open else "met", f"at the cut-off {long_date(view.cutoff)}")]


def limitations(n: NonconformitiesResult, ctx: InputContext) -> list[str]:
    return stale_note(ctx.table.records, "Raised on", "nonconformity", ctx.scope,
                      ctx.settings.stale_after_days)


def draw(n: NonconformitiesResult, view: View) -> dict[str, bytes]:
    from .charts import nc_flow

    return {"kpi_nonconformities": nc_flow(n.per_period, f"open {n.open} · majors open "
                                                         f"{len(n.majors_open)}")}
