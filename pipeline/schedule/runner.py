"""Run whatever is due: the same `build --stage pre-read` stage function, into a new version
folder each time (never overwriting), with durable state, catch-up and retry.

Everything that reads the workbook runs in a child process with a time limit
(:mod:`.isolation`): an abort of the reader, a crash or a hang of one review's build is logged,
reported as ``v<N>.failed.txt`` and retried later, and the scheduler and the other reviews go
on. A version is built in a staging folder and published whole by one rename
(:class:`pipeline.publish.Publication`), so a kill or SIGTERM never leaves a ``v<N>/`` with
leftovers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from ..children import ChildResult, run_isolated
from ..commands.build import build_into as build_pack
from ..commands.issue import PendingIssue
from ..commands.options import BuildOptions
from ..errors import UserError
from ..files import atomic_write_bytes
from ..publish import Publication
from ..register import meeting_over
from ..signals_guard import deferred
from ..workbook.validate import read_data
from ..workdays import HolidayCalendar, calendar_from_fields
from .config import Delivery, ReviewSchedule
from .delivery import deliver
from .due import calendar_for, due_moment
from .state import VERSION_FILE, load_state, save_state, state_path

LATE_AFTER = dt.timedelta(minutes=30)  # a run this long after its due moment is a catch-up
READ_LIMIT = 300.0  # seconds to read the meeting date from a workbook
SEND_LIMIT = 300.0  # seconds to send one pack
RETRY_FIRST, RETRY_MOST = 60, 3600  # seconds before retrying a failure with the same workbook
log = logging.getLogger("isms-review.schedule")


@dataclass
class Outcome:
    review: str
    status: str  # waiting | generated | up-to-date | failed | delivered | meeting-held
    due: dt.datetime | None = None
    version: int | None = None
    detail: str = ""
    delivery_failed: bool = False  # made, but nobody has received it yet


# ------------------------------------------------------------------ the work done in children


def meeting_and_lead(review: ReviewSchedule) -> tuple[dt.date, int, HolidayCalendar]:
    data = read_data(review.workbook)
    meeting = review.meeting.date() if review.meeting else data.review.meeting_date
    if not isinstance(meeting, dt.date):
        raise UserError(f"{review.workbook}: no Meeting date on the Review sheet and no 'meeting' "
                        f"for '{review.name}' in the schedule file.")
    if isinstance(meeting, dt.datetime):
        meeting = meeting.date()
    lead = review.lead_business_days
    if lead is None:
        lead = data.review.pre_read_lead
    calendar = calendar_from_fields(data.review.holiday_calendar, data.review.extra_holidays,
                                    f"{review.workbook}: Review sheet")
    return meeting, int(lead), calendar


def build_into(review: ReviewSchedule, folder: Path, calendar: HolidayCalendar | None = None,
               now: dt.datetime | None = None) -> tuple[str, list[str], PendingIssue | None]:
    """Build the pre-read pack into ``folder``; the pack's folder and files, relative to it,
    and the issue to record in the register once the pack is published.
    Runs in its own child process: the build time is the scheduler's clock (``now``, e.g.
    ``--now``) unless SOURCE_DATE_EPOCH is set, so the pack is dated the moment it is issued."""
    if now is not None and not os.environ.get("SOURCE_DATE_EPOCH", "").strip():
        os.environ["SOURCE_DATE_EPOCH"] = str(max(int(now.timestamp()), 0))
    result = build_pack(BuildOptions(
        review.workbook, review.evidence, folder, "pre-read",
        progress=lambda step: log.info("%s: %s", review.name, step),
        allow_incomplete=review.allow_incomplete, holidays=calendar), folder)
    return (str(result.folder.relative_to(folder)),
            [str(p.relative_to(folder)) for p in result.files], result.pending)


def send(delivery: Delivery, review: ReviewSchedule, pre_read: Path | None, version: int) -> list[str]:
    try:
        return deliver(delivery, review, pre_read, version)
    except UserError:
        raise
    except Exception as exc:  # SMTP, network, auth: reported and retried, the pack is kept
        raise UserError(delivery_problem(delivery, exc)) from exc


def delivery_problem(delivery: Delivery, exc: Exception) -> str:
    """What went wrong sending mail, in words an operator can act on (server named)."""
    server = f"{delivery.smtp_host}:{delivery.smtp_port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (f"the mail server {server} refused the login of '{delivery.username}': check the "
                f"user name and the password in ${delivery.password_env}")
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (f"the mail server {server} does not offer what the schedule asks for ({exc}): "
                "check starttls and username for this server")
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"the mail server {server} refused the recipients {', '.join(exc.recipients)}"
    if isinstance(exc, smtplib.SMTPException):
        return f"the mail server {server} refused the message ({exc})"
    if isinstance(exc, ssl.SSLError):
        return f"the secure connection to {server} failed ({exc.reason or exc}): check starttls and the port"
    if isinstance(exc, OSError):
        why = exc.strerror or str(exc) or type(exc).__name__
        return (f"could not reach the mail server {server} ({why.lower()}): check smtp_host and "
                "smtp_port in the schedule file, and that the server is running")
    return f"sending to {server} failed ({type(exc).__name__}: {exc})"


Facts = tuple[dt.datetime, HolidayCalendar, dt.date]


def _facts(review: ReviewSchedule) -> tuple[Facts, None] | tuple[None, ChildResult]:
    """The due moment, the holiday calendar and the meeting date, read in a child; or why
    they cannot be known."""
    result = run_isolated(meeting_and_lead, review, time_limit=READ_LIMIT)
    if not result.ok:
        return None, result
    meeting, lead, workbook_calendar = result.value
    calendar = calendar_for(review, workbook_calendar)  # the schedule file's override, if any:
    try:  # the documents count the due date in the calendar the scheduler uses
        return (due_moment(meeting, lead, review, calendar), calendar, meeting), None
    except UserError as exc:
        return None, ChildResult("user", message=str(exc))


# ------------------------------------------------------------------ what --list shows


def describe(review: ReviewSchedule, now: dt.datetime) -> Outcome:
    """What --list shows: the due moment and where this review stands."""
    facts, problem = _facts(review)
    if facts is None:
        return Outcome(review.name, "failed", detail=problem.message if problem else "")
    due, _, meeting = facts
    record = load_state(state_path(review.output), repair=False)["reviews"].get(review.name, {})
    versions = record.get("versions", [])
    if versions and meeting_held(review, meeting, now):
        return Outcome(review.name, "meeting-held", due, versions[-1]["version"],
                       held_detail(meeting, versions))
    if versions:
        last = versions[-1]
        changed = "workbook changed: the next run issues a new version"
        state = "generated" if last["workbook_sha256"] == _sha(review.workbook) else changed
        return Outcome(review.name, state, due, last["version"], f"at {last['generated_at']}")
    return Outcome(review.name, "due" if now >= due else "waiting", due)


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ one review


def run_review(review: ReviewSchedule, now: dt.datetime, state: dict[str, Any]) -> Outcome:
    record = state["reviews"].setdefault(review.name, {"versions": []})
    versions: list[dict[str, Any]] = record["versions"]
    base = review.output / review.name
    facts, problem = _facts(review)
    if facts is None:
        assert problem is not None
        if problem.kind != "user":  # the reader aborted, hung or hit a bug: that is reported
            _failure(base, len(versions) + 1, problem)
        log.error("%s: %s (will retry)", review.name, problem.message)
        return Outcome(review.name, "failed", detail=problem.message)
    due, calendar, meeting = facts
    if now < due:
        return Outcome(review.name, "waiting", due)
    if versions and meeting_held(review, meeting, now):  # the pre-read's work is done (the
        return _after_meeting(review, meeting, due, versions)  # first one is made late, as build does)
    sha = _sha(review.workbook)
    if versions and versions[-1]["workbook_sha256"] == sha:
        last = versions[-1]
        if last.get("delivery") == "pending" and review.delivery is not None:
            return _deliver(review, last, state)
        return Outcome(review.name, "up-to-date", due, last["version"])
    waiting = _retry_after(record, sha)
    if waiting is not None and now < waiting:
        detail = f"failed before with this workbook; next try after {waiting.isoformat(timespec='seconds')}"
        return Outcome(review.name, "failed", due, detail=detail)
    late = now - due > LATE_AFTER
    with Publication.numbered(base, at_least=len(versions) + 1) as pub:
        number = pub.version
        log.info("%s: generating pre-read v%d (due %s%s)", review.name, number, due.isoformat(),
                 "; LATE: catching up a missed run" if late else "")
        result = run_isolated(build_into, review, pub.staging, calendar, now,
                              time_limit=review.time_limit)
        if not result.ok:
            _failure(base, number, result)
            record["failure"] = _next_failure(record, now, sha)
            save_state(state_path(review.output), state)
            log.error("%s: v%d not generated: %s (will retry)", review.name, number, result.message)
            if result.detail:
                log.error("%s: %s", review.name, result.detail.rstrip())
            return Outcome(review.name, "failed", due, number, result.message)
        pack, files, *rest = result.value
        pending: PendingIssue | None = rest[0] if rest else None
        note = _change_note(number, versions, sha)
        if note:
            atomic_write_bytes(pub.staging / pack / "CHANGES.txt", (note + "\n").encode())
        entry = {"version": number, "generated_at": now.isoformat(), "due": due.isoformat(),
                 "workbook_sha256": sha, "folder": str(pub.target / pack), "late": late,
                 "change_note": note, "files": [Path(f).name for f in files if f.endswith(".pdf")],
                 "delivery": "pending" if review.delivery is not None else "not configured"}
        atomic_write_bytes(pub.staging / VERSION_FILE, json.dumps(entry, indent=2).encode())
        with deferred():  # published and recorded together, or neither
            published = pub.commit()
            if pending is not None:  # the issue register, now that the pack exists
                pending.record(sorted(f for f in (published / pack).rglob("*") if f.is_file()))
            versions.append(entry)
            record.pop("failure", None)
            save_state(state_path(review.output), state)
    (base / f"v{number}.failed.txt").unlink(missing_ok=True)
    log.info("%s: pre-read v%d written to %s", review.name, number, entry["folder"])
    detail = note
    if review.delivery is not None:
        sent = _deliver(review, entry, state)
        detail = "; ".join(x for x in (note, sent.detail) if x)
        return Outcome(review.name, "generated", due, number, detail, sent.delivery_failed)
    return Outcome(review.name, "generated", due, number, detail)


def meeting_held(review: ReviewSchedule, meeting: dt.date, now: dt.datetime) -> bool:
    """Whether the meeting day is over where the meeting is held: after it a pre-read is no
    longer made (the same rule as build's: rebuilding after the meeting needs --reissue)."""
    return meeting_over(meeting, now.astimezone(ZoneInfo(review.timezone)).date())


def _after_meeting(review: ReviewSchedule, meeting: dt.date, due: dt.datetime,
                   versions: list[dict[str, Any]]) -> Outcome:
    """After the meeting, with a pre-read circulated: nothing to do, said once per run (not a
    failure, not retried)."""
    detail = held_detail(meeting, versions)
    log.info("%s: %s", review.name, detail)
    return Outcome(review.name, "meeting-held", due, versions[-1]["version"], detail)


def held_detail(meeting: dt.date, versions: list[dict[str, Any]]) -> str:
    return (f"the meeting of {meeting:%d %B %Y} has taken place: no new pre-read (v"
            f"{versions[-1]['version']} was the last); the final minutes are built with "
            "isms-review build --stage final")


def _change_note(number: int, versions: list[dict[str, Any]], sha: str) -> str:
    if not versions:
        return ""
    previous = versions[-1]
    before = previous["workbook_sha256"]
    what = (f"SHA-256 {before[:16]}… → {sha[:16]}…" if before
            else f"its workbook is not recorded; now SHA-256 {sha[:16]}…")
    return f"Version {number} replaces version {previous['version']}: the workbook changed ({what})."


def _retry_after(record: dict[str, Any], sha: str) -> dt.datetime | None:
    """When a review that failed with this very workbook may be tried again (doubling waits,
    1 minute to 1 hour); None when it never failed with it (a changed workbook runs at once)."""
    failure = record.get("failure")
    if not failure or failure["workbook_sha256"] != sha:
        return None
    wait = min(RETRY_FIRST * 2 ** (failure["count"] - 1), RETRY_MOST)
    return dt.datetime.fromisoformat(failure["at"]) + dt.timedelta(seconds=wait)


def _next_failure(record: dict[str, Any], now: dt.datetime, sha: str) -> dict[str, Any]:
    failure = record.get("failure") or {}
    count = failure.get("count", 0) + 1 if failure.get("workbook_sha256") == sha else 1
    return {"count": count, "at": now.isoformat(), "workbook_sha256": sha}


def _failure(base: Path, number: int, result: ChildResult) -> None:
    text = f"The pre-read pack was not generated.\n\n{result.message}\n"
    if result.report_json:
        text += f"\nValidation report (JSON):\n{result.report_json}\n"
    if result.detail:
        text += f"\nWhat the program said (for a bug report):\n{result.detail}"
    atomic_write_bytes(base / f"v{number}.failed.txt", text.encode())


def _deliver(review: ReviewSchedule, entry: dict[str, Any], state: dict[str, Any]) -> Outcome:
    assert review.delivery is not None
    folder = Path(entry["folder"])
    pre_read = next(folder.glob("*-pre-read.pdf"), None)
    result = run_isolated(send, review.delivery, review, pre_read, entry["version"],
                          time_limit=SEND_LIMIT)
    if not result.ok:
        log.error("%s: delivery of v%d failed: %s (will retry)", review.name, entry["version"],
                  result.message)
        return Outcome(review.name, "generated", version=entry["version"],
                       detail=f"delivery failed: {result.message}", delivery_failed=True)
    recipients: list[str] = result.value
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
        try:
            state = states.setdefault(path, load_state(path))
            outcomes.append(run_review(review, now, state))
        except UserError as exc:  # the output folder itself: this review waits, the others go on
            log.error("%s: %s (will retry)", review.name, exc)
            outcomes.append(Outcome(review.name, "failed", detail=str(exc)))
        except Exception as exc:  # a bug must not stop the other reviews or the loop
            log.exception("%s: unexpected failure: %s", review.name, exc)
            outcomes.append(Outcome(review.name, "failed", detail=f"unexpected: {exc}"))
    return outcomes
