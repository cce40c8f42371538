"""g: opportunities for continual improvement: by priority, and the resources they ask for."""

from __future__ import annotations

from dataclasses import dataclass

from ..formatting import money
from ..workbook.contract import Sheet
from ..workbook.model import Table
from .base import DecisionRequest, InputContext, Summary, SummaryTable, View
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


# --------------------------------------------------------------------- the input's shape

KEY = "improvements"


def analyse(ctx: InputContext) -> ImprovementsResult:
    return analyse_improvements(ctx.table, ctx.spec.sheet, ctx.scope)


def asks(g: ImprovementsResult, view: View) -> list[DecisionRequest]:
    out = []
    for p in g.proposals:
        resources = p.resources or ""
        if p.cost:
            resources = f"{resources}; estimated cost {money(p.cost, view.currency)}".lstrip("; ")
        kind = "Resource request" if resources else "Improvement"
        text = f"{p.id} ({p.priority} priority): {p.proposed_decision}"
        out.append(DecisionRequest(view.spec.ref, p.id, kind,
                                   f"{text} Resources: {resources}." if resources else text))
    return out


def summary(g: ImprovementsResult, view: View) -> Summary:
    text = (f"{g.total} proposals ({', '.join(f'{v} {k.lower()}' for k, v in g.by_priority.items() if v)} "
            f"priority); {len(g.resources_requested)} ask for resources"
            + (f", estimated {money(g.total_cost, view.currency)} in total." if g.total_cost else "."))
    rows = [[p.id, p.opportunity, p.priority, p.resources,
             money(p.cost, view.currency) if p.cost else "", p.proposed_decision]
            for p in g.proposals]
    high = [p for p in g.proposals if p.priority == "High"]
    return Summary(text, SummaryTable(["Proposal", "Opportunity", "Priority", "Resources", "Cost",
                                       "Decision asked"], rows),
                   significance="High" if high else "Medium" if g.proposals else "Low",
                   recommendations=[f"{p.id} ({p.opportunity}): decide — see its decision card."
                                    for p in high],
                   significance_rule="High when a proposal has High priority; Medium when any is "
                                     "proposed; otherwise Low.")


COLUMNS = ("Opportunity ID", "Opportunity", "Estimated cost", "Priority", "Proposed decision",
           "Related IDs")
