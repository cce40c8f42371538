"""The schedule file (TOML): one [[review]] per review. Every problem is reported at once, each
with its key and review name, before anything runs."""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import UserError

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_TIME = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
KNOWN = {"name", "workbook", "evidence", "output", "meeting", "timezone", "lead_business_days",
         "holidays_country", "holidays_subdivision", "extra_holidays", "generate_at", "delivery",
         "allow_incomplete", "time_limit_minutes"}
TIME_LIMIT_MINUTES = 30  # one review's build; a build that overruns is stopped and retried
DELIVERY_KEYS = {"smtp_host", "smtp_port", "starttls", "username", "password_env", "sender",
                 "recipients", "max_attachment_mb"}


class ScheduleFileError(UserError):
    """The schedule file is missing, not TOML, or has problems (all listed)."""


@dataclass(frozen=True)
class Delivery:
    smtp_host: str
    smtp_port: int = 587
    starttls: bool = True
    username: str = ""
    password_env: str = ""
    sender: str = ""
    recipients: tuple[str, ...] = ()  # empty: the attendees' emails from the workbook
    max_attachment_mb: float = 10.0


@dataclass(frozen=True)
class ReviewSchedule:
    name: str
    workbook: Path
    evidence: Path
    output: Path
    timezone: str
    meeting: dt.datetime | None = None  # naive local time; else the workbook's
    lead_business_days: int | None = None
    holidays_country: str = ""
    holidays_subdivision: str = ""
    extra_holidays: tuple[dt.date, ...] = ()
    generate_at: dt.time = dt.time(7, 0)
    allow_incomplete: bool = False
    delivery: Delivery | None = None
    time_limit: float = TIME_LIMIT_MINUTES * 60.0  # seconds


@dataclass
class _Problems:
    lines: list[str] = field(default_factory=list)

    def add(self, where: str, key: str, message: str) -> None:
        self.lines.append(f"{where}: '{key}' {message}")


def load_schedule(path: Path) -> list[ReviewSchedule]:
    try:
        raw = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise ScheduleFileError(f"{path}: no such schedule file.") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScheduleFileError(f"{path}: not valid TOML ({exc}).") from None
    base = path.parent
    problems = _Problems()
    reviews = raw.get("review")
    if not isinstance(reviews, list) or not reviews:
        raise ScheduleFileError(f"{path}: no [[review]] tables; add one per review.")
    result = []
    names: set[str] = set()
    for i, entry in enumerate(reviews, start=1):
        where = f"[[review]] #{i} ({entry.get('name', 'unnamed')})"
        parsed = _review(entry, base, where, problems)
        if parsed is not None:
            if parsed.name in names:
                problems.add(where, "name", f"repeats '{parsed.name}'; names must be unique.")
            names.add(parsed.name)
            result.append(parsed)
    if problems.lines:
        raise ScheduleFileError(f"{path}: {len(problems.lines)} problem(s):\n"
                                + "\n".join(f"  - {line}" for line in problems.lines))
    return result


