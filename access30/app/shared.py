"""What every session of the app shares: computed once per input set, bounded (``st.cache_resource``).

A territory's study (network, population, sites), its routing, the current situation's result at
each threshold, its map areas and its candidate town halls are computed once and shared by every
session that opens the same territory or uploads the same files: a second planner reuses the
first one's (no second copy). Only a scenario's own changes are kept per session
(:mod:`access30.app.scenarios`). Every cache has a maximum number of entries, so that the server's
memory stays bounded whatever the sessions do.

A study is named by a :class:`Source` (where it comes from) and a travel mode. Once a study is
shown, :func:`warm` prepares in the background what the planner is likely to ask next: the
neighbouring thresholds and the other road mode.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import MutableMapping
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import streamlit as st

from access30.app.jobs import WORK
from access30.base.errors import InputError
from access30.base.fmt import fmt_int
from access30.base.names import national_names
from access30.coverage import scenario as sc
from access30.coverage.capacity import capacity_indicators, site_capacity
from access30.coverage.engine import evaluate, route
from access30.coverage.fca import opening_hours_capacity
from access30.coverage.options import HOURS
from access30.coverage.result import CapacityReport, CoverageResult, Routing
from access30.inputs.assemble import StudyRequest, assemble_study, load_study
from access30.inputs.study import Study
from access30.inputs.territory import TERRITORIES
from access30.network.modes import MODES
from access30.outputs import webmap
from access30.outputs.export import commune_shapes as export_shapes
from access30.outputs.export import is_cell_grid
from access30.suggest.candidates import commune_points

#: Studies kept (each with its routing and scenario start): a few territories × modes.
STUDIES = 4
#: Current-situation results and map areas kept, every study together (thresholds go by 5 minutes).
THRESHOLDS = 24
#: The road modes the app offers (a timetable mode needs a GTFS feed, which the app does not ship).
ROAD_MODES = tuple(key for key, mode in MODES.items() if not mode.timetable)
#: Threshold steps of the slider: the neighbours warmed in the background are one step away.
STEP_MIN = 5.0


@dataclass(frozen=True)
class TransitChoice:
    """The public-transport settings of the app: a GTFS feed (saved upload) and when to leave.

    Attributes
    ----------
    gtfs : Path
        The feed, as saved on the server (never executed; its text files are read).
    digest : str
        The feed's content hash (names the study).
    when : str, optional
        « mardi 09:00 ».
    service_date : str, optional
        ``AAAA-MM-JJ``.
    window_min : int
        The departure window, minutes.
    """

    gtfs: Path
    digest: str
    when: str | None = None
    service_date: str | None = None
    window_min: int = 90

    def key(self) -> str:
        """What identifies the transit study's figures."""
        return f"{self.digest[:16]}|{self.when}|{self.service_date}|{self.window_min}"


