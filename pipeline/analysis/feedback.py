"""e: feedback from interested parties: by party type and significance, recurring themes
(the same party type and category in more than one item)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from ..workbook.contract import Sheet
from ..workbook.model import Table
from .base import InputContext, Summary, SummaryTable, View
from .common import Scope, count_by, records, stale_note


@dataclass(frozen=True)
class Theme:
    party_type: str
    category: str
    count: int
    ids: list[str]


@dataclass
class FeedbackResult:
    total: int
    by_party_type: dict[str, int]
    by_significance: dict[str, int]
    matrix: dict[str, dict[str, int]]
    recurring_themes: list[Theme]
    high_significance: list[str]
    no_response: list[str]
    basis: str


def analyse_feedback(table: Table | None, sheet: Sheet, scope: Scope) -> FeedbackResult:
    recs = records(table)
    levels = sheet.column("Significance").values
    matrix: dict[str, dict[str, int]] = {}
    groups: dict[tuple[str, str], list[str]] = defaultdict(list)
    categories: dict[tuple[str, str], str] = {}  # theme key → the name as first written
    for r in recs:
        party = str(r["Party type"])
        row = matrix.setdefault(party, {lvl: 0 for lvl in levels})
        if r["Significance"] is not None:
            row[str(r["Significance"])] = row.get(str(r["Significance"]), 0) + 1
        if r["Category"]:
            name = " ".join(str(r["Category"]).split())
            key = (party, name.casefold())
            categories.setdefault(key, name)
            groups[key].append(str(r["Feedback ID"]))
    themes = [Theme(party, categories[(party, key)], len(found), found)
              for (party, key), found in groups.items() if len(found) > 1]
    themes.sort(key=lambda t: (-t.count, t.party_type, t.category))
    return FeedbackResult(
        total=len(recs),
        by_party_type=count_by(recs, "Party type", sheet.column("Party type").values),
        by_significance=count_by(recs, "Significance", levels),
        matrix=dict(sorted(matrix.items())), recurring_themes=themes,
        high_significance=[str(r["Feedback ID"]) for r in recs if r["Significance"] == "High"],
        no_response=[str(r["Feedback ID"]) for r in recs if not r["Response"]],
        basis=f"Feedback received up to the cut-off {scope.cutoff.isoformat()}.",
    )


# --------------------------------------------------------------------- the input's shape

KEY = "feedback"


def analyse(ctx: InputContext) -> FeedbackResult:
    return analyse_feedback(ctx.table, ctx.spec.sheet, ctx.scope)


COLUMNS = ("Feedback ID", "Date", "Party type", "Category", "Significance", "Response")


def summary(f: FeedbackResult, view: View) -> Summary:
    themes = "; ".join(f"{t.party_type} / {t.category} ({t.count}: {', '.join(t.ids)})"
                       for t in f.recurring_themes)
    high = "; ".join(view.named(i) for i in f.high_significance)
    text = (f"{f.total} items of feedback, {f.by_significance.get('High', 0)} of high significance"
            + (f": {high}" if high else "") + ". "
            + (f"Recurring themes: {themes}. " if themes else "No recurring theme. ")
            + (f"No response recorded for {', '.join(f.no_response)}." if f.no_response
               else "Every item has a response."))
    levels = list(f.by_significance)
    rows = [[party, *(str(row.get(lvl, 0)) for lvl in levels)] for party, row in f.matrix.items()]
    recs = [f"{view.named(i)}: no response recorded: name an owner and record the response."
            for i in f.no_response]
    recs += [f"{', '.join(t.ids)} ({t.party_type} / {t.category}) recur: treat the theme once, "
             "not item by item." for t in f.recurring_themes if t.count >= 3]
    return Summary(text, SummaryTable(["Party type", *levels], rows),
                   significance="High" if f.high_significance else "Medium" if f.no_response else "Low",
                   recommendations=recs,
                   significance_rule="High when any feedback is of high significance; Medium when "
                                     "an item has no response; otherwise Low.")


def limitations(f: FeedbackResult, ctx: InputContext) -> list[str]:
    return stale_note(ctx.table.records, "Date", "feedback item", ctx.scope,
                      ctx.settings.stale_after_days)
