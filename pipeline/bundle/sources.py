"""Evidence files as bundle parts: each checked, hashed from its original bytes, opened leniently
and turned into PDF pages when it is not a PDF. Every problem is collected (never raised one at a
time) so the user sees them all at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from ..office import ConversionError, convert_batch
from ..workbook.evidence import EvidencePathError, resolve_evidence
from ..workbook.inputs import RESULTS_REF
from ..workbook.model import WorkbookData

IMAGES = {".png", ".jpg", ".jpeg"}
OFFICE = {".docx", ".doc", ".xlsx", ".xls", ".odt", ".ods", ".odp", ".pptx", ".rtf"}


@dataclass
class Source:
    """One evidence file (however many rows cite it)."""

    ids: list[str]
    title: str
    refs: list[str]
    owner: str
    date: dt.date | None
    rel: str
    path: Path | None = None
    data: bytes = b""
    kind: str = "pdf"  # pdf | image | office | attachment
    pdf: pikepdf.Pdf | None = None
    problem: str = ""
    signed: bool = False
    notes: list[str] = field(default_factory=list)
    group: str = RESULTS_REF  # the first of its inputs in contract order: where it is filed

    @property
    def id(self) -> str:
        return self.ids[0]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest() if self.data else ""

    @property
    def pages(self) -> int:
        return len(self.pdf.pages) if self.pdf is not None else 0



def collect(data: WorkbookData, evidence_dir: Path,
            converted: dict[Path, Path | str] | None = None) -> list[Source]:
    """Every distinct evidence file named on the Evidence sheet, opened or with its problem.
    ``converted``: Office files already converted by the caller (original path → PDF, or why
    not), so one LibreOffice run can serve the meeting documents and the evidence."""
    order = [*data.contract.input_refs, RESULTS_REF]
    by_file: dict[str, Source] = {}
    ordered: list[Source] = []
    for rec in data.tables["Evidence"].records:
        rel = str(rec["File"] or "")
        refs = [r for r in (rec["Input ref"] or ()) if r in order]
        try:
            path = resolve_evidence(evidence_dir, rel)
            key = str(path)
        except EvidencePathError as exc:
            path, key = None, f"!{rel}!{rec['Evidence ID']}"
            problem = str(exc)
        else:
            problem = ""
        if key in by_file:  # the same file cited twice: included once, cited for both
            known = by_file[key]
            known.ids.append(str(rec["Evidence ID"]))
            known.refs += [r for r in refs if r not in known.refs]
            continue
        source = Source([str(rec["Evidence ID"])], str(rec["Title"] or rel), refs,
                        str(rec["Owner"] or ""), rec["Date"], rel, path, problem=problem)
        by_file[key] = source
        ordered.append(source)
    for source in ordered:
        if source.refs:
            source.group = min(source.refs, key=order.index)
    with tempfile.TemporaryDirectory(prefix="isms-review-evidence-") as tmp:
        office = [s for s in ordered if not s.problem and s.path and s.path.suffix.lower() in OFFICE]
        if converted is None:
            converted = _convert_office(office, Path(tmp))
        for source in ordered:
            if not source.problem and source.path is not None:
                _open(source, converted)
    return ordered


def _open(source: Source, converted: dict[Path, Path | str]) -> None:
    assert source.path is not None
    try:
        source.data = source.path.read_bytes()
    except OSError as exc:
        source.problem = f"'{source.rel}' cannot be read ({exc.strerror})."
        return
    suffix = source.path.suffix.lower()
    if suffix == ".pdf" or source.data[:5] == b"%PDF-":
        _open_pdf(source)
    elif suffix in IMAGES:
        source.kind = "image"  # drawn as a page by the assembler
        try:
            from PIL import Image

            with Image.open(io.BytesIO(source.data)) as image:
                image.verify()
        except Exception as exc:
            source.problem = f"'{source.rel}' is not a readable image ({type(exc).__name__})."
    elif suffix in OFFICE:
        source.kind = "office"
        result = converted.get(source.path, "not converted")
        if isinstance(result, Path):
            source.pdf = pikepdf.open(io.BytesIO(result.read_bytes()))
        else:
            source.problem = f"'{source.rel}' could not be converted to PDF ({result})."
    else:
        source.kind = "attachment"
        source.notes.append("embedded as an attachment (no page rendering for this file type)")


def _open_pdf(source: Source) -> None:
    try:
        pdf = pikepdf.open(io.BytesIO(source.data), password="")
    except pikepdf.PasswordError:
        source.problem = (f"'{source.rel}' is encrypted with a password; save an unprotected copy "
                          "(or print it to PDF) into the evidence folder.")
        return
    except pikepdf.PdfError as exc:
        source.problem = (f"'{source.rel}' is damaged and could not be repaired "
                          f"({str(exc).splitlines()[0][:100]}); get a fresh copy.")
        return
    if len(pdf.pages) == 0:
        source.problem = f"'{source.rel}' has no pages (or is too damaged to show any)."
        return
    if any("damaged" in w or "reconstruct" in w for w in pdf.get_warnings()):
        source.notes.append("damaged; repaired by a lenient read: check it against the original")
    if pdf.is_encrypted:
        source.notes.append("was encrypted without a user password; opened and included")
    source.signed = _strip_signatures(pdf)
    if source.signed:
        source.notes.append("digitally signed: the original is attached so its signature can "
                            "still be checked; the signature field is removed from the bundle copy")
    source.pdf = pdf


def _strip_signatures(pdf: pikepdf.Pdf) -> bool:
    """Remove signature widgets (merging breaks their byte ranges); True when there were any."""
    found = False
    for page in pdf.pages:
        annots = page.obj.get("/Annots")
        if annots is None:
            continue
        kept = []
        for annot in annots:
            if annot.get("/FT") == pikepdf.Name.Sig or (
                    annot.get("/Parent") is not None and annot.Parent.get("/FT") == pikepdf.Name.Sig):
                found = True
                continue
            kept.append(annot)
        if found:
            page.obj.Annots = pikepdf.Array(kept)
    form = pdf.Root.get("/AcroForm")
    if form is not None and "/Fields" in form:
        fields = [f for f in form.Fields if f.get("/FT") != pikepdf.Name.Sig]
        found = found or len(fields) != len(form.Fields)
        form.Fields = pikepdf.Array(fields)
        if "/SigFlags" in form:
            del form["/SigFlags"]
    return found


def office_files(data: WorkbookData, evidence_dir: Path) -> list[Path]:
    """The evidence files that need converting to PDF by LibreOffice."""
    out: list[Path] = []
    for rec in data.tables["Evidence"].records:
        try:
            path = resolve_evidence(evidence_dir, str(rec["File"] or ""))
        except EvidencePathError:
            continue
        if path.suffix.lower() in OFFICE and path.is_file() and path not in out:
            out.append(path)
    return out


def stage_office(paths: list[Path], tmp: Path) -> dict[Path, Path]:
    """Copies of ``paths`` under distinct names in ``tmp`` (two folders may hold report.docx):
    copy → original."""
    staged: dict[Path, Path] = {}
    for i, path in enumerate(paths):
        copy = tmp / f"e{i:04d}{path.suffix.lower()}"
        shutil.copyfile(path, copy)
        staged[copy] = path
    return staged


def _convert_office(sources: list[Source], tmp: Path) -> dict[Path, Path | str]:
    """Convert every office file in one LibreOffice run; path → PDF, or the reason it failed."""
    if not sources:
        return {}
    staged = stage_office([s.path for s in sources if s.path is not None], tmp)
    try:
        results = convert_batch(list(staged), tmp)
    except ConversionError as exc:
        return {original: str(exc) for original in staged.values()}
    return {staged[copy]: result for copy, result in results.items()}
