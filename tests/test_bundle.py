"""The evidence bundle over awkward real-world PDFs: structure, bookmarks, links, stamps as
displayed, manifest hashes, problems, INCOMPLETE marking, verification, signing."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest
from openpyxl import load_workbook

from pipeline.bundle.assemble import stamp_matrix

from . import awkward_pdfs as make
from .conftest import FINAL, run_cli

RID = "MR-2026-H2"
GREEK, CYRILLIC, CJK = "Έλεγχος πρόσβασης", "Дмитрий Иванов", "供应商审核报告"


def evidence_rows(rows: list[tuple[str, str, str, str, str]], tmp: Path) -> Path:
    wb = load_workbook(FINAL)
    ws = wb["Evidence"]
    ws.delete_rows(5, ws.max_row)
    for eid, title, rel, refs, owner in rows:
        ws.append([eid, title, rel, refs, owner, dt.datetime(2026, 11, 1)])
    path = tmp / "review.xlsx"
    wb.save(path)
    return path


GOOD_FILES: list[tuple[str, str, str, str, str, Any]] = [
    ("EV-R90", "Rotated 90", "rot/r90.pdf", "d3", "Grace Kim", lambda t: make.rotated(90)),
    ("EV-R180", "Rotated 180", "rot/r180.pdf", "d3", "Grace Kim", lambda t: make.rotated(180)),
    ("EV-R270", "Rotated 270", "rot/r270.pdf", "d3", "Grace Kim", lambda t: make.rotated(270)),
    ("EV-OFF", "Offset media box", "offset.pdf", "d1", "Liam Walsh", lambda t: make.offset_mediabox()),
    ("EV-CROP", "Small crop box", "crop.pdf", "d1", "Liam Walsh", lambda t: make.small_cropbox()),
    ("EV-MIX", "Landscape A4, A3 and Letter", "mixed.pdf", "d2", "Grace Kim", lambda t: make.mixed_sizes()),
    ("EV-ENC", "Owner-password only", "enc.pdf", "a", "Priya Natarajan", lambda t: make.encrypted("")),
    ("EV-OUT1", "Outline one", "outline1.pdf", "b", "Priya Natarajan",
     lambda t: make.with_outline_and_named_dests("one")),
    ("EV-OUT2", "Outline two", "outline2.pdf", "b", "Priya Natarajan",
     lambda t: make.with_outline_and_named_dests("two")),
    ("EV-F1", "Form one", "form1.pdf", "c", "Rachel Moore", lambda t: make.with_form_field("first")),
    ("EV-F2", "Form two", "form2.pdf", "c", "Rachel Moore", lambda t: make.with_form_field("second")),
    ("EV-SIG", "Signed source", "signed.pdf", "f", "Rachel Moore", make.signed_pdf),
    ("EV-LONG", "Thousand pages", "long.pdf", "g", "Marcus Obi", lambda t: make.text_pdf(1000, "long")),
    ("EV-PNG", "Network diagram", "diagram.png", "e", CYRILLIC, lambda t: make.png()),
    ("EV-DOCX", "Supplier policy", "policy.docx", "d4", "Tom Becker", lambda t: make.docx_file()),
    ("EV-CSV", "Raw export", "export.csv", "g", "Marcus Obi", lambda t: b"a,b\n1,2\n"),
    ("EV-XLSX", "Access review workbook", "access.xlsx", "d1", "Liam Walsh", lambda t: make.xlsx_file()),
    ("EV-ODT", "Policy in OpenDocument", "policy.odt", "d4", "Tom Becker", make.odt_file),
    ("EV-GR", GREEK, "greek.pdf", "e", CYRILLIC, lambda t: make.text_pdf(1, "greek")),
    ("EV-CJK", CJK, "cjk.pdf", "e", "王伟", lambda t: make.text_pdf(1, "cjk")),
]


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tmp = tmp_path_factory.mktemp("bundle")
    evidence = tmp / "evidence"
    for _, _, rel, _, _, maker in GOOD_FILES:
        (evidence / rel).parent.mkdir(parents=True, exist_ok=True)
        (evidence / rel).write_bytes(maker(tmp))
    rows = [(eid, title, rel, refs, owner) for eid, title, rel, refs, owner, _ in GOOD_FILES]
    rows.append(("EV-DUP", "Rotated 90 again", "rot/r90.pdf", "f", "Grace Kim"))  # cited twice
    workbook = evidence_rows(rows, tmp)
    out = tmp / "out"
    code, stdout, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out", str(out))
    assert code == 0, err
    pdf_path = out / RID / f"{RID}-bundle.pdf"
    manifest = json.loads((out / RID / f"{RID}-bundle-manifest.json").read_text("utf-8"))
    return {"pdf": pdf_path, "manifest": manifest, "evidence": evidence, "workbook": workbook,
            "tmp": tmp, "stdout": stdout}


def part(manifest: dict[str, Any], key: str) -> dict[str, Any]:
    return next(p for p in manifest["parts"] if p["key"] == key)


def test_page_count_and_parts(good: dict[str, Any]) -> None:
    manifest = good["manifest"]
    with pikepdf.open(good["pdf"]) as pdf:
        assert len(pdf.pages) == manifest["pages"]
    assert sum(p["pages"] for p in manifest["parts"]) == manifest["pages"]
    assert part(manifest, "ev:EV-LONG")["pages"] == 1000
    assert part(manifest, "ev:EV-MIX")["pages"] == 3
    assert [p["key"] for p in manifest["parts"][:3]] == ["cover", "index", "matrix"]
    assert manifest["parts"][-1]["key"] == "manifest" and manifest["status"] == "COMPLETE"
    order = [p["key"] for p in manifest["parts"] if p["key"].startswith("sep:")]
    assert order == ["sep:a", "sep:b", "sep:c", "sep:d1", "sep:d2", "sep:d3", "sep:d4", "sep:e",
                     "sep:f", "sep:g"]


def test_same_file_cited_twice_is_included_once(good: dict[str, Any]) -> None:
    files = good["manifest"]["files"]
    r90 = next(f for f in files if "EV-R90" in f["evidence_ids"])
    assert r90["evidence_ids"] == ["EV-R90", "EV-DUP"]
    assert sum("EV-DUP" in f["evidence_ids"] for f in files) == 1


def test_manifest_hashes_are_of_the_original_files(good: dict[str, Any]) -> None:
    for entry in good["manifest"]["files"]:
        data = (good["evidence"] / entry["file"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(data).hexdigest(), entry["file"]
        assert entry["bytes"] == len(data)
    with pikepdf.open(good["pdf"]) as pdf:
        embedded = json.loads(pdf.attachments["manifest.json"].get_file().read_bytes())
        assert embedded["files"] == good["manifest"]["files"]
        assert {"review.xlsx", "manifest.json", "EV-SIG-signed.pdf", "EV-CSV-export.csv"} <= set(
            pdf.attachments)


def outline(pdf: pikepdf.Pdf) -> list[Any]:
    def walk(items: list[Any]) -> list[Any]:
        return [(i.title, walk(list(i.children))) for i in items]

    with pdf.open_outline() as tree:
        return walk(list(tree.root))


def test_bookmarks_nest_part_document_and_source_outline(good: dict[str, Any]) -> None:
    with pikepdf.open(good["pdf"]) as pdf:
        tree = outline(pdf)
    assert [t for t, _ in tree] == ["Cover and document control", "Index", "Clause coverage matrix",
                                    "Evidence by input", "Approval and signature",
                                    "Manifest of source files"]
    groups = dict(tree[3][1])
    b = dict(groups["9.3.2 b) Changes in external and internal issues relevant to the ISMS"])
    assert b["EV-OUT1 Outline one"] == [("one chapter 1", [("one section 1.1", [])]),
                                        ("one chapter 2", [])]
    assert "EV-OUT2 Outline two" in b


def dest_page(pdf: pikepdf.Pdf, annot: Any) -> int:
    pages = {page.obj.objgen: i for i, page in enumerate(pdf.pages)}
    return pages[annot.Dest[0].objgen]


def test_index_links_land_on_each_part(good: dict[str, Any]) -> None:
    manifest = good["manifest"]
    starts = {p["first_page"] - 1 for p in manifest["parts"]}
    index = part(manifest, "index")
    with pikepdf.open(good["pdf"]) as pdf:
        targets = set()
        for i in range(index["first_page"] - 1, index["first_page"] - 1 + index["pages"]):
            for annot in pdf.pages[i].obj.get("/Annots", []):
                targets.add(dest_page(pdf, annot))
    assert targets == starts


def test_named_destinations_stay_inside_their_own_file(good: dict[str, Any]) -> None:
    manifest = good["manifest"]
    with pikepdf.open(good["pdf"]) as pdf:
        for key in ("ev:EV-OUT1", "ev:EV-OUT2"):
            first = part(manifest, key)["first_page"] - 1
            (annot,) = pdf.pages[first].obj.Annots
            assert dest_page(pdf, annot) == first + 2  # its own page 3, not the other file's


def test_forms_are_flattened_and_their_originals_attached(good: dict[str, Any]) -> None:
    files = {f["evidence_ids"][0]: f for f in good["manifest"]["files"]}
    with pikepdf.open(good["pdf"]) as pdf:
        assert "/AcroForm" not in pdf.Root  # nothing fillable, nothing that differs by viewer
        for eid in ("EV-F1", "EV-F2"):
            page = pdf.pages[files[eid]["first_page"] - 1]
            assert all(a.get("/Subtype") != pikepdf.Name.Widget for a in page.obj.get("/Annots", []))
            assert files[eid]["attachment"] in pdf.attachments
            assert any("flattened" in n for n in files[eid]["notes"])
    with pdfplumber.open(good["pdf"]) as plumber:
        for eid, value in (("EV-F1", "first"), ("EV-F2", "second")):
            text = plumber.pages[files[eid]["first_page"] - 1].extract_text() or ""
            assert text.count(value) >= 2, text  # the title line and the flattened field value


def test_signed_source_is_attached_and_its_field_removed(good: dict[str, Any]) -> None:
    entry = next(f for f in good["manifest"]["files"] if f["evidence_ids"] == ["EV-SIG"])
    assert any("digitally signed" in n for n in entry["notes"])
    first = entry["first_page"] - 1
    with pikepdf.open(good["pdf"]) as pdf:
        annots = pdf.pages[first].obj.get("/Annots", [])
        assert all(a.get("/FT") != pikepdf.Name.Sig for a in annots)


# a bundle made outside a build, from the approved workbook: the record, with its approval date
STAMP = re.compile(r"MR-2026-H2 · Internal · RECORD v1\.0 — approved \d{1,2} \w{3} \d{4} · "
                   r"Page (\d+) of (\d+)")


def displayed_frame(pdf_path: Path, index: int, page: Any) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of the page as displayed, in pdfplumber's coordinates."""
    with pikepdf.open(pdf_path) as pdf:
        obj = pdf.pages[index].obj
        rotate = int(obj.get("/Rotate", 0))
        box = [float(v) for v in obj.get("/CropBox", obj.MediaBox)]
    if rotate:  # pdfplumber's frame of a rotated page (offset when the box does not start at 0)
        x0, top, x1, bottom = page.bbox
        return float(x0), float(top), float(x1), float(bottom)
    return box[0], page.height - box[3], box[2], page.height - box[1]


