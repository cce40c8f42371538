"""a: status of actions from previous reviews.

On-time completion rate = actions Done on or before their due date ÷ actions (not Cancelled)
due within the review period. Overdue = not Done/Cancelled and due before the cut-off.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..formatting import days, long_date, number, percent, short_date
from ..workbook.contract import Sheet
from ..workbook.model import Table
from ..workbook.signals import action_escalate, action_overdue_days
from .base import (
    ChartRef,
    DecisionRequest,
    Figure,
    FigureStatus,
    InputContext,
    Summary,
    SummaryTable,
    View,
)
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

# --------------------------------------------------------------------- the input's shape

KEY = "actions"


def analyse(ctx: InputContext) -> ActionsResult:
    return analyse_actions(ctx.table, ctx.spec.sheet, ctx.scope)


def asks(a: ActionsResult, view: View) -> list[DecisionRequest]:
    detail = {o.id: o for o in a.overdue_detail}
    out = []
    for action_id in a.escalate:
        late = detail.get(action_id)
        why = f", {days(late.days_overdue)} overdue" if late else ""
        out.append(DecisionRequest(
            view.spec.ref, action_id, "Escalated action",
            f"{action_id} has been carried forward repeatedly{why}: confirm owner, date and "
            "resources, or close it."))
    return out


COLUMNS = ("Action ID", "Action", "Due date", "Status", "Completed on", "Carry-forward count")
ON_TIME_DEFINITION = ("Actions from earlier reviews due within the review period (Cancelled ones "
                      "excluded) whose Status is Done with 'Completed on' on or before the due "
                      "date, out of all of them.")


def summary(a: ActionsResult, view: View) -> Summary:
    text = (f"{a.total} actions tracked: {a.open} still open. {a.done_on_time} of the "
            f"{a.due_in_period} actions due in the period ({percent(a.on_time_rate)}) were "
            f"completed by their due date. {len(a.overdue)} are overdue at the cut-off"
            + (f", the oldest by {days(a.overdue_detail[0].days_overdue)}" if a.overdue else "")
            + (f"; {', '.join(a.escalate)} must be escalated after repeated carry-forward."
               if a.escalate else "."))
    rows = [[o.id, o.action, o.owner, short_date(o.due), number(o.days_overdue),
             number(o.carry_forward)] for o in a.overdue_detail]
    recs = [f"{o.id} ({o.action}): {days(o.days_overdue)} overdue"
            + (f", carried forward {o.carry_forward} times: escalate to top management"
               if o.id in a.escalate else f": {o.owner} to set a new date")
            + "." for o in a.overdue_detail]
    significance = "High" if a.escalate else "Medium" if a.overdue else "Low"
    return Summary(text, SummaryTable(["Overdue action", "Action", "Owner", "Due", "Days overdue",
                                       "Carried forward"], rows),
                   [ChartRef("kpi_actions", "Actions by status")],
                   significance=significance, recommendations=recs,
                   significance_rule="High when an action is to be escalated; Medium when any is "
                                     "overdue; otherwise Low.")


def figures(a: ActionsResult, view: View) -> list[Figure]:
    rate = a.on_time_rate
    on_time: FigureStatus = "info" if rate is None else (
        "met" if rate >= 0.9 else "near" if rate >= 0.75 else "missed")
    return [
        Figure("Previous-review actions completed by their due date",
               f"{percent(rate)} ({a.done_on_time} of {a.due_in_period})", on_time, a.basis,
               ON_TIME_DEFINITION),
        Figure("Actions overdue", number(len(a.overdue)), "missed" if a.overdue else "met",
               f"at the cut-off {long_date(view.cutoff)}",
               "Actions Open or In progress whose due date is before the cut-off."),
        Figure("Actions to escalate", number(len(a.escalate)), "missed" if a.escalate else "met",
               "Carried forward twice or more",
               "Actions still open after being carried forward at two or more reviews."),
    ]


def draw(a: ActionsResult, view: View) -> dict[str, bytes]:
    from .charts import COLOURS, bars

    return {"kpi_actions": bars(
        "Previous actions by status", list(a.by_status), list(a.by_status.values()),
        ["#1565C0", "#42A5F5", COLOURS["met"], "#9E9E9E"][: len(a.by_status)],
        f"on time {percent(a.on_time_rate)} · overdue {len(a.overdue)} · escalate {len(a.escalate)}")}
