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


RED = RGBColor(0xB7, 0x1C, 0x1C)


def _labelled(doc: DocumentObject, label: str, text: str, *, colour: RGBColor | None = None,
              size: float | None = None) -> Paragraph:
    paragraph = doc.add_paragraph()
    head = paragraph.add_run(label)
    head.bold = True
    body = paragraph.add_run(text)
    for run in (head, body):
        if colour is not None:
            run.font.color.rgb = colour
        if size is not None:
            run.font.size = Pt(size)
    return paragraph


def _front_page(doc: DocumentObject) -> None:
    """Page 1: is the ISMS effective, what must be decided, what it costs, what if not."""
    _p(doc, "Management review pre-read", "Title")
    _p(doc, "{{ doc.organisation }} — {{ doc.review_id }} · meeting {{ meeting.date }}, "
            "{{ meeting.start }} ({{ meeting.timezone }}) · period {{ doc.period }}, data cut-off "
            "{{ doc.cutoff }}", italic=True)
    _labelled(doc, "Is the ISMS effective? ", "{{ overview.verdict }}.", size=13)
    _p(doc, "Rule: {{ overview.verdict_rule }}", italic=True)
    _p(doc, "{%p for u in overview.urgent %}")
    _labelled(doc, "Certification at risk: ", "major nonconformity {{ u }}.", colour=RED)
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p if overview.concerns %}")
    _labelled(doc, "Needs attention: ", "{{ overview.concerns|join('; ') }}.")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if overview.working %}")
    _labelled(doc, "Working: ", "{{ overview.working|join('; ') }}.")
    _p(doc, "{%p endif %}")
    _p(doc, "What you must decide", "Heading 2")
    _p(doc, "{{ overview.decisions }} Each decision has a card on the next pages with its options, "
            "costs and the linked items.")
    _table(doc, ["#", "Decision", "Cost", "Decide by", "If not decided"],
           ["{{ c.number }}", "{{ c.title }}",
            "{% if c.cost %}{{ c.cost }}{% else %}not stated{% endif %}",
            "{{ c.decide_by }}", "{{ c.consequence_short }}"], "c in cards",
           [0.9, 5.6, 1.9, 2.3, 6.3])
    _p(doc, "Cost: of the option recommended on the card, in the review's currency.", italic=True)
    _labelled(doc, "ISMS scope: ", "{{ overview.isms_scope }}", size=9)
    _labelled(doc, "Risk appetite: ", "{{ overview.appetite_rule }}", size=9)


def _cards(doc: DocumentObject) -> None:
    _p(doc, "Decision cards", "Heading 1")
    _p(doc, "{%p for c in cards %}")
    _p(doc, "{{ c.number }}. {{ c.title }}", "Heading 2")
    _p(doc, "{%p if c.urgent %}")
    _labelled(doc, "Certification at risk: ", "a major nonconformity is past its due date.",
              colour=RED)
    _p(doc, "{%p endif %}")
    _p(doc, "{%p for line in c.asks %}")
    _p(doc, "{{ line }}", "List Bullet")
    _p(doc, "{%p endfor %}")
    _table(doc, ["Option", "Cost", ""], ["{{ o.label }}", "{{ o.cost }}", "{{ o.mark }}"],
           "o in c.options", [10.5, 3.0, 3.5])
    _labelled(doc, "Recommendation: ", "{{ c.recommendation }}{% if c.cost %} Cost: {{ c.cost }}."
                                       "{% endif %}")
    _labelled(doc, "If not decided: ", "{{ c.consequence }}")
    _labelled(doc, "Decide by: ", "{{ c.decide_by }}")
    _labelled(doc, "Linked items: ", "{{ c.linked_text }}", size=9)
    _p(doc, "{%p endfor %}")


