"""Cut font programs are kept between runs: what is read back is exactly what cutting gives
(the bundle's bytes do not depend on the cache), and a damaged or unwritable cache only means
cutting again."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline.bundle import fonts
from pipeline.bundle.pages import DEJAVU as FONTS

DEJAVU = FONTS / "DejaVuSans.ttf"


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    folder = tmp_path / "fonts"
    monkeypatch.setattr(fonts, "CACHE", folder)
    fonts.program.cache_clear()
    yield folder
    fonts.program.cache_clear()


def _same(a: fonts.Program, b: fonts.Program) -> bool:
    return (a.__dict__ == b.__dict__ and list(a.cmap.items()) == list(b.cmap.items())
            and list(a.widths.items()) == list(b.widths.items()))


def test_a_kept_program_reads_back_as_cut(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cut = fonts._cut(DEJAVU)
    assert _same(fonts.program(DEJAVU), cut)
    assert len(list(cache.glob("*.json"))) == 1
    fonts.program.cache_clear()

    def not_again(path: Path) -> fonts.Program:
        raise AssertionError(f"{path} cut again")

    monkeypatch.setattr(fonts, "_cut", not_again)
    assert _same(fonts.program(DEJAVU), cut)  # read back, not cut


@pytest.mark.parametrize("damage", ["not json", "truncated", "other program"])
def test_a_damaged_entry_is_cut_again(cache: Path, damage: str) -> None:
    cut = fonts.program(DEJAVU)
    (entry,) = cache.glob("*.json")
    if damage == "not json":
        entry.write_text("{", encoding="utf-8")
    elif damage == "truncated":
        data = json.loads(entry.read_text(encoding="utf-8"))
        del data["cmap"]
        entry.write_text(json.dumps(data), encoding="utf-8")
    else:  # a program that does not carry its own tag: not what this run would cut
        data = json.loads(entry.read_text(encoding="utf-8"))
        data["data"] = "AAAA"
        entry.write_text(json.dumps(data), encoding="utf-8")
    fonts.program.cache_clear()
    assert _same(fonts.program(DEJAVU), cut)


def test_an_unwritable_cache_only_means_cutting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder", encoding="utf-8")
    monkeypatch.setattr(fonts, "CACHE", blocker / "fonts")  # mkdir fails: a file is in the way
    fonts.program.cache_clear()
    try:
        assert _same(fonts.program(DEJAVU), fonts._cut(DEJAVU))
    finally:
        fonts.program.cache_clear()


def test_the_cache_folder_follows_xdg_and_is_none_without_a_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline.files import user_cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert user_cache("fonts") == tmp_path / "xdg" / "isms-review" / "fonts"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache("fonts") == tmp_path / "home" / ".cache" / "isms-review" / "fonts"

    def homeless() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", staticmethod(homeless))
    assert user_cache("fonts") is None
    monkeypatch.setattr(fonts, "CACHE", None)  # no cache: fonts are cut, nothing is written
    fonts.program.cache_clear()
    try:
        assert _same(fonts.program(DEJAVU), fonts._cut(DEJAVU))
    finally:
        fonts.program.cache_clear()
