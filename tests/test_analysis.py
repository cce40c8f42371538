"""Every KPI of the analysis against values computed by hand on small registers."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from pipeline.analysis import AnalysisSettings, analyse
from pipeline.analysis.analyse import Analysis
from pipeline.analysis.metrics import metric_status, theil_sen
from pipeline.workbook.model import WorkbookData
from pipeline.workbook.template import build_workbook, write_workbook
from pipeline.workbook.validate import validate_workbook

D = dt.date
REVIEW = {"Organisation": "Test Org", "ISMS scope": "All", "Review ID": "T-1",
          "Period start": D(2026, 1, 1), "Period end": D(2026, 6, 30),
          "Data cut-off": D(2026, 7, 15), "Meeting date": D(2026, 7, 30),
          "Meeting time": dt.time(9, 0), "Time zone": "UTC", "Location": "Room 1",
          "Chair": "Ann Chair", "Document owner": "Bob Owner", "Classification": "Internal",
          "Version": "1"}


def build(tmp_path: Path, rows: dict[str, list[dict[str, Any]]],
          statements: dict[str, str] | None = None, **review: Any) -> WorkbookData:
    path = tmp_path / "wb.xlsx"
    write_workbook(path, build_workbook(review={**REVIEW, **review}, rows=rows,
                                        statements=statements))
    return validate_workbook(path).data


def run(tmp_path: Path, rows: dict[str, list[dict[str, Any]]], settings: AnalysisSettings | None = None,
        **kw: Any) -> Analysis:
    data = build(tmp_path, rows, **kw)
    return analyse(data, settings) if settings else analyse(data)


def metric_rows(values: list[float | None], target: float = 90, better: str = "Higher",
                mid: str = "M-1", start: int = 1) -> list[dict[str, Any]]:
    return [{"Metric ID": mid, "Metric": "Test metric", "Unit": "%", "Better when": better,
             "Target": target, "Period": f"2026-{start + i:02d}", "Value": v, "Owner": "Ann"}
            for i, v in enumerate(values) if v is not None]


# ------------------------------------------------------------------------------- metrics


@pytest.mark.parametrize(("value", "target", "better", "expected"), [
    (95, 95, "Higher", "met"), (96, 95, "Higher", "met"), (90.25, 95, "Higher", "near"),
    (90.2, 95, "Higher", "missed"), (4, 4, "Lower", "met"), (4.2, 4, "Lower", "near"),
    (4.21, 4, "Lower", "missed"), (0, 0, "Lower", "met"), (1, 0, "Lower", "missed"),
    (0.1, 0, "Higher", "met"), (-0.1, 0, "Higher", "missed"),
])
def test_metric_status_respects_better_when_and_tolerance(value: float, target: float, better: str,
                                                          expected: str) -> None:
    assert metric_status(value, target, better, 0.05) == expected


def test_theil_sen_ignores_one_outlier() -> None:
    # pairwise slopes 0, -20, 0, -40, 0, 40 → median 0
    assert theil_sen([0, 1, 2, 3], [80, 80, 40, 80]) == 0


def test_trend_not_fooled_by_one_noisy_point(tmp_path: Path) -> None:
    a = run(tmp_path, {"d2 Metrics": metric_rows([80, 80, 40, 80])})
    m = a.metric("M-1")
    assert m.trend == "stable"
    assert m.change == 40  # latest minus previous: the naive rule would say "improving"


@pytest.mark.parametrize(("values", "better", "trend"), [
    ([80, 82, 84, 86], "Higher", "improving"),  # +6 over the window > 2 % of 90 = 1.8
    ([80, 82, 84, 86], "Lower", "declining"),
    ([86, 84, 82, 80], "Lower", "improving"),
    ([80, 80.5, 80, 81], "Higher", "stable"),  # slope median 0.25 → +0.75 ≤ 1.8
    ([70, 70, 70, 70], "Higher", "stable"),  # ties
])
def test_direction_of_travel(tmp_path: Path, values: list[float], better: str, trend: str) -> None:
    assert run(tmp_path, {"d2 Metrics": metric_rows(values, better=better)}).metric("M-1").trend == trend


def test_one_period_only(tmp_path: Path) -> None:
    m = run(tmp_path, {"d2 Metrics": metric_rows([91])}).metric("M-1")
    assert (m.latest, m.previous, m.change, m.history) == (91, None, None, 1)
    assert m.status == "met" and m.trend == "insufficient data"
    assert m.latest_period is not None and m.latest_period.label == "2026-01"


def test_two_periods_are_not_a_trend(tmp_path: Path) -> None:
    assert run(tmp_path, {"d2 Metrics": metric_rows([50, 99])}).metric("M-1").trend == "insufficient data"


def test_missing_period_is_flagged_and_trend_uses_positions(tmp_path: Path) -> None:
    a = run(tmp_path, {"d2 Metrics": metric_rows([80, 82, None, 86, 88])})
    m = a.metric("M-1")
    assert [p.label for p in m.missing_periods] == ["2026-03"]
    assert "No value for 2026-03." in m.limitations
    assert any("2026-03" in line for line in a.limitations["d2"])
    # points at positions 1, 3, 4 (window of 4 periods → last 3 values present); slope 2/period
    assert m.slope_per_period == 2 and m.trend == "improving"


def test_series_shows_last_n_periods_configurable(tmp_path: Path) -> None:
    rows = {"d2 Metrics": metric_rows([80, 81, 82, 83, 84, 85])}
    m = run(tmp_path, rows, settings=AnalysisSettings(periods_shown=2)).metric("M-1")
    assert [p.period.label for p in m.series] == ["2026-05", "2026-06"] and m.history == 6
    assert len(run(tmp_path, rows).metric("M-1").series) == 6  # default: every period


def test_target_change_is_a_limitation(tmp_path: Path) -> None:
    rows = metric_rows([80, 81, 82], target=90) + metric_rows([83], target=95, start=4)
    m = run(tmp_path, {"d2 Metrics": rows}).metric("M-1")
    assert m.target == 95 and any("Target changed" in line for line in m.limitations)


def test_metric_ending_well_before_cutoff_gets_a_note(tmp_path: Path) -> None:
    rows = metric_rows([80, 81, 82, 83, 84, 85]) + metric_rows([1, 2, 3], mid="M-2")
    a = run(tmp_path, {"d2 Metrics": rows})
    # M-2 ends 2026-03: 106 days before the cut-off 2026-07-15
    assert any("M-2 data ends 2026-03, 106 days before the cut-off" in line
               for line in a.limitations["d2"])


# ------------------------------------------------------------------------------- actions


def action(aid: str, due: dt.date, status: str, done: dt.date | None = None,
           carried: int = 0) -> dict[str, Any]:
    return {"Action ID": aid, "Action": f"do {aid}", "Source review": "T-0", "Owner": "Ann",
            "Due date": due, "Status": status, "Completed on": done, "Carry-forward count": carried}


ACTIONS = [
    action("A1", D(2026, 3, 1), "Done", D(2026, 2, 20)),  # due in period, on time
    action("A2", D(2026, 4, 1), "Done", D(2026, 4, 10)),  # due in period, late
    action("A3", D(2026, 5, 1), "Open"),  # overdue 75 days at 2026-07-15
    action("A4", D(2026, 7, 15), "In progress"),  # due exactly on the cut-off: not overdue
    action("A5", D(2026, 6, 30), "Cancelled"),  # excluded from the rate
    action("A6", D(2026, 8, 1), "Open", carried=2),  # escalate, not overdue
    action("A7", D(2026, 7, 14), "Open", carried=3),  # overdue 1 day, escalate
    action("A8", D(2026, 1, 5), "Done", D(2026, 1, 1), carried=4),  # done: no escalation
]


def test_actions_kpis(tmp_path: Path) -> None:
    a = run(tmp_path, {"a Previous actions": ACTIONS}).actions
    assert a.total == 8
    assert a.by_status == {"Open": 3, "In progress": 1, "Done": 3, "Cancelled": 1}
    assert (a.due_in_period, a.done_on_time) == (4, 2)  # A1, A2, A3, A8; on time A1, A8
    assert a.on_time_rate == 0.5
    assert a.overdue == ["A3", "A7"]
    assert [o.days_overdue for o in a.overdue_detail] == [75, 1]
    assert a.escalate == ["A6", "A7"]


def test_all_actions_done(tmp_path: Path) -> None:
    rows = [action("A1", D(2026, 3, 1), "Done", D(2026, 3, 1)),
            action("A2", D(2026, 5, 1), "Done", D(2026, 4, 1))]
    a = run(tmp_path, {"a Previous actions": rows}).actions
    assert a.on_time_rate == 1.0 and a.overdue == [] and a.open == 0


def test_no_actions_means_no_rate_not_a_division_by_zero(tmp_path: Path) -> None:
    a = run(tmp_path, {}, statements={"a Previous actions": "First review"})
    assert a.actions.on_time_rate is None and a.actions.total == 0
    assert a.coverage["a"] == "nothing-to-report"
    assert a.nothing_to_report["a"] == "First review"


# ---------------------------------------------------------------------- nonconformities


def nc(nid: str, severity: str, raised: dt.date, status: str, closed: dt.date | None = None,
       verified: bool | None = None) -> dict[str, Any]:
    return {"NC ID": nid, "Source": "Internal audit", "Severity": severity, "Description": "x",
            "Raised on": raised, "Owner": "Ann", "Status": status, "Closed on": closed,
            "Effectiveness verified": verified}


def test_nonconformity_kpis(tmp_path: Path) -> None:
    rows = [nc("N1", "Major", D(2026, 1, 10), "Open"),
            nc("N2", "Minor", D(2026, 2, 1), "Closed", D(2026, 3, 3), True),  # 30 days
            nc("N3", "Minor", D(2026, 2, 15), "Closed", D(2026, 2, 25), False),  # 10 days
            nc("N4", "Observation", D(2026, 3, 1), "Closed", D(2026, 5, 30), True)]  # 90 days
    rows.append(nc("N0", "Minor", D(2025, 10, 1), "Closed", D(2025, 12, 1), True))  # before
    n = run(tmp_path, {"d1 Nonconformities": rows, "d2 Metrics": metric_rows([1, 2, 3])}).nonconformities
    # observations are not nonconformities; closure figures count closures within the period
    assert (n.total, n.open, n.closed) == (4, 1, 2)
    assert n.observations_open == 0 and n.closed_before_period == 1
    assert n.open_by_severity == {"Major": 1, "Minor": 0}
    assert [(o.id, o.age_days) for o in n.open_detail] == [("N1", 186)]
    assert n.days_to_close_median == 20 and n.days_to_close_mean == pytest.approx(20)
    assert n.verified == 1 and n.verified_share == pytest.approx(1 / 2)
    assert n.majors_open == ["N1"]
    flow = {f.period.label: (f.opened, f.closed) for f in n.per_period}
    assert flow == {"2026-01": (1, 0), "2026-02": (2, 1), "2026-03": (0, 1), "2026-04": (0, 0),
                    "2026-05": (0, 0), "2026-06": (0, 0)}


def test_no_closed_ncs(tmp_path: Path) -> None:
    n = run(tmp_path, {"d1 Nonconformities": [nc("N1", "Minor", D(2026, 1, 10), "Open")]}).nonconformities
    assert n.days_to_close_median is None and n.verified_share is None


# --------------------------------------------------------------------------------- risks


LAST_YEAR = D(2025, 1, 1)


def risk(rid: str, rl: int, ri: int, appetite: int, status: str, due: dt.date | None = None,
         decision: bool = False, identified: dt.date = LAST_YEAR) -> dict[str, Any]:
    return {"Risk ID": rid, "Risk": f"risk {rid}", "Owner": "Ann", "Likelihood": 5, "Impact": 5,
            "Residual likelihood": rl, "Residual impact": ri, "Appetite": appetite,
            "Treatment": "Modify", "Treatment status": status, "Treatment due": due,
            "Decision needed": decision, "Identified on": identified}


RISKS = [
    risk("R1", 4, 4, 8, "Not started", D(2026, 7, 1)),  # 16 > 8 untreated, treatment overdue
    risk("R2", 3, 3, 8, "In progress", D(2026, 7, 15)),  # 9 > 8 treated; due on cut-off
    risk("R3", 2, 4, 8, "Not started"),  # 8 = appetite: not above
    risk("R4", 5, 5, 20, "Accepted"),  # 25 > 20 but accepted
    risk("R5", 1, 1, 4, "Implemented", decision=True, identified=D(2026, 3, 1)),
]


def test_risk_kpis(tmp_path: Path) -> None:
    r = run(tmp_path, {"f Risks": RISKS}).risks
    assert r.by_level == {"Low": 1, "Medium": 2, "High": 1, "Critical": 1}
    assert r.above_appetite == ["R4", "R1", "R2"]  # by score, highest first
    assert r.untreated == ["R1"]
    assert r.treatment_overdue == ["R1"]
    assert r.decisions_needed == ["R5"]
    assert r.identified_in_period == ["R5"]


# -------------------------------------------------------- audits, objectives, feedback, b/c/g


def test_audits_by_grade_and_period(tmp_path: Path) -> None:
    def audit(aid: str, day: dt.date, grades: tuple[int, int, int, int], status: str) -> dict[str, Any]:
        return {"Audit ID": aid, "Type": "Internal", "Scope": "x", "Date": day, "Auditor": "Z",
                **dict(zip(("Majors", "Minors", "Observations", "OFIs"), grades, strict=True)),
                "Status": status}

    rows = [audit("X1", D(2026, 2, 3), (1, 2, 0, 1), "Closed"),
            audit("X2", D(2026, 2, 20), (0, 1, 3, 0), "Report issued"),
            audit("X3", D(2026, 6, 1), (0, 0, 0, 0), "In progress")]
    a = run(tmp_path, {"d3 Audits": rows})
    assert a.audits.totals == {"Majors": 1, "Minors": 3, "Observations": 3, "OFIs": 1}
    feb = next(p for p in a.audits.per_period if p.period.label == "2026-02")
    assert (feb.audits, feb.majors, feb.minors, feb.observations, feb.ofis) == (2, 1, 3, 3, 1)
    assert a.audits.open == ["X2", "X3"]
    assert any("X3" in line for line in a.limitations["d3"])


def test_objectives_with_missed_metric(tmp_path: Path) -> None:
    objectives = [{"Objective ID": "O1", "Objective": "x", "Metric ID": "M-1", "Target": "90",
                   "Due date": D(2026, 12, 31), "Status": "On track", "Owner": "Ann"},
                  {"Objective ID": "O2", "Objective": "y", "Target": "t",
                   "Due date": D(2026, 12, 31), "Status": "At risk", "Owner": "Ann"}]
    a = run(tmp_path, {"d2 Metrics": metric_rows([80, 81, 70]), "d4 Objectives": objectives})
    assert a.objectives.by_status == {"On track": 1, "At risk": 1, "Off track": 0, "Achieved": 0}
    assert [(o.objective, o.metric) for o in a.objectives.metric_missed] == [("O1", "M-1")]
    assert a.metric("M-1").objectives == ["O1"]


def test_feedback_recurring_themes(tmp_path: Path) -> None:
    def fb(fid: str, party: str, category: str, sig: str) -> dict[str, Any]:
        return {"Feedback ID": fid, "Date": D(2026, 3, 1), "Party type": party,
                "Category": category, "Summary": "s", "Significance": sig}

    rows = [fb("F1", "Customer", "Access", "High"), fb("F2", "Customer", " access ", "Low"),
            fb("F3", "Customer", "Phishing", "High"), fb("F4", "Employee", "Access", "Medium")]
    a = run(tmp_path, {"e Feedback": rows})
    f = a.feedback
    assert [(t.party_type, t.category, t.ids) for t in f.recurring_themes] == [
        ("Customer", "Access", ["F1", "F2"])]
    assert f.by_significance == {"High": 2, "Medium": 1, "Low": 1}
    assert f.matrix["Customer"] == {"High": 2, "Medium": 0, "Low": 1}
    # newest feedback 2026-03-01 is 136 days before the cut-off
    assert any("136 days" in line for line in a.limitations["e"])


def test_context_parties_improvements(tmp_path: Path) -> None:
    rows = {
        "b Context changes": [
            {"Change ID": "C1", "Internal/External": "External", "Category": "Regulatory",
             "Description": "d", "ISMS impact": "i", "Date identified": D(2026, 7, 1), "Owner": "A"},
            {"Change ID": "C2", "Internal/External": "Internal", "Category": "Regulatory",
             "Description": "d", "Date identified": D(2026, 7, 1), "Owner": "A"}],
        "c Interested parties": [
            {"Item ID": "P1", "Interested party": "Regulator", "Change in needs/expectations": "x",
             "Owner": "A"}],
        "g Improvements": [
            {"Opportunity ID": "G1", "Opportunity": "o", "Expected benefit": "b",
             "Resources needed": "2 FTE", "Estimated cost": 1000, "Priority": "Low",
             "Proposed decision": "Fund it"},
            {"Opportunity ID": "G2", "Opportunity": "o", "Expected benefit": "b",
             "Priority": "High", "Proposed decision": "Note it"}],
    }
    a = run(tmp_path, rows)
    assert a.context.by_category == {"Regulatory": 2}
    assert a.context.by_origin == {"Internal": 1, "External": 1}
    assert a.context.no_impact == ["C2"] and not a.context.climate_change_considered
    assert any("climate" in line.lower() for line in a.limitations["b"])
    assert a.parties.no_response == ["P1"]
    assert a.improvements.by_priority == {"High": 1, "Medium": 0, "Low": 1}
    assert [r.id for r in a.improvements.resources_requested] == ["G1"]
    assert a.improvements.total_cost == 1000


def test_decisions_requested_come_with_their_input(tmp_path: Path) -> None:
    rows = {"a Previous actions": ACTIONS, "f Risks": RISKS,
            "g Improvements": [{"Opportunity ID": "G1", "Opportunity": "o", "Expected benefit": "b",
                                "Resources needed": "2 FTE", "Priority": "High",
                                "Proposed decision": "Fund it"}]}
    asks = run(tmp_path, rows).decisions_requested
    assert [(d.input_ref, d.source_id, d.kind) for d in asks] == [
        ("a", "A6", "Escalated action"), ("a", "A7", "Escalated action"),
        ("f", "R1", "Risk above appetite, treatment overdue"), ("f", "R5", "Risk acceptance"),
        ("g", "G1", "Resource request")]
    assert "1 day overdue" in asks[1].request and "2 FTE" in asks[-1].request


def test_coverage_content_nothing_missing(tmp_path: Path) -> None:
    a = run(tmp_path, {"a Previous actions": ACTIONS}, statements={"b Context changes": "None."})
    assert a.coverage["a"] == "content"
    assert a.coverage["b"] == "nothing-to-report"
    assert a.coverage["c"] == "missing"
    assert any("missing" in line for line in a.limitations["c"])


def test_dates_exactly_on_the_cutoff(tmp_path: Path) -> None:
    rows = {"a Previous actions": [action("A1", D(2026, 7, 15), "Open")],
            "f Risks": [risk("R1", 4, 4, 8, "In progress", D(2026, 7, 15))]}
    a = run(tmp_path, rows)
    assert a.actions.overdue == [] and a.risks.treatment_overdue == []


def _example_analysis() -> Analysis:
    from .conftest import GOOD

    return analyse(validate_workbook(GOOD).data)


def test_charts_drawn_on_two_cores_are_the_bytes_drawn_one_by_one(monkeypatch: pytest.MonkeyPatch) -> None:
    """The batch (half the figures drawn in a forked child) changes nothing in the PNGs."""
    import contextlib

    from pipeline.analysis import charts

    analysis = _example_analysis()
    together = analysis.charts()

    class OneByOne:
        @staticmethod
        def resolve(drawn: dict[str, bytes]) -> dict[str, bytes]:
            return drawn

    monkeypatch.setattr(charts, "batch", lambda: contextlib.nullcontext(OneByOne()))
    alone = analysis.charts()
    assert len(together) >= 4 and together == alone
    assert all(png.startswith(b"\x89PNG") for png in together.values())


def test_a_chart_child_that_dies_leaves_its_share_to_the_parent(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from pipeline.analysis import charts

    analysis = _example_analysis()
    expected = analysis.charts()
    monkeypatch.setattr(charts, "_draw_child", lambda *_: os._exit(1))
    assert analysis.charts() == expected
