"""The validated workbook as typed data: what every later stage reads."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from .contract import Contract, Sheet


class UndeclaredColumn(KeyError):
    """Code asked a row for a column its sheet does not declare: a bug, never user data."""


def _undeclared(column: str, sheet: str) -> UndeclaredColumn:
    return UndeclaredColumn(f"the sheet {sheet!r} declares no column {column!r} (see contract.toml)")


@dataclass
class Record:
    """One register row: typed values by column name, and its Excel row number.

    Lookups are strict: a column the sheet does not declare raises :class:`UndeclaredColumn`
    (a misspelt name must fail loudly, not read as blank). A declared column absent from the
    workbook reads as ``None``."""

    row: int
    values: dict[str, Any]
    declared: frozenset[str]
    sheet: str = ""

    def __getitem__(self, column: str) -> Any:
        if column not in self.declared:  # checked inline: this is the hottest call of a run
            raise _undeclared(column, self.sheet)
        return self.values.get(column)

    def get(self, column: str, default: Any = None) -> Any:
        value = self[column]
        return default if value is None else value


class Review:
    """The Review sheet as a typed object: strict lookups by field name, and typed properties
    for the fields every stage reads."""

    def __init__(self, fields: dict[str, Any], sheet: Sheet) -> None:
        self.fields = fields
        self.sheet = sheet
        self.declared = frozenset(c.name for c in sheet.columns)

    def __getitem__(self, name: str) -> Any:
        if name not in self.declared:
            raise _undeclared(name, self.sheet.name)
        return self.fields.get(name)

    def get(self, name: str, default: Any = None) -> Any:
        value = self[name]
        return default if value is None else value

    def _date(self, name: str) -> dt.date | None:
        value = self[name]
        return value if isinstance(value, dt.date) else None

    def _text(self, name: str) -> str:
        value = self[name]
        return "" if value is None else str(value)

    @property
    def organisation(self) -> str:
        return self._text("Organisation")

    @property
    def review_id(self) -> str:
        return self._text("Review ID")

    @property
    def period_start(self) -> dt.date | None:
        return self._date("Period start")

    @property
    def period_end(self) -> dt.date | None:
        return self._date("Period end")

    @property
    def cutoff(self) -> dt.date | None:
        return self._date("Data cut-off")

    @property
    def meeting_date(self) -> dt.date | None:
        return self._date("Meeting date")

    @property
    def meeting_time(self) -> dt.time | None:
        value = self["Meeting time"]
        return value if isinstance(value, dt.time) else None

    @property
    def pre_read_lead(self) -> int:
        value = self["Pre-read lead (business days)"]
        return int(value) if isinstance(value, int) else 5

    @property
    def holiday_calendar(self) -> str:
        return self._text("Holiday calendar")

    @property
    def extra_holidays(self) -> str:
        return self._text("Extra holidays")


@dataclass
class Table:
    """A register sheet: where its columns are, its rows, and any 'Nothing to report' reason."""

    sheet: Sheet
    present: bool
    header_row: int = 0  # 1-based Excel row of the headings; 0 when the sheet is missing
    columns: dict[str, int] = field(default_factory=dict)  # column name → 0-based index
    records: list[Record] = field(default_factory=list)
    nothing_to_report: str | None = None
    actual_name: str = ""  # the sheet name as found in the workbook

    def column_index(self, name: str) -> int | None:
        if name not in self.declared:
            raise _undeclared(name, self.sheet.name)
        return self.columns.get(name)

    @cached_property
    def declared(self) -> frozenset[str]:
        return frozenset(c.name for c in self.sheet.columns)


@dataclass
class WorkbookData:
    path: Path
    sha256: str
    contract: Contract
    review: Review
    review_rows: dict[str, int]  # field → Excel row on the Review sheet
    tables: dict[str, Table]

    def table(self, name: str) -> Table:
        return self.tables[name]

    def input_table(self, ref: str) -> Table:
        return self.tables[self.contract.input_sheet(ref).name]

    @property
    def cutoff(self) -> dt.date | None:
        return self.review.cutoff

    def register_ids(self, sheets: Iterable[Sheet], row_keys: bool = False) -> list[str] | None:
        """The IDs written on the registers among ``sheets`` (their ID column; with ``row_keys``,
        a register without one gives its first key column, e.g. the metric IDs), as written, in
        order. None when one of those registers, or its ID column, could not be read: its IDs
        are unknown, so no reference to them can be judged (that sheet has its own finding)."""
        out: list[str] = []
        for sheet in sheets:
            column = sheet.id_column
            name = column.name if column is not None else \
                next(iter(sheet.row_key), None) if row_keys else None
            if name is None or sheet.kind != "table":
                continue
            table = self.tables.get(sheet.name)
            if table is None or name not in table.columns:
                return None
            out.extend(str(v) for v in (r.values.get(name) for r in table.records) if v is not None)
        return out
