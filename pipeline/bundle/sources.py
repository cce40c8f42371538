"""Evidence files as bundle parts. Each file is prepared on its own — checked against the
allow-list, hashed in chunks from the original bytes, opened from disk (never read whole into
memory), converted when it is an image or an Office document, made harmless (active content
stripped, forms flattened) — and any failure, an unforeseen one included, becomes that file's
problem instead of ending the bundle. Every problem is collected so the user sees them all."""

from __future__ import annotations

import datetime as dt
import shutil
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from ..office import (
    ConversionError,
    ConversionFailure,
    convert_batch,
    describe_references,
    outside_references,
)
from ..workbook.evidence import EvidencePathError, resolve_evidence
from ..workbook.inputs import RESULTS_REF
from ..workbook.model import WorkbookData
from . import kinds
from .attach import sha256_file
from .errortext import CUT_SHORT, describe_error
from .forms import flatten_forms
from .images import ImageRefused, image_pdf
from .names import safe_name
from .options import BundleOptions, human
from .sanitize import Removal, strip_active
from .textlayer import pages_without_text

IMAGES, OFFICE = kinds.IMAGES, kinds.OFFICE  # kept for callers of the old names
DEFAULTS = BundleOptions()


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
    size: int = 0
    sha256: str = ""
    kind: str = "pdf"  # pdf | image | office | attachment
    pdf: pikepdf.Pdf | None = None
    pdf_path: Path | None = None  # the file ``pdf`` was opened from: what the merge copies
    problem: str = ""
    signed: bool = False
    attach_original: bool = False  # the original file travels as an attachment
    # what travels in its place: a copy with the active content removed (None: the original)
    attach_path: Path | None = None
    notes: list[str] = field(default_factory=list)
    removed: list[Removal] = field(default_factory=list)
    no_text: list[int] = field(default_factory=list)  # 1-based pages of this file
    references: list[str] = field(default_factory=list)  # outside content an Office file names
    warnings: list[str] = field(default_factory=list)
    fitted: bool = False  # its pages need PDF/A fitting (core fonts embedded) in the bundle
    group: str = RESULTS_REF  # the first of its inputs in contract order: where it is filed

    @property
    def id(self) -> str:
        return self.ids[0]

    @property
    def pages(self) -> int:
        return len(self.pdf.pages) if self.pdf is not None else 0

    @property
    def attachment_name(self) -> str:
        """The name the original carries inside the bundle: safe to extract anywhere."""
        return safe_name(f"{self.id}-{Path(self.rel.replace(chr(92), '/')).name}")


def rows(data: WorkbookData, evidence_dir: Path) -> list[Source]:
    """Every distinct evidence file named on the Evidence sheet, resolved (not opened)."""
    order = [*data.contract.input_refs, RESULTS_REF]
    by_file: dict[str, Source] = {}
    ordered: list[Source] = []
    for rec in data.tables["Evidence"].records:
        rel = str(rec["File"] or "")
        refs = [r for r in (rec["Input ref"] or ()) if r in order]
        problem = ""
        try:
            path: Path | None = resolve_evidence(evidence_dir, rel)
            key = str(path)
        except EvidencePathError as exc:
            path, key = None, f"!{rel}!{rec['Evidence ID']}"
            problem = str(exc)
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
    return ordered




def office_inputs(data: WorkbookData, evidence_dir: Path,
                  options: BundleOptions = DEFAULTS) -> list[Path]:
    """The Office evidence files a bundle of ``data`` needs converted (for a caller that wants
    to run LibreOffice once for its own documents and the evidence: convert these, e.g. after
    :func:`stage_office`, and pass the results as ``BundleOptions.converted``)."""
    return [s.path for s in rows(data, evidence_dir) if _accepted_kind(s, options) == "office"
            and s.path is not None]


def stage_office(paths: list[Path], folder: Path) -> dict[Path, Path]:
    """Copy ``paths`` into ``folder`` under distinct names (two folders may hold report.docx),
    so LibreOffice can be given that folder alone; return {copy: original}."""
    folder.mkdir(parents=True, exist_ok=True)
    staged = {}
    for n, path in enumerate(paths):
        copy = folder / f"evidence-{n:04d}{path.suffix.lower()}"
        shutil.copyfile(path, copy)
        staged[copy] = path
    return staged


def _accepted_kind(source: Source, options: BundleOptions) -> str:
    if source.problem or source.path is None:
        return ""
    try:
        return kinds.classify(source.path, source.rel, source.rel in options.attach_as_is).kind
    except (kinds.Refused, OSError):
        return ""


