"""Travel times by public transport: exact earliest arrival over a departure window.

For every demand unit (a 200 m cell centre, a commune point) and every departure minute ``τ`` of a
window (e.g. Tuesday 08:30–10:00), the travel time is the earliest moment the traveller can be at
*any* reception site — open at that moment when opening hours are given — minus ``τ``. Waiting at
the first stop counts. Per unit we report the median over the departures of the window (as
R5/Conveyal does), the 25th and 75th percentiles, the site reached and the journey taken at the
median departure (lines and stops, for the analysis of which lines carry the covered people).

Model
-----
* Walking: crow-fly distance × ``detour`` (1.3) at ``walk_speed_kmh`` (4.5 km/h). Unit → stop and
  stop → site legs only within ``walk_radius_m`` (1,000 m, crow-fly); walking straight from the unit
  to a site is always an option, at any distance.
* Transfers: after alighting at stop ``v``, boarding again at a stop ``x`` within
  ``transfer_radius_m`` (400 m, crow-fly; ``x`` may be ``v``) takes ``max(min_transfer_s, walk(v, x))``:
  every transfer takes at least ``min_transfer_s`` (default 120 s, walking included), so a
  same-stop connection of 1 minute is not counted on as safe. One walk per transfer (no chains).
* Boarding and alighting respect ``pickup_type`` / ``drop_off_type`` = 1.
* Opening hours: a site counts only if it is open when the traveller is there. Someone who would
  arrive before opening waits at the door, and the wait counts (arriving earlier and waiting at the
  door is the same as leaving later and arriving at opening time); someone arriving after closing
  is served at the next opening of the same service day, if any. So the "served" moment at site
  ``k`` for an arrival ``a`` is ``g_k(a)``, the first open moment ≥ ``a`` — non-decreasing in
  ``a``, which keeps the FIFO property the search relies on.
* Horizon: journeys are explored up to ``max_minutes`` (180) after each departure; a unit that
  reaches no site within it gets ``inf``.

Algorithm
---------
A single **backward profile Connection Scan** from the set of sites (Dibbelt et al., 2013), then a
vectorised evaluation per unit:

1. The day's connections (one per pair of consecutive stops of a trip) departing in
   ``[window start, window end + max_minutes]`` are scanned once by decreasing departure time. For
   every stop ``s`` this builds the Pareto profile ``B_s(t)``: the earliest served moment at any
   site for a traveller ready to board at ``s`` at time ``t`` (arrays of departures and served
   moments). Alighting evaluates the walk to the sites near the stop and the transfers to the stops
   near it in the profiles already built (they only hold later departures). Each profile entry keeps
   the connection it boards and each connection where to get off and what next, so that journeys
   can be rebuilt.
2. For every (unit, stop within walking radius) pair and every departure ``τ``, ``B_s(τ + walk)``
   is read with one ``searchsorted`` over all profiles; the minimum over the unit's stops and the
   direct walk gives the travel time matrix (units × departures).

Why backward: the targets (any site) are shared by all units, so one profile scan answers every
unit, every departure and every access time exactly; the per-unit work is a lookup. Forward
searches must be run per unit *and* per departure (1.27 million earliest-arrival queries for
14,076 cells × 90 minutes). Measured on La Réunion (Car Jaune, Tuesday 02/12/2025 08:30–10:00,
14,076 cells, 56 sites, 2-core machine; ``scripts/bench_transit.py --compare-forward 1000``):
this backward design takes 0.17 s for all cells (0.34 s on the first call of a process); a forward
Connection Scan per (cell, departure) with early stopping, compiled with numba, 10.7 s
(extrapolated from 1,000 cells, plus 4.2 s of compilation); the same forward scan in pure Python
about 960 s (extrapolated from 50 cells). Both forward versions find the same times. The profile
scan itself handles 2,151 connections and builds 1,909 profile entries in under 0.01 s of pure
Python, so compiling it with numba cannot pay (compilation alone costs seconds); the evaluation is
NumPy (0.09 s), leaving little to gain. See ``docs/benchmarks_transit.md``.

Example
-------
::

    feed = gtfs.read_feed("car_jaune_974.gtfs.zip")
    chosen = gtfs.choose_date(feed, "mardi 09:00")          # a typical Tuesday, and why (chosen.reason)
    timetable = gtfs.timetable_for_date(feed, chosen.day)
    window = DepartureWindow(chosen.minute, 90)              # 09:00–10:30, every minute
    result = transit_times(timetable, cells_xy, sites_xy, window, crs="EPSG:2975")
    result.covered(30.0)                                     # median time ≤ 30 min
    route_usage(result, households, 30.0)                    # which lines carry the covered people

Percentiles are order statistics (``numpy.percentile(..., method="inverted_cdf")``): with 90
departures the median is the 45th smallest time, always a time some departure actually gets; the
"median departure" is the earliest departure getting it.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from access30.base.errors import InputError
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.network.gtfs import Timetable
from access30.network.transit import DepartureWindow

#: Percentiles reported per unit.
PERCENTILES = (25, 50, 75)
_INF = np.inf
# Keys of the concatenated profiles: stop * _STRIDE + (time + _SHIFT), exact in float64.
_STRIDE = 8 * 86_400.0
_SHIFT = 2 * 86_400.0
_EGRESS, _TRANSFER = 1, 2


@dataclass(frozen=True)
class TransitParams:
    """Walking and transfer rules of the transit model (see the module docstring).

    Attributes
    ----------
    walk_speed_kmh : float
        Walking speed (4.5 km/h).
    detour : float
        Crow-fly distances are multiplied by this (1.3) to approximate the street path.
    walk_radius_m : float
        Longest crow-fly walk between a unit and a stop, or a stop and a site (1,000 m).
    transfer_radius_m : float
        Longest crow-fly walk between two stops for a transfer (400 m).
    min_transfer_s : float
        Shortest transfer, walking included (120 s); must be > 0.
    max_minutes : float
        Journeys longer than this after the departure are not explored (180 min).
    """

    walk_speed_kmh: float = 4.5
    detour: float = 1.3
    walk_radius_m: float = 1000.0
    transfer_radius_m: float = 400.0
    min_transfer_s: float = 120.0
    max_minutes: float = 180.0

    def __post_init__(self) -> None:
        checks = {"walk_speed_kmh": self.walk_speed_kmh > 0, "detour": self.detour >= 1,
                  "walk_radius_m": self.walk_radius_m >= 0, "transfer_radius_m": self.transfer_radius_m >= 0,
                  "min_transfer_s": self.min_transfer_s > 0, "max_minutes": self.max_minutes > 0}
        for name, ok in checks.items():
            if not ok:
                raise InputError(f"paramètre {name} = {getattr(self, name)} invalide",
                                 "vitesse, rayons, correspondance minimale et horizon doivent être positifs "
                                 "(détour ≥ 1 ; correspondance minimale > 0)", column=name)

    def walk_seconds(self, metres):
        """Walking time (s) of a crow-fly distance (m)."""
        return np.asarray(metres, dtype=float) * self.detour / (self.walk_speed_kmh / 3.6)


#: Opening hours of the sites: one entry per site, ``None`` (no restriction) or an array of
#: ``[open, close)`` minute intervals of the service day (close excluded, may exceed 1440 for the
#: night after); or a callable ``f(site_index, minutes) -> bool array`` saying whether the site is
#: open during each minute.
SiteOpen = Sequence[object] | Callable[[int, np.ndarray], np.ndarray]


@dataclass(frozen=True, eq=False)
class Journeys:
    """The best journey of each unit at its median departure, as legs (flat arrays).

    The legs of unit ``u`` are rows ``unit_offsets[u]:unit_offsets[u + 1]``, in travel order; a
    unit that walks straight to its site (or reaches nothing) has none.

    Attributes
    ----------
    unit_offsets : ndarray of int64, shape (n_units + 1,)
    trip, route : ndarray of int32
        Timetable trip index and feed route index of each leg.
    board_stop, alight_stop : ndarray of int32
        Feed stop indexes.
    board_s, alight_s : ndarray of float
        Times, seconds since midnight.
    access_walk_s, egress_walk_s : ndarray of float, shape (n_units,)
        Walk from the unit to the first stop and from the last stop to the site (NaN without legs).
    """

    unit_offsets: np.ndarray
    trip: np.ndarray
    route: np.ndarray
    board_stop: np.ndarray
    alight_stop: np.ndarray
    board_s: np.ndarray
    alight_s: np.ndarray
    access_walk_s: np.ndarray
    egress_walk_s: np.ndarray

    def n_legs(self) -> np.ndarray:
        """Number of vehicle legs per unit (0: walk only or unreached)."""
        return np.diff(self.unit_offsets)

    def leg_unit(self) -> np.ndarray:
        """Unit index of each leg."""
        return np.repeat(np.arange(len(self.unit_offsets) - 1), self.n_legs())


@dataclass(frozen=True, eq=False)
class TransitResult:
    """Travel times of every unit over the departure window, with the median journeys.

    Attributes
    ----------
    day : date
        Service date of the timetable.
    window : DepartureWindow
    params : TransitParams
    departures_s : ndarray, shape (n_dep,)
        Departure times (seconds since midnight).
    times_min : ndarray, shape (n_units, n_dep)
        Travel time at each departure, minutes; ``inf`` when no site is reached within
        ``params.max_minutes``.
    median_min, p25_min, p75_min : ndarray, shape (n_units,)
        Order statistics of ``times_min`` over the departures (see the module docstring).
    median_departure_s : ndarray, shape (n_units,)
        The (earliest) departure whose time is the median.
    site_at_median : ndarray of int, shape (n_units,)
        Site reached at the median departure; −1 when none.
    walk_only_at_median : ndarray of bool
        True when walking straight to the site is (one of) the fastest at the median departure.
    journeys : Journeys
        Legs of the median journey of each unit.
    route_ids, route_short_names, route_long_names, stop_ids, stop_names : ndarray
        Labels of the feed's routes and stops (indexes used in ``journeys``).
    routes_running : ndarray of bool
        Routes with at least one trip in the timetable of the day.
    stats : dict
        Sizes and timings of the run (connections, profile entries, seconds per step).
    """

    day: date
    window: DepartureWindow
    params: TransitParams
    departures_s: np.ndarray
    times_min: np.ndarray
    median_min: np.ndarray
    p25_min: np.ndarray
    p75_min: np.ndarray
    median_departure_s: np.ndarray
    site_at_median: np.ndarray
    walk_only_at_median: np.ndarray
    journeys: Journeys
    route_ids: np.ndarray
    route_short_names: np.ndarray
    route_long_names: np.ndarray
    stop_ids: np.ndarray
    stop_names: np.ndarray
    routes_running: np.ndarray
    stats: dict = field(default_factory=dict)

    @property
    def n_units(self) -> int:
        """Number of demand units."""
        return self.times_min.shape[0]

    def covered(self, threshold_min: float = DEFAULT_THRESHOLD_MIN) -> np.ndarray:
        """Units whose median time is within the threshold (inclusive)."""
        return self.median_min <= threshold_min


# --------------------------------------------------------------------------------------------
# Public entry point


def transit_times(timetable: Timetable, origins_xy, sites_xy, window: DepartureWindow,
                  params: TransitParams | None = None, site_open: SiteOpen | None = None, *,
                  crs: str) -> TransitResult:
    """Exact public-transport travel times from every unit to the nearest (open) site.

    Parameters
    ----------
    timetable : Timetable
        One service date (:func:`access30.network.gtfs.timetable_for_date`).
    origins_xy : array-like, shape (n_units, 2)
        Demand units, projected coordinates in metres (``crs``).
    sites_xy : array-like, shape (n_sites, 2)
        Reception sites, same CRS.
    window : DepartureWindow
        Departure minutes, counted from midnight of ``timetable.day``.
    params : TransitParams, optional
        Walking and transfer rules (defaults: 4.5 km/h, ×1.3, 1,000 m, 400 m, 120 s, 180 min).
    site_open : SiteOpen, optional
        Opening hours (see :data:`SiteOpen`); None: every site counts at any time.
    crs : str
        The projected CRS of ``origins_xy`` and ``sites_xy``, to project the stops.

    Returns
    -------
    TransitResult

    Raises
    ------
    InputError
        Coordinates missing or not in metres, opening hours of the wrong length.
    """
    params = params or TransitParams()
    clock = {"start": time.perf_counter()}
    origins = _xy(origins_xy, "origines")
    sites = _xy(sites_xy, "lieux")
    served = _OpeningHours.build(site_open, len(sites), window, params)
    stop_x, stop_y = timetable.stops_xy(crs)
    stops = np.c_[stop_x, stop_y]

    departures = window.departures_s
    t_end = departures[-1] + params.max_minutes * 60.0
    conn = _connections(timetable, departures[0], t_end)
    near = _Geometry.build(origins, sites, stops, conn, params)
    clock["geometry"] = time.perf_counter()
    profiles = _profile_scan(conn, len(stops), near, params, served)
    clock["scan"] = time.perf_counter()
    best = _evaluate(profiles, near, departures, len(origins))
    walk = _direct_walk(origins, sites, departures, best, params, served)
    times = np.minimum(best, walk) - departures[None, :]
    times[times > params.max_minutes * 60.0 + 1e-9] = _INF
    clock["evaluate"] = time.perf_counter()

    times_min = times / 60.0
    p25, med, p75, med_idx = _order_statistics(times_min)
    journeys, site, walk_only = _median_journeys(profiles, near, conn, timetable, departures, med_idx,
                                                 times, walk, origins, sites, params, served)
    clock["journeys"] = time.perf_counter()
    stats = {"n_units": len(origins), "n_sites": len(sites), "n_departures": len(departures),
             "n_connections": len(conn.u), "n_profile_entries": len(profiles.stop),
             "n_access_pairs": len(near.pair_unit),
             "seconds": {"geometry": clock["geometry"] - clock["start"], "scan": clock["scan"] - clock["geometry"],
                         "evaluate": clock["evaluate"] - clock["scan"],
                         "journeys": clock["journeys"] - clock["evaluate"],
                         "total": clock["journeys"] - clock["start"]}}
    running = np.zeros(len(timetable.route_ids), dtype=bool)
    running[timetable.trip_route] = True
    return TransitResult(
        day=timetable.day, window=window, params=params, departures_s=departures, times_min=times_min,
        median_min=med, p25_min=p25, p75_min=p75,
        median_departure_s=np.where(med_idx >= 0, departures[np.maximum(med_idx, 0)], np.nan),
        site_at_median=site, walk_only_at_median=walk_only, journeys=journeys,
        route_ids=timetable.route_ids, route_short_names=timetable.route_short_names,
        route_long_names=timetable.route_long_names, stop_ids=timetable.stop_ids,
        stop_names=timetable.stop_names, routes_running=running, stats=stats)


def _xy(values, what: str) -> np.ndarray:
    xy = np.asarray(values, dtype=float)
    if xy.ndim != 2 or xy.shape[1] != 2:
        raise InputError(f"coordonnées des {what} : tableau (n, 2) attendu, reçu {xy.shape}",
                         "passez les x, y projetés en mètres")
    if not np.isfinite(xy).all():
        row = int(np.flatnonzero(~np.isfinite(xy).all(axis=1))[0])
        raise InputError(f"coordonnées manquantes pour {what} (ligne {row + 1})", "retirez ou géolocalisez ce point")
    if not len(xy):
        raise InputError(f"aucun point parmi les {what}", "il faut au moins une origine et un lieu d'accueil")
    if np.abs(xy).max() <= 360:
        raise InputError(f"coordonnées des {what} en degrés ?", "projetez-les dans un CRS en mètres "
                         "(par ex. EPSG:2975 à La Réunion)")
    return xy


# --------------------------------------------------------------------------------------------
# Opening hours


@dataclass(frozen=True, eq=False)
class _OpeningHours:
    """Per-site open intervals (seconds of the service day), or None when every site is always open.

    ``starts``/``ends`` hold every site's merged intervals, sorted by site then start; ``key`` is
    ``site * _STRIDE + start + _SHIFT`` for vectorised look-ups.
    """

    starts: np.ndarray | None = None
    ends: np.ndarray | None = None
    key: np.ndarray | None = None
    site_of: np.ndarray | None = None
    per_site: tuple = ()

    @property
    def always(self) -> bool:
        return self.starts is None

    @classmethod
    def build(cls, site_open, n_sites: int, window: DepartureWindow, params: TransitParams) -> "_OpeningHours":
        if site_open is None:
            return cls()
        if callable(site_open):
            last = window.start_min + window.duration_min + int(np.ceil(params.max_minutes)) + 1
            minutes = np.arange(0, last)
            intervals = []
            for k in range(n_sites):
                flags = np.asarray(site_open(k, minutes), dtype=bool)
                if flags.shape != minutes.shape:
                    raise InputError(f"horaires du lieu n° {k + 1} : {flags.size} valeurs pour {minutes.size} minutes",
                                     "la fonction d'ouverture rend un booléen par minute demandée")
                intervals.append(_runs(minutes, flags))
        else:
            if len(site_open) != n_sites:
                raise InputError(f"horaires donnés pour {len(site_open)} lieux au lieu de {n_sites}",
                                 "une entrée d'horaires par lieu (None si toujours ouvert)")
            intervals = [np.array([[-_SHIFT / 60, _STRIDE / 60 - _SHIFT / 60]]) if iv is None else
                         np.asarray(iv, dtype=float).reshape(-1, 2) for iv in site_open]
        starts, ends, sites, per_site = [], [], [], []
        for k, iv in enumerate(intervals):
            merged = _merge(iv * 60.0)
            per_site.append((merged[:, 0].tolist(), merged[:, 1].tolist()))
            starts.append(merged[:, 0])
            ends.append(merged[:, 1])
            sites.append(np.full(len(merged), k))
        starts, ends, sites = np.concatenate(starts), np.concatenate(ends), np.concatenate(sites)
        return cls(starts=starts, ends=ends, key=sites * _STRIDE + starts + _SHIFT, site_of=sites,
                   per_site=tuple(per_site))

    def served(self, site: int, arrival: float) -> float:
        """First moment ≥ ``arrival`` at which ``site`` is open (inf if it does not open again)."""
        if self.starts is None:
            return arrival
        starts, ends = self.per_site[site]
        i = bisect_right(starts, arrival) - 1
        if i >= 0 and arrival < ends[i]:
            return arrival
        return starts[i + 1] if i + 1 < len(starts) else _INF

    def served_many(self, sites: np.ndarray, arrivals: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`served` (same shapes)."""
        if self.starts is None:
            return arrivals
        q = sites * _STRIDE + arrivals + _SHIFT
        i = np.searchsorted(self.key, q, side="right") - 1
        inside = (i >= 0) & (self.site_of[np.maximum(i, 0)] == sites) & (arrivals < self.ends[np.maximum(i, 0)])
        j = np.minimum(i + 1, len(self.key) - 1)
        nxt = np.where((i + 1 < len(self.key)) & (self.site_of[j] == sites), self.starts[j], _INF)
        return np.where(inside, arrivals, nxt)


