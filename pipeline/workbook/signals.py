"""Row-level facts a reviewer must see, defined once: the validator warns on them and the
analysis stage counts them."""

from __future__ import annotations

import datetime as dt

from .model import Record

OPEN_ACTION = frozenset({"Open", "In progress"})
ESCALATE_AFTER = 2  # carried forward this many times or more → escalate
TREATED = frozenset({"Accepted", "In progress"})


def action_overdue_days(rec: Record, cutoff: dt.date) -> int | None:
    """Days an action is overdue at the cut-off, or None when it is not overdue."""
    due = rec["Due date"]
    if rec["Status"] in OPEN_ACTION and isinstance(due, dt.date) and due < cutoff:
        return (cutoff - due).days
    return None


def action_escalate(rec: Record) -> bool:
    """Still open after being carried forward ESCALATE_AFTER times or more."""
    count = rec["Carry-forward count"]
    return isinstance(count, int) and count >= ESCALATE_AFTER and rec["Status"] in OPEN_ACTION


def residual_score(rec: Record) -> int | None:
    likelihood, impact = rec["Residual likelihood"], rec["Residual impact"]
    if isinstance(likelihood, int) and isinstance(impact, int):
        return likelihood * impact
    return None


def risk_above_appetite(rec: Record) -> bool:
    score, appetite = residual_score(rec), rec["Appetite"]
    return score is not None and isinstance(appetite, int) and score > appetite


def risk_untreated(rec: Record) -> bool:
    """Above appetite with neither an accepted nor an in-progress treatment."""
    return risk_above_appetite(rec) and rec["Treatment status"] not in TREATED


def major_nc_open(rec: Record) -> bool:
    return rec["Severity"] == "Major" and rec["Status"] not in ("Closed", None)


def nc_overdue_days(rec: Record, cutoff: dt.date) -> int | None:
    """Days an open nonconformity is past its due date at the cut-off, or None."""
    due = rec["Due date"]
    if rec["Status"] not in ("Closed", None) and isinstance(due, dt.date) and due < cutoff:
        return (cutoff - due).days
    return None
