"""Human-readable terminal output (rich): tables on a terminal, plain lines in a pipe."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from .workbook.findings import Report


def console(stderr: bool = False) -> Console:
    file = sys.stderr if stderr else sys.stdout
    return Console(file=file, highlight=False, soft_wrap=not file.isatty())


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
