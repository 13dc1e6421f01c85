"""Location models for the app: the CLI's answer, a progress line, the stated limit kept."""

from __future__ import annotations

import pytest

from access30.app import suggestions
from access30.app.suggestions import Question
from access30.suggest.candidates import build_candidates
from access30.suggest.suggestion import suggest_sites


def test_answer_equals_the_core_and_reports_progress(demo_study, demo_routing):
    question = Question("demo", "maxcover", 2, 30.0, "population", ("cells",), time_limit_s=30.0)
    lines = []
    suggestion, _ = suggestions.answer(question, demo_study, demo_routing, progress=lines.append)
    candidates, _ = build_candidates(demo_study, sources=["cells"])
    core = suggest_sites(demo_study, demo_routing, "maxcover", 2, 30.0, candidates=candidates)
    assert suggestion.population_covered_after == pytest.approx(core.population_covered_after)
    assert suggestion.optimal and suggestion.seconds <= question.time_limit_s
    assert lines and lines[0] == "Emplacements candidats…"
    assert "maximale" in question.label


def test_background_job_shared_by_two_planners(demo_study, demo_routing):
    question = Question("demo", "cover", 1, 30.0, "population", ("cells",), time_limit_s=30.0)
    job = suggestions.start(question, demo_study, demo_routing)
    assert suggestions.start(question, demo_study, demo_routing) is job
    suggestion, _ = job.result(timeout=60)
    assert suggestion.model == "cover" and job.progress


def test_the_limit_counts_from_the_click(demo_study, demo_routing):
    """A question that waited for a thread gets only what is left of its limit (« 60 s au plus » from the click)."""
    import time

    question = Question("demo", "maxcover", 3, 30.0, "population", ("cells",), time_limit_s=12.0)
    asked = time.perf_counter() - 9.0  # as if it had waited 9 s for a free thread
    suggestion, _ = suggestions.answer(question, demo_study, demo_routing, since=asked)
    assert time.perf_counter() - asked <= question.time_limit_s + 1.0
    assert suggestion.population_covered_after >= suggestion.population_covered_before
