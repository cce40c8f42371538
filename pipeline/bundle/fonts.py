"""Embedded fonts for PDF/A: the stamp's page numbers, and the standard fonts sources leave out.

PDF/A wants every font program embedded. Two places lacked one:

- the stamp's "Page n of N", drawn per page in Helvetica: :func:`number_font` gives a small
  embedded TrueType (DejaVu Sans, WinAnsi encoding) with its widths, used instead;
- evidence PDFs naming Helvetica, Times, Courier or Arial without embedding them (common: every
  core-font PDF does): :func:`embed_standard_fonts` embeds the metric-compatible Liberation
  font (same advance widths, so no text moves) and records which font was substituted.
  Symbol, Dingbats and non-embedded CID fonts have no such substitute: they are reported.

Font programs are cut to the WinAnsi repertoire once per process, so every source that uses
Helvetica shares one byte-identical program (:func:`share_font_files` folds identical fonts).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pikepdf
from pikepdf import Array, Dictionary, Name

from ..errors import UserError
from ..files import atomic_write_bytes, user_cache
from .pages import DEJAVU

LIBERATION_DIRS = (Path("/usr/share/fonts/truetype/liberation2"),
                   Path("/usr/share/fonts/truetype/liberation"))
WINANSI = "cp1252"
# base-14 / core names → Liberation file stem
SUBSTITUTES = {
    "helvetica": "LiberationSans-Regular", "helvetica-bold": "LiberationSans-Bold",
    "helvetica-oblique": "LiberationSans-Italic", "helvetica-boldoblique": "LiberationSans-BoldItalic",
    "arial": "LiberationSans-Regular", "arial-bold": "LiberationSans-Bold",
    "arial-italic": "LiberationSans-Italic", "arial-bolditalic": "LiberationSans-BoldItalic",
    "times-roman": "LiberationSerif-Regular", "times-bold": "LiberationSerif-Bold",
    "times-italic": "LiberationSerif-Italic", "times-bolditalic": "LiberationSerif-BoldItalic",
    "timesnewroman": "LiberationSerif-Regular", "timesnewroman-bold": "LiberationSerif-Bold",
    "timesnewroman-italic": "LiberationSerif-Italic",
    "timesnewroman-bolditalic": "LiberationSerif-BoldItalic",
    "courier": "LiberationMono-Regular", "courier-bold": "LiberationMono-Bold",
    "courier-oblique": "LiberationMono-Italic", "courier-boldoblique": "LiberationMono-BoldItalic",
    "couriernew": "LiberationMono-Regular", "couriernew-bold": "LiberationMono-Bold",
    "couriernew-italic": "LiberationMono-Italic", "couriernew-bolditalic": "LiberationMono-BoldItalic",
}


@dataclass(frozen=True, eq=False)  # one per font file (cached): hashed by identity
class Program:
    """A TrueType program cut to WinAnsi, scaled to 1000 units per em."""

    name: str
    data: bytes
    widths: dict[str, int]  # glyph name → advance (1/1000 em)
    cmap: dict[int, str]    # unicode → glyph name
    bbox: tuple[int, int, int, int]
    ascent: int
    descent: int
    cap_height: int
    italic: float
    fixed: bool


def _tag(data: bytes) -> str:
    digest = hashlib.sha256(data).digest()
    return "".join(chr(65 + b % 26) for b in digest[:6])


# Cut programs are kept between runs (cutting one with fontTools takes 0.1-0.2 s, reading it
# back 1 ms), keyed by the font file's bytes, the fontTools version and this format: a font
# updated by the system, or a new fontTools, cuts afresh. Nothing there is trusted beyond
# what a run would make itself: an entry that does not read back whole is cut again.
_FORMAT = "program-1"


CACHE = user_cache("fonts")


@cache
def program(path: Path) -> Program:
    """The TrueType program at ``path`` cut to WinAnsi (cached in this process and on disk)."""
    try:
        data = path.read_bytes()
        key = hashlib.sha256(b"%s\0%s\0" % (_FORMAT.encode(), _fonttools_version().encode())
                             + data).hexdigest()[:40]
    except OSError:
        return _cut(path)
    found = _cached(key)
    if found is not None:
        return found
    prog = _cut(path)
    _keep(key, prog)
    return prog


def _fonttools_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("fonttools")
    except PackageNotFoundError:
        return "unknown"


def _cached(key: str) -> Program | None:
    if CACHE is None:
        return None
    try:
        entry = json.loads((CACHE / f"{key}.json").read_text(encoding="utf-8"))
        data = base64.b64decode(entry["data"], validate=True)
        prog = Program(str(entry["name"]), data, {str(k): int(v) for k, v in entry["widths"].items()},
                       {int(k): str(v) for k, v in entry["cmap"].items()},
                       tuple(int(v) for v in entry["bbox"]),  # type: ignore[arg-type]
                       int(entry["ascent"]), int(entry["descent"]), int(entry["cap_height"]),
                       float(entry["italic"]), bool(entry["fixed"]))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if len(prog.bbox) != 4 or not prog.name.startswith(_tag(data) + "+"):
        return None  # not what this run would have cut: cut it again
    return prog


def _keep(key: str, prog: Program) -> None:
    if CACHE is None:
        return
    entry = {"name": prog.name, "data": base64.b64encode(prog.data).decode(), "widths": prog.widths,
             "cmap": {str(k): v for k, v in prog.cmap.items()}, "bbox": list(prog.bbox),
             "ascent": prog.ascent, "descent": prog.descent, "cap_height": prog.cap_height,
             "italic": prog.italic, "fixed": prog.fixed}
    with contextlib.suppress(OSError, UserError):  # a read-only or full home: cut again next run
        CACHE.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(CACHE / f"{key}.json", json.dumps(entry).encode())  # cmap order kept


def _cut(path: Path) -> Program:
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]
    from fontTools.ttLib.scaleUpem import scale_upem  # type: ignore[import-untyped]

    font = TTFont(str(path), recalcTimestamp=False, lazy=True)
    for tag in ("FFTM", "GSUB", "GPOS", "GDEF", "kern", "morx", "feat"):  # unread, never decoded
        if tag in font:
            del font[tag]
    options = subset.Options()
    options.drop_tables += ["FFTM", "GSUB", "GPOS", "GDEF", "kern"]
    options.layout_features = []
    options.notdef_outline = True
    options.hinting = False
    options.name_IDs = ["*"]
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=bytes(range(32, 256)).decode(WINANSI, errors="ignore"))
    subsetter.subset(font)
    if font["head"].unitsPerEm != 1000:
        scale_upem(font, 1000)
    buffer = io.BytesIO()
    try:
        font.save(buffer)
        head, hhea, post = font["head"], font["hhea"], font["post"]
        os2 = font.get("OS/2", None)
        data = buffer.getvalue()
        base = re.sub(r"[^A-Za-z0-9-]", "", font["name"].getDebugName(6) or path.stem)
        return Program(f"{_tag(data)}+{base}", data,
                       {name: int(adv) for name, (adv, _) in font["hmtx"].metrics.items()},
                       dict(font.getBestCmap()), (head.xMin, head.yMin, head.xMax, head.yMax),
                       hhea.ascent, hhea.descent, int(getattr(os2, "sCapHeight", 0) or hhea.ascent),
                       float(post.italicAngle), bool(post.isFixedPitch))
    finally:
        font.close()  # a lazily read font keeps its file open until closed


def _descriptor(pdf: pikepdf.Pdf, prog: Program, cache_: dict[str, Any]) -> Any:
    found = cache_.get(prog.name)
    if found is not None:
        return found
    stream = pdf.make_stream(prog.data)
    stream.Length1 = len(prog.data)
    flags = 32 | (1 if prog.fixed else 0) | (64 if prog.italic else 0)
    descriptor = pdf.make_indirect(Dictionary(
        Type=Name.FontDescriptor, FontName=Name("/" + prog.name), Flags=flags,
        FontBBox=Array(list(prog.bbox)), ItalicAngle=prog.italic, Ascent=prog.ascent,
        Descent=prog.descent, CapHeight=prog.cap_height, StemV=80, FontFile2=stream))
    cache_[prog.name] = descriptor
    return descriptor


@cache
def _winansi_glyphs(prog: Program) -> dict[int, str]:
    """code → glyph name under WinAnsiEncoding, for the codes this program can show."""
    out = {}
    for code in range(32, 256):
        try:
            char = bytes([code]).decode(WINANSI)
        except UnicodeDecodeError:
            continue
        name = prog.cmap.get(ord(char))
        if name is not None:
            out[code] = name
    return out


@dataclass
class NumberFont:
    """The stamp's page-number font: an embedded TrueType object and a width function."""

    obj: Any
    widths: dict[int, int]

    def width(self, text: str, size: float) -> float:
        return sum(self.widths.get(b, 0) for b in text.encode(WINANSI)) * size / 1000


