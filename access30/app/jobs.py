"""Background work of the app: a few threads shared by every session, and the jobs they run.

A page waits for nothing long: a suggestion, an export file or the other travel mode's study runs
as a :class:`Job` on a :class:`JobPool`, keyed by what it computes, so that two planners asking for
the same thing share one job. While a job runs the page keeps answering; it shows the job's
progress line and picks up the result once it is done. Finished jobs are kept up to a bound (the
oldest are forgotten first), so that memory stays bounded whatever the sessions ask.

Threads suit this work: HiGHS, NumPy, SciPy and shapely release the GIL in their long loops.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any


class Job:
    """One piece of background work: its future, a progress line and its timing.

    Attributes
    ----------
    key : hashable
        What it computes (two requests with the same key share the job).
    label : str
        What it is, in French, for the page.
    future : concurrent.futures.Future
    progress : str
        The last progress line reported by the work (French), "" until one is.
    started, finished : float
        ``time.perf_counter()`` when it started running and when it finished (NaN until then).
    """

    def __init__(self, key: Hashable, label: str):
        self.key, self.label = key, label
        self.future: Future = Future()
        self.progress = ""
        self.queued = time.perf_counter()
        self.started = float("nan")
        self.finished = float("nan")
        self._lock = threading.Lock()

    def report(self, line: str) -> None:
        """Set the progress line (called by the work, from its thread)."""
        with self._lock:
            self.progress = str(line)

    def done(self) -> bool:
        """Whether the work has finished (with a result or an error)."""
        return self.future.done()

    def elapsed(self) -> float:
        """Seconds since the work started (0 while it waits for a thread), or its duration once done."""
        if math.isnan(self.started):
            return 0.0
        end = time.perf_counter() if math.isnan(self.finished) else self.finished
        return end - self.started

    def result(self, timeout: float | None = None) -> Any:
        """The work's result, waiting for it if needed (re-raises its error)."""
        return self.future.result(timeout)

    def error(self) -> BaseException | None:
        """The exception the work raised, None if it succeeded (call once :meth:`done`)."""
        return self.future.exception() if self.future.done() else None


class JobPool:
    """A fixed number of threads and the jobs they ran, by key, the newest ``keep`` finished ones kept.

    Parameters
    ----------
    workers : int
        Threads (jobs running at once).
    keep : int
        Finished jobs remembered (with their results); older ones are forgotten.
    max_bytes : int, optional
        Also forget the oldest finished jobs while the ``bytes`` results remembered exceed this.
    name : str
        Prefix of the threads' names.

    Examples
    --------
    >>> pool = JobPool(workers=1, keep=2, name="doc")
    >>> job = pool.submit(("square", 3), "carré", lambda job: 3 * 3)
    >>> job.result(timeout=10)
    9
    >>> pool.submit(("square", 3), "carré", lambda job: 0) is job  # the same work: the same job
    True
    """

    def __init__(self, workers: int = 2, keep: int = 16, max_bytes: int | None = None, name: str = "access30"):
        self.keep, self.max_bytes = keep, max_bytes
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)
        self._jobs: OrderedDict[Hashable, Job] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Job | None:
        """The job of ``key``, if it is running or remembered."""
        with self._lock:
            return self._jobs.get(key)

    def submit(self, key: Hashable, label: str, work: Callable[[Job], Any]) -> Job:
        """Run ``work(job)`` in the background, unless a job of ``key`` is already running or remembered.

        A job that failed is run again when asked again (the failure may have been transient).
        """
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and not (job.done() and job.error() is not None):
                self._jobs.move_to_end(key)
                return job
            job = Job(key, label)
            self._jobs[key] = job
            self._forget()
        self._executor.submit(self._run, job, work)
        return job

    def _run(self, job: Job, work: Callable[[Job], Any]) -> None:
        job.started = time.perf_counter()
        try:
            result = work(job)
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for the job
            job.finished = time.perf_counter()
            job.future.set_exception(exc)
        else:
            job.finished = time.perf_counter()
            job.future.set_result(result)
        with self._lock:
            self._forget()

    def _forget(self) -> None:
        """Drop the oldest finished jobs beyond ``keep`` or ``max_bytes`` (running ones are never dropped)."""
        finished = [key for key, job in self._jobs.items() if job.done()]
        for key in finished[:max(0, len(finished) - self.keep)]:
            del self._jobs[key]
        if self.max_bytes is None:
            return
        finished = [key for key in finished if key in self._jobs]
        total = sum(_size(self._jobs[key]) for key in finished)
        for key in finished:
            if total <= self.max_bytes:
                break
            total -= _size(self._jobs.pop(key))

    def __len__(self) -> int:
        with self._lock:
            return len(self._jobs)


def _size(job: Job) -> int:
    if job.error() is not None:
        return 0
    result = job.future.result()
    if isinstance(result, (bytes, bytearray)):
        return len(result)
    return int(getattr(result, "nbytes", 0))  # a result that says its size (the zones blanches' shapes)


#: Location models: long, one per core.
SUGGESTIONS = JobPool(workers=2, keep=8, name="access30-suggest")
#: Export files and warming (the other travel mode, the neighbouring thresholds).
WORK = JobPool(workers=2, keep=24, max_bytes=256 * 2**20, name="access30-work")
