"""d3: audit results: findings by grade per audit and per period, audits still open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..workbook.model import Table
from ..workbook.periods import Period
from .common import Scope, records

GRADES = ("Majors", "Minors", "Observations", "OFIs")


@dataclass(frozen=True)
class AuditFindings:
    id: str
    type: str
    date: dt.date | None
    status: str
    majors: int
    minors: int
    observations: int
    ofis: int

    @property
    def total(self) -> int:
        return self.majors + self.minors + self.observations + self.ofis


@dataclass(frozen=True)
class PeriodFindings:
    period: Period
    audits: int
    majors: int
    minors: int
    observations: int
    ofis: int


@dataclass
class AuditsResult:
    total: int
    audits: list[AuditFindings]
    per_period: list[PeriodFindings]
    totals: dict[str, int]
    open: list[str]
    basis: str


def analyse_audits(table: Table | None, scope: Scope, periods: list[Period]) -> AuditsResult:
    audits = [AuditFindings(str(r["Audit ID"]), str(r["Type"]), r["Date"], str(r["Status"]),
                            *(int(r[g] or 0) for g in GRADES)) for r in records(table)]
    audits.sort(key=lambda a: (a.date or dt.date.min, a.id))
    per_period = []
    for p in periods:
        inside = [a for a in audits if a.date is not None and p.start <= a.date <= p.end]
        per_period.append(PeriodFindings(p, len(inside), sum(a.majors for a in inside),
                                         sum(a.minors for a in inside),
                                         sum(a.observations for a in inside),
                                         sum(a.ofis for a in inside)))
    totals = {g: sum(getattr(a, g.lower()) for a in audits) for g in GRADES}
    return AuditsResult(
        total=len(audits), audits=audits, per_period=per_period, totals=totals,
        open=[a.id for a in audits if a.status != "Closed"],
        basis=f"Audits on the register; status at the cut-off {scope.cutoff.isoformat()}.",
    )
