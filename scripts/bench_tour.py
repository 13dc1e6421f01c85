"""Benchmark: the « hors les murs » round (access30.locate.tour) on a synthetic département.

Instance (synthetic, seeded, labelled as such): a jittered two-way grid road network of 200 m steps
(``--side`` 420: 176,400 nodes, about 84 × 84 km), each road at a speed drawn in 30–90 km/h (the
same both ways), built with :func:`access30.network.roads.build_network`; 50,000 populated 200 m cells
(340,334 people) drawn around 80 towns of Pareto sizes plus a rural background; 10 existing
reception points in the largest towns; 500 candidate stops (town halls: town centres and villages
drawn like the population; 498 distinct nodes); the base in the largest town; residents' mode
``--mode walk`` (default) or ``drive``, threshold 30 min; a team of 8 half-days, weekly round,
60 min max drive, 90 min midday break.

On foot, the existing sites leave 285,367 people uncovered and the round is a real choice. By car
the 10 sites cover everyone (``personne à couvrir``); with ``--sites 3`` the 68,475 people left are
all covered by 8 stops (the heuristic is proven optimal at once): the car case tests the matrices,
not the solver.

Stages, timed separately (the network's generation is the input and is not counted):

* joins and the existing sites' coverage (:func:`access30.routing.roads.route_to_sites`, the coverage's own
  rule): the weights are the population the existing sites leave uncovered;
* candidate × uncovered cell times within the threshold (:func:`access30.routing.roads.site_unit_times`);
* drives from and to the base (two SciPy Dijkstra searches on the car network) and between the
  candidates within the max drive that cover someone (one search each, bounded by the break; the
  model drops the other candidates before it reads their drives, so their rows are left empty);
* the solve (:meth:`access30.locate.tour.TourModel.solve`), and with ``--compare`` the ``days`` and
  ``compact`` formulations too (``days`` skipped above its options cap).

Measured on the 2-core machine (walk): matrices 17–19 s (drives 16 s of it), solve 0.4 s, total
18 s; ``--weeks 2`` solve 10 s (the max covering of 16 stops); ``--break-min 3`` (the midday drive
binds) solve 1.9 s, ``--weeks 2 --break-min 3`` 41 s; ``--compare``: compact 18.6 s (break 90), not
proven in 60 s at break 3 (gap 10.7 %) where the days model takes 1.6 s.

The last lines are ``tour_solve_s: X``, ``tour_total_s: X``, ``tour_optimal: True|False`` and
``tour_gap: X``.

Usage::

    .venv/bin/python scripts/bench_tour.py                    # the département on foot (about 20 s)
    .venv/bin/python scripts/bench_tour.py --compare          # also the days and compact formulations
    .venv/bin/python scripts/bench_tour.py --break-min 3      # a midday drive that binds
    .venv/bin/python scripts/bench_tour.py --mode drive --sites 3
    .venv/bin/python scripts/bench_tour.py --quick            # a small network, a few seconds (a smoke test)
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from pyproj import Transformer
from scipy.sparse.csgraph import dijkstra
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from access30.coverage.rules import covered, longest_covered_s  # noqa: E402
from access30.locate.tour import MAX_DAY_OPTIONS, TourModel  # noqa: E402
from access30.network.roads import RoadNetwork, build_network  # noqa: E402
from access30.network.speeds import WALK_SPEED_KMH  # noqa: E402
from access30.routing.roads import (  # noqa: E402
    AccessModel,
    join_points,
    route_to_sites,
    site_unit_times,
    unit_pairs,
    unit_times,
)

X0, Y0 = 230_000.0, 6_800_000.0  # Lambert-93, Côtes-d'Armor-like latitude
STEP_M = 200.0


def synthetic_network(side: int, seed: int = 0) -> RoadNetwork:
    """Jittered ``side`` × ``side`` two-way grid, 200 m steps, one speed in 30–90 km/h per road (labelled)."""
    rng = np.random.default_rng(seed)
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    x = X0 + col.ravel() * STEP_M + rng.uniform(-50, 50, side * side)
    y = Y0 + row.ravel() * STEP_M + rng.uniform(-50, 50, side * side)
    lon, lat = Transformer.from_crs("EPSG:2154", "EPSG:4326", always_xy=True).transform(x, y)
    ids = np.arange(side * side).reshape(side, side)
    pairs = np.vstack([np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()]),
                       np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])])
    metres = np.hypot(x[pairs[:, 0]] - x[pairs[:, 1]], y[pairs[:, 0]] - y[pairs[:, 1]])
    seconds = metres / (rng.uniform(30, 90, len(pairs)) / 3.6)
    osmid = np.arange(side * side, dtype=np.int64)
    return build_network(osmid, np.asarray(lon), np.asarray(lat), np.concatenate([pairs[:, 0], pairs[:, 1]]),
                         np.concatenate([pairs[:, 1], pairs[:, 0]]), np.tile(metres, 2), np.tile(seconds, 2),
                         mode="drive", source="grille synthétique", crs="EPSG:2154")


def walk_network(net: RoadNetwork) -> RoadNetwork:
    """The same roads on foot (every road both ways at the walking speed)."""
    return dataclasses.replace(net, seconds=net.metres / (WALK_SPEED_KMH / 3.6), mode="walk")


def synthetic_territory(net: RoadNetwork, n_units: int, n_towns: int, n_sites: int, n_candidates: int, seed: int = 1):
    """Populated cells, existing sites, candidate stops (at road nodes) and the base node (labelled synthetic)."""
    rng = np.random.default_rng(seed)
    xmin, xmax, ymin, ymax = net.x.min(), net.x.max(), net.y.min(), net.y.max()
    margin = min(3000.0, (xmax - xmin) / 8)
    towns = np.column_stack([rng.uniform(xmin + margin, xmax - margin, n_towns),
                             rng.uniform(ymin + margin, ymax - margin, n_towns)])
    size = np.sort(rng.pareto(1.2, n_towns) + 1.0)[::-1]
    # Cells: a 200 m grid offset from the nodes; density = towns (Gaussian, radius ∝ √size) + rural background.
    cx = np.arange(xmin + 100, xmax, STEP_M)
    cy = np.arange(ymin + 100, ymax, STEP_M)
    gx, gy = np.meshgrid(cx, cy)
    gx, gy = gx.ravel(), gy.ravel()
    density = np.full(gx.size, 0.02)
    for (tx, ty), s in zip(towns, size):
        r = 800.0 * np.sqrt(s)
        density += s * np.exp(-((gx - tx) ** 2 + (gy - ty) ** 2) / (2 * r * r))
    pick = rng.choice(gx.size, size=min(n_units, gx.size), replace=False, p=density / density.sum())
    population = 1 + rng.poisson(3.0 * density[pick] / np.median(density[pick]))
    # Existing sites in the largest towns, candidates at nodes drawn like the population (town halls).
    tree = cKDTree(np.column_stack([net.x, net.y]))
    site_nodes = tree.query(towns[:n_sites])[1]
    village = rng.choice(gx.size, size=n_candidates - n_towns, replace=False, p=density / density.sum())
    villages = tree.query(np.column_stack([gx[village], gy[village]]))[1]
    cand_nodes = np.unique(np.concatenate([tree.query(towns)[1], villages]))
    return (gx[pick], gy[pick], population.astype(float)), site_nodes, cand_nodes, int(site_nodes[0])


def build_matrices(net: RoadNetwork, units, site_nodes, cand_nodes, base: int, mode: str, threshold_s: float,
                   max_drive_s: float, break_s: float):
    """The model's inputs, stage by stage; returns (inputs, seconds per stage, sizes)."""
    ux, uy, population = units
    times, sizes = {}, {}
    resident = net if mode == "drive" else walk_network(net)
    access = AccessModel.for_mode(mode)
    t = time.perf_counter()
    unit_join = join_points(resident, ux, uy, access)
    sites = join_points(resident, net.x[site_nodes], net.y[site_nodes], access)
    node_times = route_to_sites(resident, sites, second=False)
    existing = unit_times(node_times, unit_join, unit_pairs(unit_join, sites, access))
    left = ~covered(existing.time1, threshold_s) & existing.on_road
    times["existing_coverage_s"] = time.perf_counter() - t
    sizes.update(population=population.sum(), uncovered_population=population[left].sum(),
                 uncovered_units=int(left.sum()))
    t = time.perf_counter()
    candidates = join_points(resident, net.x[cand_nodes], net.y[cand_nodes], access)
    cover = site_unit_times(resident, unit_join.take(np.flatnonzero(left)), candidates, access,
                            longest_covered_s(threshold_s)).astype(bool)
    times["candidate_cover_s"] = time.perf_counter() - t
    t = time.perf_counter()
    graph = net.matrix()
    from_base = dijkstra(graph, indices=base, limit=max_drive_s + 1.0)[cand_nodes]
    to_base = dijkstra(net.matrix(reverse=True), indices=base, limit=max_drive_s + 1.0)[cand_nodes]
    useful = np.flatnonzero((np.maximum(from_base, to_base) <= max_drive_s) & (np.diff(cover.indptr) > 0))
    vals, rows, cols = [np.zeros(0)], [np.zeros(0, dtype=np.int64)], [np.zeros(0, dtype=np.int64)]
    for start in range(0, useful.size, 64):  # batches: a search returns 8 bytes per road node
        block = dijkstra(graph, indices=cand_nodes[useful[start:start + 64]], limit=break_s + 1.0)[:, cand_nodes]
        r, c = np.nonzero(np.isfinite(block))
        vals.append(block[r, c])
        rows.append(useful[start + r])
        cols.append(c)
    between = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                            shape=(cand_nodes.size, cand_nodes.size))
    times["drives_s"] = time.perf_counter() - t
    sizes.update(candidates=int(cand_nodes.size), useful_candidates=int(useful.size), cover_nnz=int(cover.nnz))
    return (cover, population[left], from_base, to_base, between), times, sizes