def _merge(iv: np.ndarray) -> np.ndarray:
    """Sort and merge overlapping or touching [start, end) intervals; drop empty ones."""
    iv = iv[iv[:, 1] > iv[:, 0]]
    if not len(iv):
        return np.zeros((0, 2))
    iv = iv[np.argsort(iv[:, 0])]
    out = [iv[0].tolist()]
    for s, e in iv[1:]:
        if s <= out[-1][1]:
            out[-1][1] = max(out[-1][1], e)
        else:
            out.append([s, e])
    return np.array(out)


def _runs(minutes: np.ndarray, is_open: np.ndarray) -> np.ndarray:
    """[start, end) minute intervals of the runs of True in a per-minute boolean array."""
    edges = np.diff(np.r_[0, is_open.astype(np.int8), 0])
    return np.c_[minutes[0] + np.flatnonzero(edges == 1), minutes[0] + np.flatnonzero(edges == -1)]


def intervals_for_day(hours: Sequence[object], weekday: int) -> list[np.ndarray | None]:
    """Open intervals of each site on one weekday, from :class:`access30.inputs.hours.WeeklyHours`.

    Parameters
    ----------
    hours : sequence of WeeklyHours or None
        One per site; None (unknown hours) gives None, i.e. the site counts at any time.
    weekday : int
        0 = Monday: the weekday of the timetable's service date.

    Returns
    -------
    list
        Per site, an (m, 2) array of ``[open, close)`` minutes of that day, followed by the next
        day's intervals shifted by 1,440 (a journey can end after midnight); usable as ``site_open``.
    """
    out: list[np.ndarray | None] = []
    nxt = (weekday + 1) % 7
    for weekly in hours:
        if weekly is None:
            out.append(None)
            continue
        iv = [(s, e) for d, s, e in weekly.open if d == weekday]
        iv += [(s + 1440, e + 1440) for d, s, e in weekly.open if d == nxt]
        out.append(np.array(iv, dtype=float).reshape(-1, 2))
    return out