@dataclass(frozen=True)
class Source:
    """Where a study comes from, whatever the travel mode: a built-in territory or the user's files.

    Attributes
    ----------
    scope : str
        ``builtin|<territory>`` or ``user|<digest of the files and options>``: scenarios belong to it.
    territory : str, optional
        The built-in territory key or département code.
    request : StudyRequest, optional
        The user's files and options (its mode is set per call).
    transit : TransitChoice, optional
        The GTFS feed and moment, for a timetable mode.
    """

    scope: str
    territory: str | None = None
    request: StudyRequest | None = None
    transit: TransitChoice | None = None

    def key(self, mode: str) -> str:
        """The key of the study in ``mode`` (a timetable mode's names its feed and moment too)."""
        if MODES[mode].timetable and self.transit is not None:
            return f"{self.scope}|{mode}|{self.transit.key()}"
        return f"{self.scope}|{mode}"

    def request_for(self, mode: str) -> StudyRequest:
        """The study request in ``mode``, as the command line would build it (a timetable mode's with its feed,
        moment and window)."""
        request = self.request or StudyRequest(territory=self.territory)
        if not MODES[mode].timetable:
            return replace(request, mode=mode)
        if self.transit is None:
            raise InputError("le mode « transports en commun » demande un flux d'horaires GTFS",
                             "chargez le flux (.zip) dans « Transports en commun (flux GTFS) »")
        t = self.transit
        return replace(request, mode=mode, gtfs=t.gtfs, when=t.when, service_date=t.service_date,
                       window_min=t.window_min)

    def study(self, mode: str) -> Study:
        """The study in ``mode`` (shared, loaded once)."""
        if self.request is None and not MODES[mode].timetable:
            return builtin_study(self.territory, mode)
        return user_study(self.key(mode), self.request_for(mode))


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def builtin_study(key: str, mode: str) -> Study:
    """A built-in territory or département code (see :func:`access30.inputs.assemble.load_study`)."""
    if key not in TERRITORIES or TERRITORIES[key].network is None:
        import osmnx as ox

        ox.settings.overpass_rate_limit = False  # offline: fail at once instead of waiting for a slot
    return load_study(key, mode=mode)


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def user_study(study_key: str, _request: StudyRequest) -> Study:
    """The study of the user's files: the same input path as the command line (``study_key`` names it)."""
    return assemble_study(_request)


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def routed(study_key: str, _study: Study) -> Routing:
    """The study's routing (every unit's two nearest sites), once."""
    return route(_study)


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def scenario_start(study_key: str, _study: Study, _routing: Routing) -> sc.ScenarioState:
    """The state every scenario of the study starts from (its pairs are shared, never copied)."""
    return sc.start(_study, _routing)


@st.cache_resource(show_spinner=False, max_entries=THRESHOLDS)
def baseline(study_key: str, threshold: float, _study: Study, _routing: Routing) -> CoverageResult:
    """The current situation's indicators at ``threshold`` (sites marked « existing », as a scenario's)."""
    result = evaluate(_study, _routing, threshold)
    sites = result.sites.copy()
    sites["origin"] = sc.ORIGIN_EXISTING
    return replace(result, sites=sites)


class Bounded(MutableMapping):
    """A mapping that forgets its oldest entries beyond ``size`` (thread-safe).

    Examples
    --------
    >>> pieces = Bounded(2)
    >>> pieces["a"], pieces["b"], pieces["c"] = 1, 2, 3
    >>> sorted(pieces)
    ['b', 'c']
    """

    def __init__(self, size: int):
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def __getitem__(self, key):
        with self._lock:
            return self._entries[key]

    def __setitem__(self, key, value) -> None:
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __delitem__(self, key) -> None:
        with self._lock:
            del self._entries[key]

    def __iter__(self):
        with self._lock:
            return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)


#: Merged map areas remembered per study (a commune's class, by the units it holds).
PIECES = 5000


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def map_pieces(study_key: str) -> Bounded:
    """The study's merged map areas, reused by every threshold and scenario that has the same ones."""
    return Bounded(PIECES)


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def units_grid(study_key: str, _result: CoverageResult) -> bool:
    """Whether the study's units are the cells of a grid (the same units at every threshold and scenario)."""
    return is_cell_grid(_result.units.geometry.to_numpy())


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def commune_shapes(study_key: str, _result: CoverageResult) -> gpd.GeoDataFrame | None:
    """The union of each commune's units (:func:`access30.outputs.export.commune_shapes`), the same for every
    threshold, scenario and lens of the study: made once for all their files."""
    return export_shapes(_result.units)


def class_areas(study_key: str, result: CoverageResult) -> gpd.GeoDataFrame:
    """Units of ``result`` dissolved by commune and time class, for the map (pieces shared by the study)."""
    return webmap.class_areas(result, pieces=map_pieces(study_key), grid=units_grid(study_key, result))