def solve(inputs, formulation: str, half_days: int, weeks: int, max_drive_s: float, break_s: float,
          time_limit: float):
    """Build and solve the model; print one line of figures; (result, seconds)."""
    t = time.perf_counter()
    model = TourModel.from_matrices(*inputs, half_days=half_days, weeks=weeks, max_drive_s=max_drive_s,
                                    break_s=break_s)
    result = model.solve(time_limit_s=time_limit, formulation=formulation)
    seconds = time.perf_counter() - t
    stages = ", ".join(f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}" for k, v in result.stages.items()
                       if k != "formulation")
    print(f"[solve] {formulation:11s} {seconds:7.2f} s | objective {result.objective:,.0f} people (heuristic "
          f"{result.heuristic_objective:,.0f}, max-cover bound {result.max_cover_bound:,.0f}), bound "
          f"{result.bound:,.0f}, gap {result.gap:.2e}, optimal {result.optimal} | {stages}", flush=True)
    return result, seconds


def run(side: int, n_units: int, n_towns: int, n_sites: int, n_candidates: int, mode: str, half_days: int,
        weeks: int, time_limit: float, compare: bool, minutes=(30, 60, 90)) -> int:
    t = time.perf_counter()
    net = synthetic_network(side)
    units, site_nodes, cand_nodes, base = synthetic_territory(net, n_units, n_towns, n_sites, n_candidates)
    print(f"[input] synthetic grid {side}×{side}: {net.n_nodes:,} nodes, {net.n_edges:,} edges; {units[0].size:,} "
          f"populated cells ({units[2].sum():,.0f} people), {site_nodes.size} existing sites, {cand_nodes.size} "
          f"candidates; generated in {time.perf_counter() - t:.1f} s (not counted)", flush=True)
    threshold_s, max_drive_s, break_s = (60.0 * m for m in minutes)
    t = time.perf_counter()
    inputs, times, sizes = build_matrices(net, units, site_nodes, cand_nodes, base, mode, threshold_s, max_drive_s,
                                          break_s)
    matrices_s = time.perf_counter() - t
    print(f"[matrices] mode {mode}, threshold {minutes[0]} min: {sizes['uncovered_units']:,} uncovered cells "
          f"({sizes['uncovered_population']:,.0f} people of {sizes['population']:,.0f}); cover nnz "
          f"{sizes['cover_nnz']:,}; {sizes['useful_candidates']} of {sizes['candidates']} candidates within "
          f"{minutes[1]} min of the base and covering someone | "
          + ", ".join(f"{k} {v:.2f}" for k, v in times.items()) + f" | total {matrices_s:.2f} s", flush=True)
    print(f"[round] {half_days} half-days a week, {weeks} week(s), max drive {minutes[1]} min, break {minutes[2]} min")
    result, solve_s = solve(inputs, "bound-first", half_days, weeks, max_drive_s, break_s, time_limit)
    print(f"[solve] status: {result.status}")
    for i, s in enumerate(result.stops):
        midday = "" if np.isnan(result.midday_s[i]) else f", {result.midday_s[i] / 60:.0f} min from the morning stop"
        print(f"  week {'AB'[result.week[i]]} day {result.day[i]} {result.half_day[i]}: candidate {s} "
              f"(+{result.gain[i]:,.0f} people{midday})")
    if compare:
        for formulation in ("days", "compact"):
            if formulation == "days" and result.stages.get("pairs", 0) + result.stages.get("stops_kept", 0) \
                    > MAX_DAY_OPTIONS:
                print(f"[solve] days        skipped: {result.stages['pairs']:,} compatible pairs (over "
                      f"{MAX_DAY_OPTIONS:,} day options HiGHS overruns the time limit on this model)")
                continue
            other, _ = solve(inputs, formulation, half_days, weeks, max_drive_s, break_s, time_limit)
            agree = abs(other.objective - result.objective) <= 1e-6 * max(1.0, result.objective)
            proven = other.optimal and result.optimal
            print(f"[compare] {formulation}: same objective: {agree}" + ("" if proven else " (not both proven)"))
            if proven and not agree:
                print("FORMULATIONS DISAGREE", file=sys.stderr)
                return 1
    print(f"tour_solve_s: {solve_s:.3f}")
    print(f"tour_total_s: {matrices_s + solve_s:.3f}")
    print(f"tour_optimal: {result.optimal}")
    print(f"tour_gap: {result.gap:.6f}")
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="a small network, a few seconds (a smoke test)")
    parser.add_argument("--side", type=int, default=420, help="grid side in nodes (420: 176,400 nodes)")
    parser.add_argument("--mode", choices=["walk", "drive"], default="walk", help="the residents' mode")
    parser.add_argument("--sites", type=int, default=10, help="existing reception points (in the largest towns)")
    parser.add_argument("--half-days", type=int, default=8)
    parser.add_argument("--weeks", type=int, choices=[1, 2], default=1)
    parser.add_argument("--break-min", type=float, default=90.0, help="the midday break")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--compare", action="store_true", help="also solve with the days and compact formulations")
    args = parser.parse_args(argv)
    if args.quick:  # 16 km across; a 2 min break makes the midday drive bind
        return run(80, 3000, 12, 2, 80, "walk", 6, 1, 20.0, compare=True, minutes=(10, 12, 2))
    return run(args.side, 50_000, 80, args.sites, 500, args.mode, args.half_days, args.weeks, args.time_limit,
               args.compare, minutes=(30, 60, args.break_min))


if __name__ == "__main__":
    raise SystemExit(main())
