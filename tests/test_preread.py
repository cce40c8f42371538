"""The executive pre-read (issue 12): decision cards with options, costs in the review's
currency, recommendation, consequence and linked names, on the Acme example and on a second
organisation's workbook; overdue nonconformities flagged and on page 1; figures that look alike
explained; appendix extracts that keep every column a headline is computed from; risk checks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl.workbook.workbook import Workbook

from pipeline.analysis import analyse
from pipeline.analysis.analyse import Analysis
from pipeline.analysis.cards import DO_NOTHING, Option, parse_options
from pipeline.documents.context import build_context
from pipeline.documents.front import NO_CONSEQUENCE, NO_RECOMMENDATION
from pipeline.documents.model import ReviewContext
from pipeline.documents.sections import appendix_columns
from pipeline.workbook import model
from pipeline.workbook.model import WorkbookData
from pipeline.workbook.validate import validate_workbook

from .conftest import GOOD, findings, the_finding, validate_json
from .second_org import write_second_org

Mutate = Callable[..., Path]
DESCRIPTIVE = {"long_text", "text", "person"}  # names and notes: not what a figure counts


def load(path: Path) -> tuple[WorkbookData, Analysis, ReviewContext]:
    report = validate_workbook(path)
    assert report.report.ok, report.report.errors
    data = report.data
    a = analyse(data)
    return data, a, build_context(data, a)


@pytest.fixture(scope="module")
def acme() -> tuple[WorkbookData, Analysis, ReviewContext]:
    return load(GOOD)


@pytest.fixture(scope="module")
def borealis(tmp_path_factory: pytest.TempPathFactory) -> tuple[WorkbookData, Analysis, ReviewContext]:
    return load(write_second_org(tmp_path_factory.mktemp("borealis")))


def _set(wb: Workbook, sheet: str, column: str, row: int, value: Any) -> None:
    ws = wb[sheet]
    col = next(c.column for c in ws[4] if c.value == column)
    ws.cell(row=row, column=col, value=value)


# ------------------------------------------------------------------------ decision cards


@pytest.mark.parametrize(("which", "symbol"), [("acme", "£"), ("borealis", "€")])
def test_every_card_is_complete(which: str, symbol: str, request: pytest.FixtureRequest) -> None:
    _, a, ctx = request.getfixturevalue(which)
    assert ctx.cards, "no decision card"
    asked = {d.source_id for d in a.decisions_requested}
    on_cards = {line for c in ctx.cards for line in c.asks}
    assert len(on_cards) == len(a.decisions_requested)  # every request is on a card
    for card in ctx.cards:
        labels = [o.label for o in card.options]
        assert len(labels) >= 2 and DO_NOTHING in labels, card.title
        assert card.recommendation and card.recommendation != NO_RECOMMENDATION, card.title
        assert card.consequence and card.consequence != NO_CONSEQUENCE, card.title
        assert card.decide_by, card.title
        for option in card.options:
            assert option.cost.startswith(symbol) or option.cost == "cost not stated", option
        assert card.cost.startswith(symbol), f"{card.title}: recommended cost {card.cost!r}"
        assert sum(o.recommended for o in card.options) == 1, card.title
        # linked items by ID and name: every ID asked about is named on its card
        assert card.linked and all(" " in line for line in card.linked), card.linked
        assert any(line.split(" ", 1)[0] in asked for line in card.linked)


def test_linked_items_share_one_card(acme: tuple[WorkbookData, Analysis, ReviewContext]) -> None:
    _, _, ctx = acme
    by_item = {line.split(" ", 1)[0]: c.number for c in ctx.cards for line in c.linked}
    assert by_item["R-007"] == by_item["ACT-2025-08"]  # the action is the risk's treatment
    assert by_item["OFI-02"] == by_item["NC-2026-02"] == by_item["R-009"]
    assert by_item["OFI-03"] == by_item["IP-01"] == by_item["OBJ-05"] == by_item["FB-01"]
    linked = next(c for c in ctx.cards if c.number == by_item["R-007"]).linked_text
    assert "ACT-2025-08 Replace the unsupported file server in Leeds" in linked


def test_card_cost_follows_the_review_currency(mutate: Mutate) -> None:
    def to_chf(wb: Workbook) -> None:
        ws = wb["Review"]
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Currency")
        ws.cell(row, 2, "CHF")

    _, _, ctx = load(mutate(to_chf))
    backup = next(c for c in ctx.cards if c.title.startswith("OFI-02"))
    assert backup.cost == "12,000 CHF"
    assert [o.cost for o in backup.options] == ["12,000 CHF", "0 CHF", "0 CHF"]


def test_urgent_card_first_and_costs_total(acme: tuple[WorkbookData, Analysis, ReviewContext]) -> None:
    _, _, ctx = acme
    assert ctx.cards[0].urgent and ctx.cards[0].title.startswith("OFI-02")
    assert not any(c.urgent for c in ctx.cards[1:])
    assert ctx.overview.total_cost == "£94,000"  # 12,000 + 40,000 + 25,000 + 9,000 + 8,000 + 0s
    assert "£94,000" in ctx.overview.decisions


@given(st.lists(st.tuples(st.text(st.characters(codec="utf-8", exclude_characters=";:=\n\r"),
                                  min_size=1).map(str.strip).filter(bool),
                          st.integers(0, 10**9)), max_size=6))
def test_options_parse_back(options: list[tuple[str, int]]) -> None:
    text = "; ".join(f"{label}: {cost:,}" for label, cost in options)
    assert parse_options(text) == [Option(label, float(cost)) for label, cost in options]


def test_options_without_a_cost_say_so() -> None:
    assert parse_options("Hire a contractor; Do nothing: £0") == [
        Option("Hire a contractor", None), Option("Do nothing", 0.0)]


# ---------------------------------------------------------------- overdue nonconformities


@pytest.mark.parametrize(("which", "nc", "late", "age"),
                         [("acme", "NC-2026-02", 44, 142), ("borealis", "NC-7", 85, 221)])
def test_overdue_major_nc_is_a_decision_and_on_page_one(
        which: str, nc: str, late: int, age: int, request: pytest.FixtureRequest) -> None:
    _, a, ctx = request.getfixturevalue(which)
    overdue = {n.id: n for n in a.nonconformities.overdue}
    assert overdue[nc].days_overdue == late and overdue[nc].age_days == age
    ask = next(d for d in a.decisions_requested if d.source_id == nc)
    assert ask.kind == "Major nonconformity overdue" and "certificate" in ask.consequence
    assert ctx.overview.verdict == "At risk"
    assert any(u.startswith(nc) and f"{late} days past due" in u and f"{age} days open" in u
               for u in ctx.overview.urgent)
    assert any(nc in line for c in ctx.cards if c.urgent for line in c.linked)


def test_overdue_nc_is_a_validator_warning() -> None:
    _, report = validate_json(GOOD)
    hit = the_finding(report, "nc-overdue", "'d1 Nonconformities'!I6")
    assert "NC-2026-02" in hit["message"] and "44 day(s)" in hit["message"]
    assert len(findings(report, "nc-overdue")) == 1  # the other open ones are not yet due


def test_nc_not_overdue_when_closed_or_not_yet_due(mutate: Mutate) -> None:
    def close_it(wb: Workbook) -> None:
        _set(wb, "d1 Nonconformities", "Status", 6, "Closed")
        _set(wb, "d1 Nonconformities", "Closed on", 6, dt.datetime(2026, 11, 1))

    _, a, ctx = load(mutate(close_it))
    assert a.nonconformities.majors_overdue == [] and ctx.overview.urgent == []
    assert not any(d.kind == "Major nonconformity overdue" for d in a.decisions_requested)


# ----------------------------------------------- one definition per figure, no contradictions


@pytest.mark.parametrize("which", ["acme", "borealis"])
def test_figures_have_definitions_and_no_ambiguous_labels(
        which: str, request: pytest.FixtureRequest) -> None:
    _, _, ctx = request.getfixturevalue(which)
    for k in ctx.kpis:
        assert k.definition, k.label
        assert "without treatment" not in k.label.lower(), k.label
        assert "done on time" not in k.label.lower(), k.label


def test_look_alike_figures_are_explained(acme: tuple[WorkbookData, Analysis, ReviewContext]) -> None:
    _, _, ctx = acme
    by_label = {k.label: k for k in ctx.kpis}
    untreated = by_label["Risks above appetite with no treatment running or accepted"]
    assert untreated.value == "4: 1 overdue, 1 not started, 2 planned, not yet due"
    assert "metric M-06" in untreated.note and "'f Risks' rows" in untreated.note
    on_time = by_label["Previous-review actions completed by their due date"]
    assert "metric M-07" in on_time.note and "'a Previous actions' rows" in on_time.note
    assert not by_label["Actions overdue"].note


def test_treatment_states_are_kept_apart(acme: tuple[WorkbookData, Analysis, ReviewContext]) -> None:
    _, a, _ = acme
    states = a.risks.treatment_state
    assert states["R-007"] == "overdue"  # Not started, due 30 Sep 2026, before the cut-off
    assert states["R-018"] == "not started"  # Not started, no due date
    assert states["R-011"] == states["R-014"] == "planned, not yet due"
    assert states["R-009"] == states["R-016"] == "in progress"


# ------------------------------------------------------------ significance and trends


def test_significance_and_recommendations_come_from_the_data(
        acme: tuple[WorkbookData, Analysis, ReviewContext]) -> None:
    _, _, ctx = acme
    by_ref = {s.ref: s for s in ctx.sections}
    assert all(s.significance in {"High", "Medium", "Low"} and s.significance_rule
               for s in ctx.sections if s.coverage == "content")
    feedback = by_ref["e"]
    for item in ("FB-03", "FB-05", "FB-07"):  # the high-significance ones, named
        assert item in feedback.headline
    assert "FB-09" in feedback.headline and any("FB-09" in r for r in feedback.recommendations)
    assert any(r.startswith("OBJ-02") for r in by_ref["d4"].recommendations)
    metric_recs = by_ref["d2"].recommendations
    assert any(r.startswith("M-02") and "missed its target" in r and "declining" in r
               for r in metric_recs)
    assert any(r.startswith("IP-05") for r in by_ref["c"].recommendations)


def test_audit_trend_covers_every_period(acme: tuple[WorkbookData, Analysis, ReviewContext]) -> None:
    _, a, ctx = acme
    audits = next(s for s in ctx.sections if s.ref == "d3")
    title, = [t.title for t in audits.trends]
    assert "per period by grade" in title
    periods = [row[0] for row in audits.trends[0].table.rows]
    assert periods == [p.label for p in a.periods]
    assert audits.trends[0].table.headers == ["Period", "Audits", "Majors", "Minors",
                                              "Observations", "OFIs"]


def test_metric_charts_cover_every_period(acme: tuple[WorkbookData, Analysis, ReviewContext]) -> None:
    _, a, _ = acme
    m02 = a.metric("M-02")
    assert [p.period.label for p in m02.series] == [p.label for p in a.periods]


# ------------------------------------------------------------------- appendix columns


def _columns_read(data: WorkbookData, monkeypatch: pytest.MonkeyPatch) -> dict[str, set[str]]:
    seen: dict[str, set[str]] = {}
    original = model.Record.__getitem__

    def spy(self: model.Record, column: str) -> Any:
        seen.setdefault(self.sheet, set()).add(column)
        return original(self, column)

    monkeypatch.setattr(model.Record, "__getitem__", spy)
    analyse(data)
    monkeypatch.undo()
    return seen


def _appendix_headers(ctx: ReviewContext) -> Iterator[tuple[str, list[str]]]:
    for x in ctx.appendix:
        yield x.title, x.table.headers


@pytest.mark.parametrize("which", ["acme", "borealis"])
def test_appendix_keeps_every_column_a_figure_is_computed_from(
        which: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    data, a, ctx = request.getfixturevalue(which)
    read = _columns_read(data, monkeypatch)
    headers = dict(_appendix_headers(ctx))
    for ref, item in a.inputs.items():
        spec = item.spec
        counted = {c for c in read.get(spec.sheet_name, set())
                   if spec.sheet.column(c).type not in DESCRIPTIVE}
        shown = set(headers[f"{spec.clause} {spec.sheet_name}"])
        assert counted <= shown, f"{spec.sheet_name}: appendix drops {sorted(counted - shown)}"
        assert shown == set(appendix_columns(data, a, ref))


def test_metric_appendix_has_the_values(acme: tuple[WorkbookData, Analysis, ReviewContext]) -> None:
    _, _, ctx = acme
    metrics = next(x for x in ctx.appendix if x.title.endswith("d2 Metrics"))
    assert {"Value", "Target", "Period", "Better when"} <= set(metrics.table.headers)
    assert len(metrics.table.rows) == 47
    risks = next(x for x in ctx.appendix if x.title.endswith("f Risks"))
    assert {"Appetite", "Treatment status", "Treatment due"} <= set(risks.table.headers)


# ------------------------------------------------------------------------ risk checks


def test_risk_warnings_on_the_example() -> None:
    _, report = validate_json(GOOD)
    hit = the_finding(report, "risk-residual-above-inherent", "'f Risks'!F7")
    assert "R-007" in hit["message"] and "16" in hit["message"] and "12" in hit["message"]
    dup = the_finding(report, "risk-duplicate-description", "'f Risks'!B35")
    assert "R-119" in dup["message"] and "R-107" in dup["message"]
    assert len(findings(report, "risk-duplicate-description")) == 1
    assert findings(report, "risk-appetite-mixed") == []  # the example states its rule


def test_mixed_appetite_without_a_rule(mutate: Mutate) -> None:
    def drop_rule(wb: Workbook) -> None:
        ws = wb["Review"]
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "Risk appetite rule")
        ws.cell(row, 2).value = None

    path = mutate(drop_rule)
    _, report = validate_json(path)
    hit, = findings(report, "risk-appetite-mixed")
    assert "4 to 12" in hit["message"]
    _, _, ctx = load(path)
    assert "No rule is stated" in ctx.overview.appetite_rule


def test_unknown_related_id(mutate: Mutate) -> None:
    path = mutate(lambda wb: _set(wb, "f Risks", "Related IDs", 7, "ACT-2025-08, ACT-9999"))
    _, report = validate_json(path)
    hit, = findings(report, "related-id-unknown")
    assert "ACT-9999" in hit["message"] and "ACT-2025-08" not in hit["message"].split("names")[1]


def test_page_one_states_scope_and_appetite_rule(
        acme: tuple[WorkbookData, Analysis, ReviewContext]) -> None:
    _, _, ctx = acme
    assert ctx.overview.isms_scope.startswith("Design, operation and support")
    assert ctx.overview.appetite_rule.startswith("Set per risk by the ISMS committee")


@pytest.mark.parametrize(("item", "currency", "cost"), [
    ("Fund it: 12,000", "EUR", 12000.0), ("Fund it: €12,000.50", "EUR", 12000.5),
    ("Fund it: 12000 EUR", "EUR", 12000.0), ("Fund it: 9 500", "GBP", 9500.0),
    ("Fund it: £12k", "GBP", 12000.0), ("Accept until 31 March 2027: 0", "GBP", 0.0),
    ("Fund it: 14.500", "EUR", None), ("Fund it: 1,5", "EUR", None),
    ("Fund it: € 25.000,00", "EUR", None), ("Hire a contractor: 40 hrs", "EUR", None),
    ("Renegotiate: 3 yrs", "EUR", None), ("Buy a service: 12000 USD", "EUR", None),
    ("Buy a service: $7k", "EUR", None), ("Fund: 1,5 FTE", "EUR", None),
])
def test_option_costs_are_amounts_in_the_review_currency_or_not_stated(
        item: str, currency: str, cost: float | None) -> None:
    # "14.500" is 14.5 or 14,500; "40 hrs" is no money; USD is not the review's EUR: never guessed
    assert parse_options(item, currency)[0].cost == cost


def test_unclear_option_costs_are_warned_at_their_cell(tmp_path: Path) -> None:
    from openpyxl import load_workbook

    from .conftest import GOOD, findings, validate_json

    wb = load_workbook(GOOD)
    ws = wb["f Risks"]
    column = next(c.column for c in ws[4] if c.value == "Options")
    ws.cell(row=5, column=column, value="Replace the server now: 14.500; Hire a contractor: 40 hrs; "
                                         "Do nothing: 0")
    path = tmp_path / "review.xlsx"
    wb.save(path)
    _, report = validate_json(path)
    hits = [f for f in findings(report, "option-cost-unclear") if f["cell"].startswith("'f Risks'!")]
    assert len(hits) == 2 and all(h["severity"] == "warning" for h in hits), hits
    assert "could be read two ways" in hits[0]["message"] and "not an amount" in hits[1]["message"]
    _, good = validate_json(GOOD)
    assert not findings(good, "option-cost-unclear")