@st.cache_resource(show_spinner=False, max_entries=THRESHOLDS)
def baseline_areas(study_key: str, threshold: float, _result: CoverageResult) -> gpd.GeoDataFrame:
    """The current situation's units dissolved by commune and time class, for the map."""
    return class_areas(study_key, _result)


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def map_bounds(study_key: str, _study: Study) -> tuple[float, float, float, float]:
    """West, south, east, north of the study's units (WGS84): the map opens there, whatever the layers."""
    units = _study.demand.units
    if not len(units):
        return (-5.0, 41.0, 10.0, 51.0)
    west, south, east, north = units.geometry.to_crs("EPSG:4326").total_bounds
    return float(west), float(south), float(east), float(north)


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def candidate_points(study_key: str, _study: Study) -> pd.DataFrame:
    """One place per commune where a site could be tried (its town hall, else a point inside it)."""
    return commune_points(_study.communes)


def ranked(table: pd.DataFrame) -> pd.DataFrame:
    """Candidate places with a French label for the picker, indexed by commune code."""
    table = table.copy()
    table["label"] = [f"{n} — +{fmt_int(g)} hab. couverts" if g >= 0.5 else f"{n} — aucun gain"
                      for n, g in zip(table["name"], table["newly_covered"])]
    return table.set_index("code", drop=False)


@st.cache_resource(show_spinner=False, max_entries=THRESHOLDS)
def baseline_ranking(study_key: str, threshold: float, _study: Study, _routing: Routing) -> pd.DataFrame:
    """Candidate town halls of the current situation, best gain first (see :func:`ranked`)."""
    state = scenario_start(study_key, _study, _routing)
    points = candidate_points(study_key, _study)
    return ranked(sc.rank_candidates(_study, _routing, state, points, threshold, tie_break="nom"))


@st.cache_resource(show_spinner=False, max_entries=STUDIES)
def sites_with_hours(study_key: str, _study: Study) -> int:
    """How many of the study's sites have opening hours that can be read: the capacity the app offers (weekly
    opening hours) needs at least one."""
    return int(pd.notna(opening_hours_capacity(_study.sites).values).sum())


@st.cache_resource(show_spinner=False, max_entries=THRESHOLDS)
def capacity_report(study_key: str, threshold: float, _study: Study, _routing: Routing) -> CapacityReport:
    """Load per site and 2SFCA with the weekly opening hours as capacity (a proxy)."""
    return capacity_indicators(_study, _routing, site_capacity(_study.sites, HOURS), threshold)


def current(source: Source, mode: str, threshold: float) -> tuple[Study, Routing, CoverageResult]:
    """Study, routing and current situation at ``threshold`` (each shared and computed once)."""
    study = source.study(mode)
    key = source.key(mode)
    routing = routed(key, study)
    return study, routing, baseline(key, threshold, study, routing)


def warm(source: Source, mode: str, threshold: float) -> None:
    """Prepare in the background what the planner may ask next (nothing if it is already there).

    The other road mode's study, routing and current situation at this threshold first (the longest
    to build when asked for: a new network and its routing), then the current situation and its map
    areas one threshold step either side, and the commune shapes the files draw from. Shared by every session:
    done once per territory.
    """
    def work(job) -> None:
        national_names()  # what a suggestion's places outside the study are named from (read once, about 1 s)
        for other_mode in ROAD_MODES:
            if other_mode != mode:
                study, routing, result = current(source, other_mode, threshold)
                baseline_areas(source.key(other_mode), threshold, result)
                scenario_start(source.key(other_mode), study, routing)
        for step in (-STEP_MIN, STEP_MIN):
            other = threshold + step
            if 5.0 <= other <= 90.0:
                study, routing, result = current(source, mode, other)
                baseline_areas(source.key(mode), other, result)
                if not MODES[mode].timetable:  # no scenario nor candidate by timetable
                    baseline_ranking(source.key(mode), other, study, routing)
        study, routing, result = current(source, mode, threshold)
        commune_shapes(source.key(mode), result)  # what every file of the study draws its communes from
        return None

    WORK.submit(("warm", source.scope, mode, float(threshold)), "préparation", work)
