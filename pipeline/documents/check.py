"""`check-templates`: find broken tags and unknown variables in (user-edited) Word templates
before a build does. Each problem names the template and the tag."""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import tempfile
from pathlib import Path

from docxtpl import DocxTemplate
from jinja2 import TemplateSyntaxError

from ..analysis import analyse
from ..errors import UserError
from ..workbook.validate import validate_workbook
from .context import build_context
from .model import ReviewContext
from .render import TemplateProblem, explain, render_documents, sandbox
from .templates import TEMPLATE_NAMES, packaged_templates

CONTEXT_NAMES = frozenset(f.name for f in dataclasses.fields(ReviewContext))
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "review-final.xlsx"


def template_files(folder: Path | None) -> list[Path]:
    if folder is None:
        return [packaged_templates() / f"{name}.docx" for name in TEMPLATE_NAMES]
    if not folder.is_dir():
        raise UserError(f"{folder}: no such template folder.")
    files = sorted(p for p in folder.glob("*.docx") if not p.name.startswith("~$"))
    if not files:
        raise UserError(f"{folder}: no .docx templates in this folder.")
    return files


def undeclared(path: Path) -> tuple[list[str], bool]:
    """Problems with top-level names or syntax; True when the template parses."""
    try:
        names = DocxTemplate(path).get_undeclared_template_variables(sandbox())
    except TemplateSyntaxError as exc:
        return [explain(path, exc)], False
    except Exception as exc:  # not a Word file, damaged zip, ...
        return [f"{path.name}: cannot be opened as a Word template ({exc})."], False
    problems = []
    for name in sorted(names - CONTEXT_NAMES):
        close = difflib.get_close_matches(name, sorted(CONTEXT_NAMES), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        problems.append(f"{path.name}: unknown variable '{name}' in a tag.{hint} "
                        "See docs/templates.md.")
    return problems, True


def _sample_contexts() -> list[tuple[ReviewContext, dict[str, bytes]]]:
    """The example review's contexts (pre-read and final), to render each template once. From
    the source tree's examples/, or written afresh where the package is installed alone."""
    with tempfile.TemporaryDirectory(prefix="isms-review-example-") as tmp:
        workbook = EXAMPLE
        if not workbook.is_file():
            from ..example import write_example

            write_example(Path(tmp))
            workbook = Path(tmp) / "review-final.xlsx"
        data = validate_workbook(workbook).data
    analysis = analyse(data)
    charts = analysis.charts()
    return [(build_context(data, analysis, final=final), charts) for final in (False, True)]


def check_templates(folder: Path | None = None) -> list[str]:
    """Every problem found, one line each (empty when all templates are fine)."""
    problems: list[str] = []
    parsed: list[Path] = []
    for path in template_files(folder):
        found, ok = undeclared(path)
        problems += found
        if ok and not found:
            parsed.append(path)
    samples = _sample_contexts() if parsed else []
    for path in parsed:  # render with real data: catches misspelt attributes like doc.reviewid
        for ctx, charts in samples:
            with tempfile.TemporaryDirectory() as tmp:
                try:
                    render_documents([(path, Path(tmp) / "out.docx", "check")], ctx, charts,
                                     dt.datetime(2026, 1, 1), timeout=60)
                except TemplateProblem as exc:
                    if str(exc) not in problems:
                        problems.append(str(exc))
                    break
    return problems
