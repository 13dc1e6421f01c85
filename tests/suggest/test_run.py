"""Suggesting through the typed options (suggest.run): the same answer as suggest_sites, and the refusals.

Real data: the offline Saint-Brieuc – Loudéac demo, its town halls as candidates.
"""

from __future__ import annotations

import numpy as np
import pytest

from access30.base.errors import InputError
from access30.coverage.options import CapacityOptions, CoverageOptions, RunOptions
from access30.inputs.assemble import StudyRequest
from access30.suggest import build_candidates, suggest_sites
from access30.suggest.run import SuggestOptions, run_suggestion

# At 20 min by car, where the demo has people to cover (at 30 min it covers everyone).
OPTIONS = RunOptions(StudyRequest(territory="st-brieuc-loudeac"), CoverageOptions(threshold_min=20.0))
MAIRIES = SuggestOptions(model="maxcover", k=2, sources=("mairies",), time_limit_s=30)


@pytest.fixture(scope="module")
def through_options(demo_study, demo_routing):
    return run_suggestion(demo_study, demo_routing, OPTIONS, MAIRIES)


def test_suggest_equals_suggest_sites(demo_study, demo_routing, through_options):
    candidates, _ = build_candidates(demo_study, ("mairies",))
    direct = suggest_sites(demo_study, demo_routing, "maxcover", 2, 20.0, candidates=candidates, time_limit_s=30)
    got = through_options
    assert got.model == "maxcover" and got.k == 2 and len(got.suggested) == 2
    assert got.suggested["candidate_id"].tolist() == direct.suggested["candidate_id"].tolist()
    assert got.objective == pytest.approx(direct.objective)
    assert got.population_covered_after == pytest.approx(direct.population_covered_after)
    assert got.optimal == direct.optimal
    # Two new town halls cover more people than the 32 existing sites alone.
    assert got.population_covered_after > got.population_covered_before
    assert np.isclose(got.suggested["population_newly_covered"].sum(),
                      got.population_covered_after - got.population_covered_before, rtol=1e-6)


def test_study_notices_come_first(demo_study, through_options):
    codes = [notice.code for notice in through_options.notices]
    assert codes[:len(demo_study.notices)] == [notice.code for notice in demo_study.notices]
    assert "capacity_unused" not in codes


def test_capacities_read_but_unused_are_said(demo_study, demo_routing):
    options = RunOptions(OPTIONS.study, CoverageOptions(threshold_min=20.0, capacity=CapacityOptions("hours")))
    got = run_suggestion(demo_study, demo_routing, options, MAIRIES)
    assert got.notices[-1].code == "capacity_unused" and "--capacitated" in got.notices[-1].message


def test_capacitated_needs_capacities(demo_study, demo_routing):
    ask = SuggestOptions(model="maxcover", k=2, sources=("mairies",), capacitated=True)
    with pytest.raises(InputError) as exc:
        run_suggestion(demo_study, demo_routing, OPTIONS, ask)
    assert exc.value.column == "--capacitated" and "--capacity" in exc.value.fix


def test_capacitated_serves_people_not_a_weight(demo_study, demo_routing):
    options = RunOptions(OPTIONS.study, CoverageOptions(capacity=CapacityOptions("hours")))
    ask = SuggestOptions(model="maxcover", k=2, sources=("mairies",), capacitated=True, weight="poor_households")
    with pytest.raises(InputError) as exc:
        run_suggestion(demo_study, demo_routing, options, ask)
    assert exc.value.column == "--weight"
