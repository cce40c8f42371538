"""The template and the example are generated from the contract, reproducibly."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.docs import END, START, sheet_reference
from pipeline.example import write_example
from pipeline.workbook.contract import load_contract

from .conftest import EXAMPLE, ROOT, run_cli

TEMPLATE = ROOT / "workbook_templates" / "management_review.xlsx"
CONTRACT = load_contract()


def test_committed_template_is_what_new_workbook_writes(tmp_path: Path) -> None:
    out = tmp_path / "new.xlsx"
    code, _, err = run_cli("new-workbook", str(out))
    assert code == 0, err
    assert out.read_bytes() == TEMPLATE.read_bytes(), (
        "workbook_templates/management_review.xlsx is stale: run "
        "`isms-review new-workbook --force workbook_templates/management_review.xlsx`"
    )


def test_committed_example_is_what_the_generator_writes(tmp_path: Path) -> None:
    written = write_example(tmp_path)
    for path in written:
        committed = EXAMPLE / path.relative_to(tmp_path)
        assert committed.exists(), committed
        assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(
            committed.read_bytes()).digest(), f"{committed} is stale: run `isms-review example {EXAMPLE}`"


def test_new_workbook_refuses_to_overwrite(tmp_path: Path) -> None:
    out = tmp_path / "new.xlsx"
    out.write_bytes(b"mine")
    code, _, err = run_cli("new-workbook", str(out))
    assert code == 1 and "already exists" in err
    assert out.read_bytes() == b"mine"


def test_template_has_every_sheet_and_heading_in_contract_order() -> None:
    wb = load_workbook(TEMPLATE)
    assert wb.sheetnames == [s.name for s in CONTRACT.sheets]
    for sheet in CONTRACT.sheets:
        ws = wb[sheet.name]
        if sheet.kind == "table":
            headings = [c.value for c in ws[CONTRACT.header_row]]
            assert headings == [c.name for c in sheet.columns]
            assert ws.freeze_panes == f"A{CONTRACT.header_row + 1}"
            assert sheet.table in ws.tables
            assert ws["A1"].value.startswith(sheet.clause)
        if sheet.kind == "fields":
            labels = [ws.cell(row=r, column=1).value for r in range(5, 5 + len(sheet.columns))]
            assert labels == [c.name for c in sheet.columns]


@pytest.mark.parametrize("sheet", [s for s in CONTRACT.sheets if s.kind == "table"],
                         ids=lambda s: s.name)
def test_every_register_column_has_help_and_validation(sheet: object) -> None:
    from pipeline.workbook.contract import Sheet

    assert isinstance(sheet, Sheet)
    ws = load_workbook(TEMPLATE)[sheet.name]
    by_column: dict[str, list[object]] = {}
    for dv in ws.data_validations.dataValidation:
        for ref in str(dv.sqref).split():
            by_column.setdefault("".join(ch for ch in ref.split(":")[0] if ch.isalpha()), []).append(dv)
    for index, col in enumerate(sheet.columns):
        cell = ws.cell(row=CONTRACT.header_row, column=index + 1)
        assert cell.comment is not None and col.help in cell.comment.text
        dvs = by_column.get(cell.column_letter, [])
        assert dvs, f"{sheet.name}/{col.name} has no data validation"
        dv = dvs[0]
        if col.type == "enum":
            assert dv.type == "list" and dv.formula1 == '"' + ",".join(col.values) + '"'
        elif col.type == "yes_no":
            assert dv.type == "list" and dv.formula1 == '"Yes,No"'
        elif col.type == "date":
            assert dv.type == "date"
        elif col.type == "integer":
            assert dv.type == "whole"
        assert dv.prompt


def test_mandatory_inputs_have_a_nothing_to_report_cell() -> None:
    wb = load_workbook(TEMPLATE)
    for sheet in CONTRACT.input_sheets:
        ws = wb[sheet.name]
        assert ws.cell(row=CONTRACT.header_row - 1, column=1).value == CONTRACT.nothing_to_report_label


def test_readme_sheet_reference_is_generated_from_the_contract() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    block = readme.split(START, 1)[1].split(END, 1)[0].strip()
    assert block == sheet_reference().strip(), "README is stale: run `python -m pipeline.docs README.md`"
    for sheet in CONTRACT.data_sheets:
        assert f"`{sheet.name}`" in block


def test_readme_first_lines_are_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text("utf-8").splitlines()[:6]
    assert any(line.startswith("make setup") for line in head)
    assert any(line.startswith("make test") for line in head)
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make setup" in ci and "make test" in ci


def test_every_command_has_help() -> None:
    from pipeline.cli import main

    for name in main.list_commands(None):  # type: ignore[arg-type]
        code, out, _ = run_cli(name, "--help")
        assert code == 0 and len(out) > 80, name
        assert main.get_command(None, name).help, name  # type: ignore[arg-type, union-attr]


def test_template_guide_is_generated_from_the_context_model() -> None:
    from pipeline.docs import GUIDE_END, GUIDE_START, template_guide

    guide = (ROOT / "docs" / "templates.md").read_text("utf-8")
    block = guide.split(GUIDE_START, 1)[1].split(GUIDE_END, 1)[0]
    assert block.strip() == template_guide().strip(), "run `python -m pipeline.docs README.md`"
    for name in ("doc", "meeting", "sections", "kpis", "decisions", "badge"):
        assert f"`{name}`" in block
    head = guide.split(GUIDE_START, 1)[0]
    assert "## Recipes" in head and "## Troubleshooting" in head
