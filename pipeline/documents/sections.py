"""The pre-read's content per input, rendered generically from each input's analysis summary:
a headline that reads as analysis, a summary table, the charts to embed, limitations and the
decisions asked."""

from __future__ import annotations

from ..analysis.analyse import Analysis
from ..analysis.base import DecisionRequest, Figure, SummaryTable
from ..formatting import long_date, value
from ..workbook.inputs import clause_of, input_specs
from ..workbook.model import WorkbookData
from .model import Appendix, Ask, Chart, Kpi, Section, TableData, clean

APPENDIX_COLUMNS = 6  # the first columns of each register, enough to find a row


def kpis(a: Analysis) -> list[Kpi]:
    figures = [*a.figures(), Figure("Decisions requested of management",
                                    str(len(a.decisions_requested)), "info", "See the list below")]
    return [Kpi(f.label, f.value, f.status, None, f.basis) for f in figures]


def table_data(table: SummaryTable) -> TableData:
    return TableData(list(table.headers), [[clean(c) for c in row] for row in table.rows], None)


def sections(data: WorkbookData, a: Analysis) -> list[Section]:
    out = []
    for spec in input_specs(data.contract):
        ref = spec.ref
        coverage = a.coverage[ref]
        reason = clean(a.nothing_to_report.get(ref, ""))
        table, charts = TableData([], [], None), []
        if coverage == "content":
            summary = a.summary(ref)
            headline = summary.headline
            table = table_data(summary.table)
            charts = [Chart(c.stem, c.caption, b"", None) for c in summary.charts]
        elif coverage == "nothing-to-report":
            headline = f"Nothing to report: {reason}"
        else:
            headline = ("No information was provided for this input. It must be covered before "
                        "the review.")
        out.append(Section(
            ref=ref, clause=spec.clause, title=spec.title, coverage=coverage,
            nothing_to_report=reason,
            period=f"Period {long_date(a.period_start)} to {long_date(a.period_end)}; data cut-off "
                   f"{long_date(a.cutoff)}.",
            headline=clean(headline), table=table, charts=charts,
            limitations=[clean(x) for x in a.limitations.get(ref, [])],
            asks=[ask(data, d) for d in a.decisions_requested if d.input_ref == ref]))
    return out


def appendix(data: WorkbookData) -> list[Appendix]:
    out = []
    for spec in input_specs(data.contract):
        columns = list(spec.sheet.columns)[:APPENDIX_COLUMNS]
        rows = [[clean(value(r[c.name], c.type)) for c in columns]
                for r in data.tables[spec.sheet_name].records]
        out.append(Appendix(f"{spec.clause} {spec.sheet_name}",
                            TableData([c.name for c in columns], rows, None)))
    return out


def ask(data: WorkbookData, request: DecisionRequest) -> Ask:
    return Ask(request.input_ref, clause_of(request.input_ref, data.contract),
               clean(request.source_id), request.kind, clean(request.request))
