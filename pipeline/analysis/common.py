"""Small helpers shared by the per-input analyses."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from ..workbook.model import Record, Table


@dataclass(frozen=True)
class Scope:
    """What every figure is relative to: the review period and the data cut-off."""

    period_start: dt.date
    period_end: dt.date
    cutoff: dt.date

    def in_period(self, day: object) -> bool:
        return isinstance(day, dt.date) and self.period_start <= day <= self.period_end


def records(table: Table | None) -> list[Record]:
    return table.records if table is not None else []


def count_by(recs: Iterable[Record], column: str, allowed: Iterable[str] = ()) -> dict[str, int]:
    """Counts per value, every allowed value present (0 when none), then any others."""
    counts = Counter(str(r[column]) for r in recs if r[column] is not None)
    out = {value: counts.pop(value, 0) for value in allowed}
    out.update(sorted(counts.items()))
    return out


def ids(recs: Iterable[Record], column: str) -> list[str]:
    return [str(r[column]) for r in recs]


def share(part: int, whole: int) -> float | None:
    """part ÷ whole, or None when there is nothing to divide by."""
    return part / whole if whole else None


def stale_note(recs: list[Record], column: str, what: str, scope: Scope, days: int) -> list[str]:
    dates = [r[column] for r in recs if isinstance(r[column], dt.date)]
    if not dates:
        return []
    newest = max(dates)
    gap = (scope.cutoff - newest).days
    if gap > days:
        return [f"The newest {what} is dated {newest.isoformat()}, {gap} days before the "
                f"cut-off {scope.cutoff.isoformat()}: confirm nothing newer is missing."]
    return []
