"""Signed approval: the approver signs the record (PAdES B-B offline, B-T with a timestamp
authority), verify trusts only the certificates given, and rebuilding from a changed workbook
makes the earlier approval stale — reported by the build, the register and verify."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pdfplumber
import pytest
from openpyxl import load_workbook

from pipeline.bundle.approve import approve

from .bundles import PASSWORD, Small, copy_of
from .conftest import FINAL, run_cli
from .example_pack import RID, Pack, build
from .pki import identity, tsa_server


def verify_json(path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run_cli("verify", str(path), "--json", *args)
    assert "Traceback" not in out + err
    return code, json.loads(out)


def _chair_and_pack(example_pack: Pack, tmp: Path) -> tuple[Pack, Path, Path, Path]:
    """A copy of the example pack, the chair's key and certificate, and the pack's bundle."""
    pack = example_pack.copy(tmp)
    chair = identity("Helen Carter")
    key, cert = chair.p12(tmp / "chair.p12", "pw"), chair.pem(tmp / "chair.pem")
    return pack, key, cert, pack.file("bundle.pdf")


def test_signed_approval_goes_stale_when_the_workbook_changes(
        example_pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack, key, cert, bundle = _chair_and_pack(example_pack, tmp_path)
    monkeypatch.setenv("ISMS_REVIEW_SIGN_PASSWORD", "pw")
    code, out, err = run_cli("sign", str(bundle), "--key", str(key))
    assert code == 0, err
    assert "signed" in out and "PAdES B-B" in out
    code, report = verify_json(bundle, "--trust", str(cert))
    assert code == 0 and report["verdict"] == "intact"
    assert report["approval"]["status"] == "current" and report["approval"]["signer"] == "Helen Carter"
    with pdfplumber.open(bundle) as pdf:  # the signature page shows who, when, the level
        manifest = json.loads(pack.file("bundle-manifest.json").read_text("utf-8"))
        page = pdf.pages[manifest["signature_box"]["page"] - 1]
        shown = " ".join(str(a.get("data", "")) for a in page.annots) + (page.extract_text() or "")
    assert "Approval and signature" in shown
    sidecar = json.loads(pack.file("bundle-manifest.json").read_text("utf-8"))
    assert sidecar["bundle"]["signer_certificate_sha256"] == report["signatures"][0]["fingerprint"]
    archived = pack.folder / "approved-v1.0"  # the signed copy an auditor keeps
    archived.mkdir()
    shutil.copy(bundle, archived / bundle.name)

    changed = tmp_path / "review-final-changed.xlsx"
    wb = load_workbook(FINAL)
    wb["Decisions"]["D5"] = "Approve the revised supplier assurance programme with a Q1 budget."
    wb.save(changed)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796100000")  # after the approval of 30 Nov 2026
    code, out, err = build(pack.out, changed, "--stage", "final")
    assert code == 0, err
    assert "APPROVAL STALE" in out and "Helen Carter" in out
    entries = [json.loads(line) for line in (pack.folder / "issue-register.jsonl").read_text().splitlines()]
    events = [(e["event"], e["document"], e["version"]) for e in entries[6:]]
    assert events == [("signed", "bundle", "1.0"), ("stale", "bundle", "1.0"),
                      ("reissued", "minutes", "1.1"), ("reissued", "bundle", "1.1")]
    code, report = verify_json(archived / bundle.name, "--trust", str(cert))
    assert report["approval"]["status"] == "stale" and "changed workbook" in report["approval"]["reason"]
    assert code == 0  # the signed file itself is intact; its approval is no longer current
    code, out, _ = run_cli("verify", str(archived / bundle.name), "--trust", str(cert))
    assert "STALE APPROVAL" in out
    verdict = out.strip().splitlines()[-1]  # the verdict line alone says so too
    assert verdict.startswith("INTACT") and "the approval is stale" in verdict, verdict
    code, report = verify_json(bundle, "--trust", str(cert))  # the rebuilt record: not signed yet
    assert code == 4 and report["signatures"] == []
    with pdfplumber.open(bundle) as pdf:
        assert "RECORD v1.1" in (pdf.pages[0].extract_text() or "")


def test_pades_b_t_with_a_timestamp_authority(small: Small, tmp_path: Path) -> None:
    tsa = identity("Test Timestamp Authority", tsa=True)
    copy = copy_of(small.pdf, tmp_path)
    with tsa_server(tsa) as url:
        signed = approve(copy, small.chair_key, PASSWORD, tsa_url=url)
    assert signed.level == "PAdES B-T"
    trust_tsa = tsa.pem(tmp_path / "tsa.pem")
    code, report = verify_json(copy, "--trust", str(small.chair_cert), "--trust", str(trust_tsa))
    assert code == 0 and report["signatures"][0]["level"] == "PAdES B-T"


def test_an_unreachable_timestamp_authority_is_one_clear_line(small: Small, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    copy = copy_of(small.pdf, tmp_path)
    before = copy.read_bytes()
    monkeypatch.setenv("ISMS_REVIEW_SIGN_PASSWORD", PASSWORD)
    code, _, err = run_cli("sign", str(copy), "--key", str(small.chair_key), "--tsa",
                           "http://127.0.0.1:9/tsa")
    assert code == 1 and "timestamp authority did not answer" in err and "Traceback" not in err
    assert copy.read_bytes() == before


def test_sign_refuses_what_must_not_be_signed(small: Small, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMS_REVIEW_SIGN_PASSWORD", PASSWORD)
    tampered = copy_of(small.pdf, tmp_path / "tampered")
    tampered.write_bytes(tampered.read_bytes() + b"junk")
    code, _, err = run_cli("sign", str(tampered), "--key", str(small.chair_key))
    assert code == 1 and "does not verify" in err
    no_nr = identity("No Content Commitment", non_repudiation=False)
    key = no_nr.p12(tmp_path / "nonr.p12", PASSWORD)
    fresh = copy_of(small.pdf, tmp_path / "fresh")
    code, _, err = run_cli("sign", str(fresh), "--key", str(key))
    assert code == 1 and "nonRepudiation" in err
    code, _, err = run_cli("sign", str(fresh), "--key", str(small.chair_key))
    assert code == 0, err
    wrong = tmp_path / "wrong.p12"
    wrong.write_bytes(b"not a key")
    code, _, err = run_cli("sign", str(copy_of(small.pdf, tmp_path / "again")), "--key", str(wrong))
    assert code == 1 and "cannot load the signing key" in err and "Traceback" not in err


def test_sign_refuses_a_draft(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from .bundles import small_workbook

    workbook, evidence = small_workbook(tmp_path)
    wb = load_workbook(workbook)
    review = wb["Review"]
    for row in review.iter_rows(min_row=5):
        if row[0].value in ("Approved by", "Approved on"):
            row[1].value = None
    wb.save(workbook)
    code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out",
                           str(tmp_path / "out"))
    assert code == 0, err
    bundle = tmp_path / "out" / RID / f"{RID}-bundle.pdf"
    with pdfplumber.open(bundle) as pdf:
        assert "DRAFT v1.0 — not yet approved" in (pdf.pages[0].extract_text() or "")
    chair = identity("Helen Carter")
    monkeypatch.setenv("ISMS_REVIEW_SIGN_PASSWORD", "pw")
    code, _, err = run_cli("sign", str(bundle), "--key", str(chair.p12(tmp_path / "c.p12", "pw")))
    assert code == 1 and "not the record" in err and "'draft'" in err


def test_the_register_names_a_re_signed_copy_and_a_signed_file_it_never_issued(
        example_pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.bundle.approve import _record
    from pipeline.bundle.sign import SignatureBox, sign_pdf

    from .bundles import incremental_update, mallory, rehash_sidecar, strip_signature

    pack, key, cert, bundle = _chair_and_pack(example_pack, tmp_path)
    original = bundle.read_bytes()
    approve(bundle, key, "pw")
    box = json.loads(pack.file("bundle-manifest.json").read_text("utf-8"))["signature_box"]
    # the forger strips the approver's signature, signs in the same box and fixes the sidecar
    strip_signature(bundle)
    forger, _ = mallory(tmp_path)
    sign_pdf(bundle, forger, "m", box=SignatureBox(box["page"] - 1, tuple(box["rect"])))
    rehash_sidecar(bundle)
    code, report = verify_json(bundle, "--trust", str(cert))
    assert code == 1 and any("it was re-signed" in p["what"] and "Helen Carter" in p["what"]
                             for p in report["problems"]), report["problems"]
    # a file the register never issued, signed by the approver with another tool
    bundle.write_bytes(original)
    incremental_update(bundle, 0, b"q Q")
    signed = sign_pdf(bundle, key, "pw", box=SignatureBox(box["page"] - 1, tuple(box["rect"])))
    _record(bundle, signed)
    code, report = verify_json(bundle, "--trust", str(cert))
    assert code == 1 and any("not one it ever issued" in p["what"] for p in report["problems"]), \
        report["problems"]
