"""Per-page digests of a large file are hashed in two halves at once (the second in a forked
child): the result must be the digests one process gives, however the file is read, with
edits not yet saved, and when the child fails. And what a digest must cover: how raw image
bytes are decoded, content nested deep in forms, any signature widget but the one signing adds."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

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
    return digests._digests(pdf, (first, digests.SCHEME, None), 0, len(pdf.pages))


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


def _one_page(content_resources: Dictionary | None = None) -> pikepdf.Pdf:
    pdf = pikepdf.new()
    page = pdf.add_blank_page(page_size=(595, 842))
    if content_resources is not None:
        page.obj.Resources = content_resources
    return pdf


def _jpeg_page() -> pikepdf.Pdf:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "JPEG")
    pdf = _one_page()
    image = pdf.make_stream(buffer.getvalue(), Type=Name.XObject, Subtype=Name.Image, Width=40,
                            Height=30, ColorSpace=Name.DeviceRGB, BitsPerComponent=8,
                            Filter=Name.DCTDecode)
    page = pdf.pages[0]
    page.obj.Resources = Dictionary(XObject=Dictionary(Im0=image))
    page.obj.Contents = pdf.make_stream(b"q 400 0 0 300 100 400 cm /Im0 Do Q")
    return pdf


def test_how_raw_image_bytes_are_decoded_is_part_of_the_digest() -> None:
    # qpdf cannot decode a JPEG, so its raw bytes are hashed: its /DecodeParms (a colour
    # transform turned off shows other colours) and /Filter must be hashed with them
    with _jpeg_page() as pdf:
        image = pdf.pages[0].obj.Resources.XObject.Im0
        before = digests.page_digests(pdf)
        old_before = digests.page_digests(pdf, scheme=1)
        image.DecodeParms = Dictionary(ColorTransform=0)
        assert digests.page_digests(pdf) != before
        assert digests.page_digests(pdf, scheme=1) == old_before  # what earlier bundles missed
        del image["/DecodeParms"]
        assert digests.page_digests(pdf) == before
        image.Filter = Name.JPXDecode
        assert digests.page_digests(pdf) != before


def test_content_nested_deep_in_forms_is_hashed() -> None:
    def nested(text: bytes, levels: int) -> tuple[pikepdf.Pdf, Any]:
        pdf = _one_page()
        inner = pdf.make_stream(b"BT /F1 12 Tf 72 720 Td (" + text + b") Tj ET", Type=Name.XObject,
                                Subtype=Name.Form, BBox=Array([0, 0, 595, 842]))
        innermost = inner
        for _ in range(levels):
            inner = pdf.make_stream(b"/Fx Do", Type=Name.XObject, Subtype=Name.Form,
                                    BBox=Array([0, 0, 595, 842]),
                                    Resources=Dictionary(XObject=Dictionary(Fx=inner)))
        page = pdf.pages[0]
        page.obj.Resources = Dictionary(XObject=Dictionary(Fx=inner))
        page.obj.Contents = pdf.make_stream(b"/Fx Do")
        return pdf, innermost

    pdf, innermost = nested(b"IP-3 APPROVED", 60)
    with pdf:
        before = digests.page_digests(pdf)
        innermost.write(b"BT /F1 12 Tf 72 720 Td (IP-3 REJECTED) Tj ET")
        assert digests.page_digests(pdf) != before


def test_only_the_signature_widget_signing_adds_is_left_out() -> None:
    box = (350.0, 60.0, 560.0, 130.0)

    def with_widget(page_index: int, rect: tuple[float, ...]) -> pikepdf.Pdf:
        pdf = pikepdf.new()
        for _ in range(2):
            pdf.add_blank_page(page_size=(595, 842))
        overlay = pdf.make_stream(b"1 g 0 0 595 842 re f 0 g BT /F1 30 Tf 72 400 Td (FORGED) Tj ET",
                                  Type=Name.XObject, Subtype=Name.Form, BBox=Array([0, 0, 595, 842]))
        widget = pdf.make_indirect(Dictionary(
            Type=Name.Annot, Subtype=Name.Widget, FT=Name.Sig, T=pikepdf.String("ISMSReviewApproval"),
            Rect=Array(list(rect)), AP=Dictionary(N=overlay)))
        list(pdf.pages)[page_index].obj.Annots = Array([widget])
        return pdf

    with pikepdf.new() as plain:
        for _ in range(2):
            plain.add_blank_page(page_size=(595, 842))
        clean = digests.page_digests(plain, signature=(2, box))
    with with_widget(1, box) as signed:  # the approver's, on the signature page, in its box
        assert digests.page_digests(signed, signature=(2, box)) == clean
    with with_widget(0, box) as elsewhere:  # a forger's: another page
        assert digests.page_digests(elsewhere, signature=(2, box))[0] != clean[0]
    with with_widget(1, (0.0, 0.0, 595.0, 842.0)) as covering:  # the page, not the box
        assert digests.page_digests(covering, signature=(2, box))[1] != clean[1]
    with with_widget(1, box) as unknown:  # no signature box in the manifest: nothing left out
        assert digests.page_digests(unknown)[1] != clean[1]


def test_every_key_of_a_page_is_part_of_its_digest() -> None:
    with _one_page() as pdf:
        page = pdf.pages[0].obj
        before, old_before = digests.page_digests(pdf), digests.page_digests(pdf, scheme=1)
        page.Thumb = pdf.make_stream(b"\x00" * 12, Width=2, Height=2, ColorSpace=Name.DeviceRGB,
                                     BitsPerComponent=8)
        assert digests.page_digests(pdf) != before
        assert digests.page_digests(pdf, scheme=1) == old_before  # what earlier bundles missed
        del page["/Thumb"]
        page.Tabs = Name.S
        assert digests.page_digests(pdf) != before
