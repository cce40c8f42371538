"""Benchmark: `isms-review verify` on a 5,000-page bundle against `qpdf --check` of the same
file (qpdf reads and checks every object: the floor for looking at the whole file), in one run.

Uses the bundle `bundle_vs_qpdf.py` makes (benchmarks/data/bundle200/out/bundle.pdf; made
first when missing) and prints each side's median time and peak memory (max RSS of a child
that does only that work) and the ratio. verify does more than read: it hashes the file,
parses its revisions and signatures (pyHanko), takes every page's content digest and checks
every stamp. Target: ≤ 3× qpdf --check.

    .venv/bin/python benchmarks/verify_large.py [--runs 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUNDLE = Path(__file__).parent / "data" / "bundle200" / "out" / "bundle.pdf"


def _child(target: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    sys.path.insert(0, str(ROOT))
    if target == "ours":
        from pipeline.bundle.verify import verify_bundle

        start = time.perf_counter()
        result = verify_bundle(BUNDLE)
        verdict = result.verdict
    else:
        start = time.perf_counter()
        subprocess.run(["qpdf", "--check", str(BUNDLE)], check=True, capture_output=True)
        verdict = "checked"
    elapsed = time.perf_counter() - start
    rss = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
              resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    queue.put((elapsed, rss, verdict))


def _timed(target: str) -> tuple[float, int, str]:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=_child, args=(target, queue))
    process.start()
    found = queue.get()
    process.join()
    return found  # type: ignore[no-any-return]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("qpdf") is None:
        print("qpdf is not installed (make setup installs it)")
        return 1
    if not BUNDLE.exists():
        subprocess.run([sys.executable, str(Path(__file__).parent / "bundle_vs_qpdf.py"), "--runs", "1"],
                       check=True)
    qpdf = [_timed("qpdf") for _ in range(args.runs)]
    ours = [_timed("ours") for _ in range(args.runs)]
    q_time, o_time = statistics.median(t for t, _, _ in qpdf), statistics.median(t for t, _, _ in ours)
    import pikepdf

    with pikepdf.open(BUNDLE) as pdf:
        pages = len(pdf.pages)
    print(f"bundle: {pages} pages, {BUNDLE.stat().st_size / 1e6:.1f} MB; verify verdict: {ours[0][2]}")
    print(f"qpdf --check:        median {q_time:.2f} s, peak RSS {max(r for _, r, _ in qpdf) / 1024:.0f} MiB")
    print(f"isms-review verify:  median {o_time:.2f} s, peak RSS {max(r for _, r, _ in ours) / 1024:.0f} MiB")
    print(f"ratio time {o_time / q_time:.2f}x (target <= 3x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
