"""Load the workbook contract (``contract.toml``) into typed, immutable objects.

The contract is data: every consumer (template writer, reader, validator, docs, tests) asks
these objects what a sheet or a column is, instead of hard-coding sheet layouts.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any, Literal

ColumnType = Literal[
    "text",
    "long_text",
    "date",
    "time",
    "timezone",
    "integer",
    "number",
    "percentage",
    "yes_no",
    "enum",
    "enum_list",
    "id",
    "ref",
    "person",
    "period",
]
COLUMN_TYPES: tuple[str, ...] = ColumnType.__args__  # type: ignore[attr-defined]
SheetKind = Literal["instructions", "fields", "table"]

TYPE_LABELS: dict[str, str] = {
    "text": "text",
    "long_text": "long text",
    "date": "date",
    "time": "time (HH:MM)",
    "timezone": "time zone",
    "integer": "whole number",
    "number": "number",
    "percentage": "percentage",
    "yes_no": "Yes/No",
    "enum": "one of a list",
    "enum_list": "one or more of a list",
    "id": "unique ID",
    "ref": "reference",
    "person": "person",
    "period": "period",
}


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    required: bool
    help: str
    values: tuple[str, ...] = ()
    ref: str | None = None
    min: float | None = None
    max: float | None = None
    not_after_cutoff: bool = False

    @property
    def type_label(self) -> str:
        if self.type in ("enum", "enum_list"):
            return f"{TYPE_LABELS[self.type]}: {', '.join(self.values)}"
        if self.type == "ref" and self.ref:
            sheet, column = self.ref.split(".", 1)
            return f"{column} from '{sheet}'"
        return TYPE_LABELS[self.type]

    @property
    def ref_target(self) -> tuple[str, str]:
        if not self.ref or "." not in self.ref:
            raise ValueError(f"column {self.name!r} has no 'Sheet.Column' ref")
        sheet, column = self.ref.split(".", 1)
        return sheet, column


@dataclass(frozen=True)
class Sheet:
    name: str
    kind: SheetKind
    title: str
    clause: str = ""
    help: str = ""
    table: str | None = None
    input_ref: str | None = None
    nothing_to_report: bool = False
    row_key: tuple[str, ...] = ()
    columns: tuple[Column, ...] = ()

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name!r} has no column {name!r}")

    @property
    def id_column(self) -> Column | None:
        return next((c for c in self.columns if c.type == "id"), None)

    @property
    def heading(self) -> str:
        return f"{self.clause} {self.title}".strip() if self.clause else self.title


@dataclass(frozen=True)
class Contract:
    title: str
    standard: str
    header_row: int
    nothing_to_report_label: str
    input_refs: tuple[str, ...]
    sheets: tuple[Sheet, ...] = field(default_factory=tuple)

    def sheet(self, name: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.name == name:
                return sheet
        raise KeyError(f"no sheet {name!r} in the contract")

    @property
    def data_sheets(self) -> tuple[Sheet, ...]:
        return tuple(s for s in self.sheets if s.kind != "instructions")

    @property
    def input_sheets(self) -> tuple[Sheet, ...]:
        return tuple(s for s in self.sheets if s.input_ref)

    def input_sheet(self, ref: str) -> Sheet:
        for sheet in self.sheets:
            if sheet.input_ref == ref:
                return sheet
        raise KeyError(f"no sheet for input {ref!r}")


def _column(raw: dict[str, Any]) -> Column:
    kind = raw["type"]
    if kind not in COLUMN_TYPES:
        raise ValueError(f"contract: column {raw['name']!r} has unknown type {kind!r}")
    if kind in ("enum", "enum_list") and not raw.get("values"):
        raise ValueError(f"contract: enum column {raw['name']!r} lists no values")
    return Column(
        name=raw["name"],
        type=kind,
        required=bool(raw.get("required", False)),
        help=raw.get("help", ""),
        values=tuple(raw.get("values", ())),
        ref=raw.get("ref"),
        min=raw.get("min"),
        max=raw.get("max"),
        not_after_cutoff=bool(raw.get("not_after_cutoff", False)),
    )


def _sheet(raw: dict[str, Any]) -> Sheet:
    return Sheet(
        name=raw["name"],
        kind=raw["kind"],
        title=raw.get("title", ""),
        clause=raw.get("clause", ""),
        help=raw.get("help", ""),
        table=raw.get("table"),
        input_ref=raw.get("input_ref"),
        nothing_to_report=bool(raw.get("nothing_to_report", False)),
        row_key=tuple(raw.get("row_key", ())),
        columns=tuple(_column(c) for c in raw.get("column", ())),
    )


def parse_contract(data: dict[str, Any]) -> Contract:
    meta = data["meta"]
    contract = Contract(
        title=meta["title"],
        standard=meta["standard"],
        header_row=int(meta["header_row"]),
        nothing_to_report_label=meta["nothing_to_report_label"],
        input_refs=tuple(meta["input_refs"]),
        sheets=tuple(_sheet(s) for s in data["sheet"]),
    )
    _check_refs(contract)
    return contract


def _check_refs(contract: Contract) -> None:
    names = {s.name for s in contract.sheets}
    for sheet in contract.sheets:
        for col in sheet.columns:
            if col.type == "ref":
                target_sheet, target_col = col.ref_target
                if target_sheet not in names:
                    raise ValueError(f"contract: {col.name!r} refers to unknown sheet")
                contract.sheet(target_sheet).column(target_col)


@cache
def load_contract() -> Contract:
    """The packaged contract, parsed once per process."""
    text = resources.files("pipeline.workbook").joinpath("contract.toml").read_text("utf-8")
    return parse_contract(tomllib.loads(text))
