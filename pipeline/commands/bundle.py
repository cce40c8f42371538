"""`isms-review bundle`, and the bundle step at the end of `build`: the finished meeting
documents (PDFs) and the evidence into one indexed, stamped PDF."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

from ..bundle.approve import approve
from ..bundle.assemble import BundleResult, make_bundle
from ..bundle.control import Control
from ..bundle.options import BundleOptions
from ..documents.results import input_outcomes
from ..errors import UserError
from ..files import safe_name, source_date
from ..workbook.findings import Finding
from ..workbook.inputs import RESULTS_REF, input_specs
from ..workbook.model import WorkbookData
from .gate import Refused, check_workbook
from .output import text_findings

SUFFIXES = {"agenda": "agenda", "pre-read": "pre-read", "minutes": "minutes",
            "minutes-form": "minutes-form"}


def agenda_numbers(data: WorkbookData) -> dict[str, int]:
    """Agenda item of each input: opening is 1, the inputs follow, then 9.3.3 results."""
    refs = [spec.ref for spec in input_specs(data.contract)]
    numbers = {ref: i + 2 for i, ref in enumerate(refs)}
    numbers[RESULTS_REF] = len(refs) + 2
    return numbers


def find_documents(folder: Path | None, review_id: str) -> dict[str, Path]:
    if folder is None:
        return {}
    found = {key: folder / f"{review_id}-{suffix}.pdf" for key, suffix in SUFFIXES.items()}
    docs = {key: path for key, path in found.items() if path.is_file()}
    if "minutes" in docs:
        docs.pop("minutes-form", None)  # the final minutes replace the form
    return docs


def documents_given(folder: Path, review_id: str) -> dict[str, Path]:
    """The meeting documents in ``folder`` (--documents): the folder itself, else — given the
    review's folder, as build writes it — its final pack, else its pre-read pack. A folder
    holding none of them is a mistake, not a bundle without documents."""
    for place in (folder, folder / "final", folder / "pre-read"):
        docs = find_documents(place, review_id)
        if docs:
            return docs
    names = ", ".join(f"{review_id}-{suffix}.pdf" for suffix in SUFFIXES.values())
    raise UserError(f"--documents {folder}: no meeting document of {review_id} is in this folder "
                    f"(nor in its final/ or pre-read/ folder); expected {names}. Give the folder "
                    f"build wrote them to, e.g. output/{review_id}/final.")


def bundle_review(data: WorkbookData, workbook: Path, evidence: Path, out_pdf: Path,
                  documents: dict[str, Path], *, allow_incomplete: bool = False,
                  when: dt.datetime | None = None, title: str = "Management review evidence bundle",
                  sign: Path | None = None, password: str = "",
                  options: BundleOptions | None = None,
                  control: Control | None = None, final: bool = False) -> BundleResult:
    result = make_bundle(data, workbook, evidence, out_pdf, documents,
                         allow_incomplete=allow_incomplete, when=when or source_date(),
                         agenda_items=agenda_numbers(data), title=title, options=options,
                         control=control, outcomes=input_outcomes(data) if final else None)
    if sign is not None:  # signed after PDF/A conversion, never before
        signed = approve(out_pdf, sign, password)
        result.sha256 = signed.sha256_after
    return result


def bundle_command(workbook: Path, evidence: Path, out: Path, documents: Path | None,
                   allow_incomplete: bool, sign: Path | None, password: str,
                   options: BundleOptions | None = None) -> BundleResult:
    checked = check_workbook(workbook, evidence)
    report = checked.report
    structural = [f for f in report.errors if not f.code.startswith("evidence-")]
    if structural:
        raise Refused(f"{workbook}: the workbook has errors; fix them and bundle again.", report)
    data = checked.data
    review_id = safe_name(data.review.review_id or "review")
    target = out / review_id / f"{review_id}-bundle.pdf"
    found = documents_given(documents, review_id) if documents is not None else {}
    return bundle_review(data, workbook, evidence, target, found,
                         allow_incomplete=allow_incomplete, sign=sign, password=password,
                         options=options, final="minutes" in found)


def bundle_findings(result: BundleResult) -> list[Finding]:
    """The bundle's problems (files put in as placeholders: the bundle is INCOMPLETE) and its
    warnings (files included with something to check) as findings."""
    missing = [dataclasses.replace(f, severity="warning")
               for f in text_findings("evidence-unusable", result.problems)]
    return missing + text_findings("evidence-check", result.warnings)
