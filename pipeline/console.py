"""Human-readable terminal output (rich): tables on a terminal, plain lines in a pipe."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .analysis import Analysis
from .formatting import long_date, period_range
from .workbook.findings import CATEGORY_TITLES, Report


def console(stderr: bool = False) -> Console:
    file = sys.stderr if stderr else sys.stdout
    tty = file.isatty()
    return Console(file=file, highlight=False, soft_wrap=not tty, width=None if tty else 120)


def print_report(report: Report, out: Console | None = None) -> None:
    """The findings in two sections — what to fix in the workbook, then what management must
    discuss — errors first, then a count per sheet and the verdict as the last line."""
    out = out or console()
    for category, title in CATEGORY_TITLES.items():
        items = report.in_category(category)  # type: ignore[arg-type]
        if not items:
            continue
        errors = sum(1 for f in items if f.severity == "error")
        heading = f"{title}: {errors} error(s), {len(items) - errors} warning(s)"
        if out.is_terminal:
            table = Table(title=f"{heading} — {report.path}", show_lines=False, expand=False)
            for column in ("Severity", "Code", "Cell", "Value", "What to do"):
                table.add_column(column, overflow="fold")
            for f in items:
                style = "red" if f.severity == "error" else "yellow"
                table.add_row(f"[{style}]{f.severity}[/]", f.code, f.cell, f.value, f.message)
            out.print(table)
        else:
            out.print(f"== {heading} ==", markup=False)
            for f in items:
                out.print(f"{f.severity.upper():8} {f.code:22} {f.cell:32} {f.message}",
                          markup=False)
    counts = report.by_sheet()
    if counts:
        per_sheet = "; ".join(
            f"{sheet}: {n['errors']} error(s), {n['warnings']} warning(s)"
            for sheet, n in counts.items())
        out.print(f"Per sheet: {per_sheet}", markup=False)
    verdict = "OK" if report.ok else "NOT OK"
    out.print(f"{verdict}: {len(report.errors)} error(s), {len(report.warnings)} warning(s) "
              f"in {report.path}", markup=False)


def print_analysis(a: Analysis, out: Console | None = None) -> None:
    """The analysis as terminal tables, rendered from the same per-input summaries as the
    pre-read: coverage, each input's headline and table, the decisions requested."""
    out = out or console()
    period = period_range(a.period_start, a.period_end)
    out.print(f"[bold]{escape(a.organisation)} — {escape(a.review_id)}[/]: period {period}, "
              f"data cut-off {long_date(a.cutoff)}")
    cov = Table(title="Coverage of the 9.3.2 inputs")
    for heading in ("Input", "Status", "Limitations"):
        cov.add_column(heading, overflow="fold")
    style = {"content": "green", "nothing-to-report": "yellow", "missing": "red"}
    for ref, status in a.coverage.items():
        why = a.nothing_to_report.get(ref, "")
        cov.add_row(ref, f"[{style[status]}]{status}[/]" + (f" ({why})" if why else ""),
                    " ".join(a.limitations.get(ref, [])))
    out.print(cov)
    figures = Table(title=f"Headline figures at the cut-off {long_date(a.cutoff)}")
    for heading in ("Figure", "Value", "Basis"):
        figures.add_column(heading, overflow="fold")
    colour = {"met": "green", "near": "yellow", "missed": "red", "info": "default"}
    for f in a.figures():
        figures.add_row(f.label, f"[{colour[f.status]}]{escape(f.value)}[/]", escape(f.basis))
    out.print(figures)
    for ref, item in a.inputs.items():
        if a.coverage.get(ref) != "content":
            continue
        summary = a.summary(ref)
        out.print(f"\n[bold]{item.spec.clause} {escape(item.spec.short_title)}[/]: "
                  f"{escape(summary.headline)}")
        if summary.table.rows:
            table = Table()
            for heading in summary.table.headers:
                table.add_column(escape(heading), overflow="fold")
            for row in summary.table.rows:
                table.add_row(*(escape(cell) for cell in row))
            out.print(table)
    asks = Table(title="Decisions requested of management")
    for heading in ("Input", "Source", "Kind", "Request"):
        asks.add_column(heading, overflow="fold")
    for d in a.decisions_requested:
        asks.add_row(d.input_ref, escape(d.source_id), d.kind, escape(d.request))
    out.print(asks)
