"""The template stops mistakes in Excel: formats, lists and checks per column — measured on the
template as written and after a LibreOffice round trip (what a Calc user's save does to it)."""

from __future__ import annotations

import shutil
import subprocess
import zoneinfo
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.workbook.contract import Column, Sheet, load_contract
from pipeline.workbook.template import (
    ATTENDEE_NAMES,
    COMMON_TIME_ZONES,
    TEXT_FORMAT,
    TIME_ZONE_NAMES,
    final_required,
    number_format,
)

from .conftest import GOOD, ROOT, validate_json

TEMPLATE = ROOT / "workbook_templates" / "management_review.xlsx"
CONTRACT = load_contract()
HEADER = CONTRACT.header_row
REGISTERS = [s for s in CONTRACT.sheets if s.kind == "table"]


def _letter(sheet: Sheet, col: Column) -> str:
    return get_column_letter(sheet.columns.index(col) + 1)


def _validation_at(ws: Worksheet, ref: str) -> DataValidation | None:
    return next((dv for dv in ws.data_validations.dataValidation if ref in dv.sqref), None)


def _expected(sheet: Sheet, col: Column) -> tuple[str | None, str | None]:
    """(type, formula start) of the check each column type must carry."""
    if col.type in ("enum", "yes_no"):
        return "list", '"'
    if col.type == "person" and sheet.name != "Attendees":
        return "list", ATTENDEE_NAMES
    if col.type == "ref":
        return "list", "Listd2MetricsMetricID"
    if col.type == "timezone":
        return "list", TIME_ZONE_NAMES
    if col.type == "id" and sheet.kind == "table":
        return "custom", "COUNTIF("
    if col.type == "period" and sheet.row_key:
        return "custom", "COUNTIFS("
    return {"date": ("date", "DATE("), "time": ("time", "0"), "integer": ("whole", None),
            "number": ("decimal", None), "percentage": ("decimal", "0")}.get(col.type, (None, None))


def check_workbook(wb: Workbook, rows_covered: int) -> list[str]:
    """Every protection the template promises, as a list of what is missing (empty: all there)."""
    missing: list[str] = []
    names = {name: d.attr_text for name, d in wb.defined_names.items()}
    if names.get(ATTENDEE_NAMES) != f"Attendees!$A${HEADER + 1}:$A${HEADER + 2000}":
        missing.append(f"{ATTENDEE_NAMES} = {names.get(ATTENDEE_NAMES)}")
    if names.get("Listd2MetricsMetricID") != f"'d2 Metrics'!$A${HEADER + 1}:$A${HEADER + 2000}":
        missing.append("the d2 Metric ID list")
    zones = [c.value for c in wb["Instructions"]["I"][1:] if c.value]
    if zones != list(COMMON_TIME_ZONES) or names.get(TIME_ZONE_NAMES) is None:
        missing.append("the time-zone list")
    for sheet in CONTRACT.data_sheets:
        ws = wb[sheet.name]
        for i, col in enumerate(sheet.columns):
            ref = f"B{HEADER + 1 + i}" if sheet.kind == "fields" else f"{_letter(sheet, col)}{HEADER + 1}"
            far = None if sheet.kind == "fields" else f"{_letter(sheet, col)}{HEADER + rows_covered}"
            kind, formula = _expected(sheet, col)
            dv = _validation_at(ws, ref)
            if kind is not None and (dv is None or dv.type != kind or
                                     (formula and not str(dv.formula1).lstrip("=").startswith(formula))):
                missing.append(f"{sheet.name}/{col.name}: {kind} check, got "
                               f"{dv.type if dv else None} {dv.formula1 if dv else ''}")
            if far and kind is not None and _validation_at(ws, far) is None:
                missing.append(f"{sheet.name}/{col.name}: no check at {far}")
            if dv is not None and not dv.prompt:
                missing.append(f"{sheet.name}/{col.name}: no input prompt")
            if sheet.kind == "table":
                missing += _column_format(ws, sheet, col)
    return missing


def _dimension(ws: Worksheet, index: int) -> Any:
    """The column's style record; Calc writes neighbours alike as one ``<col min max>``."""
    for dim in ws.column_dimensions.values():
        if dim.min is not None and dim.max is not None and dim.min <= index <= dim.max:
            return dim
    return ws.column_dimensions[get_column_letter(index)]


def _column_format(ws: Worksheet, sheet: Sheet, col: Column) -> list[str]:
    dim = _dimension(ws, sheet.columns.index(col) + 1)
    want = number_format(col)
    problems = []
    if want is not None and dim.number_format.replace("\\", "") != want:
        problems.append(f"{sheet.name}/{col.name}: column format {dim.number_format!r}, want {want!r}")
    if col.type == "long_text" and not dim.alignment.wrap_text:
        problems.append(f"{sheet.name}/{col.name}: long text not wrapped")
    return problems


@cache
def _template() -> Workbook:
    return load_workbook(TEMPLATE)


