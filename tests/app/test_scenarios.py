"""Each planner's scenarios: replayed one step at a time from the shared start, memos bounded."""

from __future__ import annotations

import pytest

from access30.app import scenarios, shared
from access30.app.scenarios import Memo
from access30.base.errors import InputError
from access30.coverage import scenario as sc
from access30.coverage.engine import run_coverage
from access30.inputs.territory import DEFAULT_TERRITORY

KEY = f"builtin|{DEFAULT_TERRITORY}|drive"


def test_memo_keeps_the_newest_entries_only():
    memo = Memo(2)
    made = []
    for key in ("a", "b", "a", "c"):
        memo.get(key, lambda key=key: made.append(key) or key.upper())
    assert list(memo.entries) == ["a", "c"] and made == ["a", "b", "c"]  # « a » reused, « b » forgotten


def test_scenario_result_equals_a_full_run(demo_study, demo_routing, demo_result):
    busiest = demo_result.sites.sort_values("catchment_population").iloc[-1]["site_id"]
    changes = (("add", -2.95, 48.25, "Point mobile", "ccas"), ("close", busiest))
    result = scenarios.result(KEY, changes, 30.0, demo_study, demo_routing, name="Essai")
    full = run_coverage(sc.scenario_study(demo_study, sc.apply_changes(demo_study, demo_routing, changes)), 30.0)
    assert result.summary.population_covered == pytest.approx(full.summary.population_covered)
    assert result.scenario.name == "Essai"
    # The first step was remembered: the state of changes[:1] is the one the second change started from.
    first = scenarios.state(KEY, changes[:1], demo_study, demo_routing)
    assert scenarios.state(KEY, changes[:1], demo_study, demo_routing) is first
    # No change: the shared current situation, never a copy in the session.
    assert scenarios.result(KEY, (), 30.0, demo_study, demo_routing) is shared.baseline(KEY, 30.0, demo_study,
                                                                                       demo_routing)
    ranking = scenarios.ranking(KEY, changes, 30.0, demo_study, demo_routing)
    assert ranking["newly_covered"].is_monotonic_decreasing


def test_change_that_cannot_apply_is_refused(demo_study, demo_routing):
    with pytest.raises(InputError):
        scenarios.state(KEY, (("close", "pas-un-lieu"),), demo_study, demo_routing)
