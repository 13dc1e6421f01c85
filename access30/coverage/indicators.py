"""Coverage indicators from any routing's unit times.

Per unit, commune, EPCI, site catchment and equity group, with the headline
:class:`~access30.coverage.summary.Summary`: the same for every travel mode.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import pandas as pd

from access30.base.errors import Notice
from access30.base.fmt import fmt_int, fmt_metres, fmt_num, fmt_pct
from access30.base.labels import units_of
from access30.base.settings import DEFAULT_THRESHOLD_MIN, HEADLINE_ESTIMATED_SHARE
from access30.coverage import rules as cov
from access30.coverage.result import CoverageResult, Routing, unique_notices
from access30.coverage.rules import check_threshold
from access30.coverage.summary import Summary
from access30.inputs.communes import national_communes_table
from access30.inputs.sites import SITE_TYPES
from access30.inputs.study import Study

#: Site types that are town halls: with population placed at the town halls, their times are nil.
TOWN_HALL_TYPES = ("mairie",)


def town_hall_notices(study_notices, units: pd.DataFrame, summary: Summary) -> list[Notice]:
    """With population placed at the town halls and town halls among the sites, say (before the
    headline) that the mean time is measured from each town hall to itself, not a resident's trip."""
    if not any(n.code == "population_town_halls" for n in study_notices):
        return []
    at_hall = units["site_type"].isin(TOWN_HALL_TYPES).to_numpy() & (units["time_min"].to_numpy() < 1.0)
    pop = units["population"].to_numpy(dtype=float)
    total = float(pop.sum())
    if not at_hall.any() or total <= 0:
        return []
    return [Notice("town_halls_measured_to_themselves",
                   f"Population placée aux mairies, et les mairies sont aussi des lieux d'accueil : "
                   f"{fmt_int(pop[at_hall].sum(), sep=' ')} habitants ({fmt_pct(pop[at_hall].sum() / total, sep=' ')}) "
                   "sont comptés à moins d'une minute, le temps de leur mairie à elle-même ; le temps moyen "
                   f"({fmt_num(round(summary.mean_time_min, 2))} min) n'est pas un temps de trajet des habitants.",
                   count=int(at_hall.sum()), headline=True)]


#: Name of the EPCI row of the population whose commune has no known EPCI (no code, or outside the list).
NO_EPCI = "Sans intercommunalité connue"


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
    return national_communes_table(set(codes))


def evaluate_times(study: Study, routing: Routing, threshold_min: float = DEFAULT_THRESHOLD_MIN) -> CoverageResult:
    """Coverage indicators from any routing's :class:`~access30.routing.roads.UnitTimes` (road modes, and
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
        notices.append(Notice("no_site", "Aucun lieu d'accueil pris en compte : toute la population est non couverte.",
                              headline=True))
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
                          + f") : {fmt_pct(estimated_share, 0, sep=' ')} du temps moyen",
                          headline=estimated_share > HEADLINE_ESTIMATED_SHARE))
    notices += town_hall_notices(study.notices, units, summary)
    if net.partial:
        notices.append(Notice("partial_network", "Réseau partiel (routes principales) : les temps combinent "
                                                 "trajets routés et estimations ; à confirmer sur un réseau complet."))
    if study.demand.modelled:
        notices.append(Notice("modelled_population", "Population modélisée : " + study.demand.population_label))
    return CoverageResult(units=units, sites=sites, communes=communes, epci=epci, equity=equity,
                          summary=summary, notices=unique_notices(notices), threshold_min=float(threshold_min),
                          sources=tuple(study.sources))
