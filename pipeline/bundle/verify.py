"""`isms-review verify`: what can be proved about a bundle, and what cannot.

Three verdicts (``--json`` gives ``"verdict"``):

- ``intact`` (exit 0): a signature covering the whole file, by a signer you trust, and the
  file agrees with its manifest page by page. Only a signature proves this: anyone who can
  rewrite the file can rewrite a manifest beside it.
- ``unsigned`` (exit 4): the file agrees with its manifest, but nothing a forger could not
  redo vouches for it (no signature, or one by a key you did not say you trust).
- ``broken`` (exit 1): something disagrees; each problem says what and where (page, source,
  revision).

Checks: the whole-file SHA-256 against the sidecar manifest when present; the embedded
manifest's shape; every page against its recorded content digest; the stamps and index links;
the embedded workbook(s), documents and originals against their recorded hashes; every
revision after the bundle's own (only signatures may follow it); every signature, against the
certificates you trust; with the review folder, the issue register (a stripped signature, a
stale approval); with ``--evidence``, every source file.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pikepdf

from ..errors import UserError
from ..workbook.evidence import EvidencePathError, resolve_evidence
from . import digests
from .document_digests import PARTS, active_content, document_digests
from .errortext import describe_error
from .manifest import Manifest, ManifestShape, VolumeRef, parse_manifest
from .revisions import Revisions, read_revisions
from .sign import SignatureCheck, check_signatures
from .trust import TRUST_FILE, Trusted, trusted_signers
from .volumes import base_stem

EXIT_CODES = {"intact": 0, "broken": 1, "unsigned": 4}
UNSIGNED_WARNING = ("this proves nothing against someone who can rewrite the file and its "
                    "manifest; sign bundles, or keep the sidecar hash where they cannot reach it")
_STAMP = re.compile(rb"\(\s?\xb7 Page (\d+) of (\d+)\) Tj")
_MAX_LISTED = 12


@dataclass
class Problem:
    what: str
    page: int | None = None
    source: str | None = None
    revision: int | None = None

    def text(self) -> str:
        where = []
        if self.page is not None:
            where.append(f"page {self.page}")
        if self.source:
            where.append(self.source)
        if self.revision is not None:
            where.append(f"revision {self.revision}")
        return (f"{', '.join(where)}: " if where else "") + self.what

    def as_dict(self) -> dict[str, Any]:
        return {"what": self.what, "page": self.page, "source": self.source,
                "revision": self.revision}


@dataclass
class Verification:
    path: Path
    sha256: str = ""
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    signatures: list[SignatureCheck] = field(default_factory=list)
    revisions: int = 0
    pages: int = 0
    readable: bool = True  # opened as a PDF at all (else its pages and revisions are unknown)
    manifest_status: str = ""
    approval: dict[str, Any] = field(default_factory=dict)
    trusted_from: tuple[str, ...] = ()
    pdfa: dict[str, Any] = field(default_factory=dict)  # with --pdfa: the level the bundle reached

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def verdict(self) -> str:
        if self.problems:
            return "broken"
        last = self.signatures[-1] if self.signatures else None
        if (last is not None and last.covers_whole_file and all(s.intact for s in self.signatures)
                and last.trusted and self.sha256):
            return "intact"
        return "unsigned"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.verdict]

    def problem(self, what: str, **where: Any) -> None:
        self.problems.append(Problem(what, **where))

    def summary(self) -> str:
        if self.verdict == "intact":
            signer = self.signatures[-1]
            stale = (f" But the approval is stale: {self.approval.get('reason')}; this signed copy "
                     "is no longer the current record." if self.approval.get("status") == "stale" else "")
            return (f"INTACT: {self.path} (SHA-256 {self.sha256}) is signed by {signer.signer} "
                    f"({signer.level}, certificate SHA-256 {signer.fingerprint}), a signer you trust; "
                    f"the signature covers the whole file and every page matches its manifest.{stale}")
        if self.verdict == "unsigned":
            why = ("it carries no signature" if not self.signatures else
                   f"its signature by {self.signatures[-1].signer} is not one you trust "
                   f"({self.signatures[-1].problem})")
            return (f"UNSIGNED: {self.path} (SHA-256 {self.sha256}) is consistent with its manifest "
                    f"but {why}: {UNSIGNED_WARNING}.")
        return f"BROKEN: {self.path}: {len(self.problems)} problem(s), listed above."

    def to_json(self) -> str:
        return json.dumps({
            "verdict": self.verdict, "file": str(self.path), "sha256": self.sha256,
            "pages": self.pages, "revisions": self.revisions, "status": self.manifest_status,
            "problems": [p.as_dict() for p in self.problems], "notes": self.notes,
            "signatures": [s.as_dict() for s in self.signatures], "approval": self.approval,
            "trusted_certificates_from": list(self.trusted_from), "pdfa": self.pdfa or None,
            "warning": UNSIGNED_WARNING if self.verdict == "unsigned" else None,
        }, indent=2, ensure_ascii=False)


def review_folders(path: Path, review: Path | None) -> list[Path]:
    """Where the issue register and trust file are looked for: the given review folder, else
    the bundle's folder and the one above it (versioned pack folders sit inside it)."""
    if review is not None:
        return [review]
    folder = path.resolve().parent
    return [folder, folder.parent]


