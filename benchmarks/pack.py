"""Whole-pack benchmark: the example's pre-read pack (validate, analyse, charts, render, one
LibreOffice run, normalise, bundle, publish), split into LibreOffice and everything else, side by
side with the floor: one bare LibreOffice conversion of the same three DOCX files.

    python benchmarks/pack.py [--runs 3]

Goal (issue 10): everything but LibreOffice ≤ 1 s on a 2-core machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pipeline.archival as archival  # noqa: E402
import pipeline.bundle.pdfa as bundle_pdfa  # noqa: E402
import pipeline.commands.build as build_module  # noqa: E402
import pipeline.office as office  # noqa: E402
from pipeline.commands.build import build  # noqa: E402
from pipeline.commands.options import BuildOptions  # noqa: E402

EXAMPLE = ROOT / "examples" / "acme"


def one_pack(out: Path) -> tuple[float, float, list[Path], dict[str, float]]:
    """(total seconds, seconds inside LibreOffice, the DOCX files converted, seconds per step
    as the build reports its steps, with "pdfa validation" the time inside pikepdf.pdfa)."""
    spent: list[float] = []
    validating: list[float] = []
    real_validate = archival.validate

    def timed_validate(data: object, flavour: str) -> archival.Conformance:
        start = time.perf_counter()
        try:
            return real_validate(data, flavour)
        finally:
            validating.append(time.perf_counter() - start)

    converted: list[Path] = []
    marks: list[tuple[str, float]] = []
    real = office.convert_batch

    def timed(files: list[Path], outdir: Path, *args: object, **kwargs: object) -> object:
        start = time.perf_counter()
        try:
            return real(files, outdir, *args, **kwargs)  # type: ignore[arg-type]
        finally:
            spent.append(time.perf_counter() - start)
            converted.extend(f for f in files if f.suffix == ".docx")

    def progress(message: str) -> None:
        marks.append((message.split(" ")[0], time.perf_counter()))

    setattr(build_module, "convert_batch", timed)  # noqa: B010 (patched for the run only)
    archival.validate = bundle_pdfa.validate = timed_validate
    try:
        start = time.perf_counter()
        build(BuildOptions(EXAMPLE / "review.xlsx", EXAMPLE / "evidence", out, progress=progress))
        total = time.perf_counter() - start
    finally:
        setattr(build_module, "convert_batch", real)  # noqa: B010
        archival.validate = bundle_pdfa.validate = real_validate
    marks.append(("end", start + total))
    steps = {name: marks[i + 1][1] - at for i, (name, at) in enumerate(marks[:-1])}
    steps["pdfa validation"] = sum(validating)
    return total, sum(spent), converted, steps


def bare_conversion(docs: list[Path], tmp: Path) -> float:
    start = time.perf_counter()
    office.convert_batch(docs, tmp)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    runs = parser.parse_args().runs
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1765000000")
    totals, office_times, rest, floors = [], [], [], []
    per_step: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        one_pack(Path(tmp) / "warm")  # fonts, matplotlib cache, imports
        for i in range(runs):
            total, lo, docs, steps = one_pack(Path(tmp) / f"run{i}")
            for name, seconds in steps.items():
                per_step.setdefault(name, []).append(seconds)
            copies = Path(tmp) / f"docs{i}"
            copies.mkdir()
            published = Path(tmp) / f"run{i}" / "MR-2026-H2" / "pre-read"
            for doc in docs:
                (copies / doc.name).write_bytes((published / doc.name).read_bytes())
            floors.append(bare_conversion(sorted(copies.glob("*.docx")), copies))
            totals.append(total)
            office_times.append(lo)
            rest.append(total - lo)
    med = statistics.median
    print(f"pre-read pack of the example, median of {runs} runs")
    print(f"  whole pack            {med(totals):6.2f} s")
    print(f"  inside LibreOffice    {med(office_times):6.2f} s   (one start per build)")
    print(f"  everything else       {med(rest):6.2f} s   goal ≤ 1.00 s")
    for name, times in per_step.items():
        note = {"converting": "  (LibreOffice included)",
                "pdfa validation": "  (the bundle's; the documents' run in a child beside it)",
                }.get(name, "")
        print(f"    step {name:<16}{med(times):6.2f} s{note}")
    pdfa_time = med(per_step["pdfa validation"])
    print(f"  everything else but PDF/A validation {med(rest) - pdfa_time:6.2f} s")
    print(f"  bare LibreOffice run  {med(floors):6.2f} s   (same 3 DOCX, no pipeline)")
    print(f"  ratio pack / bare LibreOffice conversion: {med(totals) / med(floors):.2f}x")


if __name__ == "__main__":
    main()
