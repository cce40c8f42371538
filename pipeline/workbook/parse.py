"""From raw cell grids to typed records, yielding a finding for every cell that does not fit.

Layouts are found, not assumed: a register's heading row is the row (among the first 20, or
further down when none of those fits) that best matches the contract's column names, so a
workbook whose headings sit in row 1, or whose columns are in another order, still reads; a
sheet renamed by its user is found by its headings.

One cause gives one finding: a note or a total typed inside a table is one finding for its row,
not one per empty cell; the cells covered by a merge are not reported again as empty.
"""

from __future__ import annotations

import datetime as dt
import operator
from collections.abc import Iterator, Sequence
from typing import Any

from .coerce import CONTROL_CHARS, clean_text, coerce, is_blank, suggest
from .contract import Column, Contract, Sheet
from .findings import Finding, column_letter, finding
from .limits import text_limit
from .model import Record, Review, Table, WorkbookData
from .reader import RawSheet, RawWorkbook
from .rowkinds import not_a_data_row

HEADER_SCAN_ROWS = 20  # where the headings are looked for first
FAR_HEADER_ROWS = 1000  # how far down they are looked for when the first rows hold none
RENAMED_MATCH = 0.6  # share of a sheet's columns whose headings must match to adopt a renamed sheet


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
    """The workbook sheet read for each contract sheet: its name (ignoring case and spaces,
    a visible sheet before a hidden one), else a spare sheet whose headings match."""
    found: dict[str, RawSheet] = {}
    passed_over: set[str] = set()
    for sheet in contract.data_sheets:
        same = [s for s in raw.sheets.values() if normal(s.name) == normal(sheet.name)]
        if not same:
            continue
        same.sort(key=lambda s: (s.visibility != "visible", s.name != sheet.name))
        chosen = found[sheet.name] = same[0]
        findings.extend(_name_choice(sheet, chosen, same[1:]))
        passed_over.update(s.name for s in same[1:])
    used = {s.name for s in found.values()} | passed_over
    spare = [name for name in raw.sheets if name not in used]
    known = {normal(s.name) for s in contract.sheets}
    unclaimed = [name for name in spare if normal(name) not in known]  # not Instructions
    for sheet, rawsheet, hits in _renamed(raw, contract, found, unclaimed):
        found[sheet.name] = rawsheet
        spare.remove(rawsheet.name)
        findings.append(finding(
            "sheet-renamed", f"The sheet '{rawsheet.name}' was read as '{sheet.name}' because "
            f"{hits} of its headings match; rename it to '{sheet.name}' (double-click the tab).",
            rawsheet.name, value=rawsheet.name))
    if not found:  # not one sheet of ours: one finding, not one per sheet
        names = ", ".join(f"'{s.name}'" for s in contract.data_sheets[:3])
        findings.append(finding(
            "missing-sheet", f"None of the sheets of a review workbook ({names}, …) is in this "
            "file, so it is not a management-review workbook (or it is the wrong file). Start "
            "from a blank one (isms-review new-workbook review.xlsx) and copy your data into it.",
            contract.data_sheets[0].name, value=", ".join(raw.sheets)[:200]))
        return found
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


def _name_choice(sheet: Sheet, chosen: RawSheet, others: list[RawSheet]) -> Iterator[Finding]:
    """State which of several same-named sheets is read, and say when it is hidden."""
    how = {"hidden": "hidden (right-click any sheet tab > Unhide)",
           "very hidden": "very hidden (Excel's menus cannot show it; only the VBA editor can)"}
    if chosen.visibility != "visible":
        yield finding("hidden-sheet", f"The sheet '{chosen.name}' is {how[chosen.visibility]}; "
                      f"it was read as '{sheet.name}' because no visible sheet has that name. "
                      "Unhide it so that everyone sees what the review is built from.",
                      chosen.name, value=chosen.visibility)
    for other in others:
        if other.visibility != "visible":
            yield finding("hidden-sheet", f"The sheet '{other.name}' is {how[other.visibility]} "
                          f"and has the name of '{sheet.name}'; the visible sheet "
                          f"'{chosen.name}' was read and this one ignored. Delete the hidden "
                          "sheet so that nobody edits the wrong copy.", other.name,
                          value=other.visibility)
        else:
            yield finding("unknown-sheet", f"The sheet '{other.name}' has the name of "
                          f"'{sheet.name}' apart from spaces or capitals; '{chosen.name}' was "
                          "read and this one ignored. Delete or rename one of them.", other.name)


