"""Faults of the environment are one line naming the path and what to do, never "internal
problem": a read-only file system, a full disk (with how much was needed), a file where a folder
should be, a name over 255 bytes, no permission. Each is tried for real where this machine
allows it (a tiny tmpfs and a read-only mount need root; permission is tried as another user),
and with the write call mocked everywhere, so every CI runner checks the message."""

from __future__ import annotations

import contextlib
import errno
import multiprocessing
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from pipeline import faults, files
from pipeline.cli import main, user_errors
from pipeline.errors import UserError
from pipeline.faults import NAME_MAX, EnvironmentFault
from pipeline.files import atomic_write_bytes
from pipeline.publish import Publication, current

from .conftest import run_cli
from .test_publish import RID, fake_build, leftovers, pack


@contextlib.contextmanager
def tmpfs(where: Path, options: str) -> Iterator[Path]:
    """A small tmpfs at ``where`` (skip when this machine cannot mount one)."""
    where.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a tmpfs needs root")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield where
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def one_line(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message and "internal problem" not in message


# ------------------------------------------------------------------ read-only


def test_read_only_file_system_for_real(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "size=1m,ro") as ro, pytest.raises(EnvironmentFault) as fault:
        fake_build(ro / "out", pack("a"))
    message = str(fault.value)
    one_line(message)
    assert f"{ro}/out" in message and "read-only" in message and "writable disk" in message


def test_read_only_when_writing_a_file_mocked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: object, **_kw: object) -> tuple[int, str]:
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(tmp_path))

    monkeypatch.setattr(files.tempfile, "mkstemp", refuse)
    with pytest.raises(EnvironmentFault, match="the file system is read-only") as fault:
        atomic_write_bytes(tmp_path / "report.json", b"{}")
    assert str(fault.value).startswith(f"{tmp_path / 'report.json'}: ")


# ------------------------------------------------------------------ disk full


def test_disk_full_while_building_for_real(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "size=256k") as small:
        big = pack("a", extra={"MR-2026-H2-pre-read-bundle.pdf": os.urandom(600 * 1024)})
        with pytest.raises(EnvironmentFault) as fault:
            fake_build(small / "out", big)
        message = str(fault.value)
        one_line(message)
        assert message.startswith(f"{small / 'out' / RID}: no space left on the disk")
        assert "needed at least" in message and "free" in message and "free some space" in message
        assert leftovers(small / "out" / RID) == []  # the partial pack did not stay to fill it
        assert current(small / "out", RID, "pre-read") is None


def test_disk_full_says_how_much_the_last_pack_needed(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "small", "size=512k") as small:
        first = pack("a", extra={"bundle.pdf": os.urandom(150 * 1024)})
        fake_build(small / "out", first)  # ~160 KB published
        (small / "filler").write_bytes(os.urandom(300 * 1024))  # the disk fills up meanwhile
        with pytest.raises(EnvironmentFault) as fault:
            fake_build(small / "out", pack("b", extra={"bundle.pdf": os.urandom(150 * 1024)}))
    message = str(fault.value)
    one_line(message)
    assert "no space left on the disk (" in message and "KB needed" in message, message


