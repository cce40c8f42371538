"""Bounded work and no aborts: every limit is checked from the XML before the reader runs, and
names the sheet or cell and the limit; dates outside 1900-9998 are findings at their cell."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import resource
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.workbook.workbook import Workbook

from pipeline.workbook import limits
from pipeline.workbook.filecheck import WorkbookFileError
from pipeline.workbook.findings import column_letter
from pipeline.workbook.limits import (
    LONG_TEXT_CHARS,
    MAX_CELLS,
    MAX_ROWS,
    MAX_SHEETS,
    MAX_TOTAL_TEXT,
    TEXT_CHARS,
    TextBudget,
    check_sheet_xml,
)

from .conftest import findings, the_finding, validate_json
from .xlsx_builder import inline_row, minimal_xlsx, shared_row, with_shared_strings

Mutate = Callable[..., Path]
REVIEW = [inline_row(5, ["Organisation", "Acme"])]


def _validate_in_child(path: Path, memory: int | None = None) -> subprocess.CompletedProcess[str]:
    def cap() -> None:
        if memory:
            resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    return subprocess.run([sys.executable, "-m", "pipeline", "validate", str(path)],
                          capture_output=True, text=True, timeout=300, preexec_fn=cap)


def _one_line(proc: subprocess.CompletedProcess[str], path: Path, *phrases: str) -> str:
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-500:])  # not -6 (SIGABRT)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and str(path) in lines[0], proc.stderr[-500:]
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def test_a_value_at_xfd1048576_is_refused_not_an_abort(tmp_path: Path) -> None:
    """This cell once made the reader ask for 549 GB and abort the process (SIGABRT)."""
    path = tmp_path / "review.xlsx"
    path.write_bytes(minimal_xlsx({"Review": [*REVIEW, '<row r="1048576"><c r="XFD1048576">'
                                              "<v>1</v></c></row>"]}))
    proc = _validate_in_child(path)
    _one_line(proc, path, "'Review'", "XFD1048576", f"{MAX_ROWS:,} rows")


def test_a_far_column_makes_the_used_area_too_large(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    path.write_bytes(minimal_xlsx({"Review": REVIEW, "f Risks": [
        inline_row(4, ["Risk ID"]), '<row r="50000"><c r="ZZ50000"><v>1</v></c></row>']}))
    proc = _validate_in_child(path)
    _one_line(proc, path, "'f Risks'", "ZZ50000", "50,000 rows × 702 columns", f"{MAX_CELLS:,} cells")


def test_cells_without_references_are_measured_too(tmp_path: Path) -> None:
    wide = "<row>" + "<c><v>1</v></c>" * 2_000 + "</row>"  # positions implied: A1 … BXX1
    path = tmp_path / "review.xlsx"
    path.write_bytes(minimal_xlsx({"Review": REVIEW, "f Risks": [
        wide, '<row r="9000"><c r="A9000"><v>1</v></c></row>']}))
    proc = _validate_in_child(path)
    _one_line(proc, path, "'f Risks'", "A9000", "9,000 rows × 2,000 columns", f"{MAX_CELLS:,} cells")


def test_too_many_sheets(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    path.write_bytes(minimal_xlsx({f"S{i}": [inline_row(1, ["x"])] for i in range(MAX_SHEETS + 1)}))
    proc = _validate_in_child(path)
    _one_line(proc, path, f"{MAX_SHEETS + 1:,} sheets", f"limit of {MAX_SHEETS}")


def test_one_long_shared_string_in_99000_cells_is_refused_quickly_and_small(tmp_path: Path) -> None:
    """Once 6.3 GB and minutes; now refused before reading, inside a 2.5 GB address space."""
    rows = [inline_row(4, ["Risk ID", "Risk"])] + [shared_row(r, 0) for r in range(5, 99_005)]
    data = minimal_xlsx({"Review": REVIEW, "f Risks": rows})
    path = tmp_path / "review.xlsx"
    path.write_bytes(with_shared_strings(data, ["x" * 32_767]))
    start = time.monotonic()
    proc = _validate_in_child(path, memory=2_500 * 1024 * 1024)
    elapsed = time.monotonic() - start
    line = _one_line(proc, path, f"{MAX_TOTAL_TEXT:,} characters", "'f Risks'!A")
    assert "repeated in many cells" in line
    assert elapsed < 60


def test_the_total_text_limit_names_the_cell(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_TOTAL_TEXT", 5_000)
    budget = limits.shared_string_lengths(b"<sst><si><t>" + b"y" * 1_000 + b"</t></si></sst>")
    xml = b"<worksheet><sheetData>" + b"".join(
        f'<row r="{r}"><c r="B{r}" t="s"><v>0</v></c></row>'.encode() for r in range(1, 20)
    ) + b"</sheetData></worksheet>"
    with pytest.raises(WorkbookFileError, match=r"'Risks'!B5"):
        check_sheet_xml(Path("w.xlsx"), "Risks", xml, budget)


def test_inline_text_counts_towards_the_total(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_TOTAL_TEXT", 5_000)
    xml = b"<worksheet><sheetData>" + b"".join(
        f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{"z" * 600}</t></is></c></row>'.encode()
        for r in range(1, 11)) + b"</sheetData></worksheet>"
    with pytest.raises(WorkbookFileError, match="sheet 'Notes'"):
        check_sheet_xml(Path("w.xlsx"), "Notes", xml, TextBudget())


def test_a_cell_longer_than_its_column_allows(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["B5"] = "r" * (LONG_TEXT_CHARS + 1)  # Risk: long text
        wb["f Risks"]["C5"] = "o" * 32_767  # Owner: a person, Excel's own maximum
        wb["Review"]["B5"] = "A" * (TEXT_CHARS + 1)  # Organisation

    code, report = validate_json(mutate(fn))
    assert code == 1
    risk = the_finding(report, "cell-too-long", "'f Risks'!B5")
    assert f"{LONG_TEXT_CHARS + 1:,} characters" in risk["message"]
    assert f"at most {LONG_TEXT_CHARS:,}" in risk["message"]
    assert f"at most {TEXT_CHARS:,}" in the_finding(report, "cell-too-long", "'f Risks'!C5")["message"]
    the_finding(report, "cell-too-long", "Review!B5")
    assert len(findings(report, "cell-too-long")) == 3


def _area_in_child(path: Path, conn: object) -> None:
    import python_calamine

    book = python_calamine.CalamineWorkbook.from_path(str(path))
    sheet = book.get_sheet_by_name("S")
    conn.send(sheet.height * sheet.width)  # type: ignore[attr-defined]


cells = st.lists(st.tuples(st.one_of(st.integers(1, 30), st.integers(99_990, 2_000_000)),
                           st.one_of(st.integers(0, 30), st.integers(600, 16_383)),
                           st.booleans()), min_size=1, max_size=6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(layout=cells)
def test_the_check_never_lets_through_what_the_reader_cannot_hold(tmp_path: Path, layout: list[
        tuple[int, int, bool]]) -> None:
    """Whatever the references (or their absence), a sheet the check accepts fits the limit:
    the reader, run in a child so that an abort cannot kill the tests, agrees."""
    rows = []
    for row, col, with_ref in sorted(layout):
        ref = f' r="{column_letter(col)}{row}"' if with_ref else ""
        rows.append(f'<row r="{row}"><c{ref}><v>1</v></c></row>')
    data = minimal_xlsx({"S": rows})
    path = tmp_path / "s.xlsx"
    path.write_bytes(data)
    import zipfile

    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    try:
        check_sheet_xml(path, "S", xml, TextBudget())
    except WorkbookFileError:
        return
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_area_in_child, args=(path, child))
    process.start()
    process.join(60)
    assert process.exitcode == 0, f"the reader died (exit {process.exitcode}) on {layout}"
    assert parent.recv() <= MAX_CELLS


@pytest.mark.parametrize(("value", "why"), [
    ("0001-01-01", "outside the years 1900 to 9998"),
    (dt.datetime(1, 1, 1), "0 or a negative number formatted as a date"),
    (-5, "0 or a negative number formatted as a date"),
    (0, "0 or a negative number formatted as a date"),
    ("9999-12-31", "outside the years 1900 to 9998"),
])
def test_dates_outside_the_supported_years_are_findings(mutate: Mutate, value: object, why: str) -> None:
    def fn(wb: Workbook) -> None:
        wb["Review"]["B8"] = value  # Period start, formatted as a date
        wb["Review"]["B8"].number_format = "yyyy-mm-dd"

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "date-out-of-range", "Review!B8")
    assert why in hit["message"] and "00:00" not in hit["message"]  # not the reader's stand-in


def test_cell_problems_quote_what_was_typed(mutate: Mutate) -> None:
    """A serial typed as text gets the same hint as a number cell; TRUE is quoted as TRUE."""
    def fn(wb: Workbook) -> None:
        wb["Review"]["B9"] = "46326"  # Period end, as text
        wb["d3 Audits"]["F5"] = True  # Majors

    _, report = validate_json(mutate(fn))
    serial = the_finding(report, "wrong-type", "Review!B9")
    assert "it may be the date 2026-10-31" in serial["message"], serial
    typed = the_finding(report, "wrong-type", "'d3 Audits'!F5")
    assert "'Majors' 'TRUE' is not a number" in typed["message"], typed


def test_dates_at_the_edges_of_the_supported_years_are_read(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["M5"] = dt.datetime(1900, 1, 1)
        wb["a Previous actions"]["E5"] = "9998-12-31"

    _, report = validate_json(mutate(fn))
    assert not findings(report, "date-out-of-range")
    assert findings(report, "date-far-from-period")  # still worth a look
