"""Nothing active reaches the auditor: strip from a source PDF every action other than an
internal GoTo, an http(s) URI or a mailto link; all JavaScript; launch, submit, import and other
actions; embedded files inside annotations; multimedia annotations; XFA. Each removal is
recorded (page, what) for the manifest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pikepdf

SAFE_SCHEMES = ("http://", "https://", "mailto:")
ACTIVE_ANNOTS = {"/FileAttachment": "an embedded file", "/Movie": "a movie", "/Sound": "a sound",
                 "/Screen": "a screen (media) annotation", "/RichMedia": "rich media (Flash/video)",
                 "/3D": "a 3D model"}
TRIGGERS = {"/O": "page open", "/C": "page close or calculate", "/K": "keystroke", "/F": "format",
            "/V": "validate", "/E": "mouse enter", "/X": "mouse exit",
            "/D": "mouse down", "/U": "mouse up", "/Fo": "focus", "/Bl": "blur", "/PO": "page open",
            "/PC": "page close", "/PV": "page visible", "/PI": "page invisible",
            "/WC": "document close", "/WS": "before save", "/DS": "after save",
            "/WP": "before print", "/DP": "after print"}


@dataclass(frozen=True)
class Removal:
    page: int | None  # 1-based page of the source file; None for the document as a whole
    what: str

    def __str__(self) -> str:
        return f"{'page ' + str(self.page) if self.page else 'document'}: {self.what}"


def _text(value: Any, limit: int = 80) -> str:
    try:
        text = str(value)
    except Exception:  # undecodable bytes: say so, never a repr
        text = "(unreadable)"
    text = "".join(ch if ch.isprintable() else "?" for ch in text)
    return text if len(text) <= limit else text[:limit] + "…"


def _bad_actions(action: Any, depth: int = 0) -> list[str]:
    """Why ``action`` (and its /Next chain) is not allowed; [] when it is harmless."""
    if depth > 20 or not isinstance(action, pikepdf.Dictionary):
        return [] if action is None or isinstance(action, pikepdf.Array) else ["a malformed action"]
    kind = str(action.get("/S", "/unknown"))
    problems: list[str] = []
    if kind == "/GoTo":
        pass
    elif kind == "/URI":
        uri = _text(action.get("/URI", ""), 200)
        if not uri.lower().startswith(SAFE_SCHEMES):
            problems.append(f"a link to '{_text(uri)}' (only http, https and mailto links are kept)")
    elif kind == "/JavaScript":
        problems.append("JavaScript")
    else:
        target: Any = action.get("/F")
        if isinstance(target, pikepdf.Dictionary):
            target = target.get("/UF") or target.get("/F") or ""
        named = f" of '{_text(target)}'" if target is not None else ""
        problems.append(f"a {kind.lstrip('/')} action{named}")
    following = action.get("/Next")
    if isinstance(following, pikepdf.Array):
        for item in following:
            problems += _bad_actions(item, depth + 1)
    elif following is not None:
        problems += _bad_actions(following, depth + 1)
    return problems


def _strip_triggers(node: Any, page: int | None, where: str, out: list[Removal]) -> None:
    triggers = node.get("/AA")
    if triggers is None:
        return
    if isinstance(triggers, pikepdf.Dictionary):
        for key in sorted(triggers.keys()):  # a set: sorted, so the manifest is reproducible
            for problem in _bad_actions(triggers[key]) or ["an action"]:
                out.append(Removal(page, f"{problem} run on {TRIGGERS.get(key, key.lstrip('/'))} "
                                         f"({where})"))
    else:
        out.append(Removal(page, f"an unreadable list of triggered actions ({where})"))
    del node["/AA"]


def strip_active(pdf: pikepdf.Pdf) -> list[Removal]:
    """Remove active content from ``pdf`` in place; return what was removed."""
    out: list[Removal] = []
    root = pdf.Root
    opener = root.get("/OpenAction")
    if isinstance(opener, pikepdf.Dictionary):
        for problem in _bad_actions(opener):
            out.append(Removal(None, f"{problem} run when the document opens"))
        del root["/OpenAction"]
    _strip_triggers(root, None, "document", out)
    names = root.get("/Names")
    if isinstance(names, pikepdf.Dictionary):
        if "/JavaScript" in names:
            count = _count_names(names.JavaScript)
            out.append(Removal(None, f"{count} document-level JavaScript program(s)"))
            del names["/JavaScript"]
        if "/EmbeddedFiles" in names:
            files = _embedded_names(names.EmbeddedFiles)
            out.append(Removal(None, f"{len(files)} embedded file(s) not carried into the bundle"
                                     + (f" ({', '.join(files[:5])})" if files else "")))
            del names["/EmbeddedFiles"]
    form = root.get("/AcroForm")
    if isinstance(form, pikepdf.Dictionary):
        if "/XFA" in form:
            out.append(Removal(None, "an XFA form (dynamic form program); the static form is kept"))
            del form["/XFA"]
        for field in _fields(form):
            _strip_triggers(field, None, f"form field '{_text(field.get('/T', ''))}'", out)
            if "/A" in field:
                for problem in _bad_actions(field.A) or []:
                    out.append(Removal(None, f"{problem} (form field '{_text(field.get('/T', ''))}')"))
    _strip_outline_actions(pdf, out)
    for number, page in enumerate(pdf.pages, start=1):
        node = page.obj
        _strip_triggers(node, number, "page", out)
        annots = node.get("/Annots")
        if not isinstance(annots, pikepdf.Array):
            continue
        kept = []
        changed = False
        for annot in annots:
            if not isinstance(annot, pikepdf.Dictionary):
                changed = True
                continue
            subtype = str(annot.get("/Subtype", ""))
            if subtype in ACTIVE_ANNOTS:
                name = ""
                spec = annot.get("/FS")
                if isinstance(spec, pikepdf.Dictionary):
                    name = f" '{_text(spec.get('/UF', spec.get('/F', '')))}'"
                out.append(Removal(number, f"{ACTIVE_ANNOTS[subtype]}{name} in an annotation"))
                changed = True
                continue
            label = "form field" if subtype == "/Widget" else f"{subtype.lstrip('/').lower()} annotation"
            _strip_triggers(annot, number, label, out)
            action = annot.get("/A")
            if action is not None:
                problems = _bad_actions(action)
                if problems:
                    out += [Removal(number, f"{p} on a {label}") for p in problems]
                    del annot["/A"]
            kept.append(annot)
        if changed:
            node.Annots = pikepdf.Array(kept)
    seen: set[tuple[int, int]] = set()
    for number, page in enumerate(pdf.pages, start=1):
        _strip_reachable(page.obj, number, out, seen)
    return out


_NOT_FOLLOWED = frozenset({"/Parent", "/P", "/Dest", "/Contents", "/Prev", "/Next", "/First",
                           "/Last", "/IRT", "/Popup"})
# keys whose values the format makes numbers, names or number arrays: not even looked at (a
# 5,000-page bundle would spend most of the walk on its pages' boxes)
_SCALAR = frozenset({"/Type", "/Subtype", "/MediaBox", "/CropBox", "/BleedBox", "/TrimBox", "/ArtBox",
                     "/Rotate", "/UserUnit", "/Length", "/Filter", "/DecodeParms", "/Widths", "/W",
                     "/ProcSet", "/StructParents", "/StructParent", "/Tabs", "/Matrix", "/BBox",
                     "/BaseFont", "/FirstChar", "/LastChar", "/Width", "/Height", "/BitsPerComponent",
                     "/Decode", "/Interpolate", "/Rect", "/Border", "/Flags", "/FontBBox", "/ItalicAngle",
                     "/Ascent", "/Descent", "/CapHeight", "/StemV", "/FontName", "/Length1", "/Length2",
                     "/Length3"})


def _embedded(value: Any) -> bool:
    """A file specification carrying a file, or an embedded file stream itself."""
    if isinstance(value, pikepdf.Stream):
        return value.stream_dict.get("/Type") == pikepdf.Name.EmbeddedFile
    return isinstance(value, pikepdf.Dictionary) and "/EF" in value


def _spec_name(value: Any) -> str:
    if isinstance(value, pikepdf.Dictionary):
        name = value.get("/UF", value.get("/F"))
        if name is not None and not isinstance(name, pikepdf.Dictionary):
            return f" '{_text(name)}'"
    return ""


_ARRAY, _DICTIONARY, _STREAM = (pikepdf.ObjectType.array, pikepdf.ObjectType.dictionary,
                                 pikepdf.ObjectType.stream)
_CONTAINERS = (_ARRAY, _DICTIONARY, _STREAM)


def _code(value: Any) -> Any:
    """pikepdf's type code of ``value`` (numbers and booleans come back as Python's: None)."""
    return getattr(value, "_type_code", None)


def _strip_reachable(page: Any, number: int, out: list[Removal], seen: set[tuple[int, int]]) -> None:
    """Everything a page reaches (its annotations, their pop-up parents, resources, forms,
    private keys): embedded files (a page's or a form's /AF, an annotation's /FS, a file under any
    key) and actions run by a trigger or a click are removed wherever they are; each removal
    is recorded. Other pages, and the page tree, are not followed from here. (Each node's
    entries are read in one call: a call into pikepdf costs more than the rest of the walk.)"""
    stack: list[Any] = [page]
    steps = 0
    while stack and steps < 2_000_000:  # a hostile file's object graph is bounded here too
        steps += 1
        node = stack.pop()
        code = node._type_code
        if code not in _CONTAINERS:
            continue
        if node.is_indirect:  # arrays too: an array that holds itself must not loop
            ref = node.objgen
            if ref in seen or len(seen) > 500_000:
                continue
            seen.add(ref)
        if code == _ARRAY:  # (one held by a key is checked below; this is one in a list)
            for index in reversed(range(len(node))):
                if _embedded(node[index]):
                    out.append(Removal(number, f"an embedded file{_spec_name(node[index])} (in a list)"))
                    del node[index]
            stack.extend(item for item in node if _code(item) in _CONTAINERS)
            continue
        mapping = node.stream_dict if code == _STREAM else node
        entries = dict(mapping.items())
        own = mapping is page
        if not own and entries.get("/Type") == pikepdf.Name.Page:
            continue
        if not own and "/AA" in entries:
            _strip_triggers(mapping, number, "an object the page uses", out)
        action = entries.get("/A")
        if action is not None and not own:
            problems = _bad_actions(action)
            if problems:
                out += [Removal(number, f"{p} (on an object the page uses)") for p in problems]
                del mapping["/A"]
        for key, value in entries.items():
            if key in _SCALAR or key == "/A" or key == "/AA":
                continue
            kind = _code(value)
            if kind in (_DICTIONARY, _STREAM):
                if _embedded(value):
                    out.append(Removal(number, f"an embedded file{_spec_name(value)} ({key.lstrip('/')})"))
                    del mapping[key]
                elif key not in _NOT_FOLLOWED:
                    stack.append(value)
            elif kind == _ARRAY:
                files = [item for item in value if _embedded(item)]
                if files:
                    out += [Removal(number, f"an embedded file{_spec_name(item)} ({key.lstrip('/')})")
                            for item in files]
                    rest = [item for item in value if not _embedded(item)]
                    if rest:
                        mapping[key] = value = pikepdf.Array(rest)
                    else:
                        del mapping[key]
                        continue
                if key not in _NOT_FOLLOWED:
                    stack.append(value)
        if entries.get("/Subtype") == pikepdf.Name.Popup:  # the annotation a pop-up belongs to
            popup_parent = entries.get("/Parent")
            if _code(popup_parent) == _DICTIONARY:
                stack.append(popup_parent)


def _fields(form: Any) -> list[Any]:
    found: list[Any] = []
    stack = list(form.get("/Fields", pikepdf.Array()))
    seen: set[tuple[int, int]] = set()
    while stack:
        field = stack.pop()
        if not isinstance(field, pikepdf.Dictionary) or (field.is_indirect and field.objgen in seen):
            continue
        if field.is_indirect:
            seen.add(field.objgen)
        found.append(field)
        stack.extend(field.get("/Kids", pikepdf.Array()))
    return found


def _count_names(tree: Any) -> int:
    try:
        return len(pikepdf.NameTree(tree))
    except Exception:
        return 1


def _embedded_names(tree: Any) -> list[str]:
    try:
        return [_text(k) for k in pikepdf.NameTree(tree).keys()]  # noqa: SIM118
    except Exception:
        return []


def _strip_outline_actions(pdf: pikepdf.Pdf, out: list[Removal]) -> None:
    """Outline items are rebuilt from their titles and pages, so their actions never travel;
    active ones are still listed."""
    outlines = pdf.Root.get("/Outlines")
    if not isinstance(outlines, pikepdf.Dictionary):
        return
    stack: list[Any] = [outlines.get("/First")]
    seen: set[tuple[int, int]] = set()
    while stack:
        item = stack.pop()
        if not isinstance(item, pikepdf.Dictionary) or item.objgen in seen or len(seen) > 100_000:
            continue
        seen.add(item.objgen)
        for problem in _bad_actions(item.get("/A")):
            out.append(Removal(None, f"{problem} on the bookmark '{_text(item.get('/Title', ''))}'"))
        stack += [item.get("/Next"), item.get("/First")]

