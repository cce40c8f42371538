"""Per-page content digests: one SHA-256 per page of what the page shows and carries.

A page's digest covers its content streams (decoded), its boxes and rotation, everything its
resources reach (fonts, images, forms — recursively) and its annotations, serialised in a
canonical form that does not depend on object numbers or on how streams are compressed, so a
digest taken before saving equals the one taken from the saved file. References to other pages
(link destinations) become page numbers; back-pointers (/Parent, /P) are left out.

The signature widget is left out too, but only on the signature page, in the signature box
the manifest records: signing adds it after the bundle was made. Any other signature widget
counts like any annotation (a forger's widget may paint over a page). :func:`signature_widgets`
lists them so the verifier can check each belongs to a valid signature.

Scheme 2 (bundles made from this version on; the manifest says ``page_digest_scheme``): every
key of a page is hashed, not only those that draw it (a thumbnail, a transition, page
metadata, viewports); a stream
qpdf cannot decode (JPEG, JPEG 2000, JBIG2, fax) is hashed raw *with* its /Filter and
/DecodeParms (they say how the bytes are shown: a JPEG's colour transform, a JBIG2 page's shared
glyphs), and nesting depth is counted within one object only, so content nested in forms many
levels deep is hashed too (up to :data:`MAX_NESTING` objects deep, beyond what viewers draw).
Scheme 1 is how earlier bundles were hashed; verify uses the scheme the manifest names.
"""

from __future__ import annotations

import hashlib
import io
import os
import sys
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name, Stream

from ..children import Child

SKIP = frozenset({"/Parent", "/P", "/Length", "/Filter", "/DecodeParms"})
SKIP_RAW = frozenset({"/Parent", "/P", "/Length"})  # scheme 2, a stream hashed as its raw bytes
SCHEME = 2  # what this version writes
MAX_NESTING = 500  # indirect objects within one another (viewers stop drawing forms far sooner)
Signature = tuple[int, tuple[float, float, float, float]]  # (page number, rect) from the manifest
PAGE_KEYS = ("/Contents", "/Resources", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox",
             "/ArtBox", "/Rotate", "/Annots", "/Group", "/UserUnit")
INHERITED = frozenset({"/Resources", "/MediaBox", "/CropBox", "/Rotate"})
_PAGE_KEY_SET = frozenset(PAGE_KEYS)
# scheme 2 hashes every other key of a page too (a thumbnail, transitions, tab order, page
# metadata, viewports, actions …) but these: the page tree's back-pointer and its type
_NOT_SHOWN = frozenset({"/Parent", "/Type"})
_NUMBERS = frozenset({int, float, Decimal})
_MAX_DEPTH = 60


