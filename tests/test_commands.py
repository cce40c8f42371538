"""The commands layer: one due-date rule for agenda and scheduler, one LibreOffice start per
build, and `validate --stage final` reporting exactly what `build --stage final` refuses."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import docx
import pytest
from openpyxl.workbook.workbook import Workbook

from pipeline.commands.build import build
from pipeline.commands.options import BuildOptions

from .conftest import EVIDENCE, FINAL, run_cli


def _set_review(field: str, value: object) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        ws = wb["Review"]
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == field)
        ws.cell(row=row, column=2, value=value)
    return change


def _both(*changes: Callable[[Workbook], None]) -> Callable[[Workbook], None]:
    def change(wb: Workbook) -> None:
        for c in changes:
            c(wb)
    return change


def test_agenda_due_date_equals_the_schedulers(mutate: Callable[..., Path], tmp_path: Path) -> None:
    """A 1 April 2027 meeting in England: Good Friday and Easter Monday are skipped, so the
    pre-read is due on Tuesday 23 March in the agenda and in `schedule --list` alike."""
    workbook = mutate(_both(_set_review("Meeting date", dt.datetime(2027, 4, 1)),
                            _set_review("Next review date", dt.datetime(2027, 10, 7)),
                            _set_review("Holiday calendar", "GB-ENG")))
    schedule = tmp_path / "schedule.toml"
    schedule.write_text(f'[[review]]\nname = "acme"\nworkbook = "{workbook}"\nevidence = "{EVIDENCE}"\n'
                        f'output = "{tmp_path / "sched"}"\ntimezone = "Europe/London"\n')
    code, out, err = run_cli("schedule", str(schedule), "--list", "--now", "2027-03-01T00:00Z")
    assert code == 0, err
    listed = re.search(r"due \w+ (\d{4}-\d\d-\d\d)", out)
    assert listed is not None, out
    result = build(BuildOptions(workbook, None, tmp_path / "out"))
    agenda = next(p for p in result.files if p.name.endswith("-agenda.docx"))
    text = "\n".join(p.text for p in docx.Document(str(agenda)).paragraphs)
    assert listed.group(1) == "2027-03-23"
    assert "23 March 2027" in text and "25 March 2027" not in text


def test_a_bad_holiday_calendar_names_the_field(mutate: Callable[..., Path], tmp_path: Path) -> None:
    workbook = mutate(_set_review("Holiday calendar", "GB-XX"))
    code, _, err = run_cli("build", str(workbook), "--evidence", str(EVIDENCE), "--out", str(tmp_path))
    assert code == 1 and "Review sheet" in err and "GB-XX" in err and "subdivision" in err


def test_libreoffice_starts_once_for_documents_and_office_evidence(
        monkeypatch: pytest.MonkeyPatch, mutate: Callable[..., Path], tmp_path: Path) -> None:
    import pipeline.office as office

    evidence = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    doc = docx.Document()
    doc.add_paragraph("Supplier assurance summary for the review period.")
    doc.save(str(evidence / "f" / "supplier-assurance.docx"))

    def add_row(wb: Workbook) -> None:
        ev = wb["Evidence"]
        heads = {ev.cell(row=4, column=c).value: c for c in range(1, ev.max_column + 1)}
        last = max(r for r in range(5, ev.max_row + 1) if ev.cell(row=r, column=1).value)
        day = ev.cell(row=last, column=heads["Date"]).value
        for name, value in {"Evidence ID": "EV-91", "Title": "Supplier assurance",
                            "File": "f/supplier-assurance.docx", "Input ref": "f",
                            "Owner": "Grace Kim", "Date": day}.items():
            ev.cell(row=last + 1, column=heads[name], value=value)

    workbook = mutate(add_row)
    starts: list[list[str]] = []
    real = subprocess.Popen

    def counting(args: Any, *a: Any, **kw: Any) -> Any:
        if any("soffice" in str(x) for x in args):  # directly or under unshare/chroot
            starts.append([str(x) for x in args])
        return real(args, *a, **kw)

    monkeypatch.setattr(office.subprocess, "Popen", counting)
    result = build(BuildOptions(workbook, evidence, tmp_path / "out"))
    assert len(starts) == 1, starts
    assert sum(x.endswith(".docx") for x in starts[0]) == 4  # agenda, pre-read, form, evidence
    sidecar = next(p for p in result.files if p.name.endswith("bundle-manifest.json"))
    manifest = json.loads(sidecar.read_text())
    assert "EV-91" in json.dumps(manifest)
    assert not any(".office" in str(p) or re.fullmatch(r"e\d{4}\.pdf", p.name) for p in result.files)


def _no_owner(wb: Workbook) -> None:
    ws = wb["Decisions"]
    heads = {ws.cell(row=4, column=c).value: c for c in range(1, ws.max_column + 1)}
    ws.cell(row=5, column=heads["Owner"]).value = None


def test_validate_stage_final_reports_what_build_final_refuses(
        mutate: Callable[..., Path], tmp_path: Path) -> None:
    workbook = mutate(_no_owner, source=FINAL)
    code, out, _ = run_cli("validate", str(workbook), "--stage", "final", "--json")
    report = json.loads(out)
    final_codes = sorted({f["code"] for f in report["findings"] if f["severity"] == "error"})
    assert code == 1 and "decision-incomplete" in final_codes
    code_pre, out_pre, _ = run_cli("validate", str(workbook), "--json")
    assert code_pre == 0  # before the meeting the same gap is a warning
    assert "decision-incomplete" in {f["code"] for f in json.loads(out_pre)["findings"]}
    code_build, _, err = run_cli("build", str(workbook), "--evidence", str(EVIDENCE), "--out",
                                 str(tmp_path / "out"), "--stage", "final")
    assert code_build == 1 and "final minutes refused" in err
    assert sorted(set(re.findall(r"\b(decision-incomplete|top-management-absent)\b", err))) == \
        [c for c in final_codes if c in ("decision-incomplete", "top-management-absent")]
    assert not (tmp_path / "out" / "MR-2026-H2").exists()


def test_documents_folder_is_found_inside_the_review_folder(tmp_path: Path) -> None:
    """--documents given the review's folder (as the README's example does) finds the final
    pack inside it, else the pre-read pack; a folder with none of the documents is an error,
    never a bundle silently without its agenda, pre-read and minutes."""
    from pipeline.commands.bundle import documents_given
    from pipeline.errors import UserError

    rid = "MR-2026-H2"
    for stage, names in (("pre-read", ("agenda", "pre-read", "minutes-form")), ("final", ("minutes",))):
        (tmp_path / stage).mkdir()
        for name in names:
            (tmp_path / stage / f"{rid}-{name}.pdf").write_bytes(b"%PDF-1.7\n")
    assert documents_given(tmp_path, rid) == {"minutes": tmp_path / "final" / f"{rid}-minutes.pdf"}
    assert set(documents_given(tmp_path / "pre-read", rid)) == {"agenda", "pre-read", "minutes-form"}
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(UserError, match=r"no meeting document of MR-2026-H2 .* output/MR-2026-H2/final"):
        documents_given(empty, rid)
