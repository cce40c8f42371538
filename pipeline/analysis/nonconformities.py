"""d1: nonconformities and corrective actions: flow per period, open by severity and age,
overdue ones (days past due and age at the cut-off), time to close, effectiveness verified.

Observations are not nonconformities: they are counted apart. Time to close and effectiveness
count only the nonconformities closed within the review period. A nonconformity is *overdue*
when it is not Closed and its due date lies before the cut-off; a major one overdue is a
decision for management (the certificate is at risk at the next external audit).
"""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass, field

from ..formatting import days, long_date, number, percent, short_date
from ..workbook.contract import Sheet
from ..workbook.model import Table
from ..workbook.periods import Period
from ..workbook.signals import major_nc_open, nc_overdue_days
from .base import (
    ChartRef,
    DecisionRequest,
    Figure,
    InputContext,
    Summary,
    SummaryTable,
    View,
)
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
    description: str = ""
    days_overdue: int | None = None


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
    overdue: list[OpenNc] = field(default_factory=list)
    majors_overdue: list[OpenNc] = field(default_factory=list)
    observations_open: int = 0
    closed_before_period: int = 0


def _in(day: object, period: Period) -> bool:
    return isinstance(day, dt.date) and period.start <= day <= period.end


def analyse_nonconformities(table: Table | None, sheet: Sheet, scope: Scope,
                            periods: list[Period]) -> NonconformitiesResult:
    everything = records(table)
    recs = [r for r in everything if r["Severity"] != "Observation"]
    open_recs = [r for r in recs if r["Status"] not in ("Closed", None)]
    closed = [r for r in recs if r["Status"] == "Closed" and scope.in_period(r["Closed on"])]
    durations = [(r["Closed on"] - r["Raised on"]).days for r in closed
                 if isinstance(r["Closed on"], dt.date) and isinstance(r["Raised on"], dt.date)
                 and r["Closed on"] >= r["Raised on"]]
    verified = [r for r in closed if r["Effectiveness verified"] is True]
    open_detail = sorted(
        (OpenNc(str(r["NC ID"]), str(r["Severity"]), r["Raised on"],
                (scope.cutoff - r["Raised on"]).days if isinstance(r["Raised on"], dt.date) else None,
                str(r["Owner"] or ""), r["Due date"], str(r["Description"] or ""),
                nc_overdue_days(r, scope.cutoff)) for r in open_recs),
        key=lambda n: (-(n.age_days or 0), n.id))
    overdue = sorted((n for n in open_detail if n.days_overdue is not None),
                     key=lambda n: (n.severity != "Major", -(n.days_overdue or 0), n.id))
    return NonconformitiesResult(
        total=len(recs), open=len(open_recs),
        open_by_severity=count_by(open_recs, "Severity",
                                  [v for v in sheet.column("Severity").values if v != "Observation"]),
        per_period=[PeriodFlow(p, sum(_in(r["Raised on"], p) for r in recs),
                               sum(_in(r["Closed on"], p) for r in closed)) for p in periods],
        open_detail=open_detail, closed=len(closed),
        days_to_close_median=float(statistics.median(durations)) if durations else None,
        days_to_close_mean=statistics.fmean(durations) if durations else None,
        verified=len(verified), verified_share=share(len(verified), len(closed)),
        majors_open=[str(r["NC ID"]) for r in recs if major_nc_open(r)],
        basis=f"Nonconformities (observations apart) on the register; closures within "
              f"{scope.period_start.isoformat()} to {scope.period_end.isoformat()}; ages at the "
              f"cut-off {scope.cutoff.isoformat()}.",
        overdue=overdue, majors_overdue=[n for n in overdue if n.severity == "Major"],
        observations_open=sum(1 for r in everything if r["Severity"] == "Observation"
                              and r["Status"] not in ("Closed", None)),
        closed_before_period=sum(1 for r in recs if r["Status"] == "Closed"
                                 and isinstance(r["Closed on"], dt.date)
                                 and r["Closed on"] < scope.period_start),
    )


# --------------------------------------------------------------------- the input's shape

KEY = "nonconformities"


def analyse(ctx: InputContext) -> NonconformitiesResult:
    return analyse_nonconformities(ctx.table, ctx.spec.sheet, ctx.scope, ctx.periods)


