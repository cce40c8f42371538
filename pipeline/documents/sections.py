"""The pre-read's content per input: a headline that reads as analysis, a summary table, the
charts to embed, limitations and the decisions asked — all from the analysis result."""

from __future__ import annotations

from collections.abc import Callable

from ..analysis.analyse import Analysis
from ..analysis.metrics import chart_stem
from ..workbook.model import WorkbookData
from .context import (
    TITLES,
    Appendix,
    Ask,
    Chart,
    Kpi,
    Section,
    TableData,
    _fmt,
    _pct,
    ask,
    clean,
    long_date,
    short_date,
)

APPENDIX_COLUMNS = 6  # the first columns of each register, enough to find a row


def kpis(a: Analysis) -> list[Kpi]:
    cut = f"at the cut-off {long_date(a.cutoff)}"
    counts = a.metric_status_counts
    metric_status = "met" if counts["missed"] == 0 and counts["near"] == 0 else (
        "missed" if counts["missed"] else "near")
    act = a.actions
    on_time = "info" if act.on_time_rate is None else (
        "met" if act.on_time_rate >= 0.9 else "near" if act.on_time_rate >= 0.75 else "missed")
    return [
        Kpi("Metrics meeting target", f"{counts['met']} of {len(a.metrics)}", metric_status, None,
            "Latest period of each metric"),
        Kpi("Previous actions done on time", f"{_pct(act.on_time_rate)} ({act.done_on_time} of "
            f"{act.due_in_period})", on_time, None, act.basis),
        Kpi("Actions overdue", str(len(act.overdue)), "missed" if act.overdue else "met", None, cut),
        Kpi("Actions to escalate", str(len(act.escalate)), "missed" if act.escalate else "met",
            None, "Carried forward twice or more"),
        Kpi("Major nonconformities open", str(len(a.nonconformities.majors_open)),
            "missed" if a.nonconformities.majors_open else "met", None, cut),
        Kpi("Risks above appetite without treatment", str(len(a.risks.untreated)),
            "missed" if a.risks.untreated else "met", None, cut),
        Kpi("Decisions requested of management", str(len(a.decisions_requested)), "info", None,
            "See the list below"),
    ]


def _table(headers: list[str], rows: list[list[object]]) -> TableData:
    return TableData(headers, [[clean(c) for c in row] for row in rows], None)


def _charts(*stems: tuple[str, str]) -> list[Chart]:
    return [Chart(stem, caption, b"", None) for stem, caption in stems]


def _asks(a: Analysis, data: WorkbookData, ref: str) -> list[Ask]:
    return [ask(data, d) for d in a.decisions_requested if d.input_ref == ref]


