"""`isms-review build`: validate → analyse → render DOCX → convert to PDF (one LibreOffice run
for the meeting documents and the Office evidence) → bundle, into a per-review folder.

The CLI and the scheduler both call :func:`build` with a :class:`BuildOptions`. Everything is
made in a staging folder beside the target and moved into ``<out>/<Review ID>/`` only when
every file is complete, so a failure leaves nothing half-written behind.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis import Analysis, analyse
from ..bundle.assemble import BundleResult
from ..bundle.sources import office_inputs, stage_office
from ..documents.context import build_context
from ..documents.pdfnorm import normalise_pdf
from ..documents.render import render_documents, resolve_template
from ..files import atomic_write_bytes, safe_name, source_date
from ..office import ConversionError, ConversionFailure, convert_batch
from ..workbook.findings import Finding, Report
from ..workbook.model import WorkbookData
from ..workbook.validate import Stage
from ..workdays import HolidayCalendar, calendar_from_fields, pre_read_due
from .bundle import bundle_findings, bundle_review, find_documents
from .gate import gate
from .issue import plan_build
from .options import BuildOptions

DOCUMENTS: dict[Stage, list[tuple[str, str, str]]] = {
    # (template, file suffix, title)
    "pre-read": [("agenda", "agenda", "Management review agenda"),
                 ("pre_read", "pre-read", "Management review pre-read"),
                 ("minutes", "minutes-form", "Management review minutes form")],
    "final": [("minutes", "minutes", "Minutes of the management review")],
}


@dataclass
class BuildResult:
    folder: Path
    files: list[Path] = field(default_factory=list)
    report: Report | None = None
    analysis: Analysis | None = None
    bundle: BundleResult | None = None
    messages: list[str] = field(default_factory=list)  # re-issues, stale approvals

    def findings(self) -> list[Finding]:
        """Everything the build has to tell: the validator's warnings, then the bundle's."""
        out = list(self.report.findings) if self.report else []
        if self.bundle is not None:
            out += bundle_findings(self.bundle)
        return out


def holiday_calendar(data: WorkbookData, override: HolidayCalendar | None = None) -> HolidayCalendar:
    """The calendar the due date is counted in: the scheduler's override, else the workbook's."""
    if override is not None:
        return override
    return calendar_from_fields(data.review.holiday_calendar, data.review.extra_holidays,
                                f"{data.path}: Review sheet")


def build(options: BuildOptions) -> BuildResult:
    o = options
    o.progress("validating the workbook")
    checked = gate(o.workbook, o.evidence, o.previous, o.stage)
    data = checked.data
    o.progress("analysing")
    analysis = analyse(data, changes=checked.changes)
    charts = analysis.charts()  # matplotlib: loaded only when charts are drawn
    when = source_date()  # now, or SOURCE_DATE_EPOCH for byte-identical rebuilds
    meeting = data.review.meeting_date
    due = (pre_read_due(meeting, data.review.pre_read_lead, holiday_calendar(data, o.holidays))
           if meeting else None)
    ctx = build_context(data, analysis, final=o.stage == "final", total_minutes=o.minutes,
                        generated_on=when.date(), pre_read_due=due)
    review_id = safe_name(data.review.review_id or "review")
    target = o.out / review_id
    issue = plan_build(data, o.workbook, target, o.stage, when, reissue=o.reissue,
                       change_note=o.change_note, loop_checked=checked.changes is not None)
    ctx.doc = dataclasses.replace(ctx.doc, **issue.doc_fields())
    o.out.mkdir(parents=True, exist_ok=True)
    bundled = None
    staging = Path(tempfile.mkdtemp(prefix=f".{review_id}.", suffix=".partial", dir=o.out))
    try:
        jobs = [(resolve_template(name, o.templates), staging / f"{review_id}-{suffix}.docx", title)
                for name, suffix, title in DOCUMENTS[o.stage]]
        o.progress(f"rendering {len(jobs)} Word document(s)")
        render_documents(jobs, ctx, charts, when)
        office = office_inputs(data, o.evidence, o.bundle) if o.evidence is not None else []
        o.progress("converting to PDF with LibreOffice"
                   + (f" (with {len(office)} Office evidence file(s))" if office else ""))
        converted, pdfs = _convert(staging, [docx for _, docx, _ in jobs], office)
        for (_, docx, title), pdf in zip(jobs, pdfs, strict=True):
            normalise_pdf(pdf, when, f"{title} — {ctx.doc.review_id}", ctx.doc.owner,
                          docx.read_bytes())
        if o.evidence is not None:
            name = f"{review_id}-bundle.pdf" if o.stage == "final" else f"{review_id}-pre-read-bundle.pdf"
            o.progress("assembling the evidence bundle")
            # this build's documents, and the agenda and pre-read as circulated (by hash)
            documents = {**find_documents(staging, review_id), **issue.circulated}
            if "minutes" in documents:
                documents.pop("minutes-form", None)
            bundled = bundle_review(data, o.workbook, o.evidence, staging / name, documents,
                          allow_incomplete=o.allow_incomplete, when=when,
                          options=dataclasses.replace(o.bundle, converted=converted),
                          title="Management review evidence bundle" if o.stage == "final"
                          else "Management review pre-read bundle", control=issue.control)
        shutil.rmtree(staging / ".office", ignore_errors=True)
        for stem, png in charts.items():
            atomic_write_bytes(staging / "charts" / f"{stem}.png", png)
        atomic_write_bytes(staging / f"{review_id}-analysis.json",
                           json.dumps(analysis.to_dict(), indent=2, ensure_ascii=False).encode())
        o.progress(f"publishing to {target}")
        files = _publish(staging, target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    issue.record(files, o.workbook, review_id, when)
    return BuildResult(folder=target, files=files, report=checked.report, analysis=analysis,
                       bundle=bundled, messages=issue.messages)


def _convert(staging: Path, documents: list[Path],
             office: list[Path]) -> tuple[dict[Path, Path | ConversionFailure], list[Path]]:
    """One LibreOffice run for the meeting documents and the Office evidence: (evidence path →
    PDF or why not, the meeting documents' PDFs in order)."""
    work = staging / ".office"
    work.mkdir()
    staged = stage_office(office, work)
    results = convert_batch([*documents, *staged], work, readable_root=staging, pdfa=True)
    pdfs = []
    for doc in documents:
        result = results[doc]
        if isinstance(result, ConversionFailure):
            raise ConversionError(f"{doc.name}: {result}")
        pdf = doc.with_suffix(".pdf")
        os.replace(result, pdf)
        pdfs.append(pdf)
    converted = {original: results[copy] for copy, original in staged.items()}
    return converted, pdfs


def _publish(staging: Path, target: Path) -> list[Path]:
    """Move every finished file into ``target`` with an atomic rename each."""
    files = []
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        destination = target / path.relative_to(staging)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)
        files.append(destination)
    return files
