"""The results of the review in the minutes: each input's conclusion, the overall conclusion,
and every decision requested with its outcome. Pure data from the workbook and the analysis."""

from __future__ import annotations

from collections.abc import Sequence

from ..analysis.base import DecisionRequest
from ..formatting import long_date
from ..workbook.inputs import RESULTS_REF, clause_of
from ..workbook.model import WorkbookData
from ..workbook.outcomes import OVERALL, conclusions, request_outcomes
from .model import Conclusion, RequestLine, clean

NO_DECISION = "No decision recorded"


def conclusion_of(data: WorkbookData, ref: str) -> Conclusion:
    """The Conclusions row of ``ref`` ('overall' for the whole ISMS), blank when there is none."""
    row = conclusions(data).get(ref)
    if row is None:
        return Conclusion("", "", "", "")
    suitable = row["Suitable, adequate and effective"] if ref == OVERALL else None
    return Conclusion(clean(row["Conclusion"]), clean(row["Change needed to the ISMS"]),
                      clean(row["Dissent or uncertainty"]), clean(suitable))


def request_lines(data: WorkbookData, requests: Sequence[DecisionRequest],
                  final: bool) -> list[RequestLine]:
    """Each request once; in the final minutes with its outcome and the decisions answering it."""
    lines = []
    for item in request_outcomes(data, requests):
        outcome = (item.outcome or NO_DECISION) if final else ""
        lines.append(RequestLine(
            item.input_ref, clause_of(item.input_ref, data.contract), clean(item.source_id),
            clean(item.request), outcome, ", ".join(item.decisions) if final else "",
            long_date(item.deferred_to) if final and item.deferred_to else ""))
    return lines


def input_outcomes(data: WorkbookData) -> dict[str, str]:
    """Each input's outcome in a few words, for the bundle's coverage matrix: whether a
    conclusion is recorded, and the decisions taken under it."""
    rows = conclusions(data)
    by_ref: dict[str, list[str]] = {}
    for rec in data.tables["Decisions"].records:
        for ref in rec["Input ref"] or ():
            if rec["Decision ID"]:
                by_ref.setdefault(ref, []).append(str(rec["Decision ID"]))
    out: dict[str, str] = {}
    for ref in {*rows, *by_ref} - {OVERALL}:
        parts = ["Conclusion recorded"] if ref in rows and rows[ref]["Conclusion"] else []
        parts += by_ref.get(ref, [])
        if parts:
            out[ref] = "; ".join(parts)
    overall = rows.get(OVERALL)
    if overall is not None and overall["Conclusion"]:
        count = sum(1 for r in data.tables["Decisions"].records if r["Decision ID"])
        verdict = overall["Suitable, adequate and effective"] or "not stated"
        out[RESULTS_REF] = (f"Overall conclusion recorded (suitable, adequate and effective: "
                            f"{verdict}); {count} decision(s)")
    return out
