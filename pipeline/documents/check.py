"""`check-templates`: find broken tags and unknown variables in (user-edited) Word templates
before a build does, in Word's terms: which file replaces which document, which files build
will ignore, and every problem at once, quoting the paragraph it is in."""

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
from .render import TemplateProblem, explain, render_documents
from .sandbox import sandbox
from .templates import TEMPLATE_NAMES, packaged_templates
from .wordtags import check_tags, find_paragraph

CONTEXT_NAMES = frozenset(f.name for f in dataclasses.fields(ReviewContext))
EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "acme" / "review-final.xlsx"
DOCUMENTS = {"agenda": "the agenda", "pre_read": "the pre-read pack",
             "minutes": "the minutes form and the final minutes"}
_WORD_LIKE = (".docx", ".doc", ".docm", ".dotx", ".dot", ".odt", ".rtf")


def template_files(folder: Path | None) -> list[Path]:
    """The templates build uses from ``folder`` (agenda.docx, pre_read.docx, minutes.docx)."""
    if folder is None:
        return [packaged_templates() / f"{name}.docx" for name in TEMPLATE_NAMES]
    if not folder.is_dir():
        raise UserError(f"{folder}: no such template folder.")
    files = [folder / f"{name}.docx" for name in TEMPLATE_NAMES if (folder / f"{name}.docx").is_file()]
    if not files:
        others = ", ".join(p.name for p in _other_files(folder)) or "no Word files"
        raise UserError(f"{folder}: holds none of {', '.join(n + '.docx' for n in TEMPLATE_NAMES)} "
                        f"(found: {others}); build uses only files with exactly these names.")
    return files


def template_plan(folder: Path | None) -> list[str]:
    """Which file each document is made from, in words."""
    lines = []
    for name in TEMPLATE_NAMES:
        mine = folder / f"{name}.docx" if folder is not None else None
        if mine is not None and mine.is_file():
            lines.append(f"{name}.docx in {folder} replaces the shipped template for "
                         f"{DOCUMENTS[name]}.")
        else:
            where = f" (no {name}.docx in {folder})" if folder is not None else ""
            lines.append(f"{DOCUMENTS[name].capitalize()}: the shipped {name}.docx is used{where}.")
    return lines


def _other_files(folder: Path) -> list[Path]:
    used = {f"{name}.docx" for name in TEMPLATE_NAMES}
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in _WORD_LIKE
                  and p.name not in used and not p.name.startswith("~$"))


def ignored_files(folder: Path | None) -> list[str]:
    """Warnings for the Word files in ``folder`` that build will not use, with the fix."""
    if folder is None or not folder.is_dir():
        return []
    warnings = []
    names = [f"{n}.docx" for n in TEMPLATE_NAMES]
    for path in _other_files(folder):
        stem = path.stem.casefold().replace("-", "_").replace(" ", "_")
        close = difflib.get_close_matches(stem, list(TEMPLATE_NAMES), n=1, cutoff=0.5)
        if path.suffix.lower() != ".docx":
            fix = (f"save it in Word as a .docx document named {close[0]}.docx" if close else
                   "save it as .docx with one of the names above")
            why = f"it is a {path.suffix} file, not .docx"
        elif close:
            fix = f"to use it, rename it to {close[0]}.docx (exactly, in lower case)"
            if (folder / f"{close[0]}.docx").is_file():
                fix += f" in place of the {close[0]}.docx already there"
            why = "build only uses files named " + ", ".join(names)
        else:
            fix = "rename it to one of those names to use it, or move it out of the folder"
            why = "build only uses files named " + ", ".join(names)
        warnings.append(f"warning: {path.name} will be ignored by build: {why}; {fix}.")
    return warnings


def undeclared(path: Path) -> tuple[list[str], bool]:
    """Every problem with tags or top-level names; True when the template parses."""
    try:
        tag_problems = check_tags(path)
    except Exception as exc:  # not a Word file, damaged zip, ...
        return [f"{path.name}: cannot be opened as a Word document ({_short(exc)}); open it in "
                "Word and save it again as .docx."], False
    if tag_problems:
        return tag_problems, False
    try:
        names = DocxTemplate(path).get_undeclared_template_variables(sandbox())
    except TemplateSyntaxError as exc:
        return [explain(path, exc)], False
    except Exception as exc:
        return [f"{path.name}: cannot be opened as a Word template ({_short(exc)})."], False
    problems = []
    for name in sorted(names - CONTEXT_NAMES):
        close = difflib.get_close_matches(name, sorted(CONTEXT_NAMES), n=1)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        para = find_paragraph(path, name)
        where = f" in {para.quote(name)}" if para else " in a tag"
        problems.append(f"{path.name}: unknown variable '{name}'{where}.{hint} "
                        "See docs/templates.md for the variables templates can use.")
    return problems, True


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:120]


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
                    break  # one render error per template: the next needs it fixed first
    return problems
