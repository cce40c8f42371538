"""Evidence as real users hand it over: phone photos with an EXIF orientation, 16-bit and
floating-point scans, damaged JPEGs, empty files, UTF-16 text exports, names a Mac stored
decomposed, named pipes, empty signature fields, and pages whose content leaves the graphics
state unbalanced (the stamp must still be drawn where it belongs)."""

from __future__ import annotations

import io
import os
import subprocess
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pikepdf
import pytest
from PIL import Image, ImageOps

from pipeline.bundle.images import ImageRefused, image_pdf
from pipeline.bundle.kinds import classify
from pipeline.workbook.evidence import EvidencePathError, resolve_evidence

from . import awkward_pdfs as awkward
from .conftest import run_cli
from .test_bundle import RID, evidence_rows


def _rendered(pdf: Path, tmp: Path, page: int = 1, dpi: int = 20) -> Image.Image:
    stem = tmp / f"render-{pdf.stem}-{page}"
    subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile",
                    str(pdf), str(stem)], check=True)
    return Image.open(f"{stem}.png").convert("RGB")


def _drawn_area(page: Image.Image) -> Image.Image:
    """The part of a rendered image page that is not white paper."""
    pixels = np.asarray(page).astype(int)
    ys, xs = np.where(pixels.sum(axis=2) < 740)
    return page.crop((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))


def _asymmetric() -> Image.Image:
    """Red band along the top, green along the left: every turn and mirror looks different."""
    picture = np.zeros((200, 300, 3), dtype=np.uint8)
    picture[:40, :, 0] = 255
    picture[:, :60, 1] = 255
    return Image.fromarray(picture)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
@pytest.mark.parametrize("orientation", range(1, 9))
def test_photos_are_shown_the_way_the_camera_recorded_them(tmp_path: Path, fmt: str,
                                                           orientation: int) -> None:
    source = tmp_path / f"photo.{fmt.lower()}"
    exif = Image.Exif()
    exif[0x0112] = orientation
    _asymmetric().save(source, fmt, exif=exif.tobytes())
    with Image.open(source) as stored:
        expected = ImageOps.exif_transpose(stored).convert("RGB")  # what a photo viewer shows
    out = tmp_path / "photo.pdf"
    image_pdf(source, out, source.name)
    shown = _drawn_area(_rendered(out, tmp_path)).resize(expected.size)
    difference = np.abs(np.asarray(shown).astype(int) - np.asarray(expected).astype(int)).mean()
    assert difference < 8, (orientation, difference)
    with pikepdf.open(out) as pdf:  # a turned photo gets a page of its shape
        box = [float(v) for v in pdf.pages[0].mediabox]
    assert (box[2] > box[3]) == (expected.width > expected.height)


def test_a_jpeg_photo_is_still_embedded_as_it_is(tmp_path: Path) -> None:
    source = tmp_path / "photo.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6
    _asymmetric().save(source, "JPEG", exif=exif.tobytes())
    out = tmp_path / "photo.pdf"
    image_pdf(source, out, source.name)
    with pikepdf.open(out) as pdf:
        image = pdf.pages[0].obj.Resources.XObject.Im0
        assert image.Filter == pikepdf.Name.DCTDecode and image.read_raw_bytes() == source.read_bytes()


@pytest.mark.parametrize("mode", ["I;16", "I", "F"])
def test_deep_grey_scans_keep_their_tones(tmp_path: Path, mode: str) -> None:
    ramp = np.tile(np.linspace(0, 1, 256), (64, 1))
    values = {"I;16": ramp * 65535, "I": ramp * 65535, "F": ramp}[mode]
    kind = {"I;16": np.uint16, "I": np.int32, "F": np.float32}[mode]
    picture = Image.fromarray(values.astype(kind))
    assert picture.mode == mode
    source = tmp_path / ("scan.tif" if mode != "I;16" else "scan.png")
    picture.save(source)
    out = tmp_path / "scan.pdf"
    image_pdf(source, out, source.name)
    with pikepdf.open(out) as pdf:
        data = np.frombuffer(pdf.pages[0].obj.Resources.XObject.Im0.read_bytes(), dtype=np.uint8)
    row = data.reshape(64, 256)[0].astype(int)
    assert row[0] < 5 and row[-1] > 250 and abs(row[128] - 128) < 6, (row[0], row[128], row[-1])


