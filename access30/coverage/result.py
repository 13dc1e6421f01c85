"""What routing and evaluating a study give: :class:`Routing`, :class:`CoverageResult` and :class:`ScenarioInfo`."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from access30.base.errors import Notice
from access30.coverage.fca import Capacity, CapacityPeople, FCAResult, SiteLoad
from access30.coverage.summary import Summary
from access30.routing.roads import (
    Join,
    NodeTimes,
    Pairs,
    UnitTimes,
)


@dataclass(frozen=True, eq=False)
class Routing:
    """Result of the routing step, reusable for any threshold.

    Attributes
    ----------
    node_times : NodeTimes
        Nearest and second-nearest routed site of every road node.
    units, sites : Join
        Where the demand units and the sites join the network (sites too far from any road have
        segment -1 and are left out).
    pairs : Pairs
        Unit–site times that bypass road nodes (direct legs, same segment).
    times : UnitTimes
        Every unit's two nearest sites.
    notices : list of Notice
    active : ndarray of bool
        The sites routed (all but those closed in a scenario or shut at a moment).
    """

    node_times: NodeTimes
    units: Join
    sites: Join
    pairs: Pairs
    times: UnitTimes
    notices: list[Notice]
    active: np.ndarray

    @property
    def site_on_network(self) -> np.ndarray:
        """Sites within reach of a road (the others are left out)."""
        return self.sites.on_road


@dataclass(frozen=True, eq=False)
class CoverageResult:
    """Everything a coverage run found.

    Attributes
    ----------
    units : GeoDataFrame
        One row per demand unit: population, commune, equity columns, ``time_min`` (nearest site,
        access legs included), ``site``/``site_id``/``site_type`` of the nearest,
        ``time2_min``/``site2``/``site2_id`` of the second nearest, ``access_leg_min``,
        ``estimated_min`` (part of ``time_min`` not routed on mapped roads), ``snap_m``, ``status``.
    sites : GeoDataFrame
        Sites with ``catchment_population``, ``catchment_covered`` and ``on_network``.
    communes, epci : DataFrame
        Indicators per area, most uncovered people first (``epci`` empty when unknown).
    equity : DataFrame
        Indicators per equity group (population first).
    summary : Summary
        Headline figures, with what they count.
    notices : list of Notice
    scenario : ScenarioInfo, optional
        Set when the result is a scenario, not the current situation.
    sectors : AssignedCoverage, optional
        Coverage to each resident's sector site (:func:`access30.coverage.sectors.with_sectors`).
    capacity : CapacityReport, optional
        Load per site and 2SFCA indices, set by :func:`access30.coverage.capacity.with_capacity` (``--capacity``).
    wait : WaitReport, optional
        The wait for an opening within reach, set by :func:`access30.coverage.wait.with_wait` (``--wait``).
    sources : tuple of str
        The study's sources with their vintages (network, population, site lists), for every output.
    """

    units: gpd.GeoDataFrame
    sites: gpd.GeoDataFrame
    communes: pd.DataFrame
    epci: pd.DataFrame
    equity: pd.DataFrame
    summary: Summary
    notices: list[Notice]
    threshold_min: float
    scenario: "ScenarioInfo | None" = None
    sectors: "AssignedCoverage | None" = None
    capacity: "CapacityReport | None" = None
    sources: tuple[str, ...] = ()
    wait: "WaitReport | None" = None


@dataclass(frozen=True, eq=False)
class ScenarioInfo:
    """What makes a result a scenario rather than the current situation (every output shows it).

    Attributes
    ----------
    name : str
        The scenario's name, as the user gave it.
    changes : tuple of str
        One French line per change (« Ouverture (hypothétique) : … », « Fermeture : … »).
    baseline : Summary
        The summary of the current situation, for the figures before and after.
    closed_sites : GeoDataFrame
        Sites closed in the scenario (drawn greyed on maps).
    added, closed : int
        Number of sites opened (hypothetical) and closed.
    """

    name: str
    changes: tuple[str, ...]
    baseline: Summary
    closed_sites: gpd.GeoDataFrame | None = None
    added: int = 0
    closed: int = 0


def unique_notices(notices: list[Notice]) -> list[Notice]:
    """Notices without repeats (the same message met twice along the pipeline is said once)."""
    seen, out = set(), []
    for notice in notices:
        if notice.message not in seen:
            seen.add(notice.message)
            out.append(notice)
    return out


@dataclass
class CapacityReport:
    """Capacity indicators of one coverage run.

    Attributes
    ----------
    capacity : Capacity
    load : SiteLoad
    people : CapacityPeople or None
        Capacity in people (capacity × people per unit); None when no capacity is known.
    fca, efca : FCAResult
        2SFCA (one band up to the threshold) and E2SFCA (three equal bands, weights 1, 0.68, 0.22).
    sites_load : DataFrame
        One row per site: ``site_id``, ``name``, ``capacity``, ``capacity_unit``, ``capacity_people``,
        ``population_assigned``, ``load`` (people per capacity unit), ``sole_share``, ``overloaded``.
    by_commune, by_epci : DataFrame
        Population-weighted 2SFCA and E2SFCA per area (``epci`` empty when unknown).
    threshold_min : float
    notices : list of Notice
    """

    capacity: Capacity
    load: SiteLoad
    people: CapacityPeople | None
    fca: FCAResult
    efca: FCAResult
    sites_load: pd.DataFrame
    by_commune: pd.DataFrame
    by_epci: pd.DataFrame
    threshold_min: float
    population: np.ndarray
    notices: list[Notice] = field(default_factory=list)

    @property
    def unit(self) -> str:
        """The capacity unit, in French."""
        return self.capacity.unit

    @property
    def people_label(self) -> str:
        """The people-per-unit ratio in words, stated in every output."""
        return self.people.label if self.people is not None else "capacité en habitants inconnue"

    def most_loaded(self, n: int = 10) -> pd.DataFrame:
        """The ``n`` most loaded sites of known capacity, most loaded first."""
        known = self.sites_load[np.isfinite(self.sites_load["capacity"])]
        return known.sort_values("load", ascending=False, kind="stable").head(n)

    def overloaded(self) -> pd.DataFrame:
        """The overloaded sites (over ``--overload``, or the top decile), most loaded first."""
        return self.sites_load[self.sites_load["overloaded"]].sort_values("load", ascending=False, kind="stable")

    def to_dict(self) -> dict:
        """The JSON keys: ``capacity``, ``sites_load``, ``sites_overloaded``, ``access_2sfca``, ``access_e2sfca``."""
        def records(frame: pd.DataFrame) -> list[dict]:
            return [{k: (v.item() if hasattr(v, "item") else v) for k, v in rec.items()}
                    for rec in frame.to_dict("records")]

        rule = self.load.overload_rule
        return {
            "capacity": {
                "unit": self.unit, "proxy": bool(self.capacity.proxy), "source": self.capacity.source,
                "sites_known": int(self.capacity.known.sum()), "sites_unknown": int((~self.capacity.known).sum()),
                "total_known": float(np.nansum(self.capacity.values)),
                "people_per_unit": None if self.people is None else float(self.people.people_per_unit),
                "people_per_unit_default": None if self.people is None else bool(self.people.default_ratio),
                "people_per_unit_label": self.people_label,
                "overload_rule": rule, "overload_threshold": float(self.load.overload_threshold),
            },
            "sites_load": records(self.sites_load),
            "sites_overloaded": [str(v) for v in self.overloaded()["site_id"]],
            "access_2sfca": {**self._fca_meta(self.fca), **self.fca.summary(self.population)},
            "access_e2sfca": {**self._fca_meta(self.efca), **self.efca.summary(self.population)},
        }

    def _fca_meta(self, fca: FCAResult) -> dict:
        return {"method": fca.method, "unit": fca.unit_label, "per": fca.per,
                "bands_min": [[u, w] for u, w in fca.bands],
                "population_partial": float(self.population[fca.partial].sum())}


@dataclass(frozen=True)
class SectorSummary:
    """Headline figures of coverage to the assigned site.

    Attributes
    ----------
    source : str
        Where the sectorisation comes from (file name or built-in list).
    population_sectorised : float
        Inhabitants of communes that have a sector.
    population_covered_nearest, population_covered_assigned : float
        Inhabitants within the threshold of the nearest site, and of their sector's site.
    share_covered_nearest, share_covered_assigned : float
        The same, as shares of the sectorised population (0–1).
    population_gap : float
        Covered by the nearest site but not by their own sector's site.
    population_nearest_elsewhere : float
        Inhabitants whose nearest site is not one of their sector's sites.
    population_without_sector : float
        Inhabitants of communes absent from the sectorisation.
    population_sector_unlocated : float
        Inhabitants whose sector has a known site but reach none of them (within
        :data:`ASSIGNED_LIMIT_S`, or on a piece of network they cannot leave): not covered by their sector.
    mean_assigned_min : float
        Population-weighted mean time to the assigned site (reachable residents).
    communes_without_sector : tuple of str
        Codes of the communes with no sector.
    sites_unlocated : tuple of str
        Known sector sites that none of the residents of their sector reaches.
    sites_unknown : tuple of str
        Sector site ids that are none of the study's sites (« inconnus »).
    population_sector_unknown : float
        Inhabitants whose sector names only unknown sites: not covered by their sector.
    """

    source: str
    population_sectorised: float
    population_covered_nearest: float
    population_covered_assigned: float
    share_covered_nearest: float
    share_covered_assigned: float
    population_gap: float
    population_nearest_elsewhere: float
    population_without_sector: float
    population_sector_unlocated: float
    mean_assigned_min: float
    communes_without_sector: tuple[str, ...]
    sites_unlocated: tuple[str, ...]
    sites_unknown: tuple[str, ...] = ()
    population_sector_unknown: float = 0.0

    def to_dict(self) -> dict:
        """The JSON form (key ``sectors`` of the summary file)."""
        out = dict(self.__dict__)
        out["communes_without_sector"] = list(self.communes_without_sector)
        out["sites_unlocated"] = list(self.sites_unlocated)
        out["sites_unknown"] = list(self.sites_unknown)
        return out


@dataclass(frozen=True, eq=False)
class AssignedCoverage:
    """Coverage to the assigned site next to coverage to the nearest.

    Attributes
    ----------
    units : DataFrame
        One row per unit: ``unit_id``, ``commune``, ``population``, ``sector_sites`` (« ; »-joined ids),
        ``assigned_site_id`` (the sector site reached first), ``assigned_min`` (inf when out of reach or
        no located sector site, NaN without sector), ``covered_nearest``, ``covered_assigned``.
    communes : DataFrame
        Per commune: ``commune``, ``nom``, ``sector_sites``, ``population``, ``covered_nearest``,
        ``covered_assigned``, ``share_nearest``, ``share_assigned``, ``gap`` (people), ``mean_assigned_min``;
        largest gap first.
    summary : SectorSummary
    notices : list of Notice
    """

    units: pd.DataFrame
    communes: pd.DataFrame
    summary: SectorSummary
    notices: list[Notice]


@dataclass
class WaitReport:
    """The wait for an opening of a reception point within reach (:mod:`access30.coverage.wait`).

    For every resident within the threshold of at least one site: from a moment drawn uniformly over
    the four-week cycle, the time until a site they reach within the threshold is open (0 when one is
    open then). Computed exactly from the union of the reachable sites' openings.

    Attributes
    ----------
    units : DataFrame
        One row per demand unit: ``unit_id``, ``commune``, ``population``, ``sites_in_reach``,
        ``sites_hours_unknown`` (of those), ``frequency`` (``weekly``, ``fortnightly``,
        ``less_often``, ``never``, ``unknown``; "" out of reach), ``open_share`` (share of the cycle
        some reachable site is open), ``mean_wait_days``, ``p90_wait_days`` (NaN out of reach, with
        unknown hours only, or never open).
    communes : DataFrame
        Per commune: ``commune``, ``nom``, ``population_in_reach``, ``population_unknown``,
        ``population_weekly``, ``population_fortnightly``, ``population_less_often``,
        ``population_never``, the ``share_*`` of the four (of the population in reach with known
        hours), ``mean_wait_days``, ``p90_wait_days``; most waiting first.
    population_in_reach : float
        Residents within the threshold of at least one site.
    population_unknown : float
        Of those, residents whose reachable sites all have unknown hours (no wait computed).
    population_partly_unknown : float
        Residents whose wait counts only the sites of known hours among those they reach (an upper bound).
    population_weekly, population_fortnightly, population_less_often, population_never : float
        Residents in reach with known hours by frequency: an opening every week of the cycle; in every
        two consecutive weeks but not every week; less often; never (reachable sites closed throughout).
    mean_wait_days, p90_wait_days : float
        Mean and 90th percentile of the wait, in days, over residents (with a known, finite wait) and
        moments of the cycle (the 90th percentile of their mixed distribution, exactly).
    threshold_min : float
    walk_in : bool
        The wait counts walk-in hours only.
    notices : list of Notice
    """

    units: pd.DataFrame
    communes: pd.DataFrame
    population_in_reach: float
    population_unknown: float
    population_partly_unknown: float
    population_weekly: float
    population_fortnightly: float
    population_less_often: float
    population_never: float
    mean_wait_days: float
    p90_wait_days: float
    threshold_min: float
    walk_in: bool = False
    notices: list[Notice] = field(default_factory=list)

    @property
    def population_known(self) -> float:
        """Residents in reach whose reachable sites include some of known hours."""
        return self.population_in_reach - self.population_unknown

    def share(self, frequency: str) -> float:
        """Share of :attr:`population_known` with that frequency (``weekly``, ``fortnightly``,
        ``less_often``, ``never``); NaN when nobody in reach has known hours."""
        known = self.population_known
        return getattr(self, f"population_{frequency}") / known if known > 0 else float("nan")

    def to_dict(self) -> dict:
        """The JSON key ``wait``: headline figures and one record per commune (the units stay in the GPKG)."""
        def num(value):
            value = float(value)
            return value if np.isfinite(value) else None

        communes = [{k: (num(v) if isinstance(v, (float, np.floating)) else
                         int(v) if isinstance(v, np.integer) else v) for k, v in rec.items()}
                    for rec in self.communes.to_dict("records")]
        return {
            "threshold_min": float(self.threshold_min), "walk_in": bool(self.walk_in),
            "cycle_weeks": 4, "population_in_reach": num(self.population_in_reach),
            "population_unknown": num(self.population_unknown),
            "population_partly_unknown": num(self.population_partly_unknown),
            **{f"population_{f}": num(getattr(self, f"population_{f}")) for f in WAIT_FREQUENCIES},
            **{f"share_{f}": num(self.share(f)) for f in WAIT_FREQUENCIES},
            "mean_wait_days": num(self.mean_wait_days), "p90_wait_days": num(self.p90_wait_days),
            "communes": communes,
        }


#: The frequency codes of a known wait, most frequent first.
WAIT_FREQUENCIES = ("weekly", "fortnightly", "less_often", "never")