def _pre_read(doc: DocumentObject) -> None:
    _front_page(doc)
    _cards(doc)
    _p(doc, "Headline figures and what each counts", "Heading 1")
    _p(doc, "This pack covers {{ doc.period }}. Every figure is as at the data cut-off "
            "{{ doc.cutoff }} unless its basis says otherwise; the appendix prints the columns "
            "each one is computed from.")
    _table(doc, ["Measure", "Value", "Status", "Definition and basis"],
           ["{{ k.label }}", "{{ k.value }}", "{{r k.badge }}",
            "{{ k.definition }} ({{ k.basis }}){% if k.note %} {{ k.note }}{% endif %}"],
           "k in kpis", [4.5, 3.2, 1.9, 7.4])
    _p(doc, "Document control", "Heading 2")
    _p(doc, "For the meeting on {{ meeting.date }} at {{ meeting.start }} ({{ meeting.timezone }}), "
            "{{ meeting.location }}.")
    _control_table(doc)
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
    _p(doc, "{%p if s.significance %}")
    _labelled(doc, "Significance: ", "{{ s.significance }} ({{ s.significance_rule }})")
    _p(doc, "{%p endif %}")
    _p(doc, "{{ s.headline }}")
    _bullets(doc, "s.recommendations", "Recommended actions", "line", "{{ line }}")
    _p(doc, "{%p if s.table.rows %}")
    _p(doc, "{{p s.table.doc }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p for x in s.trends %}")
    _p(doc, "{{ x.title }}", "Heading 3")
    _p(doc, "{{p x.table.doc }}")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p for c in s.charts %}")
    _p(doc, "{{ c.image }}")
    _p(doc, "{{ c.caption }}", "Caption")
    _p(doc, "{%p endfor %}")
    _bullets(doc, "s.limitations", "Limitations", "line", "{{ line }}")
    _bullets(doc, "s.asks", "Decisions requested", "d", "{{ d.source_id }} — {{ d.request }}")
    _p(doc, "{%p endfor %}")
    _p(doc, "Appendix: register extracts", "Heading 1")
    _p(doc, "For each register, the columns its figures are computed from, as at the data cut-off; "
            "the attached workbook holds every column.", italic=True)
    _p(doc, "{%p for x in appendix %}")
    _p(doc, "{{ x.title }}", "Heading 2")
    _p(doc, "{{ x.note }}", italic=True)
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
    _p(doc, "To be completed during the meeting. Record each item's conclusion on the workbook's "
            "Conclusions sheet and each decision on its Decisions sheet, with the request IDs it "
            "answers in 'Responds to', its Outcome, one accountable owner and a due date: the "
            "final minutes are made from those sheets, so nothing is typed twice. Information "
            "noted is not a decision.", italic=True)
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if final %}")
    _p(doc, "Overall conclusion (clause 9.3.1)", "Heading 1")
    paragraph = doc.add_paragraph()
    paragraph.add_run("Is the ISMS still suitable, adequate and effective? ").bold = True
    paragraph.add_run("{% if overall.suitable %}{{ overall.suitable }}.{% else %}Not stated."
                      "{% endif %}")
    _p(doc, "{{ overall.conclusion }}")
    _p(doc, "{%p if overall.change_needed %}")
    _p(doc, "Change needed to the ISMS: {{ overall.change_needed }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if overall.dissent %}")
    _p(doc, "Dissent or uncertainty: {{ overall.dissent }}", italic=True)
    _p(doc, "{%p endif %}")
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
    _p(doc, "{% if final %}Presented by{% else %}Presenter{% endif %}: {{ item.presenter }} · "
            "{{ item.start }}–{{ item.end }}", italic=True)
    _p(doc, "{%p if item.evidence %}")
    _p(doc, "Inputs considered: {{ item.evidence|join('; ') }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if final %}")
    _p(doc, "{%p if item.conclusion.conclusion %}")
    _p(doc, "Conclusion: {{ item.conclusion.conclusion }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if item.conclusion.change_needed %}")
    _p(doc, "Change needed to the ISMS: {{ item.conclusion.change_needed }}")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p if item.conclusion.dissent %}")
    _p(doc, "Dissent or uncertainty: {{ item.conclusion.dissent }}", italic=True)
    _p(doc, "{%p endif %}")
    _p(doc, "{%p for n in item.noted %}")
    _p(doc, "Noted (information): {{ n }}", "List Bullet")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p for d in item.decisions %}")
    _p(doc, "Decision {{ d.id }}{% if d.outcome %} ({{ d.outcome }}{% if d.responds_to %}: "
            "{{ d.responds_to }}{% endif %}){% endif %}: {{ d.decision }}{% if d.owner %} Owner: "
            "{{ d.owner }}; due {{ d.due }}.{% endif %}{% if d.deferred_to %} Deferred to "
            "{{ d.deferred_to }}.{% endif %}", "List Bullet")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p if item.clause == '9.3.3' %}")
    _p(doc, "The decisions of this review are listed under each item, in 'Decisions requested → "
            "outcome' and in the action log below.")
    _p(doc, "{%p elif loop.last %}")
    _p(doc, "Next review: {% if meeting.next_review %}{{ meeting.next_review }}{% else %}to be "
            "agreed{% endif %}.")
    _p(doc, "{%p elif not item.decisions and not item.noted and not item.conclusion.conclusion %}")
    _p(doc, "No conclusion or decision recorded under this item.")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p else %}")
    _p(doc, "{%p for r in item.requests %}")
    _p(doc, "Decision requested {{ r.source_id }}: {{ r.request }} Outcome: ____________",
       "List Bullet")
    _p(doc, "{%p endfor %}")
    _p(doc, "Conclusion: ______________________________________________________________")
    _p(doc, "Change needed to the ISMS / dissent: _____________________________________________")
    _p(doc, "Decisions / actions (ID, owner, due): _________________________________________")
    _p(doc, "{%p endif %}")
    _p(doc, "{%p endfor %}")
    _p(doc, "{%p if final %}")
    _p(doc, "Decisions requested → outcome", "Heading 1")
    _p(doc, "Every decision the pre-read asked of management, and what the review decided. "
            "Deferred items return at the next review.", italic=True)
    _table(doc, ["Ref", "Input", "Request", "Outcome", "Decision"],
           ["{{ r.source_id }}", "{{ r.clause }}", "{{ r.request }}",
            "{{ r.outcome }}{% if r.deferred_to %} to {{ r.deferred_to }}{% endif %}",
            "{{ r.decisions }}"], "r in request_outcomes", [2.7, 1.8, 6.9, 2.4, 3.2])
    _p(doc, "{%p endif %}")
    _p(doc, "{% if final %}Action log{% else %}Decisions and actions{% endif %}", "Heading 1")
    _p(doc, "{%p if final %}")
    _table(doc, ["ID", "Decision", "Owner", "Due", "Priority", "Closure evidence"],
           ["{{ d.id }}", "{{ d.decision }}", "{{ d.owner }}", "{{ d.due }}", "{{ d.priority }}",
            "{{ d.closure_evidence }}"], "d in actions", [3.0, 4.9, 2.5, 2.2, 1.9, 2.5])
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
