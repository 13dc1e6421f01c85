"""Benchmark: what capacities cost, in people and in solver time (access30.locate.capacitated).

Instance (the project's baseline, BASELINES.md): the Martinique INSEE Filosofi 2017 200 m grid
(11,132 cells, weights ``Ind``), 1,000 candidate cells drawn at random (seed 0), coverage = cell
centre within 3 km of the site as the crow flies. Existing sites: the 20 France Services of
``martinique/france_services_972.csv`` (ANCT list), kept open.

Capacity (an ASSUMPTION for the benchmark, not data): every France Services serves at most the
same number of people, the 20 capacities adding up to the grid's population (16,869 people
each); a new site gets the median, the same. A second, tighter assumption (capacities adding up
to 30 % of the population: 5,061 people each) shows what binding capacities cost.

* Maximal covering, k = 2 and 5: :class:`access30.locate.capacitated.CapacitatedMaxCover` vs the
  project's uncapacitated :func:`access30.locate.maxcover.solve_maxcover` (cells the France Services already
  cover removed and added back, as ``suggest_sites`` does), and the capacitated model with huge
  capacities (must equal the uncapacitated optimum). ``--compact`` adds the compact MILP.
* p-median, k = 5, on 3,000 cells (seeded sample) × 300 candidates: times estimated as the
  project's access legs (crow-fly × 1.3 at 30 km/h), pairs within 30 minutes, unassigned people
  counted 3 h; :class:`access30.locate.capacitated.CapacitatedMedian` vs the uncapacitated
  :func:`access30.locate.median.solve_median` (times capped at the nearest France Services, or 3 h).

Rows: ``| model | k | seconds | objective | bound | gap | optimal | notes |``; the last lines give
``capacity_cost_people_k<k>:`` (people covered without capacities minus people served with them).

Usage::

    .venv/bin/python scripts/bench_capacitated.py            # full (about 10 minutes on 2 cores)
    .venv/bin/python scripts/bench_capacitated.py --quick    # reduced sizes, well under a minute
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from access30.inputs.population import read_filosofi  # noqa: E402
from access30.inputs.sites import load_france_services  # noqa: E402
from access30.locate.capacitated import CapacitatedMaxCover, CapacitatedMedian  # noqa: E402
from access30.locate.maxcover import solve_maxcover  # noqa: E402
from access30.locate.median import solve_median  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "martinique"
RADIUS_M = 3000.0
SPEED_M_S = 30000.0 / 3600.0  # access legs: crow-fly × 1.3 at 30 km/h (README, Method)
DETOUR = 1.3
PENALTY_S = 3 * 3600.0


def load(n_cells: int | None, n_candidates: int, seed: int = 0):
    """Cell centres, populations (all cells or a seeded sample), candidate cells and France Services."""
    demand = read_filosofi(DATA / "filosofi2017_200m_972.csv")
    xy = demand.units[["x", "y"]].to_numpy(dtype=float)
    pop = demand.units["population"].to_numpy(dtype=float)
    if n_cells is not None and n_cells < len(xy):
        keep = np.sort(np.random.default_rng(seed).choice(len(xy), size=n_cells, replace=False))
        xy, pop = xy[keep], pop[keep]
    cand = np.sort(np.random.default_rng(seed).choice(len(xy), size=n_candidates, replace=False))
    fs = load_france_services(DATA / "france_services_972.csv").to_crs(demand.crs)
    return xy, pop, xy[cand], np.c_[fs.geometry.x, fs.geometry.y]


def pairs(cells: np.ndarray, sites: np.ndarray, radius_m: float, seconds: bool) -> sp.csr_matrix:
    """Cells × sites sparse matrix of the pairs within ``radius_m``: metres, or estimated seconds."""
    m = cKDTree(sites).sparse_distance_matrix(cKDTree(cells), radius_m, output_type="coo_matrix")
    value = m.data * DETOUR / SPEED_M_S if seconds else m.data
    # + 1 ms: a site on a cell centre stays a stored pair (as in access30.locate, every leg ≥ 1 ms)
    return sp.csr_matrix((value + 1e-3, (m.col, m.row)), shape=(len(cells), len(sites)))


def row(model: str, k: int, seconds: float, objective: float, bound: float, gap: float, optimal: bool,
        notes: str = "") -> None:
    print(f"| {model} | {k} | {seconds:.1f} | {objective:,.1f} | {bound:,.1f} | {100 * gap:.3f} % | "
          f"{'yes' if optimal else 'no'} | {notes} |", flush=True)


def bench_maxcover(n_cells, n_candidates, ks, time_limit, compact: bool, share: float = 1.0) -> None:
    xy, pop, cand, fs = load(n_cells, n_candidates)
    te, tc = pairs(xy, fs, RADIUS_M, False), pairs(xy, cand, RADIUS_M, False)
    cap = np.full(len(fs), share * pop.sum() / len(fs))
    print(f"\nmaximal covering: {len(xy):,} cells ({pop.sum():,.1f} people), {len(cand):,} candidates, "
          f"{len(fs)} France Services of capacity {cap[0]:,.1f} people each (assumption: equal, summing to "
          f"{100 * share:.0f} % of the population); pairs within {RADIUS_M:.0f} m: {te.nnz:,} existing, "
          f"{tc.nnz:,} candidate")
    print("| model | k | seconds | objective | bound | gap | optimal | notes |")
    print("|---|---|---|---|---|---|---|---|")
    covered0 = np.asarray((te != 0).sum(axis=1)).ravel() > 0
    rest = np.flatnonzero(~covered0)
    costs = {}
    for k in ks:
        t0 = time.perf_counter()
        cover = sp.csr_matrix(tc[rest].T != 0)
        ref = solve_maxcover(cover, pop[rest], k, time_limit_s=time_limit)
        seconds = time.perf_counter() - t0
        base = float(pop[covered0].sum())
        row("maxcover uncapacitated (access30.locate)", k, seconds, ref.objective + base, ref.bound + base, ref.gap,
            ref.optimal, f"covered within {RADIUS_M:.0f} m, capacity ignored")
        t0 = time.perf_counter()
        res = CapacitatedMaxCover(te, tc, pop, cap, k, threshold_min=None, time_limit_s=time_limit).solve()
        row("maxcover capacitated", k, time.perf_counter() - t0, res.objective, res.bound, res.gap, res.optimal,
            f"served within capacity; greedy {res.heuristic_objective:,.1f}; {res.status}")
        if share == 1.0:  # the same check whatever the capacities: once
            huge = CapacitatedMaxCover(te, tc, pop, cap * 1e6, k, threshold_min=None, capacity_new=1e12,
                                       time_limit_s=time_limit)
            t0 = time.perf_counter()
            res_h = huge.solve()
            row("maxcover capacitated, capacities x 1e6", k, time.perf_counter() - t0, res_h.objective, res_h.bound,
                res_h.gap, res_h.optimal, "must equal the uncapacitated optimum")
            if res_h.optimal and ref.optimal and abs(res_h.objective - ref.objective - base) > 1e-6 * res_h.objective:
                print(f"MISMATCH: huge capacities {res_h.objective} vs uncapacitated {ref.objective + base}")
                sys.exit(1)
        if compact:
            t0 = time.perf_counter()
            res_c = CapacitatedMaxCover(te, tc, pop, cap, k, threshold_min=None, time_limit_s=time_limit,
                                        formulation="compact").solve()
            row("maxcover capacitated, compact MILP", k, time.perf_counter() - t0, res_c.objective, res_c.bound,
                res_c.gap, res_c.optimal, res_c.status)
        costs[k] = (ref.objective + base, res.objective)
    tag = "" if share == 1.0 else f"_share{share:g}"
    for k, (uncap, capa) in costs.items():
        print(f"capacity_cost_people{tag}_k{k}: {uncap - capa:,.1f} (covered {uncap:,.1f} without capacities, "
              f"served {capa:,.1f} within them)")


def bench_median(n_cells, n_candidates, k, time_limit) -> None:
    xy, pop, cand, fs = load(n_cells, n_candidates)
    radius = 1800.0 * SPEED_M_S / DETOUR  # 30 minutes of estimated time
    te, tc = pairs(xy, fs, radius, True), pairs(xy, cand, radius, True)
    cap = np.full(len(fs), pop.sum() / len(fs))
    print(f"\np-median: {len(xy):,} cells ({pop.sum():,.1f} people), {len(cand):,} candidates, {len(fs)} France "
          f"Services of capacity {cap[0]:,.1f} people each (assumption); times = crow-fly x {DETOUR} at 30 km/h, "
          f"pairs within 30 min: {te.nnz:,} existing, {tc.nnz:,} candidate; unassigned people count "
          f"{PENALTY_S / 3600:.0f} h")
    print("| model | k | seconds | objective | bound | gap | optimal | notes |")
    print("|---|---|---|---|---|---|---|---|")
    # Uncapacitated: each cell to its nearest open site, capped at its nearest France Services (or 3 h).
    t_fs = np.full(len(xy), PENALTY_S)
    coo = te.tocoo()
    np.minimum.at(t_fs, coo.row, coo.data)
    t0 = time.perf_counter()
    ref = solve_median(sp.csr_matrix(tc.T), pop, t_fs, k, time_limit_s=time_limit)
    seconds = time.perf_counter() - t0
    total = pop.sum()
    row("median uncapacitated (access30.locate)", k, seconds, ref.objective, ref.bound, ref.gap, ref.optimal,
        f"mean {ref.objective / total / 60:.2f} min per person, capacity ignored")
    t0 = time.perf_counter()
    res = CapacitatedMedian(te, tc, pop, cap, k, penalty_s=PENALTY_S, time_limit_s=time_limit).solve()
    row("median capacitated", k, time.perf_counter() - t0, res.objective, res.bound, res.gap, res.optimal,
        f"mean {res.objective / total / 60:.2f} min per person (served: {res.mean_time_min:.2f} min, "
        f"unassigned {res.unassigned_population:,.1f}); greedy {res.heuristic_objective:,.0f}; {res.status}")
    print(f"median_capacity_cost_min_per_person_k{k}: {(res.objective - ref.objective) / total / 60:.2f} "
          f"(bound: at least {(res.bound - ref.objective) / total / 60:.2f})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="reduced sizes (the test suite runs this)")
    parser.add_argument("--time-limit", type=float, default=None, help="seconds per solve")
    parser.add_argument("--compact", action="store_true", help="also the compact MILP of the covering model")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    if args.quick:
        limit = args.time_limit or 20.0
        bench_maxcover(2000, 200, (2,), limit, args.compact)
        bench_maxcover(2000, 200, (2,), limit, False, share=0.3)
        bench_median(500, 50, 2, limit)
    else:
        limit = args.time_limit or 300.0
        bench_maxcover(None, 1000, (2, 5), limit, args.compact)
        bench_maxcover(None, 1000, (2, 5), limit, False, share=0.3)
        bench_median(3000, 300, 5, limit)
    print(f"\ntotal_seconds: {time.perf_counter() - t0:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
