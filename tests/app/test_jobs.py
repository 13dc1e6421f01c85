"""Background jobs of the app: shared by key, bounded, progress reported, failures retried."""

from __future__ import annotations

import threading

import pytest

from access30.app.jobs import SUGGESTIONS, WORK, Job, JobPool


def test_same_key_shares_one_job_and_reports_progress():
    pool = JobPool(workers=1, keep=4, name="t-share")
    gate = threading.Event()

    def work(job: Job) -> int:
        job.report("étape 1")
        gate.wait(10)
        return 42

    first = pool.submit("k", "travail", work)
    assert pool.submit("k", "travail", lambda job: 0) is first  # asked again while running: the same job
    gate.set()
    assert first.result(timeout=10) == 42
    assert first.progress == "étape 1" and first.done() and first.error() is None
    assert first.elapsed() >= 0.0
    assert pool.submit("k", "travail", lambda job: 0).result(timeout=10) == 42  # remembered once done


def test_finished_jobs_are_bounded_by_count_and_bytes():
    pool = JobPool(workers=1, keep=3, max_bytes=2_500, name="t-bound")
    for i in range(6):
        pool.submit(i, "fichier", lambda job: b"x" * 1_000).result(timeout=10)
    pool.submit("last", "fichier", lambda job: b"x" * 1_000).result(timeout=10)
    assert len(pool) <= 2  # three by count, two by bytes (2 × 1 000 ≤ 2 500 < 3 × 1 000)
    assert pool.get(0) is None and pool.get("last") is not None


def test_failed_job_raises_and_is_run_again():
    pool = JobPool(workers=1, keep=4, name="t-fail")
    calls = []

    def work(job: Job):
        calls.append(1)
        if len(calls) == 1:
            raise OSError("réseau indisponible")
        return "ok"

    failed = pool.submit("k", "travail", work)
    with pytest.raises(OSError):
        failed.result(timeout=10)
    assert isinstance(failed.error(), OSError)
    assert pool.submit("k", "travail", work).result(timeout=10) == "ok"
    assert len(calls) == 2


def test_app_pools_are_bounded():
    assert SUGGESTIONS.keep <= 16 and WORK.keep <= 32 and WORK.max_bytes is not None
