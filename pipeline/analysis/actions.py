"""a: status of actions from previous reviews.

On-time completion rate = actions Done on or before their due date ÷ actions (not Cancelled)
due within the review period. Overdue = not Done/Cancelled and due before the cut-off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..workbook.contract import Sheet
from ..workbook.model import Table
from ..workbook.signals import action_escalate, action_overdue_days
from .common import Scope, count_by, records, share


@dataclass(frozen=True)
class OverdueAction:
    id: str
    action: str
    owner: str
    due: dt.date
    status: str
    days_overdue: int
    carry_forward: int


@dataclass
class ActionsResult:
    total: int
    by_status: dict[str, int]
    open: int
    due_in_period: int
    done_on_time: int
    on_time_rate: float | None
    overdue: list[str]
    overdue_detail: list[OverdueAction]
    escalate: list[str]
    basis: str


def analyse_actions(table: Table | None, sheet: Sheet, scope: Scope) -> ActionsResult:
    recs = records(table)
    due_in_period = [r for r in recs if scope.in_period(r["Due date"]) and r["Status"] != "Cancelled"]
    on_time = [r for r in due_in_period if r["Status"] == "Done"
               and isinstance(r["Completed on"], dt.date) and r["Completed on"] <= r["Due date"]]
    overdue = []
    for r in recs:
        days = action_overdue_days(r, scope.cutoff)
        if days is not None:
            overdue.append(OverdueAction(str(r["Action ID"]), str(r["Action"] or ""),
                                         str(r["Owner"] or ""), r["Due date"], str(r["Status"]),
                                         days, int(r["Carry-forward count"] or 0)))
    overdue.sort(key=lambda o: (-o.days_overdue, o.id))
    by_status = count_by(recs, "Status", sheet.column("Status").values)
    return ActionsResult(
        total=len(recs), by_status=by_status,
        open=by_status.get("Open", 0) + by_status.get("In progress", 0),
        due_in_period=len(due_in_period), done_on_time=len(on_time),
        on_time_rate=share(len(on_time), len(due_in_period)),
        overdue=[o.id for o in overdue], overdue_detail=overdue,
        escalate=[str(r["Action ID"]) for r in recs if action_escalate(r)],
        basis=f"Actions due {scope.period_start.isoformat()} to {scope.period_end.isoformat()}; "
              f"status at the cut-off {scope.cutoff.isoformat()}.",
    )
