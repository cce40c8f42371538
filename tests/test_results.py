"""The results of the review (issue 11): conclusions, an outcome for every request, a chronology
an auditor believes. Each final-stage rule is broken one way and must be reported by both
`validate --stage final` and `build --stage final`, with the sheet and cell and what to type."""

from __future__ import annotations

import datetime as dt
import functools
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from openpyxl.workbook.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from pipeline.analysis import analyse
from pipeline.commands.bundle import bundle_review
from pipeline.documents.context import build_context
from pipeline.documents.render import render_one, resolve_template
from pipeline.documents.results import input_outcomes
from pipeline.workbook.contract import load_contract
from pipeline.workbook.final import final_findings, unknown_responses
from pipeline.workbook.inputs import input_specs
from pipeline.workbook.model import WorkbookData
from pipeline.workbook.outcomes import OVERALL, known_ids, responds_to
from pipeline.workbook.validate import read_data

from .conftest import EVIDENCE, FINAL, FINAL_EPOCH, GOOD, findings, run_cli, validate_json

HEADER = 4


@pytest.fixture(autouse=True)
def clock(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", FINAL_EPOCH)


def column(ws: Worksheet, name: str) -> int:
    for cell in ws[HEADER]:
        if cell.value == name:
            return int(cell.column)
    raise AssertionError(f"no column {name!r} on {ws.title}")


def row_where(ws: Worksheet, header: str, value: str) -> int:
    col = column(ws, header)
    for row in range(HEADER + 1, ws.max_row + 1):
        if ws.cell(row, col).value == value:
            return row
    raise AssertionError(f"{value!r} not in {header!r} on {ws.title}")


def put(wb: Workbook, sheet: str, key: tuple[str, str], header: str, value: Any) -> None:
    ws = wb[sheet]
    ws.cell(row_where(ws, *key), column(ws, header)).value = value


def review_field(wb: Workbook, name: str, value: Any) -> None:
    ws = wb["Review"]
    for row in range(1, ws.max_row + 1):
        if ws.cell(row, 1).value == name:
            ws.cell(row, 2).value = value
            return
    raise AssertionError(name)


def no_conclusion_d3(wb: Workbook) -> None:
    ws = wb["Conclusions"]
    ws.delete_rows(row_where(ws, "Input ref", "d3"))


def overall_not_stated(wb: Workbook) -> None:
    put(wb, "Conclusions", ("Input ref", OVERALL), "Suitable, adequate and effective", None)


def r011_unanswered(wb: Workbook) -> None:
    put(wb, "Decisions", ("Decision ID", "DEC-2026-H2-06"), "Responds to", None)


def approved_next_week(wb: Workbook) -> None:
    review_field(wb, "Approved on", dt.datetime(2026, 12, 8))


def meeting_tomorrow(wb: Workbook) -> None:
    review_field(wb, "Meeting date", dt.datetime(2026, 12, 2))
    review_field(wb, "Approved on", None)


def absent_presenter(wb: Workbook) -> None:
    put(wb, "Conclusions", ("Input ref", "c"), "Presented by", None)


def deferred_without_date(wb: Workbook) -> None:
    put(wb, "Decisions", ("Decision ID", "DEC-2026-H2-08"), "Deferred to", None)


BROKEN: list[tuple[Callable[[Workbook], None], str, str, str]] = [
    # mutation, code, cell, words the message must carry
    (no_conclusion_d3, "conclusion-missing", "Conclusions!A15", "type 'd3' in 'Input ref'"),
    (overall_not_stated, "conclusion-missing", "Conclusions!E5", "Yes, Partly or No"),
    (r011_unanswered, "request-unanswered", "Decisions!I16", "'R-011' in 'Responds to'"),
    (approved_next_week, "approval-in-future", "Review!B27", "2026-12-08"),
    (meeting_tomorrow, "final-before-meeting", "Review!B11", "after the meeting"),
    (absent_presenter, "presenter-absent", "Conclusions!F8", "Rachel Moore"),
    (deferred_without_date, "decision-incomplete", "Decisions!K12", "'Deferred to'"),
]


def test_the_example_final_workbook_passes_the_final_stage() -> None:
    code, report = validate_json(FINAL, "--stage", "final", "--evidence", str(EVIDENCE))
    assert code == 0, [f for f in report["findings"] if f["severity"] == "error"]
    fixed = {"conclusion-missing", "request-unanswered", "final-before-meeting",
             "approval-in-future", "presenter-absent", "previous-minutes-missing"}
    assert not fixed & {f["code"] for f in report["findings"]}


@pytest.mark.parametrize(("mutation", "code", "cell", "words"), BROKEN,
                         ids=[b[0].__name__ for b in BROKEN])
def test_each_final_rule_is_reported_by_validate_and_build(
        mutate: Callable[..., Path], tmp_path: Path, mutation: Callable[[Workbook], None],
        code: str, cell: str, words: str) -> None:
    path = mutate(mutation, source=FINAL)
    exit_code, report = validate_json(path, "--stage", "final")
    hits = [f for f in findings(report, code) if f["cell"] == cell]
    assert exit_code == 1 and hits, [(f["code"], f["cell"]) for f in report["findings"]]
    assert hits[0]["severity"] == "error" and words in hits[0]["message"]
    built, _, err = run_cli("build", path, "--evidence", EVIDENCE, "--out", tmp_path / "out",
                            "--stage", "final")
    assert built == 1 and code in err and cell in err
    assert not (tmp_path / "out" / "MR-2026-H2").exists()


def test_the_clock_is_the_runs_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """The example's meeting (26 Nov) and approval (30 Nov) are fine on the day of approval; a
    run dated the day before the meeting reports both."""
    data = read_data(FINAL)
    assert not {f.code for f in final_findings(data)} & {"final-before-meeting", "approval-in-future"}
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(dt.datetime(2026, 11, 25).timestamp())))
    codes = {f.code for f in final_findings(data)}
    assert {"final-before-meeting", "approval-in-future"} <= codes
    today = final_findings(data, today=dt.date(2026, 11, 30))
    assert not {f.code for f in today} & {"final-before-meeting", "approval-in-future"}