class _Hasher:
    """Canonical serialiser with a cache of indirect objects' digests (fonts and images are
    shared by many pages; each is hashed once per bundle)."""

    def __init__(self, pages: dict[tuple[int, int], int], scheme: int = SCHEME,
                 signature: Signature | None = None) -> None:
        self.pages = pages
        self.scheme = scheme
        self.signature = signature
        self.cache: dict[tuple[int, int], bytes] = {}
        self.stack: set[tuple[int, int]] = set()
        self.shared: dict[tuple[int, int], bytes] = {}  # content streams of several pages
        self.parents: dict[tuple[tuple[int, int], str], Any] = {}

    def _inherited(self, parent: Any, key: str) -> Any:
        """What a page without ``key`` inherits from ``parent`` (the same for all its kids)."""
        if not isinstance(parent, Dictionary):
            return None
        ref = (parent.objgen, key)
        if ref not in self.parents:
            self.parents[ref] = _inherited(parent, key)
        return self.parents[ref]

    def page(self, page: Any) -> str:
        h = hashlib.sha256()
        node = page.obj if isinstance(page, pikepdf.Page) else page
        own = set(node.keys())  # one call, not one per key (pages rarely inherit)
        keys = PAGE_KEYS if self.scheme < 2 else (*PAGE_KEYS, *sorted(own - _PAGE_KEY_SET - _NOT_SHOWN))
        for key in keys:
            value = node[key] if key in own else self._inherited(node.get("/Parent"), key) \
                if key in INHERITED else None
            if value is None:
                continue
            if key == "/Contents":
                encoded = self._contents(value)
            elif key == "/Annots":
                encoded = self._annots(value, self.pages.get(node.objgen))
                if encoded == b"[]":  # signing adds /Annots to a page that had none
                    continue
            else:
                encoded = self.value(value, 0)
            h.update(key.encode() + b"=" + encoded + b";")
        return h.hexdigest()

    def _contents(self, value: Any) -> bytes:
        """Content streams as one: splitting or joining streams changes nothing shown."""
        h = hashlib.sha256()
        streams = list(value) if isinstance(value, Array) else [value]
        for stream in streams:
            if isinstance(stream, Stream):
                if stream.is_indirect and stream.objgen in self.shared:
                    h.update(self.shared[stream.objgen])
                else:
                    prefix, data = _stream_data(stream)
                    h.update(prefix)
                    if prefix and self.scheme >= 2:  # how the raw bytes are to be decoded
                        h.update(self._dict(stream.stream_dict, 0, SKIP_RAW))
                    h.update(data)
                    if len(data) < 64 and stream.is_indirect:  # the stamps' shared "q"
                        self.shared[stream.objgen] = prefix + bytes(data)
                h.update(b"\n")
        return b"C" + h.digest()

    def _annots(self, value: Any, number: int | None) -> bytes:
        if not isinstance(value, Array):
            return self.value(value, 0)
        kept = [a for a in value if not self._the_signature(a, number)]
        return b"[" + b" ".join(self.value(a, 0) for a in kept) + b"]"

    def _the_signature(self, annot: Any, number: int | None) -> bool:
        """Whether ``annot`` is the signature widget signing adds: on the manifest's signature
        page, in its box (to half a point)."""
        if self.signature is None or number != self.signature[0] or not is_signature_widget(annot):
            return False
        try:
            rect = [float(v) for v in annot.get("/Rect")]
        except (TypeError, ValueError):
            return False
        return len(rect) == 4 and all(abs(a - b) <= 0.5 for a, b in zip(
            _corners(rect), _corners(list(self.signature[1])), strict=True))

    def value(self, obj: Any, depth: int) -> bytes:
        if type(obj) in _NUMBERS:  # most values: what _scalar gives a number, without its tests
            return b"%r" % float(obj)
        if depth > _MAX_DEPTH:
            return b"<deep>"
        if isinstance(obj, (Dictionary, Stream, Array)) and obj.is_indirect:
            ref = obj.objgen
            if ref in self.pages:
                return b"page:%d" % self.pages[ref]
            if ref in self.cache:
                return self.cache[ref]
            if ref in self.stack:
                return b"<cycle>"
            if self.scheme >= 2 and len(self.stack) >= MAX_NESTING:
                return b"<deep>"
            self.stack.add(ref)
            try:  # scheme 2: depth counts within one object (cycles are caught by the stack)
                inner = 0 if self.scheme >= 2 else depth
                digest = b"#" + hashlib.sha256(self._direct(obj, inner)).digest()
            finally:
                self.stack.discard(ref)
            self.cache[ref] = digest
            return digest
        return self._direct(obj, depth)

    def _direct(self, obj: Any, depth: int) -> bytes:
        if isinstance(obj, Stream):
            prefix, data = _stream_data(obj)
            digest = hashlib.sha256(prefix)
            digest.update(data)
            skip = SKIP_RAW if prefix and self.scheme >= 2 else SKIP
            return b"S" + self._dict(obj.stream_dict, depth, skip) + b"|" + digest.digest()
        if isinstance(obj, Dictionary):
            return self._dict(obj, depth)
        if isinstance(obj, Array):
            return b"[" + b" ".join(self.value(v, depth + 1) for v in obj) + b"]"
        return _scalar(obj)

    def _dict(self, obj: Any, depth: int, skip: frozenset[str] = SKIP) -> bytes:
        parts = []
        for key in sorted(obj.keys()):
            if key in skip:
                continue
            parts.append(key.encode() + b" " + self.value(obj[key], depth + 1))
        return b"<<" + b" ".join(parts) + b">>"


