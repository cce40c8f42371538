"""A bundle over --volume-size: volumes numbered as one, each with its volume table, all of them
recorded in the manifest and checked by verify (issue 14)."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pdfplumber
import pikepdf
import pytest

from . import awkward_pdfs as make
from .bundles import RID, small_workbook
from .conftest import run_cli

STAMP = re.compile(rb"\(\s?\xb7 Page (\d+) of (\d+)\) Tj")


def _stamp(page: pikepdf.Page) -> tuple[int, int]:
    streams = list(page.obj.Contents)  # the stamp: first on a source's page, last on our own
    found = STAMP.search(streams[0].read_bytes()) or STAMP.search(streams[-1].read_bytes())
    assert found, "page without a stamp"
    return int(found.group(1)), int(found.group(2))


def _bundle(tmp: Path, workbook: Path, evidence: Path, *extra: str) -> Path:
    code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out",
                           str(tmp), *extra)
    assert code == 0, err
    return tmp / RID


@pytest.fixture(scope="module")
def split(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    """The small bundle (three evidence files) at a volume size that fits one file a volume;
    also returns the workbook and evidence folder."""
    tmp = tmp_path_factory.mktemp("volumes")
    workbook, evidence = small_workbook(tmp)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SOURCE_DATE_EPOCH", "1765000000")
        folder = _bundle(tmp / "out", workbook, evidence, "--volume-size", "30kB")
    return folder, workbook, evidence


def _volumes(folder: Path) -> list[Path]:
    return sorted(folder.glob(f"{RID}-bundle-vol*-of-*.pdf"))


def test_a_bundle_over_the_size_is_split_into_volumes_numbered_as_one(split: tuple[Path, Path, Path]) -> None:
    folder = split[0]
    volumes = _volumes(folder)
    count = len(volumes)
    assert count >= 2 and not (folder / f"{RID}-bundle.pdf").exists()
    assert [v.name for v in volumes] == [f"{RID}-bundle-vol{k}-of-{count}.pdf" for k in range(1, count + 1)]
    sidecar = json.loads((folder / f"{RID}-bundle-manifest.json").read_text("utf-8"))
    recorded = sidecar["bundle"]["volumes"]
    following, total = 1, sidecar["pages"]
    for k, path in enumerate(volumes, start=1):
        with pikepdf.open(path) as pdf:
            stamps = [_stamp(page) for page in pdf.pages]
            assert stamps == [(n, total) for n in range(following, following + len(pdf.pages))]
            assert pdf.Root.PageLabels.Nums[1].St == following  # the viewer shows the stamped number
            entry = recorded[k - 1]
            assert (entry["file"], entry["first_page"], entry["last_page"]) == \
                (path.name, following, following + len(pdf.pages) - 1)
            assert "manifest.json" in pdf.attachments
        following += len(stamps)
        with pdfplumber.open(path) as plumber:
            text = "".join(page.extract_text() or "" for page in plumber.pages)
        assert f"Volume {k} of {count}" in text
        if k == 1:
            assert f"this is volume 1 of {count}" in " ".join(text.split())  # on the cover
        for other in volumes:  # every volume lists what every volume holds
            assert other.name in text
    assert following == total + 1
    embedded = [{k: v for k, v in e.items() if k != "attachments"} for e in sidecar["volumes"]]
    assert embedded == [{k: v for k, v in e.items() if k not in ("sha256", "bytes")} for e in recorded]
    files = {f["evidence_ids"][0]: f for f in sidecar["files"]}
    for eid in ("EV-A", "EV-B", "EV-C"):  # no evidence file cut across two volumes
        first, last = files[eid]["first_page"], files[eid]["first_page"] + files[eid]["pages"] - 1
        assert any(e["first_page"] <= first and last <= e["last_page"] for e in recorded), eid


def test_links_into_another_volume_open_that_volume(split: tuple[Path, Path, Path]) -> None:
    volumes = _volumes(split[0])
    with pikepdf.open(volumes[0]) as pdf:
        remote = [a.A for page in pdf.pages for a in page.obj.get("/Annots", [])
                  if "/A" in a and a.A.get("/S") == pikepdf.Name.GoToR]
        assert remote and {str(a.F) for a in remote} <= {v.name for v in volumes[1:]}
        local = [a.Dest for page in pdf.pages for a in page.obj.get("/Annots", []) if "/Dest" in a]
        pages = {page.obj.objgen for page in pdf.pages}
        assert local and all(d[0].objgen in pages for d in local)


def test_verify_checks_every_volume(split: tuple[Path, Path, Path]) -> None:
    for path in _volumes(split[0]):
        code, out, err = run_cli("verify", str(path), "--json")
        report = json.loads(out)
        assert report["verdict"] == "unsigned" and code == 4, (report["problems"], err)
        assert any("volumes; all" in n for n in report["notes"])


def _copy(folder: Path, target: Path) -> Path:
    shutil.copytree(folder, target)
    return target


def test_verify_names_a_missing_volume(split: tuple[Path, Path, Path], tmp_path: Path) -> None:
    folder = _copy(split[0], tmp_path / "copy")
    volumes = _volumes(folder)
    volumes[-1].unlink()
    code, out, _ = run_cli("verify", str(volumes[0]))
    assert code == 1
    assert f"FAIL: volume {len(volumes)} of {len(volumes)} ({volumes[-1].name}) is missing" in out


def test_verify_names_an_altered_volume(split: tuple[Path, Path, Path], tmp_path: Path) -> None:
    folder = _copy(split[0], tmp_path / "copy")
    volumes = _volumes(folder)
    with pikepdf.open(volumes[1], allow_overwriting_input=True) as pdf:
        page = pdf.pages[-1]
        page.obj.Contents = pikepdf.Array([*page.obj.Contents, pdf.make_stream(b"BT ET")])
        page.obj.Contents = pikepdf.Array([pdf.make_stream(b"q 1 0 0 rg 0 0 50 50 re f Q"),
                                           *page.obj.Contents])
        pdf.save(volumes[1])
    code, out, _ = run_cli("verify", str(volumes[0]))
    assert code == 1
    name = f"volume 2 of {len(volumes)} ({volumes[1].name})"
    assert f"FAIL: {name}: the file's SHA-256 differs" in out
    assert re.search(rf"FAIL: page \d+, {re.escape(name)}, .*differs from its digest", out), out
    code, out, _ = run_cli("verify", str(volumes[1]))  # the altered volume itself
    assert code == 1 and "SHA-256 differs" in out


def test_a_file_alone_over_the_size_gets_a_volume_of_its_own(tmp_path: Path) -> None:
    workbook, evidence = small_workbook(tmp_path)
    (evidence / "b.pdf").write_bytes(make.text_pdf(400, "EV-B Risk register"))
    assert (evidence / "b.pdf").stat().st_size > 60_000
    code, out, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out",
                             str(tmp_path / "out"), "--volume-size", "60kB", "--json")
    assert code == 0, err
    report = json.loads(out)
    assert any("EV-B" in f["message"] and "volume of its own" in f["message"]
               for f in report["findings"])
    sidecar = json.loads((tmp_path / "out" / RID / f"{RID}-bundle-manifest.json").read_text("utf-8"))
    files = {f["evidence_ids"][0]: f for f in sidecar["files"]}
    ev_b = files["EV-B"]
    home = [v for v in sidecar["volumes"]
            if v["first_page"] <= ev_b["first_page"] <= v["last_page"]]
    assert len(home) == 1
    others = [eid for eid in ("EV-A", "EV-C")
              if home[0]["first_page"] <= files[eid]["first_page"] <= home[0]["last_page"]]
    assert not others  # nothing else shares the oversized file's volume


def test_a_bundle_within_the_size_is_the_bundle_made_without_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    workbook, evidence = small_workbook(tmp_path)
    plain = _bundle(tmp_path / "plain", workbook, evidence) / f"{RID}-bundle.pdf"
    roomy = _bundle(tmp_path / "roomy", workbook, evidence, "--volume-size", "2GB")
    assert not _volumes(roomy)
    assert (roomy / plain.name).read_bytes() == plain.read_bytes()


@pytest.mark.parametrize("value", ["lots", "0", "-5MB", "2 parsecs"])
def test_a_bad_volume_size_is_a_usage_error(tmp_path: Path, value: str) -> None:
    workbook, evidence = small_workbook(tmp_path)
    code, out, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out",
                             str(tmp_path), "--volume-size", value)
    assert code == 2, (out, err)
    assert "'--volume-size'" in err and f"'{value}'" in err, err
    assert "500MB" in err or "more than zero" in err, err
    assert "Traceback" not in err and err.count("Error") == 1
    code, _, err = run_cli("build", str(workbook), "--evidence", str(evidence), "--out",
                           str(tmp_path), "--volume-size", value)
    assert code == 2 and "--volume-size" in err


def test_volume_size_accepts_sizes_and_bytes() -> None:
    from pipeline.bundle.options import parse_size

    assert parse_size("500MB", "--volume-size") == 500_000_000
    assert parse_size("2GB", "--volume-size") == 2_000_000_000
    assert parse_size("1.5g", "--volume-size") == 1_500_000_000
    assert parse_size("750000000", "--volume-size", plain=1) == 750_000_000
    assert parse_size("4096B", "--volume-size", plain=1) == 4096


def test_volume_assignment_keeps_separators_with_their_first_document() -> None:
    from pipeline.bundle.volumes import assign

    # sep, doc, doc, sep, doc: a volume may start at a doc after another doc, or at a sep
    which, oversize = assign([1, 40, 40, 1, 40], [True, False, True, True, False], 100)
    assert which == [0, 0, 0, 1, 1] and oversize == []
    which, oversize = assign([1, 40, 300, 40], [True, False, True, True], 100)
    assert which == [0, 0, 1, 2] and oversize == [2]
    assert assign([300], [True], 100, fixed=50) == ([0], [0])  # volume 1 is never only front matter


def test_build_publishes_and_records_every_volume(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1765000000")
    workbook, evidence = small_workbook(tmp_path)
    code, _, err = run_cli("build", str(workbook), "--evidence", str(evidence), "--out",
                           str(tmp_path / "out"), "--volume-size", "100kB")
    assert code == 0, err
    pack = tmp_path / "out" / RID / "pre-read-v1"
    volumes = sorted(pack.glob(f"{RID}-pre-read-bundle-vol*-of-*.pdf"))
    assert len(volumes) >= 2 and not (pack / f"{RID}-pre-read-bundle.pdf").exists()
    register = [json.loads(line) for line in
                (tmp_path / "out" / RID / "issue-register.jsonl").read_text("utf-8").splitlines()]
    recorded = {e["file"] for e in register if e["document"].startswith("pre-read-bundle")}
    assert recorded == {v.name for v in volumes}
    code, out, _ = run_cli("verify", str(volumes[-1]), "--json")
    assert code == 4 and json.loads(out)["verdict"] == "unsigned", out


def test_signing_a_volume_is_refused_for_now(split: tuple[Path, Path, Path], tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ISMS_REVIEW_SIGN_PASSWORD", "unused")
    folder = _copy(split[0], tmp_path / "copy")
    volume = _volumes(folder)[0]
    before = volume.read_bytes()
    code, _, err = run_cli("sign", str(volume), "--key", str(tmp_path / "key.p12"))
    assert code == 1 and "in volumes" in err and "not supported yet" in err, err
    assert volume.read_bytes() == before
    workbook, evidence = split[1], split[2]
    code, _, err = run_cli("bundle", str(workbook), "--evidence", str(evidence), "--out",
                           str(tmp_path / "out"), "--volume-size", "30kB", "--sign",
                           str(tmp_path / "key.p12"))
    assert code == 1 and "--sign and --volume-size" in err, err


def test_a_volume_keeps_only_its_own_pages_fields_and_attachments(tmp_path: Path) -> None:
    from pipeline.bundle.volumes import Volume, cut

    pdf = pikepdf.new()
    fields = []
    for n in range(4):
        pdf.add_blank_page()
        page = pdf.pages[n].obj
        widget = pdf.make_indirect(pikepdf.Dictionary(
            Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.Widget, FT=pikepdf.Name.Tx,
            T=pikepdf.String(f"field{n}"), Rect=[0, 0, 10, 10], P=page))
        page.Annots = pikepdf.Array([widget])
        fields.append(widget)
    pdf.Root.AcroForm = pikepdf.Dictionary(Fields=pikepdf.Array(fields))
    for name in ("manifest.json", "a.bin", "b.bin"):
        pdf.attachments[name] = pikepdf.AttachedFileSpec(pdf, name.encode(), filename=name)
    whole = tmp_path / "whole.pdf"
    pdf.save(whole)
    volumes = [Volume(1, 2, "x-vol1-of-2.pdf", 0, 1, ["a.bin"]),
               Volume(2, 2, "x-vol2-of-2.pdf", 1, 3, ["b.bin"])]
    for volume, path in zip(volumes, cut(whole, volumes, tmp_path), strict=True):
        with pikepdf.open(path) as part:
            assert len(part.pages) == volume.pages
            stray = [o for o in part.objects if isinstance(o, pikepdf.Dictionary)
                     and o.get("/Type") == pikepdf.Name.Page]
            assert len(stray) == volume.pages  # no page of another volume carried along
            assert [str(f.T) for f in part.Root.AcroForm.Fields] == \
                [f"field{n}" for n in range(volume.first, volume.last + 1)]
            assert sorted(part.attachments) == sorted(["manifest.json", *volume.attachments])
            assert part.Root.PageLabels.Nums[1].St == volume.first + 1


def test_a_bundle_made_again_leaves_no_file_of_the_other_kind(tmp_path: Path) -> None:
    workbook, evidence = small_workbook(tmp_path)
    folder = _bundle(tmp_path / "out", workbook, evidence)
    assert (folder / f"{RID}-bundle.pdf").is_file()
    _bundle(tmp_path / "out", workbook, evidence, "--volume-size", "30kB")
    assert _volumes(folder) and not (folder / f"{RID}-bundle.pdf").exists()
    _bundle(tmp_path / "out", workbook, evidence)
    assert not _volumes(folder) and (folder / f"{RID}-bundle.pdf").is_file()


def test_an_update_appended_to_another_volume_is_found_from_any_volume(
        split: tuple[Path, Path, Path], tmp_path: Path) -> None:
    # the forger appends to volume 2 and fixes its hash in the sidecar; the auditor verifies
    # volume 1: volume 2's revisions are checked as its own would be
    import hashlib
    import json

    from .bundles import incremental_update

    folder = _copy(split[0], tmp_path / "copy")
    volumes = _volumes(folder)
    incremental_update(volumes[1], 0, b"q Q")
    with volumes[1].open("ab") as fh:
        fh.write(b"% trailing bytes\n")
    sidecar_path = next(folder.glob("*-manifest.json"))
    sidecar = json.loads(sidecar_path.read_text())
    for entry in sidecar["bundle"]["volumes"]:
        if entry["file"] == volumes[1].name:
            entry["sha256"] = hashlib.sha256(volumes[1].read_bytes()).hexdigest()
    sidecar_path.write_text(json.dumps(sidecar))
    code, out, _ = run_cli("verify", str(volumes[0]))
    assert code == 1, out
    assert f"volume 2 of {len(volumes)}" in out and "appended after the bundle was made" in out, out
    assert "follow the end of its last revision" in out, out
