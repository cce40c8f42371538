"""The scheduler with a fake clock: due dates, exactly-once versions, catch-up, re-issue, no
overwrite, locking, clean SIGTERM, failure and retry, SMTP delivery to a local server."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from pipeline.schedule.config import ReviewSchedule, load_schedule
from pipeline.schedule.due import due_date, due_moment
from pipeline.schedule.runner import describe, run_due
from pipeline.schedule.state import locked, state_path

from .conftest import EVIDENCE, GOOD, ROOT, run_cli

LONDON = zoneinfo.ZoneInfo("Europe/London")
D = dt.date


def review(tmp: Path, **extra: Any) -> ReviewSchedule:
    values: dict[str, Any] = {"name": "acme", "workbook": GOOD, "evidence": EVIDENCE,
                              "output": tmp / "out", "timezone": "Europe/London",
                              "holidays_country": "GB", "holidays_subdivision": "ENG"}
    values.update(extra)
    return ReviewSchedule(**values)


@pytest.mark.parametrize(("meeting", "lead", "extra", "expected"), [
    (D(2026, 12, 11), 5, (), D(2026, 12, 4)),  # Friday meeting: the Friday before
    (D(2026, 12, 1), 5, (), D(2026, 11, 24)),  # across a month end
    (D(2027, 1, 4), 5, (), D(2026, 12, 23)),  # across the year end: 25, 28 Dec and 1 Jan closed
    (D(2027, 1, 4), 5, (D(2026, 12, 24),), D(2026, 12, 22)),  # plus an extra holiday
    (D(2026, 4, 13), 5, (), D(2026, 4, 2)),  # Monday after Easter: Good Friday, Easter Monday
    (D(2026, 3, 30), 1, (), D(2026, 3, 27)),  # the Monday after the clocks change
    (D(2026, 12, 11), 0, (), D(2026, 12, 11)),  # no lead: the meeting day
])
def test_due_date_table(tmp_path: Path, meeting: dt.date, lead: int, extra: tuple[dt.date, ...],
                        expected: dt.date) -> None:
    assert due_date(meeting, lead, review(tmp_path, extra_holidays=extra)) == expected


def test_due_moment_follows_daylight_saving(tmp_path: Path) -> None:
    winter = due_moment(D(2026, 3, 30), 1, review(tmp_path))  # due Fri 27 March, before BST
    summer = due_moment(D(2026, 4, 13), 5, review(tmp_path))  # due Thu 2 April, in BST
    assert winter.utcoffset() == dt.timedelta(0) and winter.hour == 7
    assert summer.utcoffset() == dt.timedelta(hours=1) and summer.hour == 7


DUE = dt.datetime(2026, 11, 19, 7, 0, tzinfo=LONDON)  # the example: meeting Thu 26 Nov, lead 5


def versions(tmp: Path) -> list[dict[str, Any]]:
    state = json.loads(state_path(tmp / "out").read_text())
    return state["reviews"]["acme"]["versions"]  # type: ignore[no-any-return]


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "review.xlsx"
    shutil.copy(GOOD, path)
    return path


def test_waits_then_generates_exactly_once_then_reissues_on_change(tmp_path: Path, workbook: Path) -> None:
    r = review(tmp_path, workbook=workbook)
    assert run_due([r], DUE - dt.timedelta(minutes=1))[0].status == "waiting"
    assert not (tmp_path / "out").exists()
    first = run_due([r], DUE + dt.timedelta(minutes=1))[0]
    assert (first.status, first.version) == ("generated", 1)
    v1 = tmp_path / "out" / "acme" / "v1" / "MR-2026-H2"
    assert (v1 / "MR-2026-H2-pre-read.pdf").is_file() and (v1 / "MR-2026-H2-pre-read-bundle.pdf").is_file()
    before = digest(v1)
    # the issue register records the pack as published (recorded after the publish step)
    from pipeline.register import Register, sha256_file

    register = Register.load(tmp_path / "out" / "acme")
    issued = {e.document: e.sha256 for e in register.entries}
    assert issued["pre-read"] == sha256_file(v1 / "MR-2026-H2-pre-read.pdf")
    assert issued["pre-read-bundle"] == sha256_file(v1 / "MR-2026-H2-pre-read-bundle.pdf")
    again = run_due([r], DUE + dt.timedelta(hours=5))[0]
    assert (again.status, again.version) == ("up-to-date", 1) and len(versions(tmp_path)) == 1
    assert versions(tmp_path)[0]["late"] is False
    wb = load_workbook(workbook)
    wb["Review"]["B14"] = "Board room, 6th floor"  # Location changed after the pack went out
    wb.save(workbook)
    third = run_due([r], DUE + dt.timedelta(days=1))[0]
    assert (third.status, third.version) == ("generated", 2)
    assert "workbook changed" in third.detail
    v2 = tmp_path / "out" / "acme" / "v2" / "MR-2026-H2"
    assert "replaces version 1" in (v2 / "CHANGES.txt").read_text()
    assert digest(v1) == before  # a generated version is never overwritten


def test_after_the_meeting_no_pre_read_is_made_and_nothing_fails(tmp_path: Path, workbook: Path) -> None:
    """Attendance and approval are typed in after the meeting: the scheduler does not try to
    re-issue the pre-read (build would refuse it without --reissue, which the schedule cannot
    give), does not fail or retry, and says so once per run."""
    r = review(tmp_path, workbook=workbook)
    assert run_due([r], DUE + dt.timedelta(minutes=1))[0].status == "generated"
    wb = load_workbook(workbook)
    wb["Review"]["B14"] = "Board room, 6th floor"  # the workbook changes after the meeting
    wb.save(workbook)
    for minute in (0, 2):
        now = dt.datetime(2026, 11, 27, 9, minute, tzinfo=LONDON)
        after = run_due([r], now)[0]
        assert (after.status, after.version) == ("meeting-held", 1), after
        assert "26 November 2026 has taken place" in after.detail
    assert len(versions(tmp_path)) == 1 and not (tmp_path / "out" / "acme" / "v2.failed.txt").exists()
    assert describe(r, dt.datetime(2026, 11, 27, 9, 5, tzinfo=LONDON)).status == "meeting-held"
    code, out, _ = run_cli("schedule", str(schedule_file(tmp_path)), "--once", "--now", "2026-11-27T09:10Z")
    assert code == 0 and "meeting-held" in out, out


def test_the_pack_counts_the_due_date_in_the_schedule_files_calendar(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """extra_holidays in the schedule file move the due moment, and the build the scheduler
    runs is given that same calendar (its agenda said the workbook's date, a day apart)."""
    from pipeline.schedule import runner

    r = review(tmp_path, extra_holidays=(D(2026, 11, 19),))  # the usual due day closed
    facts, _ = runner._facts(r)
    assert facts is not None
    due, calendar, _ = facts
    assert due.date() == D(2026, 11, 18) and D(2026, 11, 19) in calendar.extra
    given: list[Any] = []

    def fake_build(options: Any, folder: Path) -> Any:
        given.append(options.holidays)
        raise RuntimeError("stop here")

    monkeypatch.setattr(runner, "build_pack", fake_build)
    with pytest.raises(RuntimeError):
        runner.build_into(r, tmp_path, calendar)
    assert given == [calendar]
    from pipeline.workdays import pre_read_due

    assert pre_read_due(D(2026, 11, 26), 5, given[0]) == due.date()  # what the agenda prints


def test_catch_up_after_downtime_is_marked_late(tmp_path: Path) -> None:
    outcome = run_due([review(tmp_path)], DUE + dt.timedelta(days=3))[0]
    assert outcome.status == "generated"
    assert versions(tmp_path)[0]["late"] is True


def test_existing_version_folder_is_never_overwritten(tmp_path: Path) -> None:
    squatter = tmp_path / "out" / "acme" / "v1"
    squatter.mkdir(parents=True)
    (squatter / "keep.txt").write_text("sent to the board already")
    outcome = run_due([review(tmp_path)], DUE + dt.timedelta(minutes=5))[0]
    assert outcome.version == 2
    assert (squatter / "keep.txt").read_text() == "sent to the board already"


def test_failing_workbook_writes_a_report_and_retries(tmp_path: Path, workbook: Path) -> None:
    wb = load_workbook(workbook)
    wb["f Risks"]["D5"] = "very likely"  # wrong type: validation error
    wb.save(workbook)
    r = review(tmp_path, workbook=workbook)
    failed = run_due([r], DUE + dt.timedelta(minutes=1))[0]
    assert failed.status == "failed"
    report = tmp_path / "out" / "acme" / "v1.failed.txt"
    assert "wrong-type" in report.read_text() and "'f Risks'!D5" in report.read_text()
    assert not (tmp_path / "out" / "acme" / "v1").exists()
    shutil.copy(GOOD, workbook)  # fixed
    retried = run_due([r], DUE + dt.timedelta(minutes=2))[0]
    assert (retried.status, retried.version) == ("generated", 1)
    assert not report.exists()


def schedule_file(tmp: Path, **extra: str) -> Path:
    lines = ["[[review]]", 'name = "acme"', f'workbook = "{GOOD}"', f'evidence = "{EVIDENCE}"',
             f'output = "{tmp / "out"}"', 'timezone = "Europe/London"', 'holidays_country = "GB"']
    lines += [f"{key} = {value}" for key, value in extra.items()]
    path = tmp / "schedule.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_once_and_list_from_the_command_line(tmp_path: Path) -> None:
    path = schedule_file(tmp_path)
    code, out, _ = run_cli("schedule", str(path), "--list", "--now", "2026-11-16T12:00")
    assert code == 0 and out.strip() == "acme: due Thu 2026-11-19 07:00 GMT; waiting"
    code, out, _ = run_cli("schedule", str(path), "--once", "--now", "2026-11-19T07:30Z")
    assert code == 0 and "acme: generated v1" in out
    code, out, _ = run_cli("schedule", str(path), "--list", "--now", "2026-11-19T08:00Z")
    assert "generated v1 at 2026-11-19T07:30:00+00:00" in out


def test_lock_stops_a_second_scheduler(tmp_path: Path) -> None:
    path = schedule_file(tmp_path)
    with locked(state_path(tmp_path / "out")):
        code, _, err = run_cli("schedule", str(path), "--once", "--now", "2026-11-20T09:00")
    assert code == 1 and "another isms-review scheduler is running" in err


def test_every_problem_in_the_schedule_file_is_reported_at_once(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[[review]]\nname = "x y"\nworkbook = "nope.xlsx"\ntimezone = "Mars/Base"\n'
                    'generate_at = "7am"\nlead_business_days = 99\nextra_holidays = ["soon"]\n'
                    'colour = "blue"\n')
    code, _, err = run_cli("schedule", str(path), "--list")
    assert code == 1
    for key in ("'name'", "'workbook'", "'evidence'", "'output'", "'timezone'", "'generate_at'",
                "'lead_business_days'", "'extra_holidays'", "'colour'"):
        assert key in err, key
    assert "(x y)" in err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_delivery_to_a_local_smtp_server_and_retry(tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller
    from aiosmtpd.handlers import Message

    received: list[Any] = []

    class Collect(Message):  # type: ignore[misc]
        def handle_message(self, message: Any) -> None:
            received.append(message)

    port = free_port()
    delivery_config = {"smtp_host": "127.0.0.1", "smtp_port": port, "starttls": False,
                       "sender": "isms@acme.example", "recipients": ("ciso@acme.example",)}
    from pipeline.schedule.config import Delivery

    r = review(tmp_path, delivery=Delivery(**delivery_config))  # type: ignore[arg-type]
    first = run_due([r], DUE + dt.timedelta(minutes=1))[0]  # no server yet: generated, not sent
    assert first.status == "generated" and "delivery failed" in first.detail
    # the server is named, with what to check; no Python exception name
    assert f"could not reach the mail server 127.0.0.1:{port}" in first.detail, first.detail
    assert "smtp_host and smtp_port" in first.detail and "Error" not in first.detail
    assert versions(tmp_path)[0]["delivery"] == "pending"
    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        retry = run_due([r], DUE + dt.timedelta(minutes=2))[0]
    finally:
        controller.stop()
    assert retry.status == "delivered"
    assert len(versions(tmp_path)) == 1  # the pack was not generated again
    (message,) = received
    assert message["To"] == "ciso@acme.example" and "MR-2026-H2" in message["Subject"]
    names = [part.get_filename() for part in message.walk() if part.get_filename()]
    assert names == ["MR-2026-H2-pre-read.pdf"]


def test_sigterm_during_a_run_stops_the_build_and_leaves_nothing(tmp_path: Path) -> None:
    path = schedule_file(tmp_path, meeting='"2026-11-24T10:00"')  # due already: runs at start
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "pipeline", "schedule", str(path)], cwd=ROOT,
                               stderr=subprocess.PIPE, text=True, env=env)
    assert process.stderr is not None
    seen = ""
    deadline = time.monotonic() + 120
    while "converting to PDF" not in seen and time.monotonic() < deadline:
        seen += process.stderr.readline()
    time.sleep(0.5)  # LibreOffice is running now
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    _, rest = process.communicate(timeout=180)
    log = seen + rest
    assert process.returncode == 0, log
    assert time.monotonic() - started < 20, log  # stopped at once, not after the build
    assert "received SIGTERM: stopping" in log and "scheduler stopped" in log, log
    out = tmp_path / "out"
    assert not (out / "acme").exists(), list((out / "acme").iterdir())  # not even an empty v1/
    assert not state_path(out).exists() or versions(tmp_path) == []
    assert not soffice_for(out), "LibreOffice was left running"
    code, stdout, _ = run_cli("schedule", str(path), "--once")  # retried at the next start
    assert code == 0 and "acme: generated v1" in stdout