@cache
def number_widths() -> dict[int, int]:
    """WinAnsi code → advance width (1/1000 em) of the codes the number font can show."""
    prog = program(DEJAVU / "DejaVuSans.ttf")
    glyphs = _winansi_glyphs(prog)
    return {code: prog.widths[glyphs[code]] for code in glyphs}


def number_font(pdf: pikepdf.Pdf) -> NumberFont:
    """DejaVu Sans as an embedded simple TrueType font with WinAnsiEncoding: the stamp's
    "· Page n of N" text (cp1252 bytes) shows in it unchanged."""
    prog = program(DEJAVU / "DejaVuSans.ttf")
    widths = number_widths()
    first, last = min(widths), max(widths)
    font = pdf.make_indirect(Dictionary(
        Type=Name.Font, Subtype=Name.TrueType, BaseFont=Name("/" + prog.name),
        Encoding=Name.WinAnsiEncoding, FirstChar=first, LastChar=last,
        Widths=Array([widths.get(code, 0) for code in range(first, last + 1)]),
        FontDescriptor=_descriptor(pdf, prog, {})))
    return NumberFont(font, widths)


# ------------------------------------------------------------------ sources' missing fonts


def liberation(stem: str) -> Path | None:
    return next((d / f"{stem}.ttf" for d in LIBERATION_DIRS if (d / f"{stem}.ttf").is_file()), None)


