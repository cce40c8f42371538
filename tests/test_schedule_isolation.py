"""One review's abort, crash, hang or bug never stops the scheduler or the other reviews: it is
logged, reported as v<N>.failed.txt and retried later. A killed scheduler leaves nothing the
next run does not clean up. A damaged state file is kept aside and rebuilt from the folders."""

from __future__ import annotations

import datetime as dt
import json
import logging
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from pipeline.publish import MARKER
from pipeline.schedule import runner
from pipeline.schedule.config import ReviewSchedule
from pipeline.schedule.runner import run_due
from pipeline.schedule.state import load_state, state_path

from .conftest import EVIDENCE, GOOD, ROOT
from .test_schedule import DUE, review
from .xlsx_builder import minimal_xlsx

NOW = DUE + dt.timedelta(minutes=1)


def fake_build_into(r: ReviewSchedule, folder: Path, *_: Any) -> tuple[str, list[str]]:
    """A build that writes a tiny pack (the real one is tried in test_real_reader_abort...)."""
    if r.workbook.name.startswith("abort"):
        os.abort()
    if r.workbook.name.startswith("hang"):
        time.sleep(3600)
    if r.workbook.name.startswith("bug"):
        raise KeyError("no such column")
    pack = folder / "MR-2026-H2"
    pack.mkdir()
    (pack / "MR-2026-H2-pre-read.pdf").write_bytes(b"%PDF-1.7 " + r.name.encode())
    return "MR-2026-H2", ["MR-2026-H2/MR-2026-H2-pre-read.pdf"]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner, "build_into", fake_build_into)


def copy_as(tmp: Path, name: str) -> Path:
    path = tmp / name
    shutil.copy(GOOD, path)
    return path


def leftovers(base: Path) -> list[str]:
    return sorted(p.name for p in base.iterdir() if p.name.startswith(".partial-"))


@pytest.mark.parametrize(("name", "said"), [
    ("abort.xlsx", "died of SIGABRT (it aborted"),
    ("hang.xlsx", "did not finish within 2 s"),
    ("bug.xlsx", "internal problem (KeyError"),
])
def test_a_failing_review_does_not_stop_the_others(tmp_path: Path, fake: None, name: str,
                                                   said: str, caplog: pytest.LogCaptureFixture) -> None:
    bad = review(tmp_path, name="bad", workbook=copy_as(tmp_path, name), time_limit=2.0)
    good = review(tmp_path, name="good")
    started = time.monotonic()
    with caplog.at_level(logging.INFO, "isms-review.schedule"):
        first, second = run_due([bad, good], NOW)
    assert time.monotonic() - started < 30
    assert first.status == "failed" and said in first.detail, first.detail
    assert (second.status, second.version) == ("generated", 1)
    report = (tmp_path / "out" / "bad" / "v1.failed.txt").read_text()
    assert said in report
    assert any(said in r.getMessage() for r in caplog.records if r.levelno == logging.ERROR)
    assert sorted(p.name for p in (tmp_path / "out" / "bad").iterdir()) == [".isms-review.lock",
                                                                          "v1.failed.txt"]
    assert multiprocessing.active_children() == []  # the hung child was stopped, not left
    if name == "bug.xlsx":
        assert "Traceback" in report and "KeyError" in report


