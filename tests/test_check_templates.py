"""check-templates in Word terms: which file replaces which document, which files build ignores,
and every problem at once, quoting the paragraph (never Jinja's "line 1")."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx

from pipeline.documents.render import explain
from pipeline.documents.wordtags import check_tags

from .conftest import EVIDENCE, GOOD, ROOT, run_cli

SHIPPED = ROOT / "doc_templates"


def _folder(tmp_path: Path, *names: str) -> Path:
    folder = tmp_path / "my_templates"
    folder.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(SHIPPED / f"{name}.docx", folder / f"{name}.docx")
    return folder


def _add(path: Path, *paragraphs: str, header: str = "") -> None:
    document = docx.Document(str(path))
    for text in paragraphs:
        document.add_paragraph(text)
    if header:
        document.sections[0].header.add_paragraph(header)
    document.save(str(path))


def _no_jinja_internals(text: str) -> None:
    for internal in ("line 1", "jinja", " object", "Traceback", "TemplateSyntaxError"):
        assert internal not in text, (internal, text)


def test_it_says_which_file_replaces_which_document(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "minutes")
    code, out, _ = run_cli("check-templates", str(folder))
    assert code == 0
    assert f"minutes.docx in {folder} replaces the shipped template for the minutes form" in out
    assert f"The agenda: the shipped agenda.docx is used (no agenda.docx in {folder})" in out
    assert "OK: 1 template(s) checked: minutes.docx" in out


def test_files_build_would_ignore_are_warned_about(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "minutes")
    shutil.copy(SHIPPED / "agenda.docx", folder / "Agenda.docx")
    shutil.copy(SHIPPED / "pre_read.docx", folder / "pre_read (edited).docx")
    (folder / "minutes.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    code, out, _ = run_cli("check-templates", str(folder))
    assert code == 0  # warnings: the build still works, with the shipped agenda and pre-read
    lines = [line for line in out.splitlines() if line.startswith("warning:")]
    assert len(lines) == 3
    assert any("Agenda.docx will be ignored by build" in w and "rename it to agenda.docx" in w
               for w in lines)
    assert any("pre_read (edited).docx will be ignored" in w and "rename it to pre_read.docx" in w
               for w in lines)
    assert any("minutes.doc will be ignored" in w and "save it in Word as a .docx" in w
               for w in lines)


def test_a_folder_with_only_misnamed_files_says_what_is_expected(tmp_path: Path) -> None:
    folder = tmp_path / "t"
    folder.mkdir()
    shutil.copy(SHIPPED / "agenda.docx", folder / "Agenda.docx")
    code, _, err = run_cli("check-templates", str(folder))
    assert code == 1
    assert "Agenda.docx" in err and "agenda.docx, pre_read.docx, minutes.docx" in err


def test_a_missing_endfor_quotes_the_paragraph_and_says_what_to_add(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "agenda")
    _add(folder / "agenda.docx", "Actions: {%p for a in decisions %}", "{{ a.id }}")
    problems = check_tags(folder / "agenda.docx")
    assert len(problems) == 1
    line = problems[0]
    assert 'the paragraph "Actions: {%p for a in decisions %}"' in line
    assert "never closed" in line and "{%p endfor %}" in line
    _no_jinja_internals(line)


def test_an_unknown_filter_names_the_filters_that_exist(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "agenda")
    _add(folder / "agenda.docx", "Owner: {{ doc.owner | upper2 }}")
    [line] = check_tags(folder / "agenda.docx")
    assert "no filter called 'upper2'" in line and "Did you mean 'upper'?" in line
    assert 'the paragraph "Owner: {{ doc.owner | upper2 }}"' in line


def test_a_workbook_heading_in_braces_gets_its_variable(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "agenda")
    _add(folder / "agenda.docx", "Review {{ Review ID }} of {{ Meeting date }}")
    problems = check_tags(folder / "agenda.docx")
    assert len(problems) == 2
    assert "for the workbook's Review ID write {{ doc.review_id }}" in problems[0]
    assert "{{ meeting.date }}" in problems[1]


def test_every_problem_is_reported_at_once(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "minutes")
    _add(folder / "minutes.docx", "A {{ doc.ownr }}", "B {{ x | nosuch }}", "C {{ doc.review_id }",
         "{%p endif %}", header="Header {{ doc.classifcation }}")
    code, out, err = run_cli("check-templates", str(folder))
    assert code == 1
    problems = [line for line in out.splitlines() if line.startswith("minutes.docx:")]
    assert len(problems) == 5, out
    assert "5 problem(s) in 1 template(s)" in err
    assert any("in the header" in p and "classifcation" in p and "'classification'" in p
               for p in problems)
    assert any("closes a condition that was never started" in p for p in problems)
    for line in problems:
        _no_jinja_internals(line)


def test_loops_over_table_rows_are_matched_across_rows(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "agenda")
    document = docx.Document(str(folder / "agenda.docx"))
    table = document.add_table(rows=3, cols=1)
    table.cell(0, 0).text = "{%tr for item in agenda %}"
    table.cell(1, 0).text = "{{ item.title }} {{ item.tittle }}"
    table.cell(2, 0).text = "{%tr endfor %}"
    document.save(str(folder / "agenda.docx"))
    [line] = check_tags(folder / "agenda.docx")
    assert "item.tittle" in line and "in a table" in line and "Did you mean 'title'?" in line


def test_build_errors_quote_the_paragraph_too(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "agenda")
    _add(folder / "agenda.docx", "Chair: {{ doc.chair }", "{%p for x in agenda %}")
    code, _, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out",
                           str(tmp_path / "out"), "--templates", str(folder))
    assert code == 1
    assert 'the paragraph "Chair: {{ doc.chair }"' in err and "1 more" in err
    _no_jinja_internals(err)


def test_explain_names_a_misspelt_attribute_at_render_time(tmp_path: Path) -> None:
    from jinja2.exceptions import UndefinedError

    folder = _folder(tmp_path, "agenda")
    _add(folder / "agenda.docx", "Owner: {{ doc.ownr }}")
    line = explain(folder / "agenda.docx",
                   UndefinedError("'pipeline.documents.context.DocControl object' has no attribute 'ownr'"))
    assert 'the paragraph "Owner: {{ doc.ownr }}"' in line and "Did you mean 'owner'?" in line


def _sleepy(*args: object) -> None:
    import time

    time.sleep(30)


def test_every_troubleshooting_row_quotes_a_message_the_program_gives(tmp_path: Path) -> None:
    """docs/templates.md's table cannot drift from the messages: a folder holding every mistake
    it lists produces each quoted phrase."""
    from jinja2.exceptions import SecurityError

    from pipeline.documents.render import TemplateProblem, render_documents

    folder = _folder(tmp_path, "agenda", "minutes", "pre_read")
    shutil.copy(SHIPPED / "agenda.docx", folder / "Agenda.docx")
    _add(folder / "agenda.docx", "A {{ doc.review_id }", "{%p for x in agenda %}", "{%p if final %}",
         "{{ Review ID }}", "{{ doc.ownr }}", "{{ doc.owner | upper2 }}", "{% frobnicate %}")
    _add(folder / "minutes.docx", "{%p endif %}")
    _, out, _ = run_cli("check-templates", str(folder))
    said = [out, explain(folder / "pre_read.docx", SecurityError("access to attribute '__class__'"))]
    try:
        render_documents([(folder / "pre_read.docx", tmp_path / "o.docx", "t")], None, {},  # type: ignore[arg-type]
                         None, timeout=0.5, runner=_sleepy)  # type: ignore[arg-type]
    except TemplateProblem as exc:
        said.append(str(exc))
    text = " ".join(said)
    guide = (ROOT / "docs" / "templates.md").read_text("utf-8")
    table = guide.split("## Troubleshooting", 1)[1].split("## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")][1:]  # not the heading
    assert len(rows) >= 10
    for row in rows:
        quoted = row.split("`")[1]
        for fragment in (part.strip() for part in quoted.split("…")):
            assert fragment in text, (fragment, row)
