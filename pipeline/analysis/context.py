"""b and c: changes in context and in interested parties' needs; items whose consequence for
the ISMS has not been stated are flagged."""

from __future__ import annotations

from dataclasses import dataclass

from ..workbook.contract import Sheet
from ..workbook.model import Table
from .common import Scope, count_by, records


@dataclass
class ContextResult:
    total: int
    by_category: dict[str, int]
    by_origin: dict[str, int]
    no_impact: list[str]
    climate_change_considered: bool
    basis: str


@dataclass
class PartiesResult:
    total: int
    by_party: dict[str, int]
    no_response: list[str]
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


def analyse_parties(table: Table | None, scope: Scope) -> PartiesResult:
    recs = records(table)
    return PartiesResult(
        total=len(recs), by_party=count_by(recs, "Interested party"),
        no_response=[str(r["Item ID"]) for r in recs if not r["ISMS response"]],
        basis=f"Changes in needs and expectations up to the cut-off {scope.cutoff.isoformat()}.",
    )
