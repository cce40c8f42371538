"""Decision cards: the decisions requested of management grouped by theme, each with its
options and their costs, a recommendation, the consequence of not deciding, the date a decision
is needed and the linked items by ID and name.

A *theme* is a set of items joined by ``Related IDs`` (on any sheet that has the column): the
risk R-007 whose treatment is the action ACT-2025-08 is one card, not two. Options,
recommendation, consequence and decide-by come from the workbook's ``Options``,
``Recommendation``, ``Consequence`` and ``Decide by`` columns; where an ask comes from a rule (an
overdue major nonconformity) its module states the consequence and recommendation. Nothing is
invented: a card without a recommendation in the data says so. Pure computation, no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from ..workbook.costs import read_options
from ..workbook.model import Record, WorkbookData
from ..workbook.risk_rules import RELATED, related_ids
from .analyse import Analysis
from .base import DecisionRequest

DO_NOTHING = "Do nothing"
URGENT = "Major nonconformity overdue"  # the kind of ask that puts a card first
_DECISION_COLUMNS = ("Options", "Recommendation", "Consequence", "Decide by")


@dataclass(frozen=True)
class Option:
    label: str
    cost: float | None
    """In the review's currency; None when the workbook states no cost."""
    recommended: bool = False


@dataclass
class DecisionCard:
    theme: str
    """The card's title: the lead item's ID and name."""
    lead_id: str
    asks: list[DecisionRequest]
    options: list[Option]
    recommendation: str
    consequence: str
    decide_by: dt.date | None
    first_consequence: str = ""
    """The first consequence: the certificate's when the card is urgent, else the workbook's."""
    linked: list[tuple[str, str]] = field(default_factory=list)
    """Every item of the theme as (ID, name), the asks' items first."""
    urgent: bool = False
    """True when the theme holds a major nonconformity past its due date."""

    @property
    def cost(self) -> float | None:
        """The cost of the recommended option (None when none is recommended or stated)."""
        chosen = [o.cost for o in self.options if o.recommended and o.cost is not None]
        return chosen[0] if chosen else None


def parse_options(text: object, currency: str = "") -> list[Option]:
    """'Fund the SIEM: 12000; Do nothing: 0' → two options with their costs (in ``currency``;
    a cost that cannot be read as one is not stated: the validator says why at the cell)."""
    return [Option(item.label, item.cost) for item in read_options(text, currency)]


class _Links:
    """Union-find over item IDs (case-folded)."""

    def __init__(self) -> None:
        self.parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def join(self, a: str, b: str) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)


def _id_of(rec: Record, data: WorkbookData) -> str | None:
    table = data.tables.get(rec.sheet)
    column = table.sheet.id_column if table is not None else None
    return str(rec[column.name]) if column is not None and rec[column.name] is not None else None


def decision_rows(data: WorkbookData) -> dict[str, Record]:
    """The rows carrying decision columns (or Related IDs), by their ID (case-folded)."""
    out: dict[str, Record] = {}
    for table in data.tables.values():
        if RELATED not in table.columns and not set(_DECISION_COLUMNS) & table.columns.keys():
            continue
        for rec in table.records:
            item = _id_of(rec, data)
            if item is not None:
                out[item.casefold()] = rec
    return out


def _recommend(options: list[Option], recommendation: str) -> list[Option]:
    """Mark the option the recommendation names (its label appears in the text)."""
    text = recommendation.casefold()
    named = [o for o in options if o.label and o.label.casefold() in text]
    best = max(named, key=lambda o: len(o.label)) if named else None
    return [Option(o.label, o.cost, o is best) for o in options]


def _cell(rec: Record | None, column: str) -> object:
    return rec[column] if rec is not None and column in rec.declared else None


@dataclass(frozen=True)
class _Theme:
    asks: list[DecisionRequest]
    members: list[str]  # case-folded IDs, in register order


