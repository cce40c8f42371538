"""The review loop over a chain of four consecutive reviews built from the example."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook

from pipeline.commands.gate import check_workbook
from pipeline.loop import next_review_id
from pipeline.workbook.validate import validate_workbook

from .conftest import EVIDENCE, FINAL, findings, run_cli, the_finding, validate_json

EMPTIED = ("b Context changes", "c Interested parties", "d3 Audits", "d4 Objectives", "e Feedback",
           "g Improvements")
FILL_IN = {"required-empty", "no-rows-no-statement"}


@pytest.mark.parametrize(("before", "after"), [
    ("MR-2026-H2", "MR-2027-H1"), ("MR-2026-H1", "MR-2026-H2"), ("MR-2026-Q4", "MR-2027-Q1"),
    ("MR-2026-Q2", "MR-2026-Q3"), ("Review 2026", "Review 2027"), ("R007", "R008"),
    ("Board review", "Board review-next"),
])
def test_next_review_id(before: str, after: str) -> None:
    assert next_review_id(before) == after


def row_of(ws: object, column: int, value: str) -> int:
    for row in ws.iter_rows(min_row=5):  # type: ignore[attr-defined]
        if row[column].value == value:
            return int(row[column].row)
    raise AssertionError(f"{value} not found")


def roll(previous: Path, out: Path) -> Path:
    code, stdout, err = run_cli("next", str(previous), "--out", str(out))
    assert code == 0, err
    assert "action(s) carried" in stdout
    return out


def fill(path: Path, review_id: str, change: Callable[[Workbook], None] | None = None) -> Path:
    """What staff do after `next`: fill the emptied inputs, hold the meeting, record decisions."""
    wb = load_workbook(path)
    for sheet in EMPTIED:
        wb[sheet]["B3"] = "No change this period (confirmed by the ISMS manager)."
    attendees = wb["Attendees"]
    for row in range(5, attendees.max_row + 1):
        if attendees[f"A{row}"].value:
            attendees[f"E{row}"] = "Present"
    decisions = wb["Decisions"]
    decisions.append([f"DEC-{review_id}-01", "f", "Resource",
                      f"Fund the {review_id} treatment plan", "Marcus Obi",
                      dt.datetime(2028, 3, 31), "High", "Purchase order"])
    if change:
        change(wb)
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("chain")

    def second(wb: Workbook) -> None:
        ws = wb["a Previous actions"]
        r = row_of(ws, 0, "DEC-2026-H2-01")
        ws[f"F{r}"] = "Done"
        ws[f"G{r}"] = dt.datetime(2027, 1, 20)

    def third(wb: Workbook) -> None:
        risks = wb["f Risks"]
        r = row_of(risks, 0, "R-009")  # 3 x 4 = 12 High → 2 x 2 = 4 Low
        risks[f"F{r}"], risks[f"G{r}"] = 2, 2
        metrics = wb["d2 Metrics"]
        for row in metrics.iter_rows(min_row=5):
            if row[0].value == "M-02":
                row[4].value = 90  # target lowered from 95

    def fourth(wb: Workbook) -> None:
        ws = wb["a Previous actions"]
        ws.delete_rows(row_of(ws, 0, "ACT-2026-04"))  # an open action silently removed

    r1 = FINAL
    r2 = fill(roll(r1, folder / "r2.xlsx"), "MR-2027-H1", second)
    r3 = fill(roll(r2, folder / "r3.xlsx"), "MR-2027-H2", third)
    r4 = fill(roll(r3, folder / "r4.xlsx"), "MR-2028-H1", fourth)
    return [r1, r2, r3, r4]


def test_next_workbook_validates_but_for_fill_in_items(tmp_path: Path) -> None:
    fresh = roll(FINAL, tmp_path / "next.xlsx")
    code, report = validate_json(fresh, "--previous", str(FINAL))
    assert code == 1
    errors = {f["code"] for f in report["findings"] if f["severity"] == "error"}
    assert errors <= FILL_IN and "no-rows-no-statement" in errors
    assert not findings(report, "carried-missing")


def test_rolled_review_fields(chain: list[Path]) -> None:
    review = validate_workbook(chain[1]).data.review
    assert review["Review ID"] == "MR-2027-H1"
    assert (review["Period start"], review["Period end"]) == (dt.date(2026, 11, 1), dt.date(2027, 4, 30))
    assert review["Meeting date"] == dt.date(2027, 6, 10)  # the previous "Next review date"
    assert review["Data cut-off"] == dt.date(2027, 5, 28)  # 13 days before, as last time
    assert review["Approved by"] is None and review["Version"] == "1.0"


def test_decisions_and_open_actions_are_carried(chain: list[Path]) -> None:
    data = validate_workbook(chain[1]).data
    actions = {r["Action ID"]: r for r in data.tables["a Previous actions"].records}
    # the four real decisions, not the note DEC-2026-H2-04
    assert {"DEC-2026-H2-01", "DEC-2026-H2-02", "DEC-2026-H2-03", "DEC-2026-H2-05"} <= set(actions)
    assert "DEC-2026-H2-04" not in actions
    assert actions["DEC-2026-H2-02"]["Source review"] == "MR-2026-H2"
    assert actions["DEC-2026-H2-02"]["Carry-forward count"] == 0
    # open actions keep their source review; done or cancelled ones are not carried
    assert actions["ACT-2025-08"]["Source review"] == "MR-2025-H2"
    assert "ACT-2025-07" not in actions and "ACT-2025-11" not in actions


def test_next_resets_attendance_and_keeps_history(tmp_path: Path) -> None:
    data = validate_workbook(roll(FINAL, tmp_path / "next.xlsx")).data
    assert {r["Attendance"] for r in data.tables["Attendees"].records} == {"Invited"}
    assert len(data.tables["Attendees"].records) == 9
    metrics = data.tables["d2 Metrics"].records
    assert len([r for r in metrics if r["Metric ID"] == "M-01"]) == 6  # all six kept (max 8)
    assert {r["NC ID"] for r in data.tables["d1 Nonconformities"].records} == {
        "NC-2026-02", "NC-2026-06", "NC-2026-07"}  # the open ones
    assert len(data.tables["f Risks"].records) == 31
    assert data.tables["Decisions"].records == [] and data.tables["Evidence"].records == []


def test_re_carried_action_reaches_the_escalation_threshold(chain: list[Path]) -> None:
    code, out, err = run_cli("analyse", str(chain[1]), "--json", "--previous", str(chain[0]))
    assert code == 0, err
    import json

    result = json.loads(out)
    assert "ACT-2026-01" in result["actions"]["escalate"]  # carried once before, now twice
    assert result["changes"]["previous_review_id"] == "MR-2026-H2"
    assert result["changes"]["missing"] == []


def test_chain_validates_review_by_review(chain: list[Path]) -> None:
    for previous, current in itertools.pairwise(chain[:3]):
        code, report = validate_json(current, "--previous", str(previous), "--evidence", str(EVIDENCE))
        errors = [f for f in report["findings"] if f["severity"] == "error"]
        # evidence rows were emptied by `next`, so only the staff's own gaps could be errors
        assert code == 0, errors


def test_done_actions_stop_being_carried(chain: list[Path]) -> None:
    ids = {r["Action ID"] for r in validate_workbook(chain[2]).data.tables["a Previous actions"].records}
    assert "DEC-2026-H2-01" not in ids  # done in review 2
    assert "DEC-MR-2027-H1-01" in ids  # decided in review 2


def test_risk_level_change_and_metric_change_are_reported(chain: list[Path]) -> None:
    result = check_workbook(chain[2], previous=chain[1])
    changes = result.changes
    assert changes is not None
    assert [(c.id, c.before_level, c.after_level) for c in changes.risks_changed] == [
        ("R-009", "High", "Low")]
    assert [(m.id, m.field, m.before, m.after) for m in changes.metrics_changed] == [
        ("M-02", "Target", "95%", "90%")]
    assert "metric-changed" in result.report.codes()


def test_removed_action_is_caught(chain: list[Path]) -> None:
    code, report = validate_json(chain[3], "--previous", str(chain[2]))
    assert code == 1
    hit = the_finding(report, "carried-missing", "'a Previous actions'!A4")
    assert hit["value"] == "ACT-2026-04" and "MR-2027-H2" in hit["message"]


def test_removed_risk_warns(chain: list[Path], tmp_path: Path) -> None:
    wb = load_workbook(chain[3])
    risks = wb["f Risks"]
    risks.delete_rows(row_of(risks, 0, "R-014"))
    path = tmp_path / "r4b.xlsx"
    wb.save(path)
    _, report = validate_json(path, "--previous", str(chain[2]))
    assert [f["value"] for f in findings(report, "risk-removed")] == ["R-014"]


def test_stale_carry_forward_count_warns(chain: list[Path], tmp_path: Path) -> None:
    wb = load_workbook(chain[2])
    ws = wb["a Previous actions"]
    r = row_of(ws, 0, "ACT-2025-08")
    ws[f"H{r}"] = 3  # was 3 in review 2 already
    path = tmp_path / "r3b.xlsx"
    wb.save(path)
    _, report = validate_json(path, "--previous", str(chain[1]))
    the_finding(report, "carry-count-stale", f"'a Previous actions'!H{r}")


def test_pre_read_shows_changes_since_the_last_review(chain: list[Path], tmp_path: Path) -> None:
    code, _, err = run_cli("build", str(chain[2]), "--evidence", str(EVIDENCE), "--out",
                           str(tmp_path), "--previous", str(chain[1]))
    assert code == 0, err
    document = docx.Document(str(tmp_path / "MR-2027-H2" / "pre-read" / "MR-2027-H2-pre-read.docx"))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Changes since the last review (MR-2027-H1)" in text
    assert "R-009: High (12) → Low (4)" in text
    assert "M-02 Target: 95% → 90%" in text
    assert "ACT-2026-01 (open at MR-2027-H1): Open" in text
    assert "DEC-MR-2027-H1-01 (decided at MR-2027-H1): Open" in text


def test_next_never_overwrites(tmp_path: Path) -> None:
    out = tmp_path / "x.xlsx"
    out.write_bytes(b"keep")
    code, _, err = run_cli("next", str(FINAL), "--out", str(out))
    assert code == 1 and "already exists" in err and out.read_bytes() == b"keep"


def test_metric_history_keeps_the_last_eight_periods(tmp_path: Path) -> None:
    from pipeline.loop.rollforward import carried_metrics

    wb = load_workbook(FINAL)
    ws = wb["d2 Metrics"]
    for month in range(1, 5):  # four more months of M-01 before the six shown: ten in all
        ws.append(["M-01", "MTTR for P1 incidents", "hours", "Lower", 4, f"2026-0{month}", 6,
                   "ServiceNow", "Grace Kim"])
    path = tmp_path / "long.xlsx"
    wb.save(path)
    rows = [r for r in carried_metrics(validate_workbook(path).data) if r["Metric ID"] == "M-01"]
    assert [r["Period"].label for r in rows] == [f"2026-{m:02d}" for m in range(3, 11)]


def test_text_that_looks_like_a_formula_stays_text_in_the_next_workbook(tmp_path: Path) -> None:
    # a decision typed as text (Excel: a leading apostrophe) must not become a live formula
    # (a HYPERLINK to anywhere) in the workbook `next` writes
    wb = load_workbook(FINAL)
    wb["Decisions"]["D5"].value = '=HYPERLINK("http://evil.example","Fund it")'
    wb["Decisions"]["D5"].data_type = "s"
    wb["Decisions"]["D6"].value = "#N/A"
    wb["Decisions"]["D6"].data_type = "s"
    source = tmp_path / "final.xlsx"
    wb.save(source)
    fresh = roll(source, tmp_path / "next.xlsx")
    import zipfile

    with zipfile.ZipFile(fresh) as zf:
        sheets = [zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/sheet")]
    assert not any(b"<f>" in xml or b"<f " in xml for xml in sheets)
    assert not any(b't="e"' in xml for xml in sheets)
    texts = [c.value for row in load_workbook(fresh)["a Previous actions"].iter_rows() for c in row]
    assert '=HYPERLINK("http://evil.example","Fund it")' in texts and "#N/A" in texts
