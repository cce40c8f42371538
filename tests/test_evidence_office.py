"""LibreOffice without network or outside files, PDF/A, limits that fit the documents, and a
conversion that survives a killed soffice (pipeline/office.py)."""

from __future__ import annotations

import contextlib
import http.server
import os
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pikepdf
import pytest

from pipeline import office
from pipeline.office import ConversionFailure

from . import office_files as make


class _Counter(http.server.BaseHTTPRequestHandler):
    hits: list[str] = []  # noqa: RUF012  (shared by the server's handler instances)

    def do_GET(self) -> None:
        _Counter.hits.append(self.path)
        body = make.png_bytes("blue")
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_OPTIONS(self) -> None:
        _Counter.hits.append(self.path)
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    """An HTTP server on loopback that counts requests."""
    _Counter.hits = []
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counter)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def images_in(pdf_path: Path) -> int:
    with pikepdf.open(pdf_path) as pdf:
        return sum(len(page.get_images()) for page in pdf.pages)


def test_without_protection_libreoffice_would_fetch(server: str, tmp_path: Path) -> None:
    """The control experiment: the same document in a default profile fetches the image, so
    the tests below would notice if our settings stopped working."""
    import subprocess

    doc = make.write(tmp_path / "ev" / "linked.docx", make.linked_docx([f"{server}/remote.png"]))
    subprocess.run([office.find_soffice(), f"-env:UserInstallation={(tmp_path / 'p').as_uri()}",
                    "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path / "out"), str(doc)],
                   capture_output=True, timeout=120, check=True)
    assert _Counter.hits and images_in(tmp_path / "out" / "linked.pdf") == 1


@pytest.mark.parametrize("isolate", [False, True], ids=["profile-only", "all-layers"])
def test_linked_http_and_outside_file_images_are_not_loaded(server: str, tmp_path: Path,
                                                              isolate: bool) -> None:
    secret = make.write(tmp_path / "private" / "secret.png", make.png_bytes("red"))
    evidence = tmp_path / "evidence"
    docx = make.write(evidence / "linked.docx",
                      make.linked_docx([f"{server}/remote.png", secret.as_uri()]))
    odt = make.write(evidence / "linked-odt.odt", make.linked_odt(f"{server}/odt.png"))
    results = office.convert_batch([docx, odt], tmp_path / "out", readable_root=evidence,
                                   isolate=isolate)
    assert isinstance(results[docx], Path) and isinstance(results[odt], Path)
    assert _Counter.hits == []  # nothing was requested
    assert images_in(results[docx]) == 0 and images_in(results[odt]) == 0  # nothing was embedded
    if isolate and office.protection().network:
        assert results.protection.network and "no network" in results.protection.describe()


def test_outside_references_are_named() -> None:
    docx = make.linked_docx(["http://example.invalid/a.png", "file:///etc/secret.png"])
    odt = make.linked_odt("../outside/b.png")
    folder = Path(os.environ.get("TMPDIR", "/tmp"))
    with contextlib.ExitStack() as stack:
        paths = []
        for name, data in (("r.docx", docx), ("r.odt", odt), ("plain.docx", make.docx_bytes(["x"]))):
            path = folder / f"isms-test-{os.getpid()}-{name}"
            path.write_bytes(data)
            stack.callback(path.unlink)
            paths.append(path)
        assert office.outside_references(paths[0]) == ["file:///etc/secret.png",
                                                       "http://example.invalid/a.png"]
        assert office.outside_references(paths[1]) == ["../outside/b.png"]
        assert office.outside_references(paths[2]) == []


def test_rtf_include_picture_is_an_outside_reference(tmp_path: Path) -> None:
    field = rb'{\field{\*\fldinst INCLUDEPICTURE "http://x.invalid/p.png" \\d}}'
    rtf = make.write(tmp_path / "a.rtf", rb"{\rtf1 " + field + b"}")
    assert office.outside_references(rtf) == ["http://x.invalid/p.png"]


def test_pdfa_selects_pdfa_2b(tmp_path: Path) -> None:
    doc = make.write(tmp_path / "in" / "agenda.docx", make.docx_bytes(["Agenda"]))
    results = office.convert_batch([doc], tmp_path / "out", pdfa=True)
    result = results[doc]
    assert isinstance(result, Path)
    with pikepdf.open(result) as pdf:
        assert pdf.open_metadata().pdfa_status == "2B"


def test_a_document_libreoffice_cannot_load_says_what_libreoffice_printed(tmp_path: Path) -> None:
    good = make.write(tmp_path / "in" / "good.docx", make.docx_bytes(["fine"]))
    bad = make.write(tmp_path / "in" / "bad.docx", b"PK\x03\x04 this is not a real document")
    results = office.convert_batch([bad, good], tmp_path / "out")
    assert isinstance(results[good], Path)
    failure = results[bad]
    assert isinstance(failure, ConversionFailure)
    assert "made no PDF" in failure.reason and failure.attempts == 1  # not a dead soffice: no retry
    assert "LibreOffice printed:" in str(failure) and failure.output


def test_time_limit_fits_the_documents(tmp_path: Path) -> None:
    docs = [make.write(tmp_path / f"d{n}.docx", make.docx_bytes(["short"])) for n in range(3)]
    limit = office.time_limit(docs)
    assert 35 <= limit < 60  # three small documents: well under the old flat 300 s
    big = make.write(tmp_path / "big.docx", make.long_docx(200))
    assert office.time_limit([big]) > office.time_limit(docs[:1])


def test_timeout_kills_the_run_and_names_the_limit(tmp_path: Path) -> None:
    docs = [make.write(tmp_path / "in" / f"d{n}.docx", make.long_docx(40)) for n in range(2)]
    started = time.monotonic()
    results = office.convert_batch(docs, tmp_path / "out", timeout=0.5)
    assert time.monotonic() - started < 30
    first = results[docs[0]]
    assert isinstance(first, ConversionFailure)
    assert "within 0 s (the limit given)" in first.reason and "stopped" in first.reason
    assert not _soffice_processes("isms-review-lo-")


def _soffice_processes(marker: str) -> list[int]:
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            cmdline = (proc / "cmdline").read_bytes()
            if b"soffice.bin" in cmdline and marker.encode() in cmdline:
                found.append(int(proc.name))
    return found


def _kill_soffice_when_busy(outdir: Path, kills: list[int], times: int, stop: threading.Event) -> None:
    """Kill soffice.bin (SIGKILL, as an OOM killer would) once it is converting: after its
    first PDF appeared, or after it ran a second. ``times`` kills at most."""
    seen: dict[int, float] = {}
    while not stop.is_set() and len(kills) < times:
        for pid in _soffice_processes("isms-review-lo-"):
            if pid in kills:
                continue
            first = seen.setdefault(pid, time.monotonic())
            if list(outdir.glob("*.pdf")) or time.monotonic() - first > 1.0:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
                kills.append(pid)
        time.sleep(0.02)


def _convert_killing(tmp_path: Path, documents: int, times: int) -> tuple[Any, list[int]]:
    """Convert ``documents`` long DOCX files while soffice is killed ``times`` times."""
    docs = [make.write(tmp_path / "in" / f"doc{n}.docx", make.long_docx(15)) for n in range(documents)]
    out = tmp_path / "out"
    kills: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_soffice_when_busy, args=(out, kills, times, stop))
    killer.start()
    try:
        return office.convert_batch(docs, out), kills
    finally:
        stop.set()
        killer.join()


def test_soffice_killed_mid_conversion_is_retried_with_a_fresh_profile(tmp_path: Path) -> None:
    results, kills = _convert_killing(tmp_path, 6, 1)
    docs = sorted((tmp_path / "in").glob("*.docx"))
    assert len(kills) == 1
    assert all(isinstance(results[d], Path) for d in docs), results
    assert results.starts == 2


def test_soffice_that_keeps_dying_is_reported_with_its_output(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office, "MAX_ATTEMPTS", 2)
    results, _ = _convert_killing(tmp_path, 4, 2)
    failures = [r for r in results.values() if isinstance(r, ConversionFailure)]
    assert failures and results.starts == 2
    assert all("stopped unexpectedly" in f.reason and f.attempts == 2 for f in failures)


def test_missing_libreoffice_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(office.shutil, "which", lambda name: None)
    monkeypatch.setattr(office, "SOFFICE_PATHS", ())
    doc = make.write(tmp_path / "a.docx", make.docx_bytes(["x"]))
    with pytest.raises(office.ConversionError, match="apt-get install"):
        office.convert_batch([doc], tmp_path / "out")
