"""One home for each input: a ninth input added to a copy of the contract, with one analysis
module and no other source change, gets its agenda item, pre-read section, coverage-matrix row and
evidence group."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from pipeline.analysis import analyse
from pipeline.commands.build import build
from pipeline.commands.gate import check_workbook
from pipeline.commands.options import BuildOptions
from pipeline.workbook.contract import CONTRACT_ENV, load_contract
from pipeline.workbook.inputs import input_specs

from .conftest import EVIDENCE, GOOD, ROOT

H_SHEET = '''
[[sheet]]
name = "h Supplier reviews"
kind = "table"
table = "tblSupplierReviews"
input_ref = "h"
short_title = "Suppliers"
agenda_weight = 5
analysis = "tests.h_analysis"
clause = "9.3.2 h)"
title = "Results of supplier security reviews"
help = "Supplier reviews done in the period."
nothing_to_report = true

[[sheet.column]]
name = "Review ID"
type = "id"
required = true
help = "Unique supplier review reference."

[[sheet.column]]
name = "Supplier"
type = "text"
required = true
help = "The supplier reviewed."

[[sheet.column]]
name = "Outcome"
type = "enum"
values = ["Pass", "Fail"]
required = true
help = "Result of the review."
'''


@pytest.fixture
def extended(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(workbook, evidence folder) of the example with input h added, under an extended contract."""
    text = (ROOT / "pipeline" / "workbook" / "contract.toml").read_text("utf-8")
    at = text.index('[[sheet]]\nname = "Evidence"')
    contract = tmp_path / "contract.toml"
    contract.write_text(text[:at] + H_SHEET.lstrip() + "\n" + text[at:], "utf-8")
    monkeypatch.setenv(CONTRACT_ENV, str(contract))
    evidence = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, evidence)
    (evidence / "h").mkdir()
    shutil.copyfile(EVIDENCE / "f" / "risk-register.pdf", evidence / "h" / "supplier-reviews.pdf")
    wb = load_workbook(GOOD)
    ws = wb.create_sheet("h Supplier reviews", index=wb.sheetnames.index("Evidence"))
    for col, heading in enumerate(("Review ID", "Supplier", "Outcome"), start=1):
        ws.cell(row=4, column=col, value=heading)
    for r, row in enumerate((("SR-01", "CloudCo", "Pass"), ("SR-02", "ShipFast", "Fail")), start=5):
        for c, value in enumerate(row, start=1):
            ws.cell(row=r, column=c, value=value)
    ev = wb["Evidence"]
    headings = {ev.cell(row=4, column=c).value: c for c in range(1, ev.max_column + 1)}
    last = max(r for r in range(5, ev.max_row + 1) if ev.cell(row=r, column=1).value)
    new = {"Evidence ID": "EV-90", "Title": "Supplier review summary", "File": "h/supplier-reviews.pdf",
           "Input ref": "h", "Owner": "Grace Kim", "Date": ev.cell(row=last, column=headings["Date"]).value}
    for name, value in new.items():
        ev.cell(row=last + 1, column=headings[name], value=value)
    path = tmp_path / "review-h.xlsx"
    wb.save(path)
    return path, evidence


def test_the_registry_follows_the_contract(extended: tuple[Path, Path]) -> None:
    refs = [s.ref for s in input_specs(load_contract())]
    assert refs == ["a", "b", "c", "d1", "d2", "d3", "d4", "e", "f", "g", "h"]
    evidence_refs = load_contract().sheet("Evidence").column("Input ref").values
    assert "h" in evidence_refs and evidence_refs[-1] == "minutes"


def test_a_new_input_is_validated_analysed_documented_and_bundled(
        extended: tuple[Path, Path], tmp_path: Path) -> None:
    workbook, evidence = extended
    checked = check_workbook(workbook, evidence)
    assert checked.report.ok, [f.message for f in checked.report.errors]
    analysis = analyse(checked.data)
    assert analysis.coverage["h"] == "content"
    assert analysis.summary("h").headline == "2 supplier reviews; failed: SR-02."
    assert any(d.input_ref == "h" and d.source_id == "SR-02" for d in analysis.decisions_requested)
    assert analysis.to_dict()["supplier_reviews"] == {"total": 2, "failed": ["SR-02"]}

    result = build(BuildOptions(workbook, evidence, tmp_path / "out"))
    names = {p.name: p for p in result.files}
    agenda = "\n".join(p.text for p in docx.Document(str(names["MR-2026-H2-agenda.docx"])).paragraphs)
    agenda += "\n".join(c.text for t in docx.Document(str(names["MR-2026-H2-agenda.docx"])).tables
                        for row in t.rows for c in row.cells)
    assert "Results of supplier security reviews" in agenda and "9.3.2 h)" in agenda
    pre = docx.Document(str(names["MR-2026-H2-pre-read.docx"]))
    headings = [p.text for p in pre.paragraphs if p.style is not None and p.style.name.startswith("Heading")]
    assert any("9.3.2 h)" in h and "supplier security reviews" in h for h in headings), headings
    assert any("2 supplier reviews; failed: SR-02." in p.text for p in pre.paragraphs)

    bundle = PdfReader(names["MR-2026-H2-pre-read-bundle.pdf"])
    text = "\n".join(page.extract_text() or "" for page in bundle.pages)
    assert "9.3.2 h) Results of supplier security reviews" in text  # matrix row and group
    assert "Evidence for input h: 1 document(s)." in text
    matrix = next(t for t in (page.extract_text() or "" for page in bundle.pages)
                  if "Each input of ISO/IEC 27001:2022 clause 9.3.2" in t)
    assert matrix.index("9.3.2 g)") < matrix.index("9.3.2 h)")
    h_rows = matrix[matrix.index("9.3.2 h)"):].split("9.3.3")[0]
    assert "EV-90" in h_rows  # its evidence, on its own row
