"""Bounded work in rendering: each template has a CPU-time budget that fits the review's data
(a template loop of 10^10 iterations is stopped in seconds, not 120 s), and a document over the
page budget is refused before LibreOffice starts; each limit names the template and the limit.
The times measured are printed (pytest -s) and quoted in the ops note."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import time
from pathlib import Path
from typing import Any

import docx
import pytest

from pipeline import office
from pipeline.analysis import analyse
from pipeline.commands import build as build_module
from pipeline.documents import limits
from pipeline.documents.context import build_context
from pipeline.documents.limits import (
    PAGE_BUDGET,
    DocumentTooLarge,
    check_page_budget,
    context_size,
    conversion_limit,
    estimate_pages,
    render_budget,
)
from pipeline.documents.render import TemplateProblem, render_documents, resolve_template
from pipeline.workbook.validate import validate_workbook

from .conftest import EVIDENCE, GOOD, run_cli

LOOP = "{% for i in range(99999) %}{% for j in range(99999) %}{{ i }}{% endfor %}{% endfor %}"


@pytest.fixture(scope="module")
def context() -> Any:
    data = validate_workbook(GOOD).data
    return build_context(data, analyse(data))


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def template_with(tmp_path: Path, name: str, extra: str) -> Path:
    path = tmp_path / f"{name}.docx"
    shutil.copy(resolve_template(name), path)
    document = docx.Document(str(path))
    document.add_paragraph(extra)
    document.save(str(path))
    return path


def test_a_loop_of_ten_billion_is_stopped_within_seconds(tmp_path: Path, context: Any) -> None:
    budget = render_budget(context)
    assert budget < 10, budget  # the example: a floor of 3 s plus its data, not 120 s
    template = template_with(tmp_path, "agenda", LOOP)
    started, cpu = time.monotonic(), _children_cpu()
    with pytest.raises(TemplateProblem) as problem:
        render_documents([(template, tmp_path / "o.docx", "t")], context, {}, dt.datetime(2026, 1, 1))
    took, used = time.monotonic() - started, _children_cpu() - cpu
    print(f"\n10^10-iteration loop stopped after {used:.1f} s of CPU, {took:.1f} s on the clock "
          f"(budget {budget:.1f} s of CPU)")
    assert used < budget + 2  # stopped at its budget (the clock depends on how busy the box is)
    assert took < 120  # before: stopped by the 120 s wall clock only
    message = str(problem.value)
    assert message.startswith("agenda.docx: rendering took longer than")
    assert f"{budget:.0f} s of processor time, the limit for this much review data" in message


def test_the_budget_fits_the_data(context: Any) -> None:
    small = render_budget(context)
    expected = limits.RENDER_FLOOR + limits.RENDER_PER_KCHAR * context_size(context) / 1000
    assert small == pytest.approx(expected)
    assert render_budget("") == limits.RENDER_FLOOR
    assert render_budget(["x" * 1_000_000]) > 100  # a million characters may take longer


def test_the_shipped_templates_render_well_within_their_budget(tmp_path: Path, context: Any) -> None:
    jobs = [(resolve_template(n), tmp_path / f"{n}.docx", n) for n in ("agenda", "pre_read", "minutes")]
    started = time.process_time()
    render_documents(jobs, context, {}, dt.datetime(2026, 1, 1))  # the child's CPU is not ours:
    parent_cpu = time.process_time() - started
    assert all(out.is_file() for _, out, _ in jobs)
    assert parent_cpu < render_budget(context)  # the parent only waits


def long_cells_docx(rows: int, columns: int, chars: int) -> bytes:
    document = docx.Document()
    table = document.add_table(rows=rows, cols=columns)
    for row in table.rows:
        for cell in row.cells:
            cell.text = "word " * (chars // 5)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def test_32767_characters_in_every_column_is_over_the_page_budget(tmp_path: Path) -> None:
    path = tmp_path / "MR-2026-H2-pre-read.docx"
    path.write_bytes(long_cells_docx(rows=30, columns=5, chars=32_767))
    started = time.perf_counter()
    with pytest.raises(DocumentTooLarge) as refused:
        check_page_budget(path, "pre_read.docx")
    took = time.perf_counter() - started
    print(f"\npage estimate of 30 x 5 cells of 32,767 characters: {took * 1000:.0f} ms")
    message = str(refused.value)
    assert message.startswith("MR-2026-H2-pre-read.docx (from template pre_read.docx): would be about ")
    assert f"more than the budget of {PAGE_BUDGET:,} pages" in message
    assert "longest paragraph 32,76" in message
    assert took < 2


def test_the_estimate_is_near_the_pages_libreoffice_makes(tmp_path: Path) -> None:
    path = tmp_path / "long.docx"
    path.write_bytes(long_cells_docx(rows=6, columns=3, chars=2_000))
    estimate = estimate_pages(path.read_bytes()).pages
    from pypdf import PdfReader

    (pdf,) = office.convert_to_pdf([path], tmp_path)
    real = len(PdfReader(pdf).pages)
    assert real / 2 <= estimate <= real * 2, (estimate, real)


def test_build_refuses_an_oversized_document_before_libreoffice(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_args: object, **_kw: object) -> None:
        raise AssertionError("LibreOffice was started for a document over the page budget")

    monkeypatch.setattr(build_module, "convert_batch", never)
    monkeypatch.setattr(limits, "PAGE_BUDGET", 5)  # the example's pre-read has about 17 pages
    code, _, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(tmp_path / "out"))
    assert code == 1, err
    line = err.strip().splitlines()[-1]
    assert line.startswith("error: MR-2026-H2-pre-read.docx (from template pre_read.docx): would be about ")
    assert "more than the budget of 5 pages" in line
    assert not (tmp_path / "out" / "MR-2026-H2").exists()


def test_the_conversion_limit_fits_the_pages() -> None:
    assert conversion_limit(22) == pytest.approx(52)  # the example's 3 documents, not 300 s
    assert conversion_limit(600) > conversion_limit(22)
