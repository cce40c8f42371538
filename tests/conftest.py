"""Shared helpers: the good example workbook, mutated one way per test."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from pipeline.cli import main

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "acme"
GOOD = EXAMPLE / "review.xlsx"
FINAL = EXAMPLE / "review-final.xlsx"
EVIDENCE = EXAMPLE / "evidence"
# The example's final minutes are built on the day they were approved (Makefile FINAL_EPOCH:
# Mon 30 Nov 2026 17:00 UTC), after the meeting of 26 Nov: final-stage tests run on that clock.
FINAL_EPOCH = "1796058000"


def run_cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result.exit_code, result.stdout, result.stderr


def validate_json(path: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    """Run `isms-review validate PATH --json` and return (exit code, report)."""
    code, out, err = run_cli("validate", str(path), "--json", *extra)
    assert out.strip(), f"no JSON printed; stderr: {err}"
    return code, json.loads(out)


def findings(report: dict[str, Any], code: str) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["code"] == code]


def the_finding(report: dict[str, Any], code: str, cell: str) -> dict[str, Any]:
    hits = [f for f in findings(report, code) if f["cell"] == cell]
    assert hits, f"no {code} at {cell}; got {[(f['code'], f['cell']) for f in report['findings']]}"
    return hits[0]


@pytest.fixture
def mutate(tmp_path: Path) -> Callable[..., Path]:
    """mutate(fn, source=GOOD) → path of a copy of the example changed by fn(workbook)."""

    def make(fn: Callable[[Workbook], None], source: Path = GOOD, name: str = "mutated.xlsx") -> Path:
        wb = load_workbook(source)
        fn(wb)
        out = tmp_path / name
        wb.save(out)
        return out

    return make


@pytest.fixture
def evidence_copy(tmp_path: Path) -> Path:
    target = tmp_path / "evidence"
    shutil.copytree(EVIDENCE, target)
    return target


# session fixtures several test files share: defined once here, so each is made once a run
from .bundles import small  # noqa: E402, F401
from .example_pack import example_pack  # noqa: E402, F401
