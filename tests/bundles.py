"""Small bundles for the verification tests, made once per session, and the tampering an
attacker would try on them (each a function from a bundle folder to a tampered copy)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pikepdf
import pytest
from openpyxl import load_workbook

from . import awkward_pdfs as make
from .conftest import FINAL, run_cli
from .pki import Identity, identity

RID = "MR-2026-H2"
PASSWORD = "approver-pw"
EVIDENCE = [("EV-A", "Actions tracker", "a.pdf", "a", "Liam Walsh", 2),
            ("EV-B", "Risk register", "b.pdf", "f", "Grace Kim", 3),
            ("EV-C", "Audit report", "c.pdf", "d3", "Marcus Obi", 2)]


@dataclass
class Small:
    folder: Path          # the review folder (bundle, sidecar, no register)
    pdf: Path
    sidecar: Path
    workbook: Path
    evidence: Path
    chair: Identity
    chair_key: Path
    chair_cert: Path
    signed: Path          # a copy of the bundle signed by the chair, with its updated sidecar
    signed_sidecar: Path


def small_workbook(tmp: Path) -> tuple[Path, Path]:
    evidence = tmp / "evidence"
    evidence.mkdir()
    wb = load_workbook(FINAL)
    ws = wb["Evidence"]
    ws.delete_rows(5, ws.max_row)
    for eid, title, rel, ref, owner, pages in EVIDENCE:
        (evidence / rel).write_bytes(make.text_pdf(pages, f"{eid} {title}"))
        ws.append([eid, title, rel, ref, owner, dt.datetime(2026, 11, 1)])
    workbook = tmp / "review-final.xlsx"
    wb.save(workbook)
    return workbook, evidence


@pytest.fixture(scope="session")
def small(tmp_path_factory: pytest.TempPathFactory) -> Small:
    tmp = tmp_path_factory.mktemp("small-bundle")
    workbook, evidence = small_workbook(tmp)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1765000000")
        code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out",
                               str(tmp / "out"))
    assert code == 0, err
    folder = tmp / "out" / RID
    pdf, sidecar = folder / f"{RID}-bundle.pdf", folder / f"{RID}-bundle-manifest.json"
    chair = identity("Helen Carter (Chair)")
    key, cert = chair.p12(tmp / "chair.p12", PASSWORD), chair.pem(tmp / "chair.pem")
    signed_folder = tmp / "signed"
    signed_folder.mkdir()
    signed, signed_sidecar = signed_folder / pdf.name, signed_folder / sidecar.name
    shutil.copy(pdf, signed)
    shutil.copy(sidecar, signed_sidecar)
    from pipeline.bundle.approve import approve

    approve(signed, key, PASSWORD)
    return Small(folder, pdf, sidecar, workbook, evidence, chair, key, cert, signed, signed_sidecar)


def copy_of(path: Path, tmp: Path, *, sidecar: bool = True) -> Path:
    """A copy of a bundle in a folder of its own, with (or without) its sidecar manifest."""
    target = tmp / "copy"
    target.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, target / path.name)
    side = path.with_name(path.stem + "-manifest.json")
    if sidecar and side.is_file():
        shutil.copy(side, target / side.name)
    return target / path.name


def sidecar_of(path: Path) -> Path:
    return path.with_name(path.stem + "-manifest.json")


def rehash_sidecar(path: Path, manifest: dict[str, object] | None = None) -> None:
    """What a forger does next: make the sidecar agree with the changed file (and manifest)."""
    side = sidecar_of(path)
    data = json.loads(side.read_text("utf-8"))
    if manifest is not None:
        data = {**manifest, "bundle": data["bundle"]}
    data["bundle"]["sha256"] = hashlib.sha256(path.read_bytes()).hexdigest()
    side.write_text(json.dumps(data), "utf-8")


def embedded_manifest(pdf: pikepdf.Pdf) -> dict[str, object]:
    return json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())  # type: ignore[no-any-return]


def replace_manifest(pdf: pikepdf.Pdf, data: bytes) -> None:
    pdf.attachments["manifest.json"] = pikepdf.AttachedFileSpec(pdf, data, filename="manifest.json",
                                                                mime_type="application/json")


def save(pdf: pikepdf.Pdf, path: Path) -> None:
    buffer = io.BytesIO()
    pdf.save(buffer)
    path.write_bytes(buffer.getvalue())


FORGED = b"BT /F1 30 Tf 72 400 Td (FORGED) Tj ET"


def incremental_update(path: Path, page_index: int, content: bytes = FORGED) -> None:
    """Append an incremental update that replaces one page's content (the original bytes, and
    any hash of them, stay as they were)."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with path.open("rb") as fh:
        writer = IncrementalPdfFileWriter(io.BytesIO(fh.read()), strict=False)
    ref, _ = writer.find_page_for_modification(page_index)
    page = ref.get_object()
    page["/Contents"] = writer.add_object(generic.StreamObject(stream_data=content))
    writer.update_container(page)
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())


def strip_signature(path: Path) -> None:
    """Cut a signed file back to the bytes before its signature revision."""
    from pipeline.bundle.revisions import read_revisions

    data = path.read_bytes()
    revisions = read_revisions(data)
    path.write_bytes(data[:revisions.items[0].end])


def mallory(tmp: Path) -> tuple[Path, Path]:
    someone = identity("Mallory Forger")
    return someone.p12(tmp / "mallory.p12", "m"), someone.pem(tmp / "mallory.pem")


def first_page_of(path: Path, evidence_id: str) -> int:
    with pikepdf.open(path) as pdf:
        manifest = embedded_manifest(pdf)
    files = manifest["files"]
    assert isinstance(files, list)
    entry = next(f for f in files if evidence_id in f["evidence_ids"])
    return int(entry["first_page"])