def _actions(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    act = a.actions
    text = (f"{act.total} actions tracked: {act.open} still open. {_pct(act.on_time_rate)} of the "
            f"{act.due_in_period} actions due in the period were done on time. "
            f"{len(act.overdue)} are overdue at the cut-off"
            + (f", the oldest by {act.overdue_detail[0].days_overdue} days" if act.overdue else "")
            + (f"; {', '.join(act.escalate)} must be escalated after repeated carry-forward."
               if act.escalate else "."))
    rows: list[list[object]] = [[o.id, o.action, o.owner, short_date(o.due), o.days_overdue,
                                 o.carry_forward] for o in act.overdue_detail]
    return text, _table(["Overdue action", "Action", "Owner", "Due", "Days overdue",
                         "Carried forward"], rows), _charts(("kpi_actions", "Actions by status"))


def _context(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    c = a.context
    cats = ", ".join(f"{k} {v}" for k, v in c.by_category.items())
    text = (f"{c.total} changes in context ({c.by_origin.get('External', 0)} external, "
            f"{c.by_origin.get('Internal', 0)} internal): {cats or 'none'}. "
            + ("Climate change was considered. " if c.climate_change_considered else "")
            + (f"ISMS impact still to be assessed for {', '.join(c.no_impact)}." if c.no_impact else ""))
    return text.strip(), _table(["Categories", "Count"], [[k, v] for k, v in c.by_category.items()]), []


def _parties(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    p = a.parties
    text = (f"{p.total} changes in interested parties' needs and expectations. "
            + (f"The ISMS response is not yet decided for {', '.join(p.no_response)}."
               if p.no_response else "Each has a stated ISMS response."))
    return text, _table(["Interested party", "Changes"], [[k, v] for k, v in p.by_party.items()]), []


def _ncs(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    n = a.nonconformities
    sev = ", ".join(f"{v} {k.lower()}" for k, v in n.open_by_severity.items() if v)
    text = (f"{n.open} nonconformities open ({sev or 'none'}); {n.closed} closed, in a median of "
            f"{_fmt(n.days_to_close_median)} days (mean {_fmt(n.days_to_close_mean)}). "
            f"Effectiveness verified for {_pct(n.verified_share)} of closed ones."
            + (f" Major nonconformity {', '.join(n.majors_open)} is still open." if n.majors_open else ""))
    rows: list[list[object]] = [[o.id, o.severity, short_date(o.raised_on), o.age_days, o.owner,
                                 short_date(o.due)] for o in n.open_detail]
    return text, _table(["Open NC", "Severity", "Raised", "Age (days)", "Owner", "Due"], rows), \
        _charts(("kpi_nonconformities", "Nonconformities opened and closed per period"))


def _metrics(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    counts = a.metric_status_counts
    declining = [m.id for m in a.metrics if m.trend == "declining"]
    missed = [m.id for m in a.metrics if m.status == "missed"]
    text = (f"{counts['met']} of {len(a.metrics)} metrics meet their target in their latest period; "
            f"{counts['near']} are near and {counts['missed']} miss it"
            + (f" ({', '.join(missed)})" if missed else "") + ". "
            + (f"Declining: {', '.join(declining)}." if declining else "None is declining."))
    rows: list[list[object]] = []
    for m in a.metrics:
        rows.append([m.id, m.name, _fmt(m.target, m.unit), _fmt(m.latest, m.unit),
                     m.latest_period.label if m.latest_period else "n/a", m.status, m.trend])
    charts = _charts(("kpi_metrics", "Metrics against target"), *(
        (chart_stem(m.id), f"{m.id} {m.name}: {m.status}, {m.trend}") for m in a.metrics))
    return text, _table(["Metric", "Name", "Target", "Latest", "Period", "Status", "Trend"], rows), charts


def _audits(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    t = a.audits.totals
    text = (f"{a.audits.total} audits: {t['Majors']} major and {t['Minors']} minor "
            f"nonconformities, {t['Observations']} observations and {t['OFIs']} opportunities for "
            f"improvement. Still open: {', '.join(a.audits.open) or 'none'}.")
    rows: list[list[object]] = [[x.id, x.type, short_date(x.date), x.majors, x.minors,
                                 x.observations, x.ofis, x.status] for x in a.audits.audits]
    return text, _table(["Audit", "Type", "Date", "Majors", "Minors", "Obs.", "OFIs", "Status"], rows), []


def _objectives(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    o = a.objectives
    status = ", ".join(f"{v} {k.lower()}" for k, v in o.by_status.items() if v)
    text = (f"{o.total} objectives: {status or 'none'}. "
            + ("Linked metric missing its target: "
               + ", ".join(f"{m.objective} ({m.metric})" for m in o.metric_missed) + "."
               if o.metric_missed else "No linked metric misses its target."))
    return text, _table(["Status", "Objectives"], [[k, v] for k, v in o.by_status.items()]), []


def _feedback(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    f = a.feedback
    themes = "; ".join(f"{t.party_type} / {t.category} ({t.count}: {', '.join(t.ids)})"
                       for t in f.recurring_themes)
    text = (f"{f.total} items of feedback, {f.by_significance.get('High', 0)} of high significance. "
            + (f"Recurring themes: {themes}." if themes else "No recurring theme."))
    levels = list(f.by_significance)
    rows: list[list[object]] = [[party, *(row.get(lvl, 0) for lvl in levels)]
                                for party, row in f.matrix.items()]
    return text, _table(["Party type", *levels], rows), []


def _risks(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    r = a.risks
    text = (f"{r.total} risks; {len(r.above_appetite)} above appetite, of which "
            f"{len(r.untreated)} have no accepted or running treatment"
            + (f" ({', '.join(r.untreated)})" if r.untreated else "") + ". "
            f"{len(r.treatment_overdue)} treatments overdue; {len(r.identified_in_period)} new risks "
            f"this period; {len(r.decisions_needed)} risk owners ask for a decision.")
    rows: list[list[object]] = [[x.id, x.risk, x.owner, x.score, x.appetite, x.treatment_status,
                                 short_date(x.treatment_due)] for x in r.above_appetite_detail]
    return text, _table(["Above appetite", "Risk", "Owner", "Score", "Appetite", "Treatment",
                         "Due"], rows), _charts(("kpi_risks", "Risks by residual level"))


def _improvements(a: Analysis) -> tuple[str, TableData, list[Chart]]:
    g = a.improvements
    text = (f"{g.total} proposals ({', '.join(f'{v} {k.lower()}' for k, v in g.by_priority.items() if v)} "
            f"priority); {len(g.resources_requested)} ask for resources"
            + (f", estimated {g.total_cost:,.0f} in total." if g.total_cost else "."))
    rows: list[list[object]] = [[p.id, p.opportunity, p.priority, p.resources,
                                 _fmt(p.cost) if p.cost else "", p.proposed_decision]
                                for p in g.proposals]
    return text, _table(["Proposal", "Opportunity", "Priority", "Resources", "Cost", "Decision asked"],
                        rows), []


BUILDERS: dict[str, Callable[[Analysis], tuple[str, TableData, list[Chart]]]] = {
    "a": _actions, "b": _context, "c": _parties, "d1": _ncs, "d2": _metrics, "d3": _audits,
    "d4": _objectives, "e": _feedback, "f": _risks, "g": _improvements,
}


def sections(data: WorkbookData, a: Analysis) -> list[Section]:
    out = []
    for sheet in data.contract.input_sheets:
        ref = sheet.input_ref or ""
        coverage = a.coverage[ref]
        reason = clean(a.nothing_to_report.get(ref, ""))
        if coverage == "content":
            headline, table, charts = BUILDERS[ref](a)
        elif coverage == "nothing-to-report":
            headline, table, charts = f"Nothing to report: {reason}", _table([], []), []
        else:
            headline, table, charts = ("No information was provided for this input. It must be "
                                       "covered before the review."), _table([], []), []
        out.append(Section(
            ref=ref, clause=sheet.clause, title=TITLES.get(ref, sheet.title), coverage=coverage,
            nothing_to_report=reason,
            period=f"Period {long_date(a.period_start)} to {long_date(a.period_end)}; data cut-off "
                   f"{long_date(a.cutoff)}.",
            headline=clean(headline), table=table, charts=charts,
            limitations=[clean(x) for x in a.limitations.get(ref, [])], asks=_asks(a, data, ref)))
    return out


def appendix(data: WorkbookData) -> list[Appendix]:
    out = []
    for sheet in data.contract.input_sheets:
        columns = list(sheet.columns)[:APPENDIX_COLUMNS]
        rows: list[list[object]] = [[_cell(r[c.name], c.type) for c in columns]
                                    for r in data.tables[sheet.name].records]
        out.append(Appendix(f"{sheet.clause} {sheet.name}",
                            _table([c.name for c in columns], rows)))
    return out


def _cell(value: object, kind: str = "") -> object:
    if kind == "percentage" and isinstance(value, float):
        return f"{value:.0%}"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, tuple):
        return ", ".join(str(v) for v in value)
    if isinstance(value, float):
        return _fmt(value)
    return value
