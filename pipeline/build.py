"""The build stage: validate → analyse → render DOCX → convert to PDF, into a per-review folder.

The CLI and the scheduler both call :func:`build`. Everything is made in a staging folder
beside the target and moved into ``<out>/<Review ID>/`` only when every file is complete, so a
failure leaves nothing half-written behind.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from .analysis import Analysis, analyse
from .bundle.options import BundleOptions
from .documents.context import build_context
from .documents.convert import convert_to_pdf
from .documents.pdfnorm import normalise_pdf
from .documents.render import render_documents, resolve_template
from .errors import UserError
from .files import atomic_write_bytes, source_date
from .workbook.findings import Finding, Report, finding
from .workbook.model import WorkbookData
from .workbook.rules import is_not_a_decision
from .workbook.validate import validate_workbook
from .workdays import business_days_before

Stage = Literal["pre-read", "final"]
Progress = Callable[[str], None]


class BuildRefused(UserError):
    """The workbook is not fit for this stage; ``report`` lists why."""

    def __init__(self, message: str, report: Report) -> None:
        super().__init__(message)
        self.report = report


@dataclass
class BuildResult:
    folder: Path
    files: list[Path] = field(default_factory=list)
    report: Report | None = None
    analysis: Analysis | None = None


DOCUMENTS: dict[Stage, list[tuple[str, str, str]]] = {
    # (template, file suffix, title)
    "pre-read": [("agenda", "agenda", "Management review agenda"),
                 ("pre_read", "pre-read", "Management review pre-read"),
                 ("minutes", "minutes-form", "Management review minutes form")],
    "final": [("minutes", "minutes", "Minutes of the management review")],
}


def final_findings(data: WorkbookData) -> list[Finding]:
    """Why final minutes cannot be issued: incomplete decisions, no top management present."""
    out: list[Finding] = []
    decisions = data.tables["Decisions"]
    for rec in decisions.records:
        if is_not_a_decision(str(rec["Decision"] or "")):
            continue  # recorded as information noted
        for column in ("Owner", "Due date"):
            if rec[column] is None:
                out.append(finding("decision-incomplete", f"Decision '{rec['Decision ID']}' has no "
                                   f"{column.lower()}: final minutes need one owner and a due date "
                                   "for every decision.", decisions.actual_name or "Decisions",
                                   rec.row, decisions.column_index(column), column=column))
    people = data.tables["Attendees"]
    if not any(p["Top management"] and p["Attendance"] == "Present" for p in people.records):
        out.append(finding("top-management-absent", "No member of top management is recorded "
                           "as Present: final minutes of a review without top management cannot "
                           "be issued.", people.actual_name or "Attendees", people.header_row,
                           people.column_index("Attendance")))
    return [dataclasses.replace(f, severity="error") for f in out]  # warnings elsewhere, errors here


def safe_name(text: str) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return name or "review"


def build(workbook: Path, evidence: Path | None, out: Path, stage: Stage = "pre-read",
          templates: Path | None = None, minutes: int = 90,
          progress: Progress = lambda _: None, previous: Path | None = None,
          allow_incomplete: bool = False, options: BundleOptions | None = None) -> BuildResult:
    progress("validating the workbook")
    validation = validate_workbook(workbook, evidence, previous=previous)
    if not validation.report.ok:
        raise BuildRefused(f"{workbook}: the workbook has errors; fix them and build again.",
                           validation.report)
    data = validation.data
    if stage == "final":
        problems = final_findings(data)
        if problems:
            raise BuildRefused(f"{workbook}: final minutes refused; fix the findings above.",
                               Report(str(workbook), problems))
    progress("analysing")
    analysis = analyse(data, changes=validation.changes)
    from .analysis.charts import all_charts  # matplotlib: loaded only when charts are drawn

    charts = all_charts(analysis)
    when = source_date()  # now, or SOURCE_DATE_EPOCH for byte-identical rebuilds
    lead = data.review.get("Pre-read lead (business days)")
    meeting = data.review.get("Meeting date")
    due = business_days_before(meeting, lead if lead is not None else 5) if meeting else None
    ctx = build_context(data, analysis, final=stage == "final", total_minutes=minutes,
                        generated_on=when.date(), pre_read_due=due)
    review_id = safe_name(str(data.review.get("Review ID") or "review"))
    target = out / review_id
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{review_id}.", suffix=".partial", dir=out))
    try:
        jobs = [(resolve_template(name, templates), staging / f"{review_id}-{suffix}.docx", title)
                for name, suffix, title in DOCUMENTS[stage]]
        progress(f"rendering {len(jobs)} Word document(s)")
        render_documents(jobs, ctx, charts, when)
        progress("converting to PDF with LibreOffice")
        pdfs = convert_to_pdf([docx for _, docx, _ in jobs], staging)
        for (_, docx, title), pdf in zip(jobs, pdfs, strict=True):
            normalise_pdf(pdf, when, f"{title} — {ctx.doc.review_id}", ctx.doc.owner,
                          docx.read_bytes())
        if evidence is not None:
            from .bundle.stage import bundle_review, find_documents

            name = f"{review_id}-bundle.pdf" if stage == "final" else f"{review_id}-pre-read-bundle.pdf"
            progress("assembling the evidence bundle")
            documents = {**find_documents(target if target.is_dir() else None, review_id),
                         **find_documents(staging, review_id)}  # this build's files win
            if "minutes" in documents:
                documents.pop("minutes-form", None)
            bundle_review(data, workbook, evidence, staging / name, documents,
                          allow_incomplete=allow_incomplete, when=when,
                          title="Management review evidence bundle" if stage == "final"
                          else "Management review pre-read bundle", options=options)
        for stem, png in charts.items():
            atomic_write_bytes(staging / "charts" / f"{stem}.png", png)
        atomic_write_bytes(staging / f"{review_id}-analysis.json",
                           json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False).encode())
        progress(f"publishing to {target}")
        files = _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return BuildResult(folder=target, files=files, report=validation.report, analysis=analysis)


def _publish(staging: Path, target: Path) -> list[Path]:
    """Move every finished file into ``target`` with an atomic rename each."""
    files = []
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        destination = target / path.relative_to(staging)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)
        files.append(destination)
    return files
