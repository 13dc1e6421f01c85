"""Checks that a GTFS feed serves the study's population (stops within walking reach)."""

from __future__ import annotations

import numpy as np

from access30.base.crs import to_wgs84
from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_int, fmt_metres, fmt_pct
from access30.network import gtfs
from access30.network.transit import TransitNetwork, nearest_m
from access30.routing.transit import (
    TransitParams,
)

#: Below this share of the population within walking reach of a served stop, a notice says so.
WARN_STOP_REACH_SHARE = 0.5


def stop_reach_notices(net: TransitNetwork, demand, where: str,
                       params: TransitParams | None = None) -> list[Notice]:
    """Check that the feed serves the territory: refuse a feed none of whose stops served on the
    service date lies within walking reach of the population, and say, with the figures, when only a
    small share of the population lives within walking reach of a served stop.

    Parameters
    ----------
    net : TransitNetwork
    demand : Demand
        The study's population (its units and CRS).
    where : str
        The population in words, for messages (« la population du territoire », « la population de
        pop.csv »).
    params : TransitParams, optional
        Its ``walk_radius_m`` is the walking reach (1,000 m by default, as in routing).

    Returns
    -------
    list of Notice
        Empty, or one ``transit_stops_far`` notice (share below :data:`WARN_STOP_REACH_SHARE`).

    Raises
    ------
    InputError
        No unit within walking reach of a stop served that day; the message names the feed, the
        date and the distance to the nearest served stop (and says when stops of the feed are
        nearer but not served that day).
    """
    params = params or TransitParams()
    radius = float(params.walk_radius_m)
    units = demand.units
    lon, lat = to_wgs84(units["x"].to_numpy(dtype=float), units["y"].to_numpy(dtype=float), demand.crs)
    tt = net.timetable
    served = tt.served_stops()
    distance = nearest_m(lon, lat, tt.stop_lon[served], tt.stop_lat[served])
    pop = units["population"].to_numpy(dtype=float)
    near = distance <= radius
    day = gtfs.fr_date(net.day)
    if not near.any():
        located = np.flatnonzero(np.isfinite(tt.stop_lon) & np.isfinite(tt.stop_lat))
        any_stop = nearest_m(lon, lat, tt.stop_lon[located], tt.stop_lat[located])
        unserved = (" ; des arrêts du flux sont plus proches mais sans course ce jour-là"
                    if any_stop.min() <= radius else "")
        raise InputError(f"aucun arrêt du flux GTFS « {net.source} » desservi le {day} n'est à moins de "
                         f"{fmt_metres(radius)} à pied de {where} : l'arrêt desservi le plus "
                         f"proche est à {fmt_metres(float(distance.min()))}{unserved}",
                         "donnez le flux GTFS du réseau qui dessert ce territoire (publié par l'autorité "
                         "organisatrice, par ex. sur transport.data.gouv.fr), ou un autre territoire ou fichier "
                         "de population" + (", ou une autre date (--service-date)" if unserved else ""),
                         path=net.path, column="--gtfs")
    total = float(pop.sum())
    share = float(pop[near].sum()) / total if total > 0 else 0.0
    if share >= WARN_STOP_REACH_SHARE:
        return []
    word = demand.population_label.split(" ")[0]
    noun = word if word.isalpha() and word.islower() else "habitants"
    return [Notice("transit_stops_far",
                   f"Attention : seuls {fmt_int(pop[near].sum(), sep=' ')} {noun} sur {fmt_int(total, sep=' ')} "
                   f"({fmt_pct(share, sep=' ')}) vivent à moins de {fmt_metres(radius)} d'un arrêt du "
                   f"flux GTFS « {net.source} » desservi le {day} ; les autres ne peuvent que marcher jusqu'au "
                   "lieu d'accueil : vérifiez que le flux couvre bien le territoire (un flux interurbain ignore "
                   "les bus urbains).", count=int((~near).sum()), headline=True)]