COLUMNS = ("NC ID", "Severity", "Raised on", "Due date", "Status", "Closed on",
           "Effectiveness verified")
CONSEQUENCE = ("A major nonconformity past its due date puts the certificate at risk at the next "
               "external audit.")


def overdue_line(n: OpenNc) -> str:
    """'NC-2026-02 (Major, Backups …): 44 days past due, 142 days open'."""
    return (f"{n.id} ({n.severity}, {n.description.rstrip('. ')}): {days(n.days_overdue)} past due "
            f"{short_date(n.due)}, {days(n.age_days)} open at the cut-off")


def asks(n: NonconformitiesResult, view: View) -> list[DecisionRequest]:
    return [DecisionRequest(
        view.spec.ref, o.id, "Major nonconformity overdue",
        f"{overdue_line(o)}: approve a recovery plan with a new date, owner {o.owner}, and the "
        "resources to close it before the next external audit.",
        consequence=CONSEQUENCE,
        recommendation=f"Set a new due date before the next external audit and report progress "
                       f"to top management until {o.id} is closed.")
        for o in n.majors_overdue]


def summary(n: NonconformitiesResult, view: View) -> Summary:
    sev = ", ".join(f"{v} {k.lower()}" for k, v in n.open_by_severity.items() if v)
    text = (f"{n.open} nonconformities open ({sev or 'none'}); {len(n.overdue)} past their due "
            f"date. {n.closed} closed within the period, in a median of "
            f"{number(n.days_to_close_median)} days (mean {number(n.days_to_close_mean)}); "
            f"effectiveness verified for {percent(n.verified_share)} of them."
            + (f" Major nonconformity {', '.join(n.majors_open)} is still open." if n.majors_open else "")
            + (f" Not counted: {n.observations_open} open observation(s)" if n.observations_open else "")
            + (f"{'; ' if n.observations_open else ' Not counted: '}{n.closed_before_period} closed "
               "before the period" if n.closed_before_period else "")
            + ("." if n.observations_open or n.closed_before_period else ""))
    rows = [[o.id, o.severity, short_date(o.raised_on), number(o.age_days), o.owner,
             short_date(o.due), number(o.days_overdue) if o.days_overdue is not None else ""]
            for o in n.open_detail]
    recs = [f"{overdue_line(o)}: " + ("decide a recovery plan (see its decision card)."
                                      if o.severity == "Major"
                                      else f"{o.owner} to re-plan it with a new date.")
            for o in n.overdue]
    return Summary(text, SummaryTable(["Open NC", "Severity", "Raised", "Age (days)", "Owner", "Due",
                                       "Days overdue"], rows),
                   [ChartRef("kpi_nonconformities", "Nonconformities opened and closed per period "
                             "(every period of the review)")],
                   significance="High" if n.majors_open else "Medium" if n.overdue else "Low",
                   recommendations=recs,
                   significance_rule="High when a major nonconformity is open; Medium when any "
                                     "is past its due date; otherwise Low.")


def figures(n: NonconformitiesResult, view: View) -> list[Figure]:
    worst = n.majors_overdue[0] if n.majors_overdue else None
    return [
        Figure("Major nonconformities open", number(len(n.majors_open)),
               "missed" if n.majors_open else "met", f"at the cut-off {long_date(view.cutoff)}",
               "Nonconformities of Severity Major whose Status is not Closed."),
        Figure("Major nonconformities past their due date",
               f"{len(n.majors_overdue)}" + (f" ({worst.id}: {days(worst.days_overdue)} overdue, "
                                              f"{days(worst.age_days)} open)" if worst else ""),
               "missed" if worst else "met",
               f"at the cut-off {long_date(view.cutoff)}",
               "Major nonconformities not Closed whose due date is before the cut-off; days "
               "overdue and days open counted to the cut-off."),
    ]


def limitations(n: NonconformitiesResult, ctx: InputContext) -> list[str]:
    return stale_note(ctx.table.records, "Raised on", "nonconformity", ctx.scope,
                      ctx.settings.stale_after_days)


def draw(n: NonconformitiesResult, view: View) -> dict[str, bytes]:
    from .charts import nc_flow

    return {"kpi_nonconformities": nc_flow(n.per_period, f"open {n.open} · majors open "
                                                         f"{len(n.majors_open)}")}