# --------------------------------------------------------------------------------------------
# Connections and geometry


@dataclass(frozen=True, eq=False)
class _Connections:
    """Elementary connections (consecutive stops of a trip), sorted for the backward scan:
    departure descending, then arrival descending, then later in the trip first."""

    u: np.ndarray
    v: np.ndarray
    td: np.ndarray
    ta: np.ndarray
    trip: np.ndarray
    pickup: np.ndarray
    dropoff: np.ndarray


def _connections(tt: Timetable, t_start: float, t_end: float) -> _Connections:
    """Connections departing in ``[t_start, t_end]``, in scan order."""
    rows = np.arange(len(tt.st_stop) - 1)
    last = np.zeros(len(tt.st_stop), dtype=bool)
    last[tt.st_offsets[1:] - 1] = True
    rows = rows[~last[:-1]] if len(rows) else rows
    td = tt.st_dep[rows]
    keep = (td >= t_start) & (td <= t_end)
    rows = rows[keep]
    trip = np.searchsorted(tt.st_offsets, rows, side="right") - 1
    order = np.lexsort((-rows, -tt.st_arr[rows + 1], -tt.st_dep[rows]))
    rows, trip = rows[order], trip[order]
    return _Connections(u=tt.st_stop[rows], v=tt.st_stop[rows + 1], td=tt.st_dep[rows].astype(float),
                        ta=tt.st_arr[rows + 1].astype(float), trip=trip.astype(np.int64),
                        pickup=tt.st_pickup[rows], dropoff=tt.st_dropoff[rows + 1])


