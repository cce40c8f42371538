"""f: risk assessment results and risk treatment plan status.

Residual score = residual likelihood × residual impact; above appetite when the score is
greater than the risk's Appetite. The treatment of a risk above appetite is in exactly one
state: *overdue* (due before the cut-off and Not started or In progress), *not started* (Not
started, no due date), *planned, not yet due* (Not started, due on or after the cut-off), *in
progress*, *accepted*, *implemented* (yet still above appetite: reassess) or *cancelled*.
"Untreated" = above appetite and neither Accepted nor In progress.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..formatting import days, long_date, number, short_date
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
    treatment_state: dict[str, str] = field(default_factory=dict)
    """The treatment state of each risk above appetite, by risk ID (see the module doc)."""
    appetites: list[int] = field(default_factory=list)


def level(score: int | None, bands: tuple[int, int, int]) -> str:
    if score is None:
        return "Unscored"
    for name, upper in zip(LEVELS, bands, strict=False):
        if score <= upper:
            return name
    return LEVELS[-1]


STATES = ("overdue", "not started", "planned, not yet due", "in progress", "accepted",
          "implemented", "cancelled")


def treatment_state(line: RiskLine, cutoff: dt.date) -> str:
    status, due = line.treatment_status, line.treatment_due
    if status in ("Not started", "In progress") and isinstance(due, dt.date) and due < cutoff:
        return "overdue"
    if status == "Not started":
        return "planned, not yet due" if isinstance(due, dt.date) else "not started"
    return status.lower() or "not started"


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
        treatment_state={x.id: treatment_state(x, scope.cutoff) for x in above},
        appetites=sorted({x.appetite for x in lines if isinstance(x.appetite, int)}),
        basis=f"Residual scores at the cut-off {scope.cutoff.isoformat()}; new risks identified "
              f"{scope.period_start.isoformat()} to {scope.period_end.isoformat()}.",
    )


# --------------------------------------------------------------------- the input's shape

KEY = "risks"


def analyse(ctx: InputContext) -> RisksResult:
    return analyse_risks(ctx.table, ctx.scope, ctx.settings)


COLUMNS = ("Risk ID", "Risk", "Residual likelihood", "Residual impact", "Appetite", "Treatment",
           "Treatment status", "Treatment due", "Decision needed", "Identified on")
UNTREATED_DEFINITION = ("Risks whose residual score (residual likelihood × residual impact) is "
                        "above their Appetite and whose treatment is neither Accepted nor In "
                        "progress, split by the treatment's state at the cut-off.")


def _treatment_words(line: RiskLine, state: str, cutoff: dt.date) -> str:
    if state == "overdue" and line.treatment_due is not None:
        return (f"treatment {line.treatment_status.lower()}, "
                f"{days((cutoff - line.treatment_due).days)} past its due date "
                f"{short_date(line.treatment_due)}")
    if state == "planned, not yet due":
        return f"treatment planned, not yet due (due {short_date(line.treatment_due)})"
    return f"treatment {state}"


def untreated_split(r: RisksResult) -> dict[str, list[str]]:
    """The untreated risks by treatment state, every state named even when empty."""
    out: dict[str, list[str]] = {s: [] for s in ("overdue", "not started", "planned, not yet due")}
    for risk_id in r.untreated:
        out.setdefault(r.treatment_state.get(risk_id, "not started"), []).append(risk_id)
    return out


def asks(r: RisksResult, view: View) -> list[DecisionRequest]:
    ref = view.spec.ref
    by_id = {x.id: x for x in r.above_appetite_detail}
    out = []
    for risk_id in r.untreated:
        line = by_id[risk_id]
        state = r.treatment_state[risk_id]
        out.append(DecisionRequest(
            ref, risk_id, f"Risk above appetite, treatment {state}",
            f"{risk_id} ({line.risk}) scores {number(line.score)} against an appetite of "
            f"{number(line.appetite)}; {_treatment_words(line, state, view.cutoff)}: fund and "
            "date the treatment, or formally accept the risk.",
            consequence=f"{risk_id} stays at {number(line.score)}, above its appetite of "
                        f"{number(line.appetite)}, with no decision on record (clause 6.1.3 asks "
                        "risk owners to approve residual risk)."))
    for risk_id in r.decisions_needed:
        if risk_id not in r.untreated:
            out.append(DecisionRequest(
                ref, risk_id, "Risk acceptance",
                f"{risk_id}: the risk owner asks management to decide (accept or fund treatment)."))
    return out


def summary(r: RisksResult, view: View) -> Summary:
    split = untreated_split(r)
    parts = ", ".join(f"{len(v)} {k}" + (f" ({', '.join(v)})" if v else "") for k, v in split.items())
    text = (f"{r.total} risks; {len(r.above_appetite)} above appetite, of which "
            f"{len(r.untreated)} have no treatment running or accepted: {parts}. "
            f"{len(r.treatment_overdue)} treatments (of any risk) are past their due date; "
            f"{len(r.identified_in_period)} new risks this period; {len(r.decisions_needed)} risk "
            "owners ask for a decision.")
    rows = [[x.id, x.risk, x.owner, number(x.score), number(x.appetite), x.treatment_status,
             short_date(x.treatment_due), r.treatment_state.get(x.id, "")]
            for x in r.above_appetite_detail]
    by_id = {x.id: x for x in r.above_appetite_detail}
    advice = {"overdue": "set a new date and owner, or accept the risk formally",
              "not started": "give the treatment a due date, or accept the risk formally",
              "planned, not yet due": "confirm the treatment starts before its due date",
              "implemented": "reassess the residual score: the treatment is implemented but the "
                             "risk is still above appetite"}
    recs = [f"{x}: {by_id[x].risk}; {_treatment_words(by_id[x], r.treatment_state[x], view.cutoff)}"
            f": {advice[r.treatment_state[x]]}."
            for x in r.above_appetite if r.treatment_state.get(x) in advice]
    significance = ("High" if split["overdue"] or split["not started"] else
                    "Medium" if r.above_appetite else "Low")
    return Summary(text, SummaryTable(["Above appetite", "Risk", "Owner", "Score", "Appetite",
                                       "Treatment", "Due", "State"], rows),
                   [ChartRef("kpi_risks", "Risks by residual level")],
                   significance=significance, recommendations=recs,
                   significance_rule="High when a risk above appetite has a treatment overdue or "
                                     "not started without a date; Medium when any risk is above "
                                     "appetite; otherwise Low.")


def figures(r: RisksResult, view: View) -> list[Figure]:
    split = untreated_split(r)
    value = f"{len(r.untreated)}: " + ", ".join(f"{len(v)} {k}" for k, v in split.items())
    return [
        Figure("Risks above appetite", f"{len(r.above_appetite)} of {r.total}",
               "missed" if r.above_appetite else "met", f"at the cut-off {long_date(view.cutoff)}",
               "Risks whose residual score (residual likelihood × residual impact) is greater "
               "than their Appetite."),
        Figure("Risks above appetite with no treatment running or accepted", value,
               "missed" if r.untreated else "met", f"at the cut-off {long_date(view.cutoff)}",
               UNTREATED_DEFINITION),
    ]


def limitations(r: RisksResult, ctx: InputContext) -> list[str]:
    return stale_note(ctx.table.records, "Identified on", "new risk", ctx.scope,
                      ctx.settings.stale_after_days)


def draw(r: RisksResult, view: View) -> dict[str, bytes]:
    from .charts import bars

    return {"kpi_risks": bars(
        "Risks by residual level", list(r.by_level), list(r.by_level.values()),
        ["#81C784", "#FFD54F", "#FF8A65", "#C62828", "#9E9E9E"][: len(r.by_level)],
        f"above appetite {len(r.above_appetite)} · untreated {len(r.untreated)}")}
