"""The one place that runs LibreOffice: DOCX/XLSX/ODT → PDF, a batch per start.
profile, a timeout that kills the whole process group, and results checked (soffice exits 0
even when it could not load a file)."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError

from .errors import UserError

CONVERT_TIMEOUT = 300  # seconds for one batch
INSTALL_HINT = ("install LibreOffice Writer (Debian/Ubuntu: sudo apt-get install "
                "libreoffice-writer-nogui fonts-crosextra-carlito; or run `make setup`)")


SOFFICE_PATHS = ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice",
                 "/Applications/LibreOffice.app/Contents/MacOS/soffice")


class ConversionError(UserError):
    """LibreOffice is missing, timed out, or made no usable PDF."""


def find_soffice() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for path in SOFFICE_PATHS:
        if os.access(path, os.X_OK):
            return path
    raise ConversionError(f"LibreOffice is needed to make PDFs but was not found; {INSTALL_HINT}.")


def convert_to_pdf(documents: list[Path], outdir: Path, timeout: float = CONVERT_TIMEOUT) -> list[Path]:
    """Convert ``documents`` into ``outdir``; return the PDFs in the same order, or raise
    :class:`ConversionError` naming the first document that failed."""
    results = convert_batch(documents, outdir, timeout)
    for doc in documents:
        if isinstance(results[doc], str):
            raise ConversionError(f"{doc.name}: {results[doc]}")
    return [results[doc] for doc in documents]  # type: ignore[misc]


def convert_batch(documents: list[Path], outdir: Path,
                  timeout: float = CONVERT_TIMEOUT) -> dict[Path, Path | str]:
    """One LibreOffice run for all ``documents``: each → its PDF, or why there is none."""
    soffice = find_soffice()
    with tempfile.TemporaryDirectory(prefix="isms-review-lo-") as profile:
        command = [soffice, f"-env:UserInstallation={Path(profile).as_uri()}", "--headless",
                   "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                   "--convert-to", "pdf", "--outdir", str(outdir), *map(str, documents)]
        env = {**os.environ, "HOME": profile}
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   start_new_session=True, env=env)
        try:
            _, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise ConversionError(f"LibreOffice did not finish converting {len(documents)} "
                                  f"document(s) within {timeout:.0f} s; it was stopped. Try "
                                  "again, or check that no other LibreOffice is hanging.") from None
        finally:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)  # leave no soffice.bin behind
    detail = err.decode(errors="replace").strip().splitlines()[-1:] if err else []
    results: dict[Path, Path | str] = {}
    for doc in documents:
        pdf = outdir / f"{doc.stem}.pdf"
        if not pdf.is_file():
            results[doc] = ("LibreOffice made no PDF" + (f" ({detail[0]})" if detail else "")
                            + "; open the file in Word or LibreOffice to check it")
            continue
        try:
            if len(PdfReader(pdf).pages) == 0:
                results[doc] = "LibreOffice made an empty PDF"
                continue
        except PdfReadError as exc:
            results[doc] = f"LibreOffice made an unreadable PDF ({exc})"
            continue
        results[doc] = pdf
    return results
