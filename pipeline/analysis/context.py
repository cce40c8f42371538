"""b: changes in external and internal issues; items whose consequence for the ISMS has not been
stated are flagged."""

from __future__ import annotations

from dataclasses import dataclass

from ..workbook.contract import Sheet
from ..workbook.model import Table
from .base import InputContext, Summary, SummaryTable, View
from .common import Scope, count_by, records, stale_note


@dataclass
class ContextResult:
    total: int
    by_category: dict[str, int]
    by_origin: dict[str, int]
    no_impact: list[str]
    climate_change_considered: bool
    basis: str


def analyse_context(table: Table | None, sheet: Sheet, scope: Scope) -> ContextResult:
    recs = records(table)
    return ContextResult(
        total=len(recs),
        by_category={k: v for k, v in count_by(recs, "Category", sheet.column("Category").values).items()
                     if v},
        by_origin=count_by(recs, "Internal/External", sheet.column("Internal/External").values),
        no_impact=[str(r["Change ID"]) for r in recs if not r["ISMS impact"]],
        climate_change_considered=any(r["Category"] == "Climate change" for r in recs),
        basis=f"Changes identified up to the cut-off {scope.cutoff.isoformat()}.",
    )


# --------------------------------------------------------------------- the input's shape

KEY = "context"


def analyse(ctx: InputContext) -> ContextResult:
    return analyse_context(ctx.table, ctx.spec.sheet, ctx.scope)


COLUMNS = ("Change ID", "Internal/External", "Category", "ISMS impact", "Date identified")


def summary(c: ContextResult, view: View) -> Summary:
    cats = ", ".join(f"{k} {v}" for k, v in c.by_category.items())
    text = (f"{c.total} changes in context ({c.by_origin.get('External', 0)} external, "
            f"{c.by_origin.get('Internal', 0)} internal): {cats or 'none'}. "
            + ("Climate change was considered. " if c.climate_change_considered else "")
            + (f"ISMS impact still to be assessed for {', '.join(c.no_impact)}." if c.no_impact else ""))
    return Summary(text.strip(), SummaryTable(["Categories", "Count"],
                                              [[k, str(v)] for k, v in c.by_category.items()]),
                   significance="Medium" if c.no_impact or not c.climate_change_considered else "Low",
                   recommendations=[f"{view.named(i)}: ISMS impact not assessed: its owner to "
                                    "assess it before the meeting." for i in c.no_impact],
                   significance_rule="Medium when a change's ISMS impact is not assessed or "
                                     "climate change is not considered; otherwise Low.")


def limitations(c: ContextResult, ctx: InputContext) -> list[str]:
    notes = stale_note(ctx.table.records, "Date identified", "context change", ctx.scope,
                       ctx.settings.stale_after_days)
    if c.total and not c.climate_change_considered:
        notes.append("No climate-change issue is recorded: confirm it was considered "
                     "(ISO/IEC 27001:2022/Amd 1:2024).")
    if c.no_impact:
        notes.append(f"ISMS impact not yet stated for {', '.join(c.no_impact)}.")
    return notes