def test_a_damaged_jpeg_is_refused_not_embedded(tmp_path: Path) -> None:
    whole = io.BytesIO()
    _asymmetric().resize((1200, 800)).save(whole, "JPEG")
    source = tmp_path / "cut.jpg"
    source.write_bytes(whole.getvalue()[: len(whole.getvalue()) // 2])
    with pytest.raises(ImageRefused, match=r"cut\.jpg.*not a readable image"):
        image_pdf(source, tmp_path / "cut.pdf", "cut.jpg")


def test_utf16_text_exports_are_text(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes("name\tamount\nPrüfung\t12\n".encode("utf-16"))
    assert classify(path, "export.csv").kind == "text"
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe" + bytes(range(256)) * 4)
    with pytest.raises(Exception, match="not plain text"):
        classify(binary, "binary.csv")


def test_a_name_stored_decomposed_is_the_file_the_workbook_names(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    (folder / unicodedata.normalize("NFD", "Prüfungen")).mkdir(parents=True)
    stored = folder / unicodedata.normalize("NFD", "Prüfungen") / unicodedata.normalize("NFD", "café.pdf")
    stored.write_bytes(b"%PDF-1.7\n")
    typed = unicodedata.normalize("NFC", "Prüfungen/café.pdf")
    assert resolve_evidence(folder, typed) == stored.resolve()
    with pytest.raises(EvidencePathError, match="not in the evidence folder"):
        resolve_evidence(folder, "Prüfungen/cafe.pdf")


def test_a_named_pipe_is_called_a_named_pipe(tmp_path: Path) -> None:
    folder = tmp_path / "evidence"
    folder.mkdir()
    os.mkfifo(folder / "pipe.pdf")
    with pytest.raises(EvidencePathError, match="named pipe, not a file") as raised:
        resolve_evidence(folder, "pipe.pdf")
    assert raised.value.code == "evidence-not-file"


def _bundle(tmp: Path, files: dict[str, bytes]) -> dict[str, Any]:
    evidence = tmp / "evidence"
    evidence.mkdir(exist_ok=True)
    rows = []
    for n, (rel, data) in enumerate(files.items()):
        (evidence / rel).write_bytes(data)
        rows.append((f"EV-{n:02d}", f"File {rel}", rel, "d1", "Grace Kim"))
    workbook = evidence_rows(rows, tmp)
    out = tmp / "out"
    code, stdout, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out", str(out),
                                "--allow-incomplete")
    import json

    manifest = json.loads((out / RID / f"{RID}-bundle-manifest.json").read_text())
    return {"code": code, "stdout": stdout, "err": err, "pdf": out / RID / f"{RID}-bundle.pdf",
            "files": {f["file"]: f for f in manifest["files"]}}


def _unbalanced() -> bytes:
    """A page whose content pops one more graphics state than it saved and then scales
    everything by 3 (poppler and Acrobat show it; a stamp drawn after it would be off the page)."""
    with pikepdf.open(io.BytesIO(awkward.text_pdf(1, "unbalanced"))) as pdf:
        page = pdf.pages[0]
        page.contents_add(pdf.make_stream(b"Q Q 3 0 0 3 0 0 cm 0.2 w"), prepend=False)
        return awkward.save(pdf)


def _empty_signature_field() -> bytes:
    with pikepdf.open(io.BytesIO(awkward.text_pdf(1, "to be signed"))) as pdf:
        field = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Sig,
            T=pikepdf.String("approver"), Rect=pikepdf.Array([50, 50, 200, 90]), P=pdf.pages[0].obj))
        pdf.pages[0].obj.Annots = pikepdf.Array([field])
        pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array([field]), SigFlags=1)
        return awkward.save(pdf)


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _bundle(tmp_path_factory.mktemp("intake"), {"empty.txt": b"", "empty.docx": b"",
        "to-sign.pdf": _empty_signature_field(), "plain.pdf": awkward.text_pdf(1, "plain")})


