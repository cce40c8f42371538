"""The example review built as a user would (pre-read, then final minutes), once per session,
for the document-control, PDF/A and approval tests. Tests that change it work on a copy."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from .conftest import EVIDENCE, FINAL, GOOD, run_cli

RID = "MR-2026-H2"
EPOCH = "1765000000"  # 6 December 2025: before the example's meeting (11 December 2026)


@dataclass
class Pack:
    out: Path      # the --out folder
    folder: Path   # <out>/<Review ID>

    def file(self, suffix: str) -> Path:
        return self.folder / f"{RID}-{suffix}"

    def copy(self, tmp: Path) -> Pack:
        shutil.copytree(self.out, tmp / "out")
        return Pack(tmp / "out", tmp / "out" / RID)


def build(out: Path, workbook: Path = GOOD, *args: str) -> tuple[int, str, str]:
    return run_cli("build", str(workbook), "--evidence", str(EVIDENCE), "--out", str(out), *args)


@pytest.fixture(scope="session")
def example_pack(tmp_path_factory: pytest.TempPathFactory) -> Pack:
    out = tmp_path_factory.mktemp("example") / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", EPOCH)
        code, _, err = build(out)
        assert code == 0, err
        code, _, err = build(out, FINAL, "--stage", "final")
        assert code == 0, err
    return Pack(out, out / RID)