def stamp_chars(page: Any, frame: tuple[float, float, float, float]) -> tuple[str, float]:
    """The upright characters at the foot of the displayed page: (text, centre x)."""
    left, _, right, bottom = frame
    chars = sorted((c for c in page.chars if c["upright"] and bottom - 20 < c["bottom"] <= bottom + 0.5
                    and left <= c["x0"] <= right), key=lambda c: c["x0"])
    if not chars:
        return "", 0.0
    return "".join(c["text"] for c in chars), (chars[0]["x0"] + chars[-1]["x1"]) / 2


@pytest.mark.parametrize("key", ["cover", "index", "matrix", "ev:EV-R90", "ev:EV-R180", "ev:EV-R270",
                                 "ev:EV-OFF", "ev:EV-CROP", "ev:EV-MIX", "ev:EV-PNG", "ev:EV-DOCX",
                                 "manifest"])
def test_stamp_is_upright_at_the_foot_of_the_displayed_page(good: dict[str, Any], key: str) -> None:
    info = part(good["manifest"], key)
    total = good["manifest"]["pages"]
    with pdfplumber.open(good["pdf"]) as pdf:
        for index in range(info["first_page"] - 1, info["first_page"] - 1 + min(info["pages"], 3)):
            page = pdf.pages[index]
            frame = displayed_frame(good["pdf"], index, page)
            text, centre = stamp_chars(page, frame)
            match = STAMP.search(text.replace("\xa0", " "))
            assert match, (key, index, text)
            assert (int(match.group(1)), int(match.group(2))) == (index + 1, total)
            assert abs(centre - (frame[0] + frame[2]) / 2) < 3, (key, centre, frame)