def _key(base: str) -> str:
    name = base.lstrip("/").split("+", 1)[-1].lower().replace(",", "-").replace(" ", "")
    name = name.replace("mt", "").replace("psmt", "").replace("ps-", "-")
    return {"arialmt": "arial", "timesnewromanps": "timesnewroman"}.get(name, name)


def _embedded(font: Any) -> bool:
    descriptor = font.get("/FontDescriptor")
    return isinstance(descriptor, Dictionary) and any(
        k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))


def iter_fonts(pdf: pikepdf.Pdf, resources_: list[Any] | None = None) -> Iterator[Any]:
    """Every font dictionary reachable from the pages (each once); ``resources_``: the pages'
    resource dictionaries when already listed (:func:`resource_dicts`)."""
    seen: set[tuple[int, int]] = set()
    for resources in resources_ if resources_ is not None else _resource_dicts(pdf):
        fonts = resources.get("/Font")
        if not isinstance(fonts, Dictionary):
            continue
        for font in fonts.values():
            if isinstance(font, Dictionary) and font.objgen not in seen:
                if font.is_indirect:
                    seen.add(font.objgen)
                yield font


def _encoding(font: Any, path: Path) -> tuple[Any, dict[int, str]]:
    """The TrueType encoding entry (WinAnsi base, with /Differences where the font's own
    encoding differs) and code → glyph name as the substitute will show it."""
    entry = font.get("/Encoding")
    base, differences = entry, []
    if isinstance(entry, Dictionary):
        base = entry.get("/BaseEncoding")
        code = 0
        for item in entry.get("/Differences", Array()):
            if isinstance(item, int):
                code = int(item)
            else:
                differences.append((code, str(item).lstrip("/")))
                code += 1
    name, diffs, shown = _encoding_plan(path, str(base) if isinstance(base, Name) else "",
                                        tuple(differences))
    if not diffs:
        return Name(name), dict(shown)
    array: list[Any] = []
    previous = -2
    for code, glyph in diffs:
        if code != previous + 1:
            array.append(code)
        array.append(Name("/" + glyph))
        previous = code
    return Dictionary(Type=Name.Encoding, BaseEncoding=Name.WinAnsiEncoding,
                      Differences=Array(array)), dict(shown)


