"""The analysis stage: pure functions over validated workbook data → one typed result that the
documents, the bundle and the CLI all read. No file or network I/O here."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from ..workbook.model import WorkbookData
from ..workbook.periods import Granularity, Period, spanning
from .actions import ActionsResult, analyse_actions
from .audits import AuditsResult, analyse_audits
from .common import Scope, stale_note
from .context import ContextResult, PartiesResult, analyse_context, analyse_parties
from .feedback import FeedbackResult, analyse_feedback
from .improvements import ImprovementsResult, analyse_improvements
from .jsonable import to_jsonable
from .metrics import MetricResult, analyse_metrics, stale_metrics
from .nonconformities import NonconformitiesResult, analyse_nonconformities
from .objectives import ObjectivesResult, analyse_objectives
from .risks import RisksResult, analyse_risks
from .settings import DEFAULT_SETTINGS, AnalysisSettings

if TYPE_CHECKING:
    from ..loop.compare import ReviewChanges

Coverage = Literal["content", "nothing-to-report", "missing"]


@dataclass(frozen=True)
class DecisionRequest:
    input_ref: str
    source_id: str
    kind: str
    request: str


@dataclass
class Analysis:
    organisation: str
    review_id: str
    period_start: dt.date
    period_end: dt.date
    cutoff: dt.date
    periods: list[Period]
    coverage: dict[str, Coverage]
    nothing_to_report: dict[str, str]
    metrics: list[MetricResult]
    actions: ActionsResult
    context: ContextResult
    parties: PartiesResult
    nonconformities: NonconformitiesResult
    audits: AuditsResult
    objectives: ObjectivesResult
    feedback: FeedbackResult
    risks: RisksResult
    improvements: ImprovementsResult
    decisions_requested: list[DecisionRequest]
    limitations: dict[str, list[str]]
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    changes: ReviewChanges | None = None

    def metric(self, metric_id: str) -> MetricResult:
        return next(m for m in self.metrics if m.id == metric_id)

    @property
    def metric_status_counts(self) -> dict[str, int]:
        counts = Counter(m.status for m in self.metrics)
        return {s: counts.get(s, 0) for s in ("met", "near", "missed", "no data")}

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = to_jsonable(self)
        out["metric_status_counts"] = self.metric_status_counts
        return out


def reporting_granularity(data: WorkbookData) -> Granularity:
    """The period length used to bucket events: that of most metric rows, else month."""
    table = data.tables.get("d2 Metrics")
    counts = Counter(r["Period"].granularity for r in (table.records if table else [])
                     if isinstance(r["Period"], Period))
    return counts.most_common(1)[0][0] if counts else "month"


def coverage(data: WorkbookData) -> dict[str, Coverage]:
    out: dict[str, Coverage] = {}
    for sheet in data.contract.input_sheets:
        table = data.tables[sheet.name]
        assert sheet.input_ref is not None
        if table.records:
            out[sheet.input_ref] = "content"
        elif table.present and table.nothing_to_report:
            out[sheet.input_ref] = "nothing-to-report"
        else:
            out[sheet.input_ref] = "missing"
    return out


def decisions_requested(actions: ActionsResult, risks: RisksResult,
                        improvements: ImprovementsResult) -> list[DecisionRequest]:
    requests: list[DecisionRequest] = []
    detail = {o.id: o for o in actions.overdue_detail}
    for action_id in actions.escalate:
        late = detail.get(action_id)
        why = f", {late.days_overdue} days overdue" if late else ""
        requests.append(DecisionRequest(
            "a", action_id, "Escalated action",
            f"{action_id} has been carried forward repeatedly{why}: confirm owner, date and "
            "resources, or close it."))
    by_id = {r.id: r for r in risks.above_appetite_detail}
    listed: set[str] = set()
    for risk_id in risks.untreated:
        line = by_id[risk_id]
        requests.append(DecisionRequest(
            "f", risk_id, "Risk above appetite without treatment",
            f"{risk_id} scores {line.score} against an appetite of {line.appetite} and its "
            f"treatment is {line.treatment_status}: approve a treatment or formally accept it."))
        listed.add(risk_id)
    for risk_id in risks.decisions_needed:
        if risk_id not in listed:
            requests.append(DecisionRequest(
                "f", risk_id, "Risk acceptance",
                f"{risk_id}: the risk owner asks management to decide (accept or fund treatment)."))
    for ask in improvements.proposals:
        resources = ask.resources or ""
        if ask.cost:
            resources = f"{resources}; estimated cost {ask.cost:,.0f}".lstrip("; ")
        kind = "Resource request" if resources else "Improvement"
        text = f"{ask.id} ({ask.priority} priority): {ask.proposed_decision}"
        requests.append(DecisionRequest("g", ask.id, kind, f"{text} Resources: {resources}."
                                        if resources else text))
    return requests


def analyse(data: WorkbookData, settings: AnalysisSettings = DEFAULT_SETTINGS,
            changes: ReviewChanges | None = None) -> Analysis:
    """Analyse a workbook that validated without errors (``changes``: the comparison with the
    previous review, when there is one)."""
    review = data.review
    cutoff = data.cutoff or dt.date.today()
    scope = Scope(review.get("Period start") or cutoff, review.get("Period end") or cutoff, cutoff)
    contract = data.contract
    periods = spanning(scope.period_start, scope.period_end, reporting_granularity(data))
    metrics = analyse_metrics(data, settings)

    def table(ref: str) -> Any:
        return data.input_table(ref)

    actions = analyse_actions(table("a"), contract.input_sheet("a"), scope)
    risks = analyse_risks(table("f"), scope, settings)
    improvements = analyse_improvements(table("g"), contract.input_sheet("g"), scope)
    result = Analysis(
        organisation=str(review.get("Organisation") or ""),
        review_id=str(review.get("Review ID") or ""),
        period_start=scope.period_start, period_end=scope.period_end, cutoff=cutoff,
        periods=periods, coverage=coverage(data),
        nothing_to_report={s.input_ref: data.tables[s.name].nothing_to_report or ""
                           for s in contract.input_sheets
                           if s.input_ref and data.tables[s.name].nothing_to_report},
        metrics=metrics, actions=actions,
        context=analyse_context(table("b"), contract.input_sheet("b"), scope),
        parties=analyse_parties(table("c"), scope),
        nonconformities=analyse_nonconformities(table("d1"), contract.input_sheet("d1"), scope,
                                                periods),
        audits=analyse_audits(table("d3"), scope, periods),
        objectives=analyse_objectives(table("d4"), contract.input_sheet("d4"), metrics, scope),
        feedback=analyse_feedback(table("e"), contract.input_sheet("e"), scope),
        risks=risks, improvements=improvements,
        decisions_requested=decisions_requested(actions, risks, improvements),
        limitations={}, settings=settings, changes=changes,
    )
    result.limitations = limitations(data, result, scope, settings)
    return result


def limitations(data: WorkbookData, a: Analysis, scope: Scope,
                settings: AnalysisSettings) -> dict[str, list[str]]:
    """Data-honesty notes per input: stale data, gaps, differing periods, unfinished work."""
    notes: dict[str, list[str]] = {ref: [] for ref in data.contract.input_refs}
    days = settings.stale_after_days
    stale = [("b", "Date identified", "context change"), ("d1", "Raised on", "nonconformity"),
             ("d3", "Date", "audit"), ("e", "Date", "feedback item"),
             ("f", "Identified on", "new risk")]
    for ref, column, what in stale:
        table = data.input_table(ref)
        if table.records and column in table.columns:
            notes[ref] += stale_note(table.records, column, what, scope, days)
    notes["d2"] += stale_metrics(a.metrics, scope.cutoff)
    notes["d2"] += [f"{m.id}: {line}" for m in a.metrics for line in m.limitations
                    if not line.startswith(m.id)]
    if a.metrics and a.periods and a.metrics[0].latest_period is not None:
        granularity = a.periods[0].granularity
        if any(m.latest_period and m.latest_period.granularity != granularity for m in a.metrics):
            notes["d2"].append("Some metrics use a different period length from the review's "
                               f"{granularity}ly buckets.")
    unfinished = [x.id for x in a.audits.audits if x.status in ("Planned", "In progress")]
    if unfinished:
        notes["d3"].append(f"Not finished at the cut-off: {', '.join(unfinished)}; their findings "
                           "are not yet counted in full.")
    if a.context.total and not a.context.climate_change_considered:
        notes["b"].append("No climate-change issue is recorded: confirm it was considered "
                          "(ISO/IEC 27001:2022/Amd 1:2024).")
    if a.context.no_impact:
        notes["b"].append(f"ISMS impact not yet stated for {', '.join(a.context.no_impact)}.")
    if a.parties.no_response:
        notes["c"].append(f"ISMS response not yet stated for {', '.join(a.parties.no_response)}.")
    for ref, status in a.coverage.items():
        if status == "missing":
            notes[ref].append("No data and no 'Nothing to report' statement: this input is "
                              "missing from the review.")
    return {ref: lines for ref, lines in notes.items()}
