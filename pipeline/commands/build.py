"""`isms-review build`: validate → analyse → render DOCX → convert to PDF (one LibreOffice run
for the meeting documents and the Office evidence) → bundle, into a per-review folder.

The CLI and the scheduler both call :func:`build` with a :class:`BuildOptions`. The pack is
made whole in a staging folder and published in one atomic step as
``<out>/<Review ID>/<stage>-v<N>/``, with ``<out>/<Review ID>/<stage>`` pointing at it
(:mod:`pipeline.publish`): readers see the previous pack or the new one, never a mix, and a
failure, a signal or a kill publishes nothing. The scheduler calls :func:`build_into`, which
writes the same pack into a folder it publishes itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ..analysis import Analysis, analyse
from ..bundle.assemble import BundleResult
from ..bundle.sources import office_inputs, stage_office
from ..documents.context import build_context
from ..documents.glyphs import unshowable_text
from ..documents.limits import check_page_budget, conversion_limit
from ..documents.model import ReviewContext
from ..documents.pdfcheck import BackgroundCheck
from ..documents.pdfnorm import prepare_document, withdraw_claim
from ..documents.render import render_documents, resolve_template
from ..files import atomic_write_bytes, safe_name, source_date
from ..office import ConversionError, ConversionFailure, convert_batch
from ..publish import Publication
from ..register import meeting_over
from ..signals_guard import deferred
from ..workbook.findings import Finding, Report
from ..workbook.model import WorkbookData
from ..workbook.validate import Stage
from ..workdays import HolidayCalendar, calendar_from_fields, pre_read_due
from .bundle import bundle_findings, bundle_review, find_documents
from .gate import Checked, gate
from .issue import Issue, PendingIssue, plan_build
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
    pending: PendingIssue | None = None  # build_into: the issue to record once published

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


@dataclass
class Prepared:
    """What the documents are made from: the checked workbook, its analysis and context."""

    checked: Checked
    analysis: Analysis
    charts: dict[str, bytes]
    ctx: ReviewContext
    review_id: str
    when: dt.datetime  # from source_date(): SOURCE_DATE_EPOCH or now

    @property
    def data(self) -> WorkbookData:
        return self.checked.data


def prepare(o: BuildOptions) -> Prepared:
    o.progress("validating the workbook")
    checked = gate(o.workbook, o.evidence, o.previous, o.stage)
    data = checked.data
    checked.report.findings.extend(unshowable_text(data))  # boxes in the documents: said first
    o.progress("analysing")
    analysis = analyse(data, changes=checked.changes)
    charts = analysis.charts()  # matplotlib: loaded only when charts are drawn
    when = source_date()  # now, or SOURCE_DATE_EPOCH for byte-identical rebuilds
    meeting = data.review.meeting_date
    due = (pre_read_due(meeting, data.review.pre_read_lead, holiday_calendar(data, o.holidays))
           if meeting else None)
    ctx = build_context(data, analysis, final=o.stage == "final", total_minutes=o.minutes,
                        generated_on=when.date(), pre_read_due=due)
    return Prepared(checked, analysis, charts, ctx, safe_name(data.review.review_id or "review"), when)


def _plan(p: Prepared, o: BuildOptions, review_folder: Path) -> Issue:
    """The issue this build makes (version, status, what the register says was circulated),
    and the document-control fields the documents print."""
    places = tuple(sorted(review_folder.glob("pre-read-v*")))
    issue = plan_build(p.data, o.workbook, review_folder, o.stage, p.when, reissue=o.reissue,
                       change_note=o.change_note, loop_checked=p.checked.changes is not None,
                       places=places)
    p.ctx.doc = dataclasses.replace(p.ctx.doc, **issue.doc_fields())
    meeting = p.data.review.meeting_date
    if o.stage == "pre-read" and meeting_over(meeting, p.when.date()):
        issue.messages.append(f"note: the meeting of {meeting:%d %B %Y} has already taken place "
                              f"(today is {p.when:%d %B %Y}), so this pre-read comes after it: "
                              "check the Meeting date on the Review sheet, or build the final "
                              "minutes (--stage final)")
    return issue


def build(options: BuildOptions) -> BuildResult:
    """Prepare, write the pack into a staging folder, publish it whole, record the issue."""
    o = options
    p = prepare(o)
    with Publication(o.out, p.review_id, o.stage, file_names=_names(p.review_id, o.stage)) as pub:
        issue = _plan(p, o, o.out / p.review_id)
        bundled = write_pack(p, o, pub.staging, issue)
        o.progress(f"publishing {o.stage} version {pub.version} to {o.out / p.review_id / o.stage}")
        with deferred():  # published and recorded together: a signal waits for both
            folder = pub.commit()
            files = sorted(f for f in folder.rglob("*") if f.is_file() and not f.name.startswith("."))
            issue.record(files, o.workbook, p.review_id, p.when)
    return BuildResult(folder=folder, files=files, report=p.checked.report, analysis=p.analysis,
                       bundle=bundled, messages=issue.messages)


def _names(review_id: str, stage: Stage) -> tuple[str, ...]:
    """The longest file names this stage writes (each must fit in 255 bytes)."""
    bundle = "bundle" if stage == "final" else "pre-read-bundle"
    documents = [suffix for _, suffix, _ in DOCUMENTS[stage]]
    return tuple(f"{review_id}-{name}" for name in (f"{bundle}-manifest.json", "analysis.json",
                                                    *(f"{d}.docx" for d in documents)))


def build_into(options: BuildOptions, folder: Path) -> BuildResult:
    """The same pack written into ``folder/<Review ID>/`` (which must not exist), published by
    the caller (the scheduler's versions; their issue register is the scheduler's folder). The
    issue is not recorded here: ``result.pending.record(files)`` records it once published."""
    p = prepare(options)
    target = folder / p.review_id
    target.mkdir(parents=True)
    issue = _plan(p, options, folder.parent)
    bundled = write_pack(p, options, target, issue)
    files = sorted(f for f in target.rglob("*") if f.is_file())
    pending = PendingIssue(issue.plan, issue.register.path.parent, options.workbook,
                           p.review_id, p.when)
    return BuildResult(folder=target, files=files, report=p.checked.report, analysis=p.analysis,
                       bundle=bundled, messages=issue.messages, pending=pending)


def write_pack(p: Prepared, o: BuildOptions, staging: Path, issue: Issue) -> BundleResult | None:
    """Every file of the pack, into ``staging``; the bundle's result when one was made."""
    review_id, data, when, ctx = p.review_id, p.data, p.when, p.ctx
    jobs = [(resolve_template(name, o.templates), staging / f"{review_id}-{suffix}.docx", title)
            for name, suffix, title in DOCUMENTS[o.stage]]
    o.progress(f"rendering {len(jobs)} Word document(s)")
    render_documents(jobs, ctx, p.charts, when)
    pages = sum(check_page_budget(docx, template.name).pages for template, docx, _ in jobs)
    office = office_inputs(data, o.evidence, o.bundle) if o.evidence is not None else []
    o.progress("converting to PDF with LibreOffice"
               + (f" (with {len(office)} Office evidence file(s))" if office else ""))
    converted, pdfs = _convert(staging, [docx for _, docx, _ in jobs], office,
                               conversion_limit(pages) + 30 * len(office))
    for (_, _, title), pdf in zip(jobs, pdfs, strict=True):
        prepare_document(pdf, when, f"{title} — {ctx.doc.review_id}", ctx.doc.owner)
    check = BackgroundCheck(pdfs)  # PDF/A validation beside the bundle, on the other core
    try:
        for key, source in issue.circulated.items():  # the agenda and pre-read as circulated
            if not (staging / source.name).exists():
                shutil.copyfile(source, staging / source.name)
                issue.circulated[key] = staging / source.name
        bundled = _bundle(p, o, staging, issue, converted)
        failed = {pdf: c for pdf, c in check.results().items() if not c.passed}
    finally:
        check.close()
    for pdf, conformance in failed.items():  # never claim PDF/A the check does not back
        withdraw_claim(pdf)
        issue.messages.append(f"{pdf.name} is issued without a PDF/A claim: it is "
                              f"{conformance.summary()}. Check the Word template's fonts and "
                              "images (see README, PDF/A).")
    if failed and bundled is not None:  # the bundle records the documents as they now are
        bundled = _bundle(p, o, staging, issue, converted)
    shutil.rmtree(staging / ".office", ignore_errors=True)
    for stem, png in p.charts.items():
        atomic_write_bytes(staging / "charts" / f"{stem}.png", png)
    atomic_write_bytes(staging / f"{review_id}-analysis.json",
                       json.dumps(p.analysis.to_dict(), indent=2, ensure_ascii=False).encode())
    return bundled


