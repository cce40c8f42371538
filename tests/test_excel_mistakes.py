"""The ordinary Excel mistakes of benchmarks/excel_mistakes.py (at least 40): each is caught with a
finding for the workbook, or read as meant, exactly as that list expects."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from .conftest import ROOT


def _mistakes() -> ModuleType:
    path = ROOT / "benchmarks" / "excel_mistakes.py"
    spec = importlib.util.spec_from_file_location("excel_mistakes", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["excel_mistakes"] = module
    spec.loader.exec_module(module)
    return module


MODULE = _mistakes()


def test_there_are_at_least_forty_mistakes() -> None:
    assert len(MODULE.MISTAKES) >= 40
    assert len({m.what for m in MODULE.MISTAKES}) == len(MODULE.MISTAKES)


@pytest.mark.slow
@pytest.mark.parametrize("mistake", MODULE.MISTAKES, ids=lambda m: m.what[:50])
def test_each_mistake_is_handled_as_expected(mistake: object, tmp_path: Path) -> None:
    outcome = MODULE.run(mistake, tmp_path)
    assert outcome.as_expected, (outcome.refused, outcome.said)
    for _, code, cell, message, _ in outcome.fixes:
        assert cell and message and "Traceback" not in message, (code, cell)
