"""The long-running scheduler: the `schedule` package ticks every minute; each tick runs what is
due. Catch-up at start. SIGTERM/SIGINT stop it at once and cleanly: a build in progress is
stopped (its child removes the staging folder and kills LibreOffice), nothing of it is
published, and it is retried at the next start. A job that fails is logged inside the job (so
`schedule` does not re-run it on every loop pass); one review's crash never reaches here."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Callable, Iterator

import schedule

from ..signals_guard import Interrupted, interruptible
from .config import ReviewSchedule
from .runner import run_due
from .state import locked, state_path

log = logging.getLogger("isms-review.schedule")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@contextlib.contextmanager
def all_locks(reviews: list[ReviewSchedule]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for path in sorted({state_path(r.output) for r in reviews}):
            stack.enter_context(locked(path))
        yield


def run_forever(reviews: list[ReviewSchedule], clock: Callable[[], dt.datetime] = utc_now,
                stop: threading.Event | None = None, tick_seconds: int = 60) -> None:
    stop = stop or threading.Event()
    scheduler = schedule.Scheduler()

    def job() -> None:
        try:
            run_due(reviews, clock(), stop)
        except Exception:  # logged here: an exception escaping would re-run the job every pass
            log.exception("scheduler tick failed; will try again on the next tick")

    try:
        with interruptible(), all_locks(reviews):
            log.info("scheduler started for %d review(s); catching up", len(reviews))
            job()
            scheduler.every(tick_seconds).seconds.do(job)
            while not stop.is_set():
                scheduler.run_pending()
                stop.wait(1)
    except Interrupted as exc:
        log.info("received %s: stopping (a build in progress is stopped, nothing of it is "
                 "published, and it is retried at the next start)", exc.name)
    finally:
        log.info("scheduler stopped")
