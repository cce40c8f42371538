"""Evidence paths from the workbook: relative, inside the evidence folder, never followed out.

``resolve_evidence`` is the one gate every stage uses before it touches an evidence file.
"""

from __future__ import annotations

import os
import re
import stat
import unicodedata
from collections.abc import Iterator
from pathlib import Path, PurePosixPath, PureWindowsPath

from .findings import Finding, finding
from .model import WorkbookData

_DRIVE = re.compile(r"^[A-Za-z]:")


class EvidencePathError(ValueError):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code


def resolve_evidence(root: Path, relative: str) -> Path:
    """The file ``relative`` names inside ``root``; raise :class:`EvidencePathError` when the
    path is absolute, climbs out of ``root`` (``..`` or a symlink), or does not exist."""
    text = relative.strip().replace("\\", "/")
    if (
        text.startswith("/")
        or _DRIVE.match(text)
        or PureWindowsPath(relative).is_absolute()
        or text.startswith("//")
        or "://" in text
    ):
        raise EvidencePathError("evidence-absolute", f"'{relative}' is an absolute path; write "
                                "the path relative to the evidence folder, e.g. audits/report.pdf.")
    parts = PurePosixPath(text).parts
    if ".." in parts:
        raise EvidencePathError("evidence-outside", f"'{relative}' leads outside the evidence "
                                "folder (..); copy the file into the evidence folder instead.")
    base = root.resolve()
    target = (base / _as_stored(base, parts)).resolve()
    if not target.is_relative_to(base):
        raise EvidencePathError("evidence-outside", f"'{relative}' leads outside the evidence "
                                "folder (through a link); copy the file into the folder instead.")
    if not target.exists():
        raise EvidencePathError("evidence-missing", f"'{relative}' is not in the evidence folder "
                                f"{root}; add the file or correct the path (names are "
                                "case-sensitive).")
    if not target.is_file():
        raise EvidencePathError("evidence-not-file", not_a_file(target, relative))
    return target


COPY_IT = "copy the document itself into the evidence folder"


def not_a_file(target: Path, relative: str) -> str:
    """What ``target`` is instead of a regular file, and what to do."""
    try:
        mode = target.stat().st_mode
    except OSError:
        mode = 0
    if stat.S_ISDIR(mode):
        return f"'{relative}' is a folder; name a file in it."
    if stat.S_ISFIFO(mode):
        return f"'{relative}' is a named pipe, not a file; {COPY_IT}."
    if stat.S_ISSOCK(mode) or stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return f"'{relative}' is a device or socket, not a file; {COPY_IT}."
    return f"'{relative}' is not a regular file; {COPY_IT}."


def _as_stored(base: Path, parts: tuple[str, ...]) -> Path:
    """``parts`` as the folder spells them: a name typed in Excel is composed (NFC: "é" one
    character) while a file copied from a Mac may be stored decomposed (NFD: "e" and an accent),
    and the two look the same. A part that is not there as typed is matched by its NFC form
    when exactly one entry of its folder has it."""
    found = Path()
    for part in parts:
        if part in ("", "."):
            continue
        if (base / found / part).exists() or part == "..":
            found /= part
            continue
        wanted = unicodedata.normalize("NFC", part)
        try:
            matches = [entry.name for entry in os.scandir(base / found)
                       if unicodedata.normalize("NFC", entry.name) == wanted]
        except OSError:
            matches = []
        found /= matches[0] if len(matches) == 1 else part
    return found


def evidence_files(data: WorkbookData, root: Path | None) -> Iterator[Finding]:
    """Check each Evidence row's File. Without a folder only the path's form is checked."""
    table = data.tables.get("Evidence")
    if table is None or "File" not in table.columns:
        return
    col = table.column_index("File")
    check_root = root if root is not None else Path("/nonexistent-evidence-root")
    for rec in table.records:
        rel = rec["File"]
        if not rel:
            continue
        try:
            resolve_evidence(check_root, rel)
        except EvidencePathError as exc:
            if root is None and exc.code in ("evidence-missing", "evidence-not-file"):
                continue
            yield finding(exc.code, str(exc), table.actual_name, rec.row, col, value=rel,
                          column="File")
