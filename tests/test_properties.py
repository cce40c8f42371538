"""Property-based tests: any value in any column of any sheet never crashes the validator,
and every finding it produces is located."""

from __future__ import annotations

import copy
import datetime as dt
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

from pipeline.workbook.coerce import coerce, parse_date_text
from pipeline.workbook.contract import COLUMN_TYPES, Column, load_contract
from pipeline.workbook.evidence import evidence_files
from pipeline.workbook.findings import CODES
from pipeline.workbook.parse import parse_workbook
from pipeline.workbook.periods import month, parse_period, quarter, year
from pipeline.workbook.reader import RawWorkbook, read_workbook
from pipeline.workbook.rules import ALL_RULES
from pipeline.workbook.validate import validate_workbook

from .conftest import GOOD

CONTRACT = load_contract()

cell_values = st.one_of(
    st.none(),
    st.text(max_size=40),
    st.sampled_from(["", " ", "NA", "007", "2026-13-45", "03/04/2026", "25/12/2026", "Yes",
                     "no", "in progress", "Q3 2026", "2026-Q5", "=A1", "<w:p>", "{{ 7*7 }}",
                     "50%", "1e400", "-0", "a, b; d9", "../../etc/passwd", "\x00\x01\x1f"]),
    st.integers(min_value=-(10**12), max_value=10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)),
    st.datetimes(min_value=dt.datetime(1900, 1, 1), max_value=dt.datetime(2999, 12, 31)),
    st.times(),
    st.timedeltas(min_value=dt.timedelta(days=-2), max_value=dt.timedelta(days=2)),
)


def _column(kind: str) -> Column:
    return Column(name="X", type=kind, required=True, help="h",  # type: ignore[arg-type]
                  values=("Open", "In progress", "Done") if kind.startswith("enum") else (),
                  ref="d2 Metrics.Metric ID" if kind == "ref" else None, min=0, max=10)


@given(kind=st.sampled_from(COLUMN_TYPES), raw=cell_values)
def test_coerce_never_raises_and_names_known_codes(kind: str, raw: Any) -> None:
    _, problem = coerce(_column(kind), raw)
    if problem is not None:
        code, message = problem
        assert code in CODES and message


@given(st.text(max_size=30))
def test_period_parser_never_raises(text: str) -> None:
    parse_period(text)


@given(y=st.integers(1900, 2999), m=st.integers(1, 12), q=st.integers(1, 4))
def test_period_labels_round_trip(y: int, m: int, q: int) -> None:
    for period in (month(y, m), quarter(y, q), year(y)):
        assert parse_period(period.label) == period
        assert period.next().start == period.end + dt.timedelta(days=1)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)))
def test_iso_text_dates_are_read_exactly(day: dt.date) -> None:
    assert parse_date_text(day.isoformat()) == (day, None)


@given(st.dates(min_value=dt.date(1950, 1, 13), max_value=dt.date(2999, 12, 31)))
def test_day_first_text_dates_are_read_or_called_ambiguous(day: dt.date) -> None:
    value, problem = parse_date_text(day.strftime("%d/%m/%Y"))
    assert problem is not None
    if day.day > 12 or day.day == day.month:
        assert value == day and problem[0] == "date-as-text"
    else:
        assert value is None and problem[0] == "ambiguous-date"


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2999, 12, 31)),
       st.sampled_from(["%d %B %Y", "%d %b %Y", "%B %d, %Y", "%b %d %Y", "%d-%b-%Y", "%d Sept %Y"]))
def test_dates_with_month_names_are_read(day: dt.date, form: str) -> None:
    """Every common spelling of the month, "Sept" included (the four-letter form)."""
    if "Sept" in form and day.month != 9:
        day = day.replace(month=9, day=min(day.day, 30))
    value, problem = parse_date_text(day.strftime(form))
    assert value == day and problem is not None and problem[0] == "date-as-text"
    if day.month == 9:
        assert parse_period(day.strftime("Sept %Y")) == month(day.year, 9)


@cache
def _good_raw() -> RawWorkbook:
    return read_workbook(GOOD)


targets = st.tuples(
    st.sampled_from(sorted(_good_raw().sheets)),
    st.integers(min_value=0, max_value=40),
    st.integers(min_value=0, max_value=14),
    cell_values,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(changes=st.lists(targets, min_size=1, max_size=12))
def test_any_values_anywhere_never_crash_and_every_finding_is_located(
    changes: list[tuple[str, int, int, Any]],
) -> None:
    raw = copy.deepcopy(_good_raw())
    for sheet, r, c, value in changes:
        rows = raw.sheets[sheet].rows
        while len(rows) <= r:
            rows.append([""] * (len(rows[0]) if rows else 1))
        row = rows[r]
        while len(row) <= c:
            row.append("")
        row[c] = value
    data, found = parse_workbook(raw, CONTRACT)
    for rule in ALL_RULES:
        found.extend(rule(data))
    found.extend(evidence_files(data, None))
    for f in found:
        assert f.code in CODES
        assert f.sheet, f
        assert f.cell.startswith(f.cell.split("!")[0]) and f.cell, f
        if f.code not in ("missing-sheet", "unknown-sheet", "missing-field", "missing-column",
                          "no-heading-row", "sheet-renamed", "hidden-sheet"):
            assert f.row is not None and "!" in f.cell, f


printable = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=60
)
file_values = st.one_of(printable, st.integers(-(10**9), 10**9),
                        st.floats(allow_nan=False, allow_infinity=False),
                        st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2999, 1, 1)))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=st.lists(st.tuples(st.sampled_from([s.name for s in CONTRACT.data_sheets]),
                                  st.integers(1, 30), st.integers(1, 14), file_values),
                        min_size=1, max_size=8))
def test_random_cells_in_a_real_file_never_crash(tmp_path_factory: Any, changes: list[Any]) -> None:
    wb = load_workbook(GOOD)
    for sheet, r, c, value in changes:
        wb[sheet].cell(row=r, column=c, value=value)
    path = Path(tmp_path_factory.mktemp("prop")) / "random.xlsx"
    wb.save(path)
    result = validate_workbook(path)
    for f in result.report.findings:
        assert f.sheet and f.cell
