"""d3: audit results: findings by grade per audit and per period, audits still open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..formatting import short_date
from ..workbook.model import Table
from ..workbook.periods import Period
from .base import InputContext, Summary, SummaryTable, View
from .common import Scope, records, stale_note

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


# --------------------------------------------------------------------- the input's shape

KEY = "audits"


def analyse(ctx: InputContext) -> AuditsResult:
    return analyse_audits(ctx.table, ctx.scope, ctx.periods)


COLUMNS = ("Audit ID", "Type", "Date", "Majors", "Minors", "Observations", "OFIs", "Status")


def trend_table(r: AuditsResult) -> SummaryTable:
    """Findings per period by grade: every period of the review, empty ones included."""
    return SummaryTable(["Period", "Audits", *GRADES],
                        [[p.period.label, str(p.audits), str(p.majors), str(p.minors),
                          str(p.observations), str(p.ofis)] for p in r.per_period])


def summary(r: AuditsResult, view: View) -> Summary:
    t = r.totals
    text = (f"{r.total} audits: {t['Majors']} major and {t['Minors']} minor "
            f"nonconformities, {t['Observations']} observations and {t['OFIs']} opportunities for "
            f"improvement. Still open: {', '.join(r.open) or 'none'}.")
    with_findings = [p for p in r.per_period if p.majors or p.minors]
    if r.per_period:
        text += (f" Nonconformities were found in {len(with_findings)} of {len(r.per_period)} "
                 "periods" + (f" (majors in {', '.join(p.period.label for p in r.per_period if p.majors)})"
                              if any(p.majors for p in r.per_period) else "") + ".")
    rows = [[x.id, x.type, short_date(x.date), str(x.majors), str(x.minors), str(x.observations),
             str(x.ofis), x.status] for x in r.audits]
    majors = [x for x in r.audits if x.majors]
    recs = [f"{x.id} ({x.type}, {short_date(x.date)}): {x.majors} major finding(s): confirm the "
            "corrective action is on track before the next external audit." for x in majors]
    return Summary(text, SummaryTable(["Audit", "Type", "Date", "Majors", "Minors", "Obs.", "OFIs",
                                       "Status"], rows),
                   significance="High" if majors else "Medium" if t["Minors"] else "Low",
                   recommendations=recs,
                   significance_rule="High when an audit raised a major nonconformity; Medium "
                                     "when any raised a minor one; otherwise Low.",
                   extra_tables=[("Findings per period by grade (every period of the review)",
                                  trend_table(r))])


def limitations(r: AuditsResult, ctx: InputContext) -> list[str]:
    notes = stale_note(ctx.table.records, "Date", "audit", ctx.scope, ctx.settings.stale_after_days)
    unfinished = [x.id for x in r.audits if x.status in ("Planned", "In progress")]
    if unfinished:
        notes.append(f"Not finished at the cut-off: {', '.join(unfinished)}; their findings "
                     "are not yet counted in full.")
    return notes
