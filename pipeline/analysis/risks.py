"""f: risk assessment results and risk treatment plan status.

Residual score = residual likelihood × residual impact; above appetite when the score is
greater than the risk's Appetite; untreated when, in addition, its treatment is neither
Accepted nor In progress. A treatment is overdue when it is due before the cut-off and still
Not started or In progress.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..workbook.model import Record, Table
from ..workbook.signals import residual_score, risk_above_appetite, risk_untreated
from .common import Scope, records
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
