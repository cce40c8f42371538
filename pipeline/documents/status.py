"""The document-control words of the Word/PDF documents (status line, retention), before the
issue register's plan fixes the version: ``commands/build.py`` replaces them with the plan's."""

from __future__ import annotations

from ..bundle.control import retention_text
from ..formatting import long_date
from ..register import status_words
from ..workbook.model import WorkbookData


def document_status(data: WorkbookData, final: bool) -> dict[str, str]:
    review = data.review
    approved = bool(review.get("Approved by")) and bool(review.get("Approved on"))
    status = ("record" if approved else "draft") if final else "circulated"
    version = str(review.get("Version") or "1.0")
    line = status_words(status, version, meeting=long_date(review.meeting_date),
                        approved_by=str(review.get("Approved by") or ""),
                        approved_on=long_date(review.get("Approved on")))
    return {"status": status, "status_line": line, "retention": retention_text(data)}
