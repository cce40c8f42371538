"""The pre-read's first pages: the overview that answers "is the ISMS effective, what must I
decide, what does it cost, what happens if I don't", and the decision cards. Built from the
analysis and the decision cards, every sentence from data or a stated rule. Pure data."""

from __future__ import annotations

from ..analysis.analyse import Analysis
from ..analysis.cards import DecisionCard
from ..analysis.nonconformities import overdue_line
from ..formatting import money, short_date
from ..workbook.model import WorkbookData
from .model import Card, CardOption, Kpi, Overview, clean

VERDICT_RULE = ("At risk when a major nonconformity is past its due date or a mandatory input is "
                "missing; effective with exceptions when any headline figure misses; otherwise "
                "effective.")
NO_RECOMMENDATION = ("The workbook gives no recommendation: the owner must add one "
                     "(column 'Recommendation') before the meeting.")
NO_CONSEQUENCE = "Not stated in the workbook (column 'Consequence'): ask the owner."
NAME_LENGTH = 90


def _short(text: str) -> str:
    return text if len(text) <= NAME_LENGTH else text[: NAME_LENGTH - 1].rstrip() + "…"


def card(c: DecisionCard, number: int, currency: str) -> Card:
    options = [CardOption(clean(o.label),
                          money(o.cost, currency) if o.cost is not None else "cost not stated",
                          o.recommended, "Recommended" if o.recommended else "")
               for o in c.options]
    linked = [clean(f"{i} {_short(name.rstrip('. '))}".strip()) for i, name in c.linked]
    return Card(
        number=number, title=clean(_short(c.theme)), asks=[clean(a.request) for a in c.asks],
        options=options, recommendation=clean(c.recommendation) or NO_RECOMMENDATION,
        cost=money(c.cost, currency) if c.cost is not None else "",
        consequence=clean(c.consequence) or NO_CONSEQUENCE,
        consequence_short=clean(c.first_consequence) or NO_CONSEQUENCE,
        decide_by=short_date(c.decide_by),
        linked=linked, linked_text="; ".join(linked), urgent=c.urgent)


def cards(found: list[DecisionCard], a: Analysis) -> list[Card]:
    return [card(c, i, a.currency) for i, c in enumerate(found, start=1)]


def appetite_rule(data: WorkbookData, a: Analysis) -> str:
    declared = "Risk appetite rule" in data.review.declared
    stated = clean(data.review.get("Risk appetite rule")) if declared else ""
    appetites = a.risks.appetites if a.result("risks") is not None else []
    if stated:
        return stated
    if len(appetites) == 1:
        return (f"One appetite for every risk: a residual score above {appetites[0]} is above "
                "appetite.")
    if appetites:
        return (f"No rule is stated on the Review sheet, and appetite varies from {appetites[0]} "
                f"to {appetites[-1]} between risks: the review should state how it is set.")
    return "No risks on the register."


def overview(data: WorkbookData, a: Analysis, kpis: list[Kpi],
             found: list[DecisionCard]) -> Overview:
    ncs = a.nonconformities if a.result("nonconformities") is not None else None
    urgent = [clean(overdue_line(n)) for n in (ncs.majors_overdue if ncs else [])]
    missing = [ref for ref, status in a.coverage.items() if status == "missing"]
    shown = [n.id for n in (ncs.majors_overdue if ncs else [])]
    concerns = [f"{k.label}: {k.value}" for k in kpis if k.status == "missed"
                and not any(i in k.value for i in shown)]  # the urgent line says it already
    if urgent or missing:
        verdict = "At risk"
    elif concerns:
        verdict = "Effective with exceptions"
    else:
        verdict = "Effective"
    costs = [c.cost for c in found if c.cost is not None]
    total = money(sum(costs), a.currency) if costs else ""
    asks = len(a.decisions_requested)
    decisions = (f"{asks} requests in {len(found)} decisions"
                 + (f"; the recommended options cost {total} in total" if total else "") + ".")
    return Overview(
        verdict=verdict, verdict_rule=VERDICT_RULE, concerns=concerns,
        working=[f"{k.label}: {k.value}" for k in kpis if k.status == "met"], urgent=urgent,
        decisions=decisions, total_cost=total, isms_scope=clean(data.review.get("ISMS scope")),
        appetite_rule=appetite_rule(data, a))
