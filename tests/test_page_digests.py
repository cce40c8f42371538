"""Per-page digests of a large file are hashed in two halves at once (the second in a forked
child): the result must be the digests one process gives, however the file is read, with
edits not yet saved, and when the child fails."""

from __future__ import annotations

import io
from pathlib import Path

import pikepdf
import pytest
from pikepdf import Array, Dictionary, Name

from pipeline.bundle import digests

PAGES = 450  # over SPLIT_PAGES


def _many_pages(path: Path) -> None:
    pdf = pikepdf.new()
    font = pdf.make_indirect(Dictionary(Type=Name.Font, Subtype=Name.Type1, BaseFont=Name.Helvetica))
    for n in range(PAGES):
        page = pdf.add_blank_page(page_size=(595, 842))
        page.obj.Resources = Dictionary(Font=Dictionary(F1=font))
        page.obj.Contents = pdf.make_stream(f"BT /F1 12 Tf 72 720 Td (page {n}) Tj ET".encode())
    for n, page in enumerate(pdf.pages):  # each page links to another: digests hold page numbers
        target = pdf.pages[(n * 7) % PAGES].obj
        page.obj.Annots = Array([pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Link, Rect=Array([0, 0, 10, 10]),
            Dest=Array([target, Name.Fit])))])
    pdf.save(path, compress_streams=True)


def _sequential(pdf: pikepdf.Pdf, first: int = 1) -> list[str]:
    return digests._digests(pdf, first, 0, len(pdf.pages))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("digests") / "big.pdf"
    _many_pages(path)
    return path


@pytest.mark.parametrize("mode", ["stream", "mmap", "memory"])
def test_two_halves_give_the_digests_of_one_process(big: Path, mode: str) -> None:
    def opened() -> pikepdf.Pdf:
        if mode == "memory":
            return pikepdf.open(io.BytesIO(big.read_bytes()))
        return pikepdf.open(big, access_mode=getattr(pikepdf.AccessMode, mode))

    with opened() as pdf:
        expected = _sequential(pdf)
    with opened() as pdf:  # fresh: nothing read yet, so both processes read the file at once
        split = digests.page_digests(pdf)
    assert split == expected
    assert len(set(split)) == PAGES  # every page differs: a shifted half would show
    with opened() as pdf:
        assert digests.page_digests(pdf, first=101) == _sequential(pdf, 101) != expected


def test_edits_not_yet_saved_are_hashed_in_the_child_too(big: Path) -> None:
    with pikepdf.open(big, access_mode=pikepdf.AccessMode.stream) as pdf:
        before = digests.page_digests(pdf)
        last = list(pdf.pages)[-1]
        last.obj.Contents = pdf.make_stream(b"BT /F1 12 Tf 72 700 Td (changed) Tj ET")
        after = digests.page_digests(pdf)
    assert after[:-1] == before[:-1] and after[-1] != before[-1]


def test_a_failing_child_leaves_the_work_to_this_process(big: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(*_args: object) -> list[str]:
        raise RuntimeError("the child failed")

    with pikepdf.open(big, access_mode=pikepdf.AccessMode.stream) as pdf:
        expected = _sequential(pdf)
    monkeypatch.setattr(digests, "_second_half", broken)
    with pikepdf.open(big, access_mode=pikepdf.AccessMode.stream) as pdf:
        assert digests.page_digests(pdf) == expected


def test_no_process_to_be_had_means_one_process(big: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refused(*_args: object, **_kwargs: object) -> None:
        raise OSError("fork refused")

    with pikepdf.open(big) as pdf:
        expected = _sequential(pdf)
    monkeypatch.setattr(digests, "Child", refused)
    with pikepdf.open(big) as pdf:
        assert digests.page_digests(pdf) == expected


def test_a_pdf_that_does_not_say_what_it_reads_from_is_not_forked(
        big: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("forked")

    with pikepdf.open(big) as source:
        made = pikepdf.new()  # built in memory: pikepdf records no input stream
        made.pages.extend(source.pages)
        monkeypatch.setattr(digests, "Child", never)
        assert not hasattr(made, "_input_stream")
        assert digests.page_digests(made) == _sequential(made)
        assert len(set(digests.page_digests(made))) == PAGES
