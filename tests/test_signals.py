"""Real builds stopped by signals. SIGTERM/SIGINT: the build ends cleanly — LibreOffice and the
render child killed, staging removed, exit 143/130 with one line saying nothing was published,
the earlier pack untouched. SIGKILL at random moments while a build replaces an earlier pack:
the visible pack is entirely the old one or entirely the new one, and the next run leaves no
staging behind."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from openpyxl import load_workbook

from pipeline.publish import current

from .conftest import EVIDENCE, GOOD, ROOT

RID = "MR-2026-H2"
EPOCH = "1765000000"  # same inputs, same bytes: old and new packs can be compared by hash


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def start_build(workbook: Path, out: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": EPOCH, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "pipeline", "build", str(workbook), "--evidence",
                             str(EVIDENCE), "--out", str(out)], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def build_ok(workbook: Path, out: Path) -> Path:
    process = start_build(workbook, out)
    _, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    published = current(out, RID, "pre-read")
    assert published is not None
    return published


@pytest.fixture(scope="module")
def packs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """An old pack (the example) and the hashes of the new one a changed workbook (Location)
    makes when built over it (the issue register there makes it the next version), built once."""
    tmp = tmp_path_factory.mktemp("signals")
    changed = tmp / "changed.xlsx"
    wb = load_workbook(GOOD)
    row = next(r for r in range(1, 40) if wb["Review"][f"A{r}"].value == "Location")
    wb["Review"][f"B{row}"] = "Board room, 6th floor"
    wb.save(changed)
    old = build_ok(GOOD, tmp / "old")
    shutil.copytree(tmp / "old", tmp / "new", symlinks=True)
    new = build_ok(changed, tmp / "new")
    assert digest(old) != digest(new)
    return {"old_out": tmp / "old", "old": digest(old), "new": digest(new), "changed": changed}


def fresh_copy(packs: dict[str, object], tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(packs["old_out"], out, symlinks=True)  # type: ignore[arg-type]
    return out


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith((".partial-", ".publishing-")))


def processes_mentioning(text: str) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit() and int(proc.name) != os.getpid():
            try:
                if text in (proc / "cmdline").read_bytes().decode(errors="replace"):
                    found.append(int(proc.name))
            except OSError:
                continue
    return found


def wait_for(process: subprocess.Popen[str], phrase: str) -> str:
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + 120
    while phrase not in seen and time.monotonic() < deadline:
        line = process.stderr.readline()
        if not line:
            break
        seen += line
    assert phrase in seen, seen
    return seen


@pytest.mark.parametrize(("sig", "code", "phrase"), [
    (signal.SIGTERM, 143, "converting to PDF"),  # LibreOffice is running
    (signal.SIGINT, 130, "rendering"),  # the render child is running
])
def test_a_signal_stops_the_build_cleanly(packs: dict[str, object], tmp_path: Path, sig: int,
                                          code: int, phrase: str) -> None:
    out = fresh_copy(packs, tmp_path)
    process = start_build(packs["changed"], out)  # type: ignore[arg-type]
    seen = wait_for(process, phrase)
    time.sleep(0.7)
    process.send_signal(sig)
    _, rest = process.communicate(timeout=60)
    assert process.returncode == code, seen + rest
    name = signal.Signals(sig).name
    assert rest.strip().splitlines()[-1] == (f"error: stopped by {name}: nothing was published (the "
                                             "previous pack, if any, is unchanged).")
    assert "Traceback" not in rest
    assert digest(current(out, RID, "pre-read") or out) == packs["old"]
    assert leftovers(out / RID) == [] and [p.name for p in (out / RID).glob("pre-read-v*")] == ["pre-read-v1"]
    time.sleep(0.5)
    assert processes_mentioning(str(out)) == []  # no soffice, no render child left behind


def kill_at(packs: dict[str, object], tmp_path: Path, delay: float) -> str:
    out = fresh_copy(packs, tmp_path)
    process = start_build(packs["changed"], out)  # type: ignore[arg-type]
    time.sleep(delay)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    seen = digest(current(out, RID, "pre-read") or out)
    which = "old" if seen == packs["old"] else "new" if seen == packs["new"] else "MIXED"
    assert which != "MIXED", sorted(seen)
    for pid in processes_mentioning(str(out)):  # an orphaned LibreOffice of the killed build
        os.kill(pid, signal.SIGKILL)
    published = build_ok(packs["changed"], out)  # type: ignore[arg-type]  # the next run
    assert leftovers(out / RID) == []
    if which == "old":  # nothing of the killed build counted: the next run makes the same pack
        assert digest(published) == packs["new"]
    for version in (out / RID).glob("pre-read-v*"):
        assert digest(version) in (packs["old"], packs["new"]), version.name
    return which


def test_sigkill_during_a_real_build(packs: dict[str, object], tmp_path: Path) -> None:
    assert kill_at(packs, tmp_path, 4.0) == "old"  # mid-build (rendering or LibreOffice)


@pytest.mark.slow
def test_sigkill_at_ten_random_moments_of_a_real_build(packs: dict[str, object],
                                                       tmp_path_factory: pytest.TempPathFactory) -> None:
    started = time.monotonic()
    build_ok(packs["changed"], tmp_path_factory.mktemp("timing"))  # type: ignore[arg-type]
    duration = time.monotonic() - started
    rng = random.Random(15)
    outcomes = [kill_at(packs, tmp_path_factory.mktemp("kill"), rng.uniform(0.5, duration * 1.05))
                for _ in range(10)]
    assert "old" in outcomes  # each outcome was checked whole inside kill_at


class _Held:
    """An object with a finaliser attached (plain objects take weak references)."""


def _stopped_inside_a_finaliser() -> None:
    import weakref

    held = _Held()
    weakref.finalize(held, time.sleep, 30)  # the stop signal arrives while this runs
    del held
    time.sleep(30)


def test_a_child_stopped_inside_a_finaliser_ends_quietly_at_once(capfd: pytest.CaptureFixture[str]) -> None:
    """The build stops its PDF/A check child with SIGTERM when it refuses: a signal landing in
    a callback Python cannot raise from printed "Exception ignored … stopped by SIGTERM" with a
    traceback on the user's terminal, and the child ran on until killed."""
    from pipeline.children import Child

    child = Child(_stopped_inside_a_finaliser, grace=10)
    time.sleep(1.0)  # inside the finaliser's sleep by now
    start = time.monotonic()
    child.close()
    elapsed = time.monotonic() - start
    err = capfd.readouterr().err
    assert "Exception ignored" not in err and "Traceback" not in err and "SIGTERM" not in err, err
    assert elapsed < 5, elapsed  # ended on the signal, not killed after the grace period


@pytest.mark.parametrize("after", [0.15, 0.5])
def test_ctrl_c_while_the_program_is_still_loading_is_one_line(tmp_path: Path, after: float) -> None:
    """Ctrl-C in the first second (a wrong path noticed at once) printed a 25-line traceback
    from deep in the libraries being imported."""
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "validate", str(GOOD)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT)
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    assert b"Traceback" not in err, err
    if process.returncode == 130:
        assert err.strip() == b"interrupted; nothing was written.", err
    else:  # before Python handles signals (killed by it, silently), or done before it (fast)
        assert process.returncode in (-signal.SIGINT, 0, 1) and b"interrupted" not in err, err
