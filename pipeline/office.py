"""The one place that runs LibreOffice: Office documents → PDF, for the meeting documents and
for Office evidence alike.

Each batch runs in one LibreOffice start with a private, throwaway profile whose settings block
linked (remote or ``file://``) content and macros. Where the system allows it, LibreOffice also
runs without network (its own network namespace) and sees only the system folders, the input
folder (read-only) and the output folder (a private mount namespace and ``chroot``); which of
these protections was in force is recorded in :attr:`Conversions.protection`.

A run is bounded in time by a limit that fits the documents (size and count, not a flat five
minutes); on expiry the whole process group is killed. A LibreOffice that dies (killed by an
out-of-memory killer or an operator) is started again with a fresh profile for the documents it
had not converted yet, a bounded number of times, before a failure is reported; every failure
carries what LibreOffice printed.
"""

from __future__ import annotations

import contextlib
import functools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import time
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import UserError

INSTALL_HINT = ("install LibreOffice Writer (Debian/Ubuntu: sudo apt-get install "
                "libreoffice-writer-nogui fonts-crosextra-carlito; or run `make setup`)")
SOFFICE_PATHS = ("/usr/lib/libreoffice/program/soffice", "/opt/libreoffice/program/soffice",
                 "/Applications/LibreOffice.app/Contents/MacOS/soffice")
PDFA_FILTER = 'pdf:writer_pdf_Export:{"SelectPdfVersion":{"type":"long","value":"2"}}'
MAX_ATTEMPTS = 3  # starts of LibreOffice for one batch, when it dies
# The time limit of one LibreOffice run: a start-up allowance, then per document and per MB of
# document content (uncompressed, for the zipped formats). A pack that converts in 3 s is
# allowed under a minute, not 300 s.
START_SECONDS, PER_DOCUMENT_SECONDS, PER_MB_SECONDS = 15.0, 8.0, 5.0
LIMIT_RULE = (f"{START_SECONDS:.0f} s + {PER_DOCUMENT_SECONDS:.0f} s per document + "
              f"{PER_MB_SECONDS:.0f} s per MB of document content")

# Profile settings (registrymodifications.xcu). Checked on LibreOffice 7.4: with
# BlockUntrustedRefererLinks a linked http:// image is not requested and a file:// image is not
# read (tests/test_evidence_office.py); links are never updated on load; macros never run;
# spreadsheets are never recalculated on load (WEBSERVICE() and external references would fetch).
PROFILE_SETTINGS = (
    ("/org.openoffice.Office.Common/Security/Scripting", "BlockUntrustedRefererLinks", "true"),
    ("/org.openoffice.Office.Common/Security/Scripting", "DisableMacrosExecution", "true"),
    ("/org.openoffice.Office.Common/Security/Scripting", "MacroSecurityLevel", "3"),
    ("/org.openoffice.Office.Writer/Content/Update", "Link", "0"),
    ("/org.openoffice.Office.Calc/Content/Update", "Link", "0"),
    ("/org.openoffice.Office.Impress/Content/Update", "Link", "0"),
    ("/org.openoffice.Office.Calc/Formula/Load", "OOXMLRecalcMode", "1"),
    ("/org.openoffice.Office.Calc/Formula/Load", "ODFRecalcMode", "1"),
    ("/org.openoffice.Office.Common/Misc", "UseLocking", "false"),
)
NOISE = ("failed to launch javaldx", "using filter :")

# Builds a private root: system folders read-only, then each "ro|rw PATH" pair bound at its own
# path, then runs the command chrooted into it. Run by `unshare -rmn` (or `-mn` as root).
SANDBOX_SCRIPT = r"""
set -e
root=$1; shift
mount -t tmpfs -o size=64m,mode=755 tmpfs "$root"
for d in /usr /bin /sbin /lib /lib32 /lib64 /libx32 /etc /opt /var/cache/fontconfig; do
  [ -e "$d" ] || continue
  if [ -L "$d" ]; then ln -s "$(readlink "$d")" "$root$d"; continue; fi
  mkdir -p "$root$d"; mount --rbind "$d" "$root$d"
  mount -o remount,bind,ro "$root$d" 2>/dev/null || true
done
mkdir -p "$root/dev" "$root/proc" "$root/tmp"
mount --rbind /dev "$root/dev"
mount --rbind /proc "$root/proc"
while [ "$1" != "--" ]; do
  mode=$1; path=$2; shift 2
  mkdir -p "$root$path"; mount --bind "$path" "$root$path"
  if [ "$mode" = ro ]; then mount -o remount,bind,ro "$root$path" 2>/dev/null || true; fi
done
shift
exec chroot "$root" "$@"
"""


class ConversionError(UserError):
    """LibreOffice is missing, or a document could not be converted."""


