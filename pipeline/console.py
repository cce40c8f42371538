"""Human-readable terminal output (rich): tables on a terminal, plain lines in a pipe."""

from __future__ import annotations

import sys

from rich.console import Console
from rich.table import Table

from .analysis import Analysis
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


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0%}"


def print_analysis(a: Analysis, out: Console | None = None) -> None:
    """The analysis as a few terminal tables: what an executive asks first."""
    out = out or console()
    out.print(f"[bold]{a.organisation} — {a.review_id}[/]: period {a.period_start} to "
              f"{a.period_end}, data cut-off {a.cutoff}")
    cov = Table(title="Coverage of the 9.3.2 inputs")
    for heading in ("Input", "Status", "Limitations"):
        cov.add_column(heading, overflow="fold")
    style = {"content": "green", "nothing-to-report": "yellow", "missing": "red"}
    for ref, status in a.coverage.items():
        why = a.nothing_to_report.get(ref, "")
        cov.add_row(ref, f"[{style[status]}]{status}[/]" + (f" ({why})" if why else ""),
                    " ".join(a.limitations.get(ref, [])))
    out.print(cov)
    metrics = Table(title=f"d2 Metrics (latest period; trend over the last "
                          f"{a.settings.trend_window} periods)")
    for heading in ("Metric", "Name", "Latest", "Period", "Target", "Status", "Trend"):
        metrics.add_column(heading)
    colour = {"met": "green", "near": "yellow", "missed": "red", "no data": "dim"}
    for m in a.metrics:
        metrics.add_row(m.id, m.name, f"{m.latest:g}" if m.latest is not None else "n/a",
                        m.latest_period.label if m.latest_period else "n/a",
                        f"{m.target:g}" if m.target is not None else "n/a",
                        f"[{colour[m.status]}]{m.status}[/]", m.trend)
    out.print(metrics)
    kpis = Table(title=f"Headline figures at the cut-off {a.cutoff}")
    kpis.add_column("Input")
    kpis.add_column("Figure")
    act, nc, risks = a.actions, a.nonconformities, a.risks
    rows = [
        ("a Actions", f"{act.open} open of {act.total}; on time {_pct(act.on_time_rate)} "
                      f"({act.done_on_time}/{act.due_in_period}); overdue: "
                      f"{', '.join(act.overdue) or 'none'}; escalate: {', '.join(act.escalate) or 'none'}"),
        ("b Context", f"{a.context.total} changes; impact not stated: "
                      f"{', '.join(a.context.no_impact) or 'none'}"),
        ("c Parties", f"{a.parties.total} changes; response not stated: "
                      f"{', '.join(a.parties.no_response) or 'none'}"),
        ("d1 NCs", f"{nc.open} open ({', '.join(f'{k} {v}' for k, v in nc.open_by_severity.items())}); "
                   f"median {nc.days_to_close_median if nc.days_to_close_median is not None else 'n/a'} "
                   f"days to close; verified {_pct(nc.verified_share)}; majors open: "
                   f"{', '.join(nc.majors_open) or 'none'}"),
        ("d3 Audits", f"{a.audits.total} audits; findings "
                      f"{', '.join(f'{k} {v}' for k, v in a.audits.totals.items())}; open: "
                      f"{', '.join(a.audits.open) or 'none'}"),
        ("d4 Objectives", ", ".join(f"{k} {v}" for k, v in a.objectives.by_status.items())),
        ("e Feedback", f"{a.feedback.total} items; recurring: " + (", ".join(
            f"{t.party_type}/{t.category} x{t.count}" for t in a.feedback.recurring_themes) or "none")),
        ("f Risks", f"{risks.total} risks; above appetite: {', '.join(risks.above_appetite) or 'none'}; "
                    f"untreated: {', '.join(risks.untreated) or 'none'}"),
        ("g Improvements", f"{a.improvements.total} proposals; "
                           f"{len(a.improvements.resources_requested)} ask for resources"),
    ]
    for row in rows:
        kpis.add_row(*row)
    out.print(kpis)
    asks = Table(title="Decisions requested of management")
    for heading in ("Input", "Source", "Kind", "Request"):
        asks.add_column(heading, overflow="fold")
    for d in a.decisions_requested:
        asks.add_row(d.input_ref, d.source_id, d.kind, d.request)
    out.print(asks)