def _bundle(p: Prepared, o: BuildOptions, staging: Path, issue: Issue,
            converted: dict[Path, Path | ConversionFailure]) -> BundleResult | None:
    """The evidence bundle of this stage, with the meeting documents in ``staging``."""
    if o.evidence is None:
        return None
    review_id = p.review_id
    name = f"{review_id}-bundle.pdf" if o.stage == "final" else f"{review_id}-pre-read-bundle.pdf"
    o.progress("assembling the evidence bundle")
    documents = {**find_documents(staging, review_id), **issue.circulated}
    if "minutes" in documents:
        documents.pop("minutes-form", None)
    return bundle_review(p.data, o.workbook, o.evidence, staging / name, documents,
                         allow_incomplete=o.allow_incomplete, when=p.when,
                         options=dataclasses.replace(o.bundle, converted=converted),
                         title="Management review evidence bundle" if o.stage == "final"
                         else "Management review pre-read bundle", control=issue.control,
                         final=o.stage == "final")


def _convert(staging: Path, documents: list[Path], office: list[Path],
             timeout: float) -> tuple[dict[Path, Path | ConversionFailure], list[Path]]:
    """One LibreOffice run for the meeting documents and the Office evidence: (evidence path →
    PDF or why not, the meeting documents' PDFs in order)."""
    work = staging / ".office"
    work.mkdir()
    staged = stage_office(office, work)
    results = convert_batch([*documents, *staged], work, readable_root=staging, pdfa=True,
                            timeout=timeout)
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
