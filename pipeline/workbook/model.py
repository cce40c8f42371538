"""The validated workbook as typed data: what every later stage reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .contract import Contract, Sheet


@dataclass
class Record:
    """One register row: typed values by column name, and its Excel row number."""

    row: int
    values: dict[str, Any]

    def __getitem__(self, column: str) -> Any:
        return self.values.get(column)

    def get(self, column: str, default: Any = None) -> Any:
        value = self.values.get(column)
        return default if value is None else value


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
        return self.columns.get(name)


@dataclass
class WorkbookData:
    path: Path
    sha256: str
    contract: Contract
    review: dict[str, Any]
    review_rows: dict[str, int]  # field → Excel row on the Review sheet
    tables: dict[str, Table]

    def table(self, name: str) -> Table:
        return self.tables[name]

    def input_table(self, ref: str) -> Table:
        return self.tables[self.contract.input_sheet(ref).name]

    @property
    def cutoff(self) -> dt.date | None:
        value = self.review.get("Data cut-off")
        return value if isinstance(value, dt.date) else None