@dataclass(frozen=True)
class ConversionFailure:
    """Why ``file`` has no PDF: ``reason`` for the user, ``output`` what LibreOffice printed."""

    file: Path
    reason: str
    output: str = ""
    attempts: int = 1

    def __str__(self) -> str:
        said = f" LibreOffice printed: {self.output}" if self.output else ""
        return f"{self.reason}{said}"


@dataclass(frozen=True)
class Protection:
    """What kept LibreOffice from reaching outside during a conversion."""

    profile: bool = True  # linked content, link updates and macros blocked in the profile
    network: bool = False  # own network namespace: no network at all
    files: bool = False  # private root: only the input and output folders visible

    def describe(self) -> str:
        parts = ["linked content, link updates and macros blocked in a throwaway profile"]
        parts.append("no network (own network namespace)" if self.network
                     else "network NOT isolated (unshare unavailable)")
        parts.append("only the input folder readable" if self.files
                     else "other files NOT hidden (no private mount namespace)")
        return "; ".join(parts)


class Conversions(dict[Path, "Path | ConversionFailure"]):
    """The per-file results of :func:`convert_batch`, with the protection that was in force
    and how many LibreOffice starts it took."""

    def __init__(self, protection: Protection) -> None:
        super().__init__()
        self.protection = protection
        self.starts = 0


def find_soffice() -> str:
    for name in ("soffice", "libreoffice"):
        found = shutil.which(name)
        if found:
            return found
    for path in SOFFICE_PATHS:
        if os.access(path, os.X_OK):
            return path
    raise ConversionError(f"LibreOffice is needed to make PDFs but was not found; {INSTALL_HINT}.")


# --------------------------------------------------------------------------- isolation


@functools.cache
def _launcher() -> tuple[tuple[str, ...], Protection]:
    """The command prefix giving the strongest isolation this system allows."""
    unshare = shutil.which("unshare")
    if unshare is None or os.name != "posix":
        return (), Protection()
    root_user = os.geteuid() == 0
    candidates = [(unshare, "-rmn"), *([(unshare, "-mn")] if root_user else [])]
    with tempfile.TemporaryDirectory(prefix="isms-review-probe-") as probe:
        for prefix in candidates:
            command = [*prefix, "sh", "-c", SANDBOX_SCRIPT, "sh", probe, "--", "/bin/true"]
            if _runs(command):
                return (*prefix, "sh", "-c", SANDBOX_SCRIPT, "sh"), Protection(network=True, files=True)
    for flags in ("-rn", *(["-n"] if root_user else [])):
        if _runs([unshare, flags, "true"]):
            return (unshare, flags), Protection(network=True)
    return (), Protection()


def _runs(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def protection() -> Protection:
    """The protection conversions get on this system (detected once)."""
    return _launcher()[1]


def _profile(folder: Path) -> None:
    items = "".join(f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}'
                    "</value></prop></item>\n" for path, name, value in PROFILE_SETTINGS)
    (folder / "user").mkdir(parents=True)
    (folder / "tmp").mkdir()
    (folder / "user" / "registrymodifications.xcu").write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<oor:items xmlns:oor="http://openoffice.org/2001/'
        'registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/'
        f'XMLSchema-instance">\n{items}</oor:items>\n', "utf-8")


# ------------------------------------------------------------------------------ limits


def content_bytes(path: Path) -> int:
    """The size LibreOffice has to process: uncompressed for zipped formats (capped, so a zip
    bomb cannot claim an absurd limit), the file size otherwise."""
    size = path.stat().st_size
    if zipfile.is_zipfile(path):
        with contextlib.suppress(zipfile.BadZipFile, OSError), zipfile.ZipFile(path) as archive:
            return min(sum(i.file_size for i in archive.infolist()), 50 * size + 1_000_000)
    return size


def time_limit(files: Sequence[Path]) -> float:
    megabytes = sum(content_bytes(f) for f in files) / 1e6
    return START_SECONDS + PER_DOCUMENT_SECONDS * len(files) + PER_MB_SECONDS * megabytes


# ---------------------------------------------------------------------------- converting


