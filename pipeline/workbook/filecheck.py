"""Refuse files that are not safe, readable .xlsx workbooks, with a message a user can act on.

Runs before any parser touches the file: it sniffs the format from the bytes (not the name),
spots password protection, legacy and OpenDocument formats, damaged zips and zip bombs.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from ..errors import UserError
from ..files import utf16_head

MAX_UNCOMPRESSED = 512 * 1024 * 1024  # all members together, as declared in the zip
MAX_RATIO = 200  # declared size ÷ compressed size of the whole archive
RATIO_FLOOR = 64 * 1024 * 1024  # the ratio check only applies above this size

_CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS = "open it in Excel or LibreOffice Calc and use Save As > Excel Workbook (.xlsx)"


class WorkbookFileError(UserError):
    """The file cannot be read as a workbook at all."""


def _fail(path: Path, problem: str, fix: str) -> WorkbookFileError:
    return WorkbookFileError(f"{path}: {problem}; {fix}.")


def check_workbook_file(path: Path) -> None:
    """Raise :class:`WorkbookFileError` unless ``path`` looks like a sane .xlsx file."""
    if not path.exists():
        raise _fail(path, "no such file", "check the path and the file name")
    if path.is_dir():
        raise _fail(path, "is a folder, not a workbook", "give the path of the .xlsx file")
    try:
        with path.open("rb") as fh:
            head = fh.read(4096)
    except OSError as exc:
        raise _fail(path, f"cannot be opened ({exc.strerror})", "check its permissions") from None
    if not head:
        raise _fail(path, "is empty (0 bytes)", "save the workbook again from Excel")
    if head.startswith(_CFB_MAGIC):
        _explain_cfb(path)
    if not head.startswith(b"PK"):
        if path.name.startswith("~$") and len(head) < 1024:
            raise _fail(path, f"is Excel's lock file for {path.name[2:]}, which is open in Excel "
                        "(Excel deletes this file when the workbook is closed)",
                        f"give {path.with_name(path.name[2:])} instead")
        _explain_not_zip(path, head)
    _check_zip(path)


def _explain_cfb(path: Path) -> None:
    data = path.read_bytes()
    if "EncryptedPackage".encode("utf-16-le") in data:
        raise _fail(
            path,
            "is password-protected (encrypted)",
            "open it in Excel, remove the password under File > Info > Protect Workbook > "
            "Encrypt with Password, save, and run again",
        )
    raise _fail(path, "is an old Excel 97-2003 (.xls) file", _SAVE_AS)


def _explain_not_zip(path: Path, head: bytes) -> None:
    if head.startswith(b"%PDF"):
        raise _fail(path, "is a PDF, not a workbook", "give the .xlsx workbook instead")
    text = _as_text(head)
    if text and ("," in text or ";" in text or "\t" in text) and "<" not in text[:1]:
        raise _fail(path, "is a CSV/text file, not a workbook", _SAVE_AS)
    if text.lstrip().startswith("<"):
        raise _fail(path, "is an XML/HTML file, not a workbook", _SAVE_AS)
    raise _fail(
        path,
        "is not an Excel workbook (.xlsx)",
        "start from workbook_templates/management_review.xlsx",
    )


def _as_text(head: bytes) -> str:
    """The start of a text file in the encodings Excel and LibreOffice export CSV in (UTF-16
    with its mark, UTF-8, Windows-1252), or "" when it is not text."""
    unicode_text = utf16_head(head)
    if unicode_text is not None:
        return unicode_text
    if b"\x00" in head:
        return ""
    text = head.decode("utf-8", errors="replace")  # a character cut at byte 4096 is no matter
    if text.count("\ufffd") > 8:
        text = head.decode("cp1252", errors="replace")
    printable = sum(ch.isprintable() or ch in "\t\r\n" for ch in text)
    return text if text and printable / len(text) > 0.95 else ""


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as zf:
            names = set(zf.namelist())
            infos = zf.infolist()
            mimetype = zf.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, EOFError, OSError, ValueError):
        raise _fail(
            path,
            "is damaged (an incomplete or corrupt file)",
            "copy it again from its source, or open it in Excel and save it again",
        ) from None
    if b"opendocument.spreadsheet" in mimetype:
        raise _fail(path, "is an OpenDocument spreadsheet (.ods)", _SAVE_AS)
    if "word/document.xml" in names:
        raise _fail(path, "is a Word document, not a workbook", "give the .xlsx workbook")
    if "xl/workbook.xml" not in names and "xl/workbook.bin" not in names:
        raise _fail(path, "is a zip archive but not an Excel workbook", "give the .xlsx workbook")
    if "xl/workbook.bin" in names:
        raise _fail(path, "is a binary Excel (.xlsb) workbook", _SAVE_AS)
    declared = sum(i.file_size for i in infos)
    compressed = sum(i.compress_size for i in infos) or 1
    if declared > MAX_UNCOMPRESSED or (
        declared > RATIO_FLOOR and declared / compressed > MAX_RATIO
    ):
        raise _fail(
            path,
            f"unpacks to {declared // (1024 * 1024)} MiB, far more than a review workbook "
            "should (a possible zip bomb); it was not opened",
            "check where the file came from, or remove unused sheets and rows and save again",
        )
