"""Template tags checked the way a Word user sees them: paragraph by paragraph, quoting the text.

Jinja reads a Word template as one long line of XML, so its own errors say "line 1" and stop at
the first problem. Here every paragraph (body, tables, headers, footers) is read as Word shows
it, every tag in it is checked on its own, and loops and conditions are matched across
paragraphs, so that all problems are reported at once, each quoting the paragraph it is in and
saying in plain words what to type instead.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
import typing
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import docx
from jinja2 import TemplateAssertionError, TemplateSyntaxError, nodes

from .model import DocControl, Meeting
from .sandbox import sandbox

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_W_T, _W_TR, _W_TC = _W + "t", _W + "tr", _W + "tc"
_TAG = re.compile(r"\{\{(.*?)\}\}|\{%(.*?)%\}|\{#.*?#\}", re.S)
_PREFIX = re.compile(r"^\s*(?:p|r|tr|tc)(?=\s)")
_WORDS = re.compile(r"^[A-Za-z][\w\-/]*(?:\s+[A-Za-z][\w\-/]*)+$")
_FILTER = re.compile(r"No filter named '([^']+)'")
_OPENERS = {"for": "endfor", "if": "endif", "with": "endwith"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_PLAIN_FILTERS = ("upper", "lower", "title", "capitalize", "trim", "default", "join", "length",
                  "round", "truncate", "replace", "first", "last", "sort", "wordcount")


@dataclass(frozen=True)
class Paragraph:
    where: str  # "" for the body, else "in the header", "in a table" …
    text: str

    def quote(self, around: str = "") -> str:
        text = " ".join(self.text.split())
        if len(text) > 90:
            at = max(text.find(around.strip()[:20]) if around else 0, 0)
            start = max(0, min(at - 30, len(text) - 90))
            text = ("…" if start else "") + text[start:start + 90] + "…"
        place = f" {self.where}" if self.where else ""
        return f'the paragraph "{text}"{place}'


def paragraphs(path: Path) -> list[Paragraph]:
    """Every paragraph of the document as Word shows its text, in reading order (a table's
    cells between the paragraphs around it), then headers and footers."""
    document = docx.Document(str(path))
    found: list[Paragraph] = []

    def walk(element: Any, where: str) -> None:
        for child in element.iterchildren():
            tag = child.tag.rsplit("}", 1)[-1]
            if tag == "p":
                found.append(Paragraph(where, "".join(t.text or "" for t in child.iter(_W_T))))
            elif tag == "tbl":
                for row in child.iterchildren(_W_TR):
                    for cell in row.iterchildren(_W_TC):
                        walk(cell, where or "in a table")
            elif tag in ("sdt", "sdtContent", "customXml"):
                walk(child, where)

    walk(document.element.body, "")
    for section in document.sections:
        for part, where in ((section.header, "in the header"), (section.footer, "in the footer"),
                            (section.first_page_header, "in the first-page header"),
                            (section.first_page_footer, "in the first-page footer")):
            if not part.is_linked_to_previous:
                walk(part._element, where)
    return found


@dataclass
class _Open:
    keyword: str
    tag: str
    paragraph: Paragraph
    names: dict[str, Any] = dataclasses.field(default_factory=dict)  # loop variables → type


def check_tags(path: Path) -> list[str]:
    """Every tag problem in the template, one plain-English line each (empty when none)."""
    name = path.name
    problems: list[str] = []
    stack: list[_Open] = []
    for para in paragraphs(path):
        problems += _unclosed(name, para)
        for m in _TAG.finditer(para.text):
            tag = m.group(0)
            if m.group(1) is not None:
                problem = _expression(m.group(1)) or _names(m.group(1), stack)
            elif m.group(2) is not None:
                problem = _statement(m.group(2), tag, para, stack)
            else:
                problem = None
            if problem and problem.startswith("unknown variable"):
                what, _, why = problem.partition("';")
                what, why = (what + "'", why) if why else problem.partition(".")[::2]
                problems.append(f"{name}: {what.strip()} in {tag} in {para.quote(tag)}: "
                                f"{why.strip() or 'see docs/templates.md.'}")
            elif problem:
                problems.append(f"{name}: broken tag {tag} in {para.quote(tag)}: {problem}")
    for still in stack:
        closer = _OPENERS[still.keyword]
        problems.append(
            f"{name}: broken tag {still.tag} in {still.paragraph.quote(still.tag)}: it starts a "
            f"{_what(still.keyword)} that is never closed. Add a paragraph (or table row) of its "
            f"own holding {{%{_prefix(still.tag)} {closer} %}} after the part to repeat or show.")
    return problems


def _what(keyword: str) -> str:
    return {"for": "loop (repeat)", "if": "condition", "with": "with-block"}[keyword]


def _prefix(tag: str) -> str:
    m = re.match(r"\{%\s*(p|tr|tc|r)\s", tag)
    return m.group(1) if m else ""


def _unclosed(name: str, para: Paragraph) -> list[str]:
    """An opening {{ or {% without its closing pair in the same paragraph."""
    rest = _TAG.sub("", para.text)
    problems = []
    for opener, closer in (("{{", "}}"), ("{%", "%}")):
        at = rest.find(opener)
        if at >= 0:
            fragment = rest[at:at + 40].split("\n")[0]
            problems.append(f"{name}: broken tag {fragment.strip()} in {para.quote(fragment)}: it "
                            f"is not closed; end it with {closer} in the same paragraph (a tag "
                            "cannot run across two paragraphs).")
    return problems


def _expression(body: str) -> str | None:
    body = _PREFIX.sub("", body).strip()
    if not body:
        return "the tag is empty; write a variable in it, e.g. {{ doc.review_id }}."
    try:
        sandbox().from_string("{{ " + body + " }}")
    except TemplateAssertionError as exc:
        return _filter_problem(str(exc)) or f"{exc.message}."
    except TemplateSyntaxError as exc:
        if _WORDS.match(body):
            return _spaced_name(body)
        return f"Word text between the braces is not a variable ({exc.message}); write a " \
               "variable such as {{ doc.review_id }}, see docs/templates.md."
    return None


def _filter_problem(message: str) -> str | None:
    m = _FILTER.search(message)
    if not m:
        return None
    close = difflib.get_close_matches(m.group(1), sorted(sandbox().filters), n=1)
    hint = f" Did you mean '{close[0]}'?" if close else ""
    return (f"there is no filter called '{m.group(1)}'.{hint} Filters you can use after | "
            f"include: {', '.join(_PLAIN_FILTERS)}.")


def workbook_names() -> dict[str, str]:
    """Workbook field names as people type them → the variable that holds them."""
    names: dict[str, str] = {}
    for prefix, cls in (("doc", DocControl), ("meeting", Meeting)):
        for f in dataclasses.fields(cls):
            names[f.name.replace("_", " ")] = f"{prefix}.{f.name}"
    names.update({"review id": "doc.review_id", "organisation": "doc.organisation",
                  "organization": "doc.organisation", "data cut-off": "doc.cutoff",
                  "cut-off": "doc.cutoff", "document owner": "doc.owner",
                  "meeting date": "meeting.date", "meeting time": "meeting.start",
                  "time zone": "meeting.timezone", "next review date": "meeting.next_review",
                  "next review": "meeting.next_review", "isms scope": "doc.isms_scope",
                  "approved by": "approved_by", "approved on": "approved_on"})
    return names


def _spaced_name(body: str) -> str:
    variable = workbook_names().get(" ".join(body.split()).casefold())
    fix = (f"for the workbook's {body.strip()} write {{{{ {variable} }}}}" if variable else
           "variables are written without spaces, e.g. {{ doc.review_id }}; see "
           "docs/templates.md for their names")
    return f"a variable name has no spaces: {fix}."


def _statement(body: str, tag: str, para: Paragraph, stack: list[_Open]) -> str | None:
    inner = _PREFIX.sub("", body).strip()
    keyword = inner.split(maxsplit=1)[0] if inner else ""
    if keyword in _OPENERS:
        closer = _OPENERS[keyword]
        try:
            sandbox().from_string(f"{{% {inner} %}}{{% {closer} %}}")
        except TemplateAssertionError as exc:
            return _filter_problem(str(exc)) or f"{exc.message}."
        except TemplateSyntaxError as exc:
            example = "{%p for item in agenda %}" if keyword == "for" else "{%p if final %}"
            return f"the {keyword} is not written right ({exc.message}); e.g. {example}."
        if keyword == "for":
            problem = _names(inner.split(" in ", 1)[1] if " in " in inner else "", stack)
            if problem:
                return problem
        stack.append(_Open(keyword, tag, para, _loop_names(inner, stack)))
        return None
    if keyword in _CLOSERS:
        opener = _CLOSERS[keyword]
        if not stack:
            return f"it closes a {_what(opener)} that was never started; delete it, or add " \
                   f"the {{% {opener} … %}} it belongs to before it."
        if stack[-1].keyword != opener:
            open_tag = stack[-1]
            return (f"it closes a {_what(opener)}, but the last one opened is the "
                    f"{_what(open_tag.keyword)} {open_tag.tag} in {open_tag.paragraph.quote()}; "
                    f"close that one first with {{% {_OPENERS[open_tag.keyword]} %}}.")
        stack.pop()
        return None
    if keyword in ("else", "elif"):
        if not stack or stack[-1].keyword not in ("if", "for"):
            return f"{{% {keyword} %}} belongs inside an {{% if %}} … {{% endif %}}."
        return None
    if keyword == "set":
        try:
            sandbox().from_string(f"{{% {inner} %}}")
        except TemplateSyntaxError as exc:
            return f"the set is not written right ({exc.message}); e.g. {{% set n = 1 %}}."
        return None
    known = ", ".join(("for", "endfor", "if", "elif", "else", "endif", "set"))
    return (f"'{keyword or body.strip()}' is not a tag templates use; the tags are {known}, "
            "with p, tr, tc or r before them to repeat a paragraph, table row, cell or run.")


_JINJA_NAMES = frozenset({"loop", "range", "true", "false", "none", "True", "False", "None",
                          "cycler", "joiner", "namespace", "dict", "lipsum", "caller"})


def _top_level() -> dict[str, Any]:
    from .model import ReviewContext

    return typing.get_type_hints(ReviewContext)


def _scope(stack: list[_Open]) -> dict[str, Any]:
    scope: dict[str, Any] = dict(_top_level())
    for opened in stack:
        scope.update(opened.names)
    return scope


def _type_of(node: nodes.Node, scope: dict[str, Any]) -> tuple[Any, str | None]:
    """The type an expression has (None when unknown), and a problem naming a misspelling."""
    if isinstance(node, nodes.Name):
        if node.name in scope:
            return scope[node.name], None
        if node.name in _JINJA_NAMES:
            return None, None
        return None, f"unknown variable '{node.name}'.{_suggest_name(node.name, scope)}"
    if isinstance(node, nodes.Getattr):
        owner, problem = _type_of(node.node, scope)
        if problem or owner is None or not dataclasses.is_dataclass(owner):
            return None, problem
        hints = typing.get_type_hints(owner)
        if node.attr in hints:
            return hints[node.attr], None
        close = difflib.get_close_matches(node.attr, sorted(hints), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        return None, (f"unknown variable '{_path(node)}'; {_path(node.node)} has no "
                      f"'{node.attr}'.{hint} It has: {', '.join(hints)}.")
    return None, None


def _path(node: nodes.Node) -> str:
    if isinstance(node, nodes.Name):
        return node.name
    if isinstance(node, nodes.Getattr):
        return f"{_path(node.node)}.{node.attr}"
    return "…"


def _suggest_name(name: str, scope: dict[str, Any]) -> str:
    """' Did you mean …?' from the variables in scope or the workbook's field names."""
    close = difflib.get_close_matches(name, sorted(scope), n=1)
    if close:
        return f" Did you mean '{close[0]}'?"
    fields = workbook_names()
    spoken = name.replace("_", " ").casefold()
    match = fields.get(spoken) or next(
        (fields[k] for k in difflib.get_close_matches(spoken, sorted(fields), n=1, cutoff=0.75)),
        None)
    if match:
        return f" For the workbook's {name} write {{{{ {match} }}}}."
    return " See docs/templates.md for the variables templates can use."


def _names(body: str, stack: list[_Open]) -> str | None:
    """A misspelt variable or attribute in an expression, checked against the context model
    and the loop variables in scope."""
    body = _PREFIX.sub("", body).strip()
    try:
        tree = sandbox().parse("{{ " + body + " }}")
    except TemplateSyntaxError:
        return None
    scope = _scope(stack)
    for node in tree.find_all((nodes.Getattr, nodes.Name)):
        if isinstance(node, nodes.Name) and node.ctx != "load":
            continue
        _, problem = _type_of(node, scope)
        if problem:
            return problem
    return None


def _loop_names(inner: str, stack: list[_Open]) -> dict[str, Any]:
    """``for x in y``: x has the element type of y, when y's type is known."""
    if not inner.startswith("for ") or " in " not in inner:
        return {}
    target, iterable = inner[4:].split(" in ", 1)
    try:
        tree = sandbox().parse("{{ " + iterable.strip() + " }}")
    except TemplateSyntaxError:
        return {}
    expr = tree.body[0].nodes[0] if tree.body and isinstance(tree.body[0], nodes.Output) else None
    kind = _type_of(expr, _scope(stack))[0] if expr is not None else None
    element = typing.get_args(kind)[0] if typing.get_origin(kind) is list else None
    names = [n.strip() for n in target.split(",") if n.strip()]
    return {n: (element if len(names) == 1 else None) for n in names}


def find_paragraph(path: Path, needle: str) -> Paragraph | None:
    """The first paragraph whose tags mention ``needle`` (e.g. a misspelt variable)."""
    try:
        found = paragraphs(path)
    except Exception:
        return None
    for para in found:
        if any(needle in m.group(0) for m in _TAG.finditer(para.text)):
            return para
    return None


def tags_of(path: Path) -> Iterator[str]:
    for para in paragraphs(path):
        for m in _TAG.finditer(para.text):
            yield m.group(0)