@pytest.mark.parametrize("rotate", [0, 90, 180, 270])
def test_stamp_matrix_maps_to_the_displayed_foot(rotate: int) -> None:
    box = (100.0, 200.0, 700.0, 1000.0)  # 600 x 800, offset origin
    a, b, c, d, e, f = stamp_matrix(box, rotate, 100)
    origin = (e, f)  # where the stamp's own (0, 0) lands in user space
    expected = {0: (350.0, 208.0), 90: (692.0, 550.0), 180: (450.0, 992.0), 270: (108.0, 650.0)}
    assert origin == pytest.approx(expected[rotate])
    # the text runs rightwards on the displayed page: user-space direction of the stamp's x axis
    direction = {0: (1, 0, 0, 1), 90: (0, 1, -1, 0), 180: (-1, 0, 0, -1), 270: (0, -1, 1, 0)}
    assert (a, b, c, d) == direction[rotate]


def test_unicode_names_are_real_text(good: dict[str, Any]) -> None:
    index, manifest = part(good["manifest"], "index"), part(good["manifest"], "manifest")
    with pdfplumber.open(good["pdf"]) as pdf:
        def text_of(info: dict[str, Any]) -> str:
            first = info["first_page"] - 1
            return "".join(pdf.pages[i].extract_text() or ""
                           for i in range(first, first + info["pages"])).replace("\n", "")

        index_text, manifest_text = text_of(index), text_of(manifest)
    for text in (GREEK, CJK):  # titles: in the index and the manifest
        assert text in index_text and text in manifest_text, text
    assert CYRILLIC in manifest_text  # an owner: in the manifest


