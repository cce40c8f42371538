"""Archival PDF/A, checked with pikepdf.pdfa (veraPDF's rules): the example's agenda, pre-read
and minutes are PDF/A-2b, its bundles PDF/A-3b with the workbooks and manifest as associated
files, every font embedded; a source that cannot conform is attached and named, and the rest
still conforms."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from pikepdf import Dictionary, Name, pdfa

from pipeline.bundle.fonts import iter_fonts, number_font

from . import awkward_pdfs as make
from .bundles import small_workbook
from .conftest import run_cli
from .example_pack import Pack

RID = "MR-2026-H2"


def report(path: Path, flavour: str) -> Any:
    return pdfa.validate_written(path, flavour)


@pytest.mark.parametrize(("suffix", "flavour"), [
    ("agenda.pdf", "2b"), ("pre-read.pdf", "2b"), ("minutes-form.pdf", "2b"), ("minutes.pdf", "2b"),
    ("pre-read-bundle.pdf", "3b"), ("bundle.pdf", "3b")])
def test_example_documents_and_bundles_conform(example_pack: Pack, suffix: str, flavour: str) -> None:
    result = report(example_pack.file(suffix), flavour)
    assert result.verdict == "pass", result.summary()


def test_bundle_names_the_level_it_reached(example_pack: Pack) -> None:
    sidecar = json.loads(example_pack.file("bundle-manifest.json").read_text("utf-8"))
    assert sidecar["bundle"]["pdfa"] == "PDF/A-3b" and sidecar["bundle"]["pdfa_findings"] == []
    assert sidecar["archival"].startswith("PDF/A-3b")
    with pikepdf.open(example_pack.file("bundle.pdf")) as pdf:
        meta = pdf.open_metadata()
        assert (meta["pdfaid:part"], meta["pdfaid:conformance"]) == ("3", "B")
        assert "/OutputIntents" in pdf.Root
        relationships = {str(spec.get("/UF") or spec.get("/F")): str(spec.get("/AFRelationship"))
                         for spec in pdf.Root.AF}
    assert relationships["manifest.json"] == "/Data"
    assert relationships["review-final.xlsx"] == "/Source"
    assert relationships["pre-read-workbook-review.xlsx"] == "/Source"


@pytest.mark.parametrize("suffix", ["agenda.pdf", "minutes.pdf", "bundle.pdf"])
def test_every_font_is_embedded(example_pack: Pack, suffix: str) -> None:
    with pikepdf.open(example_pack.file(suffix)) as pdf:
        fonts = list(iter_fonts(pdf))
        assert fonts
        for font in fonts:
            if font.get("/Subtype") == Name.Type3:
                continue
            target = font.DescendantFonts[0] if font.get("/Subtype") == Name.Type0 else font
            descriptor = target.get("/FontDescriptor")
            assert isinstance(descriptor, Dictionary), font.get("/BaseFont")
            assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3")), \
                font.get("/BaseFont")
            assert font.get("/BaseFont") not in (Name.Helvetica, Name("/Helvetica-Bold"))


def test_page_numbers_use_an_embedded_font_with_true_widths() -> None:
    pdf = pikepdf.new()
    font = number_font(pdf)
    from fontTools.ttLib import TTFont

    program = TTFont(io.BytesIO(font.obj.FontDescriptor.FontFile2.read_bytes()))
    cmap, advances = program.getBestCmap(), program["hmtx"].metrics
    scale = 1000 / program["head"].unitsPerEm
    for char in " ·Page0123456789of":
        code = char.encode("cp1252")[0]
        assert font.widths[code] == round(advances[cmap[ord(char)]][0] * scale), char
    assert font.width(" · Page 12 of 40", 10) > 0


def test_a_source_that_cannot_conform_is_attached_and_the_rest_conforms(tmp_path: Path) -> None:
    workbook, evidence = small_workbook(tmp_path)
    (evidence / "b.pdf").write_bytes(_cmyk_and_symbol())  # EV-B: device CMYK and a Symbol font
    out = tmp_path / "out"
    code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out", str(out))
    assert code == 0, err
    path = out / RID / f"{RID}-bundle.pdf"
    assert report(path, "3b").verdict == "pass", report(path, "3b").summary()
    manifest = json.loads((out / RID / f"{RID}-bundle-manifest.json").read_text("utf-8"))
    entry = next(f for f in manifest["files"] if f["evidence_ids"] == ["EV-B"])
    why = " ".join(entry["notes"])
    assert entry["kind"] == "attachment" and "cannot be part of a PDF/A file" in why
    assert "Symbol" in why
    others = [f for f in manifest["files"] if f["evidence_ids"] != ["EV-B"]]
    assert all(f["kind"] == "pdf" and f["pages"] > 0 for f in others)
    with pikepdf.open(path) as pdf:
        assert "EV-B-b.pdf" in pdf.attachments
        import pdfplumber

    with pdfplumber.open(path) as plumber:
        page = plumber.pages[entry["first_page"] - 1].extract_text() or ""
    assert "cannot be part of a PDF/A file" in page.replace("\n", " ")


def test_device_cmyk_alone_is_traced_to_its_source(tmp_path: Path) -> None:
    workbook, evidence = small_workbook(tmp_path)
    (evidence / "c.pdf").write_bytes(_cmyk_and_symbol(symbol=False))
    out = tmp_path / "out"
    code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out", str(out))
    assert code == 0, err
    path = out / RID / f"{RID}-bundle.pdf"
    assert report(path, "3b").verdict == "pass"
    manifest = json.loads((out / RID / f"{RID}-bundle-manifest.json").read_text("utf-8"))
    entry = next(f for f in manifest["files"] if f["evidence_ids"] == ["EV-C"])
    assert entry["kind"] == "attachment" and "CMYK" in " ".join(entry["notes"])


def _cmyk_and_symbol(symbol: bool = True) -> bytes:
    pdf = pikepdf.open(io.BytesIO(make.text_pdf(2, "colour")))
    page = pdf.pages[1]
    page.contents_add(pdf.make_stream(b"0.1 0.2 0.3 0.4 k 10 10 100 100 re f"
                                      + (b" BT /Sym 12 Tf 50 700 Td (abc) Tj ET" if symbol else b"")))
    if symbol:
        page.obj.Resources.Font.Sym = pdf.make_indirect(Dictionary(
            Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Symbol))
    buffer = io.BytesIO()
    pdf.save(buffer)
    return buffer.getvalue()


def test_over_the_page_budget_the_bundle_says_it_was_not_validated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.bundle import archive

    monkeypatch.setattr(archive, "VALIDATE_PAGES", 3)  # the small bundle has 7 evidence pages
    workbook, evidence = small_workbook(tmp_path)
    out = tmp_path / "out"
    code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out", str(out))
    assert code == 0, err
    sidecar = json.loads((out / RID / f"{RID}-bundle-manifest.json").read_text("utf-8"))
    assert sidecar["bundle"]["pdfa"] == "not validated"
    archival = sidecar["archival"]
    assert archival.startswith("PDF/A-3b not claimed") and "does not declare" in archival
    import pdfplumber

    with pdfplumber.open(out / RID / f"{RID}-bundle.pdf") as pdf:
        assert "PDF/A-3b not claimed" in (pdf.pages[0].extract_text() or "").replace("\n", " ")
    with pikepdf.open(out / RID / f"{RID}-bundle.pdf") as made:  # nor does the XMP claim it
        meta = made.open_metadata()
        assert "pdfaid:part" not in meta and "pdfaid:conformance" not in meta
    # the auditor can validate it, signed or not: verify --pdfa says how far it conforms
    code, text, _ = run_cli("verify", str(out / RID / f"{RID}-bundle.pdf"), "--pdfa", "--json")
    report = json.loads(text)
    assert report["pdfa"] == {"level": "none", "declared": False, "findings": [],
                              "as_declared": "PDF/A-3b", "revision": 1}


def test_verify_pdfa_checks_the_bundle_as_made_under_a_signature(tmp_path: Path) -> None:
    from .bundles import PASSWORD, copy_of
    from .pki import identity

    workbook, evidence = small_workbook(tmp_path)
    out = tmp_path / "out"
    code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out", str(out))
    assert code == 0, err
    signed = copy_of(out / RID / f"{RID}-bundle.pdf", tmp_path / "s")
    from pipeline.bundle.approve import approve

    approve(signed, identity("Helen Carter").p12(tmp_path / "k.p12", PASSWORD), PASSWORD)
    code, text, _ = run_cli("verify", str(signed), "--pdfa")
    assert "PDF/A-3b: the bundle as made (revision 1) passes pikepdf.pdfa" in text


def test_a_document_that_fails_pdfa_loses_its_claim(tmp_path: Path) -> None:
    """A meeting document whose PDF/A-2b validation fails is written without pdfaid: no
    unbacked claim (here: a standard-14 font that is not embedded)."""
    import datetime as dt

    from fpdf import FPDF

    from pipeline.documents.pdfnorm import normalise_pdf

    doc = FPDF()
    doc.add_page()
    doc.set_font("Helvetica", size=12)
    doc.cell(text="Minutes with a font that is not embedded")
    path = tmp_path / "minutes.pdf"
    path.write_bytes(bytes(doc.output()))
    conformance = normalise_pdf(path, dt.datetime(2026, 11, 30, 17, tzinfo=dt.UTC), "Minutes", "ciso")
    assert not conformance.passed and "not PDF/A-2b" in conformance.summary()
    with pikepdf.open(path) as pdf:
        meta = pdf.open_metadata()
        assert "pdfaid:part" not in meta and "pdfaid:conformance" not in meta
    assert not pdfa.validate_written(path, "2b").passed


def test_a_conforming_document_keeps_its_claim(example_pack: Pack) -> None:
    with pikepdf.open(example_pack.file("pre-read.pdf")) as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "2"


def _validate_failing(name: str) -> Any:
    from pipeline import archival

    real = archival.validate

    def fake(data: Any, flavour: str) -> archival.Conformance:
        if isinstance(data, Path) and name in data.name:
            return archival.Conformance(flavour, False, ["a font is not embedded: test"])
        return real(data, flavour)

    return fake


def test_a_meeting_document_failing_its_check_is_issued_without_the_claim_and_bundled_as_issued(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The documents are validated beside the bundle (in a child); when one fails, it loses its
    claim, the build says so, and the bundle is made again from the document as issued."""
    import hashlib

    from pipeline import archival

    from .conftest import EVIDENCE, GOOD
    from .example_pack import EPOCH, RID

    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    monkeypatch.setattr(archival, "validate", _validate_failing("agenda"))
    code, out, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(tmp_path))
    assert code == 0, err
    assert f"{RID}-agenda.pdf is issued without a PDF/A claim" in out + err
    pack = tmp_path / RID / "pre-read"
    with pikepdf.open(pack / f"{RID}-agenda.pdf") as pdf:
        assert "pdfaid:part" not in pdf.open_metadata()
    with pikepdf.open(pack / f"{RID}-pre-read.pdf") as pdf:
        assert pdf.open_metadata().get("pdfaid:part") == "2"  # the others keep theirs
    digest = hashlib.sha256((pack / f"{RID}-agenda.pdf").read_bytes()).hexdigest()
    manifest = (pack / f"{RID}-pre-read-bundle-manifest.json").read_text("utf-8")
    assert digest in manifest, "the bundle must record the agenda as issued"


def test_a_check_that_dies_means_not_validated_never_passed(tmp_path: Path) -> None:
    import os

    from pipeline import archival
    from pipeline.documents.pdfcheck import BackgroundCheck

    def dies(data: Any, flavour: str) -> archival.Conformance:
        os._exit(1)  # in the child: killed, out of memory, a crash in the parser

    path = tmp_path / "doc.pdf"
    pikepdf.new().save(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archival, "validate", dies)
        result = BackgroundCheck([path]).results()[path]
    assert not result.passed and not result.checked and "not validated" in result.summary()


def test_a_check_that_hangs_is_stopped_and_means_not_validated(tmp_path: Path) -> None:
    import time

    from pipeline import archival
    from pipeline.documents.pdfcheck import BackgroundCheck

    def hangs(data: Any, flavour: str) -> archival.Conformance:
        time.sleep(3600)  # in the child: a deadlock, a parser that never ends
        raise AssertionError

    path = tmp_path / "doc.pdf"
    pikepdf.new().save(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(archival, "validate", hangs)
        check = BackgroundCheck([path])
        patch.setattr(check, "time_limit", lambda: 1.0)
        start = time.monotonic()
        result = check.results()[path]
    assert time.monotonic() - start < 30 and not result.checked and not result.passed
