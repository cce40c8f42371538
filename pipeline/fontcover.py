"""Which characters fonts can show: the code points of one font file (its cmap), of every
installed font (fontconfig, which LibreOffice uses to pick a font for each character), and the
characters of a text that a coverage lacks. Shared by the documents' warning
(:mod:`pipeline.documents.glyphs`) and the bundle's own pages (:mod:`pipeline.bundle.pages`)."""

from __future__ import annotations

import shutil
import subprocess
import unicodedata
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path

# marks and invisible characters are drawn with (or instead of) the letter before them
_INVISIBLE = frozenset({"Mn", "Me", "Cf", "Zs", "Zl", "Zp", "Cc", "Co", "Cs", "Cn"})


def font_chars(path: Path) -> frozenset[int]:
    """The code points one font file maps (the first font of a collection)."""
    from fontTools.ttLib import TTCollection, TTFont  # type: ignore[import-untyped]

    if path.suffix.lower() == ".ttc":
        with TTCollection(path, lazy=True) as fonts:
            return frozenset(fonts.fonts[0].getBestCmap())
    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap())


@cache
def installed_coverage() -> frozenset[int] | None:
    """Every code point some installed font has, or None when fontconfig cannot say."""
    if shutil.which("fc-list") is None:
        return None
    try:
        listed = subprocess.run(["fc-list", "--format", "%{charset}\n"], capture_output=True,
                                timeout=30, check=True).stdout.decode("ascii", "replace")
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(parse_charsets(listed.split()))


def parse_charsets(ranges: Iterable[str]) -> Iterator[int]:
    """fontconfig's charset ranges ("20-7e", "a0") as code points; malformed items skipped."""
    for item in ranges:
        first, _, last = item.partition("-")
        try:
            low, high = int(first, 16), int(last or first, 16)
        except ValueError:
            continue
        if 0 <= low <= high <= 0x10FFFF:
            yield from range(low, high + 1)


def missing_characters(text: str, coverage: frozenset[int]) -> list[str]:
    """The visible characters of ``text`` beyond ASCII that ``coverage`` lacks, sorted."""
    if text.isascii():
        return []
    return sorted({ch for ch in text if ord(ch) > 0x7E and ord(ch) not in coverage
                   and unicodedata.category(ch) not in _INVISIBLE})
