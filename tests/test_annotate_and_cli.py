"""--annotate writes a marked-up copy (never the original); the CLI never shows a traceback."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from pipeline.workbook.annotate import ERROR_FILL, REPORT_SHEET

from .conftest import GOOD, run_cli

Mutate = Callable[..., Path]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_annotate_marks_cells_and_leaves_the_original(mutate: Mutate, tmp_path: Path) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["D5"] = "high"  # wrong type
        wb["f Risks"]["A6"] = "R-001"  # duplicate

    source = mutate(fn)
    before = _digest(source)
    out = tmp_path / "checked.xlsx"
    code, stdout, _ = run_cli("validate", str(source), "--annotate", str(out))
    assert code == 1
    assert f"annotated copy: {out}" in stdout and "cell(s) marked" in stdout
    assert _digest(source) == before
    wb = load_workbook(out)
    cell = wb["f Risks"]["D5"]
    assert cell.fill.fgColor.rgb.endswith(ERROR_FILL.fgColor.rgb[-6:])
    assert cell.comment is not None and "wrong-type" in cell.comment.text
    assert "duplicate-id" in wb["f Risks"]["A6"].comment.text
    report = wb[REPORT_SHEET]
    rows = list(report.iter_rows(values_only=True))
    header = next(i for i, row in enumerate(rows) if row[0] == "Category")
    codes = [row[2] for row in rows[header + 1:]]
    assert "wrong-type" in codes and "duplicate-id" in codes


def test_annotate_refuses_to_overwrite_the_workbook(mutate: Mutate) -> None:
    source = mutate(lambda wb: None)
    before = _digest(source)
    code, _, err = run_cli("validate", str(source), "--annotate", str(source))
    assert code == 1 and "never changed" in err
    assert _digest(source) == before


def test_json_report_shape() -> None:
    code, out, _ = run_cli("validate", str(GOOD), "--json")
    report = json.loads(out)
    assert code == 0
    assert set(report) >= {"workbook", "ok", "errors", "warnings", "by_sheet", "findings"}
    first = report["findings"][0]
    assert set(first) >= {"code", "severity", "sheet", "cell", "value", "message", "category"}
    assert report["by_sheet"]["f Risks"] == {"errors": 0, "warnings": 6}  # incl. the risk-register checks


def test_human_report_lists_findings_and_verdict() -> None:
    code, out, _ = run_cli("validate", str(GOOD))
    assert code == 0
    assert "action-escalate" in out and "'a Previous actions'!H6" in out
    assert out.strip().splitlines()[-1].startswith("OK: 0 error(s)")


def test_unexpected_fault_is_one_line_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.cli

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("simulated fault")

    monkeypatch.setattr(pipeline.cli, "check_workbook", boom)
    code, _, err = run_cli("validate", str(GOOD))
    assert code == 3  # internal error: not "your input has errors"
    assert "Traceback" not in err and "simulated fault" in err and "bug" in err


def test_missing_evidence_folder_is_a_clear_error(tmp_path: Path) -> None:
    code, _, err = run_cli("validate", str(GOOD), "--evidence", str(tmp_path / "nope"))
    assert code == 1 and "evidence folder does not exist" in err
