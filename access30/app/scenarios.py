"""Each planner's scenarios, kept in their session: only their own changes, a few steps remembered.

A scenario is a tuple of changes (``("add", lon, lat, name, type)``, ``("close", site_id)``)
replayed on the shared starting state (:func:`access30.app.shared.scenario_start`), one step per
change, each step remembered so that the next change costs one step. What is remembered lives in
the session (``st.session_state``), in small memos with a bound: it goes with the session, and
six planners at once cannot fill the server. The current situation (no change) is never copied
into a session: it comes from the shared caches.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

import geopandas as gpd
import pandas as pd
import streamlit as st

from access30.app import shared
from access30.coverage import scenario as sc
from access30.coverage.result import CoverageResult, Routing
from access30.inputs.study import Study

#: Scenario states remembered per session (the last changes of the scenarios being edited).
STATES = 8
#: Scenario results, map areas and candidate rankings remembered per session, each.
RESULTS = 6


class Memo:
    """A small least-recently-used memo: at most ``size`` entries.

    Examples
    --------
    >>> memo = Memo(2)
    >>> memo.get("a", lambda: 1), memo.get("b", lambda: 2), memo.get("c", lambda: 3)
    (1, 2, 3)
    >>> list(memo.entries)
    ['b', 'c']
    """

    def __init__(self, size: int):
        self.size = size
        self.entries: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, key: Hashable, make: Callable[[], Any]) -> Any:
        """The value of ``key``, made (and remembered) if it is not there."""
        if key in self.entries:
            self.entries.move_to_end(key)
            return self.entries[key]
        value = make()
        self.entries[key] = value
        while len(self.entries) > self.size:
            self.entries.popitem(last=False)
        return value


def memo(name: str, size: int) -> Memo:
    """The session's memo called ``name`` (created on first use)."""
    found = st.session_state.get(name)
    if not isinstance(found, Memo):
        found = Memo(size)
        st.session_state[name] = found
    return found


def state(study_key: str, changes: tuple, study: Study, routing: Routing) -> sc.ScenarioState:
    """The scenario after ``changes``, built from the remembered state of ``changes[:-1]`` (one step).

    Raises
    ------
    InputError
        A change that cannot be applied (a point too far from any road, a site already closed).
    """
    if not changes:
        return shared.scenario_start(study_key, study, routing)
    return memo("_scenario_states", STATES).get(
        (study_key, changes),
        lambda: sc.apply_change(study, state(study_key, changes[:-1], study, routing), changes[-1]))


def result(study_key: str, changes: tuple, threshold: float, study: Study, routing: Routing,
           name: str | None = None) -> CoverageResult:
    """Indicators of a scenario; with a ``name`` the result says it is one (title, changes, before/after).

    The current situation (no change, or no name) comes from the shared cache.
    """
    base = shared.baseline(study_key, threshold, study, routing)
    if not changes:
        return base

    def make() -> CoverageResult:
        now = state(study_key, changes, study, routing)
        if name is None:
            return sc.evaluate_scenario(study, routing, now, threshold)
        return sc.evaluate_scenario(study, routing, now, threshold, name=name, baseline=base)

    return memo("_scenario_results", RESULTS).get((study_key, changes, float(threshold), name), make)


def areas(study_key: str, changes: tuple, threshold: float, outcome: CoverageResult) -> gpd.GeoDataFrame:
    """The map areas of ``outcome`` (the current situation's are shared)."""
    if not changes:
        return shared.baseline_areas(study_key, threshold, outcome)
    return memo("_scenario_areas", RESULTS).get((study_key, changes, float(threshold)),
                                                lambda: shared.class_areas(study_key, outcome))


def ranking(study_key: str, changes: tuple, threshold: float, study: Study, routing: Routing) -> pd.DataFrame:
    """Candidate town halls, best gain first in the scenario (the current situation's are shared)."""
    if not changes:
        return shared.baseline_ranking(study_key, threshold, study, routing)

    def make() -> pd.DataFrame:
        now = state(study_key, changes, study, routing)
        points = shared.candidate_points(study_key, study)
        return shared.ranked(sc.rank_candidates(study, routing, now, points, threshold, tie_break="nom"))

    return memo("_scenario_rankings", RESULTS).get((study_key, changes, float(threshold)), make)