def test_the_stamp_is_where_it_belongs_whatever_the_page_content_leaves_behind(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # a bundle too big to validate shows such a page (a small one attaches it: PDF/A forbids it)
    from pipeline.bundle import archive

    monkeypatch.setattr(archive, "VALIDATE_PAGES", 0)
    built = _bundle(tmp_path, {"unbalanced.pdf": _unbalanced(), "plain.pdf": awkward.text_pdf(1, "plain")})
    entry = built["files"]["unbalanced.pdf"]
    assert entry["pages"] == 1 and entry["attachment"] is None, entry
    page = entry["first_page"]
    with pikepdf.open(built["pdf"]) as pdf:
        total = len(pdf.pages)
    text = subprocess.run(["pdftotext", "-f", str(page), "-l", str(page), str(built["pdf"]), "-"],
                          capture_output=True, text=True, check=True).stdout
    assert f"Page {page} of {total}" in text and "EV-00" in text, text
    plain = built["files"]["plain.pdf"]["first_page"]
    for number in (page, plain):  # the foot of both pages carries the same dark stamp text
        foot = np.asarray(_rendered(built["pdf"], tmp_path, number, 72)).astype(int)
        band = foot[-int(foot.shape[0] * 0.04):]
        assert (band.sum(axis=2) < 450).sum() > 40, (number, (band.sum(axis=2) < 450).sum())


def test_empty_files_are_named_and_not_included(intake: dict[str, Any]) -> None:
    for rel in ("empty.txt", "empty.docx"):
        status = intake["files"][rel]["status"]
        assert status.startswith(f"'{rel}' is empty (0 bytes)"), status


def test_an_empty_signature_field_is_not_called_a_signature(intake: dict[str, Any]) -> None:
    notes = intake["files"]["to-sign.pdf"]["notes"]
    assert not any("digitally signed" in n for n in notes), notes


def _hidden_layer() -> bytes:
    """A CAD-style PDF: a layer that is off until the reader turns it on."""
    with pikepdf.open(io.BytesIO(awkward.text_pdf(1, "layers"))) as pdf:
        layer = pdf.make_indirect(pikepdf.Dictionary(Type=pikepdf.Name.OCG, Name=pikepdf.String("Draft")))
        page = pdf.pages[0]
        page.obj.Resources.Properties = pikepdf.Dictionary(oc1=layer)
        page.contents_add(pdf.make_stream(b"/OC /oc1 BDC BT /F1 24 Tf 72 300 Td (HIDDEN LAYER TEXT) Tj "
                                          b"ET EMC"), prepend=False)
        pdf.Root.OCProperties = pikepdf.Dictionary(OCGs=pikepdf.Array([layer]), D=pikepdf.Dictionary(
            OFF=pikepdf.Array([layer])))
        return awkward.save(pdf)


@pytest.mark.parametrize("validated", [True, False])
def test_a_file_with_hidden_layers_is_attached_whatever_the_bundle_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validated: bool) -> None:
    # copied pages lose the file's default view (qpdf does not carry /OCProperties): shown, its
    # hidden layer would appear; a bundle too large to validate must not show it either
    from pipeline.bundle import archive

    if not validated:
        monkeypatch.setattr(archive, "VALIDATE_PAGES", 0)
    built = _bundle(tmp_path, {"layers.pdf": _hidden_layer()})
    entry = built["files"]["layers.pdf"]
    assert entry["attachment"] and any("layers hidden" in n for n in entry["notes"]), entry
    text = subprocess.run(["pdftotext", str(built["pdf"]), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert "HIDDEN LAYER TEXT" not in text


def _tiny_and_scaled() -> dict[str, bytes]:
    tiny = pikepdf.new()
    tiny.add_blank_page(page_size=(20, 20))
    scaled = pikepdf.new()
    page = scaled.add_blank_page(page_size=(100, 140))
    page.obj.UserUnit = 10  # a poster: 1,000 x 1,400 points
    return {"tiny.pdf": awkward.save(tiny), "poster.pdf": awkward.save(scaled)}


def test_the_stamp_is_whole_on_a_tiny_page_and_to_scale_on_a_user_unit_page(tmp_path: Path) -> None:
    built = _bundle(tmp_path, _tiny_and_scaled())
    with pikepdf.open(built["pdf"]) as pdf:
        total, pages = len(pdf.pages), list(pdf.pages)
        for rel in ("tiny.pdf", "poster.pdf"):
            number = built["files"][rel]["first_page"]
            text = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(built["pdf"]),
                                   "-"], capture_output=True, text=True, check=True).stdout
            assert f"Page {number} of {total}" in text, (rel, text)
            box = [float(v) for v in pages[number - 1].mediabox]
            unit = float(pages[number - 1].obj.get("/UserUnit", 1))
            band = next(s for s in pages[number - 1].obj.Contents if b"Page " in s.read_bytes())
            scale = float(band.read_bytes().split(b" cm ")[0].split()[-6])
            if rel == "tiny.pdf":  # widened for the stamp, which keeps its size
                assert box[2] - box[0] > 300 and scale == 1.0, (box, scale)
            else:  # drawn a tenth the size in user space: the same size on paper
                assert unit == 10 and abs(scale - 0.1) < 1e-9 and box[2] - box[0] == 100, (box, scale)