def _renamed(
    raw: RawWorkbook, contract: Contract, found: dict[str, RawSheet], spare: list[str]
) -> list[tuple[Sheet, RawSheet, int]]:
    """Missing sheets paired with the spare sheets whose headings match them best."""
    missing = [s for s in contract.data_sheets if s.name not in found and s.columns]
    scored = []
    for name in spare:
        rawsheet = raw.sheets[name]
        for sheet in missing:
            hits = _label_hits(rawsheet, sheet) if sheet.kind == "fields" else find_header(
                rawsheet, sheet)[1]
            if hits >= 3 and hits >= RENAMED_MATCH * len(sheet.columns):
                visible = rawsheet.visibility == "visible"
                scored.append((visible, hits / len(sheet.columns), hits, sheet, rawsheet))
    scored.sort(key=lambda t: (not t[0], -t[1]))
    pairs: list[tuple[Sheet, RawSheet, int]] = []
    taken_sheets: set[str] = set()
    taken_raw: set[str] = set()
    for _, _, hits, sheet, rawsheet in scored:
        if sheet.name in taken_sheets or rawsheet.name in taken_raw:
            continue
        taken_sheets.add(sheet.name)
        taken_raw.add(rawsheet.name)
        pairs.append((sheet, rawsheet, hits))
    return pairs


def _label_hits(raw: RawSheet, sheet: Sheet) -> int:
    wanted = {normal(c.name) for c in sheet.columns}
    labels = {normal(cell).rstrip(":").strip() for cells in raw.rows[:200] for cell in cells[:4]}
    return len(wanted & labels)


# ---------------------------------------------------------------- Review (field/value) sheet


def _parse_fields(
    raw: RawSheet, sheet: Sheet, review: dict[str, Any], rows: dict[str, int]
) -> Iterator[Finding]:
    wanted = {normal(c.name): c for c in sheet.columns}
    seen: dict[str, tuple[int, int, Any]] = {}
    # a label merged across columns (a form laid out A:B, value in C): the value follows the merge
    spans = {(r1, c1): c2 for r1, c1, _r2, c2 in raw.merged}
    for r, cells in enumerate(raw.rows):
        for c, cell in enumerate(cells[:4]):
            key = normal(cell).rstrip(":").strip()
            col = wanted.get(key)
            if col is not None and col.name not in seen:
                value_col = spans.get((r, c), c) + 1
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
        limit = text_limit(col.type)
        if isinstance(value, str) and len(value) > limit:
            yield _too_long(raw.name, col, r, c, value, limit)
            value = value[:limit]
        yield from _cell_findings(raw, sheet, col, r, c, value)
        if (r, c) in raw.formula_errors:
            value = None  # whatever the reader made of the error, there is no value
        typed, problem = coerce(col, value)
        review[col.name] = typed
        if problem:
            yield _problem(sheet, col, r, c, value, problem)
        elif typed is None and col.required and (r, c) not in raw.formulas_without_value:
            yield finding("required-empty", f"'{col.name}' is required: {col.help}",
                          sheet.name, r + 1, c, column=col.name)


# ------------------------------------------------------------------------- register sheets


