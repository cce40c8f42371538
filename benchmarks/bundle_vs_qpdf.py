"""Benchmark: the whole bundle stage against a plain `qpdf --empty --pages` merge, in one run.

Generates (once, cached under benchmarks/data/) 200 evidence PDFs of 25 text pages each (5,000
pages), a workbook whose Evidence sheet lists them, then measures:
  baseline  qpdf --empty --pages <200 files> -- out.pdf        (merge only, no stamping)
  ours      pipeline.bundle.assemble.make_bundle(...)          (hash + merge + stamp every page
            + cover, index, coverage matrix, bookmarks, links, manifest, attachments)
and prints time and size as ratios to the baseline, and each side's peak memory (max RSS of a
child process that does only that work). Targets (issue 14): time ≤ 2.0×, size ≤ 1.2×.

    .venv/bin/python benchmarks/bundle_vs_qpdf.py [--runs 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from fpdf import FPDF
from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(__file__).parent / "data" / "bundle200"
FILES, PAGES = 200, 25
WHEN = dt.datetime(2026, 12, 1, 12, 0)
REFS = ("a", "b", "c", "d1", "d2", "d3", "d4", "e", "f", "g")


def generate() -> Path:
    evidence = DATA / "evidence"
    if (DATA / "review.xlsx").exists():
        return DATA / "review.xlsx"
    evidence.mkdir(parents=True, exist_ok=True)
    for n in range(FILES):
        pdf = FPDF(unit="pt", format="A4")
        pdf.set_creation_date(dt.datetime(2026, 1, 1, tzinfo=dt.UTC))
        pdf.set_font("helvetica", size=10)
        for page in range(PAGES):
            pdf.add_page()
            for line in range(40):
                pdf.cell(0, 16, f"Evidence document {n:03d}, page {page + 1}, line {line + 1}: "
                         "control operated as designed; sample reviewed.", new_x="LMARGIN",
                         new_y="NEXT")
        pdf.output(str(evidence / f"doc{n:03d}.pdf"))
    wb = load_workbook(ROOT / "examples" / "acme" / "review-final.xlsx")
    ws = wb["Evidence"]
    ws.delete_rows(5, ws.max_row)
    for n in range(FILES):
        ws.append([f"EV-{n:03d}", f"Evidence document {n:03d}", f"doc{n:03d}.pdf", REFS[n % 10],
                   "Priya Natarajan", dt.datetime(2026, 11, 1)])
    wb.save(DATA / "review.xlsx")
    return DATA / "review.xlsx"


def _ours(out: Path, data: object) -> None:
    from pipeline.bundle.assemble import make_bundle
    from pipeline.commands.bundle import agenda_numbers

    make_bundle(data, DATA / "review.xlsx", DATA / "evidence", out, {}, when=WHEN,  # type: ignore[arg-type]
                agenda_items=agenda_numbers(data))  # type: ignore[arg-type]


def _timed_child(target: str, out: Path) -> tuple[float, int]:
    """Run one side in a fresh child process: (seconds, peak RSS in KiB)."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(target, str(out), queue))
    process.start()
    seconds, rss = queue.get()
    process.join()
    return seconds, rss


def _child(target: str, out: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    sys.path.insert(0, str(ROOT))
    if target == "ours":
        import pipeline.bundle.assemble
        import pipeline.commands.bundle  # noqa: F401
        from pipeline.workbook.validate import validate_workbook

        data = validate_workbook(DATA / "review.xlsx").data  # the validate stage, not the bundle's
        start = time.perf_counter()
        _ours(Path(out), data)
    else:
        files = sorted(str(p) for p in (DATA / "evidence").glob("*.pdf"))
        start = time.perf_counter()
        subprocess.run(["qpdf", "--empty", "--pages", *files, "--", out], check=True)
    elapsed = time.perf_counter() - start
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    queue.put((elapsed, rss))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("qpdf") is None:
        print("qpdf is not installed (make setup installs it)")
        return 1
    generate()
    out = DATA / "out"
    out.mkdir(exist_ok=True)
    qpdf_runs, our_runs = [], []
    for _ in range(args.runs):  # alternately: the machine is shared, load drifts
        qpdf_runs.append(_timed_child("qpdf", out / "qpdf.pdf"))
        our_runs.append(_timed_child("ours", out / "bundle.pdf"))
    q_time = statistics.median(t for t, _ in qpdf_runs)
    o_time = statistics.median(t for t, _ in our_runs)
    q_size, o_size = (out / "qpdf.pdf").stat().st_size, (out / "bundle.pdf").stat().st_size
    import pikepdf

    with pikepdf.open(out / "bundle.pdf") as pdf:
        pages = len(pdf.pages)
    print(f"input: {FILES} PDFs, {FILES * PAGES} pages; bundle: {pages} pages")
    print(f"medians of {args.runs} alternate runs")
    print(f"qpdf --empty --pages: median {q_time:.2f} s, {q_size / 1e6:.2f} MB, "
          f"peak RSS {max(r for _, r in qpdf_runs) / 1024:.0f} MiB")
    print(f"isms-review bundle:   median {o_time:.2f} s, {o_size / 1e6:.2f} MB, "
          f"peak RSS {max(r for _, r in our_runs) / 1024:.0f} MiB")
    print(f"ratio time {o_time / q_time:.2f}x (target <= 2.0x); size {o_size / q_size:.2f}x "
          "(target <= 1.2x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
