"""The one options object a build is described by, whether the CLI or the scheduler starts it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..bundle.options import BundleOptions
from ..workbook.validate import Stage
from ..workdays import HolidayCalendar

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True)
class BuildOptions:
    workbook: Path
    evidence: Path | None
    out: Path
    stage: Stage = "pre-read"
    templates: Path | None = None
    minutes: int = 90
    previous: Path | None = None
    allow_incomplete: bool = False
    progress: Progress = _quiet
    holidays: HolidayCalendar | None = None  # the scheduler's override of the workbook's calendar
    bundle: BundleOptions = field(default_factory=BundleOptions)  # evidence opt-ins and limits
    reissue: bool = False  # re-issue a pre-read after the meeting / once final minutes exist
    change_note: str = ""  # why this version was re-issued (recorded in the issue register)