def collect(data: WorkbookData, evidence_dir: Path, workdir: Path,
            options: BundleOptions = DEFAULTS) -> list[Source]:
    """Every evidence file, prepared (or with its problem). PDFs made on the way live in
    ``workdir``, which must outlive the bundle's writing."""
    ordered = rows(data, evidence_dir)
    accepted: dict[int, kinds.Accepted] = {}
    for source in ordered:
        if not source.problem:
            _isolated(source, lambda s=source: _check(s, options, accepted))
    # the originals are hashed on the side while the files are converted and prepared (hashing
    # and reading let other threads run: scans of a few GB hash in the time it takes to open them)
    pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="isms-hash")
    try:
        hashes = {id(s): pool.submit(sha256_file, s.path) for s in ordered
                  if not s.problem and s.path is not None and id(s) in accepted}
        converted = options.converted
        office = [s.path for s in ordered if not s.problem and s.path is not None
                  and accepted.get(id(s), kinds.Accepted("pdf")).kind == "office"]
        if converted is None and office:
            converted = _convert(office, workdir)
        for n, source in enumerate(ordered):
            if not source.problem:
                _isolated(source, lambda s=source, n=n: _prepare(
                    s, accepted[id(s)], converted or {}, workdir / f"source-{n:04d}-", options))
        for source in ordered:
            if id(source) in hashes:
                _isolated(source, lambda s=source: _hashed(s, hashes[id(s)]))
    finally:  # stopped early (an interrupt): no file is hashed after that
        pool.shutdown(wait=True, cancel_futures=True)
    return ordered


def _hashed(source: Source, digest: Future[str]) -> None:
    """The SHA-256 of the original file, or why it could not be read (then it is a problem,
    whatever its preparation gave)."""
    try:
        source.sha256 = digest.result()
    except OSError as exc:
        if source.problem:
            return
        if source.pdf is not None:
            source.pdf.close()
        source.pdf = None
        source.problem = f"'{source.rel}' cannot be read ({exc.strerror}); check its permissions."


def _isolated(source: Source, work: object) -> None:
    """Run one step of preparing ``source``; whatever goes wrong is that file's problem."""
    assert callable(work)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            work()
        except Exception as exc:  # an unforeseen failure is contained to this file
            source.pdf = None
            source.problem = (f"'{source.rel}' could not be prepared for the bundle "
                              f"({describe_error(exc)}); open it and save or export it to PDF "
                              "again. If it keeps failing, report this file as a bug.")
    for warning in caught:  # library warnings become notes, never text on the user's terminal
        text = describe_error(warning.message if isinstance(warning.message, Exception)
                              else Exception(str(warning.message)), with_type=False)
        if text and text not in source.warnings:
            source.warnings.append(text)


def _check(source: Source, options: BundleOptions, accepted: dict[int, kinds.Accepted]) -> None:
    assert source.path is not None
    try:
        source.size = source.path.stat().st_size
    except OSError as exc:
        source.problem = f"'{source.rel}' cannot be read ({exc.strerror}); check its permissions."
        return
    if source.size == 0:
        source.problem = (f"'{source.rel}' is empty (0 bytes); copy the real document into the "
                          "evidence folder.")
        return
    if source.size > options.max_file_bytes:
        source.problem = (f"'{source.rel}' is {human(source.size)}, over the limit of "
                          f"{human(options.max_file_bytes)} per file; split it, or raise the limit "
                          "with --max-file-size.")
        return
    try:
        choice = kinds.classify(source.path, source.rel, source.rel in options.attach_as_is)
    except kinds.Refused as refused:
        source.problem = str(refused)
        return
    except OSError as exc:
        source.problem = f"'{source.rel}' cannot be read ({exc.strerror}); check its permissions."
        return
    accepted[id(source)] = choice
    if choice.note:
        source.notes.append(choice.note)


def _convert(office: list[Path], workdir: Path) -> dict[Path, Path | ConversionFailure]:
    """Convert every office file in one LibreOffice run that sees only copies of them."""
    staged = stage_office(office, workdir / "office-in")
    try:
        results = convert_batch(list(staged), workdir / "office-out", readable_root=workdir / "office-in")
    except ConversionError as exc:
        return {original: ConversionFailure(original, str(exc)) for original in staged.values()}
    return {staged[copy]: result for copy, result in results.items()}


def _prepare(source: Source, choice: kinds.Accepted, converted: object, prefix: Path,
             options: BundleOptions) -> None:
    """Prepare one source; files made on the way are named ``prefix`` + what they are (no
    folder per source: creating and removing hundreds of folders costs more than the rest)."""
    assert source.path is not None and isinstance(converted, dict)
    if choice.kind in ("text", "as-is"):
        source.kind = "attachment"
        source.attach_original = True
        return
    if choice.kind == "pdf":
        _open_pdf(source, source.path, prefix, options)
    elif choice.kind == "image":
        source.kind = "image"
        try:
            image_pdf(source.path, _made(prefix, "image.pdf"), source.rel)
        except ImageRefused as refused:
            source.problem = str(refused)
            return
        _open_pdf(source, _made(prefix, "image.pdf"), prefix, options)
    else:
        source.kind = "office"
        source.references = outside_references(source.path)
        if source.references:
            source.warnings.append(
                f"refers to content outside the document ({describe_references(source.references)}); "
                "LibreOffice was not allowed to load it, so the bundle shows the document without "
                "it: embed the content in the document instead")
        result = converted.get(source.path)
        if result is None:
            source.problem = f"'{source.rel}' was not converted to PDF; convert it and name the PDF instead."
        elif isinstance(result, ConversionFailure):
            source.problem = f"'{source.rel}' could not be converted to PDF: {result}"
        else:
            _open_pdf(source, Path(result), prefix, options)


