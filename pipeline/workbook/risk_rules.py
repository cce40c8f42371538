"""Checks on risks a reviewer would otherwise miss: a residual score above the inherent one,
the same risk described twice, appetites that differ between risks with no stated rule, links
(``Related IDs``) to items that do not exist, and nonconformities past their due date (a risk to
the certificate). Each check yields warnings: the
data may be right, but the review must see it."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from .findings import Finding, finding
from .model import Record, Table, WorkbookData
from .signals import inherent_score, nc_overdue_days, residual_score

RISKS = "f Risks"
RELATED = "Related IDs"
_SPLIT = re.compile(r"[,;\n]+")


def _at(table: Table, rec: Record, column: str, code: str, message: str,
        value: object = "") -> Finding:
    return finding(code, message, table.actual_name or table.sheet.name, rec.row,
                   table.column_index(column), value=value, column=column)


def related_ids(text: object) -> list[str]:
    """The IDs in a ``Related IDs`` cell, in order, without blanks or repeats."""
    out: list[str] = []
    for part in _SPLIT.split(str(text or "")):
        item = part.strip()
        if item and item.casefold() not in {o.casefold() for o in out}:
            out.append(item)
    return out


def residual_above_inherent(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get(RISKS)
    if table is None:
        return
    for rec in table.records:
        inherent, residual = inherent_score(rec), residual_score(rec)
        if inherent is not None and residual is not None and residual > inherent:
            yield _at(table, rec, "Residual likelihood", "risk-residual-above-inherent",
                      f"Risk '{rec['Risk ID']}' has a residual score of {residual} above its "
                      f"inherent score of {inherent}: controls cannot raise a risk; correct the "
                      "scores or explain the change.", residual)


def duplicate_descriptions(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get(RISKS)
    if table is None:
        return
    first: dict[str, Record] = {}
    for rec in table.records:
        text = " ".join(str(rec["Risk"] or "").split()).casefold()
        if not text:
            continue
        if text in first:
            yield _at(table, rec, "Risk", "risk-duplicate-description",
                      f"Risk '{rec['Risk ID']}' has the same description as "
                      f"'{first[text]['Risk ID']}' (row {first[text].row}): merge them or say "
                      "how they differ.", rec["Risk"])
        else:
            first[text] = rec


def mixed_appetite(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get(RISKS)
    if table is None or "Risk appetite rule" not in data.review.declared:
        return
    if str(data.review.get("Risk appetite rule", "")).strip():
        return
    values = sorted({r["Appetite"] for r in table.records if isinstance(r["Appetite"], int)})
    if len(values) > 1:
        yield finding("risk-appetite-mixed",
                      f"Risk appetite varies between risks ({values[0]} to {values[-1]}) but the "
                      "Review sheet states no 'Risk appetite rule': state how appetite is set, "
                      "or use one appetite for all risks.",
                      table.actual_name or RISKS, table.header_row, table.column_index("Appetite"),
                      value=", ".join(map(str, values)), column="Appetite")


def known_ids(data: WorkbookData) -> set[str] | None:
    """Every ID on every register (ID columns and metric IDs), case-folded; None when a register
    with IDs could not be read (its IDs are unknown, so no reference to them can be judged)."""
    ids = data.register_ids(data.contract.sheets, row_keys=True)
    return None if ids is None else {i.casefold() for i in ids}


def unknown_related(data: WorkbookData) -> Iterator[Finding]:
    known = known_ids(data)
    if known is None:  # one cause, one finding: the unreadable register is already reported
        return
    for table in data.tables.values():
        if RELATED not in table.columns:
            continue
        for rec in table.records:
            missing = [i for i in related_ids(rec[RELATED]) if i.casefold() not in known]
            if missing:
                yield _at(table, rec, RELATED, "related-id-unknown",
                          f"'{RELATED}' names {', '.join(missing)}, which is not an ID on any "
                          "sheet: correct the ID or remove it.", rec[RELATED])


def nc_overdue(data: WorkbookData) -> Iterator[Finding]:
    table = data.tables.get("d1 Nonconformities")
    if table is None or data.cutoff is None:
        return
    for rec in table.records:
        late = nc_overdue_days(rec, data.cutoff)
        if late is not None:
            yield _at(table, rec, "Due date", "nc-overdue",
                      f"{rec['Severity']} nonconformity '{rec['NC ID']}' is {rec['Status']} and "
                      f"{late} day(s) past its due date at the cut-off: re-plan it with the "
                      "review.", rec["Due date"].isoformat())


RISK_RULES: tuple[Callable[[WorkbookData], Iterator[Finding]], ...] = (
    residual_above_inherent, duplicate_descriptions, mixed_appetite, unknown_related, nc_overdue,
)
