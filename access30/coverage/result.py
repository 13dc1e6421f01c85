"""What routing and evaluating a study give: :class:`Routing`, :class:`CoverageResult` and :class:`ScenarioInfo`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from access30.base.errors import Notice
from access30.routing.roads import (
    Join,
    NodeTimes,
    Pairs,
    UnitTimes,
)

if TYPE_CHECKING:
    from access30.coverage.sectors import AssignedCoverage
from access30.coverage.summary import Summary

if TYPE_CHECKING:
    from access30.coverage.capacity import CapacityReport


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
        Coverage to each resident's sector site (:func:`access.assigned.with_sectors`).
    capacity : CapacityReport, optional
        Load per site and 2SFCA indices, set by :func:`access.load.with_capacity` (``--capacity``).
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
    """

    name: str
    changes: tuple[str, ...]
    baseline: Summary
    closed_sites: gpd.GeoDataFrame | None = None

    @property
    def added(self) -> int:
        """Number of sites opened (hypothetical)."""
        return sum(1 for line in self.changes if line.startswith("Ouverture"))

    @property
    def closed(self) -> int:
        """Number of sites closed."""
        return sum(1 for line in self.changes if line.startswith("Fermeture"))


def unique_notices(notices: list[Notice]) -> list[Notice]:
    """Notices without repeats (the same message met twice along the pipeline is said once)."""
    seen, out = set(), []
    for notice in notices:
        if notice.message not in seen:
            seen.add(notice.message)
            out.append(notice)
    return out