def test_non_pdf_evidence_becomes_pages_or_attachments(good: dict[str, Any]) -> None:
    files = {f["evidence_ids"][0]: f for f in good["manifest"]["files"]}
    assert files["EV-PNG"]["kind"] == "image" and files["EV-PNG"]["pages"] == 1
    assert files["EV-DOCX"]["kind"] == "office" and files["EV-DOCX"]["pages"] >= 1
    assert files["EV-CSV"]["kind"] == "attachment"
    assert files["EV-XLSX"]["kind"] == "office" and files["EV-XLSX"]["pages"] >= 1
    assert files["EV-ODT"]["kind"] == "office" and files["EV-ODT"]["pages"] >= 1
    with pdfplumber.open(good["pdf"]) as pdf:
        docx_page = pdf.pages[files["EV-DOCX"]["first_page"] - 1].extract_text() or ""
        xlsx_page = pdf.pages[files["EV-XLSX"]["first_page"] - 1].extract_text() or ""
        odt_page = pdf.pages[files["EV-ODT"]["first_page"] - 1].extract_text() or ""
        png_page = pdf.pages[files["EV-PNG"]["first_page"] - 1]
    assert "Supplier security policy" in docx_page and "Supplier security policy" in odt_page
    assert "j.doe" in xlsx_page
    assert png_page.width > png_page.height  # a wide image stays landscape


