"""Whole-or-absent publishing (pipeline/publish.py): a build killed (SIGKILL) at any point —
while writing, between the steps of the publication, while the next run cleans up — leaves the
old pack or the new one visible, entirely, and the next run leaves no staging behind. Also:
nothing stale survives, old versions are kept, one build per review, only our folders removed.

The builds here are fake (they write known bytes into ``pub.staging``) so that every step can
be hit exactly; tests/test_signals.py kills real builds.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from pipeline import publish
from pipeline.errors import UserError
from pipeline.files import atomic_write_bytes
from pipeline.publish import MARKER, PackLocked, Publication, current, recover
from pipeline.signals_guard import Interrupted, interruptible

RID = "MR-2026-H2"
Pack = dict[str, bytes]


def pack(tag: str, *, extra: Pack | None = None) -> Pack:
    """A pack whose every file differs between tags (so a mix is visible in the hashes)."""
    files = {f"{RID}-agenda.pdf": f"agenda {tag}".encode() * 50,
             f"{RID}-pre-read.pdf": f"pre-read {tag}".encode() * 500,
             f"{RID}-minutes-form.pdf": f"minutes form {tag}".encode() * 80,
             f"charts/trend-{tag}.png": f"chart {tag}".encode(),
             f"{RID}-analysis.json": f'{{"tag": "{tag}"}}'.encode()}
    return {**files, **(extra or {})}


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def expected(files: Pack) -> dict[str, str]:
    out = {name: hashlib.sha256(data).hexdigest() for name, data in files.items()}
    out[MARKER] = hashlib.sha256(publish.MARKER_TEXT).hexdigest()
    return out


def fake_build(out: Path, files: Pack, step: Callable[[str], None] = lambda _: None,
               stage: publish.Stage = "pre-read") -> Path:
    with Publication(out, RID, stage) as pub:
        for i, (name, data) in enumerate(files.items()):
            step(f"write-{i}")
            atomic_write_bytes(pub.staging / name, data)
        step("built")
        return pub.commit()


def leftovers(folder: Path) -> list[str]:
    if not folder.exists():  # a first build that failed leaves no folder at all
        return []
    return sorted(p.name for p in folder.iterdir()
                  if p.name.startswith((".partial-", ".publishing-")) or ".link-" in p.name)


# ------------------------------------------------------------------ the kill loop

BUILD_POINTS = ["staging-made", "write-0", "write-2", "write-4", "built"]
PUBLISH_POINTS = ["before-intent", "before-rename", "after-rename", "after-link", "after-switch",
                  "after-intent-removed"]
CLEANUP_POINTS = ["removing", "rolled-back"]  # the *next* run killed while it cleans up
ALL_POINTS = BUILD_POINTS + PUBLISH_POINTS
FAST_POINTS = ["write-2", "after-rename", "after-switch"]  # one per phase, run in `make test`


def _killed_child(out: str, files: Pack, at: str) -> None:
    def die(step: str) -> None:
        if step == at:
            os.kill(os.getpid(), signal.SIGKILL)

    publish._checkpoint = die  # type: ignore[assignment]
    fake_build(Path(out), files, die)


def run_killed(out: Path, files: Pack, at: str) -> int | None:
    child = multiprocessing.get_context("fork").Process(target=_killed_child, args=(str(out), files, at))
    child.start()
    child.join(60)
    return child.exitcode


def assert_whole(out: Path, old: Pack, new: Pack) -> str:
    """The visible pack is entirely the old one or entirely the new one; returns which."""
    visible = current(out, RID, "pre-read")
    assert visible is not None, "no pack visible at all"
    seen = digest(visible)
    if seen == expected(old):
        return "old"
    assert seen == expected(new), f"a mixed pack is visible: {sorted(seen)}"
    return "new"


def check_kill_at(tmp_path: Path, at: str) -> str:
    out = tmp_path / "out"
    old, new, after = pack("old", extra={f"charts/gone-{at}.png": b"stale"}), pack("new"), pack("next")
    fake_build(out, old)
    assert run_killed(out, new, at) == -signal.SIGKILL, f"the build did not reach {at}"
    which = assert_whole(out, old, new)
    assert which == ("new" if at in ("after-switch", "after-intent-removed") else "old")
    folder = out / RID
    for version in folder.glob("pre-read-v*"):  # every version folder on disk is whole too
        assert digest(version) in (expected(old), expected(new)), version.name
    published = fake_build(out, after)  # the next run: cleans up, then publishes
    assert leftovers(folder) == []
    assert current(out, RID, "pre-read") == published and digest(published) == expected(after)
    assert f"charts/gone-{at}.png" not in digest(published)  # nothing stale survives
    kept = [digest(v) for v in sorted(folder.glob("pre-read-v*"))]  # the record: what was shown
    assert kept == [expected(old), *([expected(new)] if which == "new" else []), expected(after)]
    return which


@pytest.mark.parametrize("at", FAST_POINTS)
def test_kill_at_representative_points(tmp_path: Path, at: str) -> None:
    check_kill_at(tmp_path, at)


@pytest.mark.slow
@pytest.mark.parametrize("at", [p for p in ALL_POINTS if p not in FAST_POINTS])
def test_kill_at_every_other_point(tmp_path: Path, at: str) -> None:
    check_kill_at(tmp_path, at)


def _killed_cleanup(out: str, at: str) -> None:
    def die(step: str) -> None:
        if step == at:
            os.kill(os.getpid(), signal.SIGKILL)

    publish._checkpoint = die  # type: ignore[assignment]
    fake_build(Path(out), pack("next"))


@pytest.mark.parametrize("at", CLEANUP_POINTS)
def test_kill_while_the_next_run_cleans_up(tmp_path: Path, at: str) -> None:
    out = tmp_path / "out"
    old, new = pack("old"), pack("new")
    fake_build(out, old)
    # leave both kinds of leftovers: a half-built staging folder and an unswitched version
    assert run_killed(out, new, "write-3") == -signal.SIGKILL
    assert run_killed(out, new, "after-rename") == -signal.SIGKILL
    child = multiprocessing.get_context("fork").Process(target=_killed_cleanup, args=(str(out), at))
    child.start()
    child.join(60)
    assert child.exitcode == -signal.SIGKILL
    assert assert_whole(out, old, new) == "old"
    published = fake_build(out, pack("last"))
    assert leftovers(out / RID) == [] and digest(published) == expected(pack("last"))


# ------------------------------------------------------------------ the behaviour around it


def test_versions_are_kept_and_the_pointer_names_the_newest(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = fake_build(out, pack("a"))
    second = fake_build(out, pack("b"))
    assert (first.name, second.name) == ("pre-read-v1", "pre-read-v2")
    assert digest(first) == expected(pack("a"))  # the record stays as it was
    assert os.readlink(out / RID / "pre-read") == "pre-read-v2"
    final = fake_build(out, {"MR-2026-H2-minutes.pdf": b"minutes"}, stage="final")
    assert final.name == "final-v1" and current(out, RID, "final") == final
    assert current(out, RID, "pre-read") == second


def test_an_exception_publishes_nothing_and_leaves_the_old_pack(tmp_path: Path) -> None:
    out = tmp_path / "out"
    fake_build(out, pack("old"))

    def fail(step: str) -> None:
        if step == "write-3":
            raise UserError("LibreOffice made no PDF")

    with pytest.raises(UserError, match="no PDF"):
        fake_build(out, pack("new"), fail)
    assert digest(current(out, RID, "pre-read") or out) == expected(pack("old"))
    assert leftovers(out / RID) == [] and [p.name for p in (out / RID).glob("pre-read-v*")] == ["pre-read-v1"]


def test_leaving_the_block_without_commit_publishes_nothing(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Publication(out, RID, "pre-read") as pub:
        (pub.staging / "x.pdf").write_bytes(b"x")
    assert current(out, RID, "pre-read") is None and not (out / RID).exists()


def test_a_second_build_of_the_same_review_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Publication(out, RID, "pre-read") as first:
        with (pytest.raises(PackLocked, match="another isms-review build is writing") as refused,
              Publication(out, RID, "final")):
            pass
        assert f"process {os.getpid()}" in str(refused.value)
        assert first.staging.is_dir()  # the second one touched nothing of the first
        first.commit()
    fake_build(out, pack("after"))  # the lock is released with the block


def test_only_our_folders_are_ever_removed(tmp_path: Path) -> None:
    folder = tmp_path / "out" / RID
    folder.mkdir(parents=True)
    foreign = folder / ".partial-notes-abcdefghij"  # our name, but no marker: not ours
    foreign.mkdir()
    (foreign / "keep.txt").write_text("mine")
    empty = folder / ".partial-pre-read-v-0123456789"  # killed between mkdir and the marker
    empty.mkdir()
    user = folder / "pre-read-v7"  # a version folder without an intent: never rolled back
    user.mkdir()
    (user / "board.pdf").write_text("sent")
    (folder / "notes.txt").write_text("x")
    assert recover(folder) == [empty.name]
    assert (foreign / "keep.txt").read_text() == "mine" and (user / "board.pdf").is_file()
    assert (folder / "notes.txt").is_file()


def test_a_foreign_thing_where_the_pointer_goes_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "out" / RID
    (folder / "pre-read").mkdir(parents=True)
    with pytest.raises(UserError, match="is not the pointer isms-review keeps"):
        fake_build(tmp_path / "out", pack("a"))
    assert leftovers(folder) == []


def test_a_version_that_appeared_is_never_overwritten(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with Publication(out, RID, "pre-read") as pub:
        (pub.staging / "a.pdf").write_bytes(b"a")
        squatter = out / RID / f"pre-read-v{pub.version}"
        squatter.mkdir()
        with pytest.raises(UserError, match="never overwrites"):
            pub.commit()
    assert not (squatter / "a.pdf").exists() and leftovers(out / RID) == []


def test_numbered_versions_for_the_scheduler(tmp_path: Path) -> None:
    base = tmp_path / "out" / "acme"
    (base / "v1").mkdir(parents=True)  # a version the state no longer knows
    with Publication.numbered(base, at_least=1) as pub:
        assert pub.version == 2
        (pub.staging / "MR" / "x.pdf").parent.mkdir()
        (pub.staging / "MR" / "x.pdf").write_bytes(b"x")
        assert pub.commit() == base / "v2"
    with Publication.numbered(base, at_least=5) as pub:
        assert pub.version == 5
    assert sorted(p.name for p in base.iterdir()) == [".isms-review.lock", "v1", "v2"]


# ------------------------------------------------------------------ signals and the publication


def test_sigterm_inside_the_block_removes_the_staging(tmp_path: Path) -> None:
    out = tmp_path / "out"
    fake_build(out, pack("old"))

    def term(step: str) -> None:
        if step == "write-2":
            os.kill(os.getpid(), signal.SIGTERM)

    with interruptible(), pytest.raises(Interrupted) as stopped:
        fake_build(out, pack("new"), term)
    assert stopped.value.exit_code == 143 and stopped.value.published is None
    assert "nothing was published" in str(stopped.value)
    assert leftovers(out / RID) == []
    assert digest(current(out, RID, "pre-read") or out) == expected(pack("old"))


def test_sigterm_between_the_publish_steps_waits_for_the_switch(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    fake_build(out, pack("old"))

    def term(step: str) -> None:
        if step == "after-rename":
            os.kill(os.getpid(), signal.SIGTERM)

    monkeypatch.setattr(publish, "_checkpoint", term)
    with interruptible(), pytest.raises(Interrupted) as stopped:
        fake_build(out, pack("new"))
    published = current(out, RID, "pre-read")
    assert published is not None and stopped.value.published == published
    assert digest(published) == expected(pack("new")) and leftovers(out / RID) == []
    assert f"after the pack was published in {published}" in str(stopped.value)
