"""Archival PDF/A with pikepdf.pdfa (veraPDF's rules, no Java): preparation, deterministic
saving, validation of the written bytes. Used for the meeting documents (PDF/A-2b) and the
bundle (PDF/A-3b); what is particular to the bundle's sources is in :mod:`.bundle.pdfa`.

The meeting documents become PDF/A-2b; the bundle PDF/A-3b, because it carries the source
workbook(s), the manifest and some original files as associated files (PDF/A-3 allows any
embedded file; PDF/A-2 only PDF/A ones). Order: assemble → :func:`prepare` → save →
:func:`validate` the bytes written → sign. A signature is an incremental update after this.

A source PDF that cannot be part of a PDF/A file (a font that cannot be embedded, device CMYK
colour, …) is found by validating the bundle once and tracing each violation to the pages
(and so the source) it is on; the bundle is then made again with such a file attached
instead of shown as pages, saying why, so that everything shown still conforms.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import io
import logging
import re
import warnings
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pikepdf
from pikepdf import Array, Name

DOCUMENTS = "2b"
BUNDLE = "3b"
LEVELS = {"1b": "PDF/A-1b", "2b": "PDF/A-2b", "3b": "PDF/A-3b"}
_MESSAGES = {
    "6.2.11.4": "a font is not embedded", "6.2.11.5": "font widths disagree with the font",
    "6.2.11.3": "a CID font is incomplete", "6.2.11.6": "a TrueType font has no usable encoding",
    "6.2.11.7": "text cannot be mapped to Unicode", "6.2.4.3": "device colour other than RGB/grey",
    "6.2.4.4": "a separation or DeviceN colour lacks an alternate space",
    "6.2.8": "an image uses a forbidden feature", "6.2.10": "forbidden transparency or blending",
    "6.2.9": "a PostScript or reference XObject", "6.1.9": "an object or string exceeds PDF/A limits",
    "6.6.1": "an action (JavaScript, launch, …) PDF/A forbids", "6.3": "an annotation PDF/A forbids",
    "6.4": "an interactive form PDF/A forbids", "6.1.7": "a stream uses a forbidden filter",
}


@dataclass
class Conformance:
    """What a validation of written bytes found."""

    flavour: str
    passed: bool
    findings: list[str] = field(default_factory=list)
    located: list[tuple[tuple[int, int] | None, str]] = field(default_factory=list)  # (object, why)
    checked: bool = True  # False: prepared as PDF/A but not validated (see the bundle's budget)

    @property
    def level(self) -> str:
        """'PDF/A-3b', 'none' when the file did not pass, 'not validated' when not checked."""
        if not self.checked:
            return "not validated"
        return LEVELS[self.flavour] if self.passed else "none"

    def summary(self, limit: int = 3) -> str:
        if not self.checked:
            return f"prepared as {LEVELS[self.flavour]}, not validated"
        if self.passed:
            return f"{self.level}, validated with pikepdf.pdfa"
        shown = "; ".join(self.findings[:limit]) + (" …" if len(self.findings) > limit else "")
        return f"not {LEVELS[self.flavour]} ({len(self.findings)} finding(s): {shown})"


def pdf_date(when: dt.datetime) -> str:
    return when.strftime("D:%Y%m%d%H%M%S+00'00'")


def prepare(pdf: pikepdf.Pdf, flavour: str, when: dt.datetime) -> None:
    """Make ``pdf`` ready to be written as PDF/A: output intent (sRGB), XMP declaring the
    flavour, print flags on annotations, no document JavaScript or open action. Dates are
    ``when`` (SOURCE_DATE_EPOCH), so the same inputs give the same bytes."""
    from pikepdf import pdfa

    strip_for_pdfa(pdf)
    if isinstance(pdf.Root.get("/Metadata"), pikepdf.Stream):
        with pdf.open_metadata(set_pikepdf_as_editor=False, update_docinfo=False) as meta:
            for key in ("xmpMM:DocumentID", "xmpMM:InstanceID"):  # random in LibreOffice's PDF/A
                if key in meta:
                    del meta[key]
    pdfa.prepare(pdf, flavour)
    _fix_xmp_dates(pdf, when.replace(tzinfo=dt.UTC).isoformat())
    info = pdf.docinfo
    for key in ("/CreationDate", "/ModDate"):
        info[key] = pikepdf.String(pdf_date(when))


_XMP_DATE = re.compile(rb"(<xmp:(?:CreateDate|ModifyDate|MetadataDate)>)[^<]*(</xmp:)"
                       rb"|(xmp:(?:CreateDate|ModifyDate|MetadataDate)=\")[^\"]*(\")")


def _fix_xmp_dates(pdf: pikepdf.Pdf, stamp: str) -> None:
    """Set the XMP dates (prepare writes the time it ran as xmp:MetadataDate) to ``stamp``,
    in the metadata stream itself: editing it through a new stream would leave the old one
    behind in an appended update."""
    stream = pdf.Root.get("/Metadata")
    if not isinstance(stream, pikepdf.Stream):
        return
    value = stamp.encode()

    def put(found: re.Match[bytes]) -> bytes:
        if found.group(1):
            return found.group(1) + value + found.group(2)
        return found.group(3) + value + found.group(4)

    stream.write(_XMP_DATE.sub(put, stream.read_bytes()))


def save_kwargs(pdf: pikepdf.Pdf, flavour: str) -> dict[str, Any]:
    """pikepdf save settings suited to the flavour, with a content-derived document ID."""
    from pikepdf import pdfa

    kwargs = dict(pdfa.resolve_save_kwargs(flavour))
    kwargs.update(deterministic_id=True, compress_streams=True,
                  object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return kwargs


def to_bytes(pdf: pikepdf.Pdf, flavour: str) -> bytes:
    buffer = io.BytesIO()
    pdf.save(buffer, **save_kwargs(pdf, flavour))
    return buffer.getvalue()


def validate(data: bytes | Any, flavour: str) -> Conformance:
    """Validate written bytes (or a path) against the flavour."""
    from pikepdf import pdfa

    source = io.BytesIO(data) if isinstance(data, bytes) else data
    with warnings.catch_warnings():  # the validator records any warning raised while it parses
        warnings.simplefilter("ignore")  # content as a violation: finalise stray objects first
        gc.collect()
    with _quiet_fonttools():  # fontTools warns about fonts' own timestamps
        report = pdfa.validate_written(source, flavour)
    located = [(_object_of(str(f.where)), _reason(f)) for f in report.findings]
    return Conformance(flavour, report.verdict == "pass", _describe(report.findings), located)


def _object_of(where: str) -> tuple[int, int] | None:
    """The object a finding is about ("obj 12 0 (Page) content k" → (12, 0))."""
    parts = where.split()
    if len(parts) >= 3 and parts[0] == "obj" and parts[1].isdigit() and parts[2].isdigit():
        return int(parts[1]), int(parts[2])
    return None


def _describe(findings: list[Any]) -> list[str]:
    counts: Counter[str] = Counter()
    for finding in findings:
        counts[_reason(finding)] += 1
    return [f"{reason} ({count}×)" if count > 1 else reason for reason, count in counts.most_common()]


def _reason(finding: Any) -> str:
    rule = str(finding.rule)
    clause = rule.split(":", 1)[-1] if rule.startswith("ISO_19005") else ""
    for prefix, words in _MESSAGES.items():
        if clause.startswith(prefix):
            return f"{words}: {finding.message}"
    return str(finding.message)


def associate(pdf: pikepdf.Pdf, name: str, relationship: str) -> None:
    """Mark the embedded file ``name`` as an associated file of the document (PDF/A-3:
    /AFRelationship on its file specification and the catalog's /AF array)."""
    spec = pdf.attachments[name].obj
    spec.AFRelationship = Name("/" + relationship)
    if "/AF" not in pdf.Root:
        pdf.Root.AF = Array()
    if not any(item.objgen == spec.objgen for item in pdf.Root.AF if item.is_indirect):
        pdf.Root.AF.append(spec if spec.is_indirect else pdf.make_indirect(spec))


def strip_for_pdfa(pdf: pikepdf.Pdf) -> None:
    """Entries pikepdf.pdfa does not accept in any flavour and that carry nothing shown."""
    if "/OpenAction" in pdf.Root:
        del pdf.Root["/OpenAction"]
    if "/DocChecksum" in pdf.trailer:
        del pdf.trailer["/DocChecksum"]
    if "/ID" in pdf.trailer:  # LibreOffice's is random; qpdf keeps an old first half
        del pdf.trailer["/ID"]


@contextlib.contextmanager
def _quiet_fonttools() -> Iterator[None]:
    log = logging.getLogger("fontTools")
    level = log.level
    log.setLevel(logging.ERROR)
    try:
        yield
    finally:
        log.setLevel(level)
