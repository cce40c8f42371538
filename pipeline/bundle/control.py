"""Document control of the bundle: its status stamp, what "complete" means, what is open,
retention, the meeting documents and workbooks it records, and the signature page.

The words here only state what a check backs: the status comes from the issue register's
plan (:mod:`pipeline.register`), completeness from the evidence actually read, the approval
from the workbook (the signature, if any, is checked by ``isms-review verify``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..formatting import long_date, short_date
from ..status import DEFAULT_RETENTION, retention_text, status_words
from ..workbook.model import WorkbookData
from . import pages

COMPLETENESS = ("COMPLETE means every evidence file the workbook lists, and every meeting "
                "document this stage needs, is in this bundle and could be read; it does not "
                "judge what they say.")
SIGNATURE_RECT = (56.0, 150.0, 356.0, 240.0)  # PDF points, origin bottom-left, on A4


@dataclass(frozen=True)
class MeetingDocument:
    """A meeting document as the bundle records it (``sha256`` of the PDF included)."""

    key: str
    file: str
    sha256: str
    version: str = ""
    status: str = ""
    workbook_sha256: str = ""


@dataclass(frozen=True)
class WorkbookRef:
    file: str
    sha256: str
    role: str
    embedded: bool = False


@dataclass
class Control:
    stamp: str
    status: str            # circulated | draft | record
    version: str
    stage: str             # pre-read | final
    retention: str = DEFAULT_RETENTION
    open_items: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # meeting documents that should be here
    documents: dict[str, MeetingDocument] = field(default_factory=dict)
    workbooks: list[WorkbookRef] = field(default_factory=list)
    extra_workbooks: dict[str, Path] = field(default_factory=dict)  # embedded name → file
    approver: str = ""
    words: str = ""        # the status in full, for the cover (``stamp`` is the short form)

    def manifest(self) -> dict[str, Any]:
        return {"status": self.status, "version": self.version, "stage": self.stage,
                "stamp": self.stamp, "retention": self.retention, "open": self.open_items,
                "missing": self.missing, "completeness_means": COMPLETENESS}


def status_texts(data: WorkbookData, status: str, version: str) -> tuple[str, str]:
    """(short form for the page stamps, full form for the cover) of a status."""
    review = data.review
    approved_on = review.get("Approved on")
    meeting = review.meeting_date
    short = status_words(status, version, meeting=short_date(meeting), approved_by="",
                         approved_on=short_date(approved_on))
    full = status_words(status, version, meeting=long_date(meeting),
                        approved_by=str(review.get("Approved by") or ""),
                        approved_on=long_date(approved_on))
    return short, full


def default_control(data: WorkbookData, stage: str = "final") -> Control:
    """For a bundle made outside a build (no issue plan): a draft unless the workbook records
    the approval; it never claims to be circulated or controlled."""
    review = data.review
    version = str(review.get("Version") or "1.0")
    approved = bool(review.get("Approved by")) and bool(review.get("Approved on"))
    status = "record" if approved and stage == "final" else "draft"
    stamp, words = status_texts(data, status, version)
    return Control(stamp, status, version, stage, retention_text(data), open_items(data, None),
                   approver=approver(data), words=words)


def approver(data: WorkbookData) -> str:
    review = data.review
    return str(review.get("Approved by") or review.get("Chair") or "")


def open_items(data: WorkbookData, loop_checked: bool | None) -> list[str]:
    """What a reader must know is not settled: the cross-review loop check, unfinished audits,
    the approver's signature (a bundle is always made unsigned; signing comes after)."""
    items = []
    if not loop_checked:
        items.append("loop check not run: build with --previous <last review's workbook> to check "
                     "nothing vanished since the last review")
    audits = data.tables.get("d3 Audits")
    unfinished = [str(r["Audit ID"]) for r in (audits.records if audits else [])
                  if r["Status"] != "Closed"]
    if unfinished:
        items.append(f"audits unfinished: {', '.join(unfinished)}")
    items.append("not signed when made: a signature, if added, is on the signature page and is "
                 "checked by isms-review verify")
    return items


def cover_rows(control: Control, data: WorkbookData) -> list[tuple[str, str]]:
    """Rows for the cover after the identity rows: status, retention, completeness, open."""
    rows = [("Status", control.words or control.stamp), ("Retention", control.retention),
            ("Document owner", str(data.review.get("Document owner") or ""))]
    if control.missing:
        rows.append(("Missing", "\n".join(control.missing)))
    rows.append(("Completeness", COMPLETENESS))
    rows.append(("Open", "\n".join(f"• {item}" for item in control.open_items) or "nothing"))
    return rows


def signature_page(canvas: pages.Canvas, control: Control, data: WorkbookData) -> pages.Drawn:
    """The page the approver's signature goes on; its box is :data:`SIGNATURE_RECT`."""
    review = data.review
    recorded = (f"The workbook records approval by {review.get('Approved by')} on "
                f"{long_date(review.get('Approved on'))}." if review.get("Approved on")
                else "The workbook records no approval yet.")
    lines = [f"Review {review.get('Review ID')}, {control.words or control.stamp}.", recorded,
             f"Approver: {control.approver or 'not named in the workbook'}.",
             "The box below holds the approver's PAdES signature when one was added: it shows",
             "who signed, when and the level reached. An empty box means this copy is unsigned.",
             "isms-review verify checks the signature and that nothing changed after it."]
    drawn = canvas.separator("Approval and signature", "Signature of the approver of this record.",
                             lines)
    x0, y0, x1, y1 = SIGNATURE_RECT
    pdf = canvas.pdf
    pdf.set_draw_color(160, 160, 160)
    pdf.rect(x0, pdf.h - y1, x1 - x0, y1 - y0)
    pdf.set_font("DejaVu", size=7)
    pdf.text(x0, pdf.h - y1 - 4, "Approver's signature")
    pdf.set_font("DejaVu", size=10)
    return drawn