def test_disk_full_mocked_names_the_file_and_the_size(tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    def full(_fd: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(files.os, "fsync", full)
    with pytest.raises(EnvironmentFault) as fault:
        atomic_write_bytes(tmp_path / "x.pdf", b"x" * 3000)
    message = str(fault.value)
    assert message.startswith(f"{tmp_path / 'x.pdf'}: no space left on the disk (2.9 KB needed; ")
    assert not list(tmp_path.iterdir())  # no temporary file left


def test_a_silent_failure_on_a_full_disk_is_reported_as_the_full_disk(tmp_path: Path) -> None:
    """LibreOffice writing no PDF on a full disk says only "made no PDF": said as no space."""
    with tmpfs(tmp_path / "small", "size=128k") as small:
        out = small / "out"

        def fill_then_fail(step: str) -> None:
            if step == "built":
                with contextlib.suppress(OSError), open(small / "filler", "wb") as fh:
                    fh.write(b"\0" * 512 * 1024)
                raise UserError("MR-2026-H2-agenda.docx: LibreOffice made no PDF")

        with pytest.raises(EnvironmentFault, match="no space left on the disk"):
            fake_build(out, pack("a"), fill_then_fail)


# ------------------------------------------------------------------ not a directory


def test_out_below_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file")
    with pytest.raises(EnvironmentFault) as fault:
        fake_build(blocker / "out", pack("a"))
    message = str(fault.value)
    one_line(message)
    assert f"{blocker} is a file, not a folder" in message and "choose a folder" in message


def test_out_is_a_regular_file(tmp_path: Path) -> None:
    blocker = tmp_path / "out"
    blocker.write_text("a file")
    with pytest.raises(EnvironmentFault, match=f"{blocker} is a file, not a folder"):
        fake_build(blocker, pack("a"))


# ------------------------------------------------------------------ name too long


def test_review_id_making_a_file_name_over_255_bytes(tmp_path: Path) -> None:
    rid = "R" * 240  # the folder fits; "<rid>-pre-read-bundle.pdf" does not
    with pytest.raises(EnvironmentFault) as fault, Publication(tmp_path, rid, "pre-read") as pub:
        atomic_write_bytes(pub.staging / f"{rid}-pre-read-bundle.pdf", b"%PDF")
    message = str(fault.value)
    one_line(message)
    assert "is 260 bytes long" in message and f"at most {NAME_MAX} bytes" in message
    assert "shorten the Review ID" in message and "at most 235 fit" in message
    assert leftovers(tmp_path / rid) == []


def test_review_id_longer_than_a_folder_name(tmp_path: Path) -> None:
    rid = "é" * 200  # 400 bytes in UTF-8
    with pytest.raises(UserError) as fault, Publication(tmp_path, rid, "pre-read"):
        pass
    message = str(fault.value)
    one_line(message)
    assert "is 400 bytes long" in message and "shorten the Review ID" in message
    assert list(tmp_path.iterdir()) == []


def test_long_temporary_names_still_fit() -> None:
    prefix = files._temp_prefix("x" * 250)
    assert len(os.fsencode(prefix)) + 8 + len(".tmp") <= NAME_MAX


# ------------------------------------------------------------------ permission denied


def _as_nobody(target: str, queue: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    os.setgid(65534)
    os.setuid(65534)
    try:
        fake_build(Path(target), pack("a"))
        queue.put("no error")
    except UserError as exc:
        queue.put(f"{type(exc).__name__}: {exc}")


def test_permission_denied(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    if os.geteuid() == 0:  # root ignores permissions: try it as "nobody" in a child
        tmp_path.chmod(0o755)
        locked.chmod(0o755)
        queue: multiprocessing.Queue = multiprocessing.get_context("fork").Queue()  # type: ignore[type-arg]
        child = multiprocessing.get_context("fork").Process(target=_as_nobody,
                                                           args=(str(locked / "out"), queue))
        child.start()
        child.join(60)
        message = queue.get(timeout=5)
    else:
        locked.chmod(0o555)
        try:
            with pytest.raises(EnvironmentFault) as fault:
                fake_build(locked / "out", pack("a"))
        finally:
            locked.chmod(0o755)
        message = f"EnvironmentFault: {fault.value}"
    assert message.startswith("EnvironmentFault: "), message
    one_line(message)
    assert f"{locked / 'out'}" in message and "permission denied" in message and "write access" in message


# ------------------------------------------------------------------ the CLI's wrapper


def test_cli_turns_an_os_error_into_a_message_and_a_bug_into_exit_3(tmp_path: Path) -> None:
    @main.command("fault-probe")
    @user_errors
    def probe() -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(tmp_path / "x"))

    @main.command("bug-probe")
    @user_errors
    def bug() -> None:
        raise KeyError("oops")

    try:
        code, _, err = run_cli("fault-probe")
        assert code == 1 and err.startswith(f"error: {tmp_path / 'x'}: permission denied")
        code, _, err = run_cli("bug-probe")
        assert code == 3 and "internal problem" in err
    finally:
        main.commands.pop("fault-probe")
        main.commands.pop("bug-probe")


def test_new_workbook_on_a_read_only_disk_is_one_line(tmp_path: Path) -> None:
    with tmpfs(tmp_path / "ro", "size=1m,ro") as ro:
        code, _, err = run_cli("new-workbook", str(ro / "review.xlsx"))
    assert code == 1 and err.count("\n") == 1
    assert err.startswith(f"error: {ro / 'review.xlsx'}: the file system is read-only")


def test_free_space_check_says_how_much(tmp_path: Path) -> None:
    with pytest.raises(EnvironmentFault) as fault:
        faults.check_free_space(tmp_path, 10**18)
    assert "no space left on the disk (" in str(fault.value) and "needed" in str(fault.value)


# ------------------------------------------------------------------ through `isms-review build`


def test_build_with_out_below_a_regular_file_is_one_line(tmp_path: Path) -> None:
    from .conftest import EVIDENCE, GOOD

    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file")
    code, _, err = run_cli("build", str(GOOD), "--evidence", str(EVIDENCE), "--out", str(blocker / "out"))
    assert code == 1, err
    last = err.strip().splitlines()[-1]
    assert last.startswith("error: ") and f"{blocker} is a file, not a folder" in last
    assert "internal problem" not in err and "Traceback" not in err


def test_build_with_a_review_id_too_long_for_file_names(mutate: Any, tmp_path: Path) -> None:
    from .conftest import EVIDENCE

    def long_id(wb: Any) -> None:
        review = wb["Review"]
        row = next(r for r in range(1, 60) if review[f"A{r}"].value == "Review ID")
        review[f"B{row}"] = "MR-" + "X" * 237  # 240 characters: the folder fits, the files do not

    code, _, err = run_cli("build", str(mutate(long_id)), "--evidence", str(EVIDENCE), "--out",
                           str(tmp_path / "out"))
    assert code == 1, err
    assert "internal problem" not in err and "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert "shorten the Review ID" in last and f"at most {NAME_MAX} bytes" in last
    assert "at most 225 fit" in last  # the longest name: <id>-pre-read-bundle-manifest.json
