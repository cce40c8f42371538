"""f: risk assessment results and risk treatment plan status.

Residual score = residual likelihood × residual impact; above appetite when the score is
greater than the risk's Appetite; untreated when, in addition, its treatment is neither
Accepted nor In progress. A treatment is overdue when it is due before the cut-off and still
Not started or In progress.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..formatting import long_date, number, short_date
from ..workbook.model import Record, Table
from ..workbook.signals import residual_score, risk_above_appetite, risk_untreated
from .base import ChartRef, DecisionRequest, Figure, InputContext, Summary, SummaryTable, View
from .common import Scope, records, stale_note
from .settings import AnalysisSettings

LEVELS = ("Low", "Medium", "High", "Critical")


@dataclass(frozen=True)
class RiskLine:
    id: str
    risk: str
    owner: str
    score: int | None
    level: str
    appetite: int | None
    treatment: str
    treatment_status: str
    treatment_due: dt.date | None


@dataclass
class RisksResult:
    total: int
    by_level: dict[str, int]
    above_appetite: list[str]
    untreated: list[str]
    treatment_overdue: list[str]
    decisions_needed: list[str]
    identified_in_period: list[str]
    above_appetite_detail: list[RiskLine]
    basis: str


def level(score: int | None, bands: tuple[int, int, int]) -> str:
    if score is None:
        return "Unscored"
    for name, upper in zip(LEVELS, bands, strict=False):
        if score <= upper:
            return name
    return LEVELS[-1]


def _line(r: Record, bands: tuple[int, int, int]) -> RiskLine:
    score = residual_score(r)
    return RiskLine(str(r["Risk ID"]), str(r["Risk"] or ""), str(r["Owner"] or ""), score,
                    level(score, bands), r["Appetite"], str(r["Treatment"] or ""),
                    str(r["Treatment status"] or ""), r["Treatment due"])


def analyse_risks(table: Table | None, scope: Scope, settings: AnalysisSettings) -> RisksResult:
    recs = records(table)
    lines = [_line(r, settings.risk_bands) for r in recs]
    by_level = {name: 0 for name in LEVELS}
    for line in lines:
        by_level[line.level] = by_level.get(line.level, 0) + 1
    above = [line for r, line in zip(recs, lines, strict=True) if risk_above_appetite(r)]
    above.sort(key=lambda x: (-(x.score or 0), x.id))
    return RisksResult(
        total=len(recs), by_level=by_level, above_appetite=[x.id for x in above],
        untreated=[str(r["Risk ID"]) for r in recs if risk_untreated(r)],
        treatment_overdue=[str(r["Risk ID"]) for r in recs
                           if isinstance(r["Treatment due"], dt.date)
                           and r["Treatment due"] < scope.cutoff
                           and r["Treatment status"] in ("Not started", "In progress")],
        decisions_needed=[str(r["Risk ID"]) for r in recs if r["Decision needed"] is True],
        identified_in_period=[str(r["Risk ID"]) for r in recs if scope.in_period(r["Identified on"])],
        above_appetite_detail=above,
        basis=f"Residual scores at the cut-off {scope.cutoff.isoformat()}; new risks identified "
              f"{scope.period_start.isoformat()} to {scope.period_end.isoformat()}.",
    )


# --------------------------------------------------------------------- the input's shape

KEY = "risks"


def analyse(ctx: InputContext) -> RisksResult:
    return analyse_risks(ctx.table, ctx.scope, ctx.settings)


def asks(r: RisksResult, view: View) -> list[DecisionRequest]:
    ref = view.spec.ref
    by_id = {x.id: x for x in r.above_appetite_detail}
    out = []
    for risk_id in r.untreated:
        line = by_id[risk_id]
        out.append(DecisionRequest(
            ref, risk_id, "Risk above appetite without treatment",
            f"{risk_id} scores {number(line.score)} against an appetite of {number(line.appetite)} "
            f"and its treatment is {line.treatment_status}: approve a treatment or formally "
            "accept it."))
    for risk_id in r.decisions_needed:
        if risk_id not in r.untreated:
            out.append(DecisionRequest(
                ref, risk_id, "Risk acceptance",
                f"{risk_id}: the risk owner asks management to decide (accept or fund treatment)."))
    return out


def summary(r: RisksResult, view: View) -> Summary:
    text = (f"{r.total} risks; {len(r.above_appetite)} above appetite, of which "
            f"{len(r.untreated)} have no accepted or running treatment"
            + (f" ({', '.join(r.untreated)})" if r.untreated else "") + ". "
            f"{len(r.treatment_overdue)} treatments overdue; {len(r.identified_in_period)} new risks "
            f"this period; {len(r.decisions_needed)} risk owners ask for a decision.")
    rows = [[x.id, x.risk, x.owner, number(x.score), number(x.appetite), x.treatment_status,
             short_date(x.treatment_due)] for x in r.above_appetite_detail]
    return Summary(text, SummaryTable(["Above appetite", "Risk", "Owner", "Score", "Appetite",
                                       "Treatment", "Due"], rows),
                   [ChartRef("kpi_risks", "Risks by residual level")])


def figures(r: RisksResult, view: View) -> list[Figure]:
    return [Figure("Risks above appetite without treatment", number(len(r.untreated)),
                   "missed" if r.untreated else "met", f"at the cut-off {long_date(view.cutoff)}")]


def limitations(r: RisksResult, ctx: InputContext) -> list[str]:
    return stale_note(ctx.table.records, "Identified on", "new risk", ctx.scope,
                      ctx.settings.stale_after_days)


def draw(r: RisksResult, view: View) -> dict[str, bytes]:
    from .charts import bars

    return {"kpi_risks": bars(
        "Risks by residual level", list(r.by_level), list(r.by_level.values()),
        ["#81C784", "#FFD54F", "#FF8A65", "#C62828", "#9E9E9E"][: len(r.by_level)],
        f"above appetite {len(r.above_appetite)} · untreated {len(r.untreated)}")}
