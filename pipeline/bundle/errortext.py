"""What a library's error says, in words for the user: its first line, without the Python
object it names ("stream <_io.BytesIO object at 0x…>") and with qpdf's jargon for the common
cases put plainly. The bundle's messages and verify's both read errors through here."""

from __future__ import annotations

import re

_OBJECT_PREFIX = re.compile(r"^(?:stream )?<[^<>]* at 0x[0-9a-f]+>(?: \(object \d+ \d+\))?:\s*")
_REPR = re.compile(r"<[^<>]* at 0x[0-9a-f]+>")
CUT_SHORT = "the file is cut short, damaged, or not a PDF"
_PLAIN = (("unable to find trailer dictionary while recovering damaged file", CUT_SHORT),
          ("Loop detected in /Pages structure", "its page tree loops back on itself"))


def describe_error(exc: BaseException, with_type: bool = True, limit: int = 120) -> str:
    """One clean line: the exception's first line without Python reprs, in plain words where
    known, cut at a word to ``limit`` characters."""
    lines = str(exc).strip().splitlines()
    text = _OBJECT_PREFIX.sub("", lines[0] if lines else "")
    text = _REPR.sub("the file", text).strip()
    for jargon, plain in _PLAIN:
        if jargon in text:
            text = plain
            break
    if len(text) > limit:  # cut at a word, and say so
        text = text[:limit].rsplit(" ", 1)[0].rstrip(",;:") + " …"
    if not with_type:
        return text
    name = type(exc).__name__
    return f"{name}: {text}" if text else name