def _corners(rect: list[float]) -> tuple[float, float, float, float]:
    """A rectangle as (left, bottom, right, top), whichever corners it was given by."""
    return min(rect[0], rect[2]), min(rect[1], rect[3]), max(rect[0], rect[2]), max(rect[1], rect[3])


def _scalar(obj: Any) -> bytes:
    if isinstance(obj, Name):
        return b"N" + str(obj).encode()
    if isinstance(obj, pikepdf.String):
        return b"T" + bytes(obj).hex().encode()
    if isinstance(obj, bool):
        return b"true" if obj else b"false"
    if obj is None:
        return b"null"
    try:
        return b"%r" % float(obj)
    except (TypeError, ValueError):
        return repr(obj).encode(errors="replace")


def _stream_data(stream: Stream) -> tuple[bytes, Any]:
    """(prefix, data): the decoded data where qpdf can decode it (so recompression changes
    nothing), else ``raw:`` and the raw data; qpdf's own buffer, not a copy into bytes (scans
    hash in less than half the time)."""
    try:
        return b"", stream.get_stream_buffer()
    except pikepdf.PdfError:
        return b"raw:", stream.get_raw_stream_buffer()


def _inherited(node: Any, key: str) -> Any:
    seen = 0
    while node is not None and seen < 64:
        if key in node:
            return node[key]
        if key not in INHERITED:
            return None
        node, seen = node.get("/Parent"), seen + 1
    return None


def is_signature_widget(annot: Any) -> bool:
    try:
        if not isinstance(annot, Dictionary) or annot.get("/Subtype") != Name.Widget:
            return False
        field: Any = annot
        hops = 0
        while field is not None and hops < 32:
            if field.get("/FT") == Name.Sig:
                return True
            field, hops = field.get("/Parent"), hops + 1
    except (pikepdf.PdfError, TypeError, ValueError):
        return False
    return False


def canonical_hasher() -> Callable[[Any], bytes]:
    """A function giving a digest of an object and everything it reaches, independent of
    object numbers (one cache for all its calls: shared objects are hashed once)."""
    hasher = _Hasher({})
    return lambda obj: hasher.value(obj, 0)


# From this many pages, or this many bytes of file (scans: a few hundred pages of large
# images), the second half is hashed in a forked child beside the first (the machine's second
# core); below both, starting the child costs more than it saves.
SPLIT_PAGES = 400
SPLIT_BYTES = 64 * 2**20


def page_digests(pdf: pikepdf.Pdf, first: int = 1, scheme: int = SCHEME,
                 signature: Signature | None = None) -> list[str]:
    """The digest of every page, in page order; ``first`` is the number of the file's first
    page (a volume of a split bundle: links to its pages are hashed by their numbers in the
    whole bundle); ``scheme`` and ``signature`` (page number and box) as the manifest gives
    them. A large file's pages are hashed in two halves at once, the second in a
    forked child (the same digests: the child hashes the same objects, from a copy of this
    process); if the child cannot start or fails, they are hashed here."""
    count = len(pdf.pages)
    half = count // 2
    how = (first, scheme, signature)
    if count < 2 or (count < SPLIT_PAGES and _input_size(pdf) < SPLIT_BYTES) or not _forkable(pdf):
        return _digests(pdf, how, 0, count)
    position = _input_position(pdf)
    try:
        child = Child(_second_half, pdf, position, how, half, count)
    except OSError:  # no process to be had: one core's worth
        return _digests(pdf, how, 0, count)
    try:
        start = time.perf_counter()
        mine = _digests(pdf, how, 0, half)
        # the child does as much work as this process just did: it is waited for a good while
        result = child.result(max(60.0, 10 * (time.perf_counter() - start)))
    finally:
        child.close()
    if result.ok and isinstance(result.value, list) and len(result.value) == count - half:
        return mine + result.value
    return mine + _digests(pdf, how, half, count)


