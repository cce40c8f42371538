"""Benchmark: bounded memory. The bundle stage on scanned evidence and on a huge attachment,
against `qpdf --empty --pages` on the same PDFs, each side in a fresh child process (time and
peak RSS of that process and its children).

  scans   30 scanned PDFs, 300 A4 pages at 300 dpi (one noisy JPEG each, ~1.3 GB:
          heavier than the ~765 MB issue 14 measured): time ≤ 2.0× qpdf,
          peak RSS ≤ 400 MiB; then the same at 3× the pages: the peak must not grow.
  attach  one 3 GB CSV attached (streamed, deflated on the way): peak RSS ≤ 400 MiB.

Data is generated once under /tmp/isms-bench (or $ISMS_BENCH_DATA; git-ignored benchmarks/data
works too):
    .venv/bin/python benchmarks/bundle_memory.py [scans|attach|all]
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

from openpyxl import load_workbook

ROOT = Path(__file__).resolve().parents[1]
DATA = Path(os.environ.get("ISMS_BENCH_DATA", "/tmp/isms-bench"))
WHEN = dt.datetime(2026, 12, 1, 12, 0)
FILES = 30
A4_300DPI = (2480, 3508)
JPEG_QUALITY = 60  # ~4.3 MB a page (noise compresses badly): 300 pages ≈ 1.3 GB
JPEG_POOL = 12  # distinct page images, reused across pages (the PDF pages are still distinct objects)


def _jpegs() -> list[bytes]:
    from PIL import Image, ImageDraw, ImageFilter

    pool = []
    for n in range(JPEG_POOL):
        noise = Image.effect_noise(A4_300DPI, 60 + n).convert("RGB").filter(ImageFilter.GaussianBlur(0.6))
        draw = ImageDraw.Draw(noise)
        for y in range(300, 3300, 90):
            draw.line([(200, y), (2280, y)], fill=(20, 20, 20), width=4)
        buffer = io.BytesIO()
        noise.save(buffer, format="JPEG", quality=JPEG_QUALITY)
        pool.append(buffer.getvalue())
    return pool


def _scan_pdf(path: Path, pages: list[bytes]) -> None:
    sys.path.insert(0, str(ROOT))
    from pipeline.bundle.rawpdf import RawPdf

    pdf = RawPdf()
    pdf.add(b"<< /Type /Catalog /Pages 2 0 R >>")
    pdf.add(b"<< >>")
    kids = []
    for data in pages:
        number = len(pdf._objects) + 1
        pdf.add(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595.28 841.89] /Contents {number + 1} 0 R "
                f"/Resources << /XObject << /Im0 {number + 2} 0 R >> >> >>".encode())
        pdf.add(b"<< >>", lambda: [b"q 595.28 0 0 841.89 0 0 cm /Im0 Do Q"])
        pdf.add(f"<< /Type /XObject /Subtype /Image /Width {A4_300DPI[0]} /Height {A4_300DPI[1]} "
                "/ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /DCTDecode >>".encode(),
                lambda data=data: [data])
        kids.append(number)
    pdf.set(2, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>".encode())
    pdf.write(path)


def _workbook(folder: Path, rels: list[str]) -> Path:
    wb = load_workbook(ROOT / "examples" / "acme" / "review-final.xlsx")
    ws = wb["Evidence"]
    ws.delete_rows(5, ws.max_row)
    refs = ("a", "b", "c", "d1", "d2", "d3", "d4", "e", "f", "g")
    for n, rel in enumerate(rels):
        ws.append([f"EV-{n:03d}", f"Scanned record {n:03d}", rel, refs[n % 10], "Priya Natarajan",
                   dt.datetime(2026, 11, 1)])
    wb.save(folder / "review.xlsx")
    return folder / "review.xlsx"


def scans(factor: int) -> Path:
    folder = DATA / f"scans-x{factor}"
    if (folder / "review.xlsx").exists():
        return folder
    evidence = folder / "evidence"
    evidence.mkdir(parents=True, exist_ok=True)
    pool = _jpegs()
    per_file = 10 * factor
    for n in range(FILES):
        _scan_pdf(evidence / f"scan{n:02d}.pdf", [pool[(n + p) % JPEG_POOL] for p in range(per_file)])
    _workbook(folder, [f"scan{n:02d}.pdf" for n in range(FILES)])
    return folder


def attachment(size: int = 3_000_000_000) -> Path:
    folder = DATA / "attach-3gb"
    if (folder / "review.xlsx").exists():
        return folder
    evidence = folder / "evidence"
    evidence.mkdir(parents=True, exist_ok=True)
    line = b"2026-11-01T10:00:00Z,login,j.doe,ERP,success,10.0.0.1\n"
    block = line * (8 * 1024 * 1024 // len(line))
    with (evidence / "auth-log.csv").open("wb") as fh:
        written = 0
        while written < size:
            fh.write(block)
            written += len(block)
    _workbook(folder, ["auth-log.csv"])
    return folder


def _child(side: str, folder: str, out: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    sys.path.insert(0, str(ROOT))
    base = Path(folder)
    if side == "ours":
        from pipeline.bundle.assemble import make_bundle
        from pipeline.commands.bundle import agenda_numbers
        from pipeline.workbook.validate import validate_workbook

        data = validate_workbook(base / "review.xlsx").data
        start = time.perf_counter()
        make_bundle(data, base / "review.xlsx", base / "evidence", Path(out), {}, when=WHEN,
                    agenda_items=agenda_numbers(data))
    else:
        files = sorted(str(p) for p in (base / "evidence").glob("*.pdf"))
        start = time.perf_counter()
        subprocess.run(["qpdf", "--empty", "--pages", *files, "--", out], check=True)
    elapsed = time.perf_counter() - start
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    queue.put((elapsed, rss))


def measure(side: str, folder: Path, out: Path) -> tuple[float, float]:
    """(seconds, peak RSS MiB) of one side in a fresh process."""
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(side, str(folder), str(out), queue))
    process.start()
    seconds, rss = queue.get()
    process.join()
    return seconds, rss / 1024


RUNS = int(os.environ.get("ISMS_BENCH_RUNS", "3"))


def alternate(folder: Path) -> tuple[tuple[float, float], tuple[float, float]]:
    """Each side RUNS times, alternately (the machine is shared): medians of (s, MiB)."""
    qpdf_runs, our_runs = [], []
    for _ in range(RUNS):
        qpdf_runs.append(measure("qpdf", folder, folder / "qpdf.pdf"))
        our_runs.append(measure("ours", folder, folder / "bundle.pdf"))

    def medians(runs: list[tuple[float, float]]) -> tuple[float, float]:
        return statistics.median(t for t, _ in runs), statistics.median(r for _, r in runs)

    return medians(qpdf_runs), medians(our_runs)


def run_scans() -> None:
    results = {}
    for factor in (1, 3):
        folder = scans(factor)
        size = sum(p.stat().st_size for p in (folder / "evidence").glob("*.pdf"))
        (q_time, q_rss), (o_time, o_rss) = alternate(folder)
        results[factor] = o_rss
        print(f"scans x{factor}: {FILES} PDFs, {FILES * 10 * factor} pages, {size / 1e6:.0f} MB "
              f"(medians of {RUNS} alternate runs)")
        print(f"  qpdf --empty --pages: {q_time:.2f} s, peak RSS {q_rss:.0f} MiB")
        print(f"  isms-review bundle:   {o_time:.2f} s, peak RSS {o_rss:.0f} MiB")
        ratio = (folder / "bundle.pdf").stat().st_size / (folder / "qpdf.pdf").stat().st_size
        print(f"  ratio time {o_time / q_time:.2f}x (target <= 2.0x); peak RSS {o_rss:.0f} MiB "
              f"(target <= 400 MiB); size {ratio:.2f}x")
        for name in ("bundle.pdf", "qpdf.pdf"):
            (folder / name).unlink()
    print(f"peak RSS at 3x the pages / at 1x: {results[3] / results[1]:.2f}")


def run_attach() -> None:
    folder = attachment()
    size = (folder / "evidence" / "auth-log.csv").stat().st_size
    o_time, o_rss = measure("ours", folder, folder / "bundle.pdf")
    print(f"attachment: one {size / 1e9:.1f} GB CSV; bundle {o_time:.1f} s, peak RSS {o_rss:.0f} MiB "
          f"(target <= 400 MiB); bundle file {(folder / 'bundle.pdf').stat().st_size / 1e6:.0f} MB")
    (folder / "bundle.pdf").unlink()


def main() -> int:
    if shutil.which("qpdf") is None:
        print("qpdf is not installed (make setup installs it)")
        return 1
    what = sys.argv[1] if len(sys.argv) > 1 else "all"
    if what in ("scans", "all"):
        run_scans()
    if what in ("attach", "all"):
        run_attach()
    return 0


if __name__ == "__main__":
    sys.exit(main())
