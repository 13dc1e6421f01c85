"""The headline figures of a coverage run, typed.

:class:`Summary` is what every output reads (CLI, JSON, report, tables, maps, app). Its fields are
the figures; :meth:`Summary.to_dict` gives the flat JSON form that ``--summary`` files have always
had (same keys, same order), and the class is also a read-only mapping over that form, so that
table code and scripts can iterate over it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from access30.base.files import jsonable


@dataclass(frozen=True)
class HoursSummary:
    """What the opening-hours lens counted (see :func:`access30.coverage.hours.coverage_at`).

    Attributes
    ----------
    when : str
        The moment or the hours, in French (« mardi 18:00 »).
    sites_all, sites_open, sites_closed, sites_hours_unknown : int
        Sites in the study, open then, closed then, and whose hours could not be read.
    share_covered_if_unknown_open : float
        The covered share if every site of unknown hours were open (an upper bound).
    sites_open_some_weeks : int
        Sites open then in some weeks of the four-week cycle only (« 1er et 3e mardi », « semaines
        paires »): neither open nor closed, left out of the headline like unknown hours.
    share_covered_if_some_weeks_open : float
        The covered share if those sites counted as open (equal to the headline when there are none).
    walk_in : bool
        Only walk-in hours (« accueil sans rendez-vous ») were counted.
    sites_walk_in_assumed : int
        Under the walk-in lens, sites without walk-in hours whose opening hours stood for them.
    """

    when: str
    sites_all: int
    sites_open: int
    sites_closed: int
    sites_hours_unknown: int
    share_covered_if_unknown_open: float
    sites_open_some_weeks: int = 0
    share_covered_if_some_weeks_open: float = float("nan")
    walk_in: bool = False
    sites_walk_in_assumed: int = 0

    def to_dict(self) -> dict:
        """The JSON keys of the hours lens."""
        return {"hours_when": self.when, "sites_all": self.sites_all, "sites_open": self.sites_open,
                "sites_closed": self.sites_closed, "sites_hours_unknown": self.sites_hours_unknown,
                "share_covered_if_unknown_open": self.share_covered_if_unknown_open,
                "sites_open_some_weeks": self.sites_open_some_weeks,
                "share_covered_if_some_weeks_open": self.share_covered_if_some_weeks_open,
                "walk_in": self.walk_in, "sites_walk_in_assumed": self.sites_walk_in_assumed}


@dataclass(frozen=True)
class TransitSummary:
    """What a public-transport run used and found (see :mod:`access30.coverage.transit`).

    Attributes
    ----------
    service_date : str
        The service date of the timetable, ISO (``2025-12-02``).
    date_reason : str
        Why that date, in French (asked for, or the typical date chosen for « mardi 09:00 »).
    window : str
        The departure window in French (« 09:00–10:30, départ chaque minute »).
    window_start, window_minutes : int
        Start (minutes since midnight) and length of the window.
    feed_file : str
        File name of the GTFS feed.
    feed_agencies : tuple of str
    feed_valid_from, feed_valid_to : str
        The feed's validity period, ISO.
    feed_description : str
        One French line on the feed (stops, lines, trips, validity).
    opening_hours : str
        How opening hours were used, in French.
    thresholds : dict
        Threshold (min, as text) → group → ``{"covered", "share_covered"}``; includes the study's
        threshold and the extra ones of the mode (45 and 60 min).
    routes : list of dict
        Lines used by the median journeys of covered units: ``route``, ``name``, ``units``,
        ``population`` (the study's population column), and each equity group.
    stops : list of dict
        Stops where covered people board first: ``stop``, ``units``, ``population``.
    walk_only_population : float
        Covered population whose fastest median trip is walking straight to the site.
    """

    service_date: str
    date_reason: str
    window: str
    window_start: int
    window_minutes: int
    feed_file: str
    feed_agencies: tuple[str, ...]
    feed_valid_from: str
    feed_valid_to: str
    feed_description: str
    opening_hours: str
    thresholds: dict
    routes: list
    stops: list
    walk_only_population: float

    def to_dict(self) -> dict:
        """The JSON keys of a transit run (``transit_*``, ``gtfs_*``, ``coverage_by_threshold``)."""
        return {"transit_service_date": self.service_date, "transit_date_reason": self.date_reason,
                "transit_window": self.window, "transit_window_start_min": self.window_start,
                "transit_window_minutes": self.window_minutes, "gtfs_file": self.feed_file,
                "gtfs_agencies": list(self.feed_agencies), "gtfs_valid_from": self.feed_valid_from,
                "gtfs_valid_to": self.feed_valid_to, "gtfs_description": self.feed_description,
                "transit_opening_hours": self.opening_hours, "coverage_by_threshold": self.thresholds,
                "transit_routes_used": self.routes, "transit_stops_used": self.stops,
                "transit_walk_only_population": self.walk_only_population}


@dataclass(frozen=True, eq=False)
class Summary(Mapping):
    """Headline figures of a coverage run and what they count.

    Attributes
    ----------
    territory : str
        The study's label.
    threshold_min : float
        The threshold, inclusive.
    travel_mode : str
        Key of :data:`access30.network.modes.MODES`.
    population_label, population_kind : str
        What the population counts, and the kind of demand units (``grid``, ``points``…).
    population_modelled : bool
        Whether the population was spread over a modelled grid rather than observed.
    population_total, population_covered, population_uncovered, population_no_road : float
        Inhabitants in all, within the threshold, beyond it, and too far from any road.
    population_unreachable : float
        Inhabitants on a piece of network from which no site can be reached (among the uncovered).
    share_covered : float
        ``population_covered / population_total`` (0–1).
    mean_time_min, median_time_min, p90_time_min : float
        Population-weighted travel times to the nearest site (people with a road and a reachable site).
    cells_total, cells_covered, cells_uncovered, cells_no_road, cells_unreachable : int
        The same counts in demand units.
    sites_total, sites_on_network : int
        Sites in the study, and those close enough to a road to be counted.
    sites_by_type : dict
        Site type → count.
    estimated_time_share : float
        Mean share of a travel time that is estimated (access legs, bridging links), not routed.
    access_detour, access_speed_kmh, max_access_m : float
        The access-leg model.
    network : dict
        The network's counts (:meth:`access30.network.roads.RoadNetwork.summary`, keys ``network_*``).
    equity : dict
        Group → ``total``, ``covered``, ``share_covered``, ``mean_min``.
    hours : HoursSummary, optional
        Set by the opening-hours lens.
    transit : TransitSummary, optional
        Set by a public-transport run (travel mode ``transit``).
    """

    territory: str
    threshold_min: float
    travel_mode: str
    population_label: str
    population_modelled: bool
    population_kind: str
    population_total: float
    population_covered: float
    population_uncovered: float
    population_no_road: float
    share_covered: float
    mean_time_min: float
    median_time_min: float
    p90_time_min: float
    cells_total: int
    cells_covered: int
    cells_uncovered: int
    cells_no_road: int
    cells_unreachable: int
    population_unreachable: float
    sites_total: int
    sites_on_network: int
    sites_by_type: dict
    estimated_time_share: float
    access_detour: float
    access_speed_kmh: float
    max_access_m: float
    network: dict = field(default_factory=dict)
    equity: dict = field(default_factory=dict)
    hours: HoursSummary | None = None
    transit: TransitSummary | None = None

    @property
    def population_not_covered(self) -> float:
        """Inhabitants beyond the threshold, those without road access included."""
        return self.population_uncovered + self.population_no_road

    @property
    def network_partial(self) -> bool:
        """Whether the network maps only main roads (times partly estimated)."""
        return bool(self.network.get("network_partial"))

    @property
    def network_source(self) -> str:
        """Where the network comes from (file name or download)."""
        return str(self.network.get("network_source", ""))

    @cached_property
    def _flat(self) -> dict:
        out = {}  # fields in order: the network's counts and the hours lens flattened in place
        for name in self.__dataclass_fields__:
            value = getattr(self, name)
            if name == "network":
                out.update(value)
            elif name in ("hours", "transit"):
                out.update(value.to_dict() if value is not None else {})
            else:
                out[name] = value
        return out

    def to_dict(self) -> dict:
        """The flat form written to ``--summary`` files (a copy)."""
        return dict(self._flat)

    def to_json(self, extra: dict | None = None) -> str:
        """The JSON text of :meth:`to_dict` (plus ``extra`` keys), NaN and infinities as null."""
        return json.dumps(jsonable({**self._flat, **(extra or {})}), ensure_ascii=False, indent=2)

    def __getitem__(self, key: str):
        return self._flat[key]

    def __iter__(self):
        return iter(self._flat)

    def __len__(self) -> int:
        return len(self._flat)
