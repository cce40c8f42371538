"""Render Word templates safely.

Templates are user-editable, so they render in Jinja's ImmutableSandboxedEnvironment (no access
to Python internals), with StrictUndefined (a misspelt variable is an error, not a blank) and
autoescaping (cell text such as ``<w:p>`` or ``&`` stays literal). The sandbox bounds neither
time nor memory, so rendering runs in a forked child with an address-space limit and a CPU-time
budget per template that fits the review's data (documents/limits.py).
Cell text is only ever a *value* in the context: ``{{ 7*7 }}`` typed in a cell is printed as is.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import io
import math
import multiprocessing
import os
import re
import resource
import signal
import time
import traceback
from collections.abc import Callable
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage, RichText
from jinja2 import TemplateError
from jinja2.exceptions import SecurityError, TemplateSyntaxError, UndefinedError

from ..errors import UserError
from ..files import core_properties_xml, reproducible_zip
from ..signals_guard import die_with_parent, reset_in_child
from .limits import render_budget
from .model import ReviewContext, TableData
from .sandbox import sandbox
from .templates import TABLE_STYLE, packaged_templates

BADGE_COLOURS = {"met": "2E7D32", "near": "B26A00", "missed": "C62828", "info": "1F3864"}
RENDER_TIMEOUT = 120  # CPU seconds per template when a runner is called without a budget
WALL_FACTOR = 10  # the wall-clock backstop: a loaded 2-core box gave a render 1/4 of a core
MEMORY_HEADROOM = 1536 * 1024 * 1024  # bytes of address space a render may add


class TemplateProblem(UserError):
    """A template that cannot be rendered: names the file and the tag."""


def resolve_template(name: str, user_dir: Path | None = None) -> Path:
    """The override chain: the user's template folder first, then doc_templates/."""
    for folder in (user_dir, packaged_templates()):
        if folder is not None and (folder / f"{name}.docx").is_file():
            return folder / f"{name}.docx"
    where = f"{user_dir} or {packaged_templates()}" if user_dir else str(packaged_templates())
    raise TemplateProblem(f"{name}.docx: template not found in {where}; restore it from "
                          "doc_templates/ or remove --templates.")


def explain(template: Path, exc: BaseException) -> str:
    """One line naming the template, quoting the paragraph at fault as Word shows it, and
    saying what to type instead (never Jinja's "line 1")."""
    if isinstance(exc, TemplateSyntaxError):
        return _syntax(template, exc)
    if isinstance(exc, SecurityError):
        return (f"{template.name}: a tag tries to reach program internals, which templates may "
                f"not do ({_where(template, _attribute(str(exc)))}); remove that tag.")
    if isinstance(exc, UndefinedError):
        return _undefined(template, exc)
    if isinstance(exc, MemoryError):
        return f"{template.name}: the template builds too much text (memory limit reached)."
    if isinstance(exc, OverflowError):
        return f"{template.name}: a loop in the template is too long ({exc})."
    if isinstance(exc, TemplateError):
        return f"{template.name}: template error ({exc})."
    return f"{template.name}: could not be rendered ({type(exc).__name__}: {exc})."


def _syntax(template: Path, exc: TemplateSyntaxError) -> str:
    from .wordtags import check_tags

    try:
        problems = check_tags(template)
    except Exception:
        problems = []
    if problems:
        more = (f" ({len(problems) - 1} more: run isms-review check-templates on the folder)"
                if len(problems) > 1 else "")
        return problems[0] + more
    return (f"{template.name}: broken tag ({exc.message}); retype the tag in one go, e.g. "
            "{{ doc.review_id }} or {%p for x in items %}.")


def _attribute(message: str) -> str:
    m = re.search(r"attribute '([^']+)'|'([^']+)' is undefined", message)
    return (m.group(1) or m.group(2)) if m else ""


def _where(template: Path, needle: str) -> str:
    from .wordtags import find_paragraph

    para = find_paragraph(template, needle) if needle else None
    return f"in {para.quote(needle)}" if para else "in a tag"


def _undefined(template: Path, exc: UndefinedError) -> str:
    message = exc.message or str(exc)
    name = _attribute(message)
    owner = re.search(r"'(?:[\w.]+\.)?(\w+) object' has no attribute", message)
    fields = _FIELDS.get(owner.group(1), ()) if owner else ()
    close = difflib.get_close_matches(name, list(fields), n=1) if fields else []
    hint = f" Did you mean '{close[0]}'?" if close else ""
    known = f" It has: {', '.join(fields)}." if fields and not close else ""
    what = f"'{name}'" if name else "a variable"
    return (f"{template.name}: unknown variable or attribute {what} {_where(template, name)}."
            f"{hint}{known} See docs/templates.md for the variables templates can use.")


