"""Document control for a build: the issue register decides this build's version and status
(or refuses it), the documents and bundle carry that status, and the register records what
was issued once it is published.

For the final stage it also finds the agenda and pre-read *as circulated* — by their SHA-256
in the register — so the record bundle contains exactly what the meeting saw.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..bundle.control import (
    Control,
    MeetingDocument,
    WorkbookRef,
    approver,
    open_items,
    status_texts,
)
from ..bundle.volumes import base_stem
from ..register import (
    Entry,
    IssuePlan,
    Register,
    find_issued,
    plan_issue,
    record_issue,
    sha256_file,
)
from ..status import retention_text
from ..workbook.model import WorkbookData
from ..workbook.validate import Stage

CIRCULATED = (("agenda", "agenda"), ("pre-read", "pre-read"))
DOCUMENT_NAMES = {"agenda": "agenda", "pre-read": "pre-read", "minutes-form": "minutes-form",
                  "minutes": "minutes", "pre-read-bundle": "pre-read-bundle", "bundle": "bundle"}


def _is_volume(path: Path, stem: str) -> bool:
    """A volume of the bundle ``stem`` (``…-bundle-vol2-of-3.pdf``): recorded like the bundle."""
    return path.suffix == ".pdf" and base_stem(path) == stem and path.stem != stem


@dataclass
class Issue:
    register: Register
    plan: IssuePlan
    line: str
    control: Control
    circulated: dict[str, Path] = field(default_factory=dict)
    messages: list[str] = field(default_factory=list)

    def doc_fields(self) -> dict[str, str]:
        """The document-control fields of the Word/PDF documents."""
        return {"version": self.plan.version, "status": self.plan.status, "status_line": self.line}

    def record(self, files: list[Path], workbook: Path, review_id: str, when: dt.datetime) -> list[Entry]:
        """Append the published documents of this issue to the register."""
        added = record_issue(self.register, self.plan, issued_documents(files, review_id),
                             workbook, when)
        for entry in added:
            if entry.event == "stale":
                self.messages.append(f"APPROVAL STALE: {entry.note}; the new version must be "
                                     "signed again.")
        if self.plan.event == "reissued":
            self.messages.append(f"re-issued as v{self.plan.version}: {self.plan.note} "
                                 f"(recorded in {self.register.path})")
        return added


def issued_documents(files: list[Path], review_id: str) -> dict[str, Path]:
    """The register's document names → the published files (bundle volumes included)."""
    issued = {}
    for document, suffix in DOCUMENT_NAMES.items():
        found = next((f for f in files if f.name == f"{review_id}-{suffix}.pdf"), None)
        if found is not None:
            issued[document] = found
        for volume in sorted(f for f in files if _is_volume(f, f"{review_id}-{suffix}")):
            issued[f"{document}{volume.stem.removeprefix(f'{review_id}-{suffix}')}"] = volume
    return issued


@dataclass(frozen=True)
class PendingIssue:
    """An issue planned by a build whose pack the caller publishes (the scheduler): recorded
    by :meth:`record` once the pack is published, so a run stopped before that leaves the
    register untouched. Crosses from the build's child process to the scheduler (picklable)."""

    plan: IssuePlan
    register_folder: Path
    workbook: Path
    review_id: str
    when: dt.datetime

    def record(self, files: list[Path]) -> list[Entry]:
        register = Register.load(self.register_folder)
        return record_issue(register, self.plan, issued_documents(files, self.review_id),
                            self.workbook, self.when)


def plan_build(data: WorkbookData, workbook: Path, target: Path, stage: Stage, when: dt.datetime, *,
               reissue: bool = False, change_note: str = "", loop_checked: bool = False,
               places: tuple[Path, ...] = ()) -> Issue:
    """The issue this build makes (raises :class:`~pipeline.register.IssueRefused`)."""
    review = data.review
    register = Register.load(target)
    approved = bool(review.get("Approved by")) and bool(review.get("Approved on"))
    plan = plan_issue(register, stage, data.sha256, str(review.get("Version") or "1.0"),
                      today=when.date(), meeting=review.meeting_date, approved=approved,
                      reissue=reissue, change_note=change_note)
    stamp, line = status_texts(data, plan.status, plan.version)
    control = Control(stamp, plan.status, plan.version, stage, retention_text(data),
                      open_items(data, loop_checked), approver=approver(data), words=line)
    control.workbooks.append(WorkbookRef(workbook.name, data.sha256, f"this {stage} build", True))
    issue = Issue(register, plan, line, control)
    if stage == "final":
        _circulated(issue, target, places)
    return issue


def _circulated(issue: Issue, target: Path, places: tuple[Path, ...]) -> None:
    """Find the agenda and pre-read as circulated; what cannot be found becomes 'missing'."""
    register, control = issue.register, issue.control
    for document, label in CIRCULATED:
        entry = register.current("pre-read", document)
        if entry is None:
            control.missing.append(f"the {label} as circulated: the issue register ({register.path.name}) "
                                   "records none; build the pre-read stage into this output folder first")
            continue
        path = find_issued(entry, [target, *places])
        if path is None:
            control.missing.append(f"the {label} v{entry.version} as circulated ({entry.file}, "
                                   f"SHA-256 {entry.sha256[:16]}…) is not in the review folder; put "
                                   "the circulated copy back")
            continue
        issue.circulated[document] = path
        control.documents[document] = MeetingDocument(document, path.name, entry.sha256,
                                                      entry.version, entry.status,
                                                      entry.workbook_sha256)
        if entry.workbook_sha256 not in {w.sha256 for w in control.workbooks}:
            _earlier_workbook(control, entry)


def _earlier_workbook(control: Control, entry: Entry) -> None:
    """Hash (and embed, when the file is still where it was) the workbook a circulated
    document was made from."""
    recorded = str(entry.extra.get("workbook_path", ""))
    path = Path(recorded) if recorded else None
    embedded = False
    if path is not None and path.is_file() and sha256_file(path) == entry.workbook_sha256:
        control.extra_workbooks[f"pre-read-workbook-{path.name}"] = path
        embedded = True
    control.workbooks.append(WorkbookRef(entry.workbook_file, entry.workbook_sha256,
                                         f"the {entry.document} v{entry.version} as circulated",
                                         embedded))
