"""Files that are not what they claim: one clear line naming the file, exit 1, no traceback."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import msoffcrypto.format.ooxml
import pytest
from openpyxl.workbook.workbook import Workbook

from pipeline.workbook.reader import MAX_ROWS

from .conftest import GOOD, findings, run_cli, the_finding, validate_json
from .xlsx_builder import inline_row, minimal_xlsx

Mutate = Callable[..., Path]


def _refused(path: Path, *phrases: str) -> str:
    code, out, err = run_cli("validate", str(path))
    assert code == 1, (code, out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err + out
    assert str(path) in lines[0]
    for phrase in phrases:
        assert phrase in lines[0], lines[0]
    return lines[0]


def test_not_an_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    path.write_bytes(bytes(range(256)) * 20)
    _refused(path, "is not an Excel workbook")


def test_pdf_renamed_to_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    path.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    _refused(path, "is a PDF")


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    path.write_bytes(b"")
    _refused(path, "is empty")


def test_missing_file(tmp_path: Path) -> None:
    _refused(tmp_path / "nope.xlsx", "no such file")


def test_truncated_zip(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    data = GOOD.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    _refused(path, "is damaged")


def test_corrupt_member_inside_zip(tmp_path: Path) -> None:
    data = bytearray(GOOD.read_bytes())
    with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
        info = zf.getinfo("xl/worksheets/sheet9.xml")
    start = info.header_offset + 30 + len(info.filename) + 10
    for i in range(start, start + 200):
        data[i] ^= 0x5A
    path = tmp_path / "review.xlsx"
    path.write_bytes(bytes(data))
    _refused(path, "cannot be read", "save it again")


def test_password_protected_workbook(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    with GOOD.open("rb") as src, path.open("wb") as dst:
        msoffcrypto.format.ooxml.OOXMLFile(src).encrypt("s3cret", dst)
    _refused(path, "password-protected", "remove the password")


def test_legacy_xls_given_by_mistake(tmp_path: Path) -> None:
    path = tmp_path / "review.xls"
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff"
    path.write_bytes(header + b"\x00" * 4096 + "Workbook".encode("utf-16-le"))
    _refused(path, "Excel 97-2003", "Save As")


def test_ods_given_by_mistake(tmp_path: Path) -> None:
    path = tmp_path / "review.ods"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", "<office:document-content/>")
    _refused(path, "OpenDocument", "Save As")


def test_csv_given_by_mistake(tmp_path: Path) -> None:
    path = tmp_path / "risks.csv"
    path.write_text("Risk ID,Risk,Owner\nR-1,Laptop theft,Liam\n")
    _refused(path, "CSV", "Save As")


@pytest.mark.parametrize("encoding", ["utf-16", "cp1252"])
def test_csv_exported_by_excel_or_libreoffice_is_called_a_csv(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "risks.csv"  # "Unicode Text" and Windows-1252 exports: not UTF-8
    path.write_bytes("Risk ID;Risk;Owner\nR-1;Laptop theft — office;Zoë\n".encode(encoding))
    _refused(path, "CSV", "Save As")


def test_excels_lock_file_says_the_workbook_is_open(tmp_path: Path) -> None:
    path = tmp_path / "~$review.xlsx"
    path.write_bytes(b"\x0bHelen Carter" + b" " * 40 + b"\x00" * 100)
    _refused(path, "lock file for review.xlsx", str(tmp_path / "review.xlsx"))


def test_word_document_given_by_mistake(tmp_path: Path) -> None:
    path = tmp_path / "minutes.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document/>")
    _refused(path, "Word document")


def test_zip_bomb_is_refused_before_parsing(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as fh:
            block = b"<row/>" * 100_000
            for _ in range(200):  # 120 MB of repetitive XML, ~1,000:1
                fh.write(block)
    line = _refused(path, "zip bomb", "was not opened")
    assert "MiB" in line


def test_sheet_with_a_million_rows(tmp_path: Path) -> None:
    rows = (f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 1_000_001))
    path = tmp_path / "review.xlsx"
    path.write_bytes(minimal_xlsx({"Review": [inline_row(1, ["Field", "Value"])], "f Risks": rows}))
    _refused(path, "'f Risks'", f"more than {MAX_ROWS:,} rows", "delete the unused rows")


def test_control_characters_warn_and_are_stripped(tmp_path: Path) -> None:
    from pipeline.workbook.validate import validate_workbook

    path = tmp_path / "review.xlsx"
    # Excel writes control characters as _xHHHH_ escapes; write one into the Organisation field
    data = minimal_xlsx({"Review": [inline_row(5, ["Organisation", "Acme_x0001_ Ltd_x0007_"])]})
    path.write_bytes(data)
    code, report = validate_json(path)
    assert code == 1  # most of the workbook is missing
    hit = the_finding(report, "control-characters", "Review!B5")
    assert hit["severity"] == "warning"
    assert validate_workbook(path).data.review["Organisation"] == "Acme Ltd"


def test_control_characters_in_annotated_copy_do_not_crash(tmp_path: Path) -> None:
    path = tmp_path / "review.xlsx"
    path.write_bytes(minimal_xlsx({"Review": [inline_row(5, ["Organisation", "A_x0001_B"])]}))
    code, _, err = run_cli("validate", str(path), "--annotate", str(tmp_path / "out.xlsx"))
    assert code == 1 and "Traceback" not in err
    assert (tmp_path / "out.xlsx").exists()


def test_values_keep_their_meaning(mutate: Mutate) -> None:
    from pipeline.workbook.validate import validate_workbook

    def fn(wb: Workbook) -> None:
        ws = wb["f Risks"]
        ws["A5"].number_format = "@"
        ws["A5"] = "007"  # ID typed as text
        ws["B5"] = "NA"  # text, not a blank
        wb["a Previous actions"]["H5"] = None  # blank carry-forward count, not 0

    path = mutate(fn)
    result = validate_workbook(path)
    risk = result.data.table("f Risks").records[0]
    assert risk["Risk ID"] == "007"
    assert risk["Risk"] == "NA"
    assert result.data.table("a Previous actions").records[0]["Carry-forward count"] is None
    assert not [f for f in result.report.findings if f.cell == "'f Risks'!B5"]


def test_na_in_number_column_is_wrong_type_not_blank(mutate: Mutate) -> None:
    def fn(wb: Workbook) -> None:
        wb["d2 Metrics"]["G5"] = "NA"

    code, report = validate_json(mutate(fn))
    assert code == 1
    the_finding(report, "wrong-type", "'d2 Metrics'!G5")
    assert not findings(report, "required-empty")


@pytest.mark.parametrize("args", [["validate"], ["validate", "a.xlsx", "--bogus"], ["no-such-command"]])
def test_usage_errors_exit_2(args: list[str]) -> None:
    code, _, _ = run_cli(*args)
    assert code == 2


def test_impossible_date_serial_is_a_finding_not_a_crash(mutate: Mutate) -> None:
    """Regression (found by hypothesis): calamine panics on a date-formatted cell holding 1e300
    and prints a Rust backtrace; we fall back for that sheet and stay silent."""
    import subprocess
    import sys

    def fn(wb: Workbook) -> None:
        wb["Review"]["B8"] = 1e300  # Period start, a date-formatted cell

    path = mutate(fn)
    proc = subprocess.run([sys.executable, "-m", "pipeline", "validate", str(path)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1
    assert "panicked" not in proc.stderr and "Traceback" not in proc.stderr
    assert "Review!B8" in proc.stdout and "wrong-type" in proc.stdout
