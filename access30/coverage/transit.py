"""Public transport in a coverage study: a GTFS feed as the study's network.

A travel mode of kind ``"timetable"`` (:data:`access30.network.modes.TRANSIT`) has no road network: its
network is a :class:`TransitNetwork`, the timetable of one service date of a GTFS feed with the
departure window, read by :func:`read_transit_network` when the study is assembled. Routing
(:func:`route_transit`) runs :func:`access30.routing.transit.transit_times` once for every demand unit and
site; :func:`evaluate_transit` then gives the usual :class:`~access30.coverage.result.CoverageResult`:

* ``time_min`` is the median travel time over the departures of the window, ``time_p25_min`` and
  ``time_p75_min`` its 25th and 75th percentiles, ``lines`` the lines of the median journey;
* the summary's ``transit`` part (:class:`~access30.coverage.summary.TransitSummary`) gives the date and why,
  the window, the feed and its validity, coverage at 30, 45 and 60 min per equity group, and the
  lines and stops that carry the covered people.

Opening hours: when the moment is given (``--at "mardi 09:00"``) and a site's hours are known, the
site counts only when it is open at arrival (an early traveller waits at the door, and the wait
counts); sites of unknown hours count at any time, and a notice says how many.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from access30.base.crs import to_projected
from access30.base.errors import Notice
from access30.base.fmt import fmt_int, fmt_list, fmt_num, fmt_pct, plural
from access30.base.labels import units_of
from access30.base.settings import DEFAULT_THRESHOLD_MIN, HEADLINE_ESTIMATED_SHARE
from access30.coverage.indicators import evaluate_times
from access30.coverage.result import unique_notices
from access30.coverage.summary import TransitSummary
from access30.inputs.hours import site_hours
from access30.network import gtfs
from access30.network.modes import get_mode
from access30.network.transit import TransitNetwork
from access30.routing.roads import UnitTimes
from access30.routing.transit import (
    TransitParams,
    TransitResult,
    boarding_usage,
    intervals_for_day,
    route_usage,
    transit_times,
)

#: Lines and stops listed in the JSON summary (most used first).
USAGE_ROWS = 15


@dataclass(frozen=True, eq=False)
class TransitRouting:
    """A transit study routed: the router's result and the same :class:`UnitTimes` as a road routing.

    Attributes
    ----------
    result : TransitResult
    times : UnitTimes
        ``time1`` is the median time; ``estimated_s`` the walking part of the median journey.
    notices : list of Notice
    active : ndarray of bool
    site_on_network : ndarray of bool
        Every site counts (walking straight to it is always possible).
    hours_known : int
        Sites whose opening hours were applied (0 when no moment was given).
    """

    result: TransitResult
    times: UnitTimes
    notices: list
    active: np.ndarray
    site_on_network: np.ndarray
    hours_known: int = 0


def route_transit(study, second: bool = True) -> TransitRouting:
    """Public-transport times of every unit of ``study`` to its sites (``second`` is ignored)."""
    net: TransitNetwork = study.network
    demand = study.demand.to_crs(net.crs)
    units_xy = np.c_[demand.units["x"].to_numpy(dtype=float), demand.units["y"].to_numpy(dtype=float)]
    sx, sy = to_projected(study.sites.geometry.x.to_numpy(), study.sites.geometry.y.to_numpy(), net.crs)
    site_open, known, notices = None, 0, []
    if net.hours_weekday is not None:
        parsed = site_hours(study.sites)
        weekly = [p.hours for p in parsed]
        known = sum(w is not None for w in weekly)
        site_open = intervals_for_day(weekly, net.hours_weekday)
        cycle = [w is not None and not w.weekly for w in weekly]
        if any(cycle):
            names = study.sites["name"].to_numpy()[cycle].tolist()
            notices.append(Notice("transit_hours_some_weeks",
                                  f"{plural(len(names), 'lieu ouvert', 'lieux ouverts')} certaines semaines seulement "
                                  "(1er et 3e mardi, semaines paires…) : seules leurs heures d'ouverture de chaque "
                                  "semaine comptent : " + fmt_list(names), count=len(names), details=names))
        if known < len(weekly):
            names = study.sites["name"].to_numpy()[[w is None for w in weekly]].tolist()
            notices.append(Notice("transit_hours_unknown",
                                  f"{plural(len(names), 'lieu', 'lieux')} aux horaires inconnus ou illisibles, "
                                  "comptés comme ouverts à toute heure : " + fmt_list(names), count=len(names),
                                  details=names))
    params = TransitParams(walk_speed_kmh=study.access.speed_kmh, detour=study.access.detour)
    result = transit_times(net.timetable, units_xy, np.c_[sx, sy], net.window, params, site_open, crs=net.crs)
    n = result.n_units
    j = result.journeys
    time1 = result.median_min * 60.0
    walk = np.where(j.n_legs() > 0, np.nan_to_num(j.access_walk_s) + np.nan_to_num(j.egress_walk_s), time1)
    times = UnitTimes(time1=time1, site1=result.site_at_median.astype(int), time2=np.full(n, np.inf),
                      site2=np.full(n, -1), access_leg_s=np.where(j.n_legs() > 0, np.nan_to_num(j.access_walk_s),
                                                                  time1),
                      estimated_s=np.where(np.isfinite(time1), walk, 0.0), snap_m=np.zeros(n),
                      on_road=np.ones(n, dtype=bool))
    return TransitRouting(result=result, times=times, notices=notices, active=np.ones(len(study.sites), dtype=bool),
                          site_on_network=np.ones(len(study.sites), dtype=bool), hours_known=known)


def evaluate_transit(study, routing: TransitRouting, threshold_min: float = DEFAULT_THRESHOLD_MIN):
    """The :class:`~access30.coverage.result.CoverageResult` of a transit routing (see the module docstring)."""
    base = evaluate_times(study, routing, threshold_min)
    net: TransitNetwork = study.network
    res = routing.result
    mode = get_mode(net.mode)
    units = base.units
    units["time_p25_min"] = res.p25_min
    units["time_p75_min"] = res.p75_min
    units["walk_only"] = res.walk_only_at_median & np.isfinite(res.median_min)
    units["lines"] = _journey_lines(res)
    groups = list(study.demand.equity_columns)
    weights = {"population": units["population"].to_numpy(dtype=float)}
    weights.update({g: units[g].to_numpy(dtype=float) for g in groups if g != "population"})
    thresholds = sorted({float(threshold_min), *mode.extra_thresholds})
    by_threshold = {}
    for t in thresholds:
        covered = res.median_min <= t + 1e-9
        by_threshold[fmt_num(t)] = {g: {"covered": float(w[covered].sum()),
                                        "share_covered": float(w[covered].sum() / w.sum()) if w.sum() > 0 else 0.0}
                                    for g, w in weights.items()}
    routes = route_usage(res, weights["population"], threshold_min)
    routes = routes[routes["units"] > 0].head(USAGE_ROWS)
    by_group = {g: route_usage(res, w, threshold_min).set_index("route_id")["weight"]
                for g, w in weights.items() if g != "population"}
    route_rows = [{"route": row.route_short_name or row.route_id, "name": row.route_long_name,
                   "units": int(row.units), "population": float(row.weight),
                   **{g: float(usage.loc[row.route_id]) for g, usage in by_group.items()}}
                  for row in routes.itertuples()]
    stops = boarding_usage(res, weights["population"], threshold_min).head(USAGE_ROWS)
    stop_rows = [{"stop": row.stop_name or row.stop_id, "units": int(row.first_units),
                  "population": float(row.first_weight)} for row in stops.itertuples() if row.first_units > 0]
    within = res.median_min <= threshold_min + 1e-9
    hours_text = (f"horaires d'ouverture appliqués le {gtfs.fr_date(net.day)} : un lieu ne compte que s'il est "
                  f"ouvert à l'arrivée ({routing.hours_known} lieux sur {len(study.sites)} aux horaires connus)"
                  if net.hours_weekday is not None else
                  "horaires d'ouverture non pris en compte (donnez --at \"jour HH:MM\" pour les appliquer)")
    meta = net.feed.metadata
    summary = replace(base.summary, transit=_transit_summary(net, meta, hours_text, by_threshold, route_rows,
                                                             stop_rows, float(weights["population"][
                                                                 within & units["walk_only"].to_numpy()].sum())))
    drop = {"estimated", "unreachable", "no_road"}
    notices = [n for n in base.notices if n.code not in drop]
    notices.append(Notice("transit_date", f"Transports en commun : horaires du {gtfs.fr_date(net.day)}, départs "
                                          f"{net.window.label_fr()} ; {net.date_reason}."))
    notices.append(Notice("transit_feed", f"Réseau de transport : {meta.describe_fr()}. {mode.limit}"))
    notices.append(Notice("transit_hours", "Transports en commun : " + hours_text + "."))
    walk_share = base.summary.estimated_time_share
    notices.append(Notice("estimated", f"Temps de marche estimés (vol d'oiseau × {fmt_num(study.access.detour)} à "
                                       f"{fmt_num(study.access.speed_kmh)} km/h) : "
                                       f"{fmt_pct(walk_share, 0, sep=' ')} du temps moyen",
                          headline=walk_share > HEADLINE_ESTIMATED_SHARE))
    unreached = ~np.isfinite(res.median_min)
    if unreached.any():
        pop = weights["population"][unreached].sum()
        notices.append(Notice("transit_unreached",
                              f"{units_of(int(unreached.sum()), study.demand.kind)} ({fmt_int(pop)} "
                              f"{study.demand.population_label}) sans lieu atteignable en "
                              f"{fmt_num(res.params.max_minutes)} min (transports et marche) : non couverts",
                              count=int(unreached.sum())))
    return replace(base, units=units, summary=summary, notices=unique_notices(notices))


def _transit_summary(net: TransitNetwork, meta, hours_text, by_threshold, route_rows, stop_rows, walk_only):
    return TransitSummary(
        service_date=net.day.isoformat(), date_reason=net.date_reason, window=net.window.label_fr(),
        window_start=int(net.window.start_min), window_minutes=int(net.window.duration_min), feed_file=net.source,
        feed_agencies=tuple(meta.agencies), feed_valid_from=meta.start.isoformat(), feed_valid_to=meta.end.isoformat(),
        feed_description=meta.describe_fr(), opening_hours=hours_text, thresholds=by_threshold, routes=route_rows,
        stops=stop_rows, walk_only_population=walk_only)


def _journey_lines(res: TransitResult) -> np.ndarray:
    """The lines of each unit's median journey, « O2 + S1 » (« à pied » or "" when none)."""
    j = res.journeys
    names = np.where(res.route_short_names != "", res.route_short_names, res.route_ids).astype(str)
    out = np.where(np.isfinite(res.median_min), "à pied", "").astype(object)
    for u in np.flatnonzero(j.n_legs() > 0):
        legs = j.route[j.unit_offsets[u]:j.unit_offsets[u + 1]]
        out[u] = " + ".join(names[legs])
    return out
