"""Public-transport benchmark: every 200 m cell of La Réunion to the nearest reception site by Car Jaune.

Usage:
    python scripts/bench_transit.py                      # 14,076 cells, Tuesday 08:30–10:00, every minute
    python scripts/bench_transit.py --quick              # 1 cell in 10, 15-minute window (used by the tests)
    python scripts/bench_transit.py --compare-forward 1000   # also time forward searches on 1,000 cells
    python scripts/bench_transit.py --hours              # also with the sites' opening hours

Inputs (real, from ../shared/data):

* ``gtfs/car_jaune_974.gtfs.zip``: the inter-urban buses of La Réunion (the urban networks are not in
  it, so these times are those of a resident who only has the Car Jaune, or walks);
* ``reunion/reunion_200m_households.csv.gz``: 14,076 cells of 200 m (INSEE), centres in EPSG:2975,
  households (``houhold``) and poor households (``phouhold``);
* sites: the CCAS, antenna and centres sociaux of ``inventories/premier_accueil_974.csv`` that have
  coordinates (27 of 28; CCAS Saint-André has none) and the 29 France Services of
  ``reunion/france_services_974.csv``: 56 sites.

The date is the typical Tuesday chosen by :func:`access30.network.gtfs.choose_date` (the weekday of the week with
the most trips, without calendar exceptions). Default transit parameters (4.5 km/h, ×1.3, walks up to
1,000 m, transfers up to 400 m and at least 2 min, 180-min horizon). Every time is the best of
``--repeat`` runs. Coverage is the share of households whose *median* time over the window is within
the threshold; the walking-only coverage (straight line × 1.3 at 4.5 km/h to the nearest site) is
printed beside it as a sanity check: transit can only add to it.

``--compare-forward N`` times the alternative design, a forward Connection Scan per (cell, departure),
on N cells (numba-compiled, and pure Python on N/20 cells), checks it finds the same times, and
extrapolates to all cells. The last line is ``transit_all_cells_s: X``: the routing time of all cells
(timetable of the day + :func:`access30.routing.transit.transit_times`), the feed being read once beforehand.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # this checkout's package, also when another copy is installed

from access30.base.crs import to_projected  # noqa: E402
from access30.network import gtfs  # noqa: E402
from access30.routing import transit  # noqa: E402

DATA = REPO.parent / "shared" / "data"
CRS = "EPSG:2975"
THRESHOLDS = (30, 45, 60)


def load_site_hours(data: Path, weekday: int) -> tuple[list, int]:
    """Open intervals of the 56 sites on ``weekday`` (see :func:`access30.routing.transit.intervals_for_day`) and
    how many sites have known hours: France Services from the ANCT list, the La Rivière antenna from
    its OpenStreetMap hours; the other CCAS and centres sociaux have none in the source (they count
    at any time)."""
    import json

    from access30.inputs import hours

    accueil = pd.read_csv(data / "inventories" / "premier_accueil_974.csv").dropna(subset=["lon", "lat"])
    fs = pd.read_csv(data / "reunion" / "france_services_974.csv", dtype=str)
    weekly = [hours.parse_osm(text) if isinstance(text, str) and text.strip() else None
              for text in accueil["hours_raw"]]
    days = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi")
    for row in fs.itertuples():
        slots = {d: getattr(row, f"h_{d}") if isinstance(getattr(row, f"h_{d}"), str) else "" for d in days}
        weekly.append(hours.parse_france_services(json.dumps(slots)))
    return transit.intervals_for_day(weekly, weekday), sum(w is not None for w in weekly)


def load_inputs(data: Path) -> tuple[pd.DataFrame, np.ndarray, list[str]]:
    """Cells (x, y, houhold, phouhold), site coordinates (n, 2) in EPSG:2975 and site names."""
    cells = pd.read_csv(data / "reunion" / "reunion_200m_households.csv.gz")
    accueil = pd.read_csv(data / "inventories" / "premier_accueil_974.csv").dropna(subset=["lon", "lat"])
    fs = pd.read_csv(data / "reunion" / "france_services_974.csv", dtype=str)
    lon = np.r_[accueil["lon"].to_numpy(float), fs["longitude"].to_numpy(float)]
    lat = np.r_[accueil["lat"].to_numpy(float), fs["latitude"].to_numpy(float)]
    x, y = to_projected(lon, lat, CRS)
    names = accueil["name"].tolist() + fs["lib_fs"].tolist()
    return cells, np.c_[x, y], names


def best_of(repeat: int, func, *args, **kwargs):
    """(best wall time in seconds, result of the last call)."""
    best, result = np.inf, None
    for _ in range(repeat):
        start = time.perf_counter()
        result = func(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def route_all(feed, day, cells_xy, sites_xy, window, params):
    timetable = gtfs.timetable_for_date(feed, day)
    return transit.transit_times(timetable, cells_xy, sites_xy, window, params, crs=CRS)


def coverage_lines(result, cells: pd.DataFrame, sites_xy: np.ndarray, params) -> list[str]:
    """Coverage by households and poor households at each threshold, transit and walking only."""
    from scipy.spatial import cKDTree

    hh = cells["houhold"].to_numpy(float)
    poor = cells["phouhold"].to_numpy(float)
    dist, _ = cKDTree(sites_xy).query(cells[["x", "y"]].to_numpy(float))
    walk_min = params.walk_seconds(dist) / 60.0
    lines = []
    for threshold in THRESHOLDS:
        by_transit = result.covered(threshold)
        on_foot = walk_min <= threshold
        lines.append(
            f"coverage_{threshold}min: households {hh[by_transit].sum() / hh.sum():.1%} "
            f"({hh[by_transit].sum():,.0f} of {hh.sum():,.0f}), poor households "
            f"{poor[by_transit].sum() / poor.sum():.1%}; walking only: households "
            f"{hh[on_foot].sum() / hh.sum():.1%}, poor households {poor[on_foot].sum() / poor.sum():.1%}")
    finite = np.isfinite(result.median_min)
    weights = hh[finite]
    order = np.argsort(result.median_min[finite])
    cum = np.cumsum(weights[order]) / weights.sum()
    med = result.median_min[finite][order][np.searchsorted(cum, 0.5)]
    lines.append(f"median_time_households_min: {med:.1f} (cells reached within {params.max_minutes:.0f} min: "
                 f"{finite.mean():.1%}); journeys at the median departure: walk only "
                 f"{result.walk_only_at_median.mean():.1%} of cells, by bus "
                 f"{(result.journeys.n_legs() > 0).mean():.1%} (of which with a transfer "
                 f"{(result.journeys.n_legs() > 1).mean():.1%} of cells)")
    return lines


# --------------------------------------------------------------------------------------------
# The alternative: forward Connection Scan per (unit, departure)


def forward_inputs(timetable, cells_xy, sites_xy, window, params):
    """Connections in forward scan order and CSR walking links, for the forward searches."""
    stop_x, stop_y = timetable.stops_xy(CRS)
    stops = np.c_[stop_x, stop_y]
    conn = transit._connections(timetable, window.departures_s[0],
                                window.departures_s[-1] + params.max_minutes * 60)
    near = transit._Geometry.build(cells_xy, sites_xy, stops, conn, params)
    rank = np.arange(len(conn.u))[::-1]  # the backward order reversed: departure, arrival, sequence ascending
    order = rank
    csr = {}
    for name, lists in (("egress", near.egress), ("transfer", near.transfers)):
        offsets = np.r_[0, np.cumsum([len(x) for x in lists])].astype(np.int64)
        flat = [pair for lst in lists for pair in lst]
        csr[name] = (offsets, np.array([p[0] for p in flat], dtype=np.int64),
                     np.array([p[1] for p in flat], dtype=float))
    unit_offsets = np.r_[0, np.cumsum(np.bincount(near.pair_unit, minlength=len(cells_xy)))].astype(np.int64)
    trips = np.unique(conn.trip, return_inverse=True)[1]
    return dict(u=conn.u[order].astype(np.int64), v=conn.v[order].astype(np.int64), td=conn.td[order],
                ta=conn.ta[order], trip=trips[order].astype(np.int64), pickup=conn.pickup[order],
                dropoff=conn.dropoff[order], n_stops=len(stops), n_trips=int(trips.max()) + 1 if len(trips) else 0,
                unit_offsets=unit_offsets, pair_stop=near.pair_stop.astype(np.int64), pair_walk=near.pair_walk,
                egress=csr["egress"], transfer=csr["transfer"])


def forward_one(f, units, departures, horizon_s):
    """Earliest arrival (served moment) by transit, per (unit, departure): forward Connection Scan."""
    u, v, td, ta, trip = f["u"], f["v"], f["td"], f["ta"], f["trip"]
    pickup, dropoff = f["pickup"], f["dropoff"]
    e_off, e_site, e_walk = f["egress"]
    t_off, t_stop, t_time = f["transfer"]
    out = np.full((len(units), len(departures)), np.inf)
    for row, unit in enumerate(units):
        a, b = f["unit_offsets"][unit], f["unit_offsets"][unit + 1]
        for j, tau in enumerate(departures):
            ready = np.full(f["n_stops"], np.inf)
            on = np.zeros(f["n_trips"], dtype=bool)
            for p in range(a, b):
                ready[f["pair_stop"][p]] = min(ready[f["pair_stop"][p]], tau + f["pair_walk"][p])
            best = tau + horizon_s
            c = int(np.searchsorted(td, tau))
            while c < len(td) and td[c] <= best:
                t = trip[c]
                if on[t] or (pickup[c] and ready[u[c]] <= td[c]):
                    on[t] = True
                    if dropoff[c]:
                        arrival = ta[c]
                        for k in range(e_off[v[c]], e_off[v[c] + 1]):
                            best = min(best, arrival + e_walk[k])
                        for k in range(t_off[v[c]], t_off[v[c] + 1]):
                            ready[t_stop[k]] = min(ready[t_stop[k]], arrival + t_time[k])
                c += 1
            out[row, j] = best if best < tau + horizon_s else np.inf
    return out


def compare_forward(feed, day, cells_xy, sites_xy, window, params, result, n_units: int) -> list[str]:
    """Time forward searches on a sample of cells; check they agree with the backward engine."""
    rng = np.random.default_rng(0)
    sample = np.sort(rng.choice(len(cells_xy), size=min(n_units, len(cells_xy)), replace=False))
    timetable = gtfs.timetable_for_date(feed, day)
    f = forward_inputs(timetable, cells_xy, sites_xy, window, params)
    deps = window.departures_s
    horizon = params.max_minutes * 60.0
    from scipy.spatial import cKDTree

    walk = deps[None, :] + params.walk_seconds(cKDTree(sites_xy).query(cells_xy[sample])[0])[:, None]
    lines = []
    small = sample[: max(1, len(sample) // 20)]
    start = time.perf_counter()
    py = forward_one(f, small, deps, horizon)
    py_s = time.perf_counter() - start
    lines.append(f"forward_python: {py_s:.1f} s for {len(small)} cells x {len(deps)} departures -> "
                 f"{py_s / len(small) * len(cells_xy):.0f} s extrapolated to {len(cells_xy)} cells")
    ref = result.times_min[sample] * 60.0
    py_times = np.minimum(py, walk[: len(small)]) - deps[None, :]
    py_times[py_times > horizon] = np.inf
    agree = np.allclose(np.nan_to_num(py_times, posinf=-1), np.nan_to_num(ref[: len(small)], posinf=-1))
    lines.append(f"forward_python_same_times: {agree}")
    try:
        import numba
    except ImportError:
        lines.append("forward_numba: numba not installed (pip install numba)")
        return lines
    kernel = numba.njit(cache=False)(_forward_kernel)
    args = (f["u"], f["v"], f["td"], f["ta"], f["trip"], f["pickup"], f["dropoff"], f["n_stops"], f["n_trips"],
            f["unit_offsets"], f["pair_stop"], f["pair_walk"], *f["egress"], *f["transfer"], horizon)
    start = time.perf_counter()
    kernel(sample[:2], deps, *args)
    compile_s = time.perf_counter() - start
    start = time.perf_counter()
    nb = kernel(sample, deps, *args)
    nb_s = time.perf_counter() - start
    nb_times = np.minimum(nb, walk) - deps[None, :]
    nb_times[nb_times > horizon] = np.inf
    agree = np.allclose(np.nan_to_num(nb_times, posinf=-1), np.nan_to_num(ref, posinf=-1))
    lines.append(f"forward_numba: {nb_s:.2f} s for {len(sample)} cells x {len(deps)} departures -> "
                 f"{nb_s / len(sample) * len(cells_xy):.1f} s extrapolated to {len(cells_xy)} cells "
                 f"(+ {compile_s:.1f} s compilation); same times as the backward engine: {agree}")
    return lines


def _forward_kernel(units, departures, u, v, td, ta, trip, pickup, dropoff, n_stops, n_trips, unit_offsets,
                    pair_stop, pair_walk, e_off, e_site, e_walk, t_off, t_stop, t_time, horizon_s):
    """Forward Connection Scan per (unit, departure), written for numba (same logic as forward_one)."""
    out = np.full((len(units), len(departures)), np.inf)
    ready = np.empty(n_stops)
    on = np.empty(n_trips, dtype=np.bool_)
    for row in range(len(units)):
        unit = units[row]
        for j in range(len(departures)):
            tau = departures[j]
            ready[:] = np.inf
            on[:] = False
            for p in range(unit_offsets[unit], unit_offsets[unit + 1]):
                ready[pair_stop[p]] = min(ready[pair_stop[p]], tau + pair_walk[p])
            best = tau + horizon_s
            c = np.searchsorted(td, tau)
            while c < len(td) and td[c] <= best:
                t = trip[c]
                if on[t] or (pickup[c] and ready[u[c]] <= td[c]):
                    on[t] = True
                    if dropoff[c]:
                        arrival = ta[c]
                        for k in range(e_off[v[c]], e_off[v[c] + 1]):
                            best = min(best, arrival + e_walk[k])
                        for k in range(t_off[v[c]], t_off[v[c] + 1]):
                            s = t_stop[k]
                            ready[s] = min(ready[s], arrival + t_time[k])
                c += 1
            out[row, j] = best if best < tau + horizon_s else np.inf
    return out


# --------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 cell in 10 and a 15-minute window")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--when", default="mardi 08:30")
    parser.add_argument("--window", type=int, default=90, help="minutes")
    parser.add_argument("--hours", action="store_true",
                        help="also run with opening hours (sites count only when open)")
    parser.add_argument("--compare-forward", type=int, default=0, metavar="N",
                        help="also time forward searches on N cells")
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args(argv)

    start = time.perf_counter()
    feed = gtfs.read_feed(args.data / "gtfs" / "car_jaune_974.gtfs.zip")
    read_s = time.perf_counter() - start
    chosen = gtfs.choose_date(feed, args.when)
    cells, sites_xy, _ = load_inputs(args.data)
    if args.quick:
        cells = cells.iloc[::10].reset_index(drop=True)
    duration = 15 if args.quick else args.window
    window = transit.DepartureWindow(chosen.minute, duration)
    params = transit.TransitParams()
    cells_xy = cells[["x", "y"]].to_numpy(float)

    print(f"feed: {feed.metadata.describe_fr()}")
    print(f"feed_read_s: {read_s:.2f}")
    print(f"date: {chosen.reason}")
    print(f"window: {window.label_fr()} ({len(window.departures_s)} departures); cells: {len(cells)}; "
          f"sites: {len(sites_xy)}; machine: {_cores()} cores")
    start = time.perf_counter()
    result = route_all(feed, chosen.day, cells_xy, sites_xy, window, params)
    first_s = time.perf_counter() - start
    seconds, result = best_of(1 if args.quick else args.repeat, route_all, feed, chosen.day, cells_xy,
                              sites_xy, window, params)
    print(f"first_run_s: {first_s:.2f} (first call in the process, lazy imports included); "
          f"best_of_{1 if args.quick else args.repeat}_s: {seconds:.2f}")
    steps = ", ".join(f"{k} {v:.2f} s" for k, v in result.stats["seconds"].items())
    print(f"steps (last run): {steps}; connections {result.stats['n_connections']}, profile entries "
          f"{result.stats['n_profile_entries']}, cell-stop pairs {result.stats['n_access_pairs']}")
    for line in coverage_lines(result, cells, sites_xy, params):
        print(line)
    usage = transit.route_usage(result, cells["houhold"].to_numpy(float), 30.0)
    carried = usage[usage["units"] > 0]
    idle = usage[(usage["units"] == 0) & usage["running"]]
    print("lines carrying households within 30 min: " + ", ".join(
        f"{r.route_short_name} {r.weight:,.0f}" for r in carried.itertuples()))
    print("lines running but carrying nobody within 30 min: " + (", ".join(idle["route_short_name"]) or "none"))
    if args.hours:
        site_open, n_known = load_site_hours(args.data, chosen.weekday)
        timetable = gtfs.timetable_for_date(feed, chosen.day)
        hours_s, with_hours = best_of(1 if args.quick else args.repeat, transit.transit_times, timetable, cells_xy,
                                      sites_xy, window, params, site_open, crs=CRS)
        print(f"with opening hours ({n_known} of {len(sites_xy)} sites with known hours; the others count at "
              f"any time): routing {hours_s:.2f} s")
        for line in coverage_lines(with_hours, cells, sites_xy, params)[:-1]:
            print("  " + line.split("; walking only")[0])
    if args.compare_forward:
        for line in compare_forward(feed, chosen.day, cells_xy, sites_xy, window, params, result,
                                    args.compare_forward):
            print(line)
    print(f"transit_all_cells_s: {seconds:.2f}")
    return 0


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


if __name__ == "__main__":
    sys.exit(main())