def test_a_failure_is_retried_later_and_at_once_when_the_workbook_changes(tmp_path: Path,
                                                                         fake: None) -> None:
    workbook = copy_as(tmp_path, "abort.xlsx")
    bad = review(tmp_path, name="bad", workbook=workbook)
    assert run_due([bad], NOW)[0].status == "failed"
    soon = run_due([bad], NOW + dt.timedelta(seconds=30))[0]
    assert soon.status == "failed" and "next try after" in soon.detail  # waits, does not hammer
    later = run_due([bad], NOW + dt.timedelta(minutes=2))[0]
    assert later.status == "failed" and "SIGABRT" in later.detail  # tried again
    record = load_state(state_path(tmp_path / "out"))["reviews"]["bad"]
    assert record["failure"]["count"] == 2
    assert "next try after" in run_due([bad], NOW + dt.timedelta(minutes=3))[0].detail  # 2 min now
    fixed = tmp_path / "ok.xlsx"  # the workbook is fixed (other bytes, and no abort)
    wb = load_workbook(GOOD)
    wb["Review"]["B14"] = "Board room"
    wb.save(fixed)
    changed = review(tmp_path, name="bad", workbook=fixed)
    done = run_due([changed], NOW + dt.timedelta(minutes=3))[0]  # another workbook: at once
    assert (done.status, done.version) == ("generated", 1)
    assert "failure" not in load_state(state_path(tmp_path / "out"))["reviews"]["bad"]


def test_real_reader_abort_under_the_scheduler(tmp_path: Path) -> None:
    """A cell at XFD1048576 aborts python-calamine 0.9 (SIGABRT): the hostile review fails,
    the good review's real pack is generated in the same run."""
    hostile = tmp_path / "hostile.xlsx"
    hostile.write_bytes(minimal_xlsx({"Review": [
        '<row r="1"><c r="A1" t="inlineStr"><is><t>Field</t></is></c></row>',
        '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>']}))
    bad = review(tmp_path, name="hostile", workbook=hostile)
    good = review(tmp_path, name="acme")
    first, second = run_due([bad, good], NOW)
    assert first.status == "failed", first
    assert (second.status, second.version) == ("generated", 1), second
    pack = tmp_path / "out" / "acme" / "v1" / "MR-2026-H2"
    assert (pack / "MR-2026-H2-pre-read.pdf").is_file()
    if "SIGABRT" in first.detail:  # the reader still aborts: reported as such
        assert "SIGABRT" in (tmp_path / "out" / "hostile" / "v1.failed.txt").read_text()


KILLED_PARENT = """
import datetime as dt, sys, time
from pathlib import Path
from pipeline.schedule import runner
from pipeline.schedule.config import ReviewSchedule

def slow(r, folder, *_):
    (folder / "MR").mkdir()
    (folder / "MR" / "half.pdf").write_bytes(b"half")
    print("BUILDING", flush=True)
    time.sleep(120)
    return "MR", []

runner.build_into = slow
r = ReviewSchedule(name="acme", workbook=Path(sys.argv[1]), evidence=Path(sys.argv[2]),
                   output=Path(sys.argv[3]), timezone="Europe/London")
runner.run_due([r], dt.datetime(2026, 11, 19, 9, 0, tzinfo=dt.UTC))
"""


def test_a_scheduler_killed_mid_build_leaves_nothing_the_next_run_keeps(tmp_path: Path, fake: None) -> None:
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen([sys.executable, "-c", KILLED_PARENT, str(GOOD), str(EVIDENCE), str(out)],
                               stdout=subprocess.PIPE, text=True, env=env)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "BUILDING"
    process.send_signal(signal.SIGKILL)
    process.wait(10)
    staging = [p for p in (out / "acme").iterdir() if p.name.startswith(".partial-")]
    assert staging and (staging[0] / MARKER).is_file()  # what the kill left
    deadline = time.monotonic() + 20  # the orphaned child dies with its parent (PDEATHSIG)
    while time.monotonic() < deadline and _child_alive(out):
        time.sleep(0.2)
    assert not _child_alive(out)
    outcome = run_due([review(tmp_path)], NOW)[0]
    assert (outcome.status, outcome.version) == ("generated", 1)
    assert leftovers(out / "acme") == [] and not (out / "acme" / "v1" / "MR" / "half.pdf").exists()


