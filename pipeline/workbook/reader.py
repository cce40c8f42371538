"""Read a workbook once, fast, into raw cell grids (python-calamine), plus the little cell
metadata the validator needs that calamine does not give (formula cells without a saved value).

Calamine keeps values as typed in the cell: the text ``007`` stays ``"007"``, ``NA`` stays
``"NA"`` and a blank is ``""`` — none of pandas' re-inference traps.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import os
import posixpath
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import openpyxl
import python_calamine
from defusedxml import ElementTree

from .filecheck import WorkbookFileError, check_workbook_file
from .limits import (
    MAX_ROWS,
    TextBudget,
    check_sheet_count,
    check_sheet_xml,
    shared_string_lengths,
)

__all__ = ["MAX_ROWS", "RawSheet", "RawWorkbook", "read_workbook"]

_NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_NS_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CELL_START = re.compile(rb"<(?:\w+:)?c[\s>]")
_CELL_REF = re.compile(rb'\br="([A-Z]{1,3})([0-9]+)"')
_CELL_END = re.compile(rb"</(?:\w+:)?c>")
_VALUE = re.compile(rb"<(?:\w+:)?(?:v|is)>\s*[^<\s]")


@dataclass
class RawSheet:
    """One sheet's values as a grid from A1; positions are 0-based (row, column)."""

    name: str
    rows: list[list[Any]]
    merged: list[tuple[int, int, int, int]] = field(default_factory=list)
    # cells whose formula gives no value to read: no saved result, or an error (below)
    formulas_without_value: set[tuple[int, int]] = field(default_factory=set)
    formula_errors: dict[tuple[int, int], str] = field(default_factory=dict)  # cell → "#REF!"…
    hidden_rows: set[int] = field(default_factory=set)  # 0-based rows hidden (Hide, a filter)
    visibility: str = "visible"  # or "hidden", "very hidden" (only VBA can show it)


@dataclass
class RawWorkbook:
    path: Path
    sha256: str
    sheets: dict[str, RawSheet]


def read_workbook(path: Path) -> RawWorkbook:
    """Read every sheet of ``path``; raise :class:`WorkbookFileError` if it cannot be read."""
    check_workbook_file(path)
    data = path.read_bytes()
    checked, formulas, errors, hidden = _scan_sheets(path)  # refuses what the reader could not survive
    try:
        with _quiet_stderr():
            book = python_calamine.CalamineWorkbook.from_path(str(path))
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # calamine's own errors, and its panics
        raise WorkbookFileError(
            f"{path}: cannot be read as a workbook ({_short(exc)}); open it in Excel, "
            "save it again as .xlsx, and run again."
        ) from None
    try:
        visibility = {m.name: _VISIBILITY.get(str(m.visible).rsplit(".", 1)[-1], "visible")
                      for m in book.sheets_metadata}
        for name in book.sheet_names:
            if name not in checked:
                raise WorkbookFileError(
                    f"{path}: sheet '{name}' cannot be checked before reading (its part of the "
                    "file is missing or misnamed); open the workbook in Excel, save it again as "
                    ".xlsx, and run again."
                )
        sheets = {name: _read_sheet(path, book, name, formulas.get(name, set()) | set(errors.get(name, {})))
                  for name in book.sheet_names}
        for name, sheet in sheets.items():
            sheet.formula_errors = errors.get(name, {})
            sheet.hidden_rows = hidden.get(name, set())
        for name, sheet in sheets.items():
            sheet.visibility = visibility.get(name, "visible")
    finally:
        book.close()
    return RawWorkbook(path=path, sha256=hashlib.sha256(data).hexdigest(), sheets=sheets)


_VISIBILITY = {"Visible": "visible", "Hidden": "hidden", "VeryHidden": "very hidden"}


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