def test_an_unknown_id_in_responds_to_names_the_closest(mutate: Callable[..., Path]) -> None:
    path = mutate(lambda wb: put(wb, "Decisions", ("Decision ID", "DEC-2026-H2-06"),
                                 "Responds to", "OFI-02, R011"), source=FINAL)
    code, report = validate_json(path)  # every stage: a typo is never an answer
    hit = [f for f in findings(report, "dangling-reference") if f["cell"] == "Decisions!I10"]
    assert code == 1 and hit and "'R011'" in hit[0]["message"]
    assert "Did you mean 'R-011'?" in hit[0]["message"]


def test_previous_minutes_missing_warns_naming_the_review(mutate: Callable[..., Path]) -> None:
    def drop(wb: Workbook) -> None:
        ws = wb["Evidence"]
        ws.delete_rows(row_where(ws, "Evidence ID", "EV-A02"))

    code, report = validate_json(mutate(drop))
    hits = findings(report, "previous-minutes-missing")
    assert code == 0 and [h["value"] for h in hits] == ["MR-2026-H1"]
    assert hits[0]["severity"] == "warning" and "Input ref 'a'" in hits[0]["message"]


def test_final_minutes_carry_the_results() -> None:
    data = read_data(FINAL)
    analysis = analyse(data)
    ctx = build_context(data, analysis, final=True)
    assert ctx.overall.suitable == "Partly" and ctx.overall.conclusion
    asked = {d.source_id for d in analysis.decisions_requested}
    assert {r.source_id for r in ctx.request_outcomes} == asked
    assert all(r.outcome and r.outcome != "No decision recorded" for r in ctx.request_outcomes)
    outcome = {r.source_id: (r.outcome, r.decisions, r.deferred_to) for r in ctx.request_outcomes}
    assert outcome["OFI-01"] == ("Deferred", "DEC-2026-H2-08", "10 June 2027")
    assert outcome["R-007"] == ("Approved", "DEC-2026-H2-03", "")
    items = {i.ref: i for i in ctx.agenda if i.ref}
    for spec in input_specs(data.contract):
        item = items[spec.ref]
        assert item.conclusion.conclusion, spec.ref
        assert item.presenter in ctx.top_management_present or item.presenter in {
            p.name for p in ctx.attendees if p.attendance == "Present"}, spec.ref
    assert items["c"].presenter == "Amara Okafor"  # Rachel Moore sent apologies
    assert [d.id for d in ctx.decisions if not d.action] == [
        "DEC-2026-H2-08", "DEC-2026-H2-10"]  # deferred and rejected: not in the action log


