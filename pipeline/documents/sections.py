"""The pre-read's content per input, rendered generically from each input's analysis summary:
a headline that reads as analysis, its significance and recommended actions, a summary table and
trend tables, the charts to embed, limitations and the decisions asked; the appendix's register
extracts with the columns each headline is computed from."""

from __future__ import annotations

import re

from ..analysis.analyse import Analysis
from ..analysis.base import DecisionRequest, Figure, SummaryTable
from ..formatting import long_date, value
from ..workbook.inputs import clause_of, input_specs
from ..workbook.model import WorkbookData
from .model import Appendix, Ask, Chart, Kpi, Section, TableData, clean

APPENDIX_COLUMNS = 6  # without declared COLUMNS: the first columns of a register
APPENDIX_ROWS = 60  # longer registers: the first rows here, the rest in the attached workbook
_STOP = frozenset({"the", "with", "and", "for", "their", "its", "not", "any", "all", "are",
                   "has", "have", "who", "whose", "from", "than", "into", "per", "each", "our"})


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in re.findall(r"[a-z]+", text.casefold())
            if len(w) >= 3 and w not in _STOP}


def look_alike_note(figure: Figure, sheet: str, a: Analysis) -> str:
    """When a metric's name shares three or more words with a figure's label, say why their
    values differ (or that they agree), so the pack never contradicts itself unexplained."""
    label = _words(figure.label)
    notes = []
    for m in a.metrics:
        if len(label & _words(m.name)) < 3:
            continue
        period = m.latest_period.label if m.latest_period else "n/a"
        notes.append(
            f"Not the same figure as metric {m.id} '{m.name}' ({value(m.latest)} for {period}): "
            f"{m.id} is the value its owner reported from {m.source or 'their own source'} for "
            f"{period}; this figure is computed from the '{sheet}' rows at the cut-off, as "
            "defined here.")
    return " ".join(notes)


def kpis(a: Analysis) -> list[Kpi]:
    out = []
    for ref, item in a.inputs.items():
        if a.coverage.get(ref) != "content":
            continue
        for f in item.module.figures(item.result, a.view(ref)):
            out.append(Kpi(f.label, f.value, f.status, None, f.basis, f.definition,
                           look_alike_note(f, item.spec.sheet_name, a)))
    out.append(Kpi("Decisions requested of management", str(len(a.decisions_requested)), "info",
                   None, "See the decision cards",
                   "Requests from the inputs' rules and rows (risks, proposals, overdue major "
                   "nonconformities, escalated actions), grouped into the cards by linked items.",
                   ""))
    return out


def table_data(table: SummaryTable) -> TableData:
    return TableData(list(table.headers), [[clean(c) for c in row] for row in table.rows], None)


def sections(data: WorkbookData, a: Analysis) -> list[Section]:
    out = []
    for spec in input_specs(data.contract):
        ref = spec.ref
        coverage = a.coverage[ref]
        reason = clean(a.nothing_to_report.get(ref, ""))
        table, charts, trends = TableData([], [], None), [], []
        significance, rule, recommendations = "", "", []
        if coverage == "content":
            summary = a.summary(ref)
            headline = summary.headline
            table = table_data(summary.table)
            charts = [Chart(c.stem, c.caption, b"", None) for c in summary.charts]
            trends = [Appendix(clean(title), table_data(t), "") for title, t in summary.extra_tables]
            significance, rule = summary.significance, summary.significance_rule
            recommendations = [clean(x) for x in summary.recommendations]
        elif coverage == "nothing-to-report":
            headline = f"Nothing to report: {reason}"
        else:
            headline = ("No information was provided for this input. It must be covered before "
                        "the review.")
            significance, rule = "High", "High: a mandatory input of clause 9.3.2 is missing."
        out.append(Section(
            ref=ref, clause=spec.clause, title=spec.title, coverage=coverage,
            nothing_to_report=reason,
            period=f"Period {long_date(a.period_start)} to {long_date(a.period_end)}; data cut-off "
                   f"{long_date(a.cutoff)}.",
            headline=clean(headline), table=table, charts=charts,
            limitations=[clean(x) for x in a.limitations.get(ref, [])],
            asks=[ask(data, d) for d in a.decisions_requested if d.input_ref == ref],
            significance=significance, significance_rule=clean(rule),
            recommendations=recommendations, trends=trends))
    return out


def appendix_columns(data: WorkbookData, a: Analysis, ref: str) -> list[str]:
    """The columns each headline of an input is computed from (its module's COLUMNS), in the
    contract's order; without COLUMNS the first columns of the register."""
    spec = a.inputs[ref].spec if ref in a.inputs else None
    declared = [c.name for c in (spec.sheet.columns if spec else [])]
    wanted = set(a.inputs[ref].module.columns) if ref in a.inputs else set()
    return [c for c in declared if c in wanted] if wanted else declared[:APPENDIX_COLUMNS]


def appendix(data: WorkbookData, a: Analysis) -> list[Appendix]:
    out = []
    for spec in input_specs(data.contract):
        names = appendix_columns(data, a, spec.ref)
        columns = [spec.sheet.column(n) for n in names]
        records = data.tables[spec.sheet_name].records
        rows = [[clean(value(r[c.name], c.type)) for c in columns] for r in records[:APPENDIX_ROWS]]
        note = "Columns the section's figures are computed from."
        if len(records) > APPENDIX_ROWS:
            note += (f" First {APPENDIX_ROWS} of {len(records)} rows; the full register is sheet "
                     f"'{spec.sheet_name}' of the attached workbook.")
        out.append(Appendix(f"{spec.clause} {spec.sheet_name}",
                            TableData([c.name for c in columns], rows, None), note))
    return out


def ask(data: WorkbookData, request: DecisionRequest) -> Ask:
    return Ask(request.input_ref, clause_of(request.input_ref, data.contract),
               clean(request.source_id), request.kind, clean(request.request))