@dataclass(frozen=True, eq=False)
class _Geometry:
    """Walking links: unit→stop pairs (sorted by unit), stop→site and stop→stop lists."""

    pair_unit: np.ndarray
    pair_stop: np.ndarray
    pair_walk: np.ndarray
    egress: list           # per stop: [(site, walk_s), …]
    transfers: list        # per stop: [(stop, transfer_s), …], the stop itself included

    @classmethod
    def build(cls, origins, sites, stops, conn: _Connections, params: TransitParams) -> "_Geometry":
        n_stops = len(stops)
        boarding = np.unique(conn.u[conn.pickup])
        alighting = np.unique(conn.v[conn.dropoff])
        r = params.walk_radius_m
        # Unit → stop (boarding stops only).
        pu, ps, pd_ = _pairs(cKDTree(origins), cKDTree(stops[boarding]), r)
        order = np.lexsort((ps, pu))
        pair_unit, pair_stop = pu[order], boarding[ps[order]]
        pair_walk = params.walk_seconds(pd_[order])
        # Stop → site (alighting stops only).
        egress = [[] for _ in range(n_stops)]
        if len(alighting) and len(sites):
            a, k, d = _pairs(cKDTree(stops[alighting]), cKDTree(sites), r)
            for s, site, w in zip(alighting[a], k, params.walk_seconds(d)):
                egress[s].append((int(site), float(w)))
        # Stop → stop transfers (alighting → boarding stops), the same stop included.
        transfers = [[] for _ in range(n_stops)]
        if len(alighting) and len(boarding):
            a, b, d = _pairs(cKDTree(stops[alighting]), cKDTree(stops[boarding]), params.transfer_radius_m)
            tt = np.maximum(params.walk_seconds(d), params.min_transfer_s)
            for v, x, t in zip(alighting[a], boarding[b], tt):
                transfers[v].append((int(x), float(t)))
        return cls(pair_unit, pair_stop, pair_walk, egress, transfers)


