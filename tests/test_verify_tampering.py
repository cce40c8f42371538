"""Every tampering issue 13 lists, reproduced on a real bundle, each ending in the right
verdict: intact (0) only for a trusted signature over the whole file; unsigned (4) when the
file is consistent but nothing a forger could not redo vouches for it; broken (1) with what
and where."""

from __future__ import annotations

import hashlib
import io
import json
import shutil
from pathlib import Path
from typing import Any

import pikepdf

from pipeline.bundle.verify import UNSIGNED_WARNING, verify_bundle

from .bundles import (
    PASSWORD,
    Small,
    copy_of,
    embedded_manifest,
    first_page_of,
    incremental_update,
    mallory,
    rehash_sidecar,
    replace_manifest,
    save,
    sidecar_of,
    strip_signature,
)
from .conftest import run_cli


def verify(path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    code, out, err = run_cli("verify", str(path), "--json", *args)
    assert "Traceback" not in out + err
    return code, json.loads(out), err


def text_of(path: Path, *args: str) -> tuple[int, str]:
    code, out, err = run_cli("verify", str(path), *args)
    assert "Traceback" not in out + err and "internal problem" not in out + err
    return code, out + err


def problems(report: dict[str, Any]) -> list[dict[str, Any]]:
    return report["problems"]  # type: ignore[no-any-return]


# ------------------------------------------------------------------------- the honest baseline


def test_a_fresh_unsigned_bundle_is_unsigned_with_the_warning(small: Small) -> None:
    code, out = text_of(small.pdf)
    assert code == 4
    assert f"UNSIGNED: {small.pdf}" in out and UNSIGNED_WARNING in out
    assert "INTACT" not in out.replace("UNSIGNED", "")
    code, report, _ = verify(small.pdf)
    assert code == 4 and report["verdict"] == "unsigned" and report["warning"] == UNSIGNED_WARNING
    assert report["problems"] == [] and report["pages"] > 0


def test_a_signed_bundle_with_a_trusted_signer_is_intact_and_names_the_hash(small: Small) -> None:
    code, out = text_of(small.signed, "--trust", str(small.chair_cert))
    digest = hashlib.sha256(small.signed.read_bytes()).hexdigest()
    assert code == 0 and f"INTACT: {small.signed} (SHA-256 {digest})" in out
    assert "Helen Carter (Chair)" in out and "PAdES B-B" in out
    code, report, _ = verify(small.signed, "--trust", str(small.chair_cert))
    assert code == 0 and report["verdict"] == "intact" and report["sha256"] == digest
    assert report["signatures"][0]["covers_whole_file"] is True


def test_self_signed_is_reported_as_such_without_tracebacks(small: Small) -> None:
    code, out = text_of(small.signed)
    assert code == 4 and "self-signed" in out and "InvalidCertificateError" not in out
    assert "Traceback" not in out and "PathBuildingError" not in out
    fingerprint = json.loads(small.signed_sidecar.read_text("utf-8"))["bundle"]["signer_certificate_sha256"]
    assert fingerprint in out  # the auditor compares it out of band


def test_a_trust_file_beside_the_bundle_is_not_trusted_but_one_in_a_named_review_folder_is(
        small: Small, tmp_path: Path) -> None:
    # a forger who rewrites and re-signs a bundle can put a trust file beside it just as well
    copy = copy_of(small.signed, tmp_path)
    shutil.copy(small.chair_cert, copy.parent / "trusted-signers.pem")
    code, report, _ = verify(copy)
    assert code == 4 and report["verdict"] == "unsigned" and report["trusted_certificates_from"] == []
    assert any("trusted-signers.pem was not used" in n for n in report["notes"]), report["notes"]
    kept = tmp_path / "my-review-folder"
    kept.mkdir()
    shutil.copy(small.chair_cert, kept / "trusted-signers.pem")
    code, report, _ = verify(copy, "--review", str(kept))
    assert code == 0 and report["verdict"] == "intact"
    assert report["trusted_certificates_from"] == [str(kept / "trusted-signers.pem")]
    assert any(str(kept / "trusted-signers.pem") in n for n in report["notes"]), report["notes"]


# ------------------------------------------------------------------------------ the tamperings


def test_sidecar_missing_and_a_byte_appended_is_never_intact(small: Small, tmp_path: Path) -> None:
    for original in (small.pdf, small.signed):
        copy = copy_of(original, tmp_path / original.parent.name, sidecar=False)
        copy.write_bytes(copy.read_bytes() + b"X")
        code, report, _ = verify(copy, "--trust", str(small.chair_cert))
        assert code == 1 and report["verdict"] == "broken", original
        assert any("appended" in p["what"] for p in problems(report))


def test_an_incremental_update_replacing_an_evidence_page_is_found(small: Small, tmp_path: Path) -> None:
    copy = copy_of(small.pdf, tmp_path, sidecar=False)
    page = first_page_of(copy, "EV-B")
    incremental_update(copy, page - 1)
    code, report, _ = verify(copy)
    assert code == 1 and report["verdict"] == "broken"
    changed = [p for p in problems(report) if p["page"] == page]
    assert changed and changed[0]["revision"] == 2 and "EV-B" in changed[0]["source"]
    assert any(p["revision"] == 2 and "incremental update" in p["what"] for p in problems(report))


def test_an_incremental_update_after_the_signature_is_found(small: Small, tmp_path: Path) -> None:
    copy = copy_of(small.signed, tmp_path)
    page = first_page_of(copy, "EV-C")
    incremental_update(copy, page - 1)
    rehash_sidecar(copy)  # the forger keeps the sidecar in step
    code, report, _ = verify(copy, "--trust", str(small.chair_cert))
    assert code == 1 and report["verdict"] == "broken"
    assert any(p["revision"] == 3 and "after the last signature" in p["what"] for p in problems(report))
    assert any(p["page"] == page and p["revision"] == 3 for p in problems(report))


def test_an_evidence_page_rewritten_with_the_sidecar_hash_recomputed(small: Small, tmp_path: Path) -> None:
    copy = copy_of(small.pdf, tmp_path)
    page = first_page_of(copy, "EV-A")
    with pikepdf.open(copy) as pdf:
        contents = pdf.pages[page - 1].obj.Contents  # [stamp, clip, the source's own content…, Q]
        original = next(s for s in contents if b"EV-A" in s.read_bytes() and b"Page " not in s.read_bytes())
        original.write(original.read_bytes().replace(b"EV-A", b"EV-Z"))
        save(pdf, copy)
    rehash_sidecar(copy)
    code, report, _ = verify(copy)
    assert code == 1 and report["verdict"] == "broken"
    hit = [p for p in problems(report) if p["page"] == page]
    assert hit and "digest" in hit[0]["what"] and "EV-A" in hit[0]["source"]


def _remove_pages(path: Path, evidence_id: str) -> None:
    """Remove an evidence file's pages and edit the embedded manifest to match."""
    from pipeline.bundle.digests import page_digests

    with pikepdf.open(path) as pdf:
        manifest = embedded_manifest(pdf)
        files: list[dict[str, Any]] = manifest["files"]  # type: ignore[assignment]
        entry = next(f for f in files if evidence_id in f["evidence_ids"])
        first, count = entry["first_page"], entry["pages"]
        for _ in range(count):
            del pdf.pages[first - 1]
        manifest["files"] = [f for f in files if f is not entry]
        for f in manifest["files"]:  # type: ignore[union-attr]
            if f["first_page"] > first:
                f["first_page"] -= count
        parts: list[dict[str, Any]] = manifest["parts"]  # type: ignore[assignment]
        manifest["parts"] = [p for p in parts if p["key"] != f"ev:{evidence_id}"]
        for p in manifest["parts"]:  # type: ignore[union-attr]
            if p["first_page"] > first:
                p["first_page"] -= count
        manifest["pages"] = len(pdf.pages)
        manifest["page_digests"] = page_digests(pdf)
        replace_manifest(pdf, json.dumps(manifest).encode())
        save(pdf, path)


def test_evidence_pages_removed_with_the_manifest_edited_to_match(small: Small, tmp_path: Path) -> None:
    # the sidecar left as it was: the whole-file hash and the manifests disagree
    copy = copy_of(small.pdf, tmp_path / "kept")
    _remove_pages(copy, "EV-B")
    code, report, _ = verify(copy)
    assert code == 1 and report["verdict"] == "broken"
    whats = " ".join(p["what"] for p in problems(report))
    assert "SHA-256 differs" in whats and "disagree" in whats
    # the sidecar gone too: the page stamps still count the pages that were there
    copy = copy_of(small.pdf, tmp_path / "gone", sidecar=False)
    _remove_pages(copy, "EV-B")
    code, report, _ = verify(copy)
    assert code == 1 and any("'Page n of" in p["what"] for p in problems(report))


def test_a_stripped_signature_is_found_by_the_sidecar(small: Small, tmp_path: Path) -> None:
    copy = copy_of(small.signed, tmp_path)
    strip_signature(copy)
    code, report, _ = verify(copy, "--trust", str(small.chair_cert))
    assert code == 1 and report["verdict"] == "broken"
    assert any("stripped" in p["what"] for p in problems(report))


def test_a_stripped_signature_without_sidecar_or_register_is_only_unsigned(
        small: Small, tmp_path: Path) -> None:
    copy = copy_of(small.signed, tmp_path, sidecar=False)
    strip_signature(copy)
    code, report, _ = verify(copy, "--trust", str(small.chair_cert))
    assert code == 4 and report["verdict"] == "unsigned" and report["signatures"] == []


def test_re_signed_with_someone_elses_self_signed_key(small: Small, tmp_path: Path) -> None:
    from pipeline.bundle.sign import SignatureBox, sign_pdf

    key, _ = mallory(tmp_path)
    with pikepdf.open(small.pdf) as pdf:
        page, rect = embedded_manifest(pdf)["signature_box"].values()  # type: ignore[union-attr]
    for keep_sidecar in (False, True):
        copy = copy_of(small.signed, tmp_path / str(keep_sidecar), sidecar=keep_sidecar)
        strip_signature(copy)
        sign_pdf(copy, key, "m", box=SignatureBox(page - 1, tuple(rect)))  # in the approver's box
        if keep_sidecar:
            rehash_sidecar(copy)  # the forger even fixes the whole-file hash
        code, report, _ = verify(copy, "--trust", str(small.chair_cert))
        signer = report["signatures"][-1]
        assert signer["signer"] == "Mallory Forger" and signer["trusted"] is False
        if keep_sidecar:  # the sidecar still names the chair's certificate
            assert code == 1 and any("re-signed" in p["what"] for p in problems(report))
        else:
            assert code == 4 and report["verdict"] == "unsigned", report["problems"]
    code, out = text_of(copy, "--trust", str(small.chair_cert))
    assert "Mallory Forger" in out and "INTACT" not in out.replace("UNSIGNED", "")
    # a signature whose widget sits anywhere but the signature box paints over that page: the
    # page no longer matches its digest
    elsewhere = copy_of(small.signed, tmp_path / "elsewhere", sidecar=False)
    strip_signature(elsewhere)
    sign_pdf(elsewhere, key, "m")  # pyHanko's default: a box on the first page
    code, report, _ = verify(elsewhere, "--trust", str(small.chair_cert))
    assert code == 1 and any(p["page"] == 1 and "digest" in p["what"] for p in problems(report))


def test_a_garbage_embedded_manifest_is_broken_not_a_crash(small: Small, tmp_path: Path) -> None:
    for name, data in (("garbage", b"\x00\xffnot json at all"), ("list", b"[1, 2, 3]"),
                       ("ill-shaped", json.dumps({"pages": "ten", "parts": {}}).encode()),
                       ("deep", b"[" * 100000 + b"]" * 100000)):
        copy = copy_of(small.pdf, tmp_path / name, sidecar=False)
        with pikepdf.open(copy) as pdf:
            replace_manifest(pdf, data)
            save(pdf, copy)
        code, report, _ = verify(copy)
        assert code == 1 and report["verdict"] == "broken", name
        assert any("manifest" in p["what"] for p in problems(report)), name


def test_an_ill_shaped_sidecar_is_broken_not_a_crash(small: Small, tmp_path: Path) -> None:
    copy = copy_of(small.pdf, tmp_path)
    for content in ("[]", "{\"bundle\": 3}", "not json", "{\"bundle\": {\"sha256\": []}}"):
        sidecar_of(copy).write_text(content, "utf-8")
        code, report, _ = verify(copy)
        assert code == 1 and any("sidecar" in p["what"] or "manifest" in p["what"]
                                 for p in problems(report)), content


def test_a_damaged_file_is_broken_not_a_crash(small: Small, tmp_path: Path) -> None:
    copy = copy_of(small.pdf, tmp_path, sidecar=False)
    data = small.pdf.read_bytes()
    for cut in (0, 10, len(data) // 2):
        copy.write_bytes(data[:cut])
        code, report, _ = verify(copy)
        assert code == 1 and report["verdict"] == "broken"


def test_a_changed_source_file_names_the_evidence(small: Small, tmp_path: Path) -> None:
    evidence = tmp_path / "evidence"
    shutil.copytree(small.evidence, evidence)
    (evidence / "b.pdf").write_bytes((evidence / "b.pdf").read_bytes() + b"%changed\n")
    result = verify_bundle(small.pdf, evidence)
    assert result.verdict == "broken"
    assert any(p.source and "EV-B" in p.source and "changed" in p.what for p in result.problems)


def test_an_untrusted_trust_file_is_one_clear_line(small: Small, tmp_path: Path) -> None:
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello", "utf-8")
    code, _, err = run_cli("verify", str(small.pdf), "--trust", str(bad))
    assert code == 1 and "not-a-cert.pem" in err and "Traceback" not in err


def _manifest_update(path: Path, change: dict[str, Any]) -> None:
    """What the bundle writer does when it appends its edits: a second revision whose manifest
    says the bundle was written with two."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter

    with pikepdf.open(path) as pdf:
        manifest = {**embedded_manifest(pdf), **change}
        spec_ref = pdf.attachments["manifest.json"].obj.objgen
    writer = IncrementalPdfFileWriter(io.BytesIO(path.read_bytes()), strict=False)
    spec = writer.get_object(generic.Reference(*spec_ref, pdf=writer))
    stream = generic.StreamObject({generic.NameObject("/Type"): generic.NameObject("/EmbeddedFile")},
                                  stream_data=json.dumps(manifest).encode())
    ef = generic.DictionaryObject({generic.NameObject("/F"): writer.add_object(stream)})
    spec[generic.NameObject("/EF")] = ef
    writer.mark_update(generic.Reference(*spec_ref, pdf=writer))
    out = io.BytesIO()
    writer.write(out)
    path.write_bytes(out.getvalue())


def test_a_bundle_written_with_an_appended_edit_counts_it_as_its_own(small: Small, tmp_path: Path) -> None:
    copy = copy_of(small.pdf, tmp_path, sidecar=False)
    _manifest_update(copy, {"revisions": 2})
    code, report, _ = verify(copy)
    assert code == 4 and report["verdict"] == "unsigned" and report["revisions"] == 2
    incremental_update(copy, first_page_of(copy, "EV-A") - 1)  # a third revision: not its own
    code, report, _ = verify(copy)
    assert code == 1 and any(p["revision"] == 3 and "appended after the bundle was made" in p["what"]
                             for p in problems(report))
    claims_more = copy_of(small.pdf, tmp_path / "more", sidecar=False)
    _manifest_update(claims_more, {"revisions": 7})  # more than a writer ever appends
    code, report, _ = verify(claims_more)
    assert code == 1 and any("revisions" in p["what"] for p in problems(report))


def test_an_update_signed_over_by_a_trusted_signer_is_still_not_the_bundle_as_made(
        small: Small, tmp_path: Path) -> None:
    # the tool's own sign refuses a changed bundle, but any other signer (Acrobat, pyHanko)
    # signs whatever it is given: the update before the signature is still reported
    from pipeline.bundle.sign import sign_pdf

    copy = copy_of(small.pdf, tmp_path, sidecar=False)
    incremental_update(copy, 0, b"q Q")  # harmless-looking, and not the bundle's own
    sign_pdf(copy, small.chair_key, PASSWORD)
    code, report, _ = verify(copy, "--trust", str(small.chair_cert))
    assert code == 1 and report["verdict"] == "broken"
    assert any(p["revision"] == 2 and "before it was signed" in p["what"] for p in problems(report))


def test_a_signed_file_cut_short_is_not_called_stripped(small: Small, tmp_path: Path) -> None:
    copy = copy_of(small.signed, tmp_path)
    copy.write_bytes(copy.read_bytes()[:-40])
    code, report, _ = verify(copy, "--trust", str(small.chair_cert))
    assert code == 1
    texts = [p["what"] for p in problems(report)]
    assert not any("stripped" in t for t in texts), texts


def _rewritten(small: Small, tmp_path: Path, name: str, edit: Any) -> dict[str, Any]:
    """A full rewrite of the bundle with one edit, the sidecar's whole-file hash fixed (the
    embedded manifest untouched): what does verify say?"""
    copy = copy_of(small.pdf, tmp_path / name)
    with pikepdf.open(copy) as pdf:
        edit(pdf)
        save(pdf, copy)
    rehash_sidecar(copy)
    code, report, _ = verify(copy)
    assert code == 1 and report["verdict"] == "broken", (name, report["problems"])
    return report


def test_bookmarks_labels_properties_and_xmp_are_checked(small: Small, tmp_path: Path) -> None:
    def bookmark(pdf: pikepdf.Pdf) -> None:
        with pdf.open_outline() as outline:
            outline.root[0].title = "Minutes (approved) - see page 40"

    def retarget(pdf: pikepdf.Pdf) -> None:
        with pdf.open_outline() as outline:
            outline.root[0].destination = pikepdf.Array([list(pdf.pages)[-1].obj, pikepdf.Name.Fit])

    def labels(pdf: pikepdf.Pdf) -> None:
        pdf.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(
            [0, pikepdf.Dictionary(S=pikepdf.Name.D, St=100)]))

    def title(pdf: pikepdf.Pdf) -> None:
        pdf.docinfo["/Keywords"] = pikepdf.String("ISMS; INCOMPLETE; superseded")

    def xmp(pdf: pikepdf.Pdf) -> None:
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            meta["dc:title"] = "SUPERSEDED"

    for name, edit, part in (("bookmark", bookmark, "bookmarks"), ("retarget", retarget, "bookmarks"),
                             ("labels", labels, "page labels"), ("title", title, "document properties"),
                             ("xmp", xmp, "XMP metadata")):
        report = _rewritten(small, tmp_path, name, edit)
        assert any(part in p["what"] and "differ from what the manifest records" in p["what"]
                   for p in problems(report)), (name, report["problems"])


def test_active_content_added_after_the_fact_is_named(small: Small, tmp_path: Path) -> None:
    def open_action(pdf: pikepdf.Pdf) -> None:
        pdf.Root.OpenAction = pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS=pikepdf.String(
            "app.alert('This bundle was verified by the certification body.')"))

    def page_trigger(pdf: pikepdf.Pdf) -> None:
        pdf.pages[3].obj.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(
            S=pikepdf.Name.Launch, F=pikepdf.String("cmd.exe")))

    for name, edit, what in (("open", open_action, "an action run when the file opens"),
                             ("trigger", page_trigger, "a launch action")):
        report = _rewritten(small, tmp_path, name, edit)
        assert any(what in p["what"] and "never puts in a bundle" in p["what"]
                   for p in problems(report)), (name, report["problems"])
