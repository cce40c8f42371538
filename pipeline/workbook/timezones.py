"""Time zones as people type them: IANA names in any case, the abbreviations on invitations
(BST, CET, EST…) and offsets (GMT+1, UTC-05:00), each read as a real zone with that offset.

A suggestion is never a zone with another offset: "GMT+1" is not "GMT+0", "BST" is not "MST".
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from functools import cache

Problem = tuple[str, str]

# abbreviation → (zone, offset in minutes the abbreviation means, what it stands for)
ABBREVIATIONS: dict[str, tuple[str, int, str]] = {
    "BST": ("Europe/London", 60, "British Summer Time"),
    "WET": ("Europe/Lisbon", 0, "Western European Time"),
    "WEST": ("Europe/Lisbon", 60, "Western European Summer Time"),
    "CET": ("Europe/Paris", 60, "Central European Time"),
    "CEST": ("Europe/Paris", 120, "Central European Summer Time"),
    "MEZ": ("Europe/Berlin", 60, "Mitteleuropäische Zeit"),
    "MESZ": ("Europe/Berlin", 120, "Mitteleuropäische Sommerzeit"),
    "EET": ("Europe/Athens", 120, "Eastern European Time"),
    "EEST": ("Europe/Athens", 180, "Eastern European Summer Time"),
    "MSK": ("Europe/Moscow", 180, "Moscow Time"),
    "EST": ("America/New_York", -300, "US Eastern Standard Time"),
    "EDT": ("America/New_York", -240, "US Eastern Daylight Time"),
    "CDT": ("America/Chicago", -300, "US Central Daylight Time"),
    "MST": ("America/Denver", -420, "US Mountain Standard Time"),
    "MDT": ("America/Denver", -360, "US Mountain Daylight Time"),
    "PST": ("America/Los_Angeles", -480, "US Pacific Standard Time"),
    "PDT": ("America/Los_Angeles", -420, "US Pacific Daylight Time"),
    "AKST": ("America/Anchorage", -540, "Alaska Standard Time"),
    "HST": ("Pacific/Honolulu", -600, "Hawaii Standard Time"),
    "BRT": ("America/Sao_Paulo", -180, "Brasília Time"),
    "ART": ("America/Argentina/Buenos_Aires", -180, "Argentina Time"),
    "SAST": ("Africa/Johannesburg", 120, "South Africa Standard Time"),
    "CAT": ("Africa/Maputo", 120, "Central Africa Time"),
    "EAT": ("Africa/Nairobi", 180, "East Africa Time"),
    "WAT": ("Africa/Lagos", 60, "West Africa Time"),
    "GST": ("Asia/Dubai", 240, "Gulf Standard Time"),
    "PKT": ("Asia/Karachi", 300, "Pakistan Standard Time"),
    "ICT": ("Asia/Bangkok", 420, "Indochina Time"),
    "WIB": ("Asia/Jakarta", 420, "Western Indonesia Time"),
    "SGT": ("Asia/Singapore", 480, "Singapore Time"),
    "HKT": ("Asia/Hong_Kong", 480, "Hong Kong Time"),
    "PHT": ("Asia/Manila", 480, "Philippine Time"),
    "AWST": ("Australia/Perth", 480, "Australian Western Standard Time"),
    "JST": ("Asia/Tokyo", 540, "Japan Standard Time"),
    "KST": ("Asia/Seoul", 540, "Korea Standard Time"),
    "ACST": ("Australia/Adelaide", 570, "Australian Central Standard Time"),
    "AEST": ("Australia/Sydney", 600, "Australian Eastern Standard Time"),
    "AEDT": ("Australia/Sydney", 660, "Australian Eastern Daylight Time"),
    "NZST": ("Pacific/Auckland", 720, "New Zealand Standard Time"),
    "NZDT": ("Pacific/Auckland", 780, "New Zealand Daylight Time"),
}
# abbreviations that mean different offsets in different places: the user must choose
AMBIGUOUS: dict[str, tuple[tuple[str, int, str], ...]] = {
    "IST": (("Asia/Kolkata", 330, "India"), ("Europe/Dublin", 60, "Ireland, in summer"),
            ("Asia/Jerusalem", 120, "Israel")),
    "CST": (("America/Chicago", -360, "US Central"), ("Asia/Shanghai", 480, "China"),
            ("America/Havana", -300, "Cuba")),
    "AST": (("America/Halifax", -240, "Atlantic"), ("Asia/Riyadh", 180, "Arabia")),
}
_UTC_NAMES = frozenset({"utc", "gmt", "z", "zulu", "utc+0", "utc-0", "gmt+0", "gmt-0", "utc0"})
_OFFSET = re.compile(r"^(?:utc|gmt|z)?\s*([+\-−–])\s*(\d{1,2})(?:[:.h]?(\d{2}))?\s*(?:h|hrs?|hours?)?$",
                     re.I)
_ABBREVIATION_LIKE = re.compile(r"^[A-Z]{2,5}$")
_NOT_USABLE = frozenset({"Factory", "localtime"})
_REFERENCE_DAYS = (dt.datetime(2026, 1, 15, 12), dt.datetime(2026, 7, 15, 12))


@cache
def iana_zones() -> dict[str, str]:
    """Lower-cased name (spaces for underscores too) → canonical IANA name."""
    lookup: dict[str, str] = {}
    for name in sorted(zoneinfo.available_timezones() - _NOT_USABLE):
        lookup[name.casefold()] = name
        lookup.setdefault(name.replace("_", " ").casefold(), name)
    return lookup


def offsets_of(zone: str) -> set[int]:
    """The UTC offsets (minutes) ``zone`` uses in winter and in summer."""
    tz = zoneinfo.ZoneInfo(zone)
    found = set()
    for day in _REFERENCE_DAYS:
        delta = day.replace(tzinfo=tz).utcoffset()
        if delta is not None:
            found.add(int(delta.total_seconds() // 60))
    return found


def _hhmm(minutes: int) -> str:
    sign = "+" if minutes >= 0 else "−"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def offset_zone(minutes: int) -> str | None:
    """A zone that is always ``minutes`` from UTC: Etc/GMT∓N for whole hours (POSIX signs are
    reversed: Etc/GMT-1 is UTC+01:00), else a place without daylight saving at that offset."""
    if minutes == 0:
        return "UTC"
    if minutes % 60 == 0 and -12 <= minutes // 60 <= 14:
        hours = minutes // 60
        return f"Etc/GMT{'-' if hours > 0 else '+'}{abs(hours)}"
    known = [z for z in _CITY_EXAMPLES if offsets_of(z) == {minutes}]
    fixed = known or sorted(z for z in set(iana_zones().values()) if "/" in z
                            and not z.startswith("Etc/") and offsets_of(z) == {minutes})
    return fixed[0] if fixed else None


def read_timezone(text: str) -> tuple[str | None, Problem | None]:
    """The IANA zone ``text`` names, and the problem when it is not exactly that name."""
    cleaned = " ".join(text.split())
    folded = cleaned.casefold()
    if folded in _UTC_NAMES:
        return ("UTC" if folded.startswith("u") or folded in ("z", "zulu") else "GMT"), None
    upper = cleaned.upper()
    if upper in ABBREVIATIONS:
        named, minutes, meaning = ABBREVIATIONS[upper]
        return named, ("timezone-mapped", f"was read as {named} ({meaning} is "
                       f"{_hhmm(minutes)}; {named} {_seasons(named)}). Type {named} to confirm, "
                       "or the zone of the meeting's city.")
    if upper in AMBIGUOUS:
        options = "; ".join(f"{z} ({where}, {_hhmm(m)})" for z, m, where in AMBIGUOUS[upper])
        return None, ("wrong-type", f"means different time zones in different countries; type "
                      f"one of: {options}.")
    zone = iana_zones().get(folded)
    if zone is not None:
        return zone, None
    if m := _OFFSET.match(cleaned):
        sign = -1 if m.group(1) in "-−–" else 1
        minutes = sign * (int(m.group(2)) * 60 + int(m.group(3) or 0))
        mapped = offset_zone(minutes) if abs(minutes) <= 14 * 60 else None
        if mapped is None:
            return None, ("wrong-type", f"is {_hhmm(minutes)}, which no time zone uses; type the "
                          "meeting's zone, e.g. Europe/London.")
        if not mapped.startswith("Etc/"):
            return mapped, ("timezone-mapped", f"was read as {mapped}, a zone that is "
                            f"{_hhmm(minutes)} all year. Type {mapped} to confirm, or the zone "
                            "of the meeting's city.")
        example = _city_with(minutes) if minutes else "Europe/London"
        hint = f", e.g. {example}" if example else ""
        return mapped, ("timezone-mapped", f"was read as {mapped}, always {_hhmm(minutes)} with "
                        "no daylight saving (Etc/ names reverse the sign on purpose). If the "
                        f"meeting's city changes its clocks, type its zone instead{hint}.")
    close = _suggestion(cleaned)
    if close:
        return None, ("wrong-type", f"is not a time zone name; did you mean {close}?")
    return None, ("wrong-type", "is not a time zone name; use a name like Europe/London (the "
                  "Review sheet's list has the common ones).")


def _seasons(zone: str) -> str:
    offsets = sorted(offsets_of(zone))
    if len(offsets) == 1:
        return f"is {_hhmm(offsets[0])} all year"
    return f"is {_hhmm(offsets[0])} in winter and {_hhmm(offsets[1])} in summer"


_CITY_EXAMPLES = ("Europe/London", "Europe/Paris", "Europe/Athens", "Europe/Moscow", "Asia/Dubai",
                  "Asia/Karachi", "Asia/Kolkata", "Asia/Dhaka", "Asia/Bangkok", "Asia/Singapore",
                  "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland", "America/Sao_Paulo",
                  "America/Halifax", "America/New_York", "America/Chicago", "America/Denver",
                  "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu",
                  "Africa/Lagos", "Africa/Nairobi", "Asia/Kathmandu", "Asia/Tehran",
                  "Asia/Kabul", "Asia/Yangon", "Australia/Darwin", "America/St_Johns",
                  "Asia/Colombo")


def _city_with(minutes: int) -> str | None:
    """A well-known city zone whose standard (else summer) offset is ``minutes``."""
    standard = [z for z in _CITY_EXAMPLES if min(offsets_of(z)) == minutes]
    return next(iter(standard), None) or next(
        (z for z in _CITY_EXAMPLES if minutes in offsets_of(z)), None)


def _suggestion(text: str) -> str:  # the zone name, or ""
    """A close zone name by spelling, only for names (never for abbreviations or offsets,
    where a near spelling is a different offset)."""
    if _ABBREVIATION_LIKE.match(text) or any(ch.isdigit() for ch in text):
        return ""
    lookup = iana_zones()
    regional = {k: v for k, v in lookup.items() if "/" in v and not v.startswith("Etc/")}
    cities = {k.rsplit("/", 1)[-1]: v for k, v in regional.items()}
    key = text.casefold().replace("_", " ")
    close = difflib.get_close_matches(key, list(regional), n=1, cutoff=0.75) or [
        c for c in difflib.get_close_matches(key, list(cities), n=1, cutoff=0.75)]
    if not close:
        return ""
    return regional.get(close[0]) or cities[close[0]]
