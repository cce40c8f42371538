"""`isms-review verify`: is this bundle complete and unaltered?

Checks the file against its sidecar manifest (SHA-256 of the whole PDF), the embedded manifest
(page count, every entry's pages), the stamp on every page, the index links, any signature, and
with the evidence folder the SHA-256 of every source file.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pikepdf

from ..workbook.evidence import EvidencePathError, resolve_evidence

_STAMP = re.compile(rb"\(\s?\xb7 Page (\d+) of (\d+)\) Tj")


@dataclass
class Verification:
    path: Path
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_bundle(path: Path, evidence: Path | None = None) -> Verification:
    result = Verification(path)
    data = path.read_bytes()
    sidecar_path = path.with_name(path.stem + "-manifest.json")
    if sidecar_path.is_file():
        sidecar = json.loads(sidecar_path.read_text("utf-8"))
        expected = sidecar.get("bundle", {}).get("sha256")
        if expected and hashlib.sha256(data).hexdigest() != expected:
            result.problems.append(f"{path.name}: its SHA-256 differs from {sidecar_path.name}: the "
                                   "file was changed after it was made.")
    else:
        result.notes.append(f"no {sidecar_path.name} beside the bundle: whole-file hash not checked")
    try:
        pdf = pikepdf.open(path)
    except pikepdf.PdfError as exc:
        result.problems.append(f"{path.name}: not a readable PDF ({str(exc).splitlines()[0]}).")
        return result
    with pdf:
        manifest = _embedded_manifest(pdf, result)
        total = len(pdf.pages)
        if manifest is not None:
            if manifest.get("pages") != total:
                result.problems.append(f"the manifest lists {manifest.get('pages')} pages; the file "
                                       f"has {total}.")
            for entry in manifest.get("files", []):
                last = entry["first_page"] + entry["pages"] - 1
                if entry["first_page"] < 1 or last > total:
                    result.problems.append(f"{entry['evidence_ids'][0]}: pages {entry['first_page']}"
                                           f"–{last} are not in the bundle.")
            if "INCOMPLETE" in str(manifest.get("status")):
                result.notes.append(f"the bundle is marked {manifest['status']}")
            if evidence is not None:
                _check_sources(manifest, evidence, result)
        _check_stamps(pdf, result)
        _check_links(pdf, result)
    _check_signature(path, data, result)
    return result


def _embedded_manifest(pdf: pikepdf.Pdf, result: Verification) -> dict | None:  # type: ignore[type-arg]
    try:
        spec = pdf.attachments.get("manifest.json")
        if spec is None:
            result.problems.append("the embedded manifest.json is missing.")
            return None
        return json.loads(spec.get_file().read_bytes())  # type: ignore[no-any-return]
    except (ValueError, pikepdf.PdfError) as exc:
        result.problems.append(f"the embedded manifest cannot be read ({exc}).")
        return None


def _check_stamps(pdf: pikepdf.Pdf, result: Verification) -> None:
    total = len(pdf.pages)
    bad = []
    for number, page in enumerate(pdf.pages, start=1):
        contents = page.obj.get("/Contents")
        last = contents[-1] if isinstance(contents, pikepdf.Array) and len(contents) else contents
        found = _STAMP.search(last.read_bytes()) if last is not None else None
        if not found or (int(found.group(1)), int(found.group(2))) != (number, total):
            bad.append(number)
    if bad:
        shown = ", ".join(map(str, bad[:10])) + (" …" if len(bad) > 10 else "")
        result.problems.append(f"{len(bad)} page(s) lack the right 'Page n of {total}' stamp: {shown}.")


def _check_links(pdf: pikepdf.Pdf, result: Verification) -> None:
    pages = {page.obj.objgen for page in pdf.pages}
    broken = 0
    for page in list(pdf.pages)[:5]:  # the front matter: cover, index and coverage matrix
        for annot in page.obj.get("/Annots", pikepdf.Array()):
            dest = annot.get("/Dest")
            if (annot.get("/Subtype") == pikepdf.Name.Link and isinstance(dest, pikepdf.Array)
                    and dest[0].objgen not in pages):
                broken += 1
    if broken:
        result.problems.append(f"{broken} index link(s) point outside the bundle.")


def _check_sources(manifest: dict, evidence: Path, result: Verification) -> None:  # type: ignore[type-arg]
    for entry in manifest.get("files", []):
        if not entry.get("sha256"):
            continue
        try:
            data = resolve_evidence(evidence, entry["file"]).read_bytes()
        except EvidencePathError as exc:
            result.problems.append(f"{entry['evidence_ids'][0]}: {exc}")
            continue
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            result.problems.append(f"{entry['evidence_ids'][0]} ({entry['file']}): the file changed "
                                   "since the bundle was made (SHA-256 differs).")


def _check_signature(path: Path, data: bytes, result: Verification) -> None:
    if b"/ByteRange" not in data:
        return
    from .sign import check_signatures

    try:
        checks = check_signatures(path)
    except Exception as exc:
        result.problems.append(f"the signature cannot be validated ({exc}).")
        return
    for check in checks:
        if not check.intact or not check.covers_whole_file:
            result.problems.append(f"the signature by {check.signer} no longer matches the file: it "
                                   "was changed after signing.")
        else:
            result.notes.append(f"signed by {check.signer} (certificate SHA-256 {check.fingerprint}); "
                                "signature intact and covering the whole file")