def _context_fields() -> dict[str, tuple[str, ...]]:
    from . import context

    return {cls.__name__: tuple(f.name for f in dataclasses.fields(cls))
            for cls in vars(context).values()
            if isinstance(cls, type) and dataclasses.is_dataclass(cls)}


_FIELDS = _context_fields()


# ------------------------------------------------------------------ context → docxtpl values


TWIPS_PER_CM = 567
TEXT_WIDTH_CM = 17.0


class TableXml:
    """A table as WordprocessingML, placed with ``{{p x.table.doc }}``. Written directly (the
    same markup python-docx makes for a styled table, heading row repeated on every page):
    building a python-docx sub-document per table cost most of the render time."""

    def __init__(self, xml: str) -> None:
        self.xml = xml

    def __str__(self) -> str:
        return self.xml

    def __html__(self) -> str:  # already markup: not escaped again
        return self.xml


def _style_id(tpl: DocxTemplate) -> str:
    """The id of our table style in this template, or Word's grid, or '' for none."""
    styles = {style.name: style.style_id for style in tpl.get_docx().styles}
    return styles.get(TABLE_STYLE) or styles.get("Table Grid") or ""


def _cell_xml(text: str, width: int) -> str:
    paragraphs = "".join(
        f'<w:p><w:r><w:t xml:space="preserve">{xml_escape(line)}</w:t></w:r></w:p>'
        for line in (text.split("\n") or [""]))
    return f'<w:tc><w:tcPr><w:tcW w:w="{width}" w:type="dxa"/></w:tcPr>{paragraphs}</w:tc>'


def _table_doc(tpl: DocxTemplate, data: TableData, style_id: str | None = None) -> TableXml:
    style_id = _style_id(tpl) if style_id is None else style_id
    widths = [round(TEXT_WIDTH_CM * TWIPS_PER_CM * w) for w in column_shares(data)]
    style = f'<w:tblStyle w:val="{xml_escape(style_id)}"/>' if style_id else ""
    head = "".join(_cell_xml(text, w) for text, w in zip(data.headers, widths, strict=True))
    rows = "".join("<w:tr>" + "".join(_cell_xml(row[i] if i < len(row) else "", w)
                                      for i, w in enumerate(widths)) + "</w:tr>"
                   for row in data.rows)
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)
    return TableXml(
        f'<w:tbl><w:tblPr>{style}<w:tblW w:w="0" w:type="auto"/><w:tblLayout w:type="fixed"/>'
        '<w:tblLook w:val="04A0" w:firstRow="1" w:lastRow="0" w:firstColumn="1" '
        'w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>'
        f'<w:tblGrid>{grid}</w:tblGrid>'
        f'<w:tr><w:trPr><w:tblHeader/></w:trPr>{head}</w:tr>{rows}</w:tbl>')


def column_shares(data: TableData) -> list[float]:
    """Share the text width by how much each column holds (long text gets more room)."""
    weights = []
    for i, heading in enumerate(data.headers):
        cells = [row[i] for row in data.rows if i < len(row)]
        longest_word = max((len(w) for c in [heading, *cells] for w in c.split()), default=4)
        average = sum(len(c) for c in cells) / len(cells) if cells else len(heading)
        weights.append(max(min(average, 40.0), longest_word * 1.15 + 2, 4.0))
    total = sum(weights)
    return [w / total for w in weights]


def prepare(tpl: DocxTemplate, ctx: ReviewContext, charts: dict[str, bytes]) -> dict[str, Any]:
    """Bind tables, charts and coloured badges to this template; return the render context."""
    ctx = dataclasses.replace(ctx)
    style_id = _style_id(tpl)
    for section in ctx.sections:
        section.table.doc = _table_doc(tpl, section.table, style_id) if section.table.headers else ""
        for trend in section.trends:
            trend.table.doc = _table_doc(tpl, trend.table, style_id) if trend.table.headers else ""
        kept = []
        for chart in section.charts:
            png = charts.get(chart.name)
            if png:
                chart.image = InlineImage(tpl, io.BytesIO(png), width=Mm(160))
                kept.append(chart)
        section.charts = kept
    for extract in ctx.appendix:
        extract.table.doc = _table_doc(tpl, extract.table, style_id) if extract.table.headers else ""
    for kpi in ctx.kpis:
        kpi.badge = RichText(kpi.status.upper(), color=BADGE_COLOURS.get(kpi.status, "000000"),
                             bold=True)
    return {f.name: getattr(ctx, f.name) for f in dataclasses.fields(ctx)}