def test_verify_says_unsigned_and_a_flipped_byte_is_broken(good: dict[str, Any], tmp_path: Path) -> None:
    code, out, _ = run_cli("verify", str(good["pdf"]), "--evidence", str(good["evidence"]))
    assert code == 4 and "UNSIGNED" in out and "INTACT" not in out.replace("UNSIGNED", "")
    copy = tmp_path / good["pdf"].name
    data = bytearray(good["pdf"].read_bytes())
    data[len(data) // 2] ^= 0x01
    copy.write_bytes(bytes(data))
    (tmp_path / good["pdf"].with_name(f"{RID}-bundle-manifest.json").name).write_bytes(
        good["pdf"].with_name(f"{RID}-bundle-manifest.json").read_bytes())
    code, out, _ = run_cli("verify", str(copy))
    assert code == 1 and "BROKEN" in out and "SHA-256 differs" in out


def test_verify_notices_a_changed_source_file(good: dict[str, Any], tmp_path: Path) -> None:
    import shutil

    evidence = tmp_path / "evidence"
    shutil.copytree(good["evidence"], evidence)
    (evidence / "crop.pdf").write_bytes((evidence / "crop.pdf").read_bytes() + b"\n% changed\n")
    code, out, _ = run_cli("verify", str(good["pdf"]), "--evidence", str(evidence))
    assert code == 1 and "EV-CROP" in out and "BROKEN" in out


BAD_FILES = [("EV-PW", "Needs a password", "pw.pdf", lambda: make.encrypted("open-sesame")),
             ("EV-JUNK", "Corrupt", "junk.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8),
             ("EV-ZERO", "No pages", "zero.pdf", make.zero_pages)]


@pytest.fixture
def bad(tmp_path: Path) -> tuple[Path, Path]:
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "ok.pdf").write_bytes(make.text_pdf(2, "ok"))
    (evidence / "trunc.pdf").write_bytes(make.text_pdf(3, "t")[:300])
    rows = [("EV-OK", "Fine", "ok.pdf", "a", "Liam Walsh"),
            ("EV-TRUNC", "Truncated", "trunc.pdf", "a", "Liam Walsh")]
    for eid, title, rel, maker in BAD_FILES:
        (evidence / rel).write_bytes(maker())
        rows.append((eid, title, rel, "a", "Liam Walsh"))
    rows.append(("EV-MISS", "Not there", "missing.pdf", "b", "Liam Walsh"))
    (tmp_path / "outside.pdf").write_bytes(make.text_pdf(1, "outside"))
    rows.append(("EV-OUTSIDE", "Outside", "../outside.pdf", "b", "Liam Walsh"))
    return evidence_rows(rows, tmp_path), evidence


def test_bad_evidence_fails_listing_every_problem(bad: tuple[Path, Path], tmp_path: Path) -> None:
    workbook, evidence = bad
    out = tmp_path / "out"
    code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out", str(out))
    assert code == 1 and "Traceback" not in err
    for eid in ("EV-PW", "EV-JUNK", "EV-ZERO", "EV-MISS", "EV-OUTSIDE"):
        assert eid in err, eid
    assert "password" in err and "--allow-incomplete" in err
    assert not (out / RID / f"{RID}-bundle.pdf").exists()


def test_allow_incomplete_marks_the_bundle(bad: tuple[Path, Path], tmp_path: Path) -> None:
    workbook, evidence = bad
    out = tmp_path / "out"
    code, stdout, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out",
                                str(out), "--allow-incomplete")
    assert code == 0, err
    assert "INCOMPLETE" in stdout and "EV-PW" in err
    pdf_path = out / RID / f"{RID}-bundle.pdf"
    manifest = json.loads((out / RID / f"{RID}-bundle-manifest.json").read_text("utf-8"))
    assert manifest["status"].startswith("INCOMPLETE (5 item(s) missing)")
    truncated = next(f for f in manifest["files"] if f["evidence_ids"] == ["EV-TRUNC"])
    assert truncated["status"] == "included" and "repaired" in truncated["notes"][0]
    with pdfplumber.open(pdf_path) as pdf:
        cover = pdf.pages[0].extract_text() or ""
        index = pdf.pages[1].extract_text() or ""
        missing = next(f for f in manifest["files"] if f["evidence_ids"] == ["EV-PW"])
        placeholder = pdf.pages[missing["first_page"] - 1].extract_text() or ""
    assert "Completeness: INCOMPLETE" in cover
    assert "[MISSING]" in index
    assert "MISSING FROM THIS BUNDLE" in placeholder and "password" in placeholder
    code, out_text, _ = run_cli("verify", str(pdf_path))
    assert code == 4 and "marked INCOMPLETE" in out_text