def test_pre_meeting_form_lists_each_items_requests_without_outcomes() -> None:
    data = read_data(GOOD)
    analysis = analyse(data)
    ctx = build_context(data, analysis)
    by_ref = {i.ref: [r.source_id for r in i.requests] for i in ctx.agenda if i.ref}
    assert by_ref["f"] == [d.source_id for d in analysis.decisions_requested if d.input_ref == "f"]
    assert all(not r.outcome for r in ctx.request_outcomes)
    assert all(not i.conclusion.conclusion for i in ctx.agenda)


def test_coverage_outcome_per_input() -> None:
    outcome = input_outcomes(read_data(FINAL))
    assert outcome["g"].startswith("Conclusion recorded; DEC-2026-H2-01")
    assert "DEC-2026-H2-08" in outcome["g"]
    assert outcome["d3"] == "Conclusion recorded"
    assert "(suitable, adequate and effective: Partly); 11 decision(s)" in outcome["minutes"]
    assert input_outcomes(read_data(GOOD)) == {}


def test_contract_fixes_the_names() -> None:
    contract = load_contract()
    sheet = contract.sheet("Conclusions")
    assert [c.name for c in sheet.columns][:5] == [
        "Input ref", "Conclusion", "Change needed to the ISMS", "Dissent or uncertainty",
        "Suitable, adequate and effective"]
    refs = sheet.column("Input ref").values
    assert refs == (*[s.ref for s in input_specs(contract)], OVERALL)
    decisions = contract.sheet("Decisions")
    assert decisions.column("Outcome").values == (
        "Approved", "Rejected", "Deferred", "Risk accepted", "Superseded", "Noted")
    assert "9.3" in decisions.column("Input ref").values
    assert decisions.column("Deferred to").type == "date"


# ------------------------------------------------------------------------------ the loop


def records(path: Path, sheet: str) -> dict[str, dict[str, Any]]:
    table = read_data(path).tables[sheet]
    id_col = table.sheet.id_column
    assert id_col is not None
    return {str(r[id_col.name]): dict(r.values) for r in table.records}


def decide_both(wb: Workbook) -> None:
    wb["Decisions"].append([
        "DEC-2027-H1-02", "g", "Improvement", "Approve the GRC tool pilot (OFI-01) for H2 2027.",
        "Priya Natarajan", dt.datetime(2027, 12, 31), "Medium", "Pilot report", "OFI-01",
        "Approved", None])
    wb["Decisions"].append([
        "DEC-2027-H1-03", "f", "Risk acceptance", "Accept R-011 until the supplier clauses are "
        "signed; review quarterly.", "Sofia Lindqvist", dt.datetime(2027, 9, 30), "High",
        "Signed risk acceptance", "R-011", "Risk accepted", None])


