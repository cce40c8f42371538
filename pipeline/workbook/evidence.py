"""Evidence paths from the workbook: relative, inside the evidence folder, never followed out.

``resolve_evidence`` is the one gate every stage uses before it touches an evidence file.
"""

from __future__ import annotations

import re
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
    target = (base / text).resolve()
    if not target.is_relative_to(base):
        raise EvidencePathError("evidence-outside", f"'{relative}' leads outside the evidence "
                                "folder (through a link); copy the file into the folder instead.")
    if not target.exists():
        raise EvidencePathError("evidence-missing", f"'{relative}' is not in the evidence folder "
                                f"{root}; add the file or correct the path (names are "
                                "case-sensitive).")
    if not target.is_file():
        raise EvidencePathError("evidence-not-file", f"'{relative}' is a folder; name a file.")
    return target


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
