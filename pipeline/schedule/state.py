"""Durable scheduler state: one JSON file beside the outputs, written atomically, guarded by a
lock so two schedulers never work on the same state."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import UserError
from ..files import atomic_write_bytes

STATE_NAME = ".isms-review-schedule.json"


class LockedError(UserError):
    """Another scheduler holds the state file's lock."""


def state_path(output: Path) -> Path:
    return output / STATE_NAME


def load_state(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {"reviews": {}}
    try:
        data = json.loads(path.read_text("utf-8"))
    except (ValueError, OSError) as exc:
        raise UserError(f"{path}: the scheduler state cannot be read ({exc}); restore it from "
                        "backup or move it aside to start afresh (versions already made stay).") from None
    data.setdefault("reviews", {})
    return data  # type: ignore[no-any-return]


def save_state(path: Path, state: dict[str, Any]) -> None:
    atomic_write_bytes(path, json.dumps(state, indent=2, sort_keys=True).encode())


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``path``.lock; fail at once if another scheduler holds it."""
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
