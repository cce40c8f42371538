"""Which evidence files the bundle accepts, and as what: an explicit allow-list, checked against
the file's content as well as its name. Anything else is refused with a fix, unless the user
asked for that very file to be attached as it is."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from ..files import utf16_head

Kind = Literal["pdf", "image", "office", "text", "as-is"]

PDF = {".pdf"}
IMAGES = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".gif", ".bmp"}
OFFICE = {".docx", ".xlsx", ".pptx", ".odt", ".ods", ".odp", ".doc", ".xls", ".ppt", ".rtf"}
TEXT = {".csv", ".tsv", ".txt", ".log", ".json", ".xml", ".md"}
MACRO_ENABLED = {".docm", ".dotm", ".xlsm", ".xltm", ".xlsb", ".xlam", ".pptm", ".potm", ".ppsm",
                 ".ppam", ".sldm"}
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# stream/storage names of a VBA project inside an OLE file, as they are stored (UTF-16LE)
OLE_MACRO_NAMES = ("_VBA_PROJECT".encode("utf-16-le"),)
FIX = "export it to PDF and name the PDF on the Evidence sheet instead"


class Refused(Exception):
    """The file is not accepted; ``str()`` says why and what to do."""


@dataclass(frozen=True)
class Accepted:
    kind: Kind
    note: str = ""


def classify(path: Path, rel: str, attach_as_is: bool = False) -> Accepted:
    """What ``path`` is for the bundle, or raise :class:`Refused`."""
    suffix = path.suffix.lower()
    if attach_as_is:
        return Accepted("as-is", "attached as it is at the user's request (--attach-as-is); "
                        "not opened, converted or checked for active content")
    opt_in = f"or, to attach this very file unopened, bundle with --attach-as-is '{rel}'"
    with path.open("rb") as fh:
        head = fh.read(1024)
    if suffix in PDF:
        if b"%PDF-" not in head:
            raise Refused(f"'{rel}' is named .pdf but is not a PDF; {FIX}.")
        return Accepted("pdf")
    if suffix in IMAGES:
        return Accepted("image")
    if suffix in MACRO_ENABLED:
        raise Refused(f"'{rel}' is a macro-enabled Office file ({suffix}), which can run code; save "
                      f"it without macros (e.g. as {_plain(suffix)}) or {FIX}, {opt_in}.")
    if suffix in OFFICE:
        if not _looks_like_office(suffix, head, path):
            raise Refused(f"'{rel}' is named {suffix} but is not an Office document (its content "
                          f"is something else, e.g. a web page); {FIX}, {opt_in}.")
        macro = macro_content(path)
        if macro:
            raise Refused(f"'{rel}' contains macros ({macro}), which can run code; save a copy "
                          f"without macros or {FIX}, {opt_in}.")
        return Accepted("office")
    if suffix in TEXT:
        if _utf16_text(head):  # Excel's "Unicode Text" and UTF-16 CSV: NULs in every other byte
            return Accepted("text", "attached (plain text has no page rendering; UTF-16)")
        if b"\x00" in head or head.startswith((b"MZ", b"\x7fELF", OLE_MAGIC, b"PK\x03\x04")):
            raise Refused(f"'{rel}' is named {suffix} but is not plain text; {FIX}, {opt_in}.")
        return Accepted("text", "attached (plain text has no page rendering)")
    what = f"a {suffix} file" if suffix else "a file without an extension"
    raise Refused(f"'{rel}' is {what}, which the bundle does not accept (only PDF, images, "
                  f"Office documents without macros and plain text/CSV: executables, scripts, web "
                  f"pages and SVG can carry active content); {FIX}, {opt_in}.")


def _utf16_text(head: bytes) -> bool:
    """UTF-16 text with its byte-order mark whose start decodes to printable text."""
    text = utf16_head(head)
    return text is not None and all(ch.isprintable() or ch in "\t\r\n" for ch in text)


OOXML = {".docx", ".xlsx", ".pptx"}
ODF = {".odt", ".ods", ".odp"}
LEGACY = {".doc", ".xls", ".ppt"}


def _looks_like_office(suffix: str, head: bytes, path: Path) -> bool:
    """Whether the content is the kind of file the name says (LibreOffice would open an HTML
    page named .doc as a web page, with what it links to)."""
    if suffix in OOXML:
        return head.startswith(b"PK\x03\x04") and _has_member(path, "[Content_Types].xml")
    if suffix in ODF:
        return head.startswith(b"PK\x03\x04") and _has_member(path, "mimetype")
    if suffix in LEGACY:
        return head.startswith(OLE_MAGIC)
    if suffix == ".rtf":
        return head.lstrip().startswith(b"{\\rtf")
    return False


def _has_member(path: Path, name: str) -> bool:
    try:
        with zipfile.ZipFile(path) as archive:
            return name in archive.namelist()
    except (zipfile.BadZipFile, OSError):
        return False


def _plain(suffix: str) -> str:
    return {".docm": ".docx", ".dotm": ".docx", ".pptm": ".pptx", ".potm": ".pptx", ".ppsm": ".pptx",
            ".ppam": ".pptx", ".sldm": ".pptx"}.get(suffix, ".xlsx")


def macro_content(path: Path) -> str:
    """A description of the macros ``path`` carries, or "" when it has none."""
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                if "[Content_Types].xml" in names:  # a VBA part under any name is declared here
                    types = archive.read("[Content_Types].xml").lower()
                    if b"vbaproject" in types or b"macroenabled" in types:
                        return "a VBA project"
                for info in archive.infolist():
                    name = info.filename.lower()
                    if name.endswith("vbaproject.bin") or name.endswith("vbadata.xml"):
                        return "a VBA project"
                    if (name.startswith(("basic/", "scripts/")) and not info.is_dir()
                            and info.file_size > 0 and not name.endswith(("script-lc.xml", "dialog-lc.xml"))):
                        return "LibreOffice Basic or scripts"
        except (zipfile.BadZipFile, OSError):
            return ""
        return ""
    with path.open("rb") as fh:
        if fh.read(8) != OLE_MAGIC:
            return ""
        fh.seek(0)
        tail = b""
        while chunk := fh.read(1 << 20):  # directory entries may sit anywhere: scan in chunks
            block = tail + chunk
            if any(name in block for name in OLE_MACRO_NAMES):
                return "a VBA project"
            tail = block[-64:]
    return ""
