"""The document-control words every output carries: what a copy is (its status line) and
how long the records are kept. One place, so the documents' footers, the bundle's stamp and
cover, and the issue register say the same thing."""

from __future__ import annotations

import calendar
import datetime as dt
import re

from .formatting import long_date
from .workbook.model import WorkbookData

DEFAULT_RETENTION = "3 years"


def status_words(status: str, version: str, *, meeting: str, approved_by: str,
                 approved_on: str) -> str:
    """The status words on every page: what this copy is and what it may be used for.
    (Give ``approved_by`` as "" for the short form of the bundle's page stamp.)"""
    if status == "circulated":
        return f"PRE-READ v{version} — for the meeting of {meeting}"
    if status == "record":
        return (f"RECORD v{version} — approved by {approved_by} on {approved_on}" if approved_by
                else f"RECORD v{version} — approved {approved_on}")
    return f"DRAFT v{version} — not yet approved"


def retention_text(data: WorkbookData) -> str:
    """'3 years from the meeting (until 11 December 2029)': the period from the workbook
    (default 3 years), counted from the meeting date when it can be."""
    period = str(data.review.get("Retention period") or DEFAULT_RETENTION).strip()
    until = retention_until(period, data.review.meeting_date)
    return f"{period} from the meeting (until {long_date(until)})" if until else period


def retention_until(period: str, start: dt.date | None) -> dt.date | None:
    found = re.fullmatch(r"\s*(\d{1,3})\s*(year|years|yr|yrs|month|months)\s*", period.lower())
    if not found or start is None:
        return None
    months = int(found.group(1)) * (12 if found.group(2).startswith("y") else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    return dt.date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


def document_status(data: WorkbookData, final: bool) -> dict[str, str]:
    """The Word/PDF documents' control fields before the issue register's plan fixes the
    version (``commands/build.py`` replaces them with the plan's)."""
    review = data.review
    approved = bool(review.get("Approved by")) and bool(review.get("Approved on"))
    status = ("record" if approved else "draft") if final else "circulated"
    line = status_words(status, str(review.get("Version") or "1.0"),
                        meeting=long_date(review.meeting_date),
                        approved_by=str(review.get("Approved by") or ""),
                        approved_on=long_date(review.get("Approved on")))
    return {"status": status, "status_line": line, "retention": retention_text(data)}
