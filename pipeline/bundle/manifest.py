"""The bundle's manifest as the verifier reads it: a strict, typed view of untrusted JSON.

Anything that is not exactly the shape isms-review writes is :class:`ManifestShape` with one
sentence saying where it is wrong; nothing in here can raise anything else, whatever the input.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

HEX64 = re.compile(r"[0-9a-f]{64}")
MAX_PAGES = 10_000_000
VOLUME_FILE = re.compile(r"[^/\\\x00]{1,250}\.pdf")
MAX_OWN_REVISIONS = 2  # written whole, or merged then edited by one appended update
DIGEST_SCHEMES = 2  # page digest schemes verify knows (pipeline.bundle.digests.SCHEME)


class ManifestShape(ValueError):
    """The manifest is not one isms-review wrote."""


@dataclass(frozen=True)
class PartRef:
    key: str
    title: str
    first_page: int
    pages: int


@dataclass(frozen=True)
class FileRef:
    ids: tuple[str, ...]
    file: str
    sha256: str | None
    first_page: int
    pages: int
    status: str


@dataclass(frozen=True)
class VolumeRef:
    number: int
    file: str  # a plain file name, beside the other volumes
    first_page: int
    last_page: int
    attachments: tuple[str, ...]


@dataclass
class Manifest:
    review_id: str
    status: str
    pages: int
    parts: list[PartRef]
    files: list[FileRef]
    digests: list[str] | None
    attachments: dict[str, str] = field(default_factory=dict)  # embedded name → SHA-256
    signature_box: tuple[int, tuple[float, float, float, float]] | None = None
    control: dict[str, Any] = field(default_factory=dict)
    documents: list[dict[str, Any]] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    revisions: int = 1  # revisions the bundle was written with (its edits may be appended)
    volumes: list[VolumeRef] = field(default_factory=list)  # a bundle split by --volume-size
    digest_scheme: int = 1  # how the page digests were taken (see pipeline.bundle.digests)
    document: dict[str, str] = field(default_factory=dict)  # part → digest (document_digests)

    def part_at(self, page: int) -> PartRef | None:
        for part in self.parts:
            if part.first_page <= page < part.first_page + part.pages:
                return part
        return None

    def source_at(self, page: int) -> str:
        """Who a page belongs to, for messages: 'EV-D2-1 (metrics.pdf)' or a part's title."""
        for entry in self.files:
            if entry.first_page <= page < entry.first_page + entry.pages:
                return f"{', '.join(entry.ids)} ({entry.file})"
        part = self.part_at(page)
        return part.title if part else "no part of the manifest"


def _int(value: Any, where: str, low: int = 0, high: int = MAX_PAGES) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ManifestShape(f"{where} must be a whole number from {low} to {high}")
    return value


def _str(value: Any, where: str, allow_none: bool = False) -> str:
    if value is None and allow_none:
        return ""
    if not isinstance(value, str):
        raise ManifestShape(f"{where} must be text")
    return value