def soffice_for(folder: Path) -> list[int]:
    """LibreOffice processes still working on files below ``folder`` (by their command line)."""
    found = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                cmdline = (proc / "cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            if "soffice" in cmdline and str(folder) in cmdline:
                found.append(int(proc.name))
    return found


def test_example_schedule_lists(tmp_path: Path) -> None:
    reviews = load_schedule(ROOT / "examples" / "schedule.toml")
    assert [r.name for r in reviews] == ["acme-2026-q4"]
    code, out, _ = run_cli("schedule", str(ROOT / "examples" / "schedule.toml"), "--list", "--now",
                           "2026-11-16T00:00")
    assert code == 0 and "acme-2026-q4: due Thu 2026-11-19 07:00 GMT" in out


def test_once_exits_non_zero_when_a_review_fails(tmp_path: Path, workbook: Path) -> None:
    wb = load_workbook(workbook)
    wb["Review"]["B7"] = None  # no Review ID: the workbook is invalid
    wb.save(workbook)
    path = schedule_file(tmp_path)
    path.write_text(path.read_text().replace(str(GOOD), str(workbook)))
    code, out, _ = run_cli("schedule", str(path), "--once", "--now", "2026-11-19T08:00Z")
    assert code == 1 and "acme: failed" in out
    assert "required-empty" in (tmp_path / "out" / "acme" / "v1.failed.txt").read_text()
