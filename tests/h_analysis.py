"""A ninth-input analysis module used by tests/test_registry.py: the one source file a new input
needs besides its block in the contract."""

from __future__ import annotations

from dataclasses import dataclass

from pipeline.analysis.base import DecisionRequest, InputContext, Summary, SummaryTable, View


@dataclass
class SupplierReviews:
    total: int
    failed: list[str]


KEY = "supplier_reviews"


def analyse(ctx: InputContext) -> SupplierReviews:
    recs = ctx.table.records
    return SupplierReviews(len(recs), [str(r["Review ID"]) for r in recs if r["Outcome"] == "Fail"])


def summary(r: SupplierReviews, view: View) -> Summary:
    return Summary(f"{r.total} supplier reviews; failed: {', '.join(r.failed) or 'none'}.",
                   SummaryTable(["Failed review"], [[x] for x in r.failed]))


def asks(r: SupplierReviews, view: View) -> list[DecisionRequest]:
    return [DecisionRequest(view.spec.ref, x, "Supplier exit", f"{x} failed: decide on the supplier.")
            for x in r.failed]
