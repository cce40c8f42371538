"""The documents: content of every section, final minutes, hostile cell text, template
sandboxing and checks, reproducibility, and nothing half-written after a failure."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from openpyxl.workbook.workbook import Workbook
from pypdf import PdfReader

from pipeline.analysis import analyse
from pipeline.commands.build import build
from pipeline.commands.options import BuildOptions
from pipeline.documents.context import build_context
from pipeline.documents.render import TemplateProblem, render_documents
from pipeline.documents.templates import default_template
from pipeline.workbook.validate import validate_workbook

from .conftest import EVIDENCE, FINAL, FINAL_EPOCH, GOOD, ROOT, run_cli

Mutate = Callable[..., Path]
RID = "MR-2026-H2"
TEMPLATES = ROOT / "doc_templates"
INPUT_CLAUSES = ["9.3.2 a)", "9.3.2 b)", "9.3.2 c)", "9.3.2 d) 1)", "9.3.2 d) 2)", "9.3.2 d) 3)",
                 "9.3.2 d) 4)", "9.3.2 e)", "9.3.2 f)", "9.3.2 g)"]


@pytest.fixture(scope="module")
def pre_read_pack(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pack")
    code, _, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(out))
    assert code == 0, err
    return out / RID / "pre-read"


@pytest.fixture(scope="module")
def final_pack(tmp_path_factory: pytest.TempPathFactory, pre_read_pack: Path) -> Path:
    out = tmp_path_factory.mktemp("final") / "out"
    # the final record needs the circulated pre-read (and the --out folder's issue register)
    shutil.copytree(pre_read_pack.parent.parent, out, symlinks=True)
    with pytest.MonkeyPatch.context() as clock:
        clock.setenv("SOURCE_DATE_EPOCH", FINAL_EPOCH)
        code, _, err = run_cli("build", str(FINAL), "--evidence", str(EVIDENCE), "--out", str(out),
                               "--stage", "final")
    assert code == 0, err
    return out / RID / "final"


def all_xml(path: Path) -> str:
    with zipfile.ZipFile(path) as zf:
        return "".join(zf.read(n).decode("utf-8") for n in zf.namelist()
                       if n.startswith("word/") and n.endswith(".xml"))


def text_of(path: Path) -> str:
    document = docx.Document(str(path))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        parts += [cell.text for row in table.rows for cell in row.cells]
    return "\n".join(parts)


def headings(path: Path) -> list[str]:
    return [p.text for p in docx.Document(str(path)).paragraphs if p.style.name.startswith("Heading")]


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_pre_read_stage_makes_three_docx_three_pdfs_and_the_bundle(pre_read_pack: Path) -> None:
    names = sorted(p.name for p in pre_read_pack.iterdir() if p.suffix in (".docx", ".pdf"))
    assert names == sorted([f"{RID}-{n}.{ext}" for n in ("agenda", "pre-read", "minutes-form")
                            for ext in ("docx", "pdf")] + [f"{RID}-pre-read-bundle.pdf"])
    for docx_file in pre_read_pack.glob("*.docx"):
        xml = all_xml(docx_file)
        assert "{{" not in xml and "{%" not in xml and "%}" not in xml, docx_file.name


def test_agenda_has_every_input_with_its_clause_and_timings(pre_read_pack: Path) -> None:
    document = docx.Document(str(pre_read_pack / f"{RID}-agenda.docx"))
    agenda = document.tables[0]
    rows = [[c.text for c in row.cells] for row in agenda.rows[1:]]
    assert [r[3] for r in rows[1:11]] == INPUT_CLAUSES
    assert rows[0][1] == "10:00–10:05" and rows[-1][1].endswith("11:30")
    assert sum(int(r[5]) for r in rows) == 90
    text = text_of(pre_read_pack / f"{RID}-agenda.docx")
    assert "Thursday 26 November 2026" in text and "Pre-read due: 19 November 2026" in text
    assert "EV-D3-02 Surveillance audit report (CertifyCo)" in text  # the pre-read list


def test_pre_read_has_every_section_with_clause_charts_and_tables(pre_read_pack: Path) -> None:
    path = pre_read_pack / f"{RID}-pre-read.docx"
    found = headings(path)
    for clause in INPUT_CLAUSES:
        assert any(h.startswith(clause) for h in found), clause
    for heading in ("What you must decide", "Decision cards", "Headline figures and what each "
                    "counts", "Appendix: register extracts"):
        assert heading in found, heading
    document = docx.Document(str(path))
    assert len(document.inline_shapes) == 12  # 8 metric trends + 4 KPI charts
    kpis = next(t for t in document.tables if t.rows[0].cells[0].text == "Measure")
    assert len(kpis.rows) == 10
    assert any(c.text == "MISSED" for row in kpis.rows for c in row.cells)
    text = text_of(path)
    for expected in ("ACT-2025-08", "R-007", "NC-2026-02", "M-02", "declining",
                     "Data cut-off", "No value for 2026-08", "Decisions requested of management"):
        assert expected in text, expected
    assert text.count("Period 1 May 2026 to 31 October 2026; data cut-off 13 November 2026.") == 10


def test_page_one_answers_the_executive(pre_read_pack: Path) -> None:
    """Is the ISMS effective, what must I decide, what does it cost, what if I don't — and the
    overdue major nonconformity with its days overdue — all on the first page of the PDF."""
    page = PdfReader(str(pre_read_pack / f"{RID}-pre-read.pdf")).pages[0].extract_text()
    flat = " ".join(page.split())
    for expected in ("Is the ISMS effective? At risk", "Certification at risk",
                     "NC-2026-02", "44 days past due", "142 days open", "What you must decide",
                     "£94,000", "£12,000", "£40,000", "If not decided", "Decide by"):
        assert expected in flat, expected


def test_minutes_form_has_empty_decision_table(pre_read_pack: Path) -> None:
    path = pre_read_pack / f"{RID}-minutes-form.docx"
    text = text_of(path)
    assert "Minutes form" in text and "Conclusion:" in text and "Decision requested R-007:" in text
    table = docx.Document(str(path)).tables[-2]
    assert [c.text for c in table.rows[0].cells][:3] == ["ID", "Input", "Decision"]
    assert len(table.rows) == 7 and all(c.text == "" for c in table.rows[3].cells)


def test_headers_and_footers_carry_document_control(pre_read_pack: Path) -> None:
    document = docx.Document(str(pre_read_pack / f"{RID}-pre-read.docx"))
    footer = document.sections[0].footer.paragraphs[0]
    assert footer.text.startswith(f"{RID} · Internal · PRE-READ v1.0 — for the meeting of "
                                  "26 November 2026 · Page ")
    assert "NUMPAGES" in footer._p.xml
    text = pdf_text(pre_read_pack / f"{RID}-pre-read.pdf")
    pages = len(PdfReader(pre_read_pack / f"{RID}-pre-read.pdf").pages)
    assert f"Page 1 of {pages}" in text and f"Page {pages} of {pages}" in text


@pytest.mark.parametrize(("name", "low", "high", "phrase"), [
    ("agenda", 1, 3, "Management review agenda"),
    ("pre-read", 8, 30, "Management review pre-read"),
    ("minutes-form", 2, 6, "Minutes form"),
])
def test_pdfs_have_expected_pages_and_text(pre_read_pack: Path, name: str, low: int, high: int,
                                           phrase: str) -> None:
    pdf = pre_read_pack / f"{RID}-{name}.pdf"
    assert low <= len(PdfReader(pdf).pages) <= high
    text = pdf_text(pdf)
    assert phrase in text and "Acme Logistics Ltd" in text


def test_final_minutes_record_decisions_attendance_and_approval(final_pack: Path) -> None:
    path = final_pack / f"{RID}-minutes.docx"
    text = text_of(path)
    assert "Minutes of the management review" in text
    assert "Top management present: Helen Carter, Marcus Obi, Sofia Lindqvist, Daniel Reyes." in text
    log = docx.Document(str(path)).tables[3]  # after control, attendance and requests → outcome
    assert [c.text for c in log.rows[0].cells] == ["ID", "Decision", "Owner", "Due", "Priority",
                                                   "Closure evidence"]
    assert [r.cells[0].text for r in log.rows[1:]] == [  # actions only: not deferred or rejected
        "DEC-2026-H2-01", "DEC-2026-H2-02", "DEC-2026-H2-03", "DEC-2026-H2-05", "DEC-2026-H2-06",
        "DEC-2026-H2-07", "DEC-2026-H2-09", "DEC-2026-H2-11"]
    # the note is kept apart from decisions
    assert "DEC-2026-H2-04: Noted the improving phishing click rate." in text
    assert "Approved by Helen Carter on 30 November 2026" in text
    assert "The next management review is planned for 10 June 2027." in text
    assert len(PdfReader(final_pack / f"{RID}-minutes.pdf").pages) >= 2


def test_final_minutes_refused_without_owner(mutate: Mutate, tmp_path: Path) -> None:
    def fn(wb: Workbook) -> None:
        wb["Decisions"]["E5"] = None

    out = tmp_path / "out"
    code, _, err = run_cli("build", str(mutate(fn, source=FINAL)), "--evidence", str(EVIDENCE),
                           "--out", str(out), "--stage", "final")
    assert code == 1
    assert "decision-incomplete" in err and "Decisions!E5" in err and "final minutes refused" in err
    assert not (out / RID).exists()


def test_final_minutes_refused_without_top_management_present(mutate: Mutate, tmp_path: Path) -> None:
    def fn(wb: Workbook) -> None:
        for row in range(5, 9):
            wb["Attendees"][f"E{row}"] = "Apologies"

    code, _, err = run_cli("build", str(mutate(fn, source=FINAL)), "--evidence", str(EVIDENCE),
                           "--out", str(tmp_path / "out"), "--stage", "final")
    assert code == 1 and "top-management-absent" in err


HOSTILE = ["{{ 7*7 }}", "{% if true %}x{% endif %}", "<w:p>broken</w:p>", "Tom &amp; Jerry & co",
           "emoji 🔐🛡️", "טקסט מימין לשמאל", "ctrl_x0001_chars_x0007_", "A" * 5000]


def test_hostile_cell_text_renders_literally(mutate: Mutate, tmp_path: Path) -> None:
    def fn(wb: Workbook) -> None:
        wb["Review"]["B5"] = "Acme & <Sons> {{ 7*7 }}"  # Organisation: headers too
        risks = wb["f Risks"]
        for i, text in enumerate(HOSTILE):
            risks[f"B{5 + i}"] = text  # R-001 … R-012: several are above appetite
        wb["a Previous actions"]["B10"] = HOSTILE[2]  # ACT-2026-01 is overdue

    out = tmp_path / "out"
    code, _, err = run_cli("build", str(mutate(fn)), "--evidence", str(EVIDENCE), "--out", str(out))
    assert code == 0, err
    path = out / RID / "pre-read" / f"{RID}-pre-read.docx"
    text = text_of(path)
    for expected in ["{{ 7*7 }}", "{% if true %}x{% endif %}", "<w:p>broken</w:p>",
                     "Tom &amp; Jerry & co", "emoji 🔐🛡️", "טקסט מימין לשמאל", "ctrlchars", "A" * 5000]:
        assert expected in text, expected[:30]
    header = docx.Document(str(path)).sections[0].header.paragraphs[0].text
    assert header.startswith("Acme & <Sons> {{ 7*7 }} · MR-2026-H2")
    assert (out / RID / "pre-read" / f"{RID}-pre-read.pdf").exists()  # LibreOffice opened the DOCX
    assert "Acme & <Sons>" in pdf_text(out / RID / "pre-read" / f"{RID}-agenda.pdf")


def _template_with(tmp_path: Path, name: str, extra: str) -> Path:
    folder = tmp_path / "my_templates"
    folder.mkdir(exist_ok=True)
    shutil.copy(TEMPLATES / f"{name}.docx", folder / f"{name}.docx")
    document = docx.Document(str(folder / f"{name}.docx"))
    document.add_paragraph(extra)
    document.save(str(folder / f"{name}.docx"))
    return folder


@pytest.mark.parametrize("payload", [
    "{{ ''.__class__.__mro__ }}",
    "{{ cycler.__init__.__globals__.os.popen('id').read() }}",
    "{{ doc.__class__.__init__.__globals__ }}",
])
def test_template_introspection_fails_with_a_clear_error(tmp_path: Path, payload: str) -> None:
    folder = _template_with(tmp_path, "agenda", payload)
    out = tmp_path / "out"
    code, _, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(out),
                           "--templates", str(folder))
    assert code == 1
    assert "agenda.docx" in err and "Traceback" not in err
    assert not (out / RID).exists() and not list(out.rglob(".partial-*"))


def test_user_template_overrides_the_default(tmp_path: Path) -> None:
    folder = _template_with(tmp_path, "agenda", "Custom line for {{ doc.organisation }}")
    out = tmp_path / "out"
    code, _, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(out),
                           "--templates", str(folder))
    assert code == 0, err
    assert "Custom line for Acme Logistics Ltd" in text_of(out / RID / "pre-read" / f"{RID}-agenda.docx")
    assert "Custom line" not in text_of(out / RID / "pre-read" / f"{RID}-pre-read.docx")


def _context() -> tuple[object, dict[str, bytes]]:
    data = validate_workbook(GOOD).data
    return build_context(data, analyse(data)), {}


def test_endless_template_loop_is_stopped(tmp_path: Path) -> None:
    folder = _template_with(tmp_path, "agenda", "{% for i in range(99999) %}{% for j in range(99999) %}"
                                                "{{ i }}{% endfor %}{% endfor %}")
    ctx, charts = _context()
    with pytest.raises(TemplateProblem, match="longer than 3 s"):
        render_documents([(folder / "agenda.docx", tmp_path / "o.docx", "t")], ctx, charts,  # type: ignore[arg-type]
                         dt.datetime(2026, 1, 1), timeout=3)


def test_gigantic_string_hits_the_memory_limit(tmp_path: Path) -> None:
    folder = _template_with(tmp_path, "agenda", "{{ 'x' * 4000000000 }}")
    ctx, charts = _context()
    with pytest.raises(TemplateProblem, match=r"agenda\.docx"):
        render_documents([(folder / "agenda.docx", tmp_path / "o.docx", "t")], ctx, charts,  # type: ignore[arg-type]
                         dt.datetime(2026, 1, 1), timeout=60)


def test_check_templates_passes_on_the_shipped_templates() -> None:
    code, out, _ = run_cli("check-templates")
    assert code == 0 and "OK: 3 template(s)" in out


def test_check_templates_catches_a_misspelt_variable(tmp_path: Path) -> None:
    folder = _template_with(tmp_path, "agenda", "Owner: {{ doc.ownr }}")
    code, out, _ = run_cli("check-templates", str(folder))
    assert code == 1
    assert "agenda.docx" in out and "ownr" in out


def test_check_templates_catches_an_unknown_top_level_variable(tmp_path: Path) -> None:
    folder = _template_with(tmp_path, "agenda", "{{ reviw_id }}")
    code, out, _ = run_cli("check-templates", str(folder))
    assert code == 1 and "unknown variable 'reviw_id'" in out


def test_check_templates_catches_a_broken_tag(tmp_path: Path) -> None:
    folder = _template_with(tmp_path, "minutes", "{{ doc.review_id }")
    code, out, _ = run_cli("check-templates", str(folder))
    assert code == 1 and "minutes.docx: broken tag" in out


def test_committed_templates_are_what_the_generator_writes() -> None:
    for name in ("agenda", "pre_read", "minutes"):
        assert (TEMPLATES / f"{name}.docx").read_bytes() == default_template(name), name


def test_same_inputs_and_source_date_epoch_give_identical_bytes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    first = build(BuildOptions(GOOD, EVIDENCE, tmp_path / "one"))
    second = build(BuildOptions(GOOD, EVIDENCE, tmp_path / "two"))
    assert [p.name for p in first.files] == [p.name for p in second.files]
    for a, b in zip(first.files, second.files, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_failed_conversion_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import pipeline.commands.build
    from pipeline.documents.convert import ConversionError

    def broken(*args: object, **kwargs: object) -> list[Path]:
        raise ConversionError("simulated LibreOffice failure")

    monkeypatch.setattr(pipeline.commands.build, "convert_batch", broken)
    out = tmp_path / "out"
    code, _, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(out))
    assert code == 1 and "simulated LibreOffice failure" in err
    assert list(out.iterdir()) == []


def test_missing_libreoffice_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import pipeline.office as convert

    monkeypatch.setattr(convert.shutil, "which", lambda name: None)
    monkeypatch.setattr(convert, "SOFFICE_PATHS", ())
    code, _, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(tmp_path))
    assert code == 1 and "LibreOffice is needed" in err and "apt-get install" in err
