"""Human-readable terminal output (rich): tables on a terminal, plain lines in a pipe."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from .analysis import Analysis
from .formatting import long_date, period_range
from .workbook.findings import Report


def console(stderr: bool = False) -> Console:
    file = sys.stderr if stderr else sys.stdout
    tty = file.isatty()
    return Console(file=file, highlight=False, soft_wrap=not tty, width=None if tty else 120)


def print_report(report: Report, out: Console | None = None) -> None:
    out = out or console()
    if report.findings:
        table = Table(title=f"Findings for {report.path}", show_lines=False, expand=False)
        for heading in ("Severity", "Code", "Cell", "Value", "What to do"):
            table.add_column(heading, overflow="fold")
        for f in report.findings:
            style = "red" if f.severity == "error" else "yellow"
            table.add_row(f"[{style}]{f.severity}[/]", f.code, f.cell, f.value, f.message)
        if out.is_terminal:
            out.print(table)
        else:
            for f in report.findings:
                out.print(f"{f.severity.upper():8} {f.code:22} {f.cell:32} {f.message}",
                          markup=False)
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
