"""The bundle stage, called by `isms-review bundle` and at the end of `build`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from ..files import source_date
from ..workbook.model import WorkbookData
from ..workbook.validate import validate_workbook
from .assemble import BundleResult, make_bundle
from .options import BundleOptions
from .sign import sign_pdf

SUFFIXES = {"agenda": "agenda", "pre-read": "pre-read", "minutes": "minutes",
            "minutes-form": "minutes-form"}


def agenda_numbers(data: WorkbookData) -> dict[str, int]:
    """Agenda item of each input: opening is 1, the inputs follow, then 9.3.3 results."""
    refs = [s.input_ref for s in data.contract.input_sheets if s.input_ref]
    numbers = {ref: i + 2 for i, ref in enumerate(refs)}
    numbers["minutes"] = len(refs) + 2
    return numbers


def find_documents(folder: Path | None, review_id: str) -> dict[str, Path]:
    if folder is None:
        return {}
    found = {key: folder / f"{review_id}-{suffix}.pdf" for key, suffix in SUFFIXES.items()}
    docs = {key: path for key, path in found.items() if path.is_file()}
    if "minutes" in docs:
        docs.pop("minutes-form", None)  # the final minutes replace the form
    return docs


def bundle_review(data: WorkbookData, workbook: Path, evidence: Path, out_pdf: Path,
                  documents: dict[str, Path], *, allow_incomplete: bool = False,
                  when: dt.datetime | None = None, title: str = "Management review evidence bundle",
                  sign: Path | None = None, password: str = "",
                  options: BundleOptions | None = None) -> BundleResult:
    result = make_bundle(data, workbook, evidence, out_pdf, documents,
                         allow_incomplete=allow_incomplete, when=when or source_date(),
                         agenda_items=agenda_numbers(data), title=title, options=options)
    if sign is not None:
        import hashlib
        import json

        fingerprint = sign_pdf(out_pdf, sign, password)
        digest = hashlib.sha256(out_pdf.read_bytes()).hexdigest()
        sidecar = json.loads(result.manifest_path.read_text("utf-8"))
        sidecar["bundle"].update(sha256=digest, bytes=out_pdf.stat().st_size,
                                 signer_certificate_sha256=fingerprint)
        from ..files import atomic_write_bytes

        atomic_write_bytes(result.manifest_path, json.dumps(sidecar, indent=2, ensure_ascii=False).encode())
        result.sha256 = digest
    return result


def bundle_command(workbook: Path, evidence: Path, out: Path, documents: Path | None,
                   allow_incomplete: bool, sign: Path | None, password: str,
                   options: BundleOptions | None = None) -> BundleResult:
    from ..build import BuildRefused, safe_name

    validation = validate_workbook(workbook, evidence)
    report = validation.report
    structural = [f for f in report.errors if not f.code.startswith("evidence-")]
    if structural:
        raise BuildRefused(f"{workbook}: the workbook has errors; fix them and bundle again.", report)
    data = validation.data
    review_id = safe_name(str(data.review.get("Review ID") or "review"))
    target = out / review_id / f"{review_id}-bundle.pdf"
    return bundle_review(data, workbook, evidence, target, find_documents(documents, review_id),
                         allow_incomplete=allow_incomplete, sign=sign, password=password,
                         options=options)