def _child_alive(out: Path) -> bool:
    """Is a process still holding the review's lock (the orphaned build child)?"""
    import fcntl

    fd = os.open(out / "acme" / ".isms-review.lock", os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


# ------------------------------------------------------------------ the state file


def _generate_v1(tmp_path: Path) -> ReviewSchedule:
    r = review(tmp_path)
    assert run_due([r], NOW)[0].version == 1
    return r


@pytest.mark.parametrize("damage", [
    b'{"reviews": {"acme": {"versions": [{"version": "one"}]}}}',  # valid JSON, wrong shape
    b'{"reviews": []}',
    b"[1, 2, 3]",
    b'{"reviews": {"acme": {"versio',  # cut off
    b"\xff\xfe not text",
])
def test_a_damaged_state_is_kept_aside_and_rebuilt(tmp_path: Path, fake: None, damage: bytes,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    r = _generate_v1(tmp_path)
    path = state_path(tmp_path / "out")
    path.write_bytes(damage)
    with caplog.at_level(logging.WARNING, "isms-review.schedule"):
        again = run_due([r], NOW + dt.timedelta(hours=1))[0]
    assert (again.status, again.version) == ("up-to-date", 1)  # not issued a second time
    aside = list(path.parent.glob(f"{path.name}.corrupt-*"))
    assert len(aside) == 1 and aside[0].read_bytes() == damage
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "damaged" in warning and "rebuilt from the version folders (1 version(s) found)" in warning
    state = json.loads(path.read_text())
    assert [v["version"] for v in state["reviews"]["acme"]["versions"]] == [1]


def test_list_with_a_damaged_state_warns_and_leaves_the_file(tmp_path: Path, fake: None,
                                                             caplog: pytest.LogCaptureFixture) -> None:
    r = _generate_v1(tmp_path)
    path = state_path(tmp_path / "out")
    path.write_text('{"reviews": 7}')
    with caplog.at_level(logging.WARNING, "isms-review.schedule"):
        outcome = runner.describe(r, NOW)
    assert (outcome.status, outcome.version) == ("generated", 1)
    assert path.read_text() == '{"reviews": 7}' and "next run keeps it aside" in caplog.text


def test_a_lost_state_is_rebuilt_without_issuing_again(tmp_path: Path, fake: None) -> None:
    r = _generate_v1(tmp_path)
    state_path(tmp_path / "out").unlink()
    again = run_due([r], NOW + dt.timedelta(hours=1))[0]
    assert (again.status, again.version) == ("up-to-date", 1)


def test_state_shape_checker_names_the_place() -> None:
    from pipeline.schedule.state import shape_problem

    entry: dict[str, Any] = {"version": 1, "generated_at": "", "due": "", "workbook_sha256": "",
                             "folder": "", "late": False, "change_note": "", "files": [],
                             "delivery": ""}
    assert shape_problem({"reviews": {"a": {"versions": [entry]}}}) is None
    assert shape_problem({"reviews": {"a": {"versions": [{**entry, "late": "no"}]}}}) == (
        "reviews → 'a' → versions[0] → 'late' is missing or not a true/false")
    assert "does not increase" in str(shape_problem({"reviews": {"a": {"versions": [entry, entry]}}}))
    assert shape_problem({"reviews": {"a": {"versions": [{**entry, "version": True}]}}})


def test_sigterm_under_once_stops_the_build_and_leaves_no_version(tmp_path: Path) -> None:
    from .test_schedule import schedule_file

    path = schedule_file(tmp_path, meeting='"2026-11-24T10:00"')
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "schedule", str(path), "--once"],
                               cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + 120
    while "rendering" not in seen and time.monotonic() < deadline:
        seen += process.stderr.readline()
    process.send_signal(signal.SIGTERM)
    _, rest = process.communicate(timeout=90)
    assert process.returncode == 143, seen + rest
    assert rest.strip().splitlines()[-1] == ("error: stopped by SIGTERM: nothing was published (the "
                                             "previous pack, if any, is unchanged).")
    left = sorted(str(f.relative_to(tmp_path)) for f in (tmp_path / "out").rglob("*"))
    assert not (tmp_path / "out" / "acme").exists(), left  # no v1/, no staging, no register
