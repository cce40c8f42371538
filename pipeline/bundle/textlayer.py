"""Which pages have no text layer (scans, pictures): a page that uses no font, directly or in
the form XObjects it draws, has no text a reader could search or copy."""

from __future__ import annotations

from typing import Any

import pikepdf
from pikepdf import Dictionary


def _uses_font(resources: Any, depth: int = 0, seen: set[tuple[int, int]] | None = None) -> bool:
    if not isinstance(resources, Dictionary) or depth > 8:
        return False
    fonts = resources.get("/Font")
    if isinstance(fonts, Dictionary) and len(fonts.keys()) > 0:
        return True
    xobjects = resources.get("/XObject")
    if not isinstance(xobjects, Dictionary):
        return False
    seen = set() if seen is None else seen
    for key in xobjects.keys():  # noqa: SIM118 (pikepdf dictionaries)
        xobject = xobjects[key]
        if not isinstance(xobject, pikepdf.Stream) or xobject.get("/Subtype") != pikepdf.Name.Form:
            continue
        if xobject.objgen in seen:
            continue
        seen.add(xobject.objgen)
        if _uses_font(xobject.get("/Resources"), depth + 1, seen):
            return True
    return False


def pages_without_text(pdf: pikepdf.Pdf) -> list[int]:
    """1-based numbers of the pages that use no font."""
    missing = []
    for number, page in enumerate(pdf.pages, start=1):
        node: Any = page.obj
        resources = None
        while isinstance(node, Dictionary):
            if "/Resources" in node:
                resources = node.Resources
                break
            node = node.get("/Parent")
        if not _uses_font(resources):
            missing.append(number)
    return missing


def ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7, 9, 10] → "1–3, 7, 9–10"."""
    out: list[str] = []
    start = prev = None
    for n in sorted(numbers):
        if start is None:
            start = prev = n
        elif prev is not None and n == prev + 1:
            prev = n
        else:
            out.append(f"{start}" if start == prev else f"{start}–{prev}")
            start = prev = n
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}–{prev}")
    return ", ".join(out)
