"""Image evidence as PDF pages, in bounded memory: a JPEG is embedded as it is (never decoded),
other formats are decoded by Pillow and compressed strip by strip; each frame of a multi-page
TIFF is a page. Each page is A4 (landscape for wide images) with the image fitted."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

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
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise ImageRefused(f"'{rel}' is not a readable image ({_why(exc)}); open it and save it "
                           "again as PNG or JPEG, or export it to PDF.") from None
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
        kids.append(_page(pdf, width, height))
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
            kids.append(_page(pdf, w, h))
            pdf.add(*_decoded(path, frame))
    pdf.set(2, f"<< /Type /Pages /Kids [{' '.join(f'{k} 0 R' for k in kids)}] /Count {len(kids)} >>"
            .encode())
    pdf.write(out)
    return len(kids)


def _page(pdf: RawPdf, width: int, height: int) -> int:
    """A page and its content drawing the image object added right after them."""
    page_w, page_h, x, y, w, h = _fit(width, height)
    body = f"q {w:.3f} 0 0 {h:.3f} {x:.3f} {y:.3f} cm /Im0 Do Q".encode()
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
    gray = mode in ("1", "L", "I;16", "I", "F", "LA")
    target = "L" if gray else "RGB"

    def strips() -> Iterable[bytes]:
        with Image.open(path) as image:
            image.seek(frame)
            if image.mode in ("RGBA", "LA", "P", "PA"):
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


def _why(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:100]
