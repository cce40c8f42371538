"""Plausibility: figures Excel stored differently from what the person meant, named by cell, with
the scale assumed and the fix; and values that are merely unusual are left alone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.workbook.workbook import Workbook

from pipeline.workbook.contract import load_contract
from pipeline.workbook.model import Record, Review, Table, WorkbookData
from pipeline.workbook.plausibility import metric_scale

from .conftest import findings, the_finding, validate_json

Mutate = Callable[..., Path]
M02_ROWS = range(11, 17)  # M-02 "critical vulnerabilities remediated", %, target 95, values 78-91


def test_78_percent_typed_into_a_percentage_cell(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        cell = wb["d2 Metrics"]["G16"]
        cell.value = 0.78  # what Excel stores for "78 %"
        cell.number_format = "0%"

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "implausible-value", "'d2 Metrics'!G16")
    assert len(findings(report, "implausible-value")) == 1
    message = hit["message"]
    assert "0.78" in message and "78 %" in message and "M-02" in message
    assert "Assumed scale" in message and "type 78" in message
    assert "(80 to 91)" in message and "(95)" in message  # its history and its target


def test_a_whole_metric_typed_as_fractions_is_one_finding(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        ws = wb["d2 Metrics"]
        for row in M02_ROWS:
            ws[f"G{row}"] = ws[f"G{row}"].value / 100
            ws[f"E{row}"] = 0.95

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "implausible-value", "'d2 Metrics'!G11")
    assert len(findings(report, "implausible-value")) == 1
    assert "unit %" in hit["message"] and "percentage points (0 to 100)" in hit["message"]


def test_a_target_typed_as_a_fraction_is_one_finding(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        for row in M02_ROWS:
            wb["d2 Metrics"][f"E{row}"] = 0.95

    code, report = validate_json(mutate(fn))
    assert code == 1
    hit = the_finding(report, "implausible-value", "'d2 Metrics'!E11")
    assert len(findings(report, "implausible-value")) == 1
    assert "Type 95" in hit["message"] and "stored as 0.95" in hit["message"]


def test_a_decimal_point_slip_in_hours_is_named(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d2 Metrics"]["G7"] = 420  # M-01 MTTR in hours, 3.6-5.5: 4.2 typed without its point

    code, report = validate_json(mutate(fn))
    hit = the_finding(report, "implausible-value", "'d2 Metrics'!G7")
    assert "100 times larger" in hit["message"] and "decimal point" in hit["message"]
    assert code == 1


def test_a_low_but_real_percentage_is_not_flagged(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d2 Metrics"]["G34"] = 0.9  # phishing click rate of 0.9 %: low, not 100x off

    code, report = validate_json(mutate(fn))
    assert code == 0
    assert not findings(report, "implausible-value")


@settings(max_examples=200, deadline=None)
@given(history=st.lists(st.floats(min_value=40, max_value=100), min_size=3, max_size=8),
       value=st.floats(min_value=40, max_value=100), typed_as_percent=st.booleans())
def test_a_value_divided_by_100_is_always_caught_and_only_then(
    history: list[float], value: float, typed_as_percent: bool,
) -> None:
    """A percentage metric near its target (40-100): a value stored as a fraction is caught,
    whatever its history; the same value typed right never is."""
    stored = value / 100 if typed_as_percent else value
    contract = load_contract()
    sheet = contract.sheet("d2 Metrics")
    table = Table(sheet=sheet, present=True, actual_name="d2 Metrics",
                  columns={"Metric ID": 0, "Unit": 2, "Target": 4, "Period": 5, "Value": 6})
    for i, v in enumerate([*history, stored]):
        table.records.append(Record(row=5 + i, values={"Metric ID": "M-01", "Unit": "%",
                                                       "Target": 95.0, "Value": v},
                                    declared=table.declared, sheet=sheet.name))
    data = WorkbookData(path=Path("x.xlsx"), sha256="", contract=contract,
                        review=Review({}, contract.sheet("Review")), review_rows={},
                        tables={"d2 Metrics": table})
    found = list(metric_scale(data))
    assert [f.cell for f in found] == ([f"'d2 Metrics'!G{5 + len(history)}"] if typed_as_percent else [])


def test_progress_of_one_is_ambiguous_unless_achieved(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d4 Objectives"]["F9"] = 1  # OBJ-05, At risk: 1 % or 100 %?

    code, report = validate_json(mutate(fn))
    assert code == 0
    hit = the_finding(report, "ambiguous-percentage", "'d4 Objectives'!F9")
    assert "read as 100 %" in hit["message"] and "type 1%" in hit["message"]
    assert len(findings(report, "ambiguous-percentage")) == 1  # OBJ-03 is 100 % and Achieved


def test_a_date_decades_from_the_period_is_named(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["a Previous actions"]["E5"] = dt.datetime(2062, 3, 31)  # 2026 with two digits swapped
        wb["f Risks"]["M5"] = dt.datetime(1926, 2, 1)

    code, report = validate_json(mutate(fn))
    due = the_finding(report, "date-far-from-period", "'a Previous actions'!E5")
    assert "36 years after the review period (2026-05-01 to 2026-10-31)" in due["message"]
    old = the_finding(report, "date-far-from-period", "'f Risks'!M5")
    assert "100 years before" in old["message"]
    assert len(findings(report, "date-far-from-period")) == 2
    assert code == 0


def test_a_next_review_decades_away_is_named(mutate: Mutate) -> None:
    row = 0

    def fn(wb: Workbook) -> None:
        nonlocal row
        row = next(c.row for c in wb["Review"]["A"] if c.value == "Next review date")
        wb["Review"][f"B{row}"] = dt.datetime(2207, 6, 10)

    code, report = validate_json(mutate(fn))
    the_finding(report, "date-far-from-period", f"Review!B{row}")
    assert code == 0


def test_a_metric_with_one_period_has_no_trend(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        ws = wb["d2 Metrics"]
        row = ws.max_row + 1
        for column, value in zip("ABCDEFGHI", ["M-09", "Third-party reviews done", "%", "Higher",
                                               90, "2026-10", 60, "GRC", "Priya Natarajan"],
                                 strict=True):
            ws[f"{column}{row}"] = value

    code, report = validate_json(mutate(fn))
    assert code == 0
    hit = the_finding(report, "single-period", "'d2 Metrics'!F52")
    assert "M-09" in hit["message"] and "no trend" in hit["message"]
    assert len(findings(report, "single-period")) == 1
