"""What every session shares: one study, routing and current situation per input set, bounded caches."""

from __future__ import annotations

import numpy as np
import pytest

from access30.app import shared
from access30.app.shared import Bounded, Source
from access30.coverage.engine import evaluate
from access30.inputs.territory import DEFAULT_TERRITORY


@pytest.fixture(scope="module")
def demo_source():
    return Source(f"builtin|{DEFAULT_TERRITORY}", territory=DEFAULT_TERRITORY)


def test_second_planner_shares_the_first_ones_study(demo_source):
    one = shared.current(demo_source, "drive", 30.0)
    two = shared.current(Source(f"builtin|{DEFAULT_TERRITORY}", territory=DEFAULT_TERRITORY), "drive", 30.0)
    assert all(a is b for a, b in zip(one, two))  # study, routing and result: the same objects, no copy


def test_baseline_equals_core(demo_source, demo_study, demo_routing):
    study, routing, result = shared.current(demo_source, "drive", 25.0)
    core = evaluate(demo_study, demo_routing, 25.0)
    assert result.summary.population_covered == pytest.approx(core.summary.population_covered)
    assert (result.sites["origin"] == "existing").all()
    np.testing.assert_allclose(result.communes["population"], core.communes["population"])


def test_candidates_ranked_best_first(demo_source):
    # At 20 min, where the demo has people uncovered (at 30 min by car it has none).
    study, routing, _ = shared.current(demo_source, "drive", 20.0)
    table = shared.baseline_ranking(demo_source.key("drive"), 20.0, study, routing)
    assert table["newly_covered"].is_monotonic_decreasing
    assert table["label"].iloc[0].startswith(table["name"].iloc[0]) and "hab. couverts" in table["label"].iloc[0]
    # At 30 min nobody is beyond: every place is said to bring nothing, none is ranked above another by mistake.
    everyone = shared.baseline_ranking(demo_source.key("drive"), 30.0, study, routing)
    assert (everyone["newly_covered"] == 0).all() and everyone["label"].str.endswith(" — aucun gain").all()
    west, south, east, north = shared.map_bounds(demo_source.key("drive"), study)
    assert west < east and south < north and -4 < west < -2


def test_caches_are_bounded():
    for cached in (shared.builtin_study, shared.user_study, shared.routed, shared.scenario_start):
        assert cached._info.max_entries == shared.STUDIES
    for cached in (shared.baseline, shared.baseline_areas, shared.baseline_ranking, shared.capacity_report):
        assert cached._info.max_entries == shared.THRESHOLDS
    pieces = Bounded(2)
    pieces["a"], pieces["b"], pieces["c"] = 1, 2, 3
    assert list(pieces) == ["b", "c"] and "a" not in pieces
