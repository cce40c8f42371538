"""`isms-review analyse`: the example against a reviewed golden file, the JSON contract,
exit codes, and charts that are byte-identical across runs."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from openpyxl.workbook.workbook import Workbook

from pipeline.analysis import analyse
from pipeline.workbook.validate import validate_workbook

from .conftest import GOOD, run_cli

GOLDEN = Path(__file__).parent / "golden" / "acme_analysis.json"


def test_example_analysis_matches_the_reviewed_golden_file() -> None:
    code, out, err = run_cli("analyse", str(GOOD), "--json")
    assert code == 0, err
    data = json.loads(out)
    envelope = {k: data.pop(k) for k in ("schema_version", "command", "ok", "findings")}
    assert envelope["schema_version"] == 1 and envelope["command"] == "analyse" and envelope["ok"]
    assert data == json.loads(GOLDEN.read_text("utf-8")), (
        "analysis changed: review the difference, then regenerate tests/golden/acme_analysis.json")


def test_json_has_the_keys_other_tools_rely_on() -> None:
    _, out, _ = run_cli("analyse", str(GOOD), "--json")
    result = json.loads(out)
    assert set(result["coverage"]) == {"a", "b", "c", "d1", "d2", "d3", "d4", "e", "f", "g"}
    assert result["actions"]["overdue"] == ["ACT-2026-01", "ACT-2025-08", "ACT-2026-04"]
    assert result["actions"]["escalate"] == ["ACT-2025-08"]
    assert "R-007" in result["risks"]["above_appetite"]
    for metric in result["metrics"]:
        assert {"id", "latest", "target", "status", "trend"} <= set(metric)
    assert all({"input_ref", "source_id", "request"} <= set(d) for d in result["decisions_requested"])


def test_invalid_workbook_is_reported_not_analysed(mutate: Callable[..., Path]) -> None:
    def fn(wb: Workbook) -> None:
        wb["f Risks"]["D5"] = "high"

    code, out, err = run_cli("analyse", str(mutate(fn)), "--json")
    report = json.loads(out)  # the findings as JSON on stdout, never text on stderr (issue 16)
    assert code == 1 and report["command"] == "analyse" and not report["ok"]
    assert "wrong-type" in {f["code"] for f in report["findings"]}
    assert "wrong-type" not in err and "fix the errors" in err


def test_terminal_summary_names_the_decisions() -> None:
    code, out, _ = run_cli("analyse", str(GOOD))
    assert code == 0
    for text in ("Coverage of the 9.3.2 inputs", "M-02", "declining", "Decisions requested",
                 "R-007", "ACT-2025-08", "No value for 2026-08"):
        assert text in out


def test_charts_written_for_every_metric_and_kpi(tmp_path: Path) -> None:
    code, _, err = run_cli("analyse", str(GOOD), "--charts", str(tmp_path))
    assert code == 0, err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted([f"metric_M-0{i}.png" for i in range(1, 9)] + [
        "kpi_actions.png", "kpi_metrics.png", "kpi_nonconformities.png", "kpi_risks.png"])
    png = (tmp_path / "metric_M-01.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width = int.from_bytes(png[16:20], "big")
    assert width == 1260  # 6.3 in at 200 dpi: A4 text width


def test_charts_are_byte_identical_across_runs_and_processes(tmp_path: Path) -> None:
    first = analyse(validate_workbook(GOOD).data).charts()
    second = analyse(validate_workbook(GOOD).data).charts()
    assert first == second
    subprocess.run([sys.executable, "-m", "pipeline", "analyse", str(GOOD), "--charts",
                    str(tmp_path)], check=True, capture_output=True, timeout=300)
    for stem, png in first.items():
        assert (tmp_path / f"{stem}.png").read_bytes() == png, stem