def convert_batch(files: Sequence[Path], outdir: Path, *, pdfa: bool = False,
                  readable_root: Path | None = None, timeout: float | None = None,
                  isolate: bool = True) -> Conversions:
    """Convert every file into ``outdir`` (``<stem>.pdf``; stems must be distinct) in one
    LibreOffice start; return each file's PDF or :class:`ConversionFailure`.

    ``readable_root``: the only folder (besides the system's) LibreOffice may read, where the
    system allows a private mount namespace; default: the folders holding ``files``.
    ``timeout``: seconds for one run, instead of the limit computed from the documents.
    ``isolate=False`` uses the profile settings only (for tests of each layer)."""
    files = [Path(f) for f in files]
    prefix, guard = _launcher() if isolate else ((), Protection())
    results = Conversions(guard)
    if not files:
        return results
    stems = [f.stem for f in files]
    if len(set(stems)) != len(stems):
        raise ValueError("convert_batch needs distinct file stems")
    if readable_root is not None:
        root = readable_root.resolve()
        outside = [f for f in files if not f.resolve().is_relative_to(root)]
        if outside:
            raise ValueError(f"{outside[0]} is not inside {readable_root}")
    soffice = find_soffice()
    outdir.mkdir(parents=True, exist_ok=True)
    pending = list(files)
    attempt = 0
    while pending:
        attempt += 1
        limit = timeout if timeout is not None else time_limit(pending)
        run = _run_once(soffice, prefix, pending, outdir, pdfa, readable_root, limit)
        results.starts += 1
        retry: list[Path] = []
        for doc in pending:
            pdf = outdir / f"{doc.stem}.pdf"
            problem = _check_pdf(pdf)
            if problem is None:
                results[doc] = pdf
                continue
            if run.timed_out and doc == _first_missing(pending, outdir):
                rule = "the limit given" if timeout is not None else f"the limit for {len(pending)} " \
                    f"document(s) of {sum(content_bytes(f) for f in pending) / 1e6:.1f} MB: {LIMIT_RULE}"
                results[doc] = ConversionFailure(doc, f"LibreOffice did not finish converting it "
                                                 f"within {limit:.0f} s ({rule}); it was stopped. "
                                                 "Split the document or save it as PDF yourself",
                                                 run.output, attempt)
            elif (run.died or run.timed_out) and attempt < MAX_ATTEMPTS:
                retry.append(doc)
            elif run.timed_out:
                results[doc] = ConversionFailure(
                    doc, f"not converted: LibreOffice ran out of time {attempt} time(s) on other "
                    "documents of the batch; convert them separately", run.output, attempt)
            elif run.died:
                results[doc] = ConversionFailure(
                    doc, f"LibreOffice stopped unexpectedly ({run.how}) {attempt} time(s) and made no "
                    "PDF; check the machine's memory, then try again", run.output, attempt)
            else:
                results[doc] = ConversionFailure(
                    doc, f"LibreOffice {problem}; open the file in Word or LibreOffice to check it, "
                    "or save it as PDF yourself", run.output, attempt)
        pending = retry
    return results


@dataclass
class _Run:
    returncode: int
    output: str
    timed_out: bool

    @property
    def died(self) -> bool:
        return self.returncode != 0 and not self.timed_out

    @property
    def how(self) -> str:
        if self.returncode < 0:
            with contextlib.suppress(ValueError):
                return f"killed by {signal.Signals(-self.returncode).name}"
        return f"exit status {self.returncode}"


def _run_once(soffice: str, prefix: tuple[str, ...], files: list[Path], outdir: Path, pdfa: bool,
              readable_root: Path | None, limit: float) -> _Run:
    with tempfile.TemporaryDirectory(prefix="isms-review-lo-") as tmp:
        profile = Path(tmp)
        _profile(profile)
        command = [soffice, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                   "--norestore", "--nologo", "--nodefault", "--nolockcheck", "--nofirststartwizard",
                   "--convert-to", PDFA_FILTER if pdfa else "pdf", "--outdir", str(outdir.resolve()),
                   *(str(f.resolve()) for f in files)]
        env = {**os.environ, "HOME": str(profile), "TMPDIR": str(profile / "tmp")}
        if prefix and "-c" in prefix:  # the private root: bind what LibreOffice needs
            readable = [readable_root.resolve()] if readable_root is not None else \
                sorted({f.resolve().parent for f in files})
            binds = [x for r in readable for x in ("ro", str(r))]
            binds += ["rw", str(outdir.resolve()), "rw", str(profile)]
            root = profile / "root"
            root.mkdir()
            command = [*prefix, str(root), *binds, "--", "/usr/bin/env",
                       *(f"{k}={v}" for k, v in env.items() if k in ("HOME", "TMPDIR", "PATH", "LANG")),
                       *command]
        elif prefix:
            command = [*prefix, *command]
        log = profile / "output.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, start_new_session=True, env=env)
            timed_out = False
            try:
                process.wait(timeout=limit)
            except subprocess.TimeoutExpired:
                timed_out = True
            finally:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)  # leave no soffice.bin behind
                process.wait()
            _reap(profile)
        return _Run(process.returncode, _said(log.read_bytes()), timed_out)


