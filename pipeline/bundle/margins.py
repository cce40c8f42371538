"""Room for the stamp that never covers content: a band added to the page at the foot of the
page as displayed (the bottom edge for /Rotate 0, the right edge of user space for 90, the top
for 180, the left for 270), and view destinations that land on a page's top-left corner as
displayed (XYZ, zoom unchanged) instead of /Fit."""

from __future__ import annotations

from typing import Any

from pikepdf import Array, Name

BAND = 18.0  # points added at the displayed foot of every page that is not the bundle's own
BOXES = ("/MediaBox", "/CropBox")


def _box(node: Any, key: str) -> list[float] | None:
    value = node.get(key)
    if value is None:
        return None
    x0, y0, x1, y1 = (float(v) for v in value)
    return [min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1)]


def add_band(node: Any, band: float = BAND) -> None:
    """Grow the page's MediaBox (and CropBox) by ``band`` at the displayed foot."""
    rotate = int(node.get("/Rotate", 0) or 0) % 360
    for key in BOXES:
        box = _box(node, key)
        if box is None:
            continue
        if rotate == 90:
            box[2] += band
        elif rotate == 180:
            box[3] += band
        elif rotate == 270:
            box[0] -= band
        else:
            box[1] -= band
        node[key] = Array(box)


def top_left(node: Any) -> tuple[float, float]:
    """The user-space point shown at the top-left corner of the page."""
    media = _box(node, "/MediaBox") or [0.0, 0.0, 612.0, 792.0]
    crop = _box(node, "/CropBox") or media
    x0, y0 = max(crop[0], media[0]), max(crop[1], media[1])
    x1, y1 = min(crop[2], media[2]), min(crop[3], media[3])
    rotate = int(node.get("/Rotate", 0) or 0) % 360
    return {90: (x0, y0), 180: (x1, y0), 270: (x1, y1)}.get(rotate, (x0, y1))


def view(page: Any, tail: Any = None) -> Array:
    """A destination on ``page``: the source's own view (``tail``: /XYZ left top zoom, /FitH …)
    when it had one other than /Fit, else its displayed top-left corner at the current zoom."""
    if tail is not None and len(tail) >= 1 and tail[0] != Name.Fit and tail[0] != Name.FitB:
        return Array([page, *tail])
    left, top = top_left(page)
    return Array([page, Name.XYZ, left, top, None])
