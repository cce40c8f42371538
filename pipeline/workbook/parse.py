"""From raw cell grids to typed records, yielding a finding for every cell that does not fit.

Layouts are found, not assumed: a register's heading row is the row (among the first 20) that
best matches the contract's column names, so a workbook whose headings sit in row 1, or whose
columns are in another order, still reads.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .coerce import CONTROL_CHARS, clean_text, coerce, is_blank, suggest
from .contract import Column, Contract, Sheet
from .findings import Finding, finding
from .model import Record, Review, Table, WorkbookData
from .reader import RawSheet, RawWorkbook

HEADER_SCAN_ROWS = 20


def normal(text: object) -> str:
    return " ".join(clean_text(text).split()).casefold() if not is_blank(text) else ""


def parse_workbook(raw: RawWorkbook, contract: Contract) -> tuple[WorkbookData, list[Finding]]:
    findings: list[Finding] = []
    found = _match_sheets(raw, contract, findings)
    review: dict[str, Any] = {}
    review_rows: dict[str, int] = {}
    tables: dict[str, Table] = {}
    for sheet in contract.data_sheets:
        rawsheet = found.get(sheet.name)
        if sheet.kind == "fields":
            if rawsheet is not None:
                findings.extend(_parse_fields(rawsheet, sheet, review, review_rows))
        else:
            table = Table(sheet=sheet, present=rawsheet is not None)
            if rawsheet is not None:
                table.actual_name = rawsheet.name
                findings.extend(_parse_table(rawsheet, sheet, contract, table))
            tables[sheet.name] = table
    fields = next(s for s in contract.data_sheets if s.kind == "fields")
    data = WorkbookData(
        path=raw.path,
        sha256=raw.sha256,
        contract=contract,
        review=Review(review, fields),
        review_rows=review_rows,
        tables=tables,
    )
    return data, findings


def _match_sheets(
    raw: RawWorkbook, contract: Contract, findings: list[Finding]
) -> dict[str, RawSheet]:
    by_normal = {normal(name): sheet for name, sheet in raw.sheets.items()}
    found: dict[str, RawSheet] = {}
    for sheet in contract.data_sheets:
        match = raw.sheets.get(sheet.name) or by_normal.get(normal(sheet.name))
        if match is not None:
            found[sheet.name] = match
    used = {s.name for s in found.values()}
    spare = [name for name in raw.sheets if name not in used]
    known = {normal(s.name) for s in contract.sheets}
    for sheet in contract.data_sheets:
        if sheet.name in found:
            continue
        close = suggest(sheet.name, spare)
        hint = f" The sheet '{close}' looks like it: rename it to '{sheet.name}'." if close else (
            " Add it (copy it from workbook_templates/management_review.xlsx)."
        )
        findings.append(
            finding("missing-sheet", f"The sheet '{sheet.name}' is missing.{hint}", sheet.name,
                    value=close or "")
        )
    for name in spare:
        if normal(name) not in known and suggest(name, [s.name for s in contract.data_sheets]) is None:
            findings.append(
                finding("unknown-sheet", f"The sheet '{name}' is not part of the review "
                        "workbook and is ignored.", name)
            )
    return found


# ---------------------------------------------------------------- Review (field/value) sheet


def _parse_fields(
    raw: RawSheet, sheet: Sheet, review: dict[str, Any], rows: dict[str, int]
) -> Iterator[Finding]:
    wanted = {normal(c.name): c for c in sheet.columns}
    seen: dict[str, tuple[int, int, Any]] = {}
    for r, cells in enumerate(raw.rows):
        for c, cell in enumerate(cells[:4]):
            key = normal(cell).rstrip(":").strip()
            col = wanted.get(key)
            if col is not None and col.name not in seen:
                value_col = c + 1
                value = cells[value_col] if value_col < len(cells) else None
                seen[col.name] = (r, value_col, value)
                break
    for col in sheet.columns:
        if col.name not in seen:
            review[col.name] = None
            if col.required:
                yield finding("missing-field", f"The field '{col.name}' is missing: add a row "
                              f"with '{col.name}' in column A and its value in column B.",
                              sheet.name, column=col.name)
            continue
        r, c, value = seen[col.name]
        rows[col.name] = r + 1
        yield from _cell_findings(raw, sheet, col, r, c, value)
        typed, problem = coerce(col, value)
        review[col.name] = typed
        if problem:
            yield _problem(sheet, col, r, c, value, problem)
        elif typed is None and col.required:
            yield finding("required-empty", f"'{col.name}' is required: {col.help}",
                          sheet.name, r + 1, c, column=col.name)


# ------------------------------------------------------------------------- register sheets


def find_header(raw: RawSheet, sheet: Sheet) -> tuple[int, int]:
    """0-based header row and how many contract columns it matches (0 if none)."""
    names = {normal(c.name) for c in sheet.columns}
    best, best_hits = 0, 0
    for r, cells in enumerate(raw.rows[:HEADER_SCAN_ROWS]):
        hits = sum(1 for cell in cells if normal(cell) in names)
        if hits > best_hits:
            best, best_hits = r, hits
    return best, best_hits


def _parse_table(raw: RawSheet, sheet: Sheet, contract: Contract, table: Table) -> Iterator[Finding]:
    header, hits = find_header(raw, sheet)
    name = raw.name
    table.header_row = header + 1
    if hits == 0:
        for col in sheet.columns:
            if col.required:
                yield finding("missing-column", f"No heading row found: the column '{col.name}' "
                              "is missing. Copy the heading row from the template.",
                              name, column=col.name)
        return
    table.nothing_to_report = _statement(raw, header, contract) if sheet.nothing_to_report else None
    yield from _map_columns(raw, sheet, header, table)
    yield from _merged(raw, header, name)
    yield from _records(raw, sheet, header, table)


def _statement(raw: RawSheet, header: int, contract: Contract) -> str | None:
    label = normal(contract.nothing_to_report_label).rstrip(":")
    for cells in raw.rows[:header]:
        for c, cell in enumerate(cells):
            if normal(cell).startswith(label[:17]):
                rest = [clean_text(v) for v in cells[c + 1:] if not is_blank(v)]
                text = " ".join(rest).strip()
                return text or None
    return None


def _map_columns(raw: RawSheet, sheet: Sheet, header: int, table: Table) -> Iterator[Finding]:
    headings = raw.rows[header]
    wanted = {normal(c.name): c for c in sheet.columns}
    unknown: dict[int, str] = {}
    for c, cell in enumerate(headings):
        key = normal(cell)
        if not key:
            continue
        col = wanted.get(key)
        if col is None:
            unknown[c] = clean_text(cell)
        elif col.name in table.columns:
            yield finding("duplicate-column", f"The column '{col.name}' appears twice; delete "
                          "one of them.", raw.name, header + 1, c, value=cell, column=col.name)
        else:
            table.columns[col.name] = c
    missing = [c for c in sheet.columns if c.name not in table.columns]
    claimed: set[int] = set()
    for col in missing:
        close_name = suggest(col.name, [u for i, u in unknown.items() if i not in claimed])
        if close_name is not None:
            index = next(i for i, u in unknown.items() if u == close_name and i not in claimed)
            claimed.add(index)
            if col.required:
                yield finding("missing-column", f"The column '{col.name}' is missing; the "
                              f"heading '{close_name}' looks like it: rename it to '{col.name}'.",
                              raw.name, header + 1, index, value=close_name, column=col.name)
            else:
                yield finding("unknown-column", f"The heading '{close_name}' is not known; did "
                              f"you mean '{col.name}'? Until renamed it is ignored.",
                              raw.name, header + 1, index, value=close_name, column=col.name)
        elif col.required:
            yield finding("missing-column", f"The column '{col.name}' is missing: add it to the "
                          f"heading row ({col.help})", raw.name, header + 1, column=col.name)
    for index, text in unknown.items():
        if index not in claimed:
            yield finding("unknown-column", f"The column '{text}' is not part of this register "
                          "and is ignored.", raw.name, header + 1, index, value=text)


def _merged(raw: RawSheet, header: int, name: str) -> Iterator[Finding]:
    for r1, c1, r2, c2 in raw.merged:
        if r2 >= header:
            yield finding("merged-cells", "Cells are merged inside the register; select them "
                          "and choose Unmerge Cells, then put each value in its own cell.",
                          name, r1 + 1, c1, value=f"{_a1(r1, c1)}:{_a1(r2, c2)}")


def _a1(r: int, c: int) -> str:
    from .findings import column_letter

    return f"{column_letter(c)}{r + 1}"


# Columns whose values repeat a lot: their coercion is memoised per sheet (a 20,000-row risk
# register has a handful of distinct statuses, scores and owners).
_MEMO_TYPES = frozenset({"enum", "enum_list", "yes_no", "integer", "number", "percentage",
                         "person", "date", "period", "ref", "time", "timezone"})
_MEMO_LIMIT = 50_000
_TEXT_TYPES = frozenset({"text", "long_text", "id"})  # a printable string is already the value


def _records(raw: RawSheet, sheet: Sheet, header: int, table: Table) -> Iterator[Finding]:
    declared = table.declared
    columns: list[tuple[Column, int, dict[Any, Any] | None]] = [
        (sheet.column(n), i, {} if sheet.column(n).type in _MEMO_TYPES else None)
        for n, i in table.columns.items()
    ]
    formulas = raw.formulas_without_value
    for r in range(header + 1, len(raw.rows)):
        cells = raw.rows[r]
        width = len(cells)
        picked: list[Any] = [cells[c] if c < width else None for _, c, _ in columns]
        if all(v is None or v == "" or (v.__class__ is str and not v.strip()) for v in picked) and (
            not formulas or not any((r, c) in formulas for _, c, _ in columns)
        ):
            continue  # blank rows inside a table are skipped
        values: dict[str, Any] = {}
        for (col, c, memo), value in zip(columns, picked, strict=True):
            is_str = value.__class__ is str
            plain = is_str and value.isprintable()
            if (is_str and not plain) or (formulas and (r, c) in formulas):
                yield from _cell_findings(raw, sheet, col, r, c, value, raw.name)
            if value is None or value == "":
                typed, problem = None, None
            elif memo is not None:
                key = value if is_str else (value.__class__, value)
                hit = memo.get(key)
                if hit is None:
                    hit = coerce(col, value)
                    if len(memo) < _MEMO_LIMIT:
                        memo[key] = hit
                typed, problem = hit
            elif plain and col.type in _TEXT_TYPES:
                typed, problem = value.strip() or None, None
            else:
                typed, problem = coerce(col, value)
            values[col.name] = typed
            if problem:
                yield _problem(sheet, col, r, c, value, problem, raw.name)
            elif typed is None and col.required and (r, c) not in formulas:
                yield finding("required-empty", f"'{col.name}' is required: {col.help}",
                              raw.name, r + 1, c, column=col.name)
        table.records.append(Record(row=r + 1, values=values, declared=declared, sheet=sheet.name))


def _cell_findings(
    raw: RawSheet, sheet: Sheet, col: Column, r: int, c: int, value: Any, name: str = ""
) -> Iterator[Finding]:
    name = name or raw.name
    if (r, c) in raw.formulas_without_value:
        yield finding("formula-no-value", "This formula has no saved result (the file was "
                      "written by a program that does not calculate). Open the workbook in "
                      "Excel, press Ctrl+Alt+F9, save, or type the value instead.",
                      name, r + 1, c, column=col.name)
    if isinstance(value, str) and CONTROL_CHARS.search(value):
        yield finding("control-characters", "This cell contains invisible control characters "
                      "(often pasted from another system); they are removed. Retype the text "
                      "to be sure it reads as intended.", name, r + 1, c,
                      value=value.encode("unicode_escape").decode("ascii"), column=col.name)


def _problem(
    sheet: Sheet, col: Column, r: int, c: int, value: Any, problem: tuple[str, str], name: str = ""
) -> Finding:
    code, message = problem
    shown = clean_text(value)
    return finding(code, f"'{col.name}' {shown!r} {message}", name or sheet.name, r + 1, c,
                   value=shown, column=col.name)
