"""Routing a study on roads.

Its sites and demand units joined to the network, then the two nearest sites of every unit
(the searches themselves live in :mod:`access30.routing.roads`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from access30.base.crs import to_projected
from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_list, fmt_metres, plural
from access30.routing.roads import (
    Join,
    join_points,
    route_to_sites,
    unit_pairs,
    unit_times,
)

if TYPE_CHECKING:
    pass
from access30.coverage.result import Routing
from access30.inputs.study import Study


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
