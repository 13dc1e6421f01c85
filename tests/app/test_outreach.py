"""« Hors les murs » in the app: the round of ``access30 tour``, opened as a scenario whose figures are the
round's, and edited by dropping a stop."""

from __future__ import annotations

import pytest

from access30.app import outreach
from access30.coverage import scenario as sc
from access30.coverage.engine import route
from access30.inputs.assemble import StudyRequest, assemble_study
from access30.suggest.tour import TourOptions


@pytest.fixture(scope="module")
def walk():
    request = StudyRequest(territory="st-brieuc-loudeac", mode="walk")
    study = assemble_study(request)
    return request, study, route(study)


def test_the_round_as_a_scenario_covers_what_the_round_promised(walk):
    request, study, routing = walk
    plan = outreach.tour("demo|walk", request, 30.0, TourOptions(half_days=2), study, routing)
    changes = outreach.as_changes(plan)
    assert len(changes) == len(plan.stops) == 2 and all(c[0] == "add" and c[4] == "hors_les_murs" for c in changes)
    state = sc.apply_changes(study, routing, changes)
    shown = sc.evaluate_scenario(study, routing, state, 30.0)
    assert shown.summary.population_covered == pytest.approx(plan.population_covered_after, abs=1.0)
    # Drop the second stop: the figures fall back to what the first alone covers.
    first = sc.apply_changes(study, routing, changes[:1])
    alone = sc.evaluate_scenario(study, routing, first, 30.0).summary.population_covered
    assert plan.population_covered_before < alone < shown.summary.population_covered
    layers = outreach.route_layers(plan)
    assert [layer.layer_name for layer in layers] == ["Trajets de l'équipe", "Arrêts de la tournée", "Base de l'équipe"]
