"""Run whatever is due: the same `build --stage pre-read` stage function, into a new version
folder each time (never overwriting), with durable state, catch-up and retry."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..commands.build import build
from ..commands.gate import Refused as BuildRefused
from ..commands.options import BuildOptions
from ..errors import UserError
from ..files import atomic_write_bytes
from ..workbook.validate import read_data
from ..workdays import HolidayCalendar, calendar_from_fields
from .config import ReviewSchedule
from .delivery import deliver
from .due import due_moment
from .state import load_state, save_state, state_path

LATE_AFTER = dt.timedelta(minutes=30)  # a run this long after its due moment is a catch-up
log = logging.getLogger("isms-review.schedule")


@dataclass
class Outcome:
    review: str
    status: str  # waiting | generated | up-to-date | failed | delivered
    due: dt.datetime | None = None
    version: int | None = None
    detail: str = ""


def meeting_and_lead(review: ReviewSchedule) -> tuple[dt.date, int, HolidayCalendar]:
    data = read_data(review.workbook)
    meeting = review.meeting.date() if review.meeting else data.review.meeting_date
    if not isinstance(meeting, dt.date):
        raise UserError(f"{review.workbook}: no Meeting date on the Review sheet and no 'meeting' "
                        f"for '{review.name}' in the schedule file.")
    lead = review.lead_business_days
    if lead is None:
        lead = data.review.pre_read_lead
    calendar = calendar_from_fields(data.review.holiday_calendar, data.review.extra_holidays,
                                    f"{review.workbook}: Review sheet")
    return meeting, int(lead), calendar


def describe(review: ReviewSchedule, now: dt.datetime) -> Outcome:
    """What --list shows: the due moment and where this review stands."""
    try:
        meeting, lead, calendar = meeting_and_lead(review)
    except UserError as exc:
        return Outcome(review.name, "failed", detail=str(exc))
    due = due_moment(meeting, lead, review, calendar)
    record = load_state(state_path(review.output))["reviews"].get(review.name, {})
    versions = record.get("versions", [])
    if versions:
        last = versions[-1]
        sha = hashlib.sha256(review.workbook.read_bytes()).hexdigest()
        changed = "workbook changed: the next run issues a new version"
        state = "generated" if last["workbook_sha256"] == sha else changed
        return Outcome(review.name, state, due, last["version"], f"at {last['generated_at']}")
    return Outcome(review.name, "due" if now >= due else "waiting", due)


def run_review(review: ReviewSchedule, now: dt.datetime, state: dict[str, Any]) -> Outcome:
    record = state["reviews"].setdefault(review.name, {"versions": []})
    try:
        meeting, lead, calendar = meeting_and_lead(review)
    except UserError as exc:
        log.error("%s: %s (will retry)", review.name, exc)
        return Outcome(review.name, "failed", detail=str(exc))
    due = due_moment(meeting, lead, review, calendar)
    if now < due:
        return Outcome(review.name, "waiting", due)
    versions: list[dict[str, Any]] = record["versions"]
    sha = hashlib.sha256(review.workbook.read_bytes()).hexdigest()
    if versions and versions[-1]["workbook_sha256"] == sha:
        last = versions[-1]
        if last.get("delivery") == "pending" and review.delivery is not None:
            return _deliver(review, last, state)
        return Outcome(review.name, "up-to-date", due, last["version"])
    number = len(versions) + 1
    base = review.output / review.name
    while (base / f"v{number}").exists():  # never overwrite, even a version the state lost
        number += 1
    folder = base / f"v{number}"
    late = now - due > LATE_AFTER
    log.info("%s: generating pre-read v%d (due %s%s)", review.name, number, due.isoformat(),
             "; LATE: catching up a missed run" if late else "")
    try:
        result = build(BuildOptions(
            review.workbook, review.evidence, folder, "pre-read",
            progress=lambda step: log.info("%s: %s", review.name, step),
            allow_incomplete=review.allow_incomplete, holidays=calendar))
    except BuildRefused as refused:
        _failure(base, number, str(refused), refused.report.to_json())
        log.error("%s: not generated: %s (report in %s; will retry)", review.name, refused, base)
        return Outcome(review.name, "failed", due, number, str(refused))
    except UserError as exc:
        _failure(base, number, str(exc), "")
        log.error("%s: not generated: %s (will retry)", review.name, exc)
        return Outcome(review.name, "failed", due, number, str(exc))
    note = ""
    if versions:
        previous = versions[-1]
        note = (f"Version {number} replaces version {previous['version']}: the workbook changed "
                f"(SHA-256 {previous['workbook_sha256'][:16]}… → {sha[:16]}…).")
        atomic_write_bytes(result.folder / "CHANGES.txt", (note + "\n").encode())
    (base / f"v{number}.failed.txt").unlink(missing_ok=True)
    entry = {"version": number, "generated_at": now.isoformat(), "due": due.isoformat(),
             "workbook_sha256": sha, "folder": str(result.folder), "late": late,
             "change_note": note, "files": [p.name for p in result.files if p.suffix == ".pdf"],
             "delivery": "pending" if review.delivery is not None else "not configured"}
    versions.append(entry)
    save_state(state_path(review.output), state)
    log.info("%s: pre-read v%d written to %s", review.name, number, result.folder)
    detail = note
    if review.delivery is not None:
        sent = _deliver(review, entry, state)
        detail = "; ".join(x for x in (note, sent.detail) if x)
    return Outcome(review.name, "generated", due, number, detail)


def _failure(base: Path, number: int, message: str, report_json: str) -> None:
    text = f"The pre-read pack was not generated.\n\n{message}\n"
    if report_json:
        text += f"\nValidation report (JSON):\n{report_json}\n"
    atomic_write_bytes(base / f"v{number}.failed.txt", text.encode())


def _deliver(review: ReviewSchedule, entry: dict[str, Any], state: dict[str, Any]) -> Outcome:
    assert review.delivery is not None
    folder = Path(entry["folder"])
    pre_read = next(folder.glob("*-pre-read.pdf"), None)
    try:
        recipients = deliver(review.delivery, review, pre_read, entry["version"])
    except Exception as exc:  # SMTP, network, auth: logged and retried, the pack is kept
        log.error("%s: delivery of v%d failed: %s (will retry)", review.name, entry["version"], exc)
        return Outcome(review.name, "generated", version=entry["version"], detail=f"delivery failed: {exc}")
    entry["delivery"] = f"sent to {', '.join(recipients)}"
    save_state(state_path(review.output), state)
    log.info("%s: v%d sent to %d recipient(s)", review.name, entry["version"], len(recipients))
    return Outcome(review.name, "delivered", version=entry["version"])


def run_due(reviews: list[ReviewSchedule], now: dt.datetime, stop: Any = None) -> list[Outcome]:
    """Run every review that is due at ``now`` (an aware datetime); never raises for one
    review's failure. ``stop`` (an Event) is checked between reviews."""
    outcomes = []
    states: dict[Path, dict[str, Any]] = {}
    for review in reviews:
        if stop is not None and stop.is_set():
            break
        path = state_path(review.output)
        state = states.setdefault(path, load_state(path))
        try:
            outcomes.append(run_review(review, now, state))
        except Exception as exc:  # a bug must not stop the other reviews or the loop
            log.exception("%s: unexpected failure: %s", review.name, exc)
            outcomes.append(Outcome(review.name, "failed", detail=f"unexpected: {exc}"))
    return outcomes
