"""The cost of each option in an ``Options`` cell ("Fund the SIEM: 12,000; Do nothing: 0"), read
the one way the validator and the pre-read share: an amount in the review's currency, or no
cost at all. Anything else is not guessed at: "14.500" (14.5 or 14,500?), "1,5", "40 hrs",
"12000 USD" in a EUR review are costs not stated, and the validator says why at the cell."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..formatting import CURRENCY_SYMBOLS

_SPLIT = re.compile(r"[;\n]+")
_LABEL = re.compile(r"^(?P<label>.*?)\s*[:=]\s*(?P<cost>[^:=]*\d[^:=]*)$")
_AMOUNT = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?|\d{1,3}(?:[ \u00a0\u202f]\d{3})+|\d+(?:\.\d{1,2})?")
_DOTTED_THOUSANDS = re.compile(r"^\d{1,3}(?:\.\d{3})+$")
_DECIMAL_COMMA = re.compile(r"^\d+,\d{1,2}$")
_SYMBOLS = {symbol: code for code, symbol in CURRENCY_SYMBOLS.items()}
# the ISO 4217 codes a cost is written with (a three-letter word that is not one, such as "hrs"
# or "FTE", is a unit: not money)
ISO_CODES = frozenset({*CURRENCY_SYMBOLS, "CHF", "SEK", "NOK", "DKK", "ISK", "PLN", "CZK", "HUF",
                       "RON", "BGN", "TRY", "ZAR", "BRL", "MXN", "ARS", "CLP", "COP", "PEN", "CNY",
                       "KRW", "TWD", "THB", "MYR", "IDR", "PHP", "VND", "AED", "SAR", "QAR", "ILS",
                       "EGP", "NGN", "KES", "PKR", "BDT", "LKR", "UAH", "KZT"})


@dataclass(frozen=True)
class OptionCost:
    label: str
    cost: float | None  # None: no cost stated, or one that cannot be read (``problem`` says why)
    problem: str = ""


def _currency_of(mark: str) -> str | None:
    """The ISO code a prefix or suffix names ("£" → GBP, "eur" → EUR), "" for none, None when
    it is no currency at all (a unit such as "hrs")."""
    mark = mark.strip()
    if not mark:
        return ""
    if mark in _SYMBOLS:
        return _SYMBOLS[mark]
    return mark.upper() if mark.upper() in ISO_CODES else None


def read_option(item: str, currency: str = "") -> OptionCost:
    """One option: "label: amount" with the amount in ``currency`` (its code or symbol before
    or after it, or none), thousands with commas or spaces, a "k" for thousands."""
    match = _LABEL.match(item)
    if match is None:
        return OptionCost(item, None)
    label, text = match["label"].strip() or item, match["cost"].strip()
    found = re.fullmatch(r"(?P<pre>[^\d\s]{0,3})\s*(?P<amount>[\d][\d,. \u00a0\u202f]*?)\s*"
                         r"(?P<k>[kK])?\s*(?P<post>[A-Za-z]{3}|[^\d\sA-Za-z]{1,3})?", text)
    if found is None:
        return OptionCost(label, None, f"'{text}' is not an amount of money: write the cost as a "
                                        f"number{' in ' + currency if currency else ''}, e.g. {label}: 12000")
    named = [_currency_of(found["pre"] or ""), _currency_of(found["post"] or "")]
    if None in named:
        return OptionCost(label, None, f"'{text}' is not an amount of money (hours, people or "
                                        "years are not a cost): give the cost"
                                        f"{' in ' + currency if currency else ''}, e.g. {label}: 12000")
    marks = {m for m in named if m}
    amount = found["amount"].strip()
    if _DOTTED_THOUSANDS.match(amount) or _DECIMAL_COMMA.match(amount) or (
            "." in amount and "," in amount and amount.rfind(",") > amount.rfind(".")):
        return OptionCost(label, None, f"'{text}' could be read two ways (a dot or comma for "
                                        "thousands, or for decimals): type the amount as digits, "
                                        "with a full stop only for decimals (e.g. 14500 or 14500.50)")
    if not _AMOUNT.fullmatch(amount):
        return OptionCost(label, None, f"'{text}' is not an amount of money: type it as a number, "
                                        "e.g. 14500")
    if len(marks) > 1 or (currency and marks and marks != {currency.upper()}):
        return OptionCost(label, None, f"'{text}' is in {', '.join(sorted(marks))}, not the "
                                        f"review's currency {currency}: convert it to {currency}")
    value = float(re.sub(r"[^\d.]", "", amount)) * (1000 if found["k"] else 1)
    return OptionCost(label, value)


def read_options(text: object, currency: str = "") -> list[OptionCost]:
    """Every option of an ``Options`` cell, in order."""
    return [read_option(part.strip(), currency) for part in _SPLIT.split(str(text or "")) if part.strip()]
