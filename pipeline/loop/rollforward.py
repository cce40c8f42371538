"""`isms-review next`: the next review's workbook, made from the last one.

The results of review N are the first input of review N+1: every decision becomes an action,
every action still open is carried (its carry-forward count +1), every request deferred or left
unanswered comes back under input a (and stays in its own register), open nonconformities, the
risk register and the metric history (last 8 periods) come along; the other inputs start empty
with their guidance; attendance is reset.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from ..daterange import FIRST, LAST, DateOutOfRange, checked, shifted
from ..workbook.inputs import input_specs
from ..workbook.model import Record, WorkbookData
from ..workbook.outcomes import DEFERRED, RequestOutcome, is_action, key
from ..workbook.periods import Period
from ..workbook.signals import OPEN_ACTION
from .still_open import open_requests

METRIC_HISTORY = 8  # periods of each metric kept in the next workbook
CARRIED = ("a Previous actions", "d1 Nonconformities", "d2 Metrics", "f Risks", "Attendees")


@dataclass(frozen=True)
class NextReview:
    review_id: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    cutoff: dt.date | None = None
    meeting: dt.date | None = None


def next_review_id(previous: str) -> str:
    """MR-2026-H2 → MR-2027-H1, MR-2026-Q4 → MR-2027-Q1, MR-2026 → MR-2027, R7 → R8."""
    if m := re.search(r"(\d{4})([-_ ]?)([HQ])([1-4])$", previous, re.I):
        year, sep, kind, n = int(m.group(1)), m.group(2), m.group(3), int(m.group(4))
        last = 2 if kind.upper() == "H" else 4
        year, n = (year + 1, 1) if n >= last else (year, n + 1)
        return f"{previous[:m.start()]}{year}{sep}{kind}{n}"
    if m := re.search(r"(\d+)$", previous):
        digits = m.group(1)
        return f"{previous[:m.start()]}{int(digits) + 1:0{len(digits)}d}"
    return f"{previous}-next"


def _add_months(day: dt.date, months: int, field: str) -> dt.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    if not dt.MAXYEAR >= year >= FIRST.year:  # the day before it is checked by the caller
        raise DateOutOfRange(f"{field} would fall in the year {year}, outside the dates "
                             f"isms-review supports ({FIRST:%Y-%m-%d} to {LAST:%Y-%m-%d}); {FIX}")
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _months_between(start: dt.date, end: dt.date) -> int:
    after = shifted(end, DAY, "The day after the previous Period end", FIX)
    return max(1, (after.year - start.year) * 12 + after.month - start.month)


DAY = dt.timedelta(days=1)
FIX = ("give the next review's dates with --period-start, --period-end, --cutoff and --meeting "
       "(or correct the previous workbook's Review sheet).")


def rolled_review(previous: dict[str, Any], options: NextReview) -> dict[str, Any]:
    """The next review's Review fields. Every date computed here (a period later, as far
    before the meeting as last time) is checked against 1900-01-01 to 9998-12-31, so a date at
    the edge names the field instead of overflowing."""
    given = {"Period start": options.period_start, "Period end": options.period_end,
             "Data cut-off": options.cutoff, "Meeting date": options.meeting}
    for name, value in given.items():  # what the user typed is named first
        if value is not None:
            checked(value, name, "choose a date from 1900 to 9998.")
    review = {k: v for k, v in previous.items() if v is not None}
    for cleared in ("Approved by", "Approved on", "Next review date"):
        review.pop(cleared, None)
    old_start, old_end = previous.get("Period start"), previous.get("Period end")
    start = options.period_start or (shifted(old_end, DAY, "Period start (the day after the "
                                             "previous Period end)", FIX) if old_end else None)
    end = options.period_end
    if end is None and start and old_start and old_end:
        end = shifted(_add_months(start, _months_between(old_start, old_end), "Period end"), -DAY,
                      "Period end", FIX)
    meeting = options.meeting or previous.get("Next review date")
    old_meeting, old_cutoff = previous.get("Meeting date"), previous.get("Data cut-off")
    if meeting is None and end and old_meeting and old_end:
        meeting = shifted(end, old_meeting - old_end, "Meeting date (as long after the Period end "
                          "as last time)", FIX)
    cutoff = options.cutoff
    if cutoff is None and meeting and old_meeting and old_cutoff:
        cutoff = shifted(meeting, old_cutoff - old_meeting, "Data cut-off (as long before the "
                         "Meeting date as last time)", FIX)
    dates = {"Period start": start, "Period end": end, "Data cut-off": cutoff, "Meeting date": meeting}
    for name, value in dates.items():
        if isinstance(value, dt.date):
            checked(value, f"The next review's {name}", FIX)
    review.update({
        "Review ID": options.review_id or next_review_id(str(previous.get("Review ID") or "MR")),
        **dates, "Version": "1.0",
    })
    return review


def _values(rec: Record) -> dict[str, Any]:
    return dict(rec.values)


def carried_actions(data: WorkbookData,
                    still_open: list[RequestOutcome] | None = None) -> list[dict[str, Any]]:
    """Decisions of the previous review as new actions (done when due by the meeting itself,
    e.g. approving the previous minutes), its actions still open, then its requests still to be
    decided (deferred or unanswered), each once."""
    review_id = str(data.review.get("Review ID") or "")
    meeting = data.review.get("Meeting date")
    rows: list[dict[str, Any]] = []
    for rec in data.tables["Decisions"].records:
        if not is_action(rec):
            continue
        evidence, due = rec["Closure evidence"], rec["Due date"]
        done = isinstance(due, dt.date) and isinstance(meeting, dt.date) and due <= meeting
        rows.append({"Action ID": rec["Decision ID"], "Action": rec["Decision"],
                     "Source review": review_id, "Owner": rec["Owner"], "Due date": due,
                     "Status": "Done" if done else "Open", "Completed on": due if done else None,
                     "Carry-forward count": 0, "Closure evidence": evidence if done else None,
                     "Comment": f"Closure evidence expected: {evidence}" if evidence and not done
                     else None})
    for rec in data.tables["a Previous actions"].records:
        if rec["Status"] in OPEN_ACTION:
            row = _values(rec)
            row["Carry-forward count"] = int(rec["Carry-forward count"] or 0) + 1
            rows.append(row)
    by_id = {key(r["Action ID"]): r for r in rows if r.get("Action ID")}
    for item in open_requests(data) if still_open is None else still_open:
        why = (f"Deferred at {review_id} ({', '.join(item.decisions)})" if item.outcome == DEFERRED
               else f"Requested at {review_id} and not answered")
        existing = by_id.get(key(item.source_id))
        if existing is not None:  # an open action: carried already, say why it is back
            existing["Comment"] = "; ".join(p for p in (existing.get("Comment"), why) if p)
            continue
        due = item.deferred_to or data.review.get("Next review date") or meeting
        row = {"Action ID": item.source_id, "Action": f"Decide: {item.request}",
               "Source review": review_id, "Owner": data.review.get("Chair"), "Due date": due,
               "Status": "Open", "Carry-forward count": 1, "Comment": f"{why}."}
        rows.append(row)
        by_id[key(item.source_id)] = row
    return rows


def carried_requests(data: WorkbookData, still_open: list[RequestOutcome]) -> dict[str, list[dict[str, Any]]]:
    """Rows of the other input sheets that are still to be decided (e.g. a deferred
    improvement proposal stays in its register)."""
    ids = {key(item.source_id) for item in still_open}
    out: dict[str, list[dict[str, Any]]] = {}
    for spec in input_specs(data.contract):
        if spec.sheet_name in CARRIED or spec.sheet.id_column is None:
            continue
        id_col = spec.sheet.id_column.name
        kept = [_values(r) for r in data.tables[spec.sheet_name].records
                if r[id_col] is not None and key(r[id_col]) in ids]
        if kept:
            out[spec.sheet_name] = kept
    return out


def carried_metrics(data: WorkbookData) -> list[dict[str, Any]]:
    by_metric: dict[str, list[Record]] = {}
    for rec in data.tables["d2 Metrics"].records:
        if isinstance(rec["Period"], Period):
            by_metric.setdefault(str(rec["Metric ID"]), []).append(rec)
    rows = []
    for records in by_metric.values():
        latest = sorted(records, key=lambda r: r["Period"])[-METRIC_HISTORY:]
        rows += [_values(r) for r in latest]
    return rows


def roll_forward(data: WorkbookData, options: NextReview = NextReview()) -> tuple[
        dict[str, Any], dict[str, list[dict[str, Any]]]]:
    """(review fields, register rows) of the next review's workbook."""
    still_open = open_requests(data)
    rows: dict[str, list[dict[str, Any]]] = {
        **carried_requests(data, still_open),
        "a Previous actions": carried_actions(data, still_open),
        "d1 Nonconformities": [_values(r) for r in data.tables["d1 Nonconformities"].records
                               if r["Status"] != "Closed"],
        "d2 Metrics": carried_metrics(data),
        "f Risks": [_values(r) for r in data.tables["f Risks"].records],
        "Attendees": [{**_values(r), "Attendance": "Invited"}
                      for r in data.tables["Attendees"].records],
    }
    return rolled_review(data.review.fields, options), rows