def _reap(profile: Path) -> None:
    """Wait briefly until no process of this profile is left (killpg reaches them all, but
    they take a moment to go)."""
    marker = str(profile).encode()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        alive = False
        for proc in Path("/proc").glob("[0-9]*"):
            with contextlib.suppress(OSError):
                if marker in (proc / "cmdline").read_bytes():
                    alive = True
                    break
        if not alive:
            return
        time.sleep(0.05)


def _said(raw: bytes, limit: int = 400) -> str:
    """What LibreOffice printed, without its routine lines, on one line."""
    lines = [line.strip() for line in raw.decode(errors="replace").splitlines()]
    kept = [line for line in lines if line and not any(n in line for n in NOISE)]
    text = " | ".join(kept)
    return text if len(text) <= limit else "…" + text[-limit:]


def _first_missing(files: list[Path], outdir: Path) -> Path | None:
    return next((f for f in files if _check_pdf(outdir / f"{f.stem}.pdf") is not None), None)


def _check_pdf(pdf: Path) -> str | None:
    """None when ``pdf`` is a PDF with pages, else what is wrong with it."""
    if not pdf.is_file():
        return "made no PDF"
    import pikepdf

    try:
        with pikepdf.open(pdf) as opened:
            if len(opened.pages) == 0:
                return "made an empty PDF"
    except pikepdf.PdfError as exc:
        return f"made an unreadable PDF ({str(exc).splitlines()[0][:80]})"
    return None


def convert_to_pdf(documents: Sequence[Path], outdir: Path, timeout: float | None = None, *,
                   pdfa: bool = False) -> list[Path]:
    """Convert ``documents``; return their PDFs in order, or raise :class:`ConversionError`
    naming the first that failed and what LibreOffice printed."""
    results = convert_batch(documents, outdir, timeout=timeout, pdfa=pdfa)
    for doc in documents:
        result = results[Path(doc)]
        if isinstance(result, ConversionFailure):
            raise ConversionError(f"{Path(doc).name}: {result}")
    return [results[Path(doc)] for doc in documents]  # type: ignore[misc]


# ------------------------------------------------------------------ outside references

_OOXML_LINKED = re.compile(rb'<Relationship\b[^>]*>', re.S)
_ODF_HREF = re.compile(rb'<(draw:image|draw:object|draw:object-ole|text:section-source|'
                       rb'table:table-source|draw:plugin|draw:floating-frame)\b[^>]*?xlink:href="([^"]*)"',
                       re.S)
_RELATIVE_INSIDE = re.compile(r"^(\./)?[A-Za-z0-9_ .-]+(/[A-Za-z0-9_ .-]+)*$")


def outside_references(path: Path) -> list[str]:
    """Targets outside the document itself (linked images and objects, external data, attached
    templates, sub-documents): where LibreOffice would reach out. Hyperlinks are not counted."""
    if not zipfile.is_zipfile(path):
        return _binary_references(path)
    found: list[str] = []
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                name = info.filename
                if info.file_size > 50_000_000:
                    continue
                if name.endswith(".rels"):
                    for rel in _OOXML_LINKED.findall(archive.read(name)):
                        if b'TargetMode="External"' in rel and b"/hyperlink" not in rel:
                            target = re.search(rb'Target="([^"]*)"', rel)
                            if target:
                                found.append(target.group(1).decode(errors="replace"))
                elif name in ("content.xml", "styles.xml"):
                    for _, href in _ODF_HREF.findall(archive.read(name)):
                        text = href.decode(errors="replace")
                        if not _RELATIVE_INSIDE.match(text) or text.startswith(".."):
                            found.append(text)
    except (zipfile.BadZipFile, OSError, KeyError):
        return []
    return sorted(set(found))


def _binary_references(path: Path) -> list[str]:
    """RTF and old binary Word files: INCLUDEPICTURE / INCLUDETEXT fields (read in chunks)."""
    found: set[str] = set()
    pattern = re.compile(rb"INCLUDE(?:PICTURE|TEXT)\s+(?:\\\\[a-z]\s+)*\"?([^\"\\}\s]+)")
    with path.open("rb") as fh:
        tail = b""
        while chunk := fh.read(1 << 20):
            block = tail + chunk
            found.update(m.group(1).decode(errors="replace") for m in pattern.finditer(block))
            tail = block[-512:]
    return sorted(found)


def describe_references(refs: list[str], limit: int = 3) -> str:
    shown = ", ".join(refs[:limit]) + (f" and {len(refs) - limit} more" if len(refs) > limit else "")
    return shown


__all__ = ["MAX_ATTEMPTS", "ConversionError", "ConversionFailure", "Conversions", "Protection",
           "content_bytes", "convert_batch", "convert_to_pdf", "describe_references",
           "find_soffice", "outside_references", "protection", "time_limit"]
