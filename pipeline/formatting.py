"""The one formatter: numbers, percentages, money, dates and periods as every renderer prints
them (Word documents, the terminal, the bundle's pages, charts and messages).

The same value prints the same way everywhere: a metric target of 95 with unit "%" is "95%"
in the pre-read, the minutes, the terminal, a chart label and a validator message alike.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

NOT_AVAILABLE = "n/a"
# ISO 4217 codes with a symbol printed before the amount; others print as "12,000 CHF".
CURRENCY_SYMBOLS = {"GBP": "£", "EUR": "€", "USD": "$", "JPY": "¥", "INR": "₹", "AUD": "A$",
                    "CAD": "C$", "NZD": "NZ$", "HKD": "HK$", "SGD": "S$"}
COUNT_UNITS = ("", "count")


def number(value: float | int | None, unit: str = "") -> str:
    """1234.5 → "1,234.5"; 95.0 with unit "%" → "95%"; 4.2 with unit "hours" → "4.2 hours"."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return NOT_AVAILABLE
    amount = float(value)
    text = f"{amount:,.0f}" if amount.is_integer() else f"{amount:,.2f}".rstrip("0").rstrip(".")
    if text == "-0":
        text = "0"
    unit = unit.strip()
    if unit in COUNT_UNITS:
        return text
    if unit == "%":
        return f"{text}%"
    return f"{text} {unit}"


def percent(ratio: float | None) -> str:
    """A share (0.56) as a whole percentage: "56%" — with one decimal where a whole number
    would say 0% or 100% of a share that is neither ("0.5%", "99.6%", "<0.1%")."""
    if ratio is None or not math.isfinite(ratio):
        return NOT_AVAILABLE
    whole = f"{ratio:.0%}"
    if ratio in (0, 1) or whole.lstrip("-") not in ("0%", "100%"):
        return whole
    fine = f"{ratio:.1%}"
    if fine.lstrip("-") == "0.0%":
        return "<0.1%" if ratio > 0 else ">-0.1%"
    return "99.9%" if fine == "100.0%" else fine


def percentage_cell(value: float | None) -> str:
    """A cell of a percentage column as typed in Excel (0.4 stored for 40%)."""
    return percent(value)


def money(value: float | int | None, currency: str = "") -> str:
    """12000 in GBP → "£12,000"; in CHF → "12,000 CHF"; no currency → "12,000"."""
    if value is None:
        return NOT_AVAILABLE
    amount = number(value)
    code = currency.strip().upper()
    symbol = CURRENCY_SYMBOLS.get(code)
    if symbol:
        return f"-{symbol}{amount[1:]}" if amount.startswith("-") else f"{symbol}{amount}"
    return f"{amount} {code}".strip()


def long_date(day: dt.date | None) -> str:
    """For prose: "3 December 2026"."""
    return f"{day.day} {day:%B %Y}" if day else ""


def short_date(day: dt.date | None) -> str:
    """For tables: "3 Dec 2026"."""
    return f"{day.day} {day:%b %Y}" if day else ""


def weekday_date(day: dt.date | None) -> str:
    """For the meeting: "Friday 11 December 2026"."""
    return f"{day:%A} {long_date(day)}" if day else ""


def clock(moment: dt.time | None) -> str:
    return moment.strftime("%H:%M") if moment else ""


def period_range(start: dt.date, end: dt.date) -> str:
    return f"{long_date(start)} to {long_date(end)}"


def days(count: int | float | None) -> str:
    if count is None:
        return NOT_AVAILABLE
    text = number(count)
    return f"{text} day" if text == "1" else f"{text} days"


def value(item: Any, kind: str = "", unit: str = "") -> str:
    """Any typed cell value as text: dates short, percentages as %, Yes/No, lists joined."""
    if item is None:
        return ""
    if isinstance(item, bool):
        return "Yes" if item else "No"
    if kind == "percentage" and isinstance(item, int | float):
        return percentage_cell(float(item))
    if isinstance(item, dt.datetime):
        return f"{short_date(item.date())} {item:%H:%M}"
    if isinstance(item, dt.date):
        return short_date(item)
    if isinstance(item, dt.time):
        return clock(item)
    if isinstance(item, tuple | list):
        return ", ".join(value(v) for v in item)
    if isinstance(item, int | float):
        return number(item, unit)
    label = getattr(item, "label", None)  # a Period
    if isinstance(label, str):
        return label
    return str(item)