def _made(prefix: Path, what: str) -> Path:
    return prefix.with_name(prefix.name + what)


def _open_pdf(source: Source, path: Path, prefix: Path, options: BundleOptions) -> None:
    try:
        pdf = pikepdf.open(path, password="", access_mode=pikepdf.AccessMode.stream)
    except pikepdf.PasswordError:
        source.problem = (f"'{source.rel}' is encrypted with a password; save an unprotected copy "
                          "(or print it to PDF) into the evidence folder.")
        return
    except pikepdf.PdfError as exc:
        why = describe_error(exc, with_type=False).replace(f"{path}: ", "").replace(str(path), "the file")
        if why == CUT_SHORT:
            source.problem = (f"'{source.rel}' is not a PDF, or too damaged for anything to be read "
                              "from it; get a fresh copy, or export the document to PDF again.")
        else:
            source.problem = f"'{source.rel}' is damaged and could not be repaired ({why}); get a fresh copy."
        return
    if len(pdf.pages) == 0:
        source.problem = f"'{source.rel}' has no pages (or is too damaged to show any)."
        return
    if any("damaged" in w or "reconstruct" in w for w in pdf.get_warnings()):
        source.notes.append("damaged; repaired by a lenient read: check it against the original")
    if pdf.is_encrypted:
        source.notes.append("was encrypted without a user password; opened and included")
    dirty = False  # changed in memory: written out for the merge, which copies from disk
    if options.ocr and pages_without_text(pdf):
        from .ocr import add_text_layer

        done = add_text_layer(path, _made(prefix, "ocr.pdf"), source.rel, len(pdf.pages))
        if done is not None:
            pdf.close()
            path = done
            pdf = pikepdf.open(done, access_mode=pikepdf.AccessMode.stream)
            source.notes.append("text layer added by OCR (OCRmyPDF, --skip-text)")
    source.removed = strip_active(pdf)
    if source.removed:
        source.notes.append(f"{len(source.removed)} active item(s) removed (listed in the manifest)")
        dirty = True
        # if the file travels as an attachment too (a form, a signature, pages PDF/A cannot
        # take), it is this copy: the active content removed, the form still fillable
        source.attach_path = _made(prefix, "without-active-content.pdf")
        pdf.save(source.attach_path, compress_streams=True,
                 object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    source.signed = _has_signature(pdf)
    form = flatten_forms(pdf)
    if source.signed and source.attach_path is not None:
        source.notes.append(
            "digitally signed, but it carried active content: the copy attached has that removed, "
            "so its signature no longer checks out (the original's SHA-256 is in the manifest); "
            "to attach the signed original unopened instead, name it with --attach-as-is")
    elif source.signed:
        source.notes.append("digitally signed: the original is attached so its signature can "
                            "still be checked; the signature field is flattened in the bundle copy")
    if form.widgets:
        source.notes.append(form.note(cleaned=source.attach_path is not None))
        dirty = True
    source.attach_original = source.signed or form.widgets > 0
    source.no_text = pages_without_text(pdf)
    source.pdf, source.pdf_path = pdf, path
    if dirty or pdf.is_encrypted:
        save_prepared(source, _made(prefix, "prepared.pdf"))


def save_prepared(source: Source, prepared: Path) -> None:
    """Write a source changed in memory to ``prepared`` and reopen it from there: the merge
    copies pages from ``source.pdf_path``, not from memory."""
    assert source.pdf is not None
    source.pdf.save(prepared, compress_streams=True, object_stream_mode=pikepdf.ObjectStreamMode.preserve)
    source.pdf.close()
    source.pdf = pikepdf.open(prepared, access_mode=pikepdf.AccessMode.stream)
    source.pdf_path = prepared


def _has_signature(pdf: pikepdf.Pdf) -> bool:
    """Whether a signature field holds a signature (its value a signature dictionary with
    /Contents and /ByteRange): an empty field waiting to be signed is not a signature."""
    form = pdf.Root.get("/AcroForm")
    fields = list(form.get("/Fields") or ()) if isinstance(form, pikepdf.Dictionary) else []
    for page in pdf.pages:
        fields += [a for a in page.obj.get("/Annots") or () if isinstance(a, pikepdf.Dictionary)]
    seen: set[tuple[int, int]] = set()
    while fields:
        node = fields.pop()
        if not isinstance(node, pikepdf.Dictionary) or len(seen) > 100_000:
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        if _signed_field(node):
            return True
        kids = node.get("/Kids")
        fields += list(kids) if isinstance(kids, pikepdf.Array) else []
        parent = node.get("/Parent")
        if isinstance(parent, pikepdf.Dictionary):
            fields.append(parent)
    return False


def _signed_field(node: pikepdf.Dictionary) -> bool:
    if node.get("/FT") != pikepdf.Name.Sig:
        return False
    value = node.get("/V")
    return isinstance(value, pikepdf.Dictionary) and "/Contents" in value and "/ByteRange" in value
