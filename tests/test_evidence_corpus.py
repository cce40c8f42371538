"""The evidence corpus bundled whole: forms from four producers flattened, active content of every
kind removed and listed, hostile names made safe, refused types refused with a fix, broken files
named; one file's unforeseen failure never takes the bundle down."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest

from pipeline.bundle.names import BIDI, safe_name

from .conftest import run_cli
from .evidence_corpus import CORPUS
from .test_bundle import RID, evidence_rows

ACTIVE = {"/JavaScript", "/Launch", "/SubmitForm", "/ImportData", "/ResetForm", "/Movie", "/Sound",
          "/RichMedia", "/GoToR", "/GoToE"}


def _build(tmp: Path, *extra: str, corpus: list[Any] | None = None) -> dict[str, Any]:
    evidence = tmp / "evidence"
    rows = []
    for eid, rel, maker, _ in corpus or CORPUS:
        path = evidence / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(maker(tmp))
        rows.append((eid, f"Corpus {eid}", rel, "d1", "Grace Kim"))
    os.mkfifo(evidence / "pipe.pdf")
    rows.append(("EV-PIPE", "A named pipe", "pipe.pdf", "d1", "Grace Kim"))
    workbook = evidence_rows(rows, tmp)
    out = tmp / "out"
    code, stdout, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out", str(out),
                                "--allow-incomplete", *extra)
    manifest_path = out / RID / f"{RID}-bundle-manifest.json"
    manifest = json.loads(manifest_path.read_text("utf-8")) if manifest_path.exists() else {}
    return {"code": code, "stdout": stdout, "err": err, "manifest": manifest,
            "pdf": out / RID / f"{RID}-bundle.pdf", "evidence": evidence, "workbook": workbook}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _build(tmp_path_factory.mktemp("corpus"))


def files(result: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f["evidence_ids"][0]: f for f in result["manifest"]["files"]}


def test_bundles_whole_except_what_cannot_be_opened(corpus: dict[str, Any]) -> None:
    assert corpus["code"] == 0, corpus["err"]
    entries = files(corpus)
    for eid, _, _, expected in CORPUS:
        status = entries[eid]["status"]
        assert (status == "included") == (expected == "included"), (eid, status)
        if expected != "included":
            assert eid in corpus["err"], eid  # named on the terminal too
    assert entries["EV-PIPE"]["status"].endswith("is a named pipe, not a file; copy the document "
                                                 "itself into the evidence folder.")
    assert "folder" not in entries["EV-PIPE"]["status"].split(";")[0]


def test_no_python_text_reaches_the_user(corpus: dict[str, Any]) -> None:
    text = corpus["stdout"] + corpus["err"]
    for leak in ("Traceback", "Warning:", "PageCopyWarning", "warnings.warn", "<_io.", " at 0x",
                 "internal problem", "ForeignObjectError"):
        assert leak not in text, leak
    for entry in corpus["manifest"]["files"]:
        assert " at 0x" not in json.dumps(entry), entry["evidence_ids"]


def test_refused_types_say_how_to_fix(corpus: dict[str, Any]) -> None:
    entries = files(corpus)
    for eid in ("EV-EXE", "EV-JS", "EV-HTML", "EV-SVG", "EV-DOCM", "EV-VBA", "EV-BAS", "EV-FAKE"):
        assert "export it to PDF" in entries[eid]["status"], eid
    for eid in ("EV-EXE", "EV-JS", "EV-HTML", "EV-SVG", "EV-DOCM", "EV-VBA", "EV-BAS"):
        assert "--attach-as-is" in entries[eid]["status"], eid
    assert "macros" in entries["EV-VBA"]["status"] and "macro-enabled" in entries["EV-DOCM"]["status"]
    big = entries["EV-BIG"]["status"]
    assert "50,000 × 50,000 pixels" in big and "scale it down" in big


def _everything(pdf: pikepdf.Pdf) -> list[pikepdf.Dictionary]:
    """Every dictionary (and stream dictionary) of the file, direct ones included."""
    found: list[pikepdf.Dictionary] = []
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [pdf.trailer, *pdf.objects]
    while stack:
        obj = stack.pop()
        if isinstance(obj, (pikepdf.Dictionary, pikepdf.Stream, pikepdf.Array)):
            if obj.is_indirect:
                if obj.objgen in seen:
                    continue
                seen.add(obj.objgen)
            if isinstance(obj, pikepdf.Array):
                stack.extend(obj)
                continue
            found.append(obj)
            stack.extend(obj[k] for k in obj.keys() if k != "/Parent")  # noqa: SIM118
    return found


def _walk_active(pdf: pikepdf.Pdf) -> list[str]:
    found = []
    for obj in _everything(pdf):
        kind = obj.get("/S")
        if kind is not None and str(kind) in ACTIVE:
            found.append(str(kind))
        if "/JS" in obj or "/XFA" in obj or obj.get("/Subtype") == pikepdf.Name.FileAttachment:
            found.append("script, XFA or attachment annotation")
        uri = obj.get("/URI")
        if uri is not None and not str(uri).startswith(("http://", "https://", "mailto:")):
            found.append(f"URI {uri}")
    return found


def test_nothing_active_reaches_the_auditor(corpus: dict[str, Any]) -> None:
    with pikepdf.open(corpus["pdf"]) as pdf:
        assert _walk_active(pdf) == []
        assert "/OpenAction" not in pdf.Root and "/AA" not in pdf.Root
        uris = {str(o.URI) for o in _everything(pdf) if "/URI" in o}
        # the only embedded files are the bundle's own attachments (none hidden on a page, in
        # an annotation or under a private key)
        listed = {spec.obj.EF.F.objgen for spec in pdf.attachments.values()}
        embedded = {o.objgen for o in _everything(pdf) if o.get("/Type") == pikepdf.Name.EmbeddedFile}
        assert embedded == listed
        # and an attached original (a form's, a signed file's) is the copy without active content
        pdfs = {name: spec.get_file().read_bytes() for name, spec in pdf.attachments.items()
                if name.endswith(".pdf") and not name.startswith("document-")}
    assert "EV-HID-hidden-files.pdf" in pdfs and "EV-ACT-everything.pdf" in pdfs, sorted(pdfs)
    for name, data in pdfs.items():
        with pikepdf.open(io.BytesIO(data)) as attached:
            assert _walk_active(attached) == [], name
            hidden = [o for o in _everything(attached) if o.get("/Type") == pikepdf.Name.EmbeddedFile]
            assert hidden == [], name
    with pikepdf.open(io.BytesIO(pdfs["EV-HID-hidden-files.pdf"])) as form:
        assert "/AcroForm" in form.Root  # still the fillable form
    assert {"https://example.org/policy", "mailto:isms@example.org"} <= uris  # harmless links kept


def test_hidden_embedded_files_and_scripts_are_removed_and_listed(corpus: dict[str, Any]) -> None:
    entry = files(corpus)["EV-HID"]
    removed = [(r["source_page"], r["what"]) for r in entry["removed"]]
    assert any(page == 1 and "page-af.exe" in what for page, what in removed), removed
    assert any(page == 2 and "second-page.exe" in what for page, what in removed), removed
    assert any("stamp-fs.exe" in what for _, what in removed), removed
    assert any("private.exe" in what for _, what in removed), removed
    assert any("JavaScript" in what and "object the page uses" in what for _, what in removed), removed
    assert sum("JavaScript run on" in what for _, what in removed) == 3, removed
    assert any("active content removed" in n for n in entry["notes"]), entry["notes"]


def test_triggered_scripts_are_listed_in_the_same_order_in_every_process(tmp_path: Path) -> None:
    # pikepdf gives a dictionary's keys as a set, ordered by Python's per-process hash seed
    from .evidence_corpus import hidden_files_and_scripted_form

    source = tmp_path / "form.pdf"
    source.write_bytes(hidden_files_and_scripted_form())
    code = ("import sys, pikepdf; from pipeline.bundle.sanitize import strip_active; "
            f"print([str(r) for r in strip_active(pikepdf.open({str(source)!r}))])")
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout for seed in ("1", "2", "3")}
    assert len(runs) == 1, runs


def test_every_removal_is_listed_with_its_page(corpus: dict[str, Any]) -> None:
    entries = files(corpus)
    removed = {r["what"] for r in entries["EV-ACT"]["removed"]}
    text = " | ".join(sorted(removed))
    for expected in ("JavaScript run when the document opens", "document-level JavaScript",
                     "embedded file(s) not carried", "'file:///etc/passwd'", "evil-server",
                     "'javascript:alert(1)'", "Launch action of 'cmd.exe'", "ImportData action",
                     "SubmitForm action", "keystroke", "calculate", "XFA", "run on page open"):
        assert expected in text, (expected, text)
    first = entries["EV-ACT"]["first_page"]
    assert {r["page"] for r in entries["EV-ACT"]["removed"] if r["source_page"] == 1} == {first}
    fpdf2 = " | ".join(r["what"] for r in entries["EV-FP"]["removed"])
    assert "javascript:" in fpdf2 and "Launch" in fpdf2 and "an embedded file 'invoice.exe'" in fpdf2
    assert "readme.pdf" in " ".join(r["what"] for r in entries["EV-ANN"]["removed"])
    with pdfplumber.open(corpus["pdf"]) as pdf:  # the manifest pages list them too
        manifest = next(p for p in corpus["manifest"]["parts"] if p["key"] == "manifest")
        pages = range(manifest["first_page"] - 1, manifest["first_page"] - 1 + manifest["pages"])
        shown = "".join(pdf.pages[i].extract_text() or "" for i in pages)
    assert "active content removed" in shown and "cmd.exe" in shown


@pytest.mark.parametrize("eid,values", [("EV-RL", ["Grace Kim", "Pass"]),
                                        ("EV-PK", ["LISTEDVALUE", "ORPHANDRAWN", "SECONDORPHAN"]),
                                        ("EV-LO", ["Alice Example", "CISO"])])
def test_forms_from_each_producer_are_flattened_and_kept(corpus: dict[str, Any], eid: str,
                                                         values: list[str]) -> None:
    entry = files(corpus)[eid]
    assert entry["status"] == "included" and entry["attachment"]
    first, count = entry["first_page"] - 1, entry["pages"]
    with pikepdf.open(corpus["pdf"]) as pdf:
        assert "/AcroForm" not in pdf.Root
        assert entry["attachment"] in pdf.attachments
        for i in range(first, first + count):
            annots = pdf.pages[i].obj.get("/Annots", [])
            assert all(a.get("/Subtype") != pikepdf.Name.Widget for a in annots)
    with pdfplumber.open(corpus["pdf"]) as plumber:
        text = "".join(plumber.pages[i].extract_text() or "" for i in range(first, first + count))
    for value in values:
        assert value in text, (eid, value, text)


def test_orphan_widgets_are_counted(corpus: dict[str, Any]) -> None:
    note = next(n for n in files(corpus)["EV-PK"]["notes"] if n.startswith("form:"))
    assert "3 field(s) flattened" in note and "2 of them not listed" in note


def test_attachment_names_are_safe_and_originals_kept(corpus: dict[str, Any]) -> None:
    entries = files(corpus)
    with pikepdf.open(corpus["pdf"]) as pdf:
        names = list(pdf.attachments)
    for name in names:
        assert "/" not in name and "\\" not in name and not set(name) & BIDI, name
    csv = entries["EV-CSV"]
    assert csv["file"] == "exports/pay\u202eslx.csv"  # the manifest keeps the original name
    assert csv["attachment"] == "EV-CSV-payslx.csv" and csv["attachment"] in names
    nfd = entries["EV-NFD"]["attachment"]
    assert nfd == "EV-NFD-Pr\u00fcfbericht.txt"  # NFC


@pytest.mark.parametrize("name,safe", [("../../etc/passwd", "passwd"), ("..\\..\\boot.ini", "boot.ini"),
                                       ("report\u202efdp.exe", "reportfdp.exe"),
                                       ("a\u0308.pdf", "\u00e4.pdf"),
                                       ("con.txt", "_con.txt"), ("...", "file"), ("a:b*c?.pdf", "a_b_c_.pdf"),
                                       ("x" * 300 + ".pdf", "x" * 176 + ".pdf")])
def test_safe_name(name: str, safe: str) -> None:
    assert safe_name(name) == safe


def test_pages_without_text_are_listed_on_cover_and_manifest(corpus: dict[str, Any]) -> None:
    entries = files(corpus)
    scan = entries["EV-SCAN"]
    assert scan["pages_without_text"] == list(range(scan["first_page"], scan["first_page"] + 3))
    assert entries["EV-JPG"]["pages_without_text"] == [entries["EV-JPG"]["first_page"]]
    assert entries["EV-RL"]["pages_without_text"] == []
    with pdfplumber.open(corpus["pdf"]) as pdf:
        cover = (pdf.pages[0].extract_text() or "").replace("\n", " ")
    assert "have no text layer" in cover and "EV-SCAN" in cover


def test_evidence_pages_carry_their_id_in_a_band_below_the_content(corpus: dict[str, Any]) -> None:
    entry = files(corpus)["EV-SCAN"]
    index = entry["first_page"] - 1
    with pdfplumber.open(corpus["pdf"]) as pdf:
        page = pdf.pages[index]
        foot = "".join(c["text"] for c in sorted(page.chars, key=lambda c: c["x0"]))
        assert foot.startswith("EV-SCAN · MR-2026-H2")
        images = page.images
        assert images and max(i["bottom"] for i in images) <= min(c["top"] for c in page.chars)


def test_links_and_bookmarks_land_on_the_heading(corpus: dict[str, Any]) -> None:
    with pikepdf.open(corpus["pdf"]) as pdf:
        index_links = [a for a in pdf.pages[1].obj.get("/Annots", []) if "/Dest" in a]
        assert index_links and all(a.Dest[1] == pikepdf.Name.XYZ for a in index_links)
        with pdf.open_outline() as outline:
            items = list(outline.root)
            assert all(i.destination[1] == pikepdf.Name.XYZ for i in items)


def test_single_page_ranges_print_one_number(corpus: dict[str, Any]) -> None:
    entry = files(corpus)["EV-JPG"]
    with pdfplumber.open(corpus["pdf"]) as pdf:
        index = (pdf.pages[1].extract_text() or "")
    line = next(x for x in index.splitlines() if "EV-JPG" in x)
    assert line.rstrip().endswith(f" {entry['first_page']}") and "–" not in line.split()[-1]


def _four_built(tmp_path: Path) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A bundle of four files (the scan among them) that must succeed: (result, manifest entries)."""
    small = [c for c in CORPUS if c[0] in ("EV-RL", "EV-SCAN", "EV-JPG", "EV-CSV")]
    result = _build(tmp_path, corpus=small)
    assert result["code"] == 0, result["err"]
    return result, files(result)


