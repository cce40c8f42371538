"""The cyclic collector is paused while a workbook is read and checked, and is always as it
was afterwards: after an error too, and inside an outer pause."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import pipeline.workbook.validate as validate
from pipeline.heap import collector_paused

from .conftest import GOOD


def test_validate_reads_with_the_collector_paused_and_restores_it(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    real = validate.parse_workbook

    def watching(*args: object, **kwargs: object) -> object:
        seen.append(gc.isenabled())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(validate, "parse_workbook", watching)
    assert gc.isenabled()
    result = validate.validate_workbook(GOOD)
    assert seen == [False] and gc.isenabled() and result.data.tables


def test_an_error_inside_still_restores_the_collector(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.xlsx"
    with pytest.raises(Exception):  # noqa: B017 (whatever the reader raises)
        validate.validate_workbook(missing)
    assert gc.isenabled()
    with pytest.raises(ZeroDivisionError), collector_paused():
        assert not gc.isenabled()
        _ = 1 / 0
    assert gc.isenabled()


def test_nested_pauses_leave_it_to_the_outermost() -> None:
    with collector_paused():
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()