How = tuple[int, int, "Signature | None"]  # (first page's number, scheme, signature box)


def _digests(pdf: pikepdf.Pdf, how: How, start: int, stop: int) -> list[str]:
    first, scheme, signature = how
    every = list(pdf.pages)  # (indexing pdf.pages walks the page tree each time)
    hasher = _Hasher({page.obj.objgen: number for number, page in enumerate(every, start=first)},
                     scheme, signature)
    limit = sys.getrecursionlimit()  # forms nested MAX_NESTING deep: a few frames each
    sys.setrecursionlimit(max(limit, 12 * MAX_NESTING + 1000))
    try:
        return [hasher.page(page) for page in every[start:stop]]
    finally:
        sys.setrecursionlimit(limit)


_UNKNOWN = object()


def _input(pdf: pikepdf.Pdf) -> Any:
    """What pikepdf reads ``pdf`` from: a file object, a BytesIO, None (a copy in memory), or
    _UNKNOWN when this pikepdf does not say (``_input_stream``)."""
    return getattr(pdf, "_input_stream", _UNKNOWN)


def _fileno(stream: Any) -> int | None:
    if stream is None or stream is _UNKNOWN or isinstance(stream, io.BytesIO):
        return None
    try:
        return int(stream.fileno())
    except (AttributeError, OSError, ValueError):
        return None


def _forkable(pdf: pikepdf.Pdf) -> bool:
    """Whether a forked child can read ``pdf``'s objects: from memory or a mapped file it can;
    from a file it reads on its own once given its own file offset (see :func:`_second_half`).
    A pikepdf that does not say what it reads from: not forked."""
    stream = _input(pdf)
    return stream is None or isinstance(stream, io.BytesIO) or _fileno(stream) is not None


def _input_size(pdf: pikepdf.Pdf) -> int:
    """The size of the file ``pdf`` was opened from (0 when not known)."""
    stream = _input(pdf)
    if isinstance(stream, io.BytesIO):
        return stream.getbuffer().nbytes
    fd = _fileno(stream)
    return os.fstat(fd).st_size if fd is not None else 0


def _input_position(pdf: pikepdf.Pdf) -> int | None:
    """The offset of the file ``pdf`` reads from (taken before forking: the child's own copy of
    the file must start where this process's buffered reader believes it is)."""
    fd = _fileno(_input(pdf))
    return os.lseek(fd, 0, os.SEEK_CUR) if fd is not None else None


def _second_half(pdf: pikepdf.Pdf, position: int | None, how: How, start: int,
                 stop: int) -> list[str]:
    """In the child: give the input file its own offset (a forked child shares the parent's,
    and the two would move each other's reads), then hash pages ``start``…``stop``."""
    fd = _fileno(_input(pdf))
    if position is not None and fd is not None:
        own = os.open(f"/proc/self/fd/{fd}", os.O_RDONLY)
        try:
            os.lseek(own, position, os.SEEK_SET)
            os.dup2(own, fd)
        finally:
            os.close(own)
    return _digests(pdf, how, start, stop)


def signature_widgets(pdf: pikepdf.Pdf) -> list[tuple[int, str]]:
    """(page number, field name) of every signature widget on a page."""
    found = []
    for number, page in enumerate(pdf.pages, start=1):
        annots = page.obj.get("/Annots")
        if not isinstance(annots, Array):
            continue
        for annot in annots:
            if is_signature_widget(annot):
                parent = annot.get("/Parent")
                name = annot.get("/T") or (parent.get("/T") if isinstance(parent, Dictionary) else "")
                found.append((number, str(name or "")))
    return found
