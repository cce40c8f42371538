"""Image evidence as PDF pages, in bounded memory: a JPEG is embedded as it is (never decoded),
other formats are decoded by Pillow and compressed strip by strip; each frame of a multi-page
TIFF is a page. Each page is A4 (landscape for wide images) with the image fitted."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .rawpdf import Chunks, RawPdf, deflated, file_chunks

A4 = (595.28, 841.89)
MAX_PIXELS = 100_000_000  # 100 megapixels: an A4 page at 600 dpi is 35
MAX_FRAMES = 2000


class ImageRefused(Exception):
    """The image cannot be made a page; ``str()`` says why and what to do."""


def _fit(width: int, height: int) -> tuple[float, float, float, float, float, float]:
    """(page w, page h, x, y, w, h) for the image fitted on A4."""
    page_w, page_h = (A4[1], A4[0]) if width > height else A4
    scale = min(page_w / width, page_h / height)
    w, h = width * scale, height * scale
    return page_w, page_h, (page_w - w) / 2, (page_h - h) / 2, w, h


# EXIF orientation (1-8) as the map from the stored image's unit square (u right along a
# row, v up) to the shown one: X = p*u + q*v + r, Y = s*u + t*v + z
ORIENTATIONS = {1: (1, 0, 0, 0, 1, 0), 2: (-1, 0, 1, 0, 1, 0), 3: (-1, 0, 1, 0, -1, 1),
                4: (1, 0, 0, 0, -1, 1), 5: (0, -1, 1, -1, 0, 1), 6: (0, 1, 0, -1, 0, 1),
                7: (0, 1, 0, 1, 0, 0), 8: (0, -1, 1, 1, 0, 0)}


def _orientation(image: Any) -> int:
    """The EXIF orientation a camera or phone recorded (1: as stored)."""
    try:
        value = int(image.getexif().get(0x0112, 1))
    except Exception:  # an unreadable EXIF block: shown as stored
        return 1
    return value if value in ORIENTATIONS else 1


def image_pdf(path: Path, out: Path, rel: str) -> int:
    """Write ``out``: one page per frame of the image at ``path``; return the page count."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = None  # our own limit below, with a message that says what to do
    try:
        with Image.open(path) as image:
            width, height = image.size
            frames = getattr(image, "n_frames", 1)
            fmt, mode = image.format, image.mode
            adobe = "adobe" in image.info
            turn = _orientation(image)
            if fmt == "JPEG":  # a damaged JPEG would go in as it is: decode it once, at 1/8 scale
                image.draft(mode, (max(1, width // 8), max(1, height // 8)))
                image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused(f"'{rel}' is not a readable image ({_why(exc, path)}); open it and save "
                           "it again as PNG or JPEG, or export it to PDF.") from None
    if width * height > MAX_PIXELS:
        raise ImageRefused(
            f"'{rel}' is {width:,} × {height:,} pixels ({width * height / 1e6:,.0f} megapixels), "
            f"more than the {MAX_PIXELS / 1e6:.0f} megapixels a bundle page may hold; scale it down "
            "(300 dpi is plenty for a page) or export it to PDF.")
    if frames > MAX_FRAMES:
        raise ImageRefused(f"'{rel}' has {frames:,} frames (at most {MAX_FRAMES} pages from one "
                           "image); split it or export it to PDF.")
    pdf = RawPdf()
    pdf.add(b"<< /Type /Catalog /Pages 2 0 R >>")
    pdf.add(b"<< >>")  # /Pages, filled in below
    kids: list[int] = []
    if fmt == "JPEG" and mode in ("L", "RGB", "CMYK"):
        colour = {"L": "/DeviceGray", "RGB": "/DeviceRGB", "CMYK": "/DeviceCMYK"}[mode]
        decode = b" /Decode [1 0 1 0 1 0 1 0]" if mode == "CMYK" and adobe else b""
        kids.append(_page(pdf, width, height, turn))
        pdf.add(f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace "
                f"{colour} /BitsPerComponent 8 /Filter /DCTDecode".encode() + decode + b" >>",
                file_chunks(path))
    else:
        for frame in range(frames):
            with Image.open(path) as image:
                image.seek(frame)
                w, h = image.size
            if w * h > MAX_PIXELS:
                raise ImageRefused(f"'{rel}' frame {frame + 1} is too large ({w:,} × {h:,} pixels); "
                                   "scale it down or export it to PDF.")
            kids.append(_page(pdf, w, h, turn if frame == 0 else 1))
            pdf.add(*_decoded(path, frame))
    pdf.set(2, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
            .encode())
    pdf.write(out)
    return len(kids)


def _page(pdf: RawPdf, width: int, height: int, turn: int = 1) -> int:
    """A page and its content drawing the image object added right after them, turned as its
    EXIF orientation says (``turn``; the image data itself is as stored)."""
    shown = (height, width) if turn >= 5 else (width, height)
    page_w, page_h, x, y, w, h = _fit(*shown)
    p, q, r, s, t, z = ORIENTATIONS[turn]
    body = (f"q {w * p:.3f} {h * s:.3f} {w * q:.3f} {h * t:.3f} {x + w * r:.3f} {y + h * z:.3f} cm "
            "/Im0 Do Q").encode()
    number = len(pdf._objects) + 1
    pdf.add(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {page_w:.2f} {page_h:.2f}] /Contents "
            f"{number + 1} 0 R /Resources << /XObject << /Im0 {number + 2} 0 R >> >> >>".encode())
    pdf.add(b"<< >>", lambda: [body])
    return number


def _decoded(path: Path, frame: int) -> tuple[bytes, Chunks]:
    from PIL import Image

    with Image.open(path) as image:
        image.seek(frame)
        w, h = image.size
        mode = image.mode
    gray = mode in ("1", "L", "I", "F", "LA") or mode.startswith("I;16")
    target = "L" if gray else "RGB"

    def strips() -> Iterable[bytes]:
        with Image.open(path) as image:
            image.seek(frame)
            if image.mode == "I" or image.mode == "F" or image.mode.startswith("I;16"):
                picture = _eight_bits(image)
            elif image.mode in ("RGBA", "LA", "P", "PA"):
                converted = image.convert("RGBA")
                white = Image.new("RGBA", converted.size, "white")
                white.alpha_composite(converted)
                picture = white.convert(target)
            else:
                picture = image.convert(target)
            rows = max(1, (4 << 20) // max(w * (1 if gray else 3), 1))
            for top in range(0, h, rows):
                yield picture.crop((0, top, w, min(top + rows, h))).tobytes()

    colour = "/DeviceGray" if gray else "/DeviceRGB"
    return (f"<< /Type /XObject /Subtype /Image /Width {w} /Height {h} /ColorSpace {colour} "
            "/BitsPerComponent 8 /Filter /FlateDecode >>".encode(), deflated(strips))


def _eight_bits(image: Any) -> Any:
    """A 16-bit, 32-bit or floating-point grey image as 8-bit grey, scaled, not clipped: 16-bit
    data by its full range (a 16-bit scan keeps its tones), 0..1 floats by 255, anything else
    by the range it uses."""
    sixteen = image.mode.startswith("I;16")
    wide = image.convert("I") if sixteen else image
    low, high = wide.getextrema()
    if sixteen or (image.mode == "I" and low >= 0 and 255 < high <= 65535):
        scale, offset = 1 / 257, 0.0
    elif low >= 0 and high <= (1 if image.mode == "F" else 255):
        scale, offset = (255.0 if image.mode == "F" else 1.0), 0.0
    elif high > low:
        scale = 255 / (high - low)
        offset = -low * scale
    else:
        scale, offset = 0.0, 0.0
    return wide.point(lambda value: value * scale + offset).convert("L")


def _why(exc: BaseException, path: Path) -> str:
    """Pillow's reason, without the file's full path (the message names the file already)."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    text = text.replace(f"'{path}'", "").replace(str(path), "").replace("  ", " ").strip()
    return text if len(text) <= 100 else text[:100].rsplit(" ", 1)[0] + " …"
