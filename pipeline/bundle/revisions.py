"""The revisions of a PDF file: the bundle as written, then each incremental update.

A bundle is written as one revision; signing appends one revision per signature. Anything
else appended is an incremental update someone made after the fact: it can replace any page
while leaving the original bytes (and a hash of them) untouched.
"""

from __future__ import annotations

import hashlib
import io
import itertools
from dataclasses import dataclass, field

from .trust import quiet


@dataclass
class Revision:
    number: int      # 1-based
    start: int       # byte offset of this revision's cross-reference section
    end: int         # byte offset just after its %%EOF (the file's length for the last)
    changed: set[tuple[int, int]] = field(default_factory=set)  # objects added or replaced


@dataclass
class Revisions:
    items: list[Revision]
    first_sha256: str  # SHA-256 of the bytes of the first revision alone
    problem: str = ""
    trailing: int = 0  # bytes after the last revision's %%EOF that are not blank
    own_sha256: dict[int, str] = field(default_factory=dict)  # n → SHA-256 of revisions 1..n

    @property
    def count(self) -> int:
        return len(self.items)


def read_revisions(data: bytes) -> Revisions:
    """Parse the cross-reference chain with pyHanko (a strict reader of incremental updates);
    on a file it cannot read, a single pseudo-revision and the reason."""
    from pyhanko.pdf_utils.reader import PdfFileReader

    try:
        with quiet():
            reader = PdfFileReader(io.BytesIO(data), strict=False)
            xrefs = reader.xrefs
            items = []
            for index in range(xrefs.total_revisions):
                start = int(xrefs.get_startxref_for_revision(index))
                changed = {(int(r.idnum), int(r.generation))
                           for r in xrefs.explicit_refs_in_revision(index)}
                items.append(Revision(index + 1, start, 0, changed))
    except Exception as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        return Revisions([Revision(1, 0, len(data))], hashlib.sha256(data).hexdigest(),
                         "the index of its revisions (the cross-reference chain) cannot be "
                         f"read, so what was added to the file when cannot be told ({reason})")
    for current, following in itertools.pairwise(items):
        current.end = _eof_after(data, current.start, following.start)
    trailing = 0
    if items:
        last = _eof_after(data, items[-1].start, len(data))
        trailing = len(data[last:].strip(b"\r\n\t \x00"))
        items[-1].end = last
        if len(items) == 1:
            items[0].end = last
    first_end = items[0].end if items else len(data)
    prefixes = {r.number: hashlib.sha256(data[:r.end]).hexdigest() for r in items[:2]}
    return Revisions(items, hashlib.sha256(data[:first_end]).hexdigest(), trailing=trailing,
                     own_sha256=prefixes)


def _eof_after(data: bytes, start: int, limit: int) -> int:
    """The end of the %%EOF line that closes the revision whose xref is at ``start``."""
    found = data.find(b"%%EOF", start, limit)
    if found < 0:
        return limit
    end = found + 5
    while end < len(data) and data[end:end + 1] in (b"\r", b"\n"):
        end += 1
    return end