def _read_sheet(
    path: Path, book: Any, name: str, formulas: set[tuple[int, int]]
) -> RawSheet:
    try:
        with _quiet_stderr():
            sheet = book.get_sheet_by_name(name)
            rows: list[list[Any]] = sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS + 1)
            merged = [(r1, c1, r2, c2) for (r1, c1), (r2, c2) in (sheet.merged_cell_ranges or [])]
    except (KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException:  # calamine panics (a BaseException) on odd cells
        # e.g. a date-formatted cell holding 1e300: openpyxl reads it as the error "#VALUE!",
        # which then becomes an ordinary wrong-type finding at that cell.
        rows, merged = _read_sheet_openpyxl(path, name), []
    while rows and all(v == "" or v is None for v in rows[-1]):
        rows.pop()
    if len(rows) > MAX_ROWS:
        raise WorkbookFileError(
            f"{path}: sheet '{name}' has more than {MAX_ROWS:,} rows in use; delete the unused "
            "rows below your data (select them, right-click > Delete) or split the register, "
            "and run again."
        )
    return RawSheet(name=name, rows=rows, merged=merged, formulas_without_value=formulas)


def _read_sheet_openpyxl(path: Path, name: str) -> list[list[Any]]:
    """The slow, tolerant reader, used only for a sheet calamine cannot read."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True, keep_links=False)
            try:
                ws = wb[name]
                rows = [list(r) for r in itertools.islice(ws.iter_rows(values_only=True), MAX_ROWS + 1)]
            finally:
                wb.close()
    except Exception as exc:
        raise WorkbookFileError(
            f"{path}: sheet '{name}' cannot be read ({_short(exc)}); open the workbook in "
            "Excel, save it again as .xlsx, and run again."
        ) from None
    return rows


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence the Rust panic message calamine prints straight to file descriptor 2, so the
    user sees our one-line message, not a backtrace."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """Sheet name → zip member of its XML, from workbook.xml and its relationships."""
    book = ElementTree.fromstring(zf.read("xl/workbook.xml"))
    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name not in zf.namelist():
        return {}
    rels = ElementTree.fromstring(zf.read(rels_name))
    targets = {r.get("Id"): r.get("Target", "") for r in rels.iter(f"{{{_NS_PKG}}}Relationship")}
    parts: dict[str, str] = {}
    for sheet in book.iter(f"{{{_NS_MAIN}}}sheet"):
        target = targets.get(sheet.get(f"{{{_NS_REL}}}id"), "")
        if not target:
            continue
        parts[sheet.get("name", "")] = _member(target)
    return parts


Scanned = tuple[set[str], dict[str, set[tuple[int, int]]], dict[str, dict[tuple[int, int], str]],
                dict[str, set[int]]]


def _scan_sheets(path: Path) -> Scanned:
    """Check every sheet's XML against the limits (raising :class:`WorkbookFileError`); return
    the sheets checked and, per sheet, the cells holding a formula without a saved result and
    the cells whose formula gives an error (#REF!, #DIV/0!, #N/A …: the reader sees them as
    blank)."""
    checked: set[str] = set()
    found: dict[str, set[tuple[int, int]]] = {}
    errors: dict[str, dict[tuple[int, int], str]] = {}
    hidden: dict[str, set[int]] = {}
    try:
        with zipfile.ZipFile(path) as zf:
            try:
                parts = _sheet_parts(zf)
            except (ElementTree.ParseError, KeyError, ValueError):
                raise
            except Exception:  # defusedxml refuses entity tricks
                raise WorkbookFileError(
                    f"{path}: the list of sheets (xl/workbook.xml) cannot be read safely; open "
                    "the workbook in Excel, save it again as .xlsx, and run again."
                ) from None
            check_sheet_count(path, len(parts))
            budget = _shared_strings(zf)
            for name, member in parts.items():
                try:
                    xml = zf.read(member)
                except KeyError:
                    continue
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    raise WorkbookFileError(
                        f"{path}: sheet '{name}' cannot be read (its data is damaged: "
                        f"{_short(exc)}); open the workbook in Excel, save it again as .xlsx, "
                        "and run again."
                    ) from None
                check_sheet_xml(path, name, xml, budget)
                checked.add(name)
                if (b"<f" in xml or (b"<sheetData" not in xml and b":f" in xml)) and (
                        _FORMULA.search(xml)):  # a prefixed namespace (<x:f>) has no <sheetData
                    found[name] = _scan_formulas(xml)
                if b't="e"' in xml or b"t='e'" in xml:
                    errors[name] = _scan_errors(xml)
                if b"hidden=" in xml:
                    hidden[name] = {int(m.group(1)) - 1 for m in _HIDDEN_ROW.finditer(xml)}
    except (zipfile.BadZipFile, ElementTree.ParseError, KeyError, OSError, ValueError):
        return checked, found, errors, hidden  # calamine reports a damaged file in its own words
    return checked, found, errors, hidden


def _shared_strings(zf: zipfile.ZipFile) -> TextBudget:
    member = "xl/sharedStrings.xml"
    rels_name = "xl/_rels/workbook.xml.rels"
    if rels_name in zf.namelist():
        rels = ElementTree.fromstring(zf.read(rels_name))
        for rel in rels.iter(f"{{{_NS_PKG}}}Relationship"):
            if rel.get("Type", "").endswith("/sharedStrings"):
                member = _member(rel.get("Target", ""))
    try:
        return shared_string_lengths(zf.read(member))
    except KeyError:
        return TextBudget()


def _member(target: str) -> str:
    return target.lstrip("/") if target.startswith("/") else posixpath.normpath(
        posixpath.join("xl", target))


def _scan_formulas(xml: bytes) -> set[tuple[int, int]]:
    cells: set[tuple[int, int]] = set()
    for match in _FORMULA.finditer(xml):
        start = xml.rfind(b"<", 0, match.start())
        # walk back to the opening <c ...> of the cell holding this formula
        while start > 0 and not _CELL_START.match(xml, start):
            start = xml.rfind(b"<", 0, start)
        close = _CELL_END.search(xml, match.end())
        end = close.start() if close else len(xml)
        body = xml[start:end]
        if _VALUE.search(body):
            continue
        ref = _CELL_REF.search(body)
        if ref:
            cells.add((int(ref.group(2)) - 1, _column_index(ref.group(1).decode())))
    return cells


_HIDDEN_ROW = re.compile(rb"""<(?:\w+:)?row\s(?=[^>]*\bhidden=["'](?:1|true)["'])[^>]*\br=["'](\d+)["']""")
_ERROR_CELL = re.compile(rb"""<(?:\w+:)?c\s[^>]*\bt=["']e["'][^>]*>""")
_ERROR_VALUE = re.compile(rb"<(?:\w+:)?v>\s*([^<]*?)\s*</(?:\w+:)?v>")


def _scan_errors(xml: bytes) -> dict[tuple[int, int], str]:
    """Cells of type "e" (an error value, what a failing formula saves) and the error shown."""
    cells: dict[tuple[int, int], str] = {}
    for match in _ERROR_CELL.finditer(xml):
        ref = _CELL_REF.search(match.group(0))
        if ref is None:
            continue
        close = _CELL_END.search(xml, match.end())
        body = xml[match.end():close.start() if close else len(xml)]
        shown = _ERROR_VALUE.search(body)
        text = shown.group(1).decode("utf-8", "replace")[:20] if shown else "an error"
        cells[(int(ref.group(2)) - 1, _column_index(ref.group(1).decode()))] = text or "an error"
    return cells


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + (ord(ch) - 64)
    return index - 1