def test_an_office_name_on_other_content_is_refused(tmp_path: Path) -> None:
    from pipeline.bundle.kinds import Refused

    page = tmp_path / "minutes.doc"  # a web page saved as .doc: LibreOffice would open it as one
    page.write_bytes(b"<html><body><iframe src='file:///etc/hostname'></iframe></body></html>")
    with pytest.raises(Refused, match="not an Office document"):
        classify(page, "minutes.doc")
    rtf = tmp_path / "letter.rtf"
    rtf.write_bytes(b"{\\rtf1\\ansi Hello}")
    assert classify(rtf, "letter.rtf").kind == "office"


def test_a_vba_project_under_any_part_name_is_found(tmp_path: Path) -> None:
    import zipfile

    from pipeline.bundle.kinds import Refused

    source = tmp_path / "plain.docx"
    source.write_bytes(awkward.docx_file())
    hidden = tmp_path / "hidden.docx"
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(hidden, "w") as out:
        for item in original.infolist():
            data = original.read(item)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/word/macrosxyz.bin" '
                                    b'ContentType="application/vnd.ms-office.vbaProject"/></Types>')
            out.writestr(item, data)
        out.writestr("word/macrosxyz.bin", b"\xd0\xcf\x11\xe0 a VBA project")
    assert classify(source, "plain.docx").kind == "office"
    with pytest.raises(Refused, match="macros"):
        classify(hidden, "hidden.docx")


def test_an_object_graph_that_loops_through_arrays_is_walked_once() -> None:
    from pipeline.bundle.sanitize import strip_active

    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        loop = pdf.make_indirect(pikepdf.Array([]))
        loop.append(loop)  # an array that holds itself
        spec = pikepdf.AttachedFileSpec(pdf, b"MZ", filename="deep.exe").obj
        loop.append(pikepdf.Array([spec]))
        pdf.pages[0].obj.Private = loop
        removed = strip_active(pdf)
        inner = pdf.pages[0].obj.Private[1]  # the list the file was in: now without it
        assert len(inner) == 0
    assert [r.what for r in removed] == ["an embedded file 'deep.exe' (in a list)"], removed
