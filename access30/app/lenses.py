"""How the app reads the situation shown: the lenses (opening hours, sectors) over the one shared study.

A lens never loads or routes a study again: it reads the study and routing the page already holds
(shared by every session, :mod:`access30.app.shared`) through
:func:`access30.coverage.run.coverage_result`, the function the command line uses, so that the
figures of a lens are those of ``access30 coverage --at …``, ``--workers-hours`` or ``--sectors``
on the same inputs. A scenario is read through the same lens: its own study and routing
(:func:`access30.coverage.scenario.scenario_study`, :func:`~access30.coverage.scenario.scenario_routing`)
go through the same function, and the scenario's figures before and after are those of the lens.

The current situation's lens results are shared (bounded ``st.cache_resource``); a scenario's are
kept in the session's small memo (:mod:`access30.app.scenarios`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import streamlit as st

from access30.app import scenarios as memos
from access30.base.moments import parse_when
from access30.coverage import scenario as sc
from access30.coverage.options import MOMENT, NEAREST, SECTORS, WALK_IN, WORKERS, CoverageOptions, RunOptions
from access30.coverage.result import CoverageResult, Routing
from access30.coverage.run import coverage_result
from access30.inputs.hours import open_at, open_for_workers
from access30.inputs.study import Study

#: Lens results of the current situation kept, every study together.
RESULTS = 24


@dataclass(frozen=True)
class Lens:
    """A lens as the planner set it in the app.

    Attributes
    ----------
    kind : str
        One of :data:`access30.coverage.options.LENSES`.
    at : str, optional
        The moment of :data:`~access30.coverage.options.MOMENT` (« mardi 18:00 »).
    sectors : Path, optional
        The sectorisation file uploaded for :data:`~access30.coverage.options.SECTORS`; None: the one
        shipped for the study's département, when there is one.
    wait : bool
        The wait for an opening within reach too (``--wait``).

    Examples
    --------
    >>> Lens("moment", at="mardi 18:00").options(30.0).at
    'mardi 18:00'
    >>> Lens("nearest").plain
    True
    """

    kind: str = NEAREST
    at: str | None = None
    sectors: Path | None = None
    wait: bool = False

    @property
    def plain(self) -> bool:
        """The nearest site at any hour, without the wait: the page's own result, nothing to read again."""
        return self.kind == NEAREST and not self.wait

    def options(self, threshold: float) -> CoverageOptions:
        """The coverage options the command line would build for this lens (``--at``, ``--workers-hours``,
        ``--walk-in``, ``--sectors``)."""
        return CoverageOptions(threshold_min=float(threshold), at=self.at if self.kind == MOMENT else None,
                               workers_hours=self.kind == WORKERS, walk_in=self.kind == WALK_IN,
                               sectors=self.sectors if self.kind == SECTORS else None, wait=self.wait)

    def key(self) -> tuple:
        """What identifies the lens's figures (for the caches)."""
        return (self.kind, self.at, str(self.sectors) if self.sectors is not None else None, self.wait)


def read(study: Study, routing: Routing, lens: Lens, threshold: float) -> CoverageResult:
    """The coverage of ``study`` read through ``lens``: :func:`access30.coverage.run.coverage_result`.

    Raises
    ------
    InputError
        A lens the study cannot be read through (no readable hours, a sectorisation of another
        territory), in French with the fix.
    """
    return coverage_result(study, routing, RunOptions(coverage=lens.options(threshold)))


@st.cache_resource(show_spinner=False, max_entries=RESULTS)
def baseline(study_key: str, lens_key: tuple, threshold: float, _study: Study, _routing: Routing,
             _lens: Lens) -> CoverageResult:
    """The current situation read through the lens (shared by the sessions; sites marked « existing »)."""
    result = read(_study, _routing, _lens, threshold)
    sites = result.sites.copy()
    sites["origin"] = sc.ORIGIN_EXISTING
    return replace(result, sites=sites)


def result(study_key: str, changes: tuple, lens: Lens, threshold: float, study: Study, routing: Routing,
           shown: CoverageResult) -> CoverageResult:
    """The situation shown (current, or the scenario of ``changes`` whose nearest-site result is ``shown``)
    read through ``lens``; ``shown`` itself for the plain lens.

    A scenario keeps its name and changes; its figures before are the current situation's through the
    same lens.
    """
    if lens.plain:
        return shown
    base = baseline(study_key, lens.key(), threshold, study, routing, lens)
    if not changes:
        return base

    def make() -> CoverageResult:
        state = memos.state(study_key, changes, study, routing)
        read_now = read(sc.scenario_study(study, state), sc.scenario_routing(study, routing, state), lens, threshold)
        if shown.scenario is None:
            return read_now
        return replace(read_now, scenario=replace(shown.scenario, baseline=base.summary))

    return memos.memo("_lens_results", memos.RESULTS).get((study_key, changes, lens.key(), float(threshold)), make)


def closed_now(sites: gpd.GeoDataFrame, lens: Lens) -> gpd.GeoDataFrame:
    """The sites closed at the lens's moment (or at every hour open to people at work), for the map.

    Sites whose hours are unknown are not among them (they are counted apart, as the figures say).

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> sites = gpd.GeoDataFrame({"name": ["A", "B"], "hours": ["Mo-Fr 09:00-12:00", ""],
    ...                           "hours_format": ["osm", "osm"]}, geometry=[Point(0, 0), Point(1, 1)])
    >>> list(closed_now(sites, Lens("moment", at="mardi 18:00"))["name"])
    ['A']
    """
    if lens.kind == MOMENT and lens.at:
        available = open_at(sites, *parse_when(lens.at))
    elif lens.kind == WORKERS:
        available = open_for_workers(sites)
    else:
        return sites.iloc[0:0]
    closed = np.array([a is False for a in np.asarray(available, dtype=object)], dtype=bool)
    return sites.loc[closed]