def test_signed_bundle_verifies_and_a_modified_one_does_not(
        good: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from .pki import identity

    signer = identity("Priya Natarajan (ISMS)")
    key, cert = signer.p12(tmp_path / "auditor.p12", "s3cret"), signer.pem(tmp_path / "auditor.pem")
    monkeypatch.setenv("ISMS_REVIEW_SIGN_PASSWORD", "s3cret")
    out = tmp_path / "signed"
    code, _, err = run_cli("bundle", str(good["workbook"]), "--evidence", str(good["evidence"]),
                           "--out", str(out), "--sign", str(key))
    assert code == 0, err
    signed = out / RID / f"{RID}-bundle.pdf"
    code, text, _ = run_cli("verify", str(signed), "--trust", str(cert))
    assert code == 0 and "INTACT" in text and "Priya Natarajan (ISMS)" in text
    (out / RID / f"{RID}-bundle-manifest.json").unlink()  # only the signature can tell now
    data = bytearray(signed.read_bytes())
    position = data.find(b"%%EOF") - 40  # inside the signed revision
    data[position] ^= 0x20
    signed.write_bytes(bytes(data))
    code, text, _ = run_cli("verify", str(signed), "--trust", str(cert))
    assert code == 1 and "BROKEN" in text and "Traceback" not in text


def test_same_inputs_give_the_same_bytes(good: dict[str, Any], tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    outputs = []
    for name in ("one", "two"):
        code, _, err = run_cli("bundle", str(good["workbook"]), "--evidence", str(good["evidence"]),
                               "--out", str(tmp_path / name))
        assert code == 0, err
        outputs.append((tmp_path / name / RID / f"{RID}-bundle.pdf").read_bytes())
    assert outputs[0] == outputs[1]


def test_characters_no_font_can_show_are_named(tmp_path: Path) -> None:
    """Devanagari in a title: neither DejaVu nor the fallback fonts (CJK, Symbola for emoji)
    have it, so the bundle says which characters print as boxes; the emoji, CJK and Greek,
    which a font shows, are not named."""
    from pipeline.bundle.pages import uncovered, unshowable

    assert unshowable(uncovered(["Pilot 🚚 पायलट", CJK, GREEK])) == sorted(set("पायलट"))  # Symbola: 🚚
    evidence = tmp_path / "evidence"
    evidence.mkdir()
    (evidence / "one.pdf").write_bytes(make.text_pdf(1, "one"))
    workbook = evidence_rows([("EV-1", "Delivery pilot 🚚 पायलट", "one.pdf", "a", "Priya Natarajan")],
                             tmp_path)
    code, out, err = run_cli("bundle", str(workbook), "--evidence", str(evidence),
                             "--out", str(tmp_path / "out"), "--allow-incomplete", "--json")
    report = json.loads(out)
    named = [f["message"] for f in report["findings"] if "empty boxes" in f["message"]]
    assert code == 0 and len(named) == 1, (out, err)
    assert set("पायलट") <= set(named[0]) and "🚚" not in named[0], named
    bundle = next((tmp_path / "out").rglob("*-bundle.pdf"))
    with pdfplumber.open(bundle) as pdf:  # the emoji is drawn, in the fallback font
        assert "🚚" in (pdf.pages[1].extract_text() or "") + (pdf.pages[2].extract_text() or "")
