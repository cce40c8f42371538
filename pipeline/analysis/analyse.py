"""The analysis stage: pure functions over validated workbook data → one typed result that the
documents, the bundle and the CLI all read. No file or network I/O here.

Each input's analysis is its own module (see :mod:`pipeline.analysis.base`); this module runs
them in the contract's order and adds what spans inputs: coverage, the decisions requested and
the data-honesty notes.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, cast

from ..workbook.inputs import InputSpec, input_specs
from ..workbook.model import WorkbookData
from ..workbook.periods import Granularity, Period, spanning
from .base import DecisionRequest, Figure, InputContext, InputModule, Summary, View, module_for
from .common import Scope
from .jsonable import to_jsonable
from .settings import DEFAULT_SETTINGS, AnalysisSettings

if TYPE_CHECKING:
    from ..loop.compare import ReviewChanges
    from .actions import ActionsResult
    from .audits import AuditsResult
    from .context import ContextResult
    from .feedback import FeedbackResult
    from .improvements import ImprovementsResult
    from .metrics import MetricResult
    from .nonconformities import NonconformitiesResult
    from .objectives import ObjectivesResult
    from .parties import PartiesResult
    from .risks import RisksResult

Coverage = Literal["content", "nothing-to-report", "missing"]
__all__ = ["Analysis", "Coverage", "DecisionRequest", "analyse"]


@dataclass
class InputResult:
    """One input's analysis: its spec, its module and the module's result."""

    spec: InputSpec
    module: InputModule
    result: Any


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
    inputs: dict[str, InputResult]  # by input ref, in contract order
    decisions_requested: list[DecisionRequest]
    limitations: dict[str, list[str]]
    settings: AnalysisSettings = field(default_factory=AnalysisSettings)
    changes: ReviewChanges | None = None
    currency: str = ""
    names: dict[str, str] = field(default_factory=dict)

    # -------------------------------------------------------------- per input, generically

    def view(self, ref: str) -> View:
        results = {r.module.key: r.result for r in self.inputs.values()}
        return View(self.inputs[ref].spec, self.period_start, self.period_end, self.cutoff,
                    self.settings, results, self.currency, self.names)

    def summary(self, ref: str) -> Summary:
        item = self.inputs[ref]
        return item.module.summary(item.result, self.view(ref))

    def figures(self) -> list[Figure]:
        """Headline figures of every input, in contract order."""
        return [f for ref, item in self.inputs.items()
                if self.coverage.get(ref) == "content"
                for f in item.module.figures(item.result, self.view(ref))]

    def charts(self) -> dict[str, bytes]:
        """Every chart (PNG) by file stem; draws with matplotlib (on two cores)."""
        from .charts import batch

        out: dict[str, bytes] = {}
        with batch() as figures:
            for ref, item in self.inputs.items():
                out.update(item.module.draw(item.result, self.view(ref)))
        return figures.resolve(out)

    def result(self, key: str) -> Any:
        """The result of the input whose module has this KEY (None when absent)."""
        return next((r.result for r in self.inputs.values() if r.module.key == key), None)

    # ------------------------------------------- typed accessors for the standard inputs

    @property
    def metrics(self) -> list[MetricResult]:
        return cast("list[MetricResult]", self.result("metrics") or [])

    @property
    def actions(self) -> ActionsResult:
        return cast("ActionsResult", self.result("actions"))

    @property
    def context(self) -> ContextResult:
        return cast("ContextResult", self.result("context"))

    @property
    def parties(self) -> PartiesResult:
        return cast("PartiesResult", self.result("parties"))

    @property
    def nonconformities(self) -> NonconformitiesResult:
        return cast("NonconformitiesResult", self.result("nonconformities"))

    @property
    def audits(self) -> AuditsResult:
        return cast("AuditsResult", self.result("audits"))

    @property
    def objectives(self) -> ObjectivesResult:
        return cast("ObjectivesResult", self.result("objectives"))

    @property
    def feedback(self) -> FeedbackResult:
        return cast("FeedbackResult", self.result("feedback"))

    @property
    def risks(self) -> RisksResult:
        return cast("RisksResult", self.result("risks"))

    @property
    def improvements(self) -> ImprovementsResult:
        return cast("ImprovementsResult", self.result("improvements"))

    def metric(self, metric_id: str) -> MetricResult:
        return next(m for m in self.metrics if m.id == metric_id)

    @property
    def metric_status_counts(self) -> dict[str, int]:
        counts = Counter(m.status for m in self.metrics)
        return {s: counts.get(s, 0) for s in ("met", "near", "missed", "no data")}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON: the review's frame, then each input's result under its module's KEY."""
        out: dict[str, Any] = {}
        for name in ("organisation", "review_id", "period_start", "period_end", "cutoff",
                     "periods", "coverage", "nothing_to_report"):
            out[name] = to_jsonable(getattr(self, name))
        for item in self.inputs.values():
            out[item.module.key] = to_jsonable(item.result)
        for name in ("decisions_requested", "limitations", "settings", "changes"):
            out[name] = to_jsonable(getattr(self, name))
        if self.result("metrics") is not None:
            out["metric_status_counts"] = self.metric_status_counts
        return out


