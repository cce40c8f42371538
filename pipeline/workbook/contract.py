"""Load the workbook contract (``contract.toml``) into typed, immutable objects.

The contract is data: every consumer (template writer, reader, validator, docs, tests) asks
these objects what a sheet or a column is, instead of hard-coding sheet layouts.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ..errors import UserError

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
    short_title: str = ""
    agenda_weight: int = 5
    analysis: str = ""
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
    sheets: tuple[Sheet, ...] = field(default_factory=tuple)

    @property
    def input_refs(self) -> tuple[str, ...]:
        """The 9.3.2 inputs in contract order: agenda, pre-read, matrix and bundle order."""
        return tuple(s.input_ref for s in self.sheets if s.input_ref)

    def declared_names(self) -> frozenset[str]:
        """Every sheet and column name and enum value the contract declares."""
        names = {s.name for s in self.sheets}
        for sheet in self.sheets:
            for col in sheet.columns:
                names.add(col.name)
                names.update(col.values)
        return frozenset(names)

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


def _column(raw: dict[str, Any], input_refs: tuple[str, ...]) -> Column:
    kind = raw["type"]
    if kind not in COLUMN_TYPES:
        raise ValueError(f"contract: column {raw['name']!r} has unknown type {kind!r}")
    values = tuple(raw.get("values", ()))
    if raw.get("values_from") == "inputs":
        values = (*input_refs, *values)
    elif "values_from" in raw:
        raise ValueError(f"contract: column {raw['name']!r}: values_from must be \"inputs\"")
    if kind in ("enum", "enum_list") and not values:
        raise ValueError(f"contract: enum column {raw['name']!r} lists no values")
    return Column(
        name=raw["name"],
        type=kind,
        required=bool(raw.get("required", False)),
        help=raw.get("help", "").replace("{inputs}", ", ".join(values)),
        values=values,
        ref=raw.get("ref"),
        min=raw.get("min"),
        max=raw.get("max"),
        not_after_cutoff=bool(raw.get("not_after_cutoff", False)),
    )


def _sheet(raw: dict[str, Any], input_refs: tuple[str, ...]) -> Sheet:
    return Sheet(
        name=raw["name"],
        kind=raw["kind"],
        title=raw.get("title", ""),
        clause=raw.get("clause", ""),
        help=raw.get("help", ""),
        table=raw.get("table"),
        input_ref=raw.get("input_ref"),
        short_title=raw.get("short_title", raw.get("title", "")),
        agenda_weight=int(raw.get("agenda_weight", 5)),
        analysis=raw.get("analysis", ""),
        nothing_to_report=bool(raw.get("nothing_to_report", False)),
        row_key=tuple(raw.get("row_key", ())),
        columns=tuple(_column(c, input_refs) for c in raw.get("column", ())),
    )


def parse_contract(data: dict[str, Any]) -> Contract:
    meta = data["meta"]
    input_refs = tuple(s["input_ref"] for s in data["sheet"] if s.get("input_ref"))
    if len(set(input_refs)) != len(input_refs):
        raise ValueError("contract: two sheets declare the same input_ref")
    contract = Contract(
        title=meta["title"],
        standard=meta["standard"],
        header_row=int(meta["header_row"]),
        nothing_to_report_label=meta["nothing_to_report_label"],
        sheets=tuple(_sheet(s, input_refs) for s in data["sheet"]),
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


CONTRACT_ENV = "ISMS_REVIEW_CONTRACT"


def load_contract() -> Contract:
    """The contract in force: the file named by ``ISMS_REVIEW_CONTRACT`` (an organisation's
    extended contract), else the packaged one. Parsed once per file."""
    return _load(os.environ.get(CONTRACT_ENV, ""))


@cache
def _load(path: str) -> Contract:
    if path:
        try:
            text = Path(path).read_text("utf-8")
        except OSError as exc:
            raise UserError(f"{path}: the contract named by {CONTRACT_ENV} cannot be read "
                            f"({exc.strerror}); fix the path or unset it.") from None
    else:
        text = resources.files("pipeline.workbook").joinpath("contract.toml").read_text("utf-8")
    try:
        return parse_contract(tomllib.loads(text))
    except (tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        raise UserError(f"{path or 'contract.toml'}: not a valid workbook contract ({exc}).") from None
