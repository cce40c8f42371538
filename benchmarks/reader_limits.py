"""Benchmark: hostile workbooks through `isms-review validate`, time and peak memory per file.

Each file is validated in a child process (peak RSS from wait4), by this tree and, with
--before, by another checkout of the code (e.g. a worktree at the commit before the limits),
side by side in the same run. The child gets an address-space cap (--cap-gib) so that the old
behaviour cannot take the machine down: "cap" in the table means it needed more.

    .venv/bin/python benchmarks/reader_limits.py [--before /tmp/before-tree] [--cap-gib 8]
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.xlsx_builder import inline_row, minimal_xlsx, shared_row, with_shared_strings  # noqa: E402

REVIEW = [inline_row(5, ["Organisation", "Acme"])]


def shared_string_99k() -> bytes:
    rows = [inline_row(4, ["Risk ID", "Risk"])] + [shared_row(r, 0) for r in range(5, 99_005)]
    return with_shared_strings(minimal_xlsx({"Review": REVIEW, "f Risks": rows}), ["x" * 32_767])


def shared_string_9900() -> bytes:
    rows = [inline_row(4, ["Risk ID", "Risk"])] + [shared_row(r, 0) for r in range(5, 9_905)]
    return with_shared_strings(minimal_xlsx({"Review": REVIEW, "f Risks": rows}), ["x" * 32_767])


def far_cell() -> bytes:
    return minimal_xlsx({"Review": [*REVIEW, '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>']})


def far_column() -> bytes:
    return minimal_xlsx({"Review": REVIEW, "f Risks": [
        inline_row(4, ["Risk ID"]), '<row r="50000"><c r="ZZ50000"><v>1</v></c></row>']})


def million_rows() -> bytes:
    rows = (f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 1_000_001))
    return minimal_xlsx({"Review": REVIEW, "f Risks": rows})


def many_sheets() -> bytes:
    return minimal_xlsx({f"S{i}": [inline_row(1, ["x"])] for i in range(201)})


CASES: dict[str, Callable[[], bytes]] = {
    "one 32,767-char shared string in 9,900 cells": shared_string_9900,
    "one 32,767-char shared string in 99,000 cells": shared_string_99k,
    "a value at XFD1048576": far_cell,
    "a value at ZZ50000": far_column,
    "1,000,000 rows": million_rows,
    "201 sheets": many_sheets,
}


def measure(code: Path, path: Path, cap: int, timeout: float) -> tuple[str, float, float]:
    """(outcome, seconds, peak MiB) of `validate path` run with the code in ``code``."""
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))

    env = {**os.environ, "PYTHONPATH": str(code)}
    start = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "validate", str(path)], env=env, cwd=code,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=limit)
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        return f"killed after {timeout:.0f} s", time.monotonic() - start, 0.0
    elapsed = time.monotonic() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    code_ = proc.returncode
    text = err.decode("utf-8", "replace")
    if code_ < 0:
        outcome = f"died (signal {-code_})"
    elif "MemoryError" in text or "memory allocation" in text:
        outcome = "cap (out of memory)"
    elif code_ == 1 and text.startswith("error:"):
        outcome = "refused: " + text.splitlines()[0][7:].replace(str(path), "FILE")[:80] + "…"
    else:
        last = text.strip().splitlines()[-1][:70] if text.strip() else ""
        outcome = f"exit {code_}" + (f" ({last})" if last else "")
    return outcome, elapsed, peak


def _child_peak(code: Path, path: Path, cap: int, timeout: float) -> tuple[str, float, float]:
    """Run ``measure`` in its own process so that RUSAGE_CHILDREN holds this file only."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        outcome, seconds, peak = measure(code, path, cap, timeout)
        os.write(write, f"{seconds}\t{peak}\t{outcome}".encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as fh:
        seconds, peak, outcome = fh.read().split("\t", 2)
    os.waitpid(pid, 0)
    return outcome, float(seconds), float(peak)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", type=Path, help="another checkout of the code to compare with")
    parser.add_argument("--cap-gib", type=float, default=8.0)
    parser.add_argument("--timeout", type=float, default=600.0)
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    args = parser.parse_args()
    cap = int(args.cap_gib * 1024**3)
    trees = [("before", args.before)] if args.before else []
    trees.append(("now", ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        startup = Path(tmp) / "good.xlsx"
        startup.write_bytes((ROOT / "examples" / "acme" / "review.xlsx").read_bytes())
        print("| File | Code | Outcome | Time | Peak RSS |\n|---|---|---|---|---|")
        for label, tree in trees:
            outcome, seconds, peak = _child_peak(tree, startup, cap, args.timeout)
            print(f"| the good example (start-up cost) | {label} | {outcome} | {seconds:.1f} s "
                  f"| {peak:.0f} MiB |")
        for name, make in CASES.items():
            if args.only and args.only not in name:
                continue
            path = Path(tmp) / "hostile.xlsx"
            path.write_bytes(make())
            for label, tree in trees:
                outcome, seconds, peak = _child_peak(tree, path, cap, args.timeout)
                print(f"| {name} | {label} | {outcome} | {seconds:.1f} s | {peak:.0f} MiB |",
                      flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
