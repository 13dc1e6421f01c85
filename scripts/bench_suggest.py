"""Benchmark: access30's location models against spopt (PuLP + CBC) on the same instances.

Instance (as in BASELINES.md): the Martinique INSEE Filosofi 2017 200 m grid (11,132 cells,
weights ``Ind``), 1,000 candidate cells drawn at random (seed 0), coverage = cell centre within
3 km of the candidate as the crow flies. Both sides start from the same dense cost matrix:

* MCLP (maximal covering, p = 5): spopt ``MCLP.from_cost_matrix`` + CBC vs
  :func:`access30.locate.maxcover.solve_maxcover`;
* LSCP (set covering of every cell some candidate reaches; 6,000 cells × 600 candidates, the full
  size being too hard for CBC in reasonable time): spopt ``LSCP`` + CBC vs
  :func:`access30.locate.cover.solve_cover`;
* p-median (p = 5) on a smaller dense instance (spopt builds one variable per cell × candidate
  pair through PuLP, so the full size is out of its reach): spopt ``PMedian`` + CBC vs
  :func:`access30.locate.median.solve_median` (``--median-formulation benders``, the default, or
  ``radius``, the compact radius MILP given whole to HiGHS).

Each side's time covers building the model from the cost matrix and solving it. Objectives must
agree. The last line is ``speedup_vs_spopt: X.X`` (total spopt time / total access30 time).

The reference tools are in the ``bench`` extra (``make test`` installs it)::

    .venv/bin/pip install -e ".[bench]"

Usage::

    .venv/bin/python scripts/bench_suggest.py            # full instance (a few minutes)
    .venv/bin/python scripts/bench_suggest.py --quick    # small instances, a few seconds (a smoke test)
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.spatial.distance import cdist

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from access30.inputs.population import read_filosofi  # noqa: E402
from access30.locate.cover import solve_cover  # noqa: E402
from access30.locate.maxcover import solve_maxcover  # noqa: E402
from access30.locate.median import solve_median  # noqa: E402

GRID = ROOT.parent / "shared" / "data" / "martinique" / "filosofi2017_200m_972.csv"
RADIUS_M = 3000.0


def load_instance(n_cells: int | None, n_candidates: int, seed: int = 0):
    """Cell centres and weights (all cells or the first ``n_cells`` of a seeded shuffle) and candidates."""
    demand = read_filosofi(GRID)
    units = demand.units
    xy = units[["x", "y"]].to_numpy(dtype=float)
    weights = units["population"].to_numpy(dtype=float)
    rng = np.random.default_rng(seed)
    if n_cells is not None and n_cells < len(units):
        keep = np.sort(rng.choice(len(units), size=n_cells, replace=False))
        xy, weights = xy[keep], weights[keep]
    candidates = np.sort(np.random.default_rng(seed).choice(len(xy), size=n_candidates, replace=False))
    return xy, weights, xy[candidates]


def spopt_solve(kind: str, cost: np.ndarray, weights: np.ndarray, p: int):
    import pulp
    from spopt.locate import LSCP, MCLP, PMedian

    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if kind == "mclp":
            model = MCLP.from_cost_matrix(cost, weights, service_radius=RADIUS_M, p_facilities=p)
        elif kind == "lscp":
            model = LSCP.from_cost_matrix(cost, service_radius=RADIUS_M)
        else:
            model = PMedian.from_cost_matrix(cost, weights, p_facilities=p)
        built = time.perf_counter() - t0
        model.solve(pulp.PULP_CBC_CMD(msg=False))
    total = time.perf_counter() - t0
    return float(pulp.value(model.problem.objective)), built, total


def ours_solve(kind: str, cost: np.ndarray, weights: np.ndarray, p: int, time_limit_s: float,
               formulation: str = "benders"):
    t0 = time.perf_counter()
    if kind in ("mclp", "lscp"):
        rows, cols = np.nonzero(cost.T <= RADIUS_M)  # candidates × cells
        cover = sp.csr_matrix((np.ones(rows.size, dtype=bool), (rows, cols)), shape=cost.T.shape)
        built = time.perf_counter() - t0
        result = (solve_maxcover(cover, weights, p, time_limit_s) if kind == "mclp"
                  else solve_cover(cover, time_limit_s))
    else:
        times = sp.csr_matrix(np.maximum(cost.T, 1e-3))  # zero distances kept as entries
        built = time.perf_counter() - t0
        result = solve_median(times, weights, np.full(cost.shape[0], np.inf), p, time_limit_s,
                              formulation=formulation)
    total = time.perf_counter() - t0
    return result, built, total


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small instances, a few seconds (a smoke test)")
    parser.add_argument("--p", type=int, default=5)
    parser.add_argument("--time-limit", type=float, default=600.0)
    parser.add_argument("--median-formulation", choices=["benders", "radius"], default="benders")
    args = parser.parse_args(argv)
    try:
        import pulp  # noqa: F401
        import spopt  # noqa: F401
    except ImportError:
        print("spopt and pulp are needed: .venv/bin/pip install spopt pulp", file=sys.stderr)
        return 1
    if args.quick:
        sizes = {"mclp": (800, 80), "lscp": (800, 80), "pmedian": (150, 20)}
    else:
        # Set covering of all 11,132 cells with 1,000 candidates is hard: HiGHS proves 57 sites in
        # about 5 minutes and CBC had not finished after 13; a half-size instance keeps the run short.
        sizes = {"mclp": (None, 1000), "lscp": (6000, 600), "pmedian": (1500, 100)}
    rows = []
    total_spopt = total_ours = 0.0
    for kind, (n_cells, n_cand) in sizes.items():
        xy, weights, cand = load_instance(n_cells, n_cand)
        cost = cdist(xy, cand)
        if kind == "lscp":  # spopt's LSCP needs every cell coverable: keep those some candidate reaches
            reach = (cost <= RADIUS_M).any(axis=1)
            cost, weights = cost[reach], weights[reach]
        if kind == "pmedian":
            cost = np.round(cost, 3)  # same distances on both sides, no float noise in the comparison
        s_obj, s_built, s_total = spopt_solve(kind, cost, weights, args.p)
        ours, o_built, o_total = ours_solve(kind, cost, weights, args.p, args.time_limit,
                                            args.median_formulation)
        o_obj = ours.objective
        agree = abs(s_obj - o_obj) <= 1e-6 * max(1.0, abs(s_obj))
        rows.append((kind, cost.shape[0], cost.shape[1], s_obj, o_obj, agree, ours.optimal, ours.gap,
                     s_built, s_total, o_built, o_total, ours.heuristic_objective))
        total_spopt += s_total
        total_ours += o_total
        print(f"{kind:8s} cells={cost.shape[0]:6d} candidates={cost.shape[1]:5d} | spopt+CBC {s_total:8.2f} s "
              f"(build {s_built:6.2f}) obj={s_obj:.3f} | access30+HiGHS {o_total:7.2f} s (build {o_built:5.2f}) "
              f"obj={o_obj:.3f} optimal={ours.optimal} gap={ours.gap:.2e} greedy={ours.heuristic_objective:.3f} "
              f"| same objective: {agree} | speedup {s_total / o_total:.1f}x", flush=True)
        if not agree:
            print(f"OBJECTIVES DIFFER on {kind}", file=sys.stderr)
            return 1
    print(f"speedup_vs_spopt: {total_spopt / total_ours:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
