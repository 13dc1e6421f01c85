"""The coverage study: inputs, routing, and indicators, wired together.

A :class:`Study` holds the prepared inputs (network, demand, sites, communes). :func:`route` does
the expensive part once (joining points to the network and Dijkstra searches) and returns a :class:`Routing`;
:func:`evaluate` turns it into a :class:`CoverageResult` for any threshold in milliseconds, so the
app can move the threshold slider without routing again.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from . import coverage as cov
from .crs import to_projected
from .errors import InputError, Notice
from .fmt import fmt_given, fmt_int, fmt_list, fmt_metres, fmt_num, fmt_pct, plural
from .labels import units_of
from .modes import get_mode
from .network import RoadNetwork
from .population import Demand
from .routing import AccessModel, Join, NodeTimes, Pairs, UnitTimes, join_points, route_to_sites, unit_pairs, unit_times
from .sites import SITE_TYPES

if TYPE_CHECKING:
    from .assigned import AssignedCoverage
from .summary import Summary

if TYPE_CHECKING:
    from .load import CapacityReport

#: Name of the EPCI row of the population whose commune has no known EPCI (no code, or outside the list).
NO_EPCI = "Sans intercommunalité connue"


@dataclass(frozen=True, eq=False)
class Study:
    """Prepared inputs of a coverage study.

    Attributes
    ----------
    network : RoadNetwork
    demand : Demand
    sites : GeoDataFrame
        Standard site columns (see :mod:`access.sites`), WGS84.
    access : AccessModel
    communes : DataFrame or GeoDataFrame, optional
        The communes with ``code``, ``nom`` and, when known, ``epci_code`` and ``epci_nom``; a
        GeoDataFrame of outlines when they are known (see :attr:`outlines`), else a plain table
        (names from the national list).
    label : str
        Territory name for titles.
    notices : list of Notice
        What loading found and corrected.
    sources : list of str
        One line per data source (origin, date, licence), for reports.
    territory : str, optional
        Key of the built-in territory the study comes from (its site lists serve as candidates).
    departement : str, optional
        INSEE code of the département (given, or read from the commune codes): the national site
        lists of that département serve as candidates.
    """

    network: RoadNetwork
    demand: Demand
    sites: gpd.GeoDataFrame
    access: AccessModel
    communes: pd.DataFrame | None = None
    label: str = ""
    notices: list[Notice] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    territory: str | None = None
    departement: str | None = None

    def with_sites(self, sites: gpd.GeoDataFrame) -> "Study":
        """The same study with another site list."""
        return replace(self, sites=sites.reset_index(drop=True))

    @property
    def outlines(self) -> gpd.GeoDataFrame | None:
        """Commune outlines (polygons with ``code`` and ``nom``), or None when they are not known."""
        return commune_outlines(self.communes)

    def area_wgs84(self, buffer_m: float = 2000.0):
        """The study area buffered by ``buffer_m``, WGS84: the communes' outlines, else the demand's extent."""
        from .crs import local_crs

        outlines = self.outlines
        if outlines is not None:
            wgs = outlines.to_crs("EPSG:4326")
            point = wgs.geometry.representative_point()
            crs = local_crs(point.x.to_numpy(), point.y.to_numpy())
            area = outlines.to_crs(crs).geometry.union_all().buffer(buffer_m)
        else:
            crs = self.demand.crs
            points = gpd.GeoSeries(gpd.points_from_xy(self.demand.units["x"], self.demand.units["y"]), crs=crs)
            area = points.union_all().convex_hull.buffer(max(buffer_m, 500.0))
        return gpd.GeoSeries([area], crs=crs).to_crs("EPSG:4326").iloc[0]


def commune_outlines(communes) -> gpd.GeoDataFrame | None:
    """``communes`` when it holds polygon outlines, else None (a names-only table, or points)."""
    if not isinstance(communes, gpd.GeoDataFrame) or communes.empty or "geometry" not in communes.columns:
        return None
    kinds = communes.geometry.geom_type.dropna()
    if kinds.empty or not kinds.str.contains("Polygon").all():
        return None
    return communes


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


def join_xy(study: Study, lon, lat) -> Join:
    """Join WGS84 points (sites, candidates, a clicked point) to the study's network."""
    x, y = to_projected(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), study.network.crs)
    return join_points(study.network, x, y, study.access)


