"""What a bundle shows besides its pages, each part as one digest in the manifest: the bookmarks
(titles, nesting and the page each opens), the page labels and how the file opens (page mode,
layout, viewer preferences), the document properties (title, subject, keywords, author) and
the XMP metadata. ``verify`` recomputes them: a renamed or retargeted bookmark, relabelled
pages or a changed title are named, not passed as "consistent".

Also what the bundle never carries: JavaScript, launch, submit or import actions, actions run
on opening or other triggers. :func:`active_content` finds any that were added afterwards.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pikepdf
from pikepdf import Dictionary, Name

from .digests import canonical_hasher

# part → what an auditor calls it, for messages
PARTS = {"bookmarks": "bookmarks", "page_labels": "page labels and opening view",
         "document_info": "document properties (title, subject, keywords, author)",
         "xmp_metadata": "XMP metadata"}
INFO_KEYS = ("/Title", "/Subject", "/Keywords", "/Author")
VIEW_KEYS = ("/PageLabels", "/PageMode", "/PageLayout", "/ViewerPreferences")
MAX_ITEMS = 200_000


def _text(value: Any) -> bytes:
    if value is None:
        return b"-"
    try:
        return str(value).encode("utf-8", "replace")
    except Exception:  # undecodable: its bytes
        return bytes(value) if isinstance(value, pikepdf.String) else repr(value).encode()


def _bookmarks(pdf: pikepdf.Pdf, numbers: dict[tuple[int, int], int]) -> bytes:
    """Each bookmark as depth, title and the page number it opens (or its action's kind)."""
    lines: list[bytes] = []
    first = pdf.Root.get("/Outlines")
    stack: list[tuple[Any, int]] = [(first.get("/First"), 0)] if isinstance(first, Dictionary) else []
    seen: set[tuple[int, int]] = set()
    while stack and len(lines) < MAX_ITEMS:
        item, depth = stack.pop()
        if not isinstance(item, Dictionary) or (item.is_indirect and item.objgen in seen):
            continue
        if item.is_indirect:
            seen.add(item.objgen)
        target = item.get("/Dest")
        action = item.get("/A")
        if target is None and isinstance(action, Dictionary):
            target = action.get("/D") if action.get("/S") == Name.GoTo else action.get("/S")
        page = target[0] if isinstance(target, pikepdf.Array) and len(target) else None
        where = (b"page %d" % numbers[page.objgen]) if isinstance(page, Dictionary) and \
            page.objgen in numbers else _text(target)
        lines.append(b"%d|" % depth + _text(item.get("/Title")) + b"|" + where)
        stack.append((item.get("/Next"), depth))  # the sibling after this one's children
        stack.append((item.get("/First"), depth + 1))
    return b"\n".join(lines)


def document_digests(pdf: pikepdf.Pdf) -> dict[str, str]:
    """The digest of each part named in :data:`PARTS`."""
    numbers = {page.obj.objgen: n for n, page in enumerate(pdf.pages, start=1)}
    value = canonical_hasher()
    root = pdf.Root
    view = b";".join(key.encode() + b"=" + (value(root[key]) if key in root else b"-") for key in VIEW_KEYS)
    info = pdf.trailer.get("/Info")
    props = b";".join(key.encode() + b"=" + _text(info.get(key) if isinstance(info, Dictionary) else None)
                      for key in INFO_KEYS)
    metadata = root.get("/Metadata")
    xmp = _xmp_fields(metadata.read_bytes()) if isinstance(metadata, pikepdf.Stream) else b"-"
    parts = {"bookmarks": _bookmarks(pdf, numbers), "page_labels": view, "document_info": props,
             "xmp_metadata": xmp}
    return {name: hashlib.sha256(data).hexdigest() for name, data in parts.items()}


# what the XMP says the file is (its dates and producer change when a signature is appended)
_DC, _PDF, _PDFA = ("http://purl.org/dc/elements/1.1/", "http://ns.adobe.com/pdf/1.3/",
                    "http://www.aiim.org/pdfa/ns/id/")
XMP_FIELDS = {(_DC, "title"), (_DC, "description"), (_DC, "creator"), (_PDF, "Keywords"),
              (_PDFA, "part"), (_PDFA, "conformance")}


def _xmp_fields(packet: bytes) -> bytes:
    """The title, description, creator, keywords and PDF/A claim the XMP packet states."""
    from xml.etree import ElementTree

    try:
        tree = ElementTree.fromstring(packet.strip().strip(b"\x00"))
    except ElementTree.ParseError:
        return b"unreadable:" + packet
    found: list[tuple[str, str]] = []
    for element in tree.iter():
        for name, value in element.attrib.items():
            ns, _, local = name[1:].partition("}") if name.startswith("{") else ("", "", name)
            if (ns, local) in XMP_FIELDS:
                found.append((local, value))
        tag = element.tag if isinstance(element.tag, str) else ""
        ns, _, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
        if (ns, local) in XMP_FIELDS:
            found.append((local, " ".join(t.strip() for t in element.itertext() if t.strip())))
    return "\n".join(f"{k}={v}" for k, v in sorted(found)).encode("utf-8", "replace")


ACTIONS = {"/JavaScript": "JavaScript", "/Launch": "a launch action (runs a program)",
           "/SubmitForm": "a submit-form action", "/ImportData": "an import-data action",
           "/ResetForm": "a reset-form action", "/GoToR": "a link into another file",
           "/GoToE": "a link into an embedded file", "/Rendition": "a media action",
           "/Movie": "a movie action", "/Sound": "a sound action", "/RichMediaExecute": "rich media"}


def active_content(pdf: pikepdf.Pdf, volumes: frozenset[str] = frozenset()) -> list[str]:
    """What of the active content the bundle never carries is in the file (at most a few);
    ``volumes``: the files of a bundle in volumes, which its links into another volume open."""
    found: list[str] = []
    root = pdf.Root
    if "/OpenAction" in root and isinstance(root.OpenAction, Dictionary):
        found.append("an action run when the file opens")
    names = root.get("/Names")
    if isinstance(names, Dictionary) and "/JavaScript" in names:
        found.append("document-level JavaScript")
    def note(what: str) -> None:
        if what not in found:
            found.append(what)

    for obj in pdf.objects:
        if len(found) >= 5:
            break
        mapping = obj.stream_dict if isinstance(obj, pikepdf.Stream) else obj
        if not isinstance(mapping, Dictionary):
            continue
        triggers = mapping.get("/AA")
        actions = [mapping, mapping.get("/A")]  # an action, or a link's or field's own (direct)
        if triggers is not None:
            note("actions run on a trigger (open, close, keystroke …)")
            if isinstance(triggers, Dictionary):
                actions += [triggers[key] for key in triggers.keys()]  # noqa: SIM118
        for action in actions:
            if not isinstance(action, Dictionary):
                continue
            kind = action.get("/S")
            if kind == Name.GoToR and str(action.get("/F", "")) in volumes:
                continue  # a link into another volume of the same bundle
            if isinstance(kind, Name) and str(kind) in ACTIONS:
                note(ACTIONS[str(kind)])
            if "/JS" in action:
                note("JavaScript")
    return found
