"""Optional OCR (``--ocr``): OCRmyPDF with ``--skip-text`` adds a text layer to pages that have
none, leaving pages with text alone. Needs the ``ocrmypdf`` command and Tesseract."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import UserError

HINT = ("install them (Debian/Ubuntu: sudo apt-get install ocrmypdf tesseract-ocr), or bundle "
        "without --ocr: pages without a text layer are then listed on the cover and in the manifest")
SECONDS_PER_PAGE = 60


def check_available() -> None:
    """Raise a UserError naming what is missing when --ocr cannot work here."""
    missing = [name for name in ("ocrmypdf", "tesseract") if shutil.which(name) is None]
    if missing:
        raise UserError(f"--ocr needs {' and '.join(missing)}, which {'is' if len(missing) == 1 else 'are'} "
                        f"not installed; {HINT}.")


def add_text_layer(source: Path, out: Path, rel: str, pages: int = 1) -> Path | None:
    """``out`` with a text layer, or None when OCRmyPDF could not add one (the file is then
    bundled without it, listed as having pages without text)."""
    command = ["ocrmypdf", "--skip-text", "--output-type", "pdf", "--quiet", str(source), str(out)]
    try:
        done = subprocess.run(command, capture_output=True, timeout=SECONDS_PER_PAGE * max(pages, 1) + 60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return out if done.returncode == 0 and out.is_file() else None
