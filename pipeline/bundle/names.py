"""Attachment names that are safe to extract: no folders, no invisible or direction-changing
characters, NFC, not empty, not too long. The manifest keeps the original name."""

from __future__ import annotations

import re
import unicodedata

# bidi embeddings/overrides/isolates and marks: they make "report‮fdp.exe" display as "…exe.pdf"
BIDI = frozenset("\u200e\u200f\u061c\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_BYTES = 180  # well under the 255-byte limit of most file systems once a prefix is added
_RESERVED = re.compile(r'[<>:"|?*\x00-\x1f\x7f]')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$", re.I)


def safe_name(name: str, fallback: str = "file") -> str:
    """The last path part of ``name``, made harmless: NFC, no bidi/format/control characters,
    no characters Windows refuses, no leading dots or trailing dots/spaces, at most MAX_BYTES
    UTF-8 bytes (the extension kept)."""
    text = unicodedata.normalize("NFC", name)
    text = re.split(r"[\\/]", text)[-1]
    text = "".join(ch for ch in text if ch not in BIDI and unicodedata.category(ch) not in ("Cc", "Cf"))
    text = _RESERVED.sub("_", text).strip().lstrip(".").rstrip(". ")
    if _WINDOWS_DEVICES.match(text):
        text = "_" + text
    if not text:
        text = fallback
    if len(text.encode()) > MAX_BYTES:
        stem, dot, ext = text.rpartition(".")
        ext = ext if dot and len(ext.encode()) <= 16 else ""
        stem = stem if ext else text
        budget = MAX_BYTES - len(ext.encode()) - (1 if ext else 0)
        stem = stem.encode()[:budget].decode(errors="ignore")
        text = f"{stem}.{ext}" if ext else stem
    return text


def unique(names: list[str]) -> list[str]:
    """``names`` with later duplicates (case-insensitively) numbered: a.pdf, a (2).pdf."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 1
        while candidate.casefold() in seen:
            n += 1
            stem, dot, ext = name.rpartition(".")
            candidate = f"{stem} ({n}).{ext}" if dot else f"{name} ({n})"
        seen.add(candidate.casefold())
        out.append(candidate)
    return out
