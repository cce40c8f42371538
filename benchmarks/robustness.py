"""What crash safety and bounded work cost, each beside its baseline in the same run:

  publish   the example's pre-read pack (~15 files, 2.3 MB) published whole (fsync of every file,
            one rename, an atomic pointer) vs moved file by file (the old _publish)
  isolate   one scheduler step in a forked child (run_isolated) vs the same call in-process
  loop      a template loop of 10^10 iterations: stopped by the CPU budget (ours) vs the old
            120 s wall clock (only with --old: it takes two minutes)
  pages     a document of 30 x 5 cells of 32,767 characters: our page estimate (refusal) vs
            LibreOffice converting it (capped at --cap seconds)

    python benchmarks/robustness.py [--runs 5] [--old] [--cap 120]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import io
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.analysis import analyse  # noqa: E402
from pipeline.children import run_isolated  # noqa: E402
from pipeline.commands.build import build  # noqa: E402
from pipeline.commands.options import BuildOptions  # noqa: E402
from pipeline.documents.context import build_context  # noqa: E402
from pipeline.documents.limits import DocumentTooLarge, check_page_budget, render_budget  # noqa: E402
from pipeline.documents.render import TemplateProblem, render_documents, resolve_template  # noqa: E402
from pipeline.office import find_soffice  # noqa: E402
from pipeline.publish import Publication  # noqa: E402
from pipeline.workbook.validate import validate_workbook  # noqa: E402

EXAMPLE = ROOT / "examples" / "acme"
LOOP = "{% for i in range(99999) %}{% for j in range(99999) %}{{ i }}{% endfor %}{% endfor %}"


def med(values: list[float]) -> float:
    return statistics.median(values)


def copy_pack(source: Path, into: Path) -> None:
    for path in source.rglob("*"):
        if path.is_file():
            target = into / path.relative_to(source)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)


def move_one_by_one(staging: Path, target: Path) -> None:
    for path in sorted(p for p in staging.rglob("*") if p.is_file()):
        destination = target / path.relative_to(staging)
        destination.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, destination)


def bench_publish(pack: Path, tmp: Path, runs: int) -> None:
    ours, old = [], []
    for i in range(runs):
        with Publication(tmp / "ours", "MR", "pre-read") as pub:
            copy_pack(pack, pub.staging)
            start = time.perf_counter()
            pub.commit()
            ours.append(time.perf_counter() - start)
        staging = tmp / f"old-staging-{i}"
        copy_pack(pack, staging)
        start = time.perf_counter()
        move_one_by_one(staging, tmp / "old")
        old.append(time.perf_counter() - start)
    print(f"publish   whole (fsync + rename + pointer) {med(ours) * 1000:7.1f} ms   "
          f"file by file {med(old) * 1000:7.1f} ms   ratio {med(ours) / med(old):5.1f}x")


def step(n: int) -> int:
    return sum(range(n))


def bench_isolate(runs: int) -> None:
    child, inproc = [], []
    for _ in range(runs):
        start = time.perf_counter()
        assert run_isolated(step, 1000, time_limit=60).value == step(1000)
        child.append(time.perf_counter() - start)
        start = time.perf_counter()
        step(1000)
        inproc.append(time.perf_counter() - start)
    print(f"isolate   forked child {med(child) * 1000:7.1f} ms   in-process {med(inproc) * 1000:7.3f} ms "
          f"  (overhead per review and step: {med(child) * 1000:.0f} ms)")


def bench_loop(tmp: Path, with_old: bool) -> None:
    import resource

    import docx

    data = validate_workbook(EXAMPLE / "review.xlsx").data
    ctx = build_context(data, analyse(data))
    template = tmp / "agenda.docx"
    shutil.copy(resolve_template("agenda"), template)
    document = docx.Document(str(template))
    document.add_paragraph(LOOP)
    document.save(str(template))

    def stopped(timeout: float | None) -> tuple[float, float]:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime
        start = time.perf_counter()
        with contextlib.suppress(TemplateProblem):
            render_documents([(template, tmp / "o.docx", "t")], ctx, {}, dt.datetime(2026, 1, 1),
                             timeout=timeout)
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return time.perf_counter() - start, usage.ru_utime + usage.ru_stime - cpu

    wall, cpu = stopped(None)
    line = (f"loop      10^10 iterations stopped after {wall:5.1f} s ({cpu:.1f} s CPU; budget "
            f"{render_budget(ctx):.1f} s CPU)")
    if with_old:
        old_wall, _ = stopped(120)
        line += f"   old: {old_wall:5.1f} s   ratio {wall / old_wall:.2f}x"
    else:
        line += "   old: 120 s wall clock (run with --old to measure)"
    print(line)


def bench_pages(tmp: Path, cap: float) -> None:
    import docx

    document = docx.Document()
    table = document.add_table(rows=30, cols=5)
    for row in table.rows:
        for cell in row.cells:
            cell.text = "word " * (32_767 // 5)
    buffer = io.BytesIO()
    document.save(buffer)
    path = tmp / "huge.docx"
    path.write_bytes(buffer.getvalue())
    tracemalloc.start()
    start = time.perf_counter()
    try:
        check_page_budget(path, "pre_read.docx")
        refused = "accepted?!"
    except DocumentTooLarge as exc:
        refused = str(exc).split(":", 1)[1].split(",")[0].strip()
    ours = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    profile = tempfile.mkdtemp(prefix="lo-bench-")
    start = time.perf_counter()
    process = subprocess.Popen([find_soffice(), f"-env:UserInstallation={Path(profile).as_uri()}",
                                "--headless", "--convert-to", "pdf", "--outdir", str(tmp), str(path)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        process.wait(cap)
        lo, capped = time.perf_counter() - start, ""
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
        process.wait()
        lo, capped = cap, "> "
    shutil.rmtree(profile, ignore_errors=True)
    print(f"pages     estimate and refusal {ours * 1000:7.0f} ms (peak {peak / 1e6:.0f} MB; {refused})   "
          f"LibreOffice {capped}{lo:.0f} s   ratio {capped}{lo / ours:,.0f}x faster to refuse")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--old", action="store_true", help="also time the old 120 s render limit")
    parser.add_argument("--cap", type=float, default=120, help="seconds LibreOffice may take")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        os.environ.setdefault("SOURCE_DATE_EPOCH", "1765000000")
        pack = build(BuildOptions(EXAMPLE / "review.xlsx", EXAMPLE / "evidence", tmp / "built")).folder
        bench_publish(pack, tmp, args.runs)
        bench_isolate(args.runs)
        bench_loop(tmp, args.old)
        bench_pages(tmp, args.cap)
    return 0


if __name__ == "__main__":
    sys.exit(main())