def reporting_granularity(data: WorkbookData) -> Granularity:
    """The period length used to bucket events: that of most period values on the input
    sheets (the metrics' periods), else month."""
    counts: Counter[Granularity] = Counter()
    for spec in input_specs(data.contract):
        periods = [c.name for c in spec.sheet.columns if c.type == "period"]
        for rec in data.tables[spec.sheet_name].records if periods else ():
            for column in periods:
                if isinstance(rec[column], Period):
                    counts[rec[column].granularity] += 1
    return counts.most_common(1)[0][0] if counts else "month"


def coverage(data: WorkbookData) -> dict[str, Coverage]:
    out: dict[str, Coverage] = {}
    for spec in input_specs(data.contract):
        table = data.tables[spec.sheet_name]
        if table.records:
            out[spec.ref] = "content"
        elif table.present and table.nothing_to_report:
            out[spec.ref] = "nothing-to-report"
        else:
            out[spec.ref] = "missing"
    return out


def analyse(data: WorkbookData, settings: AnalysisSettings = DEFAULT_SETTINGS,
            changes: ReviewChanges | None = None) -> Analysis:
    """Analyse a workbook that validated without errors (``changes``: the comparison with the
    previous review, when there is one)."""
    review = data.review
    cutoff = data.cutoff or review.meeting_date or dt.date(2000, 1, 1)
    scope = Scope(review.period_start or cutoff, review.period_end or cutoff, cutoff)
    periods = spanning(scope.period_start, scope.period_end, reporting_granularity(data))
    results: dict[str, Any] = {}
    inputs: dict[str, InputResult] = {}
    notes: dict[str, list[str]] = {}
    for spec in input_specs(data.contract):
        module = module_for(spec)
        ctx = InputContext(spec, data.tables[spec.sheet_name], data, scope, periods, settings,
                           results)
        result = module.analyse(ctx)
        results[module.key] = result
        inputs[spec.ref] = InputResult(spec, module, result)
        notes[spec.ref] = list(module.limitations(result, ctx)) if ctx.table.records else []
    currency = _currency(data)
    analysis = Analysis(
        organisation=review.organisation, review_id=review.review_id,
        period_start=scope.period_start, period_end=scope.period_end, cutoff=cutoff,
        periods=periods, coverage=coverage(data),
        nothing_to_report={spec.ref: data.tables[spec.sheet_name].nothing_to_report or ""
                           for spec in input_specs(data.contract)
                           if data.tables[spec.sheet_name].nothing_to_report},
        inputs=inputs, decisions_requested=[], limitations=notes, settings=settings,
        changes=changes, currency=currency, names=item_names(data),
    )
    analysis.decisions_requested = [
        d for ref, item in inputs.items() for d in item.module.asks(item.result, analysis.view(ref))]
    for ref, status in analysis.coverage.items():
        if status == "missing":
            notes[ref].append("No data and no 'Nothing to report' statement: this input is "
                              "missing from the review.")
    return analysis


def item_names(data: WorkbookData) -> dict[str, str]:
    """Every item's name by its ID (case-folded): the first long-text column after the ID (the
    first text column when none), so a card or a line can name what it links."""
    out: dict[str, str] = {}
    for table in data.tables.values():
        id_col = table.sheet.id_column
        key = id_col.name if id_col is not None else next(iter(table.sheet.row_key), None)
        if key is None or table.sheet.kind != "table":
            continue
        columns = [c for c in table.sheet.columns if c.name != key]
        name = next((c for c in columns if c.type == "long_text"),
                    next((c for c in columns if c.type == "text"), None))
        if name is None:
            continue
        column = name.name  # both declared on the sheet: read the values directly (hot loop)
        for rec in table.records:
            item, text = rec.values.get(key), rec.values.get(column)
            if item is not None and text:
                out.setdefault(str(item).casefold(), " ".join(str(text).split()))
    return out


def _currency(data: WorkbookData) -> str:
    """The review's currency (ISO 4217) when the contract declares the field."""
    if "Currency" in data.review.declared:
        return str(data.review.get("Currency", "")).upper()
    return ""
