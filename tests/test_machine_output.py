"""Machine output everywhere: --json with a schema version on every command that reports
problems, JSON even when the file cannot be read, and output paths that are typos are errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl.workbook.workbook import Workbook

from .conftest import EVIDENCE, FINAL, GOOD, run_cli


def _json(out: str) -> dict:  # type: ignore[type-arg]
    data = json.loads(out)
    assert data["schema_version"] == 1
    return data  # type: ignore[no-any-return]


def test_validate_json_on_an_unreadable_file_is_json(tmp_path: Path) -> None:
    bad = tmp_path / "review.xlsx"
    bad.write_text("not a workbook")
    code, out, err = run_cli("validate", str(bad), "--json")
    data = _json(out)
    assert code == 1 and not data["ok"] and data["command"] == "validate"
    assert [f["code"] for f in data["findings"]] == ["unreadable-file"]
    assert "review.xlsx" in data["findings"][0]["message"] and "error:" in err


def test_analyse_json_puts_findings_on_stdout(mutate: Callable[..., Path]) -> None:
    def no_org(wb: Workbook) -> None:
        ws = wb["Review"]
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Organisation")
        ws.cell(row=row, column=2).value = None

    code, out, err = run_cli("analyse", str(mutate(no_org)), "--json")
    data = json.loads(out)
    assert code == 1 and "required-empty" in {f["code"] for f in data["findings"]}
    assert "required-empty" not in err  # the findings are on one stream: stdout
    code, out, _ = run_cli("analyse", str(GOOD), "--json")
    data = _json(out)
    assert code == 0 and "action-overdue" in {f["code"] for f in data["findings"]}
    assert data["metrics"] and data["decisions_requested"]


def test_build_json_lists_files_and_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1796126400")  # 1 December 2026: after the meeting
    code, out, _ = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(tmp_path),
                           "--json")
    data = _json(out)
    assert code == 0 and data["command"] == "build" and data["ok"]
    # a first pre-read built after its meeting (26 November) says so
    assert any("meeting of 26 November 2026 has already taken place" in n for n in data["notes"]), data
    assert any(f.endswith("-pre-read.pdf") for f in data["files"])
    assert all(Path(f).is_file() for f in data["files"])
    assert "action-overdue" in {f["code"] for f in data["findings"]}  # warnings are not hidden


def test_build_text_ends_with_the_counts_and_every_file(tmp_path: Path) -> None:
    code, out, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(tmp_path))
    assert code == 0
    last = out.strip().splitlines()[-1]
    assert "0 error(s)" in last and "warning(s)" in last
    written = [line.removeprefix("wrote ") for line in out.splitlines() if line.startswith("wrote ")]
    assert any(w.endswith("-analysis.json") for w in written) and any("charts" in w for w in written)
    assert "action-overdue" in out + err


def test_build_json_when_refused_is_json(tmp_path: Path, mutate: Callable[..., Path]) -> None:
    def no_org(wb: Workbook) -> None:
        ws = wb["Review"]
        row = next(r for r in range(1, ws.max_row + 1) if ws.cell(row=r, column=1).value == "Organisation")
        ws.cell(row=row, column=2).value = None

    code, out, _ = run_cli("build", str(mutate(no_org)), "--evidence", str(EVIDENCE), "--out",
                           str(tmp_path), "--json")
    data = json.loads(out)
    assert code == 1 and data["ok"] is False and "required-empty" in {f["code"] for f in data["findings"]}


def test_check_templates_json(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[1] / "doc_templates"
    (tmp_path / "agenda.docx").write_bytes((shipped / "agenda.docx").read_bytes())
    (tmp_path / "pre_read (edited).docx").write_bytes((shipped / "pre_read.docx").read_bytes())
    code, out, _ = run_cli("check-templates", str(tmp_path), "--json")
    data = _json(out)
    assert code == 0 and data["command"] == "check-templates" and data["ok"]
    ignored = [f for f in data["findings"] if f["code"] == "template-ignored"]
    assert len(ignored) == 1 and "pre_read (edited).docx" in ignored[0]["message"]


def test_final_minutes_without_decisions_warn(mutate: Callable[..., Path]) -> None:
    def no_decisions(wb: Workbook) -> None:
        ws = wb["Decisions"]
        for row in ws.iter_rows(min_row=5):
            for cell in row:
                cell.value = None

    _, out, _ = run_cli("validate", str(mutate(no_decisions, source=FINAL)), "--stage", "final", "--json")
    assert "no-decisions" in {f["code"] for f in json.loads(out)["findings"]}


def test_example_needs_force_to_overwrite(tmp_path: Path) -> None:
    assert run_cli("example", str(tmp_path / "ex"))[0] == 0
    code, _, err = run_cli("example", str(tmp_path / "ex"))
    assert code == 1 and "--force" in err
    assert run_cli("example", str(tmp_path / "ex"), "--force")[0] == 0


def test_output_paths_under_a_missing_folder_are_errors(tmp_path: Path) -> None:
    code, _, err = run_cli("validate", str(GOOD), "--annotate", str(tmp_path / "typo" / "x.xlsx"))
    assert code == 1 and "does not exist" in err and not (tmp_path / "typo").exists()
    code, _, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out",
                           str(tmp_path / "typo" / "out"))
    assert code == 1 and "does not exist" in err and not (tmp_path / "typo").exists()


def test_usage_errors_with_json_are_json(tmp_path: Path) -> None:
    """A missing file, a bad option value or a missing argument: still the command's envelope
    on stdout (exit 2, click's usage text on stderr), never click's text alone."""
    missing = tmp_path / "no-such-bundle.pdf"
    cases = [("verify", [str(missing), "--json"], "no-such-bundle.pdf"),
             ("validate", [str(GOOD), "--json", "--stage", "bogus"], "bogus"),
             ("bundle", ["--json"], "Missing argument")]
    for command, args, named in cases:
        code, out, err = run_cli(command, *args)
        data = _json(out)
        assert code == 2 and data["command"] == command and data["ok"] is False, (command, out)
        assert [f["code"] for f in data["findings"]] == ["usage-error"], data
        assert named in data["findings"][0]["message"] and "Usage:" in err
        assert data.get("verdict", None) is None and ("verdict" in data) == (command == "verify")
    code, out, err = run_cli("verify", str(missing))  # without --json: click's text only
    assert code == 2 and out == "" and "does not exist" in err


def test_validate_json_with_a_failed_annotated_copy_is_one_document(tmp_path: Path) -> None:
    """The annotated copy cannot be written: stdout is still one JSON report, holding the
    workbook's findings and the failure as one more finding (it printed two documents)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder is expected")
    code, out, err = run_cli("validate", str(GOOD), "--json", "--annotate", str(blocker / "checked.xlsx"))
    data = _json(out)  # exactly one document: json.loads refuses extra data
    assert code == 1 and data["ok"] is False and "not-a-folder" in err, (out, err)
    last = data["findings"][-1]
    assert last["code"] == "command-failed" and "not-a-folder" in last["message"]
    assert len(data["findings"]) > 1  # the workbook's own findings are kept


def test_verify_given_the_workbook_says_it_is_not_a_pdf() -> None:
    """The wrong file given to verify is a mistake to name, not a bundle found BROKEN."""
    code, out, err = run_cli("verify", str(GOOD), "--json")
    data = _json(out)
    assert code == 1 and data["verdict"] is None and "BROKEN" not in out + err
    assert "is an Excel workbook or Word document" in data["findings"][0]["message"]
