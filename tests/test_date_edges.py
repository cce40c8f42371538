"""Dates at the edges: SOURCE_DATE_EPOCH that is not a build time is a usage error (exit 2, one
line); `next` from a review at the end of the calendar, and any computed date beyond 9998, is a
message naming the field — never OverflowError, never "internal problem"."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.daterange import LAST, DateOutOfRange, shifted
from pipeline.files import MAX_EPOCH, SourceDateError, reproducible_zip, source_date
from pipeline.loop.rollforward import NextReview, rolled_review
from pipeline.schedule.runner import run_due

from .conftest import FINAL, run_cli
from .test_schedule import review

D = dt.date


@pytest.mark.parametrize("value", ["abc", "-1", "1.5", "12e3", "253402300800", "99999999999999999999",
                                   "١٢٣"])  # Arabic-Indic digits pass str.isdigit()
def test_source_date_epoch_out_of_range_is_a_usage_error(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path, value: str) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    with pytest.raises(SourceDateError) as error:
        source_date()
    assert error.value.exit_code == 2 and "SOURCE_DATE_EPOCH" in str(error.value)
    code, _, err = run_cli("next", str(FINAL), "--out", str(tmp_path / "next.xlsx"))
    assert code == 2 and err.count("\n") == 1 and err.startswith("error: SOURCE_DATE_EPOCH=")
    assert "fix or unset it" in err and "9999-12-31" in err and not (tmp_path / "next.xlsx").exists()


@pytest.mark.parametrize(("value", "expected"), [
    ("0", dt.datetime(1970, 1, 1)), (" 1765000000 ", dt.datetime(2025, 12, 6, 5, 46, 40)),
    (str(MAX_EPOCH), dt.datetime(9999, 12, 31, 23, 59, 59)), ("", None)])
def test_source_date_epoch_in_range(monkeypatch: pytest.MonkeyPatch, value: str,
                                    expected: dt.datetime | None) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    fallback = dt.datetime(2026, 1, 1)
    assert source_date(fallback) == (expected or fallback)


def test_the_last_second_still_makes_a_workbook(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Zip timestamps end in 2107: later build times are clamped, not a struct.error."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(MAX_EPOCH))
    code, _, err = run_cli("next", str(FINAL), "--out", str(tmp_path / "next.xlsx"))
    assert code == 0, err
    import io
    import zipfile

    data = reproducible_zip((tmp_path / "next.xlsx").read_bytes(), dt.datetime(9999, 12, 31))
    assert zipfile.ZipFile(io.BytesIO(data)).infolist()[0].date_time[0] == 2107


def previous(**dates: Any) -> dict[str, Any]:
    base = {"Review ID": "MR-9998-H2", "Period start": D(9998, 1, 1), "Period end": D(9998, 6, 30),
            "Data cut-off": D(9998, 7, 10), "Meeting date": D(9998, 7, 20)}
    return {**base, **dates}


@pytest.mark.parametrize(("dates", "field"), [
    ({"Period start": D(9999, 1, 1), "Period end": D(9999, 12, 31)}, "Period start"),  # day after: 10000
    ({"Period start": D(9998, 7, 1), "Period end": D(9998, 12, 31)}, "Period start"),  # 9999-01-01
    ({"Period start": D(9998, 1, 1), "Period end": D(9998, 6, 30), "Meeting date": D(9999, 12, 31)},
     "Meeting date"),
])
def test_next_from_the_end_of_the_calendar_names_the_field(dates: dict[str, Any], field: str) -> None:
    with pytest.raises(DateOutOfRange) as error:
        rolled_review(previous(**dates), NextReview())
    message = str(error.value)
    assert field in message and "9998-12-31" in message and "--period-start" in message


def test_next_with_an_explicit_date_too_late(tmp_path: Path) -> None:
    code, _, err = run_cli("next", str(FINAL), "--out", str(tmp_path / "n.xlsx"), "--meeting", "9999-12-31")
    assert code == 1 and err.count("\n") == 1
    assert "Meeting date 9999-12-31 is outside the dates isms-review supports" in err
    code, _, err = run_cli("next", str(FINAL), "--out", str(tmp_path / "n.xlsx"),
                           "--period-start", "9998-12-01")
    assert code == 1 and "Period end would be 9999-05-31, after 9998-12-31" in err and "internal" not in err


@given(st.dates(min_value=D(1, 1, 1), max_value=D(9999, 12, 31)),
       st.integers(min_value=-10**6, max_value=10**6))
def test_shifted_never_overflows(day: dt.date, days: int) -> None:
    try:
        result = shifted(day, dt.timedelta(days=days), "Some date")
    except DateOutOfRange as exc:
        assert "Some date" in str(exc)
    else:
        assert result <= LAST and result == day + dt.timedelta(days=days)


def test_scheduler_meeting_in_year_one_is_a_message(tmp_path: Path) -> None:
    r = review(tmp_path, meeting=dt.datetime(1, 1, 3, 10, 0))
    outcome = run_due([r], dt.datetime(2026, 12, 4, 9, 0, tzinfo=dt.UTC))[0]
    assert outcome.status == "failed"
    assert "Meeting date 0001-01-03 is outside the dates isms-review supports" in outcome.detail
