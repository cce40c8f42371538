"""Time zones as people type them: every mapping lands on a zone with the offset the text means,
and no suggestion ever has another offset."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.workbook.workbook import Workbook

from pipeline.workbook.timezones import ABBREVIATIONS, AMBIGUOUS, offsets_of, read_timezone

from .conftest import the_finding, validate_json

Mutate = Callable[..., Path]
TIME_ZONE_CELL = "B13"  # Review sheet


def _offset_minutes(zone: str, when: dt.datetime) -> int:
    delta = when.replace(tzinfo=zoneinfo.ZoneInfo(zone)).utcoffset()
    assert delta is not None
    return int(delta.total_seconds() // 60)


@pytest.mark.parametrize(("typed", "zone"), [
    ("BST", "Europe/London"), ("bst", "Europe/London"), ("CET", "Europe/Paris"),
    ("CEST", "Europe/Paris"), ("EST", "America/New_York"), ("PDT", "America/Los_Angeles"),
    ("JST", "Asia/Tokyo"), ("AEST", "Australia/Sydney"),
])
def test_abbreviations_map_to_a_city_zone_and_say_so(typed: str, zone: str) -> None:
    value, problem = read_timezone(typed)
    assert value == zone
    assert problem is not None and problem[0] == "timezone-mapped"
    assert f"was read as {zone}" in problem[1]


@pytest.mark.parametrize("abbreviation", sorted(ABBREVIATIONS))
def test_every_mapped_abbreviation_keeps_its_offset(abbreviation: str) -> None:
    """The zone uses the abbreviation's offset in winter or in summer: never another one."""
    zone, minutes, _ = ABBREVIATIONS[abbreviation]
    assert minutes in offsets_of(zone), (abbreviation, zone, offsets_of(zone))


@pytest.mark.parametrize("abbreviation", sorted(AMBIGUOUS))
def test_ambiguous_abbreviations_list_each_meaning_with_its_offset(abbreviation: str) -> None:
    value, problem = read_timezone(abbreviation)
    assert value is None and problem is not None and problem[0] == "wrong-type"
    for zone, minutes, _ in AMBIGUOUS[abbreviation]:
        assert zone in problem[1]
        assert minutes in offsets_of(zone)


@pytest.mark.parametrize(("typed", "offset"), [
    ("GMT+1", 60), ("gmt+1", 60), ("UTC+01:00", 60), ("UTC-05:00", -300), ("UTC -5", -300),
    ("+02:00", 120), ("UTC+5:30", 330), ("UTC+0545", 345), ("GMT+10", 600), ("UTC−3", -180),
])
def test_offsets_map_to_a_zone_with_exactly_that_offset(typed: str, offset: int) -> None:
    value, problem = read_timezone(typed)
    assert value is not None and problem is not None and problem[0] == "timezone-mapped"
    for day in (dt.datetime(2026, 1, 15, 12), dt.datetime(2026, 7, 15, 12)):
        assert _offset_minutes(value, day) == offset, (typed, value)
    assert value in problem[1]


def test_gmt_plus_one_is_never_gmt_plus_zero() -> None:
    value, problem = read_timezone("GMT+1")
    assert value == "Etc/GMT-1"
    assert problem is not None and "GMT+0" not in problem[1] and "UTC+01:00" in problem[1]


@given(hours=st.integers(-12, 14), form=st.sampled_from(["GMT{:+d}", "UTC{:+d}", "utc {:+d}"]))
def test_any_whole_hour_offset_keeps_its_offset(hours: int, form: str) -> None:
    value, _ = read_timezone(form.format(hours))
    assert value is not None
    assert _offset_minutes(value, dt.datetime(2026, 3, 1, 12)) == hours * 60


@given(zone=st.sampled_from(sorted(z for z in zoneinfo.available_timezones()
                                   if "/" in z and z != "Factory")),
       upper=st.booleans())
def test_iana_names_in_any_case_are_accepted_silently(zone: str, upper: bool) -> None:
    typed = zone.upper() if upper else zone.lower()
    assert read_timezone(typed) == (zone, None)


@pytest.mark.parametrize("typed", ["XYZ", "QST", "BSTT", "GMT+25", "Mars/Olympus"])
def test_unknown_text_never_gets_an_offset_changing_suggestion(typed: str) -> None:
    value, problem = read_timezone(typed)
    assert value is None and problem is not None and problem[0] == "wrong-type"
    assert "Did you mean" not in problem[1] and "did you mean" not in problem[1]


def test_a_misspelt_city_gets_its_zone() -> None:
    value, problem = read_timezone("Europe/Londn")
    assert value is None and problem is not None and "Europe/London" in problem[1]
    assert read_timezone("Paris")[1] == ("wrong-type", "is not a time zone name; did you mean "
                                         "Europe/Paris?")


def test_bst_on_the_review_sheet_is_read_as_london_with_a_warning(mutate: Mutate) -> None:
    from pipeline.workbook.validate import validate_workbook

    path = mutate(lambda wb: wb["Review"].__setitem__(TIME_ZONE_CELL, "BST"))
    code, report = validate_json(path)
    assert code == 0
    hit = the_finding(report, "timezone-mapped", f"Review!{TIME_ZONE_CELL}")
    assert hit["severity"] == "warning" and "Europe/London" in hit["message"]
    assert validate_workbook(path).data.review["Time zone"] == "Europe/London"


def test_an_unknown_zone_is_an_error_at_its_cell(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["Review"][TIME_ZONE_CELL] = "Central"

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "wrong-type", f"Review!{TIME_ZONE_CELL}")
