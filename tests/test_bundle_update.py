"""The incremental-update path (qpdf merges the pages and the edits — stamps, links, bookmarks,
labels, manifest — are appended as an update). Forced on a small bundle here, it must give the
same document as the rewritten one, pass qpdf's check and stay reproducible. It is switched off
(``assemble.APPEND_ABOVE``) because verify counts every revision after the first as an update
appended after the fact, and it must go on doing so: the test holds verify to that."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pdfplumber
import pikepdf
import pytest

from pipeline.bundle import assemble

from .conftest import run_cli
from .test_bundle import GOOD_FILES, RID, evidence_rows

# a light set for the tests that only need pages, forms and attachments (no LibreOffice, no
# thousand-page file): each bundle of GOOD_FILES takes 10-20 s
LIGHT = [row for row in GOOD_FILES if row[0] in ("EV-F1", "EV-SIG", "EV-CSV", "EV-PNG", "EV-GR", "EV-R90")]


def _bundle(tmp: Path, out: Path, monkeypatch: pytest.MonkeyPatch, append: bool,
            files: list[Any] = GOOD_FILES) -> Path:
    monkeypatch.setattr(assemble, "APPEND_ABOVE", 0 if append else 10**15)
    evidence = tmp / "evidence"
    if not evidence.exists():
        for _, _, rel, _, _, maker in files:
            (evidence / rel).parent.mkdir(parents=True, exist_ok=True)
            (evidence / rel).write_bytes(maker(tmp))
    workbook = tmp / "review.xlsx"
    if not workbook.exists():  # once: a workbook saved again differs (and is attached)
        workbook = evidence_rows([row[:5] for row in files], tmp)
    code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out", str(out))
    assert code == 0, err
    return out / RID / f"{RID}-bundle.pdf"


def _described(path: Path) -> dict[str, Any]:
    """What a reader sees: pages, boxes, stamps, link targets, bookmarks, labels, attachments."""
    with pikepdf.open(path) as pdf:
        numbers = {page.obj.objgen: n for n, page in enumerate(pdf.pages)}
        links = [[numbers[a.Dest[0].objgen] for a in page.obj.get("/Annots", []) if "/Dest" in a]
                 for page in pdf.pages]

        def walk(items: list[Any]) -> list[Any]:
            return [(str(i.title), numbers[i.destination[0].objgen], walk(list(i.children)))
                    for i in items]

        with pdf.open_outline() as tree:
            outline = walk(list(tree.root))
        boxes = [tuple(float(v) for v in page.mediabox) for page in pdf.pages]
        described = {"pages": len(pdf.pages), "links": links, "outline": outline, "boxes": boxes,
                     "labels": repr(pdf.Root.PageLabels), "attachments": sorted(pdf.attachments)}
    with pdfplumber.open(path) as plumber:
        described["text"] = [(plumber.pages[n].extract_text() or "")[-120:]
                             for n in (0, 1, 5, len(plumber.pages) // 2, len(plumber.pages) - 1)]
    return described


def test_appended_edits_give_the_same_bundle_as_a_rewrite(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    rewritten = _bundle(tmp_path, tmp_path / "rewritten", monkeypatch, append=False)
    appended = _bundle(tmp_path, tmp_path / "appended", monkeypatch, append=True)
    assert appended.read_bytes().count(b"%%EOF") == 2  # qpdf's file, then one update
    assert rewritten.read_bytes().count(b"%%EOF") == 1
    assert _described(appended) == _described(rewritten)
    if shutil.which("qpdf"):
        check = subprocess.run(["qpdf", "--check", str(appended)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
    code, out, _ = run_cli("verify", str(appended), "--evidence", str(tmp_path / "evidence"))
    # the manifest says the bundle was written with two revisions: both are its own
    assert code == 4 and "UNSIGNED" in out and "2 revision(s)" in out, out
    assert "incremental update" not in out, out
    code, out, _ = run_cli("verify", str(rewritten), "--evidence", str(tmp_path / "evidence"))
    assert "UNSIGNED" in out and "1 revision(s)" in out and "incremental update" not in out, out


def test_appended_edits_are_reproducible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    appended = _bundle(tmp_path, tmp_path / "appended", monkeypatch, append=True)
    again = _bundle(tmp_path, tmp_path / "again", monkeypatch, append=True)
    assert again.read_bytes() == appended.read_bytes()


def test_the_file_identifier_comes_from_what_the_bundle_is_made_of(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # qpdf writes a static /ID (no MD5 pass over gigabytes of scans); the merge puts in its
    # place a digest of the pieces and attachments, which other evidence changes
    from pipeline.bundle.merge import STATIC_ID

    def first_id(path: Path) -> bytes:
        data = path.read_bytes()
        assert STATIC_ID not in data
        found = re.search(rb"/ID \[<([0-9a-f]{32})><([0-9a-f]{32})>\]", data)  # qpdf's trailer
        assert found is not None and found.group(1) == found.group(2)
        return found.group(1)

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    appended = _bundle(tmp_path, tmp_path / "appended", monkeypatch, append=True)
    again = _bundle(tmp_path, tmp_path / "again", monkeypatch, append=True)
    assert first_id(appended) == first_id(again)
    (tmp_path / "evidence" / GOOD_FILES[0][2]).write_bytes(GOOD_FILES[1][5](tmp_path))
    changed = _bundle(tmp_path, tmp_path / "changed", monkeypatch, append=True)
    assert first_id(changed) != first_id(appended)


def test_a_static_identifier_not_where_expected_leaves_the_file_alone_and_qpdf_digests_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.bundle import merge as merging

    path = tmp_path / "other.pdf"
    pikepdf.new().save(path)
    before = path.read_bytes()
    with pytest.raises(merging.MergeFailed, match="identifier"):
        merging.set_id(path, b"\x01" * 16)
    assert path.read_bytes() == before
    # a qpdf writing its static /ID otherwise: the merge falls back to qpdf's own digest
    monkeypatch.setattr(merging, "STATIC_ID", b"0" * 32)
    source = tmp_path / "one.pdf"
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        pdf.save(source)
    out = tmp_path / "merged.pdf"
    merging.merge([merging.Piece(source, 1, 1)], [], out, "D:20261201000000Z", identity=b"\x02" * 16)
    with pikepdf.open(out) as merged:
        assert len(merged.pages) == 1
        identifier = bytes(merged.trailer.ID[0])
    static = bytes.fromhex("31415926535897932384626433832795")
    assert len(identifier) == 16 and identifier not in (b"\x02" * 16, static)


def test_a_merged_file_of_2_gib_or_more_is_rewritten_not_appended_to(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an appended trailer's /Prev would be an offset beyond PDF/A's largest integer (2^31 - 1):
    # such a file is rewritten, without object streams, keeping the merged file's /ID (no
    # digest pass over gigabytes); here "2 GiB" is lowered to any file at all
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    monkeypatch.setattr(assemble, "APPEND_BELOW", 1)
    huge = _bundle(tmp_path, tmp_path / "huge", monkeypatch, append=True, files=LIGHT)
    again = _bundle(tmp_path, tmp_path / "again", monkeypatch, append=True, files=LIGHT)
    data = huge.read_bytes()
    assert data == again.read_bytes()
    assert data.count(b"%%EOF") == 1 and data.count(b"startxref") == 1 and b"/ObjStm" not in data
    with pikepdf.open(huge) as pdf:
        identifier = bytes(pdf.trailer.ID[0])
    from pipeline.bundle.merge import STATIC_ID
    assert len(identifier) == 16 and identifier != bytes.fromhex(STATIC_ID.decode())
    sidecar = json.loads((huge.parent / f"{RID}-bundle-manifest.json").read_text())
    assert sidecar["bundle"]["pdfa"] == "PDF/A-3b" and sidecar["revisions"] == 1
    monkeypatch.setattr(assemble, "APPEND_BELOW", 10**15)
    rewritten = _bundle(tmp_path, tmp_path / "rewritten", monkeypatch, append=False, files=LIGHT)
    assert _described(huge) == _described(rewritten)
    code, out, _ = run_cli("verify", str(huge), "--evidence", str(tmp_path / "evidence"))
    assert code == 4 and "1 revision(s)" in out, out


def test_sizes_pdfa_cannot_hold_are_dropped_from_attachments(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # an attached file of 2 GiB or more: its /Params /Size is beyond PDF/A's largest integer
    # (the entry is optional; the manifest keeps its bytes); here the limit is lowered
    from pipeline.bundle import archive

    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    monkeypatch.setattr(archive, "PDFA_LARGEST_INTEGER", 100)
    bundle = _bundle(tmp_path, tmp_path / "out", monkeypatch, append=False, files=LIGHT)
    sidecar = json.loads((bundle.parent / f"{RID}-bundle-manifest.json").read_text())
    with pikepdf.open(bundle) as pdf:
        sizes = {name: spec.obj.EF.F.get("/Params", pikepdf.Dictionary()).get("/Size")
                 for name, spec in pdf.attachments.items()}
    assert any(size is None for size in sizes.values()), sizes
    assert all(size is None or int(size) <= 100 for size in sizes.values()), sizes
    assert sidecar["attachments"] and sidecar["bundle"]["pdfa"] == "PDF/A-3b"
    monkeypatch.setattr(archive, "PDFA_LARGEST_INTEGER", 2**31 - 1)
    kept = _bundle(tmp_path, tmp_path / "kept", monkeypatch, append=False, files=LIGHT)
    with pikepdf.open(kept) as pdf:
        kept_sizes = [int(spec.obj.EF.F.Params.Size) for spec in pdf.attachments.values()]
    assert len(kept_sizes) == len(sizes) and max(kept_sizes) > 100