def _pairs(tree_a, tree_b, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(i, j, distance) of the points of two KD-trees within ``radius`` (zero distances kept)."""
    i_lists = tree_a.query_ball_tree(tree_b, radius)
    i = np.repeat(np.arange(len(i_lists)), [len(x) for x in i_lists])
    j = np.fromiter((x for lst in i_lists for x in lst), dtype=np.int64, count=len(i))
    if not len(i):
        return i, j, np.zeros(0)
    d = np.hypot(*(tree_a.data[i] - tree_b.data[j]).T)
    return i, j, d


# --------------------------------------------------------------------------------------------
# Backward profile scan


@dataclass(frozen=True, eq=False)
class _Profiles:
    """All stops' Pareto profiles, concatenated by stop then departure ascending.

    ``B_s(t)`` is ``arr[i]`` for the first entry ``i`` of stop ``s`` with ``dep[i] ≥ t`` (served
    moments increase with departures within a stop). ``key`` = ``stop * _STRIDE + dep + _SHIFT``.
    For journey rebuilding: ``conn[i]`` is the connection boarded; per connection, ``exit_conn`` the
    connection of the same trip at whose end the traveller gets off, and per exit connection
    ``decision`` (_EGRESS, _TRANSFER) with ``target`` (a site, or the global id of the next profile
    entry, mapped to a row here by ``entry_row``).
    """

    stop: np.ndarray
    dep: np.ndarray
    arr: np.ndarray
    conn: np.ndarray
    key: np.ndarray
    exit_conn: np.ndarray
    decision: np.ndarray
    target: np.ndarray
    entry_row: np.ndarray

    def lookup(self, stops: np.ndarray, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``B_s(t)`` for arrays of stops and times (broadcast), with the profile row used (−1: none)."""
        q = stops * _STRIDE + times + _SHIFT
        i = np.searchsorted(self.key, q, side="left")
        ok = i < len(self.key)
        ic = np.minimum(i, max(len(self.key) - 1, 0))
        if len(self.key):
            ok &= self.stop[ic] == stops
        else:
            ok &= False
        return np.where(ok, self.arr[ic] if len(self.key) else _INF, _INF), np.where(ok, ic, -1)


def _profile_scan(conn: _Connections, n_stops: int, near: _Geometry, params: TransitParams,
                  hours: _OpeningHours) -> _Profiles:
    """Scan the connections by decreasing departure and build every stop's profile (pure Python:
    a few thousand connections; see the module docstring for why it is not compiled)."""
    n_conn = len(conn.u)
    u, v, td, ta = conn.u.tolist(), conn.v.tolist(), conn.td.tolist(), conn.ta.tolist()
    trip, pickup, dropoff = conn.trip.tolist(), conn.pickup.tolist(), conn.dropoff.tolist()
    egress, transfers, served = near.egress, near.transfers, hours.served
    always = hours.always
    # Per stop, entries appended by decreasing departure: negated departures (ascending, for
    # bisect), served moments (strictly decreasing) and global entry ids.
    neg_dep = [[] for _ in range(n_stops)]
    arr = [[] for _ in range(n_stops)]
    ids = [[] for _ in range(n_stops)]
    e_stop, e_dep, e_arr, e_conn = [], [], [], []
    trip_val: dict[int, float] = {}
    trip_exit: dict[int, int] = {}
    exit_conn = [-1] * n_conn
    decision = [0] * n_conn
    target = [-1] * n_conn
    inf = _INF
    for c in range(n_conn):
        t = trip[c]
        best = trip_val.get(t, inf)
        out = trip_exit.get(t, -1)
        if dropoff[c]:
            a = ta[c]
            stop = v[c]
            here, kind, tgt = inf, 0, -1
            for site, w in egress[stop]:
                s_time = a + w if always else served(site, a + w)
                if s_time < here:
                    here, kind, tgt = s_time, _EGRESS, site
            for x, tr in transfers[stop]:
                nd = neg_dep[x]
                if nd:
                    i = bisect_right(nd, -(a + tr)) - 1
                    if i >= 0 and arr[x][i] < here:
                        here, kind, tgt = arr[x][i], _TRANSFER, ids[x][i]
            if here < best:  # on ties, stay seated (fewer transfers)
                best, out = here, c
                decision[c], target[c] = kind, tgt
        trip_val[t] = best
        trip_exit[t] = out
        exit_conn[c] = out
        if pickup[c] and best < inf:
            x, d = u[c], td[c]
            nd = neg_dep[x]
            if not nd or best < arr[x][-1]:
                e_stop.append(x)
                e_dep.append(d)
                e_arr.append(best)
                e_conn.append(c)
                if nd and nd[-1] == -d:  # same departure, better: replace (nothing refers to it yet)
                    arr[x][-1] = best
                    ids[x][-1] = len(e_stop) - 1
                else:
                    nd.append(-d)
                    arr[x].append(best)
                    ids[x].append(len(e_stop) - 1)
    # Keep the entries still in a profile, ordered by stop then departure ascending.
    live = np.array([i for x in range(n_stops) for i in reversed(ids[x])], dtype=np.int64)
    e_stop, e_dep = np.asarray(e_stop, dtype=np.int64), np.asarray(e_dep, dtype=float)
    e_arr, e_conn = np.asarray(e_arr, dtype=float), np.asarray(e_conn, dtype=np.int64)
    entry_row = np.full(len(e_stop), -1, dtype=np.int64)
    entry_row[live] = np.arange(len(live))
    stop_l = e_stop[live] if len(live) else np.zeros(0, np.int64)
    dep_l = e_dep[live] if len(live) else np.zeros(0)
    return _Profiles(stop=stop_l, dep=dep_l, arr=e_arr[live] if len(live) else np.zeros(0),
                     conn=e_conn[live] if len(live) else np.zeros(0, np.int64),
                     key=stop_l * _STRIDE + dep_l + _SHIFT,
                     exit_conn=np.asarray(exit_conn, dtype=np.int64), decision=np.asarray(decision, dtype=np.int8),
                     target=np.asarray(target, dtype=np.int64), entry_row=entry_row)


# --------------------------------------------------------------------------------------------
# Evaluation per unit


def _evaluate(profiles: _Profiles, near: _Geometry, departures: np.ndarray, n_units: int,
              chunk: int = 20_000) -> np.ndarray:
    """Earliest served moment by transit of every unit at every departure, shape (n_units, n_dep);
    inf when no stop is within walking radius or nothing is reached."""
    best = np.full((n_units, len(departures)), _INF)
    pu, ps, pw = near.pair_unit, near.pair_stop, near.pair_walk
    counts = np.bincount(pu, minlength=n_units)
    # Chunks of whole units (pairs are sorted by unit) so that reduceat stays within a chunk.
    bounds = np.r_[0, np.cumsum(counts)]
    u0 = 0
    while u0 < n_units:
        u1 = int(np.searchsorted(bounds, bounds[u0] + chunk, side="right")) - 1
        u1 = min(max(u1, u0 + 1), n_units)
        a, b = bounds[u0], bounds[u1]
        if b > a:
            vals, _ = profiles.lookup(ps[a:b, None], departures[None, :] + pw[a:b, None])
            units = np.flatnonzero(counts[u0:u1]) + u0
            best[units] = np.minimum.reduceat(vals, bounds[units] - a, axis=0)
        u0 = u1
    return best


def _direct_walk(origins, sites, departures, best, params: TransitParams, hours: _OpeningHours) -> np.ndarray:
    """Served moment when walking straight to a site, per unit and departure."""
    if not len(sites):
        return np.full_like(best, _INF)
    tree = cKDTree(sites)
    if hours.always:
        d, _ = tree.query(origins)
        return departures[None, :] + params.walk_seconds(d)[:, None]
    # With hours, only sites whose walk beats the unit's best transit time at some departure matter.
    horizon = params.max_minutes * 60.0
    bound = np.minimum(np.max(best - departures[None, :], axis=1), horizon)
    radius_m = float(bound.max()) * params.walk_speed_kmh / 3.6 / params.detour if len(bound) else 0.0
    i, k, d = _pairs(cKDTree(origins), tree, radius_m)
    w = params.walk_seconds(d)
    keep = w <= bound[i]
    i, k, w = i[keep], k[keep], w[keep]
    out = np.full_like(best, _INF)
    for lo in range(0, len(i), 20_000):
        ii, kk, ww = i[lo:lo + 20_000], k[lo:lo + 20_000], w[lo:lo + 20_000]
        vals = hours.served_many(kk[:, None], departures[None, :] + ww[:, None])
        np.minimum.at(out, ii, vals)
    return out


def _order_statistics(times_min: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """25th, 50th, 75th percentiles (inverted CDF) per unit, and the index of the median departure."""
    n = times_min.shape[1]
    ranked = np.sort(times_min, axis=1)
    ranks = [int(np.ceil(p / 100 * n)) - 1 for p in PERCENTILES]
    p25, med, p75 = (ranked[:, r] for r in ranks)
    # The earliest departure whose time is the median (ties are common: walking takes the same
    # time at every departure).
    first = np.argmax(times_min == med[:, None], axis=1)
    med_idx = np.where(np.isfinite(med), first, -1)
    return p25, med, p75, med_idx


# --------------------------------------------------------------------------------------------
# Journeys at the median departure


def _median_journeys(profiles, near, conn, tt, departures, med_idx, times, walk, origins, sites, params, hours):
    """Rebuild the best journey of every unit at its median departure."""
    n_units = len(origins)
    tau = np.where(med_idx >= 0, departures[np.maximum(med_idx, 0)], np.nan)
    target_time = tau + times[np.arange(n_units), np.maximum(med_idx, 0)]
    # Walk-only when the direct walk achieves the median time.
    walk_at = walk[np.arange(n_units), np.maximum(med_idx, 0)]
    walk_only = (med_idx >= 0) & (walk_at <= target_time + 1e-6)
    site = np.full(n_units, -1, dtype=np.int64)
    if walk_only.any():
        site[walk_only] = _walk_site(origins[walk_only], sites, tau[walk_only], params, hours)

    # Transit units: the access pair achieving the time at the median departure.
    pu, ps, pw = near.pair_unit, near.pair_stop, near.pair_walk
    vals, rows = profiles.lookup(ps, tau[pu] + pw)
    ok = (med_idx[pu] >= 0) & ~walk_only[pu] & (np.abs(vals - target_time[pu]) < 1e-6)
    first = np.full(n_units, -1, dtype=np.int64)
    cand = np.flatnonzero(ok)
    # The first matching pair of each unit (pairs are sorted by unit, then stop).
    uniq, pos = np.unique(pu[cand], return_index=True)
    first[uniq] = cand[pos]

    legs = {k: [] for k in ("trip", "board_stop", "alight_stop", "board_s", "alight_s")}
    counts = np.zeros(n_units, dtype=np.int64)
    access = np.full(n_units, np.nan)
    egress_w = np.full(n_units, np.nan)
    egress_lookup = [dict(lst) for lst in near.egress]
    for unit in np.flatnonzero(first >= 0):
        p = first[unit]
        access[unit] = pw[p]
        row = rows[p]
        while True:
            c = profiles.conn[row]
            e = profiles.exit_conn[c]
            legs["trip"].append(conn.trip[c])
            legs["board_stop"].append(conn.u[c])
            legs["alight_stop"].append(conn.v[e])
            legs["board_s"].append(conn.td[c])
            legs["alight_s"].append(conn.ta[e])
            counts[unit] += 1
            if profiles.decision[e] == _EGRESS:
                site[unit] = profiles.target[e]
                egress_w[unit] = egress_lookup[conn.v[e]][int(profiles.target[e])]
                break
            row = profiles.entry_row[profiles.target[e]]
    trip = np.asarray(legs["trip"], dtype=np.int64)
    journeys = Journeys(
        unit_offsets=np.r_[0, np.cumsum(counts)].astype(np.int64),
        trip=trip.astype(np.int32), route=tt.trip_route[trip].astype(np.int32) if len(trip) else np.zeros(0, np.int32),
        board_stop=np.asarray(legs["board_stop"], dtype=np.int32),
        alight_stop=np.asarray(legs["alight_stop"], dtype=np.int32),
        board_s=np.asarray(legs["board_s"], dtype=float), alight_s=np.asarray(legs["alight_s"], dtype=float),
        access_walk_s=access, egress_walk_s=egress_w)
    return journeys, site, walk_only


def _walk_site(origins, sites, tau, params, hours) -> np.ndarray:
    """Site reached first when walking straight from each origin at departure ``tau``."""
    w = params.walk_seconds(np.hypot(origins[:, None, 0] - sites[None, :, 0], origins[:, None, 1] - sites[None, :, 1]))
    served = hours.served_many(np.broadcast_to(np.arange(len(sites)), w.shape), tau[:, None] + w)
    return np.argmin(served, axis=1)


# --------------------------------------------------------------------------------------------
# Analysis: which lines and stops carry the covered people


def route_usage(result: TransitResult, weights=None, threshold_min: float = DEFAULT_THRESHOLD_MIN) -> pd.DataFrame:
    """Per route, the units (and weight) whose median journey within the threshold uses it.

    Parameters
    ----------
    result : TransitResult
    weights : array-like, shape (n_units,), optional
        Population, households… per unit (1 per unit by default).
    threshold_min : float
        Only units whose median time is ≤ this count (inclusive).

    Returns
    -------
    DataFrame
        One row per route of the feed: ``route_id``, ``route_short_name``, ``route_long_name``,
        ``running`` (has trips that day), ``units`` and ``weight`` covered through it, and
        ``units_any`` / ``weight_any`` over all reached units whatever their time. Sorted by
        ``weight`` descending; routes serving nobody within the threshold have ``units == 0``.
    """
    w = _weights(result, weights)
    j = result.journeys
    leg_unit = j.leg_unit()
    within = result.covered(threshold_min)[leg_unit]
    n_routes = len(result.route_ids)
    frame = pd.DataFrame({"route_id": result.route_ids, "route_short_name": result.route_short_names,
                          "route_long_name": result.route_long_names, "running": result.routes_running})
    for suffix, mask in (("", within), ("_any", np.ones(len(leg_unit), dtype=bool))):
        # A unit riding the same route twice counts once.
        pairs = np.unique(np.c_[j.route[mask], leg_unit[mask]], axis=0) if mask.any() else np.zeros((0, 2), int)
        frame[f"units{suffix}"] = np.bincount(pairs[:, 0], minlength=n_routes)
        frame[f"weight{suffix}"] = np.bincount(pairs[:, 0], weights=w[pairs[:, 1]], minlength=n_routes)
    return frame.sort_values(["weight", "units_any"], ascending=False, kind="stable").reset_index(drop=True)


def boarding_usage(result: TransitResult, weights=None, threshold_min: float = DEFAULT_THRESHOLD_MIN) -> pd.DataFrame:
    """Per stop, units (and weight) within the threshold that board there on their median journey.

    Returns
    -------
    DataFrame
        ``stop_id``, ``stop_name``, ``first_units``/``first_weight`` (first boarding: the stop people
        walk to) and ``transfer_units``/``transfer_weight`` (boarding after a transfer); only stops
        with at least one boarding, sorted by ``first_weight`` descending.
    """
    w = _weights(result, weights)
    j = result.journeys
    leg_unit = j.leg_unit()
    within = result.covered(threshold_min)[leg_unit]
    is_first = np.zeros(len(leg_unit), dtype=bool)
    is_first[j.unit_offsets[:-1][j.n_legs() > 0]] = True
    n = len(result.stop_ids)
    frame = pd.DataFrame({"stop_id": result.stop_ids, "stop_name": result.stop_names})
    for name, mask in (("first", within & is_first), ("transfer", within & ~is_first)):
        frame[f"{name}_units"] = np.bincount(j.board_stop[mask], minlength=n)
        frame[f"{name}_weight"] = np.bincount(j.board_stop[mask], weights=w[leg_unit[mask]], minlength=n)
    used = (frame["first_units"] + frame["transfer_units"]) > 0
    return frame[used].sort_values("first_weight", ascending=False, kind="stable").reset_index(drop=True)


def describe_journey(result: TransitResult, unit: int, site_names: Sequence[str] | None = None) -> str:
    """The median journey of one unit in French, e.g. ``"départ 09:12 ; 4,3 min à pied jusqu'à
    Gare De St-Pierre ; ligne O2 09:30 → Gare St-Louis 09:40 ; 2,6 min à pied jusqu'à CCAS Saint Louis
    (32,0 min)"``."""
    med = result.median_min[unit]
    if not np.isfinite(med):
        return f"aucun lieu atteint en {result.params.max_minutes:.0f} min"
    site = int(result.site_at_median[unit])
    site_name = site_names[site] if site_names is not None and site >= 0 else f"lieu n° {site + 1}"
    head = f"départ {_clock(result.median_departure_s[unit])}"
    j = result.journeys
    a, b = j.unit_offsets[unit], j.unit_offsets[unit + 1]
    if a == b:
        return f"{head} ; à pied jusqu'à {site_name} ({_fr_num(med)} min)"
    parts = [head, f"{_fr_num(j.access_walk_s[unit] / 60)} min à pied jusqu'à {result.stop_names[j.board_stop[a]]}"]
    for leg in range(a, b):
        if leg > a:
            parts.append(f"correspondance à {result.stop_names[j.board_stop[leg]]}")
        parts.append(f"ligne {result.route_short_names[j.route[leg]] or result.route_ids[j.route[leg]]} "
                     f"{_clock(j.board_s[leg])} → {result.stop_names[j.alight_stop[leg]]} {_clock(j.alight_s[leg])}")
    parts.append(f"{_fr_num(j.egress_walk_s[unit] / 60)} min à pied jusqu'à {site_name} ({_fr_num(med)} min)")
    return " ; ".join(parts)


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}"


def _fr_num(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def _weights(result: TransitResult, weights) -> np.ndarray:
    if weights is None:
        return np.ones(result.n_units)
    w = np.asarray(weights, dtype=float)
    if w.shape != (result.n_units,):
        raise InputError(f"{len(w)} poids pour {result.n_units} unités", "un poids par unité de demande")
    return np.where(np.isfinite(w), w, 0.0)