def join_sites(study: Study) -> tuple[Join, list[Notice]]:
    """Where every site joins the network; sites beyond reach get segment -1 and a notice."""
    net = study.network
    if len(study.sites) == 0:
        return join_xy(study, np.zeros(0), np.zeros(0)), []
    joined = join_xy(study, study.sites.geometry.x.to_numpy(), study.sites.geometry.y.to_numpy())
    notices = []
    far = ~joined.on_road
    if far.all():
        raise InputError(
            f"aucun des {len(study.sites)} lieux d'accueil n'est à moins de "
            f"{fmt_metres(study.access.max_distance_m)} d'une route du réseau « {net.source} »",
            "vérifiez que le réseau couvre le territoire des lieux, ou augmentez --max-access-m")
    if far.any():
        notices.append(far_sites_notice(study, study.sites.loc[far, "name"].tolist()))
    return joined, notices


def far_sites_notice(study: Study, names: list[str]) -> Notice:
    """The notice for sites too far from any road to join the network (reached only straight, from
    within the access distance)."""
    reach = fmt_metres(study.access.max_distance_m)
    return Notice("sites_far_from_road",
                  f"{plural(len(names), 'lieu', 'lieux')} à plus de {reach} de toute route du réseau, atteints "
                  f"seulement en ligne droite (trajet estimé) par les habitants à moins de {reach} : "
                  + fmt_list(names), count=len(names), details=names)


def join_units(study: Study) -> Join:
    """Where every demand unit joins the network."""
    demand = study.demand.to_crs(study.network.crs)
    return join_points(study.network, demand.units["x"].to_numpy(), demand.units["y"].to_numpy(), study.access)


def engine(study: Study):
    """``(route, evaluate)`` functions of the study's travel mode: the one place that decides how a
    mode's times are computed, from its :attr:`~access.modes.TravelMode.kind`.

    Road modes are routed on the OSM network here (:mod:`access.routing`); timetable modes (public
    transport) by :mod:`access.transit_study` over a GTFS feed.
    """
    if get_mode(study.network.mode).timetable:
        from .transit_study import evaluate_transit, route_transit

        return route_transit, evaluate_transit
    return route_roads, evaluate_times


def route(study: Study, second: bool = True) -> Routing:
    """Compute every unit's travel times to the sites, once per study (see :func:`engine`)."""
    return engine(study)[0](study, second=second)


def route_roads(study: Study, second: bool = True) -> Routing:
    """Join sites and units to the network, run the searches, and find every unit's two nearest sites."""
    sites, notices = join_sites(study)
    return reroute(study, join_units(study), sites, np.ones(len(sites), dtype=bool), notices, second=second)


def reroute(study: Study, units: Join, sites: Join, active: np.ndarray, notices: list[Notice],
            second: bool = True) -> Routing:
    """Route already-joined units to the ``active`` sites (a scenario's open sites, sites open at a moment)."""
    node_times = route_to_sites(study.network, sites, active, second=second)
    pairs = unit_pairs(units, sites, study.access, active)
    return Routing(node_times=node_times, units=units, sites=sites, pairs=pairs,
                   times=unit_times(node_times, units, pairs), notices=list(notices), active=np.asarray(active))


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


def _commune_names(study: Study, codes=()) -> pd.DataFrame:
    """``code, nom, epci_code, epci_nom`` of the study's communes, completed from the national list
    for the ``codes`` of the population that the study's communes lack (outlines of part of the
    territory): a commune is named, and counted in its EPCI, whatever the outlines given."""
    columns = ["code", "nom", "epci_code", "epci_nom"]
    frame = pd.DataFrame(columns=columns)
    if study.communes is not None:
        frame = pd.DataFrame(study.communes.drop(columns="geometry", errors="ignore"))
        for column in ["nom", "epci_code", "epci_nom"]:
            if column not in frame.columns:
                frame[column] = ""
        frame = frame[columns].fillna("").astype(str)
    missing = frozenset(pd.Series(codes, dtype=object).astype(str).unique()) - set(frame["code"]) - {""}
    extra = _national_names(missing) if missing else None
    if extra is not None:
        frame = pd.concat([frame, extra[columns].fillna("").astype(str)], ignore_index=True)
    return frame


