"""The issue register and document control: append-only and chained, versions and re-issues,
refusals after the meeting, the final bundle as the complete record, status stamps."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import docx
import pdfplumber
import pikepdf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline import register as reg
from pipeline.register import IssueRefused, Register, RegisterError, next_version, plan_issue

from .conftest import FINAL, GOOD
from .example_pack import EPOCH, FINAL_EPOCH, RID, Pack, build

SHA_A, SHA_B = "a" * 64, "b" * 64
MEETING = dt.date(2026, 12, 11)


def lines(folder: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (folder / reg.REGISTER).read_text("utf-8").splitlines()]


def issued(register: Register, stage: str, sha: str, version: str = "1.0",
           documents: tuple[str, ...] = ("pre-read",), event: str = "issued",
           status: str = "circulated") -> None:
    register.append({"time": "2026-12-01T00:00:00Z", "event": event, "stage": stage, "document": d,
                     "file": f"{d}.pdf", "version": version, "status": status,
                     "sha256": f"{d}{sha}"[:64], "workbook_file": "w.xlsx", "workbook_sha256": sha,
                     "note": ""} for d in documents)


# ------------------------------------------------------------------------------ the register


def test_register_is_append_only_and_chained(tmp_path: Path) -> None:
    register = Register.load(tmp_path)
    issued(register, "pre-read", SHA_A, documents=("agenda", "pre-read"))
    first = (tmp_path / reg.REGISTER).read_bytes()
    issued(Register.load(tmp_path), "final", SHA_B, documents=("minutes",), status="record")
    after = (tmp_path / reg.REGISTER).read_bytes()
    assert after.startswith(first)  # history only grows
    loaded = Register.load(tmp_path)
    assert [e.seq for e in loaded.entries] == [1, 2, 3]
    assert loaded.entries[1].previous and loaded.entries[0].previous == ""
    edited = after.replace(b'"version": "1.0"', b'"version": "9.9"', 1)
    (tmp_path / reg.REGISTER).write_bytes(edited)
    with pytest.raises(RegisterError, match="edited"):
        Register.load(tmp_path)


def test_register_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    register = Register.load(tmp_path)
    issued(register, "pre-read", SHA_A)
    before = (tmp_path / reg.REGISTER).read_bytes()

    def broken_disk(path: Path, data: bytes) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reg, "atomic_write_bytes", broken_disk)
    with pytest.raises(OSError):
        issued(Register.load(tmp_path), "pre-read", SHA_B, version="1.1")
    assert (tmp_path / reg.REGISTER).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [reg.REGISTER]  # no half-written copy


def test_register_refuses_to_append_over_a_concurrent_change(tmp_path: Path) -> None:
    one, two = Register.load(tmp_path), Register.load(tmp_path)
    issued(one, "pre-read", SHA_A)
    with pytest.raises(RegisterError, match="changed while"):
        issued(two, "pre-read", SHA_B)


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_any_register_file_loads_or_is_refused_in_one_line(tmp_path_factory: pytest.TempPathFactory,
                                                           data: bytes) -> None:
    folder = tmp_path_factory.mktemp("reg")
    (folder / reg.REGISTER).write_bytes(data)
    try:
        Register.load(folder)
    except RegisterError as exc:
        assert str(exc).startswith(str(folder / reg.REGISTER)) and "\n" not in str(exc)


@pytest.mark.parametrize(("last", "declared", "expected"), [
    (None, "1.0", "1.0"), (None, "2", "2.0"), (None, "draft", "1.0"), ("1.0", "1.0", "1.1"),
    ("1.9", "1.0", "1.10"), ("1.1", "2.0", "2.0"), ("v3.2", "1.0", "3.3")])
def test_next_version(last: str | None, declared: str, expected: str) -> None:
    assert next_version(last, declared) == expected


def plan(register: Register, stage: str = "pre-read", sha: str = SHA_A, **kwargs: Any) -> reg.IssuePlan:
    options: dict[str, Any] = {"today": dt.date(2026, 12, 1), "meeting": MEETING, "approved": False}
    options.update(kwargs)
    return plan_issue(register, stage, sha, "1.0", **options)  # type: ignore[arg-type]


def test_pre_read_versions_before_and_after_the_meeting(tmp_path: Path) -> None:
    register = Register.load(tmp_path)
    first = plan(register)
    assert (first.version, first.event, first.status, first.label) == ("1.0", "issued", "circulated",
                                                                       "PRE-READ")
    issued(register, "pre-read", SHA_A)
    assert plan(register).event == "unchanged" and plan(register).version == "1.0"
    changed = plan(register, sha=SHA_B)
    assert (changed.version, changed.event) == ("1.1", "reissued") and "changed workbook" in changed.note
    with pytest.raises(IssueRefused, match="--reissue"):
        plan(register, today=dt.date(2026, 12, 12))  # the day after the meeting
    late = plan(register, today=dt.date(2026, 12, 12), reissue=True, change_note="typo in d2")
    assert (late.version, late.event) == ("1.1", "reissued")
    assert late.note == "typo in d2 after the meeting"


def test_pre_read_refused_once_final_minutes_exist(tmp_path: Path) -> None:
    register = Register.load(tmp_path)
    issued(register, "pre-read", SHA_A)
    issued(register, "final", SHA_B, documents=("minutes", "bundle"), status="record")
    with pytest.raises(IssueRefused, match=r"final minutes v1\.0 were issued"):
        plan(register)
    assert plan(register, reissue=True).note.endswith("after the final minutes were issued")


def test_final_status_and_stale_approvals(tmp_path: Path) -> None:
    register = Register.load(tmp_path)
    assert plan(register, "final").status == "draft"
    assert plan(register, "final", approved=True).label == "RECORD"
    issued(register, "final", SHA_A, documents=("bundle",), status="record")
    register.append([{"time": "2026-12-19T00:00:00Z", "event": "signed", "stage": "final",
                      "document": "bundle", "file": "b.pdf", "version": "1.0", "status": "record",
                      "sha256": "c" * 64, "workbook_file": "w.xlsx", "workbook_sha256": SHA_A,
                      "note": "", "signer": "Helen Carter"}])
    same = plan(register, "final", approved=True)
    assert same.event == "unchanged" and same.stale == ()
    changed = plan(register, "final", sha=SHA_B, approved=True)
    assert changed.version == "1.1" and [e.sha256 for e in changed.stale] == ["c" * 64]
    lines_ = reg.issue_entries(changed, {}, Path("w.xlsx"), dt.datetime(2026, 12, 20))
    assert lines_[0]["event"] == "stale" and "Helen Carter" in lines_[0]["note"]
    register.append(lines_)
    assert register.stale_signature("c" * 64) is not None
    assert plan(register, "final", sha=SHA_B, approved=True).stale == ()  # recorded once


# ---------------------------------------------------------------- the example, built for real


def footer_text(path: Path) -> str:
    document = docx.Document(str(path))
    return "".join(p.text for p in document.sections[0].footer.paragraphs)


def stamp_on(pdf_path: Path, page: int = 0) -> str:
    with pdfplumber.open(pdf_path) as pdf:
        text = pdf.pages[page].extract_text() or ""
    return text.splitlines()[-1] if text else ""


def test_example_register_records_every_issued_document(example_pack: Pack) -> None:
    entries = lines(example_pack.folder)
    got = [(e["stage"], e["document"], e["version"], e["status"], e["event"]) for e in entries]
    assert got == [("pre-read", "agenda", "1.0", "circulated", "issued"),
                   ("pre-read", "pre-read", "1.0", "circulated", "issued"),
                   ("pre-read", "minutes-form", "1.0", "circulated", "issued"),
                   ("pre-read", "pre-read-bundle", "1.0", "circulated", "issued"),
                   ("final", "minutes", "1.0", "record", "issued"),
                   ("final", "bundle", "1.0", "record", "issued")]
    good, final = reg.sha256_file(GOOD), reg.sha256_file(FINAL)
    assert [e["workbook_sha256"] for e in entries] == [good] * 4 + [final] * 2
    for entry in entries[:4]:  # nothing replaced them since
        published = sorted(example_pack.folder.glob(f"*-v*/{entry['file']}"))  # versioned packs
        assert published and all(reg.sha256_file(p) == entry["sha256"] for p in published)
    def stamp(epoch: str) -> str:
        return dt.datetime.fromtimestamp(int(epoch), dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert {e["time"] for e in entries if e["stage"] == "pre-read"} == {stamp(EPOCH)}  # the run's clock
    assert {e["time"] for e in entries if e["stage"] == "final"} == {stamp(FINAL_EPOCH)}


def test_rebuilding_the_pre_read_after_final_minutes_is_refused_then_reissued(
        example_pack: Pack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pack = example_pack.copy(tmp_path)
    before = {str(p): p.read_bytes() for p in pack.folder.glob("*/*.pdf")}
    register_before = (pack.folder / reg.REGISTER).read_bytes()
    code, _, err = build(pack.out)
    assert code == 1 and "--reissue" in err and "final minutes v1.0" in err and "Traceback" not in err
    assert {str(p): p.read_bytes() for p in pack.folder.glob("*/*.pdf")} == before
    assert (pack.folder / reg.REGISTER).read_bytes() == register_before
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(FINAL_EPOCH) + 86400))
    code, out, err = build(pack.out, GOOD, "--reissue", "--change-note", "corrected the d2 trend")
    assert code == 0, err
    assert "re-issued as v1.1: corrected the d2 trend after the meeting" in out
    pre_reads = [e for e in lines(pack.folder) if e["document"] == "pre-read"]
    assert [(e["version"], e["event"]) for e in pre_reads] == [("1.0", "issued"), ("1.1", "reissued")]
    assert pre_reads[1]["note"] == "corrected the d2 trend after the meeting"
    assert pre_reads[0]["sha256"] != pre_reads[1]["sha256"]
    assert footer_text(pack.file("pre-read.docx")).startswith(
        f"{RID} · Internal · PRE-READ v1.1 — for the meeting of 26 November 2026 · Page ")


def test_stamps_differ_between_pre_read_and_record(example_pack: Pack) -> None:
    pre = footer_text(example_pack.file("pre-read.docx"))
    minutes = footer_text(example_pack.file("minutes.docx"))
    assert pre.startswith(f"{RID} · Internal · PRE-READ v1.0 — for the meeting of 26 November 2026 · ")
    assert minutes.startswith(f"{RID} · Internal · RECORD v1.0 — approved by Helen Carter on "
                              "30 November 2026 · ")
    assert "Controlled copy" not in pre + minutes
    assert "PRE-READ v1.0 — for the meeting of 26 November 2026" in stamp_on(
        example_pack.file("pre-read.pdf"))
    assert "PRE-READ v1.0 — for the meeting of 26 Nov 2026 · Page 1 of" in stamp_on(
        example_pack.file("pre-read-bundle.pdf"))
    assert "RECORD v1.0 — approved 30 Nov 2026 · Page 1 of" in stamp_on(example_pack.file("bundle.pdf"))


def test_final_bundle_is_the_complete_record(example_pack: Pack) -> None:
    manifest = json.loads(example_pack.file("bundle-manifest.json").read_text("utf-8"))
    entries = {e["document"]: e for e in lines(example_pack.folder) if e["stage"] == "pre-read"}
    documents = {d["document"]: d for d in manifest["documents"]}
    assert set(documents) == {"agenda", "pre-read", "minutes"}
    for key in ("agenda", "pre-read"):  # as circulated: the register's hash
        assert documents[key]["sha256"] == entries[key]["sha256"]
        assert documents[key]["version"] == "1.0" and documents[key]["status"] == "circulated"
    assert documents["minutes"]["sha256"] == reg.sha256_file(example_pack.file("minutes.pdf"))
    workbooks = {w["sha256"]: w for w in manifest["workbooks"]}
    assert set(workbooks) == {reg.sha256_file(GOOD), reg.sha256_file(FINAL)}
    assert all(w["embedded"] for w in workbooks.values())
    with pikepdf.open(example_pack.file("bundle.pdf")) as pdf:
        names = set(pdf.attachments)
        for name, digest in manifest["attachments"].items():
            assert hashlib.sha256(pdf.attachments[name].get_file().read_bytes()).hexdigest() == digest
    assert {f"document-{RID}-agenda.pdf", f"document-{RID}-pre-read.pdf",
            "pre-read-workbook-review.xlsx", "review-final.xlsx", "manifest.json"} <= names
    control = manifest["control"]
    assert control["status"] == "record" and control["missing"] == []
    assert control["retention"] == "3 years from the meeting (until 26 November 2029)"
    with pdfplumber.open(example_pack.file("bundle.pdf")) as pdf:
        cover = pdf.pages[0].extract_text() or ""
    for words in ("COMPLETE means every evidence file", "loop check not run", "audits unfinished",
                  "not signed when made", "Retention", "until 26 November 2029", "Priya Natarajan",
                  "Completeness: COMPLETE"):
        assert words in cover.replace("\n", " "), words


def test_final_bundle_in_a_fresh_folder_fails_naming_what_is_missing(tmp_path: Path) -> None:
    code, _, err = build(tmp_path / "out", FINAL, "--stage", "final")
    assert code == 1 and "the agenda as circulated" in err and "the pre-read as circulated" in err
    assert "--allow-incomplete" in err and not (tmp_path / "out" / RID).exists()
    code, _, err = build(tmp_path / "out", FINAL, "--stage", "final", "--allow-incomplete")
    assert code == 0, err
    manifest = json.loads((tmp_path / "out" / RID / "final" / f"{RID}-bundle-manifest.json")
                          .read_text("utf-8"))
    assert manifest["status"].startswith("INCOMPLETE")
    assert any("pre-read as circulated" in m for m in manifest["control"]["missing"])
    cover_pages = next(p["pages"] for p in manifest["parts"] if p["key"] == "cover")
    with pdfplumber.open(tmp_path / "out" / RID / "final" / f"{RID}-bundle.pdf") as pdf:
        cover = " ".join(pdf.pages[n].extract_text() or "" for n in range(cover_pages))
    cover = cover.replace("\n", " ")
    assert "Completeness: INCOMPLETE" in cover and "the agenda as circulated" in cover


def test_final_bundle_refuses_a_replaced_pre_read(example_pack: Pack, tmp_path: Path) -> None:
    pack = example_pack.copy(tmp_path)
    for path in {p.resolve() for p in pack.folder.glob(f"*/{RID}-pre-read.pdf")}:  # every copy
        path.write_bytes(path.read_bytes() + b"\n% not the one circulated\n")
    code, _, err = build(pack.out, FINAL, "--stage", "final")
    assert code == 1 and "the pre-read v1.0 as circulated" in err and "put the circulated copy back" in err
