"""Characters no installed font can show are named, cell by cell, before the documents print
them as empty boxes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.workbook.workbook import Workbook

from pipeline import fontcover
from pipeline.commands import build as build_module
from pipeline.commands.options import BuildOptions
from pipeline.documents import glyphs

from .conftest import EVIDENCE, GOOD

# a machine with Latin fonts only: Latin, punctuation, the euro sign, mathematical operators
LATIN = frozenset([*range(0x20, 0x250), *range(0x2000, 0x2070), 0x20AC, *range(0x2200, 0x2300)])


@given(st.lists(st.tuples(st.integers(0, 0x10FFFF), st.integers(0, 64)), max_size=20))
def test_fontconfig_ranges_are_read_exactly(spans: list[tuple[int, int]]) -> None:
    items, expected = [], set()
    for low, width in spans:
        high = min(low + width, 0x10FFFF)
        items.append(f"{low:x}" if low == high else f"{low:x}-{high:x}")
        expected.update(range(low, high + 1))
    assert set(fontcover.parse_charsets([*items, "zz", "-", "5-3"])) == expected


def test_missing_characters_skip_marks_spaces_and_covered_letters() -> None:
    text = "Café — Ωmega pilot 🚚 पायलट\u200b\u00a0"
    assert fontcover.missing_characters(text, LATIN | {ord("—")}) == sorted(set("Ω🚚पायलट"))
    assert fontcover.missing_characters("plain ASCII", frozenset()) == []


def test_build_names_each_cell_with_unshowable_text(mutate: Callable[..., Path], tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    def fn(wb: Workbook) -> None:
        wb["a Previous actions"]["B5"] = "Delivery pilot 🚚"
        wb["Review"]["B5"] = "Acme Lojística Ωmega"  # Organisation, on the Review sheet

    monkeypatch.setattr(glyphs, "installed_coverage", lambda: LATIN)
    prepared = build_module.prepare(BuildOptions(mutate(fn), EVIDENCE, tmp_path))
    hits = [f for f in prepared.checked.report.findings if f.code == "text-unshowable"]
    assert [(f.cell, f.value, f.severity) for f in hits] == [
        ("Review!5:5", "Ω", "warning"), ("'a Previous actions'!B5", "🚚", "warning")], hits
    assert "Truck" in hits[1].message and "empty box" in hits[1].message


def test_no_fontconfig_claims_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.workbook.validate import read_data

    monkeypatch.setattr(fontcover.shutil, "which", lambda name: None)
    fontcover.installed_coverage.cache_clear()
    try:
        assert glyphs.unshowable_text(read_data(GOOD)) == []
    finally:
        fontcover.installed_coverage.cache_clear()