@cache
def _encoding_plan(path: Path, base: str, differences: tuple[tuple[int, str], ...]
                   ) -> tuple[str, tuple[tuple[int, str], ...], tuple[tuple[int, str], ...]]:
    """(encoding name, /Differences as (code, AGL glyph name), code → glyph shown) for one
    font encoding and substitute: the same for every source naming Helvetica the same way."""
    from fontTools import agl
    from fontTools.encodings.StandardEncoding import StandardEncoding  # type: ignore[import-untyped]

    prog = program(path)
    winansi = _winansi_glyphs(prog)
    if base in ("/WinAnsiEncoding", "/MacRomanEncoding"):
        table = dict(winansi) if base == "/WinAnsiEncoding" else _macroman(prog)
    else:  # StandardEncoding, the built-in encoding of the Latin core fonts
        table = {c: n for c, n in enumerate(StandardEncoding) if n != ".notdef" and c >= 32}
    table.update(dict(differences))
    shown: dict[int, str] = {}
    for code, glyph in table.items():
        uni = agl.toUnicode(glyph)
        if len(uni) == 1 and ord(uni) in prog.cmap:
            shown[code] = prog.cmap[ord(uni)]
    diffs = sorted(code for code, glyph in shown.items() if winansi.get(code) != glyph)
    if base == "/MacRomanEncoding" and not differences:
        return "/MacRomanEncoding", (), tuple(sorted(shown.items()))
    return ("/WinAnsiEncoding", tuple((code, _agl_name(shown[code], prog)) for code in diffs),
            tuple(sorted(shown.items())))


def _agl_name(glyph: str, prog: Program) -> str:
    from fontTools import agl

    uni = next((u for u, n in prog.cmap.items() if n == glyph), None)
    return agl.UV2AGL.get(uni, glyph) if uni is not None else glyph


def _macroman(prog: Program) -> dict[int, str]:
    out = {}
    for code in range(32, 256):
        name = prog.cmap.get(ord(bytes([code]).decode("mac_roman")))
        if name is not None:
            out[code] = name
    return out


def embed_standard_fonts(pdf: pikepdf.Pdf, dry_run: bool = False,
                         resources: list[Any] | None = None) -> tuple[list[str], list[str]]:
    """Embed a metric-compatible substitute for each non-embedded Latin core font.
    Returns (substitutions made, fonts that could not be embedded), as words for notes;
    ``dry_run``: what it would do, changing nothing. ``resources``: as for :func:`iter_fonts`."""
    made: dict[str, str] = {}
    impossible: set[str] = set()
    descriptors: dict[str, Any] = {}
    for font in iter_fonts(pdf, resources):
        subtype = font.get("/Subtype")
        if subtype == Name.Type3 or _embedded(font):
            continue
        base = str(font.get("/BaseFont", "/unnamed")).lstrip("/")
        if subtype not in (Name.Type1, Name.TrueType, Name.MMType1):
            impossible.add(f"{base} ({str(subtype).lstrip('/')}, not embedded)")
            continue
        stem = SUBSTITUTES.get(_key(base))
        path = liberation(stem) if stem else None
        if path is None:
            impossible.add(f"{base} (not embedded; no metric-compatible font to embed)")
            continue
        prog = program(path)
        made[base] = prog.name.split("+", 1)[1]
        if dry_run:
            continue
        encoding, shown = _encoding(font, path)
        first, last = 32, 255
        for key in ("/FontDescriptor", "/Widths", "/FirstChar", "/LastChar", "/Encoding", "/ToUnicode"):
            if key in font and key != "/ToUnicode":
                del font[key]
        font.Subtype = Name.TrueType
        font.BaseFont = Name("/" + prog.name)
        font.Encoding = encoding
        font.FirstChar, font.LastChar = first, last
        font.Widths = Array([prog.widths.get(shown.get(code, ""), 0) for code in range(first, last + 1)])
        font.FontDescriptor = _descriptor(pdf, prog, descriptors)
    return [f"{a} → {b}" for a, b in sorted(made.items())], sorted(impossible)


