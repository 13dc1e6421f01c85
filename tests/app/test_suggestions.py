"""Location models for the app: the CLI's answer, a progress line, the stated limit kept."""

from __future__ import annotations

import pytest

from access30.app import suggestions
from access30.app.suggestions import Question
from access30.suggest.candidates import build_candidates, commune_points
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


@pytest.mark.parametrize("capacitated", [False, True])
def test_answer_on_a_scenario_with_a_site_added_and_one_closed(demo_study, demo_routing, capacitated):
    """A question asked on a scenario (a site added, another closed) is answered on it, with every model kind:
    its « before » is the scenario's, the added site counts (and, capacitated, says it has no capacity)."""
    from access30.coverage import scenario as sc
    from access30.coverage.engine import evaluate

    place = commune_points(demo_study.communes).iloc[0]  # a town hall of the demo
    closed = str(demo_study.sites["site_id"].iloc[-1])
    changes = (("add", float(place["lon"]), float(place["lat"]), "Lieu du scénario", "ccas"), ("close", closed))
    state = sc.apply_changes(demo_study, demo_routing, changes)
    scenario = sc.evaluate_scenario(demo_study, demo_routing, state, 20.0)
    assert scenario.summary.population_covered != evaluate(demo_study, demo_routing, 20.0).summary.population_covered
    question = Question("demo", "maxcover", 1, 20.0, "population", ("mairies",) if capacitated else ("cells",),
                        capacitated=capacitated, time_limit_s=30.0, changes=changes, scenario="Essai")
    lines = []
    suggestion, _ = suggestions.answer(question, demo_study, demo_routing, progress=lines.append)
    assert lines[0] == "Scénario « Essai » : lieux ajoutés et fermés…"
    assert suggestion.scenario == "Essai" and suggestion.notices[0].code == "suggestion_on_scenario"
    assert suggestion.population_covered_before == pytest.approx(scenario.summary.population_covered, abs=1e-6)
    assert question.situation_label == "le scénario « Essai »"
    if capacitated:
        assert any(n.code == "capacity_unknown_model" for n in suggestion.notices)  # the added site: no hours
    else:
        row = suggestion.suggested.iloc[0]
        after = sc.evaluate_scenario(demo_study, demo_routing,
                                     sc.add_site(demo_study, state, row["lon"], row["lat"], row["name"], "ccas"), 20.0)
        assert after.summary.population_covered == pytest.approx(suggestion.population_covered_after, abs=1e-6)
