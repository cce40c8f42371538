"""The default Word templates (agenda, pre-read, minutes), written with python-docx.

They are real Word documents built on Word styles (Title, Heading 1–3, List Bullet, Caption and
the table style 'ISMS Table'), with docxtpl tags and a header/footer carrying document control
and "Page X of Y". Staff restyle them in Word; ``isms-review check-templates`` checks their
edits. ``doc_templates/`` holds the output of :func:`write_default_templates`.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

from docx import Document
from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table
from docx.text.paragraph import Paragraph

from ..files import atomic_write_bytes, core_properties_xml, reproducible_zip

TABLE_STYLE = "ISMS Table"
TEMPLATE_NAMES = ("agenda", "pre_read", "minutes")
NAVY = RGBColor(0x1F, 0x38, 0x64)
TEMPLATE_DATE = dt.datetime(2026, 1, 1)  # fixed: the committed templates never change by date


def _styles(doc: DocumentObject) -> None:
    styles = doc.styles
    normal = styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    normal.paragraph_format.space_after = Pt(4)
    for name, size in (("Title", 24), ("Heading 1", 15), ("Heading 2", 12.5), ("Heading 3", 11)):
        style = styles[name]
        style.font.name = "Calibri"
        style.font.size = Pt(size)
        style.font.color.rgb = NAVY
        style.paragraph_format.space_before = Pt(12 if name != "Title" else 0)
        style.paragraph_format.keep_with_next = True
    base = styles["Light Grid Accent 1"].element
    clone = copy.deepcopy(base)
    clone.set(qn("w:styleId"), "ISMSTable")
    clone.find(qn("w:name")).set(qn("w:val"), TABLE_STYLE)
    base.getparent().append(clone)


def _field(paragraph: Paragraph, instruction: str) -> None:
    """Append a Word field (PAGE, NUMPAGES) that Word and LibreOffice fill in."""
    run = paragraph.add_run()
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    value = OxmlElement("w:t")
    value.text = "1"
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    for element in (begin, text, separate, value, end):
        run._r.append(element)


def _page_setup(doc: DocumentObject, landscape: bool = False) -> None:
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_height, section.page_width = section.page_width, section.page_height
    for side in ("left_margin", "right_margin"):
        setattr(section, side, Cm(2.0))
    section.top_margin, section.bottom_margin = Cm(2.0), Cm(2.0)
    header = section.header.paragraphs[0]
    header.text = "{{ doc.organisation }} · {{ doc.review_id }} · {{ doc.classification }}"
    header.style = doc.styles["Header"]
    footer = section.footer.paragraphs[0]
    footer.style = doc.styles["Footer"]
    footer.add_run("{{ doc.review_id }} · {{ doc.classification }} · {{ doc.status_line }} · Page ")
    _field(footer, "PAGE")
    footer.add_run(" of ")
    _field(footer, "NUMPAGES")


def _p(doc: DocumentObject, text: str, style: str | None = None, *, bold: bool = False,
       italic: bool = False) -> Paragraph:
    paragraph = doc.add_paragraph(style=style)
    run = paragraph.add_run(text)
    run.bold, run.italic = bold or None, italic or None
    return paragraph


def _bullets(doc: DocumentObject, items: str, title: str, var: str, line: str) -> None:
    """A heading and a bulleted list, both shown only when ``items`` is not empty."""
    _p(doc, "{%p if " + items + " %}")
    _p(doc, title, "Heading 3")
    _p(doc, "{%p for " + var + " in " + items + " %}")
    _p(doc, line, "List Bullet")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p endif %}")


def _table(doc: DocumentObject, headers: list[str], cells: list[str], loop: str | None = None,
           widths: list[float] | None = None) -> Any:
    """A styled table: headings, then one row of ``cells``, inside ``{%tr loop %}`` when given."""
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = doc.styles[TABLE_STYLE]
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.text = text
    if loop:
        table.add_row().cells[0].text = "{%tr for " + loop + " %}"
    row = table.add_row()
    for cell, text in zip(row.cells, cells, strict=True):
        cell.text = text
    if loop:
        table.add_row().cells[0].text = "{%tr endfor %}"
    if widths:
        _widths(table, widths)
    return table


def _widths(table: Table, widths: list[float]) -> None:
    """Fix column widths for Word and LibreOffice alike (grid and every cell)."""
    table.autofit = False
    for column, width in zip(table.columns, widths, strict=True):
        column.width = Cm(width)
    for r in table.rows:
        for cell, width in zip(r.cells, widths, strict=True):
            cell.width = Cm(width)


def _control_table(doc: DocumentObject) -> None:
    rows = [("Review", "{{ doc.review_id }} — {{ doc.organisation }}"),
            ("Version / status", "{{ doc.status_line }}"), ("Approval", "{{ doc.approval }}"),
            ("Classification", "{{ doc.classification }}"),
            ("Document owner / chair", "{{ doc.owner }} / {{ doc.chair }}"),
            ("Period reviewed", "{{ doc.period }}"), ("Data cut-off", "{{ doc.cutoff }}"),
            ("Generated", "{{ doc.generated_on }}"), ("Retention", "{{ doc.retention }}"),
            ("Source workbook SHA-256", "{{ doc.workbook_sha256 }}")]
    table = doc.add_table(rows=0, cols=2)
    table.style = doc.styles[TABLE_STYLE]
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value
    _widths(table, [5.0, 12.0])


def _agenda(doc: DocumentObject) -> None:
    _p(doc, "Management review agenda", "Title")
    _p(doc, "{{ doc.organisation }} — {{ doc.review_id }} — ISO/IEC 27001:2022 clause 9.3", "Subtitle")
    for label, value in (("Date", "{{ meeting.date }}, {{ meeting.start }}–{{ meeting.end }} "
                                  "({{ meeting.timezone }})"),
                         ("Location", "{{ meeting.location }}"), ("Chair", "{{ doc.chair }}"),
                         ("Pre-read due", "{{ meeting.pre_read_due }}"),
                         ("Period reviewed", "{{ doc.period }} (data cut-off {{ doc.cutoff }})")):
        paragraph = doc.add_paragraph()
        paragraph.add_run(f"{label}: ").bold = True
        paragraph.add_run(value)
    _p(doc, "Agenda", "Heading 1")
    _table(doc, ["No.", "Time", "Item", "Clause", "Presenter", "Min."],
           ["{{ item.number }}", "{{ item.start }}–{{ item.end }}", "{{ item.title }}",
            "{{ item.clause }}", "{{ item.presenter }}", "{{ item.minutes }}"],
           "item in agenda", [1.1, 2.4, 6.8, 2.2, 3.3, 1.2])
    _p(doc, "Each mandatory input of clause 9.3.2 is its own item, so an input that is skipped is "
            "visible. Decisions are recorded with one owner and a due date.", italic=True)
    _p(doc, "Attendees", "Heading 1")
    _table(doc, ["Name", "Role", "Top management"],
           ["{{ p.name }}", "{{ p.role }}", "{{ p.top_management }}"], "p in attendees",
           [4.5, 9.5, 3.0])
    _p(doc, "Pre-read documents", "Heading 1")
    _p(doc, "Please read these before the meeting; the pre-read pack lists the decisions requested "
            "of management in its executive summary.")
    _p(doc, "{%p for d in pre_read_documents %}")
    _p(doc, "{{ d }}", "List Bullet")
    _p(doc, "{%p endfor %}")


def _pre_read(doc: DocumentObject) -> None:
    _p(doc, "Management review pre-read", "Title")
    _p(doc, "{{ doc.organisation }} — {{ doc.review_id }}", "Subtitle")
    _p(doc, "For the meeting on {{ meeting.date }} at {{ meeting.start }} ({{ meeting.timezone }}), "
            "{{ meeting.location }}.")
    _control_table(doc)
    _p(doc, "Executive summary", "Heading 1")
    _p(doc, "This pack covers {{ doc.period }}. Every figure is as at the data cut-off "
            "{{ doc.cutoff }} unless its basis says otherwise.")
    _table(doc, ["Measure", "Value", "Status", "Basis"],
           ["{{ k.label }}", "{{ k.value }}", "{{r k.badge }}", "{{ k.basis }}"], "k in kpis",
           [5.5, 3.0, 2.2, 6.3])
    _p(doc, "Decisions requested of management", "Heading 2")
    _table(doc, ["Input", "Ref", "Request"],
           ["{{ d.clause }}", "{{ d.source_id }}", "{{ d.request }}"], "d in decisions_requested",
           [2.2, 2.6, 12.2])
    _p(doc, "{%p if changes %}")
    _p(doc, "Changes since the last review ({{ changes.previous_review }})", "Heading 1")
    for title, name in (("Decisions and actions carried forward", "actions"),
                        ("Missing since the last review", "missing"),
                        ("Risks", "risks"), ("Metric definitions and targets", "metrics")):
        _bullets(doc, f"changes.{name}", title, "line", "{{ line }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p for s in sections %}")
    _p(doc, "{{ s.clause }} {{ s.title }}", "Heading 1")
    _p(doc, "{{ s.period }}", italic=True)
    _p(doc, "{{ s.headline }}")
    _p(doc, "{%p if s.table.rows %}")
    _p(doc, "{{p s.table.doc }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p for c in s.charts %}")
    _p(doc, "{{ c.image }}")
    _p(doc, "{{ c.caption }}", "Caption")
    _p(doc, "{%p endfor %}")
    _bullets(doc, "s.limitations", "Limitations", "line", "{{ line }}")
    _bullets(doc, "s.asks", "Decisions requested", "d", "{{ d.source_id }} — {{ d.request }}")
    _p(doc, "{%p endfor %}")
    _p(doc, "Appendix: register extracts", "Heading 1")
    _p(doc, "The first columns of each register as at the data cut-off; the workbook holds them in "
            "full.", italic=True)
    _p(doc, "{%p for x in appendix %}")
    _p(doc, "{{ x.title }}", "Heading 2")
    _p(doc, "{%p if x.table.rows %}")
    _p(doc, "{{p x.table.doc }}")
    _p(doc, "{%p else %}")
    _p(doc, "No rows.")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p endfor %}")


def _minutes(doc: DocumentObject) -> None:
    _p(doc, "{% if final %}Minutes of the management review{% else %}Minutes form — management "
            "review{% endif %}", "Title")
    _p(doc, "{{ doc.organisation }} — {{ doc.review_id }} — {{ meeting.date }}, {{ meeting.start }}"
            "–{{ meeting.end }}", "Subtitle")
    _control_table(doc)
    _p(doc, "{%p if not final %}")
    _p(doc, "To be completed during the meeting. For each item record the conclusion, and each "
            "decision with one accountable owner and a due date. Information noted is not a "
            "decision.", italic=True)
    _p(doc, "{%p endif %}")
    _p(doc, "Attendance", "Heading 1")
    _table(doc, ["Name", "Role", "Top management", "Attendance"],
           ["{{ p.name }}", "{{ p.role }}", "{{ p.top_management }}",
            "{% if final %}{{ p.attendance }}{% endif %}"], "p in attendees", [4.2, 7.3, 2.7, 2.8])
    _p(doc, "{%p if final %}")
    _p(doc, "Top management present: {{ top_management_present|join(', ') }}.")
    _p(doc, "{%p endif %}")
    _p(doc, "Agenda items", "Heading 1")
    _p(doc, "{%p for item in agenda %}")
    _p(doc, "{{ item.number }}. {{ item.title }} ({{ item.clause }})", "Heading 2")
    _p(doc, "Presenter: {{ item.presenter }} · {{ item.start }}–{{ item.end }}", italic=True)
    _p(doc, "{%p if item.evidence %}")
    _p(doc, "Inputs considered: {{ item.evidence|join('; ') }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if final %}")
    _p(doc, "{%p for n in item.noted %}")
    _p(doc, "Noted (information): {{ n }}", "List Bullet")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p for d in item.decisions %}")
    _p(doc, "Decision {{ d.id }}: {{ d.decision }} Owner: {{ d.owner }}; due {{ d.due }}.",
       "List Bullet")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p if not item.decisions and not item.noted %}")
    _p(doc, "No decision recorded under this item.")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p else %}")
    _p(doc, "Conclusions: ______________________________________________________________")
    _p(doc, "Decisions / actions (ID, owner, due): _________________________________________")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p endfor %}")
    _p(doc, "{% if final %}Action log{% else %}Decisions and actions{% endif %}", "Heading 1")
    _p(doc, "{%p if final %}")
    _table(doc, ["ID", "Decision", "Owner", "Due", "Priority", "Closure evidence"],
           ["{{ d.id }}", "{{ d.decision }}", "{{ d.owner }}", "{{ d.due }}", "{{ d.priority }}",
            "{{ d.closure_evidence }}"], "d in decisions", [2.6, 5.6, 2.6, 2.2, 1.6, 2.4])
    _p(doc, "Information noted", "Heading 2")
    _p(doc, "{%p for n in information_noted %}")
    _p(doc, "{{ n }}", "List Bullet")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p else %}")
    table = _table(doc, ["ID", "Input", "Decision", "Owner", "Due", "Priority", "Closure evidence"],
                   [""] * 7, None, [1.6, 1.4, 5.4, 2.4, 2.0, 1.6, 2.6])
    for _ in range(5):
        table.add_row()  # blank rows to write in
    _p(doc, "{%p endif %}")
    _p(doc, "Next review", "Heading 1")
    _p(doc, "The next management review is planned for "
            "{% if meeting.next_review %}{{ meeting.next_review }}{% else %}a date to be agreed{% endif %}.")
    _p(doc, "Approval", "Heading 1")
    approval = doc.add_table(rows=0, cols=2)
    approval.style = doc.styles[TABLE_STYLE]
    for label, value in (("Approved by (chair)", "{{ approved_by }}"),
                         ("Approved on", "{{ approved_on }}"), ("Signature", "")):
        cells = approval.add_row().cells
        cells[0].text, cells[1].text = label, value
    _widths(approval, [5.0, 12.0])


BUILDERS: dict[str, Callable[[DocumentObject], None]] = {
    "agenda": _agenda, "pre_read": _pre_read, "minutes": _minutes,
}


def default_template(name: str) -> bytes:
    doc = Document()
    _styles(doc)
    _page_setup(doc)
    BUILDERS[name](doc)
    buffer = io.BytesIO()
    doc.save(buffer)
    title = f"Management review {name.replace('_', '-')} template"
    core = core_properties_xml(title, "isms-review", "ISO/IEC 27001 clause 9.3", TEMPLATE_DATE)
    return reproducible_zip(buffer.getvalue(), TEMPLATE_DATE, core)


def write_default_templates(folder: Path) -> list[Path]:
    paths = []
    for name in TEMPLATE_NAMES:
        path = folder / f"{name}.docx"
        atomic_write_bytes(path, default_template(name))
        paths.append(path)
    return paths


def packaged_templates() -> Path:
    """The default templates shipped inside the package (``pipeline/doc_templates``, the
    project's ``doc_templates/`` folder): the last link of the override chain."""
    return Path(str(resources.files("pipeline").joinpath("doc_templates")))
