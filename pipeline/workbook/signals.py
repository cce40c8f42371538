"""Row-level facts a reviewer must see, defined once: the validator warns on them and the
analysis stage counts them."""

from __future__ import annotations

import datetime as dt

from .contract import load_contract
from .model import Record, UndeclaredColumn

OPEN_ACTION = frozenset({"Open", "In progress"})
ESCALATE_AFTER = 2  # carried forward this many times or more → escalate
TREATED = frozenset({"Accepted", "In progress"})

# The columns read below, checked once against the contract (these functions run for every
# row of 20,000-row registers, so they read ``rec.values`` without a check per lookup).
_READS = {
    "a Previous actions": ("Due date", "Status", "Carry-forward count"),
    "f Risks": ("Likelihood", "Impact", "Residual likelihood", "Residual impact", "Appetite",
                "Treatment status"),
    "d1 Nonconformities": ("Severity", "Status", "Due date"),
}


def _check_reads() -> None:
    contract = load_contract()
    for sheet, names in _READS.items():
        declared = {c.name for c in contract.sheet(sheet).columns}
        for name in names:
            if name not in declared:
                raise UndeclaredColumn(f"the sheet {sheet!r} declares no column {name!r}")


_check_reads()


def action_overdue_days(rec: Record, cutoff: dt.date) -> int | None:
    """Days an action is overdue at the cut-off, or None when it is not overdue."""
    get = rec.values.get
    due = get("Due date")
    if get("Status") in OPEN_ACTION and isinstance(due, dt.date) and due < cutoff:
        return (cutoff - due).days
    return None


def action_escalate(rec: Record) -> bool:
    """Still open after being carried forward ESCALATE_AFTER times or more."""
    count = rec.values.get("Carry-forward count")
    return (isinstance(count, int) and count >= ESCALATE_AFTER
            and rec.values.get("Status") in OPEN_ACTION)


def _product(rec: Record, likelihood: str, impact: str) -> int | None:
    get = rec.values.get
    a, b = get(likelihood), get(impact)
    return a * b if isinstance(a, int) and isinstance(b, int) else None


def inherent_score(rec: Record) -> int | None:
    return _product(rec, "Likelihood", "Impact")


def residual_score(rec: Record) -> int | None:
    return _product(rec, "Residual likelihood", "Residual impact")


def risk_above_appetite(rec: Record) -> bool:
    score, appetite = residual_score(rec), rec.values.get("Appetite")
    return score is not None and isinstance(appetite, int) and score > appetite


def risk_untreated(rec: Record) -> bool:
    """Above appetite with neither an accepted nor an in-progress treatment."""
    return risk_above_appetite(rec) and rec.values.get("Treatment status") not in TREATED


def major_nc_open(rec: Record) -> bool:
    get = rec.values.get
    return get("Severity") == "Major" and get("Status") not in ("Closed", None)


def nc_overdue_days(rec: Record, cutoff: dt.date) -> int | None:
    """Days an open nonconformity is past its due date at the cut-off, or None."""
    get = rec.values.get
    due = get("Due date")
    if get("Status") not in ("Closed", None) and isinstance(due, dt.date) and due < cutoff:
        return (cutoff - due).days
    return None
