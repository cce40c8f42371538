"""The analysis of an input that has no module of its own: how many rows, by the first list
column, and the first columns of each row. Enough for the input to have its agenda item,
pre-read section, coverage-matrix row and evidence group from the contract alone."""

from __future__ import annotations

from dataclasses import dataclass

from ..formatting import value
from .base import InputContext, Summary, SummaryTable, View
from .common import count_by

KEY = "input"  # replaced by input_<ref> for each input it serves
SHOWN_COLUMNS = 5


@dataclass
class GenericResult:
    total: int
    by: str  # the list column counted, '' when the sheet has none
    counts: dict[str, int]
    headers: list[str]
    rows: list[list[str]]


def analyse(ctx: InputContext) -> GenericResult:
    sheet = ctx.spec.sheet
    recs = ctx.table.records
    enum = next((c for c in sheet.columns if c.type == "enum"), None)
    shown = list(sheet.columns)[:SHOWN_COLUMNS]
    return GenericResult(
        total=len(recs), by=enum.name if enum else "",
        counts=count_by(recs, enum.name, enum.values) if enum else {},
        headers=[c.name for c in shown],
        rows=[[value(r[c.name], c.type) for c in shown] for r in recs])


def summary(r: GenericResult, view: View) -> Summary:
    counts = ", ".join(f"{v} {k.lower()}" for k, v in r.counts.items() if v)
    by = f" ({r.by}: {counts})" if counts else ""
    return Summary(f"{r.total} items recorded{by}.", SummaryTable(r.headers, r.rows))
