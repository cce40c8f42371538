"""The issue register of one review: every document issued, signed or made stale, in order.

``<out>/<Review ID>/issue-register.jsonl`` holds one JSON object per line. It is append-only:
a new version of the file is written beside it and renamed into place only when its existing
lines are exactly the old file's, so history can grow but never change; each line also carries
the SHA-256 of the line before it, so an edit anywhere breaks the chain and is reported.

Document control rules (:func:`plan_issue`):

- pre-read stage (agenda, pre-read, minutes form): issued for circulation. Rebuilt from the
  same workbook before the meeting it keeps its version; from a changed workbook it is
  re-issued as the next minor version (1.0 → 1.1) with a change note. After the meeting, or
  once final minutes were issued, rebuilding it is refused unless ``reissue`` is given, and
  that re-issue is recorded as such.
- final stage (minutes, bundle): a *draft* until the workbook records the approval, then the
  *record*. Rebuilt from a changed workbook it becomes the next version, and any signature on
  an earlier version is recorded as stale rather than carried over.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .errors import UserError
from .files import atomic_write_bytes
from .status import status_words

REGISTER = "issue-register.jsonl"
Stage = Literal["pre-read", "final"]
STAGE_DOCUMENTS: dict[str, tuple[str, ...]] = {
    "pre-read": ("agenda", "pre-read", "minutes-form", "pre-read-bundle"),
    "final": ("minutes", "bundle"),
}
FIELDS = ("seq", "time", "event", "stage", "document", "file", "version", "status", "sha256",
          "workbook_file", "workbook_sha256", "note", "previous")


class RegisterError(UserError):
    """The register is unreadable or was edited: nothing is issued until it is sorted out."""


class IssueRefused(UserError):
    """This rebuild would replace a document that was already circulated or recorded."""


@dataclass(frozen=True)
class Entry:
    seq: int
    time: str
    event: str      # issued | reissued | signed | stale
    stage: str
    document: str
    file: str
    version: str
    status: str     # circulated | draft | record
    sha256: str
    workbook_file: str
    workbook_sha256: str
    note: str
    previous: str   # SHA-256 of the line before (the first line: "")
    extra: dict[str, Any]

    def line(self) -> str:
        body = {name: getattr(self, name) for name in FIELDS}
        body.update(self.extra)
        return json.dumps(body, ensure_ascii=False, sort_keys=False)


def _entry(raw: Any, where: str) -> Entry:
    if not isinstance(raw, dict):
        raise RegisterError(f"{where}: not a register entry (a JSON object per line is expected).")
    values: dict[str, Any] = {}
    for name in FIELDS:
        value = raw.get(name)
        if name == "seq":
            if not isinstance(value, int) or isinstance(value, bool):
                raise RegisterError(f"{where}: 'seq' must be a whole number.")
        elif not isinstance(value, str):
            raise RegisterError(f"{where}: '{name}' is missing or not text.")
        values[name] = value
    extra = {k: v for k, v in raw.items() if k not in FIELDS}
    return Entry(**values, extra=extra)


@dataclass
class Register:
    path: Path
    entries: list[Entry]
    raw: bytes

    @classmethod
    def load(cls, folder: Path) -> Register:
        path = folder / REGISTER
        if not path.exists():
            return cls(path, [], b"")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise RegisterError(f"{path}: cannot be read ({exc.strerror}).") from None
        entries: list[Entry] = []
        previous = ""
        for number, line in enumerate(raw.splitlines(), start=1):
            where = f"{path} line {number}"
            try:
                entry = _entry(json.loads(line), where)
            except (ValueError, UnicodeDecodeError):
                raise RegisterError(f"{where}: not valid JSON; restore the register from its "
                                    "backup; it must never be edited by hand.") from None
            if entry.previous != previous or entry.seq != number:
                raise RegisterError(f"{where}: the register was edited (its chain of hashes breaks "
                                    "here); restore it from its backup.")
            previous = hashlib.sha256(line).hexdigest()
            entries.append(entry)
        if raw and not raw.endswith(b"\n"):
            raise RegisterError(f"{path}: the last line is cut short; restore the register from "
                                "its backup.")
        return cls(path, entries, raw)

    # --------------------------------------------------------------------------- queries
    def of_stage(self, stage: str) -> list[Entry]:
        return [e for e in self.entries if e.stage == stage and e.event in ("issued", "reissued")]

    def latest_version(self, stage: str) -> str | None:
        issued = self.of_stage(stage)
        return issued[-1].version if issued else None

    def current(self, stage: str, document: str) -> Entry | None:
        """The latest issue of one document."""
        found = [e for e in self.of_stage(stage) if e.document == document]
        return found[-1] if found else None

    def by_hash(self, sha256: str) -> list[Entry]:
        return [e for e in self.entries if e.sha256 == sha256 or e.extra.get("signed_from") == sha256]

    def stale_signature(self, sha256: str) -> Entry | None:
        """The 'stale' entry that made the approval on this signed file stale, if any."""
        for entry in self.entries:
            if entry.event == "stale" and entry.extra.get("signed_sha256") == sha256:
                return entry
        return None

    # ---------------------------------------------------------------------------- append
    def append(self, items: Iterable[dict[str, Any]]) -> list[Entry]:
        """Add entries (atomically: the new file replaces the old only when complete, and
        only if the file on disk is still the one read)."""
        on_disk = self.path.read_bytes() if self.path.exists() else b""
        if on_disk != self.raw:
            raise RegisterError(f"{self.path}: changed while this build ran; run it again.")
        lines = self.raw.splitlines()
        previous = hashlib.sha256(lines[-1]).hexdigest() if lines else ""
        added: list[Entry] = []
        text = self.raw
        for item in items:
            values = {name: item.get(name, "") for name in FIELDS if name not in ("seq", "previous")}
            extra = {k: v for k, v in item.items() if k not in FIELDS}
            entry = Entry(seq=len(self.entries) + len(added) + 1, previous=previous, extra=extra,
                          **values)
            line = entry.line().encode()
            text += line + b"\n"
            previous = hashlib.sha256(line).hexdigest()
            added.append(entry)
        if added:
            atomic_write_bytes(self.path, text)
            self.entries += added
            self.raw = text
        return added


# ------------------------------------------------------------------------------- planning


@dataclass(frozen=True)
class IssuePlan:
    stage: Stage
    version: str
    status: str               # circulated | draft | record
    event: str                # issued | reissued | unchanged
    note: str                 # the change note ("" for a first issue)
    stale: tuple[Entry, ...]  # signatures on earlier versions that this issue makes stale
    workbook_sha256: str

    @property
    def label(self) -> str:
        return {"circulated": "PRE-READ", "draft": "DRAFT", "record": "RECORD"}[self.status]


def _parts(version: str) -> tuple[int, int] | None:
    found = re.fullmatch(r"\s*v?(\d+)(?:\.(\d+))?\s*", version or "")
    return (int(found.group(1)), int(found.group(2) or 0)) if found else None


def next_version(last: str | None, declared: str) -> str:
    """The version after ``last``: its next minor, or the workbook's declared version when
    that is higher (a new major the owner chose)."""
    mine = _parts(declared) or (1, 0)
    if last is None:
        return f"{mine[0]}.{mine[1]}"
    previous = _parts(last) or (1, 0)
    bumped = (previous[0], previous[1] + 1)
    return f"{max(bumped, mine)[0]}.{max(bumped, mine)[1]}"


def meeting_over(meeting: dt.date | None, today: dt.date) -> bool:
    """Whether the meeting day has passed (the one rule of build, its note and the scheduler:
    after it a pre-read is circulated only as a re-issue)."""
    return isinstance(meeting, dt.date) and today > meeting


def plan_issue(register: Register, stage: Stage, workbook_sha256: str, declared: str, *,
               today: dt.date, meeting: dt.date | None, approved: bool, reissue: bool = False,
               change_note: str = "") -> IssuePlan:
    """Decide the version and status of this build, or refuse it (:class:`IssueRefused`)."""
    issued = register.of_stage(stage)
    last = issued[-1] if issued else None
    status = "circulated" if stage == "pre-read" else ("record" if approved else "draft")
    if last is None:
        return IssuePlan(stage, next_version(None, declared), status, "issued", change_note, (),
                         workbook_sha256)
    if stage == "pre-read":
        finals = register.of_stage("final")
        after = meeting_over(meeting, today)
        if (finals or after) and not reissue:
            why = (f"final minutes v{finals[-1].version} were issued on {finals[-1].time[:10]}"
                   if finals else f"the meeting of {meeting:%d %B %Y} has taken place")
            raise IssueRefused(
                f"{register.path}: the pre-read v{last.version} was circulated on {last.time[:10]} and "
                f"{why}; rebuilding it would replace what the meeting saw. Build with --reissue "
                "(and --change-note \"why\") to issue a new version, recorded as a re-issue.")
        if reissue:
            note = change_note or "re-issued on request (--reissue)"
            if finals or after:
                note += " after the meeting" if after else " after the final minutes were issued"
            return IssuePlan(stage, next_version(last.version, declared), status, "reissued",
                             note, (), workbook_sha256)
    if last.workbook_sha256 == workbook_sha256 and not reissue:
        return IssuePlan(stage, last.version, status, "unchanged", change_note, (), workbook_sha256)
    note = change_note or (f"rebuilt from a changed workbook (SHA-256 {last.workbook_sha256[:12]}… "
                           f"→ {workbook_sha256[:12]}…)")
    stale = tuple(e for e in register.entries if e.event == "signed" and e.stage == stage
                  and e.workbook_sha256 != workbook_sha256 and register.stale_signature(e.sha256) is None)
    return IssuePlan(stage, next_version(last.version, declared), status, "reissued", note, stale,
                     workbook_sha256)


def stamp_line(plan: IssuePlan, *, meeting: str, approved_by: str, approved_on: str) -> str:
    return status_words(plan.status, plan.version, meeting=meeting, approved_by=approved_by,
                        approved_on=approved_on)


def issue_entries(plan: IssuePlan, documents: dict[str, Path], workbook: Path, when: dt.datetime,
                  extra: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Register lines for the documents of this issue (plus 'stale' lines for the approvals
    it makes stale). A rebuild that changed nothing issued adds only files whose bytes are new."""
    stamp = when.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")
    lines: list[dict[str, Any]] = []
    for signed in plan.stale:
        lines.append({"time": stamp, "event": "stale", "stage": signed.stage, "document": signed.document,
                      "file": signed.file, "version": signed.version, "status": signed.status,
                      "sha256": signed.sha256, "workbook_file": workbook.name,
                      "workbook_sha256": plan.workbook_sha256,
                      "note": (f"the approval signed by {signed.extra.get('signer', 'the approver')} "
                               f"for v{signed.version} is stale: v{plan.version} was built from a "
                               "changed workbook"),
                      "signed_sha256": signed.sha256})
    event = "issued" if plan.event == "unchanged" else plan.event
    for document, path in documents.items():
        lines.append({"time": stamp, "event": event, "stage": plan.stage, "document": document,
                      "file": path.name, "version": plan.version, "status": plan.status,
                      "sha256": sha256_file(path), "workbook_file": workbook.name,
                      "workbook_sha256": plan.workbook_sha256, "note": plan.note,
                      "workbook_path": str(workbook.resolve()), **(extra or {})})
    return lines


def record_issue(register: Register, plan: IssuePlan, documents: dict[str, Path], workbook: Path,
                 when: dt.datetime, extra: dict[str, Any] | None = None) -> list[Entry]:
    known = {e.sha256 for e in register.entries}
    lines = [line for line in issue_entries(plan, documents, workbook, when, extra)
             if line["event"] == "stale" or line["sha256"] not in known]
    return register.append(lines)


def sha256_file(path: Path) -> str:
    with path.open("rb") as fh:
        return hashlib.file_digest(fh, "sha256").hexdigest()


def find_issued(entry: Entry, places: Iterable[Path]) -> Path | None:
    """A file with the entry's SHA-256 among ``places`` (folders searched one level deep and
    in their subfolders, e.g. versioned pack folders)."""
    for folder in places:
        if not folder.is_dir():
            continue
        candidates = [folder / entry.file, *sorted(folder.glob(f"*/{entry.file}")),
                      *sorted(p for p in folder.glob("*.pdf") if p.name != entry.file)]
        for candidate in candidates:
            if candidate.is_file() and sha256_file(candidate) == entry.sha256:
                return candidate
    return None