def test_the_template_carries_every_check() -> None:
    assert check_workbook(_template(), rows_covered=2000) == []


def test_id_period_and_text_columns_are_text_so_excel_keeps_what_is_typed() -> None:
    ws = _template()["a Previous actions"]
    assert ws.column_dimensions["A"].number_format == TEXT_FORMAT  # Action ID: 007 stays 007
    assert ws["A5"].number_format == TEXT_FORMAT  # the table's first row too
    assert _template()["d2 Metrics"].column_dimensions["F"].number_format == TEXT_FORMAT  # Period
    assert ws.column_dimensions["E"].number_format == "yyyy-mm-dd"  # Due date: a date
    assert _template()["Review"]["B12"].number_format == "hh:mm"  # Meeting time: a time


def test_duplicate_ids_are_refused_by_a_countif_rule() -> None:
    ws = _template()["f Risks"]
    dv = _validation_at(ws, "A5")
    assert dv is not None and dv.formula1 == "COUNTIF($A$5:$A$2004,A5)<=1"
    assert dv.showErrorMessage and "already used" in (dv.error or "")
    period = _validation_at(_template()["d2 Metrics"], "F5")
    assert period is not None and period.formula1 == "COUNTIFS($F$5:$F$2004,F5,$A$5:$A$2004,A5)<=1"


def test_owner_lists_warn_but_allow_a_non_attendee() -> None:
    dv = _validation_at(_template()["f Risks"], "C5")
    assert dv is not None and dv.formula1 == f"={ATTENDEE_NAMES}" and dv.errorStyle == "warning"


def test_final_minutes_columns_say_so() -> None:
    assert ("Decisions", "Owner") in final_required() and ("Decisions", "Due date") in final_required()
    decisions = _template()["Decisions"]
    for ref in ("E4", "F4"):  # Owner, Due date
        assert decisions[ref].comment.text.startswith("Required for the final minutes")
    review = _template()["Review"]
    labels = {review[f"A{r}"].value: review[f"C{r}"].value for r in range(5, review.max_row + 1)}
    assert labels["Approved by"].startswith("Required for the final minutes")
    assert labels["Approved on"].startswith("Required for the final minutes")
    assert labels["Next review date"].startswith("Optional")


def test_instructions_open_with_a_numbered_how_to_box() -> None:
    ws = _template()["Instructions"]
    assert ws["A3"].value == "How to fill this workbook"
    steps = [(ws[f"A{r}"].value, ws[f"B{r}"].value) for r in range(4, 12)]
    assert [n for n, _ in steps] == [f"{i}." for i in range(1, 9)]
    text = " ".join(t for _, t in steps)
    assert "validate review.xlsx --annotate checked.xlsx" in text
    assert "isms-review example" in text and "78 for 78 %" in text


def test_the_time_zone_list_holds_real_zones() -> None:
    assert set(COMMON_TIME_ZONES) <= zoneinfo.available_timezones()


# ----------------------------------------------------------------- LibreOffice round trip


@cache
def _round_trip(tmp: Path) -> dict[str, Path]:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed")
    src = tmp / "src"
    out = tmp / "out"
    src.mkdir()
    shutil.copy(TEMPLATE, src / "template.xlsx")
    shutil.copy(GOOD, src / "filled.xlsx")
    profile = (tmp / "profile").as_uri()
    subprocess.run([soffice, f"-env:UserInstallation={profile}", "--headless", "--norestore",
                    "--convert-to", "xlsx", "--outdir", str(out),
                    str(src / "template.xlsx"), str(src / "filled.xlsx")],
                   capture_output=True, timeout=240, check=False)
    files = {name: out / f"{name}.xlsx" for name in ("template", "filled")}
    if not all(p.is_file() for p in files.values()):
        pytest.fail("LibreOffice wrote no xlsx (is libreoffice-calc installed?)")
    return files


@pytest.fixture(scope="module")
def round_trip(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return _round_trip(tmp_path_factory.mktemp("roundtrip"))


def test_checks_survive_a_libreoffice_round_trip_of_the_template(round_trip: dict[str, Path]) -> None:
    """Calc keeps every check; it trims their ranges to 1,000 rows below the last used row."""
    assert check_workbook(load_workbook(round_trip["template"]), rows_covered=1000) == []


def test_checks_and_findings_survive_a_round_trip_of_a_filled_copy(round_trip: dict[str, Path]) -> None:
    wb = load_workbook(round_trip["filled"])
    assert check_workbook(wb, rows_covered=1000) == []
    assert wb["a Previous actions"]["A5"].number_format == TEXT_FORMAT
    assert "Unique action reference" in wb["a Previous actions"]["A4"].comment.text
    code, report = validate_json(round_trip["filled"])
    _, original = validate_json(GOOD)
    assert code == 0
    key: Any = lambda r: sorted((f["code"], f["cell"]) for f in r["findings"])  # noqa: E731
    assert key(report) == key(original)