def share_font_files(pdf: pikepdf.Pdf, resources_: list[Any] | None = None) -> int:
    """Point every resource dictionary at one copy of each distinct font: each source brings
    its own copy of the same substitute, and each part cut from the bundle's canvas its own
    copy of the same DejaVu subset (16 copies of one program in the example). Fonts are
    compared by a canonical digest of everything they hold. Returns how many were folded.
    Done before :func:`embed_standard_fonts` on the bundle, the substitute is embedded once
    for every source naming a core font the same way, not once per source."""
    from .digests import canonical_hasher

    digest = canonical_hasher()
    first: dict[bytes, Any] = {}
    keys: dict[tuple[int, int], bytes] = {}
    written: dict[bytes, bytes] = {}  # a font's own bytes (references as object numbers) → key
    folded = 0
    for resources in resources_ if resources_ is not None else _resource_dicts(pdf):
        fonts = resources.get("/Font")
        if not isinstance(fonts, Dictionary):
            continue
        for name, font in list(fonts.items()):
            if not isinstance(font, Dictionary) or not font.is_indirect:
                continue
            key = keys.get(font.objgen)
            if key is None:
                # fonts written alike (the same descriptor object) are the same font: only
                # those written differently need the canonical digest of all they reach
                raw = font.unparse()
                key = written.get(raw)
                if key is None:
                    key = written[raw] = digest(font)
                keys[font.objgen] = key
            keep = first.setdefault(key, font)
            if keep.objgen != font.objgen:
                fonts[name] = keep
                folded += 1
    return folded


def resource_dicts(pdf: pikepdf.Pdf) -> list[Any]:
    """Every resource dictionary the pages use, listed once for several passes over them."""
    return list(_resource_dicts(pdf))


def _resource_dicts(pdf: pikepdf.Pdf) -> Iterator[Any]:
    """Every resource dictionary the pages use: their own, their annotations' appearances',
    form XObjects', patterns' and Type 3 fonts' (each once)."""
    seen: set[tuple[int, int]] = set()
    stack: list[Any] = []
    for page in pdf.pages:
        stack.append(page.obj.get("/Resources"))
        annots = page.obj.get("/Annots")
        for annot in annots if isinstance(annots, Array) else []:
            appearance = annot.get("/AP") if isinstance(annot, Dictionary) else None
            if isinstance(appearance, Dictionary):
                for state in appearance.values():
                    streams = state.values() if isinstance(state, Dictionary) and \
                        not isinstance(state, pikepdf.Stream) else [state]
                    stack.extend(x.get("/Resources") for x in streams if isinstance(x, pikepdf.Stream))
    while stack:
        node = stack.pop()
        if not isinstance(node, Dictionary):
            continue
        if node.is_indirect:
            if node.objgen in seen:
                continue
            seen.add(node.objgen)
        yield node
        for kind in ("/XObject", "/Pattern", "/Font"):
            group = node.get(kind)
            if not isinstance(group, Dictionary):
                continue
            for item in group.values():
                if isinstance(item, pikepdf.Object) and item.is_indirect:  # a form on every page: once
                    if item.objgen in seen:
                        continue
                    seen.add(item.objgen)
                if _has_resources(kind, item):
                    stack.append(item.get("/Resources"))


def _has_resources(kind: str, item: Any) -> bool:
    """Form XObjects, patterns and Type 3 fonts carry resources of their own."""
    if kind == "/Font":
        return isinstance(item, Dictionary) and item.get("/Subtype") == Name.Type3
    if kind == "/XObject":
        return isinstance(item, pikepdf.Stream) and item.get("/Subtype") == Name.Form
    return isinstance(item, (Dictionary, pikepdf.Stream))