def _themes(data: WorkbookData, asks: list[DecisionRequest]) -> tuple[list[_Theme], dict[str, str]]:
    """The asks grouped by linked items, and every ID's spelling by its folded form."""
    links = _Links()
    spelling: dict[str, str] = {}
    order: list[str] = []
    for table in data.tables.values():
        column = table.sheet.id_column
        if column is None:
            continue
        for rec in table.records:
            own = rec[column.name]
            if own is None:
                continue
            key = str(own).casefold()
            spelling.setdefault(key, str(own))
            order.append(key)
            links.find(key)
            for other in related_ids(_cell(rec, RELATED)):
                spelling.setdefault(other.casefold(), other)
                links.join(key, other.casefold())
    groups: dict[str, list[DecisionRequest]] = {}
    for ask in asks:
        groups.setdefault(links.find(ask.source_id.casefold()), []).append(ask)
    position = {k: i for i, k in enumerate(order)}
    members: dict[str, list[str]] = {}
    for key in list(links.parent):  # one pass: the large registers have 20,000 rows
        members.setdefault(links.find(key), []).append(key)
    themes = [_Theme(found, sorted(members.get(root, [root]),
                                   key=lambda k: (position.get(k, len(position)), k)))
              for root, found in groups.items()]
    return themes, spelling


def _card(theme: _Theme, rows: dict[str, Record], spelling: dict[str, str],
          names: dict[str, str], meeting: dt.date | None, currency: str = "") -> DecisionCard:
    asks = theme.asks
    with_data = [rows[m] for m in theme.members
                 if m in rows and any(_cell(rows[m], c) for c in _DECISION_COLUMNS)]
    lead = next((r for r in with_data if _cell(r, "Options")), with_data[0] if with_data else None)
    lead_key = next((m for m in theme.members if lead is not None and rows.get(m) is lead),
                    asks[0].source_id.casefold())
    lead_id = spelling.get(lead_key, asks[0].source_id)
    options = parse_options(_cell(lead, "Options"), currency)
    if not any(o.label.casefold().startswith(DO_NOTHING.casefold()) for o in options):
        options.append(Option(DO_NOTHING, 0.0))
    recommendation = " ".join(str(_cell(r, "Recommendation")) for r in with_data
                              if _cell(r, "Recommendation"))
    if not recommendation:
        recommendation = next((a.recommendation for a in asks if a.recommendation), "")
    consequences: list[str] = []
    urgent = [a.consequence for a in asks if a.kind == URGENT]  # the certificate first
    for text in [*urgent, *(str(_cell(r, "Consequence") or "") for r in with_data),
                 *(a.consequence for a in asks)]:
        if text and text not in consequences:
            consequences.append(text)
    dates = [d for r in with_data if isinstance(d := _cell(r, "Decide by"), dt.date)]
    ask_keys = list(dict.fromkeys(a.source_id.casefold() for a in asks))
    linked = [*ask_keys, *(m for m in theme.members if m not in ask_keys)]
    return DecisionCard(
        theme=f"{lead_id} {names.get(lead_key, '')}".strip(), lead_id=lead_id, asks=asks,
        options=_recommend(options, recommendation), recommendation=recommendation,
        consequence=" ".join(consequences), decide_by=min(dates) if dates else meeting,
        first_consequence=consequences[0] if consequences else "",
        linked=[(spelling.get(k, k), names.get(k, "")) for k in linked],
        urgent=bool(urgent),
    )


def decision_cards(data: WorkbookData, analysis: Analysis) -> list[DecisionCard]:
    """One card per theme, the urgent ones (a major nonconformity overdue) first, then by the
    cost of the recommended option, highest first, then in the order of the asks."""
    themes, spelling = _themes(data, analysis.decisions_requested)
    rows = decision_rows(data)
    cards = [_card(theme, rows, spelling, analysis.names, data.review.meeting_date, analysis.currency)
             for theme in themes]
    index = {id(c): i for i, c in enumerate(cards)}
    return sorted(cards, key=lambda c: (not c.urgent, -(c.cost or 0), index[id(c)]))
