"""Public transport in a coverage study: a GTFS feed as the study's network.

A travel mode of kind ``"timetable"`` (:data:`access.modes.TRANSIT`) has no road network: its
network is a :class:`TransitNetwork`, the timetable of one service date of a GTFS feed with the
departure window, read by :func:`read_transit_network` when the study is assembled. Routing
(:func:`route_transit`) runs :func:`access.transit.transit_times` once for every demand unit and
site; :func:`evaluate_transit` then gives the usual :class:`~access.analysis.CoverageResult`:

* ``time_min`` is the median travel time over the departures of the window, ``time_p25_min`` and
  ``time_p75_min`` its 25th and 75th percentiles, ``lines`` the lines of the median journey;
* the summary's ``transit`` part (:class:`~access.summary.TransitSummary`) gives the date and why,
  the window, the feed and its validity, coverage at 30, 45 and 60 min per equity group, and the
  lines and stops that carry the covered people.

Opening hours: when the moment is given (``--at "mardi 09:00"``) and a site's hours are known, the
site counts only when it is open at arrival (an early traveller waits at the door, and the wait
counts); sites of unknown hours count at any time, and a notice says how many.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import numpy as np

from . import gtfs
from .crs import local_crs, to_projected, to_wgs84
from .errors import InputError, Notice
from .fmt import fmt_int, fmt_list, fmt_metres, fmt_num, fmt_pct, plural
from .modes import get_mode
from .routing import UnitTimes
from .transit import (
    DepartureWindow,
    TransitParams,
    TransitResult,
    boarding_usage,
    intervals_for_day,
    route_usage,
    transit_times,
)

#: The moment used when neither a date nor a moment is given: a typical Tuesday morning.
DEFAULT_WHEN = "mardi 09:00"
#: Default length of the departure window, minutes.
DEFAULT_WINDOW_MIN = 90
#: Lines and stops listed in the JSON summary (most used first).
USAGE_ROWS = 15
#: Below this share of the population within walking reach of a served stop, a notice says so.
WARN_STOP_REACH_SHARE = 0.5
_EARTH_RADIUS_M = 6_371_000.0


@dataclass(frozen=True, eq=False)
class TransitNetwork:
    """The timetable of one service date and the departure window: the network of a transit study.

    Attributes
    ----------
    feed : Feed
    path : Path
        The GTFS file.
    day : date
        Service date.
    date_reason : str
        Why that date, in French.
    window : DepartureWindow
    timetable : Timetable
    crs : str
        Projected CRS of the computation (the local one of the stops).
    hours_weekday : int or None
        Weekday whose opening hours apply (None: hours not used, no moment given).
    mode : str
        ``"transit"``.
    """

    feed: gtfs.Feed
    path: Path
    day: date
    date_reason: str
    window: DepartureWindow
    timetable: gtfs.Timetable
    crs: str
    hours_weekday: int | None = None
    mode: str = "transit"
    partial: bool = False

    @property
    def source(self) -> str:
        """The feed's file name."""
        return self.path.name

    @property
    def x(self) -> np.ndarray:
        """Projected x of the served stops."""
        return self._xy()[0]

    @property
    def y(self) -> np.ndarray:
        """Projected y of the served stops."""
        return self._xy()[1]

    def _xy(self) -> tuple[np.ndarray, np.ndarray]:
        served = self.timetable.served_stops()
        return to_projected(self.timetable.stop_lon[served], self.timetable.stop_lat[served], self.crs)

    def summary(self) -> dict:
        """The ``network_*`` keys of the summary: stops served and trips running that day."""
        return {"network_source": self.source, "network_mode": self.mode, "network_partial": False,
                "network_nodes": int(len(self.timetable.served_stops())), "network_edges": int(self.timetable.n_trips),
                "network_components": 1, "network_estimated_edges": 0}

    def source_line(self) -> str:
        """The feed in the study's sources (agency, validity, file)."""
        meta = self.feed.metadata
        agencies = ", ".join(meta.agencies) or "agence non déclarée"
        return (f"Horaires de transports en commun : {agencies}, flux GTFS {self.source}, valable "
                f"{meta.period_fr()} ; date de service utilisée : {gtfs.fr_date(self.day)} "
                f"({self.window.label_fr()})")


