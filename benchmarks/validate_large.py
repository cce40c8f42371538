"""Benchmark: `validate` on a large workbook, as a ratio to a bare pandas + calamine read.

Generates (once, cached under benchmarks/data/) a workbook with 20,000 risks, 500 metrics × 12
periods and 2,000 actions, then times in this process:
  baseline  pandas.read_excel(path, sheet_name=None, engine="calamine")
  ours      pipeline.workbook.validate.validate_workbook(path)  (read + parse + every rule)
and prints the ratio of medians. Target: ≤ 1.5×.

    .venv/bin/python benchmarks/validate_large.py [--runs 5]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook

from pipeline.example import example_content
from pipeline.workbook.contract import load_contract
from pipeline.workbook.validate import validate_workbook

DATA = Path(__file__).parent / "data"
RISKS, METRICS, PERIODS, ACTIONS = 20_000, 500, 12, 2_000


def _large_rows(rng: random.Random) -> dict[str, Iterator[dict[str, Any]]]:
    people = ["Helen Carter", "Marcus Obi", "Liam Walsh", "Priya Natarajan", "Grace Kim"]
    statuses = ["Not started", "In progress", "Implemented", "Accepted"]

    def risks() -> Iterator[dict[str, Any]]:
        for i in range(RISKS):
            # as in a real register, controls do not raise a score (residual <= inherent); a
            # few risks break that, so the rule still reports
            likelihood, impact = rng.randint(1, 5), rng.randint(1, 5)
            slip = 1 if i % 500 == 0 else 0
            yield {"Risk ID": f"R-{i:05d}", "Risk": f"Risk scenario number {i} for asset {i % 977}",
                   "Owner": people[i % 5], "Likelihood": likelihood, "Impact": impact,
                   "Residual likelihood": rng.randint(1, likelihood) + slip,
                   "Residual impact": rng.randint(1, impact),
                   "Appetite": 9, "Treatment": "Modify", "Treatment status": statuses[i % 4],
                   "Treatment due": dt.datetime(2027, 1 + i % 12, 1), "Decision needed": "No",
                   "Identified on": dt.datetime(2024, 1 + i % 12, 1 + i % 28)}

    def metrics() -> Iterator[dict[str, Any]]:
        for m in range(METRICS):
            for p in range(PERIODS):
                yield {"Metric ID": f"M-{m + 1:02d}", "Metric": f"Metric {m}", "Unit": "%",
                       "Better when": "Higher" if m % 2 else "Lower", "Target": 95,
                       "Period": f"{2025 + p // 12}-{p % 12 + 1:02d}",
                       "Value": round(rng.uniform(60, 100), 1), "Source": "SIEM", "Owner": people[m % 5]}

    def actions() -> Iterator[dict[str, Any]]:
        for i in range(ACTIONS):
            done = i % 3 == 0
            yield {"Action ID": f"ACT-{i:05d}", "Action": f"Action number {i}", "Source review": "MR-2026-H1",
                   "Owner": people[i % 5], "Due date": dt.datetime(2026, 1 + i % 10, 1 + i % 28),
                   "Status": "Done" if done else "Open",
                   "Completed on": dt.datetime(2026, 1 + i % 10, 1) if done else None,
                   "Carry-forward count": i % 3, "Closure evidence": "", "Comment": ""}

    return {"f Risks": risks(), "d2 Metrics": metrics(), "a Previous actions": actions()}


def make_large(path: Path) -> None:
    """Write the large workbook in openpyxl's write-only mode (the template layout, no styles)."""
    contract = load_contract()
    review, rows, _ = example_content(final=True)
    large = _large_rows(random.Random(7))
    wb = Workbook(write_only=True)
    for sheet in contract.sheets:
        ws = wb.create_sheet(sheet.name)
        if sheet.kind == "instructions":
            ws.append(["Instructions"])
        elif sheet.kind == "fields":
            ws.append([sheet.heading])
            ws.append([])
            ws.append([])
            ws.append(["Field", "Value"])
            for col in sheet.columns:
                value = review.get(col.name)
                ws.append([col.name, value.strftime("%H:%M") if isinstance(value, dt.time) else value])
        else:
            ws.append([sheet.heading])
            ws.append([sheet.help])
            ws.append([contract.nothing_to_report_label] if sheet.nothing_to_report else [])
            names = [c.name for c in sheet.columns]
            ws.append(names)
            for row in large.get(sheet.name, iter(rows.get(sheet.name, []))):
                ws.append([_plain(row.get(n)) for n in names])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)


def _plain(value: Any) -> Any:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, tuple):
        return ", ".join(value)
    return value


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return times


def large_workbook() -> Path:
    """The benchmark workbook, generated on first use."""
    path = DATA / "large_review_v2.xlsx"  # v2: residual scores no longer above inherent
    if not path.exists():
        print(f"generating {path} ...", flush=True)
        make_large(path)
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    path = large_workbook()
    result = validate_workbook(path)
    print(f"workbook: {path} ({path.stat().st_size / 1e6:.1f} MB); "
          f"{len(result.report.errors)} errors, {len(result.report.warnings)} warnings")
    baseline: list[float] = []
    ours: list[float] = []
    for _ in range(args.runs):  # interleaved, so a change of load hits both alike
        baseline += timed(lambda: pd.read_excel(path, sheet_name=None, engine="calamine"), 1)
        ours += timed(lambda: validate_workbook(path), 1)
    tracemalloc.start()
    validate_workbook(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    b, o = statistics.median(baseline), statistics.median(ours)
    print(f"baseline pandas.read_excel(calamine): median {b:.2f} s  (runs: "
          f"{', '.join(f'{t:.2f}' for t in baseline)})")
    print(f"isms-review validate:                 median {o:.2f} s  (runs: "
          f"{', '.join(f'{t:.2f}' for t in ours)})")
    print(f"ratio validate / baseline: {o / b:.2f}x  (target <= 1.5x); "
          f"peak Python heap during validate {peak / 2**20:.0f} MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