def verify_bundle(path: Path, evidence: Path | None = None, trust: tuple[Path, ...] = (),
                  review: Path | None = None, pdfa: bool = False) -> Verification:
    result = Verification(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UserError(f"{path}: cannot be read ({exc.strerror}).") from None
    folders = review_folders(path, review)
    # a trust file counts only in a review folder the user names: one found beside the bundle is
    # wherever the bundle came from, and whoever could change the bundle could change it too
    trust_folder = review if review is not None and (review / TRUST_FILE).is_file() else None
    trusted = trusted_signers(trust, trust_folder)
    result.trusted_from = trusted.sources
    beside = next((f / TRUST_FILE for f in review_folders(path, None) if (f / TRUST_FILE).is_file()), None)
    if not trust and trust_folder is None and beside is not None:
        result.notes.append(f"{beside} was not used: a list of trusted signers that travels with the "
                            "bundle proves nothing (whoever could change the bundle could change it); "
                            "give the approver's certificate, obtained separately, with --trust (or "
                            "name a review folder you keep yourself with --review)")
    result.sha256 = hashlib.sha256(data).hexdigest()
    sidecar = _sidecar(path, result)
    revisions = read_revisions(data)
    result.revisions = revisions.count
    _check_file_end(revisions, result)
    try:
        pdf = pikepdf.open(io.BytesIO(data))  # the bytes hashed, not a re-read file
    except Exception as exc:
        result.problem(f"not a readable PDF ({_first_line(exc)}).")
        result.readable = False
        return result
    with pdf:
        manifest = _embedded_manifest(pdf, result)
        own = min(manifest.revisions, revisions.count) if manifest is not None else 1
        split = manifest is not None and bool(manifest.volumes)
        if split:
            assert manifest is not None
            _guard(result, "the volumes", _check_volumes, path, pdf, manifest, sidecar, result)
        else:
            _guard(result, "the pages", _check_pages, pdf, manifest, revisions, result)
        if manifest is not None:
            _guard(result, "the manifest", _check_manifest, pdf, manifest, sidecar, result,
                   _volume_of(manifest, path))
            if evidence is not None:
                _guard(result, "the evidence folder", _check_sources, manifest, evidence, result)
        if not split:
            _guard(result, "the stamps", _check_stamps, pdf, result)
            if manifest is not None:
                _guard(result, "the bookmarks and properties", _check_document, pdf, manifest, result)
        _guard(result, "active content", _check_active, pdf, manifest, result)
        _guard(result, "the links", _check_links, pdf, result)
        widgets = _guard(result, "the signature fields", digests.signature_widgets, pdf) or []
    _check_signatures(data, trusted, revisions, widgets, sidecar, result, own)
    _check_register(folders, revisions, result, own)
    if pdfa:
        _check_pdfa(data, revisions, result, own)
    return result


def _made_sha256(revisions: Revisions, own: int) -> str:
    return revisions.own_sha256.get(own, revisions.first_sha256)


def _made(data: bytes, revisions: Revisions, own: int) -> bytes:
    """The bundle as it was made: its own revisions, without what came after (signatures)."""
    return data[:revisions.items[own - 1].end] if len(revisions.items) >= own else data


def _check_pdfa(data: bytes, revisions: Revisions, result: Verification, own: int) -> None:
    """Validate the bundle as made (before any signature: a signature's form field is outside
    what the validator accepts) against PDF/A-3b. A finding is reported, not a tampering."""
    from ..archival import BUNDLE, validate

    first = _made(data, revisions, own)
    try:
        conformance = validate(first, BUNDLE)
    except Exception as exc:  # the validator reports problems as findings; this is a safety net
        result.notes.append(f"PDF/A could not be checked ({_first_line(exc)})")
        return
    result.pdfa = {"level": conformance.level, "findings": conformance.findings,
                   "revision": own}
    made = f"the bundle as made (revision{'s 1–' if own > 1 else ' '}{own})"
    declared = _declared(first) if not conformance.passed else first
    if declared is None:  # made too large to validate: it claims nothing; would it conform?
        try:
            conformance = validate(_with_declaration(first), BUNDLE)
        except Exception as exc:
            result.notes.append(f"PDF/A could not be checked ({_first_line(exc)})")
            return
        result.pdfa = {"level": "none", "declared": False, "findings": conformance.findings,
                       "as_declared": conformance.level, "revision": own}
        result.notes.append(f"PDF/A: {made} does not declare PDF/A (it was too large to validate "
                            "when made); with the declaration added it "
                            + ("passes pikepdf.pdfa as PDF/A-3b" if conformance.passed
                               else f"would be {conformance.summary()}"))
        return
    if conformance.passed:
        result.notes.append(f"{conformance.level}: {made} passes pikepdf.pdfa")
    else:
        result.notes.append(f"PDF/A: {conformance.summary()} ({made})")


def _declared(data: bytes) -> bytes | None:
    """``data`` when its XMP declares a PDF/A part, else None."""
    try:
        with pikepdf.open(io.BytesIO(data)) as pdf:
            meta = pdf.open_metadata()
            return data if "pdfaid:part" in meta else None
    except Exception:
        return data  # unreadable: the validation's own findings say so


def _with_declaration(data: bytes) -> bytes:
    """A copy of ``data`` whose XMP declares PDF/A-3b (in memory; the file is not changed)."""
    buffer = io.BytesIO()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["pdfaid:part"] = "3"
            meta["pdfaid:conformance"] = "B"
        pdf.save(buffer, fix_metadata_version=False)
    return buffer.getvalue()


def _first_line(exc: BaseException) -> str:
    """The library's message in words for the user (see :mod:`.errortext`)."""
    return describe_error(exc, with_type=False, limit=200) or type(exc).__name__


def _guard(result: Verification, what: str, func: Any, *args: Any) -> Any:
    """Run one check; a hostile file that makes a library fail is a problem found, never a
    crash of verify."""
    try:
        return func(*args)
    except (UserError, KeyboardInterrupt):
        raise
    except Exception as exc:
        result.problem(f"{what} cannot be checked: the file is damaged ({_first_line(exc)}).")
        return None


def _sidecar(path: Path, result: Verification) -> dict[str, Any] | None:
    sidecar_path = path.with_name(base_stem(path) + "-manifest.json")
    if not sidecar_path.is_file():
        result.notes.append(f"no {sidecar_path.name} beside the bundle: only a signature can show "
                            "the file is the one that was made")
        return None
    try:
        sidecar = json.loads(sidecar_path.read_bytes())
        expected = _recorded_sha256(sidecar, path.name)
        if not isinstance(expected, str):
            raise TypeError
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        result.problem(f"{sidecar_path.name} is not a manifest isms-review wrote (no readable "
                       "bundle SHA-256).")
        return None
    if expected != result.sha256:
        result.problem(f"the file's SHA-256 differs from the one in {sidecar_path.name}: the file "
                       "was changed after it was made (or signed).")
    else:
        result.notes.append(f"whole-file SHA-256 matches {sidecar_path.name}")
    return sidecar if isinstance(sidecar, dict) else None


def _recorded_sha256(sidecar: Any, name: str) -> Any:
    """The SHA-256 the sidecar records for the file ``name``: the bundle's, or in a bundle
    split into volumes, that volume's (KeyError when it lists no such volume)."""
    bundle = sidecar["bundle"]
    if "volumes" not in bundle:
        return bundle["sha256"]
    found = [v["sha256"] for v in bundle["volumes"] if v["file"] == name]
    if not found:
        raise KeyError(name)
    return found[0]


def _volume_of(manifest: Manifest, path: Path) -> VolumeRef | None:
    return next((v for v in manifest.volumes if v.file == path.name), None)


def _check_volumes(path: Path, pdf: pikepdf.Pdf, manifest: Manifest, sidecar: dict[str, Any] | None,
                   result: Verification) -> None:
    """A bundle in volumes: every volume is there beside this one, has the SHA-256 the sidecar
    records, carries the same manifest, and its pages match their digests and stamps (numbered
    on from the volume before)."""
    if _volume_of(manifest, path) is None:
        result.problem(f"the manifest lists the volumes {', '.join(v.file for v in manifest.volumes)}; "
                       f"this file's name {path.name} is not one of them: give it its name again.")
    result.pages = len(pdf.pages)
    count = len(manifest.volumes)
    for volume in manifest.volumes:
        where = f"volume {volume.number} of {count} ({volume.file})"
        if volume.file == path.name:
            _check_volume_pages(pdf, manifest, volume, where, result)
            continue
        other = path.with_name(volume.file)
        try:
            data = other.read_bytes()
        except OSError:
            result.problem(f"{where} is missing: it is not beside {path.name}; put every volume of "
                           "the bundle in one folder.")
            continue
        if sidecar is not None:
            try:
                expected = _recorded_sha256(sidecar, volume.file)
            except (KeyError, TypeError):
                expected = None
            if expected != hashlib.sha256(data).hexdigest():
                result.problem(f"{where}: the file's SHA-256 differs from the one in the sidecar "
                               "manifest: the volume was changed after it was made.")
        # the checks this volume's own file gets: revisions and bytes added after it was made
        revisions = read_revisions(data)
        _check_file_end(revisions, result, where)
        for revision in revisions.items:
            if revision.number > manifest.revisions:
                result.problem(f"{where}: an incremental update (bytes {revision.start}–{revision.end}) "
                               "was appended after the bundle was made.", revision=revision.number)
        try:
            with pikepdf.open(io.BytesIO(data)) as volume_pdf:
                _check_active(volume_pdf, manifest, result, where)
                spec = volume_pdf.attachments.get("manifest.json")
                if spec is None or json.loads(spec.get_file().read_bytes()) != manifest.raw:
                    result.problem(f"{where}: its embedded manifest differs from this volume's: it "
                                   "belongs to another bundle, or one of them was rewritten.")
                _check_volume_pages(volume_pdf, manifest, volume, where, result)
                _check_attachments(volume_pdf, manifest, volume, result, f"{where}: ")
        except (pikepdf.PdfError, ValueError) as exc:
            result.problem(f"{where} is not a readable PDF ({_first_line(exc)}).")
    result.notes.append(f"the bundle is in {count} volumes; all {count} were checked")


def _check_volume_pages(pdf: pikepdf.Pdf, manifest: Manifest, volume: VolumeRef, where: str,
                        result: Verification) -> None:
    """One volume's pages against the manifest: how many, each page's digest and stamp."""
    expected = volume.last_page - volume.first_page + 1
    if len(pdf.pages) != expected:
        result.problem(f"{where} has {len(pdf.pages)} pages; the manifest gives it pages "
                       f"{volume.first_page}–{volume.last_page}.")
    if manifest.digests is None or len(manifest.digests) != manifest.pages:
        result.problem("the manifest has no per-page digest for every page: the pages cannot be checked.")
        return
    bad, stamps = 0, []
    for number, (page, digest) in enumerate(zip(pdf.pages, digests.page_digests(
            pdf, volume.first_page, manifest.digest_scheme, manifest.signature_box), strict=True),
            start=volume.first_page):
        if number > manifest.pages:
            break
        if digest != manifest.digests[number - 1]:
            bad += 1
            if bad <= _MAX_LISTED:
                result.problem("its content differs from its digest in the manifest", page=number,
                               source=f"{where}, {manifest.source_at(number)}")
        if _stamp_of(page) != (number, manifest.pages):
            stamps.append(number)
    if bad > _MAX_LISTED:
        result.problem(f"{where}: {bad - _MAX_LISTED} more page(s) differ from their digests.")
    if stamps:
        shown = ", ".join(map(str, stamps[:10])) + (" …" if len(stamps) > 10 else "")
        result.problem(f"{where}: {len(stamps)} page(s) lack the right 'Page n of "
                       f"{manifest.pages}' stamp: {shown}.")


def _embedded_manifest(pdf: pikepdf.Pdf, result: Verification) -> Manifest | None:
    try:
        spec = pdf.attachments.get("manifest.json")
        if spec is None:
            result.problem("the embedded manifest.json is missing: nothing to check the pages against.")
            return None
        raw = spec.get_file().read_bytes()
    except Exception as exc:
        result.problem(f"the embedded manifest cannot be read ({_first_line(exc)}).")
        return None
    try:
        manifest = parse_manifest(raw)
    except ManifestShape as exc:
        result.problem(f"the embedded manifest is not one isms-review wrote: {exc}.")
        return None
    result.manifest_status = manifest.status
    if "INCOMPLETE" in manifest.status:
        result.notes.append(f"the bundle is marked {manifest.status}")
    return manifest


def _check_pages(pdf: pikepdf.Pdf, manifest: Manifest | None, revisions: Revisions,
                 result: Verification) -> None:
    total = len(pdf.pages)
    result.pages = total
    if manifest is None:
        return
    if manifest.pages != total:
        result.problem(f"the manifest lists {manifest.pages} pages; the file has {total}.")
    if manifest.digests is None:
        result.problem("the manifest has no per-page digests (made by an older isms-review): "
                       "its pages cannot be checked; rebuild the bundle.")
        return
    if len(manifest.digests) != manifest.pages:
        result.problem(f"the manifest has {len(manifest.digests)} page digests for "
                       f"{manifest.pages} pages.")
    changed_by = _pages_changed_by_revision(pdf, revisions)
    bad = 0
    for number, digest in enumerate(digests.page_digests(pdf, 1, manifest.digest_scheme,
                                                         manifest.signature_box), start=1):
        expected = manifest.digests[number - 1] if number <= len(manifest.digests) else None
        if digest == expected:
            continue
        bad += 1
        if bad <= _MAX_LISTED:
            what = ("its content differs from its digest in the manifest" if expected
                    else "it has no digest in the manifest")
            result.problem(what, page=number, source=manifest.source_at(number),
                           revision=changed_by.get(number))
    if bad > _MAX_LISTED:
        result.problem(f"{bad - _MAX_LISTED} more page(s) differ from their digests.")
    if not bad:
        result.notes.append(f"all {total} pages match their content digests in the manifest")


def _pages_changed_by_revision(pdf: pikepdf.Pdf, revisions: Revisions) -> dict[int, int]:
    """Page number → the latest revision after the first that replaced something on it."""
    later = [r for r in revisions.items if r.number > 1 and r.changed]
    if not later:
        return {}
    found: dict[int, int] = {}
    for number, page in enumerate(pdf.pages, start=1):
        refs = _page_refs(page.obj)
        for revision in later:
            if refs & revision.changed:
                found[number] = revision.number
    return found


def _page_refs(node: Any) -> set[tuple[int, int]]:
    refs = {node.objgen}
    for key in ("/Contents", "/Resources", "/Annots"):
        value = node.get(key)
        if value is None:
            continue
        if value.is_indirect:
            refs.add(value.objgen)
        if isinstance(value, pikepdf.Array):
            refs |= {v.objgen for v in value if isinstance(v, pikepdf.Object) and v.is_indirect}
        if key == "/Resources" and isinstance(value, pikepdf.Dictionary):
            for kind in ("/XObject", "/Font"):
                group = value.get(kind)
                if isinstance(group, pikepdf.Dictionary):
                    refs |= {v.objgen for v in group.values() if v.is_indirect}
    return refs


def _check_manifest(pdf: pikepdf.Pdf, manifest: Manifest, sidecar: dict[str, Any] | None,
                    result: Verification, volume: VolumeRef | None = None) -> None:
    total = manifest.pages if manifest.volumes else len(pdf.pages)
    for entry in manifest.files:
        last = entry.first_page + entry.pages - 1
        if last > total:
            result.problem(f"pages {entry.first_page}–{last} are not in the bundle.",
                           source=", ".join(entry.ids))
    covered = sum(p.pages for p in manifest.parts)
    if covered != manifest.pages:
        result.problem(f"the manifest's parts cover {covered} pages, not {manifest.pages}.")
    if sidecar is not None:
        outside = {k: v for k, v in sidecar.items() if k != "bundle"}
        if outside != manifest.raw:
            differing = sorted(k for k in set(outside) | set(manifest.raw)
                               if outside.get(k) != manifest.raw.get(k))
            result.problem("the sidecar manifest and the manifest inside the PDF disagree "
                           f"({', '.join(differing[:5])}): one of them was rewritten.")
    if volume is not None or not manifest.volumes:
        _check_attachments(pdf, manifest, volume, result)


def _check_attachments(pdf: pikepdf.Pdf, manifest: Manifest, volume: VolumeRef | None,
                       result: Verification, where: str = "") -> None:
    """The embedded files against their hashes in the manifest (a volume: those it carries)."""
    listed = manifest.attachments if volume is None else {
        name: digest for name, digest in manifest.attachments.items() if name in volume.attachments}
    names = set(pdf.attachments.keys())
    for name, expected in listed.items():
        if name not in names:
            result.problem(f"{where}the embedded file '{name}' the manifest lists is missing.")
            continue
        spec = pdf.attachments[name].obj
        shown = {str(spec[key]) for key in ("/F", "/UF") if key in spec}
        if shown - {name}:  # a viewer lists it by this name: it must be the one the manifest hashed
            result.problem(f"{where}the embedded file '{name}' is shown under another name "
                           f"({', '.join(sorted(shown - {name}))}).")
        files = spec.get("/EF")
        if isinstance(files, pikepdf.Dictionary) and "/F" in files and "/UF" in files \
                and files.F.objgen != files.UF.objgen:
            result.problem(f"{where}the embedded file '{name}' carries two different contents.")
        actual = hashlib.sha256(pdf.attachments[name].get_file().read_bytes()).hexdigest()
        if actual != expected:
            result.problem(f"{where}the embedded file '{name}' differs from its SHA-256 in the manifest.")
    extra = sorted(names - set(listed) - {"manifest.json"})
    if manifest.attachments and extra:
        result.problem(f"{where}embedded file(s) the manifest does not list: {', '.join(extra[:5])}.")


def _stamp_of(page: pikepdf.Page) -> tuple[int, int] | None:
    """The (n, N) of a page's 'Page n of N' stamp, None without one."""
    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    # the stamp is the first stream of an evidence or document page, the last of the bundle's
    # own pages (and of bundles made before the stamp went first): look there first
    streams = [*streams[:1], *streams[-1:], *streams[1:-1]]
    for stream in streams:
        if isinstance(stream, pikepdf.Stream):
            found = _STAMP.search(stream.read_bytes())
            if found:
                return int(found.group(1)), int(found.group(2))
    return None


def _check_stamps(pdf: pikepdf.Pdf, result: Verification) -> None:
    total = len(pdf.pages)
    bad = []
    for number, page in enumerate(pdf.pages, start=1):
        if _stamp_of(page) != (number, total):
            bad.append(number)
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (" …" if len(bad) > 10 else "")
        result.problem(f"{len(bad)} page(s) lack the right 'Page n of {total}' stamp: {shown}.")


def _check_document(pdf: pikepdf.Pdf, manifest: Manifest, result: Verification) -> None:
    """The bookmarks, page labels, document properties and XMP against their digests (a bundle
    made before they were recorded has none to compare)."""
    if not manifest.document:
        return
    now = document_digests(pdf)
    for part, digest in manifest.document.items():
        if part in now and now[part] != digest:
            result.problem(f"the {PARTS.get(part, part)} differ from what the manifest records: "
                           "changed after the bundle was made.")


def _check_active(pdf: pikepdf.Pdf, manifest: Manifest | None, result: Verification,
                  where: str = "") -> None:
    """Active content the bundle never carries (a volume's links into another volume are its own)."""
    found = active_content(pdf, frozenset(v.file for v in manifest.volumes) if manifest else frozenset())
    if found:
        result.problem(f"{where or 'the file'} carries {', '.join(found)}, which isms-review never "
                       "puts in a bundle: added after it was made.")


def _check_file_end(revisions: Revisions, result: Verification, where: str = "") -> None:
    """The revisions can be read and nothing follows the last one (``where``: which volume)."""
    lead, whose, made = (f"{where}: ", "its", "it") if where else ("", "the file's", "the file")
    if revisions.problem:
        result.problem(lead + revisions.problem)
    if revisions.trailing:
        result.problem(f"{lead}{revisions.trailing} byte(s) follow the end of {whose} last revision: "
                       f"something was appended after {made} was made.")


def _check_links(pdf: pikepdf.Pdf, result: Verification) -> None:
    pages = {page.obj.objgen for page in pdf.pages}
    broken = 0
    for page in list(pdf.pages)[:8]:  # the front matter: cover, index and coverage matrix
        annots = page.obj.get("/Annots")
        for annot in annots if isinstance(annots, pikepdf.Array) else []:
            dest = annot.get("/Dest") if isinstance(annot, pikepdf.Dictionary) else None
            if (annot.get("/Subtype") == pikepdf.Name.Link and isinstance(dest, pikepdf.Array)
                    and len(dest) and (not isinstance(dest[0], pikepdf.Dictionary)
                                       or dest[0].objgen not in pages)):
                broken += 1
    if broken:
        result.problem(f"{broken} index link(s) point outside the bundle.")


def _check_sources(manifest: Manifest, evidence: Path, result: Verification) -> None:
    for entry in manifest.files:
        if not entry.sha256:
            continue
        try:
            data = resolve_evidence(evidence, entry.file).read_bytes()
        except (EvidencePathError, OSError) as exc:
            result.problem(str(exc), source=entry.ids[0])
            continue
        if hashlib.sha256(data).hexdigest() != entry.sha256:
            result.problem("the file changed since the bundle was made (SHA-256 differs).",
                           source=f"{entry.ids[0]} ({entry.file})")


def _check_signatures(data: bytes, trusted: Trusted, revisions: Revisions,
                      widgets: list[tuple[int, str]], sidecar: dict[str, Any] | None,
                      result: Verification, made_with: int = 1) -> None:
    try:
        checks = check_signatures(data, trusted) if b"/ByteRange" in data or widgets else []
    except ValueError as exc:
        result.problem(f"the signatures cannot be read ({exc}): the file is damaged or cut short, "
                       "so what was signed cannot be told.")
        return  # nothing below (stripped? re-signed?) can be concluded from an unreadable file
    result.signatures = checks
    for check in checks:
        who = f"the signature by {check.signer}"
        if not check.intact:
            result.problem(f"{who}: {check.problem or 'it does not match the file'}.",
                           revision=check.revision or None)
        elif check.self_signed and not check.trusted:
            result.notes.append(f"{who} ({check.level}, {check.signed_at}) is self-signed and not in "
                                f"your trusted certificates; its certificate SHA-256 is "
                                f"{check.fingerprint}: compare it with the signer out of band, then "
                                "give the certificate with --trust")
        elif not check.trusted:
            result.notes.append(f"{who} is not by a certificate you trust ({check.fingerprint}); "
                                "give the signer's certificate with --trust")
        else:
            result.notes.append(f"{who} ({check.level}, {check.signed_at}) is by a certificate you "
                                f"trust ({check.fingerprint}, given in "
                                f"{', '.join(result.trusted_from) or '--trust'})")
    own = max((c.revision for c in checks if c.intact), default=made_with)
    signed_in = {c.revision for c in checks}
    for revision in revisions.items:
        # every revision after the bundle's own must be a signature's: an update before a
        # signature was signed over, but it is not the bundle as made
        if revision.number <= made_with or (revision.number in signed_in and revision.number <= own):
            continue
        after = ("the last signature" if checks and revision.number > max(signed_in)
                 else "the bundle was made" + (", before it was signed" if checks else ""))
        result.problem(f"an incremental update (bytes {revision.start}–{revision.end}) was "
                       f"appended after {after}.", revision=revision.number)
    if checks and checks[-1].intact and not checks[-1].covers_whole_file and not revisions.trailing \
            and max(r.number for r in revisions.items) <= own:
        result.problem(f"the signature by {checks[-1].signer} does not cover the whole file: bytes "
                       "were added after it was made.", revision=checks[-1].revision)
    for earlier in checks[:-1]:
        if earlier.modification not in ("NONE", "LTA_UPDATES", "FORM_FILLING", ""):
            result.problem(f"a revision after the signature by {earlier.signer} changed more than "
                           f"signatures ({earlier.modification.lower()}).", revision=earlier.revision)
    fields = {c.field for c in checks if c.intact}
    for page, name in widgets:
        if name not in fields:
            result.problem(f"a signature field '{name}' that holds no valid signature.", page=page)
    recorded = ((sidecar or {}).get("bundle") or {}).get("signer_certificate_sha256") \
        if isinstance((sidecar or {}).get("bundle"), dict) else None
    if isinstance(recorded, str) and recorded:
        if not checks:
            result.problem("the sidecar manifest records a signature (certificate SHA-256 "
                           f"{recorded}) but this copy carries none: it was stripped.")
        elif checks[-1].fingerprint != recorded:
            result.problem(f"signed by {checks[-1].signer} ({checks[-1].fingerprint}), but the "
                           f"sidecar manifest records the signer {recorded}: it was re-signed.")


def _check_register(folders: list[Path], revisions: Revisions, result: Verification,
                    own: int = 1) -> None:
    from ..register import REGISTER, Register, RegisterError

    folder = next((f for f in folders if (f / REGISTER).is_file()), None)
    if folder is None:
        return
    try:
        register = Register.load(folder)
    except RegisterError as exc:
        result.notes.append(f"the issue register could not be used: {exc}")
        return
    signed = [e for e in register.entries if e.event == "signed"]
    mine = [e for e in signed if e.sha256 == result.sha256]
    if not result.signatures:
        stripped = [e for e in signed if e.extra.get("signed_from") in (result.sha256,
                                                                        _made_sha256(revisions, own))]
        if stripped:
            entry = stripped[-1]
            result.problem(f"the issue register ({register.path}) records that this bundle was signed "
                           f"by {entry.extra.get('signer', 'the approver')} on {entry.time[:10]}; this "
                           "copy carries no signature: it was stripped.")
        return
    if not mine:
        made = _made_sha256(revisions, own)
        current = result.signatures[-1].fingerprint
        other = [e for e in signed if e.extra.get("signed_from") in (made, result.sha256)
                 and e.extra.get("signer_certificate_sha256") not in (None, "", current)]
        if other:
            entry = other[-1]
            result.problem(f"the issue register ({register.path}) records that this bundle was signed "
                           f"by {entry.extra.get('signer', 'the approver')} on {entry.time[:10]} "
                           f"(certificate SHA-256 {entry.extra.get('signer_certificate_sha256')}); this "
                           f"copy is signed by {result.signatures[-1].signer} instead: it was re-signed.")
        return
    entry = mine[-1]
    issued = {e.sha256 for e in register.entries if e.event in ("issued", "reissued")}
    if entry.extra.get("signed_from") not in issued:
        result.problem(f"the issue register ({register.path}) records this signed copy, but the "
                       "file that was signed is not one it ever issued: the approver signed a file "
                       "isms-review did not make, or one changed after it was made.")
        return
    stale = register.stale_signature(entry.sha256)
    result.approval = {"status": "stale" if stale else "current", "signer": entry.extra.get("signer"),
                       "version": entry.version, "signed": entry.time,
                       "reason": stale.note if stale else ""}
    if stale:
        result.notes.append(f"STALE APPROVAL: {stale.note} (recorded {stale.time[:10]} in "
                            f"{register.path}); this signed copy is no longer the current record")
    else:
        result.notes.append(f"the issue register records this signed copy as v{entry.version}, "
                            "the current approval")