@pytest.fixture(scope="module")
def loop(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Review N defers OFI-01 and leaves R-011 unanswered; N+1 is made by `next` and decides."""
    from .test_loop import fill, roll

    folder = tmp_path_factory.mktemp("results-loop")
    wb = load_workbook(FINAL)
    r011_unanswered(wb)
    first = folder / "n.xlsx"
    wb.save(first)
    second = fill(roll(first, folder / "n1.xlsx"), "MR-2027-H1", decide_both)
    return first, second


def test_next_carries_the_deferred_and_the_unanswered(loop: tuple[Path, Path]) -> None:
    _, second = loop
    actions = records(second, "a Previous actions")
    assert actions["OFI-01"]["Status"] == "Open" and actions["OFI-01"]["Carry-forward count"] == 1
    assert "Deferred at MR-2026-H2 (DEC-2026-H2-08)" in actions["OFI-01"]["Comment"]
    assert actions["OFI-01"]["Due date"] == dt.date(2027, 6, 10)  # its 'Deferred to'
    assert "Requested at MR-2026-H2 and not answered" in actions["R-011"]["Comment"]
    assert actions["R-011"]["Source review"] == "MR-2026-H2"
    assert list(records(second, "g Improvements")) == ["OFI-01"]  # decided proposals leave
    assert "R-011" in records(second, "f Risks")
    # deferred, rejected and noted rows are not actions; the minutes' approval was done at the meeting
    assert not {"DEC-2026-H2-04", "DEC-2026-H2-08", "DEC-2026-H2-10"} & set(actions)
    assert actions["DEC-2026-H2-11"]["Status"] == "Done"
    assert actions["DEC-2026-H2-01"]["Status"] == "Open"


def test_the_next_review_decides_them_and_validate_previous_passes(loop: tuple[Path, Path]) -> None:
    first, second = loop
    code, report = validate_json(second, "--previous", str(first))
    assert code == 0, [(f["code"], f["message"]) for f in report["findings"] if f["severity"] == "error"]
    assert not findings(report, "carried-missing")
    ctx_data = read_data(second)
    outcome = {r.source_id: r.outcome for r in build_context(
        ctx_data, analyse(ctx_data), final=True).request_outcomes}
    assert outcome["OFI-01"] == "Approved" and outcome["R-011"] == "Risk accepted"


@pytest.mark.parametrize("gone", ["OFI-01", "R-011"])
def test_removing_a_carried_request_errors_naming_it(loop: tuple[Path, Path], tmp_path: Path,
                                                     gone: str) -> None:
    first, second = loop
    wb = load_workbook(second)
    ws = wb["a Previous actions"]
    ws.delete_rows(row_where(ws, "Action ID", gone))
    if gone == "OFI-01":
        g = wb["g Improvements"]
        g.delete_rows(row_where(g, "Opportunity ID", gone))
    else:
        f = wb["f Risks"]  # the risk also left its register (that alone only warns)
        f.delete_rows(row_where(f, "Risk ID", gone))
    path = tmp_path / "vanished.xlsx"
    wb.save(path)
    code, report = validate_json(path, "--previous", str(first))
    hits = [h for h in findings(report, "carried-missing") if h["value"] == gone]
    assert code == 1 and hits and hits[0]["message"].startswith(f"{gone}, ")


def test_the_coverage_matrix_shows_each_inputs_outcome(tmp_path: Path) -> None:
    data = read_data(FINAL)
    out = tmp_path / "bundle.pdf"
    bundle_review(data, FINAL, EVIDENCE, out, {}, final=True, when=dt.datetime(2026, 12, 1))
    text = subprocess.run(["pdftotext", "-layout", str(out), "-"], capture_output=True,
                          text=True, check=True).stdout
    matrix = text[text.index("Clause coverage matrix"):]
    assert "Outcome: Conclusion recorded; DEC-2026-H2-03" in matrix  # input a
    assert "Outcome: Conclusion recorded; DEC-2026-H2-07" in matrix  # input b


# ------------------------------------------------------------------------------ no retyping


def minutes_text(path: Path, final: bool) -> str:
    import io

    import docx

    data = read_data(path)
    ctx = build_context(data, analyse(data), final=final)
    raw = render_one(resolve_template("minutes"), ctx, {}, "minutes", dt.datetime(2026, 11, 30))
    document = docx.Document(io.BytesIO(raw))
    cells = [c.text for t in document.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def test_round_trip_form_to_workbook_to_final_minutes(tmp_path: Path) -> None:
    """The form lists each request by ID; the minute-taker types each outcome once, in the
    workbook (Decisions: 'Responds to' + Outcome; Conclusions), and the final minutes print
    exactly that: nothing is typed twice."""
    form = minutes_text(GOOD, final=False)
    asked = re.findall(r"^Decision requested (\S+): ", form, re.M)
    data = read_data(GOOD)
    assert asked == [d.source_id for d in analyse(data).decisions_requested]  # every one, in order
    wb = load_workbook(FINAL)
    ws = wb["Decisions"]
    ws.delete_rows(HEADER + 1, ws.max_row)
    for n, source_id in enumerate(asked, 1):
        ws.append([f"DEC-T-{n:02d}", "a", "Other", f"Typed once for {source_id}.", "Helen Carter",
                   dt.datetime(2027, 3, 31), "High", "Minutes", source_id,
                   "Rejected" if n % 2 else "Approved", None])
    conclusions_sheet = wb["Conclusions"]
    for row in range(HEADER + 1, conclusions_sheet.max_row + 1):
        ref = conclusions_sheet.cell(row, 1).value
        conclusions_sheet.cell(row, 2).value = f"Concluded once about {ref}."
    path = tmp_path / "typed.xlsx"
    wb.save(path)
    code, report = validate_json(path, "--stage", "final")
    assert code == 0, [(f["code"], f["cell"]) for f in report["findings"] if f["severity"] == "error"]
    final = minutes_text(path, final=True)
    for n, source_id in enumerate(asked, 1):
        outcome = "Rejected" if n % 2 else "Approved"
        assert final.count(f"Typed once for {source_id}.") >= 1
        assert f"Decision DEC-T-{n:02d} ({outcome}: {source_id}): Typed once" in final
    for spec in input_specs(data.contract):
        assert f"Conclusion: Concluded once about {spec.ref}." in final
    assert f"Concluded once about {OVERALL}." in final and "Outcome: ____" not in final


@functools.cache
def _final_data() -> WorkbookData:
    return read_data(FINAL)  # read once; each example overwrites the one cell it tests


ID = st.from_regex(r"[A-Z]{1,3}-[0-9]{2,4}", fullmatch=True)
SEP = st.sampled_from([",", ", ", ";", "\n", " ,  "])


@settings(max_examples=60, deadline=None)
@given(picks=st.lists(st.integers(min_value=0, max_value=40), min_size=1, max_size=5),
       seps=st.lists(SEP, min_size=5, max_size=5), stranger=ID)
def test_responds_to_accepts_any_known_ids_and_flags_any_other(
        picks: list[int], seps: list[str], stranger: str) -> None:
    data = _final_data()
    ids = known_ids(data)
    assert ids is not None
    known = sorted(ids.values())
    chosen = [known[i % len(known)] for i in picks]
    rec = data.tables["Decisions"].records[0]
    text = chosen[0] + "".join(s + c for s, c in zip(seps, chosen[1:], strict=False))
    rec.values["Responds to"] = text
    assert responds_to(rec) == chosen
    assert list(unknown_responses(data)) == []
    if stranger.casefold() in {k.casefold() for k in known}:
        return
    rec.values["Responds to"] = f"{text}, {stranger}"
    found = list(unknown_responses(data))
    assert [f.value for f in found] == [stranger] and found[0].code == "dangling-reference"
