"""The long-running scheduler: the `schedule` package ticks every minute; each tick runs what is
due. Catch-up at start; SIGTERM/SIGINT stop it cleanly between jobs, never mid-write; a job that
fails is logged inside the job (so `schedule` does not re-run it on every loop pass)."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import signal
import threading
from collections.abc import Callable, Iterator

import schedule

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

    def request_stop(signum: int, _frame: object) -> None:
        log.info("received %s: stopping after the current job", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    scheduler = schedule.Scheduler()

    def job() -> None:
        try:
            run_due(reviews, clock(), stop)
        except Exception:  # logged here: an exception escaping would re-run the job every pass
            log.exception("scheduler tick failed; will try again on the next tick")

    try:
        with all_locks(reviews):
            log.info("scheduler started for %d review(s); catching up", len(reviews))
            job()
            scheduler.every(tick_seconds).seconds.do(job)
            while not stop.is_set():
                scheduler.run_pending()
                stop.wait(1)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("scheduler stopped")