def _dict(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ManifestShape(f"{where} must be an object")
    return value


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        raise ManifestShape(f"{where} must be a list")
    return value


def _sha(value: Any, where: str, allow_none: bool = False) -> str | None:
    if value is None and allow_none:
        return None
    if not isinstance(value, str) or not HEX64.fullmatch(value):
        raise ManifestShape(f"{where} must be a SHA-256 in hex")
    return value


def parse_manifest(data: bytes) -> Manifest:
    try:
        raw = json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ManifestShape("it is not JSON") from None
    return parse_object(raw)


def parse_object(raw: Any) -> Manifest:
    try:
        return _parse(raw)
    except ManifestShape:
        raise
    except (RecursionError, MemoryError, OverflowError):
        raise ManifestShape("it is nested or sized beyond what a manifest can be") from None


def _parse(raw: Any) -> Manifest:
    top = _dict(raw, "the manifest")
    pages = _int(top.get("pages"), "'pages'", 1)
    parts = []
    for n, item in enumerate(_list(top.get("parts"), "'parts'")):
        item = _dict(item, f"parts[{n}]")
        parts.append(PartRef(_str(item.get("key"), f"parts[{n}].key"),
                             _str(item.get("title"), f"parts[{n}].title"),
                             _int(item.get("first_page"), f"parts[{n}].first_page", 1),
                             _int(item.get("pages"), f"parts[{n}].pages")))
    files = []
    for n, item in enumerate(_list(top.get("files"), "'files'")):
        item = _dict(item, f"files[{n}]")
        ids = _list(item.get("evidence_ids"), f"files[{n}].evidence_ids")
        if not ids:
            raise ManifestShape(f"files[{n}].evidence_ids is empty")
        files.append(FileRef(tuple(_str(i, f"files[{n}].evidence_ids") for i in ids),
                             _str(item.get("file"), f"files[{n}].file"),
                             _sha(item.get("sha256"), f"files[{n}].sha256", allow_none=True),
                             _int(item.get("first_page"), f"files[{n}].first_page", 1),
                             _int(item.get("pages"), f"files[{n}].pages"),
                             _str(item.get("status"), f"files[{n}].status")))
    digests = None
    if "page_digests" in top:
        digests = [_sha(d, f"page_digests[{n}]") or ""
                   for n, d in enumerate(_list(top["page_digests"], "'page_digests'"))]
    attachments = {}
    for name, digest in _dict(top.get("attachments", {}), "'attachments'").items():
        attachments[name] = _sha(digest, f"attachments[{name!r}]") or ""
    box = None
    if top.get("signature_box") is not None:
        spot = _dict(top["signature_box"], "'signature_box'")
        rect = _list(spot.get("rect"), "signature_box.rect")
        if len(rect) != 4 or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                     and abs(v) < 1e6 for v in rect):
            raise ManifestShape("signature_box.rect must be four numbers")
        box = (_int(spot.get("page"), "signature_box.page", 1), tuple(float(v) for v in rect))
    control = _dict(top.get("control", {}), "'control'")
    documents = [_dict(d, f"documents[{n}]") for n, d in enumerate(_list(top.get("documents", []),
                                                                         "'documents'"))]
    revisions = _int(top.get("revisions", 1), "'revisions'", 1, MAX_OWN_REVISIONS)
    volumes = _volumes(top.get("volumes", []), pages)
    scheme = _int(top.get("page_digest_scheme", 1), "'page_digest_scheme'", 1, DIGEST_SCHEMES)
    document = {_str(name, "document_digests"): _sha(digest, f"document_digests[{name!r}]") or ""
                for name, digest in _dict(top.get("document_digests", {}), "'document_digests'").items()}
    return Manifest(_str(top.get("review_id"), "'review_id'", allow_none=True),
                    _str(top.get("status"), "'status'"), pages, parts, files, digests, attachments,
                    box, control, documents, top, revisions, volumes, scheme,  # type: ignore[arg-type]
                    document)


def _volumes(raw: Any, pages: int) -> list[VolumeRef]:
    """The volumes, which must follow on from page 1 to the last page, one file name each."""
    volumes = []
    following = 1
    for n, item in enumerate(_list(raw, "'volumes'")):
        item = _dict(item, f"volumes[{n}]")
        name = _str(item.get("file"), f"volumes[{n}].file")
        if not VOLUME_FILE.fullmatch(name):
            raise ManifestShape(f"volumes[{n}].file must be a plain PDF file name")
        first = _int(item.get("first_page"), f"volumes[{n}].first_page", 1)
        last = _int(item.get("last_page"), f"volumes[{n}].last_page", 1)
        if _int(item.get("volume"), f"volumes[{n}].volume", 1) != n + 1 or first != following \
                or last < first:
            raise ManifestShape(f"volumes[{n}] does not follow on from the volume before it")
        names = tuple(_str(a, f"volumes[{n}].attachments")
                      for a in _list(item.get("attachments", []), f"volumes[{n}].attachments"))
        volumes.append(VolumeRef(n + 1, name, first, last, names))
        following = last + 1
    if volumes and following != pages + 1:
        raise ManifestShape(f"the volumes end at page {following - 1}, not at page {pages}")
    return volumes