@lru_cache(maxsize=8)
def _national_names(codes: frozenset) -> pd.DataFrame | None:
    from .territory import national_communes_table

    return national_communes_table(set(codes))


def evaluate(study: Study, routing: Routing, threshold_min: float = 30.0) -> CoverageResult:
    """Coverage indicators of a routed study for a threshold in minutes (see :func:`engine`).

    Raises
    ------
    InputError
        If the threshold is not a positive number of minutes up to 24 hours.
    """
    check_threshold(threshold_min)
    return engine(study)[1](study, routing, threshold_min)


def evaluate_times(study: Study, routing: Routing, threshold_min: float = 30.0) -> CoverageResult:
    """Coverage indicators from any routing's :class:`~access.routing.UnitTimes` (road modes, and
    the base of a timetable mode's result)."""
    check_threshold(threshold_min)
    demand = study.demand.to_crs(study.network.crs)
    t = routing.times
    status = cov.classify(t.time1, t.on_road, threshold_min)
    units = demand.units.copy()
    names = study.sites["name"].to_numpy()
    ids = study.sites["site_id"].to_numpy()
    types = study.sites["type"].to_numpy()

    def pick(values, index):
        return np.where(index >= 0, values[np.maximum(index, 0)] if len(values) else "", "")

    units["time_min"] = t.time1 / 60.0
    units["site_id"] = pick(ids, t.site1)
    units["site"] = pick(names, t.site1)
    units["site_type"] = pick(types, t.site1)
    units["time2_min"] = t.time2 / 60.0
    units["site2_id"] = pick(ids, t.site2)
    units["site2"] = pick(names, t.site2)
    units["access_leg_min"] = t.access_leg_s / 60.0
    units["estimated_min"] = t.estimated_s / 60.0
    units["snap_m"] = t.snap_m
    units["status"] = status
    equity_cols = study.demand.equity_columns
    pop = units["population"].to_numpy(dtype=float)
    routed_time = np.where(status == cov.STATUS_NO_ROAD, np.inf, t.time1)

    names_table = _commune_names(study, units["commune"])
    communes = cov.by_area(units, status, routed_time, "commune", equity_cols)
    if not communes.empty:
        communes = communes.merge(names_table, how="left", left_on="commune", right_on="code").drop(columns="code")
        communes[["nom", "epci_code", "epci_nom"]] = communes[["nom", "epci_code", "epci_nom"]].fillna("")
    epci = pd.DataFrame()
    if (names_table["epci_code"] != "").any():
        units["epci"] = units["commune"].map(dict(zip(names_table["code"], names_table["epci_code"]))).fillna("")
        epci = cov.by_area(units, status, routed_time, "epci", equity_cols)
        epci = epci.merge(names_table.drop_duplicates("epci_code")[["epci_code", "epci_nom"]],
                          how="left", left_on="epci", right_on="epci_code").drop(columns="epci_code")
        epci["epci_nom"] = epci["epci_nom"].fillna("")
        epci.loc[epci["epci"] == "", "epci_nom"] = NO_EPCI

    sites = study.sites.copy()
    catch = cov.site_catchments(len(sites), t.site1, pop, status)
    sites["catchment_population"] = catch["catchment_population"].to_numpy()
    sites["catchment_covered"] = catch["catchment_covered"].to_numpy()
    sites["on_network"] = routing.site_on_network
    sites["type_label"] = sites["type"].map(SITE_TYPES).fillna(sites["type"])

    equity = cov.equity_table(units, status, routed_time, equity_cols)
    head = equity.iloc[0]
    finite = np.isfinite(t.time1) & (status != cov.STATUS_NO_ROAD)
    estimated_share = (float(np.average(t.estimated_s[finite] / np.maximum(t.time1[finite], 1e-9),
                                        weights=pop[finite])) if finite.any() and pop[finite].sum() > 0 else 0.0)
    no_road = status == cov.STATUS_NO_ROAD
    unreachable = ~no_road & ~np.isfinite(t.time1)
    net = study.network
    summary = Summary(
        territory=study.label, threshold_min=float(threshold_min), travel_mode=net.mode,
        population_label=study.demand.population_label, population_modelled=study.demand.modelled,
        population_kind=study.demand.kind, population_total=head["total"], population_covered=head["covered"],
        population_uncovered=head["uncovered"], population_no_road=head["no_road"],
        share_covered=head["share_covered"], mean_time_min=head["mean_min"], median_time_min=head["median_min"],
        p90_time_min=head["p90_min"], cells_total=int(len(units)),
        cells_covered=int((status == cov.STATUS_COVERED).sum()),
        cells_uncovered=int((status == cov.STATUS_UNCOVERED).sum()), cells_no_road=int(no_road.sum()),
        cells_unreachable=int(unreachable.sum()), population_unreachable=float(pop[unreachable].sum()),
        sites_total=int(len(sites)), sites_on_network=int(sites["on_network"].sum()),
        sites_by_type={k: int(v) for k, v in sites["type"].value_counts().items()},
        estimated_time_share=estimated_share, access_detour=study.access.detour,
        access_speed_kmh=study.access.speed_kmh, max_access_m=study.access.max_distance_m, network=net.summary(),
        equity={row["group"]: {k: row[k] for k in ("total", "covered", "share_covered", "mean_min")}
                for _, row in equity.iterrows()})
    notices = list(study.notices) + list(routing.notices)
    if summary.cells_no_road:
        notices.append(Notice("no_road",
                              f"{units_of(summary.cells_no_road, study.demand.kind)} à plus de "
                              f"{fmt_metres(study.access.max_distance_m)} de toute route et de tout lieu d'accueil "
                              f"({fmt_int(summary.population_no_road)} habitants) : population comptée comme non "
                              "couverte (sans accès routier)",
                              count=summary.cells_no_road))
    if summary.sites_total == 0:
        notices.append(Notice("no_site", "Aucun lieu d'accueil pris en compte : toute la population est non couverte."))
    elif summary.cells_unreachable:
        notices.append(Notice("unreachable",
                              f"{units_of(summary.cells_unreachable, study.demand.kind)} "
                              f"({fmt_int(summary.population_unreachable)} habitants) sur un morceau de réseau "
                              "d'où aucun lieu d'accueil n'est atteignable (île, tronçon isolé) : population non "
                              "couverte", count=summary.cells_unreachable))
    notices.append(Notice("estimated",
                          f"Part estimée des temps d'accès (trajets d'approche : distance à vol d'oiseau × "
                          f"{fmt_num(study.access.detour)} à {fmt_num(study.access.speed_kmh)} km/h"
                          + (", liaisons entre tronçons du réseau partiel" if net.partial else "")
                          + f") : {fmt_pct(estimated_share, 0, sep=' ')} du temps moyen"))
    if net.partial:
        notices.append(Notice("partial_network", "Réseau partiel (routes principales) : les temps combinent "
                                                 "trajets routés et estimations ; à confirmer sur un réseau complet."))
    if study.demand.modelled:
        notices.append(Notice("modelled_population", "Population modélisée : " + study.demand.population_label))
    return CoverageResult(units=units, sites=sites, communes=communes, epci=epci, equity=equity,
                          summary=summary, notices=unique_notices(notices), threshold_min=float(threshold_min),
                          sources=tuple(study.sources))


def unique_notices(notices: list[Notice]) -> list[Notice]:
    """Notices without repeats (the same message met twice along the pipeline is said once)."""
    seen, out = set(), []
    for notice in notices:
        if notice.message not in seen:
            seen.add(notice.message)
            out.append(notice)
    return out


def check_threshold(threshold_min: float) -> None:
    """Reject thresholds that are not a positive number of minutes up to 24 hours."""
    try:
        value = float(threshold_min)
    except (TypeError, ValueError):
        raise InputError(f"seuil « {threshold_min} » non numérique", "indiquez un nombre de minutes, par ex. 30",
                         column="--threshold") from None
    if not np.isfinite(value) or value <= 0 or value > 24 * 60:
        raise InputError(f"seuil de {fmt_given(value)} min hors limites",
                         "indiquez un seuil de plus de 0 et d'au plus 1 440 minutes (30 par défaut)",
                         column="--threshold")


def run_coverage(study: Study, threshold_min: float = 30.0) -> CoverageResult:
    """Route a study and evaluate it against a threshold (the whole coverage job)."""
    check_threshold(threshold_min)
    return evaluate(study, route(study), threshold_min)

