"""g: opportunities for continual improvement: by priority, and the resources they ask for."""

from __future__ import annotations

from dataclasses import dataclass

from ..workbook.contract import Sheet
from ..workbook.model import Table
from .common import Scope, count_by, records


@dataclass(frozen=True)
class ResourceAsk:
    id: str
    opportunity: str
    resources: str
    cost: float | None
    priority: str
    proposed_decision: str


@dataclass
class ImprovementsResult:
    total: int
    by_priority: dict[str, int]
    resources_requested: list[ResourceAsk]
    total_cost: float
    proposals: list[ResourceAsk]
    basis: str


def analyse_improvements(table: Table | None, sheet: Sheet, scope: Scope) -> ImprovementsResult:
    recs = records(table)
    order = {p: i for i, p in enumerate(sheet.column("Priority").values)}
    proposals = [ResourceAsk(str(r["Opportunity ID"]), str(r["Opportunity"] or ""),
                             str(r["Resources needed"] or ""), r["Estimated cost"],
                             str(r["Priority"] or ""), str(r["Proposed decision"] or ""))
                 for r in recs]
    proposals.sort(key=lambda p: (order.get(p.priority, len(order)), p.id))
    asks = [p for p in proposals if p.resources or p.cost]
    return ImprovementsResult(
        total=len(recs), by_priority=count_by(recs, "Priority", sheet.column("Priority").values),
        resources_requested=asks, total_cost=float(sum(p.cost or 0 for p in asks)),
        proposals=proposals,
        basis=f"Proposals open at the cut-off {scope.cutoff.isoformat()}.",
    )
