"""Durable scheduler state: one JSON file beside the outputs, written atomically, guarded by a
lock so two schedulers never work on the same state.

The state is checked on load. A file that is not JSON, or JSON of the wrong shape, is kept
aside (renamed ``….corrupt-<time>``) and the state is rebuilt from the version folders — each
holds a ``version.json`` written with it — with a warning, so a damaged file never stops the
scheduler and never makes it issue versions again that it already made.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..faults import reported
from ..files import atomic_write_bytes

STATE_NAME = ".isms-review-schedule.json"
VERSION_FILE = "version.json"  # in each <output>/<name>/v<N>/, beside the pack's folder
REBUILT = "unknown (state rebuilt from the folders; not sent again)"
log = logging.getLogger("isms-review.schedule")

ENTRY_TYPES: dict[str, type] = {
    "version": int, "generated_at": str, "due": str, "workbook_sha256": str, "folder": str,
    "late": bool, "change_note": str, "files": list, "delivery": str}


class LockedError(UserError):
    """Another scheduler holds the state file's lock."""


def state_path(output: Path) -> Path:
    return output / STATE_NAME


def shape_problem(data: Any) -> str | None:
    """What is wrong with the shape of a loaded state, or None."""
    if not isinstance(data, dict) or not isinstance(data.get("reviews"), dict):
        return "it is not an object with 'reviews'"
    for name, record in data["reviews"].items():
        where = f"reviews → {name!r}"
        if not isinstance(record, dict) or not isinstance(record.get("versions"), list):
            return f"{where} has no list of 'versions'"
        for i, entry in enumerate(record["versions"]):
            if not isinstance(entry, dict):
                return f"{where} → versions[{i}] is not an object"
            for key, kind in ENTRY_TYPES.items():
                value = entry.get(key)
                if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
                    return f"{where} → versions[{i}] → {key!r} is missing or not a {_kind(kind)}"
            if i and entry["version"] <= record["versions"][i - 1]["version"]:
                return f"{where} → versions[{i}] → 'version' does not increase"
        failure = record.get("failure")
        if failure is not None and not (isinstance(failure, dict)
                                        and isinstance(failure.get("count"), int)
                                        and isinstance(failure.get("at"), str)
                                        and isinstance(failure.get("workbook_sha256"), str)):
            return f"{where} → 'failure' is not an object with 'count', 'at' and 'workbook_sha256'"
    return None


def _kind(kind: type) -> str:
    return {int: "whole number", str: "text", bool: "true/false", list: "list"}.get(kind, "value")


def load_state(path: Path, *, repair: bool = True) -> dict[str, Any]:
    """The state; a damaged one is set aside and rebuilt (``repair=False``, for `--list`
    without the lock: rebuilt in memory only, the file is left as it is)."""
    if not path.is_file():
        state = rebuild(path.parent) if path.parent.is_dir() else {"reviews": {}}
        if state["reviews"]:
            log.warning("%s: no scheduler state; rebuilt from the version folders (%s)", path,
                        ", ".join(f"{n}: {len(r['versions'])}" for n, r in state["reviews"].items()))
        return state
    with reported(path):
        raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        problem: str | None = f"it is not valid JSON ({exc})"
    else:
        problem = shape_problem(data)
    if problem is None:
        return data  # type: ignore[no-any-return]
    state = rebuild(path.parent)
    if not repair:
        log.warning("%s: the scheduler state is damaged (%s); the next run keeps it aside and "
                    "rebuilds it from the version folders", path, problem)
        return state
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    with reported(path):
        os.replace(path, aside)
    save_state(path, state)
    count = sum(len(r["versions"]) for r in state["reviews"].values())
    log.warning("%s: the scheduler state was damaged (%s); kept aside as %s and rebuilt from the "
                "version folders (%d version(s) found)", path, problem, aside.name, count)
    return state


def rebuild(output: Path) -> dict[str, Any]:
    """The state as the version folders ``<output>/<name>/v<N>/`` tell it."""
    reviews: dict[str, Any] = {}
    with contextlib.suppress(OSError):
        for base in sorted(p for p in output.iterdir() if p.is_dir() and not p.name.startswith(".")):
            versions = []
            for folder in base.iterdir():
                match = re.fullmatch(r"v(\d{1,9})", folder.name)
                if match and folder.is_dir() and not folder.is_symlink():
                    versions.append(_entry_from_folder(folder, int(match.group(1))))
            if versions:
                reviews[base.name] = {"versions": sorted(versions, key=lambda e: e["version"])}
    return {"reviews": reviews}


def _entry_from_folder(folder: Path, number: int) -> dict[str, Any]:
    with contextlib.suppress(OSError, ValueError, UnicodeDecodeError):
        entry = json.loads((folder / VERSION_FILE).read_text("utf-8"))
        if isinstance(entry, dict):
            entry.update(version=number)
            if entry.get("delivery") != "not configured":
                entry["delivery"] = REBUILT
            if shape_problem({"reviews": {"x": {"versions": [entry]}}}) is None:
                return entry
    packs = [p for p in folder.iterdir() if p.is_dir()]
    made = dt.datetime.fromtimestamp(folder.stat().st_mtime, dt.UTC)
    return {"version": number, "generated_at": made.isoformat(timespec="seconds"), "due": "",
            "workbook_sha256": "", "folder": str(packs[0] if packs else folder), "late": False,
            "change_note": "", "files": sorted(p.name for p in folder.rglob("*.pdf")),
            "delivery": REBUILT}


def save_state(path: Path, state: dict[str, Any]) -> None:
    atomic_write_bytes(path, json.dumps(state, indent=2, sort_keys=True).encode())


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path``.lock; fail at once if another scheduler holds it."""
    with reported(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(path) + ".lock", os.O_CREAT | os.O_RDWR, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockedError(f"{path}: another isms-review scheduler is running on this state "
                              "file; stop it first (or wait for it to finish).") from None
        yield
    finally:
        os.close(fd)