def _review(entry: dict[str, Any], base: Path, where: str, problems: _Problems) -> ReviewSchedule | None:
    for key in sorted(set(entry) - KNOWN):
        problems.add(where, key, "is not a known key (check the spelling).")
    start = len(problems.lines)
    name = entry.get("name")
    if not isinstance(name, str) or not _NAME.match(name):
        problems.add(where, "name", "must be a short name of letters, digits, '.', '_' or '-'.")
    paths: dict[str, Path] = {}
    for key in ("workbook", "evidence", "output"):
        value = entry.get(key)
        if not isinstance(value, str) or not value:
            problems.add(where, key, "is required (a path, relative to the schedule file).")
            continue
        paths[key] = (base / value).resolve() if not Path(value).is_absolute() else Path(value)
    if "workbook" in paths and not paths["workbook"].is_file():
        problems.add(where, "workbook", f"{paths['workbook']} does not exist.")
    if "evidence" in paths and not paths["evidence"].is_dir():
        problems.add(where, "evidence", f"{paths['evidence']} is not a folder.")
    timezone = entry.get("timezone")
    if not isinstance(timezone, str):
        problems.add(where, "timezone", "is required, e.g. \"Europe/London\".")
    else:
        try:
            zoneinfo.ZoneInfo(timezone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.add(where, "timezone", f"'{timezone}' is not a time zone name.")
    meeting = entry.get("meeting")
    if meeting is not None:
        try:
            meeting = dt.datetime.fromisoformat(str(meeting))
            if meeting.tzinfo is not None:
                problems.add(where, "meeting",
                             "must be local time without an offset; the zone is 'timezone'.")
        except ValueError:
            problems.add(where, "meeting", "must be YYYY-MM-DDTHH:MM (local time).")
    lead = entry.get("lead_business_days")
    if lead is not None and (not isinstance(lead, int) or isinstance(lead, bool) or not 0 <= lead <= 30):
        problems.add(where, "lead_business_days", "must be a whole number from 0 to 30.")
    country = entry.get("holidays_country", "")
    subdivision = entry.get("holidays_subdivision", "")
    if country:
        import holidays

        try:
            holidays.country_holidays(country, subdiv=subdivision or None, years=[2026])
        except (NotImplementedError, KeyError, ValueError) as exc:
            problems.add(where, "holidays_country", f"'{country}'/'{subdivision}' is not known ({exc}).")
    extra: list[dt.date] = []
    for value in entry.get("extra_holidays", []):
        try:
            extra.append(value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)))
        except ValueError:
            problems.add(where, "extra_holidays", f"'{value}' is not a date (YYYY-MM-DD).")
    at = str(entry.get("generate_at", "07:00"))
    match = _TIME.match(at)
    if not match:
        problems.add(where, "generate_at", f"'{at}' must be HH:MM on the 24-hour clock.")
    delivery = _delivery(entry.get("delivery"), where, problems)
    limit = entry.get("time_limit_minutes", TIME_LIMIT_MINUTES)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 1 <= limit <= 1440:
        problems.add(where, "time_limit_minutes", "must be a whole number of minutes from 1 to 1440.")
        limit = TIME_LIMIT_MINUTES
    if len(problems.lines) > start:
        return None
    return ReviewSchedule(
        name=str(name), workbook=paths["workbook"], evidence=paths["evidence"], output=paths["output"],
        timezone=str(timezone), meeting=meeting, lead_business_days=lead, holidays_country=country,
        holidays_subdivision=subdivision, extra_holidays=tuple(extra),
        generate_at=dt.time(int(match.group(1)), int(match.group(2))) if match else dt.time(7, 0),
        allow_incomplete=bool(entry.get("allow_incomplete", False)), delivery=delivery,
        time_limit=limit * 60.0)


def _delivery(raw: Any, where: str, problems: _Problems) -> Delivery | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        problems.add(where, "delivery", "must be a table [review.delivery].")
        return None
    for key in sorted(set(raw) - DELIVERY_KEYS):
        problems.add(where, f"delivery.{key}", "is not a known key.")
    if not isinstance(raw.get("smtp_host"), str):
        problems.add(where, "delivery.smtp_host", "is required.")
        return None
    port = raw.get("smtp_port", 587)
    if not isinstance(port, int) or not 0 < port < 65536:
        problems.add(where, "delivery.smtp_port", "must be a port number.")
        port = 587
    recipients = raw.get("recipients", [])
    if not isinstance(recipients, list) or not all(isinstance(r, str) and "@" in r for r in recipients):
        problems.add(where, "delivery.recipients", "must be a list of email addresses.")
        recipients = []
    return Delivery(smtp_host=raw["smtp_host"], smtp_port=port, starttls=bool(raw.get("starttls", True)),
                    username=str(raw.get("username", "")), password_env=str(raw.get("password_env", "")),
                    sender=str(raw.get("sender", "")), recipients=tuple(recipients),
                    max_attachment_mb=float(raw.get("max_attachment_mb", 10)))