def find_header(raw: RawSheet, sheet: Sheet) -> tuple[int, int]:
    """0-based header row and how many contract columns it matches (0 if none). The first
    rows are searched first; further rows only when those hold too few headings."""
    names = {normal(c.name) for c in sheet.columns}
    enough = max(2, (sum(1 for c in sheet.columns if c.required) + 1) // 2)
    best, best_hits = 0, 0
    for r, cells in enumerate(raw.rows[:FAR_HEADER_ROWS]):
        if r == HEADER_SCAN_ROWS and best_hits >= enough:
            break
        hits = sum(1 for cell in cells if cell.__class__ is str and normal(cell) in names)
        if hits > best_hits:
            best, best_hits = r, hits
    return best, best_hits


def _parse_table(raw: RawSheet, sheet: Sheet, contract: Contract, table: Table) -> Iterator[Finding]:
    header, hits = find_header(raw, sheet)
    name = raw.name
    table.header_row = header + 1
    if hits == 0:
        required = ", ".join(c.name for c in sheet.columns if c.required)
        yield finding("no-heading-row", f"No row of this sheet holds its column headings "
                      f"({required}). Copy the heading row from "
                      "workbook_templates/management_review.xlsx into row "
                      f"{contract.header_row}.", name)
        return
    if header >= HEADER_SCAN_ROWS:
        yield finding("heading-row-moved", f"The headings are in row {header + 1}, far below "
                      f"the top; rows 1 to {header} are ignored. Delete the rows above the "
                      f"table so the headings are in row {contract.header_row}, as in the "
                      "template.", name, header + 1, 0)
    table.nothing_to_report = _statement(raw, header, contract) if sheet.nothing_to_report else None
    yield from _map_columns(raw, sheet, header, table)
    merges = _merges_in_table(raw, header)
    covered = {(r, c) for r1, c1, r2, c2 in merges for r in range(r1, r2 + 1)
               for c in range(c1, c2 + 1) if (r, c) != (r1, c1)}
    skipped: set[int] = set()
    row_findings = list(_records(raw, sheet, header, table, covered, skipped))
    for r1, c1, r2, c2 in merges:
        if not all(r in skipped for r in range(r1, r2 + 1)):
            yield finding("merged-cells", "Cells are merged inside the register; select them "
                          "and choose Unmerge Cells, then put each value in its own cell.",
                          name, r1 + 1, c1, value=f"{_a1(r1, c1)}:{_a1(r2, c2)}")
    yield from row_findings
    yield from _hidden_rows(raw, table)


def _hidden_rows(raw: RawSheet, table: Table) -> Iterator[Finding]:
    """Rows of the register that are hidden are read all the same: say so, once a sheet."""
    read = {record.row - 1 for record in table.records}
    rows = sorted(read & raw.hidden_rows)
    if not rows:
        return
    spans: list[str] = []
    start = previous = rows[0]
    for row in [*rows[1:], None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        spans.append(f"{start + 1}" if start == previous else f"{start + 1}–{previous + 1}")
        if row is not None:
            start = previous = row
    yield finding("hidden-rows", f"Row(s) {', '.join(spans)} are hidden (Hide, or a filter) but are "
                  "read as part of the review, so the workbook shows less than the review uses. "
                  "Unhide them (Home > Format > Hide & Unhide, or clear the filter), or delete the "
                  "rows that do not belong.", raw.name, rows[0] + 1, 0, value=", ".join(spans))


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


def _merges_in_table(raw: RawSheet, header: int) -> list[tuple[int, int, int, int]]:
    return [m for m in raw.merged if m[2] >= header]


def _a1(r: int, c: int) -> str:
    return f"{column_letter(c)}{r + 1}"


# Columns whose values repeat a lot: their coercion is memoised per sheet (a 20,000-row risk
# register has a handful of distinct statuses, scores and owners).
_MEMO_TYPES = frozenset({"enum", "enum_list", "yes_no", "integer", "number", "percentage",
                         "person", "date", "period", "ref", "time", "timezone"})
_MEMO_LIMIT = 50_000
_TEXT_TYPES = frozenset({"text", "long_text", "id"})  # a printable string is already the value


def _records(
    raw: RawSheet, sheet: Sheet, header: int, table: Table,
    covered: set[tuple[int, int]] | None = None, skipped: set[int] | None = None,
) -> Iterator[Finding]:
    """Typed records of a register. A row that is a note or a total gives one finding and no
    record (its 0-based index goes into ``skipped``); cells covered by a merge are not
    reported as empty (the merge is the one finding)."""
    declared = table.declared
    covered = covered or set()
    skipped = skipped if skipped is not None else set()
    columns: list[tuple[Column, int, dict[Any, Any] | None, int]] = [
        (sheet.column(n), i, {} if sheet.column(n).type in _MEMO_TYPES else None,
         text_limit(sheet.column(n).type))
        for n, i in table.columns.items()
    ]
    # per column, looked up once: name, plain-text type, required (this loop runs per cell)
    plan = [(col, c, memo, limit, col.name, col.type in _TEXT_TYPES, col.required)
            for col, c, memo, limit in columns]
    positions = [c for _, c, _, _ in columns]
    # a full-width row is picked in one C call; only short rows take the padded path
    pick = operator.itemgetter(*positions) if len(positions) > 1 else None
    reach = max(positions, default=-1)
    formulas = raw.formulas_without_value
    errors = raw.formula_errors
    rows = raw.rows
    for r in range(header + 1, len(rows)):
        cells = rows[r]
        width = len(cells)
        picked: Sequence[Any] = (pick(cells) if pick is not None and width > reach else
                                 [cells[c] if c < width else None for c in positions])
        first = picked[0] if picked else None
        if (first is None or first == "" or (first.__class__ is str and not first.strip())) and all(
            v is None or v == "" or (v.__class__ is str and not v.strip()) for v in picked
        ) and (not formulas or not any((r, c) in formulas for c in positions)):
            continue  # blank rows inside a table are skipped
        found: list[Finding] = []
        hidden = 0
        values: dict[str, Any] = {}
        for (col, c, memo, limit, name, text_type, required), value in zip(plan, picked, strict=True):
            if errors and (r, c) in errors:
                value = None  # a failing formula: its finding, and no value (never a blank read)
            if value is None or value == "":
                values[name] = None
                if required and (r, c) not in formulas:
                    if (r, c) in covered:
                        hidden += 1  # the merge is the finding; still a sign of a note row
                    else:
                        found.append(finding("required-empty", f"'{name}' is required: "
                                             f"{col.help}", raw.name, r + 1, c, column=name))
                elif formulas and (r, c) in formulas:
                    found.extend(_cell_findings(raw, sheet, col, r, c, value, raw.name))
                continue
            is_str = value.__class__ is str
            if is_str and len(value) > limit:
                found.append(_too_long(raw.name, col, r, c, value, limit))
                value = value[:limit]
            plain = is_str and value.isprintable()
            if (is_str and not plain) or (formulas and (r, c) in formulas):
                found.extend(_cell_findings(raw, sheet, col, r, c, value, raw.name))
            if memo is not None:
                key = value if is_str else (value.__class__, value)
                hit = memo.get(key)
                if hit is None:
                    hit = coerce(col, value)
                    if len(memo) < _MEMO_LIMIT:
                        memo[key] = hit
                typed, problem = hit
            elif plain and text_type:
                typed, problem = value.strip() or None, None
            else:
                typed, problem = coerce(col, value)
            values[name] = typed
            if problem:
                found.append(_problem(sheet, col, r, c, value, problem, raw.name))
            elif typed is None and required and (r, c) not in formulas:
                if (r, c) in covered:
                    hidden += 1
                else:
                    found.append(finding("required-empty", f"'{name}' is required: "
                                         f"{col.help}", raw.name, r + 1, c, column=name))
        if len(found) + hidden >= 2:
            instead = not_a_data_row(raw.name, r, [(col, c, v) for (col, c, _, _), v
                                                   in zip(columns, picked, strict=True)],
                                     formulas, sheet)
            if instead is not None:
                skipped.add(r)
                yield instead
                continue
        yield from found
        table.records.append(Record(row=r + 1, values=values, declared=declared, sheet=sheet.name))


def _too_long(name: str, col: Column, r: int, c: int, value: str, limit: int) -> Finding:
    return finding("cell-too-long", f"'{col.name}' holds {len(value):,} characters; a cell of "
                   f"this column may hold at most {limit:,}. Shorten it, and put the detail "
                   "in an evidence document listed on the Evidence sheet.", name, r + 1, c,
                   value=value[:60], column=col.name)


def _cell_findings(
    raw: RawSheet, sheet: Sheet, col: Column, r: int, c: int, value: Any, name: str = ""
) -> Iterator[Finding]:
    name = name or raw.name
    if (r, c) in raw.formula_errors:
        yield finding("formula-error", f"This cell shows {raw.formula_errors[(r, c)]} in Excel: its "
                      "formula fails, so there is no value to read (it is not taken as blank). "
                      "Correct the formula, or type the value instead.", name, r + 1, c,
                      value=raw.formula_errors[(r, c)], column=col.name)
    elif (r, c) in raw.formulas_without_value:
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
    if isinstance(value, dt.time) and code == "date-out-of-range":  # what the reader made of 0 or
        return finding(code, f"'{col.name}' {message}", name or sheet.name, r + 1, c,  # less
                       column=col.name)
    shown = ("TRUE" if value else "FALSE") if isinstance(value, bool) else clean_text(value)  # as typed
    return finding(code, f"'{col.name}' {shown!r} {message}", name or sheet.name, r + 1, c,
                   value=shown, column=col.name)
