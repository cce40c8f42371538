"""A minimal PDF writer that streams: stream data is copied from a file (or produced in
chunks) straight into the output, so a PDF around a 3 GB file costs kilobytes of memory. The
result is opened with pikepdf and its objects copied into the bundle; qpdf reads the stream
data from disk only when the bundle is written."""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

CHUNK = 1 << 20
Chunks = Callable[[], Iterable[bytes]]


def file_chunks(path: Path, chunk: int = CHUNK) -> Chunks:
    def read() -> Iterable[bytes]:
        with path.open("rb") as fh:
            while block := fh.read(chunk):
                yield block
    return read


def deflated(chunks: Chunks, level: int = 6) -> Chunks:
    def compress() -> Iterable[bytes]:
        packer = zlib.compressobj(level)
        for block in chunks():
            out = packer.compress(block)
            if out:
                yield out
        yield packer.flush()
    return compress


class RawPdf:
    """Objects are numbered from 1 in the order added; object 1 must be the catalog."""

    def __init__(self) -> None:
        self._objects: list[tuple[bytes, Chunks | None]] = []

    def add(self, dictionary: bytes, stream: Chunks | None = None) -> int:
        self._objects.append((dictionary, stream))
        return len(self._objects)

    def set(self, number: int, dictionary: bytes) -> None:
        """Fill in an object added earlier as a placeholder (e.g. /Pages, once the kids are known)."""
        self._objects[number - 1] = (dictionary, None)

    def write(self, path: Path) -> None:
        with path.open("wb") as fh:
            fh.write(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
            offsets = [self._write_object(fh, n, d, s) for n, (d, s) in enumerate(self._objects, 1)]
            xref = fh.tell()
            fh.write(f"xref\n0 {len(offsets) + 1}\n0000000000 65535 f \n".encode())
            fh.write(b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets))
            fh.write(f"trailer\n<< /Size {len(offsets) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n"
                     .encode())

    @staticmethod
    def _write_object(fh: BinaryIO, number: int, dictionary: bytes, stream: Chunks | None) -> int:
        offset = fh.tell()
        fh.write(f"{number} 0 obj\n".encode())
        if stream is None:
            fh.write(dictionary + b"\nendobj\n")
            return offset
        # the length is only known afterwards: an indirect /Length object would do, but writing
        # the data first to learn it is simpler; patch a fixed-width placeholder instead
        head = dictionary.rstrip()
        assert head.endswith(b">>")
        fh.write(head[:-2] + b" /Length ")
        length_at = fh.tell()
        fh.write(b"0" * 20 + b" >>\nstream\n")
        start = fh.tell()
        for block in stream():
            fh.write(block)
        end = fh.tell()
        fh.write(b"\nendstream\nendobj\n")
        after = fh.tell()
        fh.seek(length_at)
        fh.write(f"{end - start:020d}".encode())
        fh.seek(after)
        return offset


def name_literal(text: str) -> bytes:
    """A PDF literal string, UTF-16BE with BOM when not ASCII."""
    if text.isascii():
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("ascii") + b")"
    return b"<feff" + text.encode("utf-16-be").hex().encode() + b">"
