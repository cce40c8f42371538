"""The results of the review as data: which decision answers which request, each input's
conclusion, who presented what. Read by the final-stage rules, the minutes, ``next`` and the
``--previous`` checks, so they all agree on what is decided and what is still open.

A *request* is anything with an ``input_ref`` and a stable ``source_id`` (the analysis'
``DecisionRequest``); this module only needs those two names, so it stays below the analysis.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from .inputs import input_specs
from .model import Record, WorkbookData
from .rules import is_not_a_decision

OVERALL = "overall"
RESULTS_SHEET = "Conclusions"
# Outcomes that settle a request. "Deferred" leaves it open: ``next`` carries it.
SETTLED = ("Approved", "Rejected", "Risk accepted", "Superseded", "Noted")
DEFERRED = "Deferred"
# Outcomes that become actions at the next review (blank: a decision that was simply taken).
ACTIONABLE = ("Approved", "Risk accepted")
_SPLIT = re.compile(r"[,;\n]+")


class Requested(Protocol):
    @property
    def input_ref(self) -> str: ...

    @property
    def source_id(self) -> str: ...

    @property
    def request(self) -> str: ...


def key(value: object) -> str:
    return str(value).strip().casefold()


def responds_to(rec: Record) -> list[str]:
    """The request IDs a Decisions row answers, as typed (blanks dropped)."""
    return [part.strip() for part in _SPLIT.split(str(rec["Responds to"] or "")) if part.strip()]


def outcome_of(rec: Record) -> str:
    """The row's Outcome; blank means the decision was simply taken ("Decided")."""
    return str(rec["Outcome"] or "")


def is_action(rec: Record) -> bool:
    """True when the decision is something to do: it becomes an action of the next review."""
    outcome = outcome_of(rec)
    return (not outcome or outcome in ACTIONABLE) and not is_not_a_decision(str(rec["Decision"] or ""))


@dataclass
class RequestOutcome:
    input_ref: str
    source_id: str
    request: str
    outcome: str = ""  # "" when no decision responds to it
    decisions: list[str] = field(default_factory=list)
    deferred_to: dt.date | None = None

    @property
    def answered(self) -> bool:
        return bool(self.decisions)

    @property
    def open(self) -> bool:
        """Deferred, or never answered: still to be decided."""
        return not self.answered or self.outcome == DEFERRED


def request_outcomes(data: WorkbookData, requests: Iterable[Requested]) -> list[RequestOutcome]:
    """Each request once (first occurrence wins), with the decisions that answer it."""
    answers: dict[str, list[Record]] = {}
    for rec in data.tables["Decisions"].records:
        for ref in responds_to(rec):
            answers.setdefault(key(ref), []).append(rec)
    out: list[RequestOutcome] = []
    seen: set[str] = set()
    for req in requests:
        k = key(req.source_id)
        if k in seen:
            continue
        seen.add(k)
        recs = answers.get(k, [])
        outcome = RequestOutcome(req.input_ref, req.source_id, req.request)
        if recs:
            last = recs[-1]  # the last row is the latest word on it
            outcome.outcome = outcome_of(last) or "Decided"
            outcome.decisions = [str(r["Decision ID"]) for r in recs if r["Decision ID"]]
            deferred = last["Deferred to"]
            outcome.deferred_to = deferred if isinstance(deferred, dt.date) else None
        out.append(outcome)
    return out


def known_ids(data: WorkbookData) -> dict[str, str] | None:
    """Every ID a decision may respond to (casefolded → as written): each input's own IDs; None
    when an input register with IDs could not be read (see ``WorkbookData.register_ids``)."""
    sheets = [data.contract.sheet(spec.sheet_name) for spec in input_specs(data.contract)]
    found = data.register_ids(sheets)
    if found is None:
        return None
    ids: dict[str, str] = {}
    for value in found:
        ids.setdefault(key(value), value)
    return ids


def conclusions(data: WorkbookData) -> dict[str, Record]:
    """The Conclusions row of each input ref (and 'overall'); the last row for a ref wins."""
    table = data.tables.get(RESULTS_SHEET)
    if table is None:
        return {}
    return {str(r["Input ref"]): r for r in table.records if r["Input ref"]}


def present(data: WorkbookData) -> set[str]:
    return {key(p["Name"]) for p in data.tables["Attendees"].records
            if p["Attendance"] == "Present" and p["Name"]}


def register_owner(records: Sequence[Record], fallback: str) -> str:
    """The person owning most rows of a register, else ``fallback``."""
    counts: dict[str, int] = {}
    for r in records:
        owner = r["Owner"] if "Owner" in r.declared else None
        if owner:
            counts[str(owner)] = counts.get(str(owner), 0) + 1
    return max(sorted(counts), key=lambda k: counts[k]) if counts else fallback


def presenter(data: WorkbookData, ref: str, *, final: bool) -> str:
    """Who presents input ``ref``: in the final minutes the recorded presenter when given,
    else the owner of most rows of its register, else the document owner."""
    if final:
        row = conclusions(data).get(ref)
        if row is not None and row["Presented by"]:
            return str(row["Presented by"])
    fallback = str(data.review.get("Document owner") or "")
    return register_owner(data.input_table(ref).records, fallback)