def read_transit_network(gtfs_path, when: str | None = None, service_date: str | None = None,
                         window_min: int | None = None, points_lonlat=None) -> TransitNetwork:
    """Read the feed and fix the service date and the window of a transit study.

    Parameters
    ----------
    gtfs_path : path or None
        The GTFS feed (zip or folder).
    when : str, optional
        A moment of the week (« mardi 09:00 »): its time starts the window; without ``service_date``
        its weekday picks a typical date of the feed (:func:`access.gtfs.choose_date`), and the
        sites' opening hours apply.
    service_date : str, optional
        ``YYYY-MM-DD``: the service date itself (must lie in the feed's validity period).
    window_min : int, optional
        Length of the departure window (90 min by default).
    points_lonlat : (lon, lat) arrays, optional
        Points of the territory, to choose the projected CRS (the stops' otherwise).

    Raises
    ------
    InputError
        No feed given, a feed that cannot be read, a date outside its period (the message gives the
        period), a date whose weekday is not the one of ``when``, or a bad window.
    """
    from .hours import DAY_NAMES_FR, parse_when

    if gtfs_path is None:
        mode = get_mode("transit")
        raise InputError(f"le mode « {mode.label.lower()} » demande {mode.needs}",
                         "ajoutez --gtfs FICHIER.zip : les horaires du réseau au format GTFS (publiés par "
                         "l'autorité organisatrice, par ex. sur transport.data.gouv.fr)", column="--gtfs")
    path = Path(gtfs_path)
    if not path.exists():
        raise InputError("flux GTFS introuvable", "indiquez le chemin du fichier .zip du flux GTFS", path=path,
                         column="--gtfs")
    window_min = DEFAULT_WINDOW_MIN if window_min is None else int(window_min)
    if not 1 <= window_min <= 24 * 60:
        raise InputError(f"fenêtre de départ de {window_min} min hors limites",
                         "indiquez une durée entre 1 et 1 440 minutes (90 par défaut)", column="--window")
    feed = gtfs.read_feed(path)
    if service_date is not None:
        try:
            day = date.fromisoformat(str(service_date))
        except ValueError:
            raise InputError(f"date « {service_date} » illisible", "écrivez-la AAAA-MM-JJ",
                             column="--date") from None
        gtfs.check_date(feed, day)
        minute = parse_when(when or DEFAULT_WHEN)[1]
        if when is not None and parse_when(when)[0] != day.weekday():
            raise InputError(f"le {gtfs.fr_date(day)} est un {DAY_NAMES_FR[day.weekday()]}, pas le jour de « {when} »",
                             "donnez un moment du même jour que la date, ou seulement l'un des deux", column="--at")
        reason = f"date demandée ({DAY_NAMES_FR[day.weekday()]} {gtfs.fr_date(day)}) ; flux valable " \
                 f"{feed.metadata.period_fr()}"
    else:
        chosen = gtfs.choose_date(feed, when or DEFAULT_WHEN)
        day, minute = chosen.day, chosen.minute
        reason = ("date typique choisie pour « " + (when or DEFAULT_WHEN) + " » : " + chosen.reason
                  + ("" if when else " (moment par défaut)"))
    window = DepartureWindow(minute, window_min)
    if points_lonlat is None:
        served = np.flatnonzero(np.isfinite(feed.stop_lon))
        points_lonlat = (feed.stop_lon[served], feed.stop_lat[served])
    crs = local_crs(*points_lonlat)
    return TransitNetwork(feed=feed, path=path, day=day, date_reason=reason, window=window,
                          timetable=gtfs.timetable_for_date(feed, day), crs=crs,
                          hours_weekday=day.weekday() if when is not None else None)


def _nearest_m(lon_from, lat_from, lon_to, lat_to) -> np.ndarray:
    """Great-circle distance (m) from each ``from`` point to the nearest ``to`` point (inf when no ``to``).

    Measured on the sphere rather than in a projected CRS: a feed and a territory may be oceans apart,
    and the study's projected CRS is the feed's, which distorts far away from its stops.
    """
    from scipy.spatial import cKDTree

    def xyz(lon, lat):
        phi, lam = np.radians(np.asarray(lat, dtype=float)), np.radians(np.asarray(lon, dtype=float))
        return np.c_[np.cos(phi) * np.cos(lam), np.cos(phi) * np.sin(lam), np.sin(phi)]

    if len(lon_to) == 0:
        return np.full(len(lon_from), np.inf)
    chord, _ = cKDTree(xyz(lon_to, lat_to)).query(xyz(lon_from, lat_from))
    return 2 * _EARTH_RADIUS_M * np.arcsin(np.minimum(np.asarray(chord) / 2, 1.0))


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
    distance = _nearest_m(lon, lat, tt.stop_lon[served], tt.stop_lat[served])
    pop = units["population"].to_numpy(dtype=float)
    near = distance <= radius
    day = gtfs.fr_date(net.day)
    if not near.any():
        located = np.flatnonzero(np.isfinite(tt.stop_lon) & np.isfinite(tt.stop_lat))
        any_stop = _nearest_m(lon, lat, tt.stop_lon[located], tt.stop_lat[located])
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
                   "les bus urbains).", count=int((~near).sum()))]


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
    from .hours import site_hours

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


def evaluate_transit(study, routing: TransitRouting, threshold_min: float = 30.0):
    """The :class:`~access.analysis.CoverageResult` of a transit routing (see the module docstring)."""
    from .analysis import evaluate_times, unique_notices
    from .labels import units_of

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
                                       f"{fmt_pct(walk_share, 0, sep=' ')} du temps moyen"))
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
    from .summary import TransitSummary

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
