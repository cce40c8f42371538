"""Atomic, reproducible file output."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import tempfile
import zipfile
from pathlib import Path

from .errors import UserError
from .faults import NAME_MAX, reported

MAX_EPOCH = 253402300799  # 9999-12-31T23:59:59Z, the last second a date can hold
ZIP_FIRST, ZIP_LAST = dt.datetime(1980, 1, 1), dt.datetime(2107, 12, 31, 23, 59, 58)  # DOS time


class SourceDateError(UserError):
    """``SOURCE_DATE_EPOCH`` is set but is not a usable time: a usage error (exit 2)."""

    exit_code = 2


def source_date(default: dt.datetime | None = None) -> dt.datetime:
    """The build time: ``SOURCE_DATE_EPOCH`` when set (reproducible builds), else ``default``
    or now, as naive UTC. A value that is not a whole number of seconds from 0 to the end of
    year 9999 is refused (reproducible-builds.org: a malformed value must stop the build)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is not None and epoch.strip():
        text = epoch.strip()
        if not (text.isascii() and text.isdigit()) or int(text) > MAX_EPOCH:
            shown = text if len(text) <= 40 else text[:40] + "…"
            raise SourceDateError(
                f"SOURCE_DATE_EPOCH={shown!r} is not a build time: it must be a whole number of "
                f"seconds since 1970-01-01 UTC, from 0 to {MAX_EPOCH} (9999-12-31); fix or unset it.")
        return dt.datetime.fromtimestamp(int(text), dt.UTC).replace(tzinfo=None)
    if default is not None:
        return default
    return dt.datetime.now(dt.UTC).replace(tzinfo=None, microsecond=0)


def utf16_head(head: bytes) -> str | None:
    """The start of a UTF-16 text file with its byte-order mark (Excel's "Unicode Text", a
    UTF-16 CSV), decoded; None without the mark, or when it does not decode."""
    codec = {b"\xff\xfe": "utf-16-le", b"\xfe\xff": "utf-16-be"}.get(head[:2])
    if codec is None:
        return None
    body = head[2:len(head) - (len(head) % 2)]
    for cut in (body, body[:-2]):  # a head read in blocks may end inside a surrogate pair
        try:
            return cut.decode(codec)
        except UnicodeDecodeError:
            continue
    return None


def user_cache(name: str) -> Path | None:
    """The folder for ``name`` in this user's cache: $XDG_CACHE_HOME/isms-review/<name>, else
    ~/.cache/isms-review/<name>; None when there is no home (a bare container): no cache."""
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = str(Path.home() / ".cache")
        except RuntimeError:  # no HOME and no password entry
            return None
    return Path(base) / "isms-review" / name


def _temp_prefix(name: str) -> str:
    """``.<name>.`` cut so that the temporary name (plus 8 random and ``.tmp``) still fits."""
    room = NAME_MAX - 14
    raw = os.fsencode(name)[:room]
    return "." + raw.decode("utf-8", "ignore") + "."


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place, so a
    reader never sees a half-written file and a failure leaves the old file untouched.
    A fault of the disk or the folder becomes one line naming ``path`` (faults.py)."""
    with reported(path, needed=len(data)):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path.name), suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


_CORE_DATES = re.compile(
    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:(?:created|modified)>)"
)


def core_properties_xml(title: str, author: str, subject: str, when: dt.datetime) -> bytes:
    """A complete docProps/core.xml, independent of what the writing library put there."""
    from xml.sax.saxutils import escape

    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms='
        '"http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title><dc:subject>{escape(subject)}</dc:subject>"
        f"<dc:creator>{escape(author)}</dc:creator><cp:lastModifiedBy>{escape(author)}"
        "</cp:lastModifiedBy><cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode()


def reproducible_zip(data: bytes, when: dt.datetime, core_xml: bytes | None = None) -> bytes:
    """Rewrite an OOXML zip with fixed member timestamps and fixed document dates, keeping
    member order, so identical content gives identical bytes. ``core_xml`` replaces the
    document properties part whole."""
    stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    date_time = min(max(when, ZIP_FIRST), ZIP_LAST).timetuple()[:6]  # zip holds 1980 to 2107
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(
        out, "w", zipfile.ZIP_DEFLATED
    ) as dst:
        for info in src.infolist():
            body = src.read(info)
            if info.filename == "docProps/core.xml":
                body = core_xml or _CORE_DATES.sub(rb"\g<1>" + stamp + rb"\g<2>", body)
            member = zipfile.ZipInfo(info.filename, date_time=date_time)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o644 << 16
            member.create_system = 3
            dst.writestr(member, body, compresslevel=6)
    return out.getvalue()


def safe_name(text: str) -> str:
    """A file-name-safe form of a Review ID."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")
    return name or "review"
