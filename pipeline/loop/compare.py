"""Cross-review checks (`--previous`): nothing decided may silently disappear between reviews.

Errors: a previous decision or open action missing from this review's 'a Previous actions'.
Warnings: a re-carried action whose carry-forward count did not go up; a risk removed from the
register; a metric whose definition or target changed. The changes themselves (risks new,
removed, changed in level; metric changes) feed the pre-read's "changes since the last review".
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..analysis.risks import level
from ..analysis.settings import DEFAULT_SETTINGS
from ..formatting import value
from ..workbook.findings import Finding, finding
from ..workbook.model import Record, Table, WorkbookData
from ..workbook.outcomes import is_action
from ..workbook.signals import OPEN_ACTION, residual_score
from .still_open import open_requests

METRIC_DEFINITION = ("Metric", "Unit", "Better when", "Target")


@dataclass(frozen=True)
class RiskChange:
    id: str
    before_score: int | None
    after_score: int | None
    before_level: str
    after_level: str


@dataclass(frozen=True)
class MetricChange:
    id: str
    field: str
    before: str
    after: str


@dataclass
class ReviewChanges:
    previous_review_id: str
    carried_decisions: list[str] = field(default_factory=list)
    carried_actions: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    closed_since: list[str] = field(default_factory=list)
    risks_new: list[str] = field(default_factory=list)
    risks_removed: list[str] = field(default_factory=list)
    risks_changed: list[RiskChange] = field(default_factory=list)
    metrics_changed: list[MetricChange] = field(default_factory=list)


def _key(value: object) -> str:
    return str(value).strip().casefold()


def _by_id(table: Table, column: str) -> dict[str, Record]:
    return {_key(r[column]): r for r in table.records if r[column] is not None}


def compare_reviews(previous: WorkbookData, current: WorkbookData) -> tuple[list[Finding], ReviewChanges]:
    prev_id = str(previous.review.get("Review ID") or "the previous review")
    changes = ReviewChanges(previous_review_id=prev_id)
    findings: list[Finding] = []
    actions = current.tables["a Previous actions"]
    sheet = actions.actual_name or actions.sheet.name
    now = _by_id(actions, "Action ID")
    expected: list[tuple[str, str, Record | None]] = []
    for rec in previous.tables["Decisions"].records:
        if rec["Decision ID"] and is_action(rec):
            expected.append((str(rec["Decision ID"]), f"decided at {prev_id}", None))
            changes.carried_decisions.append(str(rec["Decision ID"]))
    for rec in previous.tables["a Previous actions"].records:
        if rec["Action ID"] and rec["Status"] in OPEN_ACTION:
            source = rec["Source review"] or prev_id
            expected.append((str(rec["Action ID"]), f"open at {prev_id} (from {source})", rec))
            changes.carried_actions.append(str(rec["Action ID"]))
    for action_id, origin, before in expected:
        after = now.get(_key(action_id))
        if after is None:
            changes.missing.append(action_id)
            findings.append(finding(
                "carried-missing", f"Action '{action_id}', {origin}, is missing from this "
                "review's 'a Previous actions': add it with its current status (Done or "
                "Cancelled if so), so nothing decided disappears between reviews.",
                sheet, actions.header_row or None, 0 if actions.header_row else None,
                value=action_id, column="Action ID"))
            continue
        if after["Status"] in ("Done", "Cancelled"):
            changes.closed_since.append(action_id)
        elif before is not None and int(after["Carry-forward count"] or 0) <= int(
                before["Carry-forward count"] or 0):
            col = actions.column_index("Carry-forward count")
            findings.append(finding(
                "carry-count-stale", f"Action '{action_id}' is carried again but its "
                f"carry-forward count is still {after['Carry-forward count'] or 0}: raise it to "
                f"{int(before['Carry-forward count'] or 0) + 1}.", sheet, after.row, col,
                value=after["Carry-forward count"] or 0, column="Carry-forward count"))
    _requests(previous, current, changes, findings)
    _risks(previous, current, changes, findings)
    _metrics(previous, current, changes, findings)
    return findings, changes


def _requests(previous: WorkbookData, current: WorkbookData, changes: ReviewChanges,
              findings: list[Finding]) -> None:
    """A request the previous review deferred or left unanswered must come back: as an action
    in 'a Previous actions' or a row of its own input's register."""
    actions = current.tables["a Previous actions"]
    here = set(_by_id(actions, "Action ID"))
    for item in open_requests(previous):
        own = current.input_table(item.input_ref)
        id_col = own.sheet.id_column
        if _key(item.source_id) in here or (id_col and _key(item.source_id) in _by_id(own, id_col.name)):
            continue
        changes.missing.append(item.source_id)
        how = "deferred" if item.answered else "left unanswered"
        findings.append(finding(
            "carried-missing", f"{item.source_id}, {how} at {changes.previous_review_id}, is "
            "missing from this review: add it to 'a Previous actions' (Action ID "
            f"{item.source_id}) or keep its row on its own sheet, so nothing asked disappears.",
            actions.actual_name or actions.sheet.name, actions.header_row or None,
            0 if actions.header_row else None, value=item.source_id, column="Action ID"))


def _risks(previous: WorkbookData, current: WorkbookData, changes: ReviewChanges,
           findings: list[Finding]) -> None:
    bands = DEFAULT_SETTINGS.risk_bands
    before, after = (_by_id(d.tables["f Risks"], "Risk ID") for d in (previous, current))
    table = current.tables["f Risks"]
    for key, rec in after.items():
        if key not in before:
            changes.risks_new.append(str(rec["Risk ID"]))
            continue
        old, new = residual_score(before[key]), residual_score(rec)
        if level(old, bands) != level(new, bands):
            changes.risks_changed.append(RiskChange(str(rec["Risk ID"]), old, new, level(old, bands),
                                                    level(new, bands)))
    for key, rec in before.items():
        if key not in after:
            changes.risks_removed.append(str(rec["Risk ID"]))
            findings.append(finding(
                "risk-removed", f"Risk '{rec['Risk ID']}' was on the register at "
                f"{changes.previous_review_id} and is gone: keep it (e.g. as closed or accepted) "
                "or record its removal in the minutes.", table.actual_name or "f Risks",
                table.header_row or None, 0 if table.header_row else None, value=rec["Risk ID"],
                column="Risk ID"))


def _metrics(previous: WorkbookData, current: WorkbookData, changes: ReviewChanges,
             findings: list[Finding]) -> None:
    def latest(data: WorkbookData) -> dict[str, Record]:
        out: dict[str, Record] = {}
        for rec in data.tables["d2 Metrics"].records:
            if rec["Metric ID"] is not None:
                out[_key(rec["Metric ID"])] = rec  # the last row wins: newest definition
        return out

    before, after = latest(previous), latest(current)
    table = current.tables["d2 Metrics"]
    for key, rec in after.items():
        old = before.get(key)
        if old is None:
            continue
        for column in METRIC_DEFINITION:
            if column in table.columns and old[column] != rec[column] and old[column] is not None:
                unit = str(rec["Unit"] or "") if column == "Target" else ""
                was, now = value(old[column], unit=unit), value(rec[column], unit=unit)
                change = MetricChange(str(rec["Metric ID"]), column, was, now)
                changes.metrics_changed.append(change)
                findings.append(finding(
                    "metric-changed", f"Metric '{rec['Metric ID']}' {column} changed from "
                    f"{was} to {now} since {changes.previous_review_id}: "
                    "trends across the change may mislead; explain it in the pre-read.",
                    table.actual_name or "d2 Metrics", rec.row, table.column_index(column),
                    value=rec[column], column=column))