def test_an_unforeseen_exception_in_one_source_is_contained(tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.bundle.sources as sources

    real = sources.strip_active

    def exploding(pdf: pikepdf.Pdf) -> Any:
        if len(pdf.pages) == 3:  # the scan
            raise ZeroDivisionError("injected")
        return real(pdf)

    monkeypatch.setattr(sources, "strip_active", exploding)
    result, entries = _four_built(tmp_path)
    assert "could not be prepared" in entries["EV-SCAN"]["status"]
    assert "ZeroDivisionError: injected" in entries["EV-SCAN"]["status"]
    assert all(entries[e]["status"] == "included" for e in ("EV-RL", "EV-JPG", "EV-CSV"))
    code, _, err = run_cli("bundle", str(result["workbook"]), "--evidence", str(result["evidence"]),
                           "--out", str(tmp_path / "strict"))
    assert code == 1 and "EV-SCAN" in err and "Traceback" not in err


def test_originals_are_hashed_on_the_side_and_a_failed_read_is_that_files_problem(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    import pipeline.bundle.sources as sources

    real = sources.sha256_file
    threads: set[str] = set()

    def hashing(path: Path) -> str:
        threads.add(threading.current_thread().name)
        if path.name.startswith("scan"):
            raise PermissionError(13, "Permission denied")
        return real(path)

    monkeypatch.setattr(sources, "sha256_file", hashing)
    result, entries = _four_built(tmp_path)
    assert "cannot be read (Permission denied)" in entries["EV-SCAN"]["status"]
    for kept in ("EV-RL", "EV-JPG", "EV-CSV"):
        path = result["evidence"] / entries[kept]["file"]
        assert entries[kept]["status"] == "included" and entries[kept]["sha256"] == real(path)
    assert threads and all(name.startswith("isms-hash") for name in threads)


def test_an_exception_while_assembling_one_source_is_contained(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.bundle.assemble as assemble

    real = assemble._link_targets

    def exploding(pdf: pikepdf.Pdf, views: Any = None) -> Any:
        if len(pdf.pages) == 3:
            raise pikepdf.ForeignObjectError("This object belongs to another Pdf (injected)")
        return real(pdf, views)

    monkeypatch.setattr(assemble, "_link_targets", exploding)
    small = [c for c in CORPUS if c[0] in ("EV-RL", "EV-SCAN", "EV-JPG")]
    result = _build(tmp_path, corpus=small)
    assert result["code"] == 0, result["err"]
    entries = files(result)
    assert "could not be put into the bundle" in entries["EV-SCAN"]["status"]
    assert entries["EV-RL"]["status"] == entries["EV-JPG"]["status"] == "included"
    code, out, _ = run_cli("verify", str(result["pdf"]))
    assert code == 4 and "UNSIGNED" in out.upper(), out  # consistent with its manifest, not signed


def test_attach_as_is_is_per_file(tmp_path: Path) -> None:
    small = [c for c in CORPUS if c[0] in ("EV-EXE", "EV-JS")]
    result = _build(tmp_path, "--attach-as-is", "refused/tool.exe", corpus=small)
    entries = files(result)
    assert entries["EV-EXE"]["status"] == "included" and entries["EV-EXE"]["attachment"] == "EV-EXE-tool.exe"
    assert "at the user's request" in entries["EV-EXE"]["notes"][0]
    assert entries["EV-JS"]["status"] != "included"


def test_size_limits_name_the_file_and_the_limit(tmp_path: Path) -> None:
    small = [c for c in CORPUS if c[0] in ("EV-SCAN", "EV-RL")]
    result = _build(tmp_path, "--max-file-size", "100kB", corpus=small)
    status = files(result)["EV-SCAN"]["status"]
    assert "over the limit of 100.0 kB per file" in status and "--max-file-size" in status
    result = _build(tmp_path / "b", "--max-bundle-size", "10kB", corpus=small)
    assert result["code"] == 1 and "per bundle (--max-bundle-size)" in result["err"]
    assert "scans/scan-3-pages.pdf" in result["err"]


def test_ocr_without_tesseract_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.bundle.ocr as ocr

    monkeypatch.setattr(ocr.shutil, "which", lambda name: None)
    small = [c for c in CORPUS if c[0] == "EV-SCAN"]
    result = _build(tmp_path, "--ocr", corpus=small)
    assert result["code"] == 1
    assert "--ocr needs ocrmypdf and tesseract, which are not installed" in result["err"]
    assert "apt-get install ocrmypdf tesseract-ocr" in result["err"]