def render_one(template: Path, ctx: ReviewContext, charts: dict[str, bytes],
               title: str, when: dt.datetime) -> bytes:
    tpl = DocxTemplate(template)
    tpl.render(prepare(tpl, ctx, charts), jinja_env=sandbox(), autoescape=True)
    buffer = io.BytesIO()
    tpl.save(buffer)
    # properties written whole, after render: docxtpl escapes them twice, and what python-docx
    # leaves there depends on import order
    core = core_properties_xml(title, ctx.doc.owner or "isms-review",
                               f"{ctx.doc.review_id} · {ctx.doc.classification}", when)
    return reproducible_zip(buffer.getvalue(), when, core)


# --------------------------------------------------------------- bounded child-process render

Job = tuple[Path, Path, str]  # template, output docx, document title


class _OverBudget(BaseException):  # not Exception: no library code may swallow it
    """SIGXCPU: the template used up its CPU-time budget."""


def _over_budget(_signum: int, _frame: object) -> None:
    raise _OverBudget


def _child(jobs: list[Job], ctx: ReviewContext, charts: dict[str, bytes], when: dt.datetime,
           conn: Connection, budget: float = RENDER_TIMEOUT, parent_pid: int = 0) -> None:
    try:
        reset_in_child()
        if parent_pid:
            die_with_parent(parent_pid, signal.SIGKILL)
        signal.signal(signal.SIGXCPU, _over_budget)
        _limit_memory()
        _limit_cpu(budget * len(jobs) + 5, hard=True)  # the hard limit can only go down
        for template, out, title in jobs:
            _limit_cpu(budget)
            try:
                out.write_bytes(render_one(template, ctx, charts, title, when))
            except OSError as exc:  # the disk, not the template: the build reports it as such
                conn.send(("oserror", (exc.errno, exc.strerror, exc.filename)))
                return
            except _OverBudget:
                conn.send(("error", f"{template.name}: rendering took longer than {budget:.0f} s "
                                    "of processor time, the limit for this much review data (a "
                                    "template loop that never ends?); the render was stopped."))
                return
            except BaseException as exc:
                conn.send(("error", explain(template, exc)))
                return
            conn.send(("done", template.name))
        conn.send(("ok", ""))
    except BaseException:
        conn.send(("error", "renderer failed: " + traceback.format_exc(limit=3)))
    finally:
        conn.close()


def _limit_cpu(seconds: float, hard: bool = False) -> None:
    """SIGXCPU once this process has used ``seconds`` more CPU time (``hard``: SIGKILL then;
    set once for all templates, with room for the SIGXCPU of the last one to be handled)."""
    used = resource.getrusage(resource.RUSAGE_SELF)
    limit = math.ceil(used.ru_utime + used.ru_stime + seconds)
    _, current_hard = resource.getrlimit(resource.RLIMIT_CPU)
    if hard:
        if current_hard != resource.RLIM_INFINITY:
            limit = min(limit, current_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))
    else:
        if current_hard != resource.RLIM_INFINITY:
            limit = min(limit, current_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (limit, current_hard))


def _limit_memory() -> None:
    try:
        with open("/proc/self/statm") as fh:
            used = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError):
        used = 0
    limit = used + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def render_documents(jobs: list[Job], ctx: ReviewContext, charts: dict[str, bytes],
                     when: dt.datetime, timeout: float | None = None,
                     runner: Callable[..., None] = _child) -> None:
    """Render every job in one forked child bounded in memory and time; raise
    :class:`TemplateProblem` with the template and tag when one fails.

    Each template may use :func:`limits.render_budget` CPU seconds (a floor plus a share per
    1,000 characters of review data), enforced by RLIMIT_CPU in the child, so a busy machine
    does not cut a normal render short; ``timeout`` (wall clock, for all templates) is only the
    backstop, by default ten times the budgets plus 30 s."""
    budget = render_budget(ctx)
    wall = timeout if timeout is not None else WALL_FACTOR * budget * len(jobs) + 30
    if timeout is not None:
        budget = min(budget, timeout)
    context = multiprocessing.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=runner, args=(jobs, ctx, charts, when, child, budget, os.getpid()),
                              daemon=True)
    process.start()
    child.close()
    deadline = time.monotonic() + wall
    try:
        while True:
            if not parent.poll(max(deadline - time.monotonic(), 0)):
                names = ", ".join(t.name for t, _, _ in jobs)
                raise TemplateProblem(f"{names}: rendering took longer than {wall:.0f} s (a "
                                      "template loop that never ends?); the render was stopped.")
            try:
                status, message = parent.recv()
            except EOFError:
                status, message = "error", "the renderer stopped unexpectedly (memory limit?)"
            if status != "done":
                break
    finally:
        if process.is_alive():  # stopped, timed out, or the build was interrupted: no orphan
            process.kill()
        process.join(10)
        parent.close()
    if status == "oserror":
        code, reason, filename = message
        raise OSError(code, reason, filename)
    if status != "ok":
        raise TemplateProblem(message)
