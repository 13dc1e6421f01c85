"""Where to open new reception points: exact location models on network travel times.

Three models, with the existing sites kept:

* ``cover`` (set covering): the fewest new sites so that every unit some candidate can reach
  within the threshold is covered;
* ``maxcover`` (maximal covering): the most people covered with ``k`` new sites, and the curve of
  covered population for 1..k sites;
* ``median`` (p-median): the lowest population-weighted mean time with ``k`` new sites, each
  unit's time being capped by its time to the existing sites.

How
---
1. :func:`candidate_unit_times` runs one bounded Dijkstra per candidate on the reversed graph
   (:func:`access.routing.site_unit_times`), candidates joined to the network exactly as sites are,
   in batches so that memory stays bounded. A unit's time follows the coverage's own rule (either
   end of its segment, direct legs, same segment), so adding the chosen sites to the study and
   rerunning the coverage gives the same figures.
2. The MILP is built directly as sparse arrays. Covering models keep only units the existing
   sites leave uncovered, merge units with the same candidate set (adding their weights) and drop
   candidates whose set is contained in another's. The p-median uses the "radius" formulation
   (Elloumi 2010; Cornuéjols, Nemhauser, Wolsey 1980): per unit, one level per distinct candidate
   time below its existing time. By default its level variables are projected out (Benders cuts,
   one θ per group of units with identical time rows, added by cutting planes); the compact form,
   chained so that the matrix stays linear in the (unit, candidate) pairs, remains selectable.
3. HiGHS (``highspy``) solves it with a time limit, warm-started by a greedy + swap heuristic,
   LP relaxation first. Objective, best bound and gap are always reported; only a proven optimum
   is called optimal.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from .analysis import Routing, Study, check_threshold
from .candidates import dedupe_candidates, join_candidates
from .coverage import EPS_S
from .errors import InputError, Notice
from .fmt import fmt_int, fmt_num, fmt_pct, plural
from .labels import MODEL_LABELS_FR, units_of
from .names import commune_name
from .routing import Join, site_unit_times, unit_pairs, unit_times

MODELS = ("cover", "maxcover", "median")
BATCH_BYTES = 128 * 2**20
MEDIAN_MAX_LIMIT_S = 3 * 3600.0


# --------------------------------------------------------------------------------------------
# Candidate × unit travel times
# --------------------------------------------------------------------------------------------

def candidate_unit_times(study: Study, routing: Routing, joins: Join, limit_s: float,
                         batch_bytes: int = BATCH_BYTES) -> sp.csr_matrix:
    """Travel time from every unit to every candidate, kept where it is within ``limit_s``.

    Candidates join the network exactly as sites do and unit times follow the same rule as the
    coverage (:func:`access.routing.site_unit_times`), so that adding the chosen candidates to the
    study and rerunning the coverage gives the same figures.

    Parameters
    ----------
    study : Study
    routing : Routing
        Its ``units`` give each unit's join.
    joins : Join
        Where each candidate joins the network.
    limit_s : float
        Times above this are not stored (bounded searches).
    batch_bytes : int
        Memory budget of one batch of searches.

    Returns
    -------
    csr_matrix
        Shape (candidates, units), seconds; stored entries are the pairs with time <= ``limit_s``
        (a pair at 0 s is stored as 1e-9 s).
    """
    return site_unit_times(study.network, routing.units, joins, study.access, limit_s + EPS_S, batch_bytes)


# --------------------------------------------------------------------------------------------
# Solver plumbing
# --------------------------------------------------------------------------------------------

@dataclass
class SolveResult:
    """Outcome of one MILP solve (or of the heuristic alone)."""

    chosen: np.ndarray
    objective: float
    bound: float
    gap: float
    optimal: bool
    status: str
    solver: str
    seconds: float
    heuristic_objective: float = float("nan")


def _rel_gap(objective: float, bound: float) -> float:
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("inf")
    diff = abs(bound - objective)
    return 0.0 if diff <= 1e-9 * max(1.0, abs(objective)) else diff / max(abs(objective), 1e-12)


_BANNER_SHOWN = False


def _new_highs(highspy):
    """A Highs instance; the licence banner HiGHS prints on stdout at first use is kept off the CLI output."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
    import os
    import sys

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            h = highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER_SHOWN = True
    return h


def _highs(cost, lower, upper, matrix: sp.csc_matrix, row_lower, row_upper, integer: np.ndarray,
           maximize: bool, offset: float, time_limit_s: float, start: np.ndarray | None,
           options: dict | None = None):
    """Solve a MILP with HiGHS; returns (x, objective, bound, status text, optimal)."""
    import highspy

    h = _new_highs(highspy)
    for key, value in (options or {}).items():
        h.setOptionValue(key, value)
    h.setOptionValue("output_flag", bool(__import__("os").environ.get("HIGHS_LOG")))
    h.setOptionValue("time_limit", float(max(time_limit_s, 0.01)))
    h.setOptionValue("mip_rel_gap", 0.0)
    h.setOptionValue("mip_abs_gap", 1e-7)
    h.setOptionValue("threads", 1)
    matrix = sp.csc_matrix(matrix)
    matrix.sort_indices()
    num_col, num_row = matrix.shape[1], matrix.shape[0]
    h.passModel(int(num_col), int(num_row), int(matrix.nnz), 1, -1 if maximize else 1, float(offset),
                np.asarray(cost, dtype=np.float64), np.asarray(lower, dtype=np.float64),
                np.asarray(upper, dtype=np.float64), np.asarray(row_lower, dtype=np.float64),
                np.asarray(row_upper, dtype=np.float64), matrix.indptr.astype(np.int32),
                matrix.indices.astype(np.int32), matrix.data.astype(np.float64),
                np.asarray(integer, dtype=np.int32))
    if start is not None:
        idx = np.arange(num_col, dtype=np.int32)
        h.setSolution(int(num_col), idx, np.asarray(start, dtype=np.float64))
    h.run()
    status = h.getModelStatus()
    text = h.modelStatusToString(status)
    info = h.getInfo()
    optimal = status == highspy.HighsModelStatus.kOptimal
    x = np.asarray(h.getSolution().col_value, dtype=float) if info.primal_solution_status >= 1 else None
    objective = float(info.objective_function_value) if x is not None else float("nan")
    bound = float(info.mip_dual_bound)
    return x, objective, bound, text, optimal


LP_OPTIONS = {"solver": "ipm", "presolve": "off", "run_crossover": "on"}  # covering models
LP_OPTIONS_MEDIAN = {"solver": "simplex", "presolve": "off"}  # measured faster on the radius formulation


def _lp_first(args: tuple, n_y: int, maximize: bool, time_limit_s: float, options: dict,
              integral_objective: bool = False):
    """Solve the LP relaxation first; returns (bound or None, LP sites when the LP's y is integral, else None).

    When the bound equals the objective of a known solution (the heuristic's, or the LP's own when
    its y is integral) that solution is proven optimal and the MILP is skipped.
    """
    cost, lower, upper, a, row_lower, row_upper, integer = args
    x, value, _, text, optimal = _highs(cost, lower, upper, a, row_lower, row_upper, np.zeros_like(integer),
                                        maximize, 0.0, time_limit_s, None, options)
    if not optimal or not np.isfinite(value) or x is None:
        return None, None
    if integral_objective:
        value = float(np.floor(value + 1e-6)) if maximize else float(np.ceil(value - 1e-6))
    y = x[:n_y]
    integral = np.all(np.minimum(np.abs(y), np.abs(1.0 - y)) <= 1e-6)
    return value, (np.flatnonzero(y > 0.5) if integral else None)


def _proven(heuristic: float, bound: float | None, maximize: bool) -> bool:
    if bound is None:
        return False
    tol = 1e-9 * max(1.0, abs(heuristic)) + 1e-7
    return bound <= heuristic + tol if maximize else bound >= heuristic - tol


def _pick(x: np.ndarray | None, n: int) -> np.ndarray:
    return np.flatnonzero(x[:n] > 0.5) if x is not None else np.zeros(0, dtype=np.int64)


# --------------------------------------------------------------------------------------------
# Covering models
# --------------------------------------------------------------------------------------------

def merge_units(cover: sp.csr_matrix, weights: np.ndarray) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """Merge units (columns) with the same candidate set.

    Returns the reduced boolean matrix (candidates × groups, CSC), group weights and, for each
    input column, its group (-1 for columns no candidate covers).
    """
    csc = sp.csc_matrix(cover, dtype=bool)
    csc.sum_duplicates()
    csc.sort_indices()
    lengths = np.diff(csc.indptr)
    group = np.full(csc.shape[1], -1, dtype=np.int64)
    keys: dict[bytes, int] = {}
    indices, indptr = csc.indices.astype(np.int32), csc.indptr
    for j in np.flatnonzero(lengths):
        key = indices[indptr[j]:indptr[j + 1]].tobytes()
        group[j] = keys.setdefault(key, len(keys))
    first = np.full(len(keys), -1, dtype=np.int64)
    cols = np.flatnonzero(group >= 0)
    first[group[cols[::-1]]] = cols[::-1]
    reduced = csc[:, first] if len(keys) else sp.csc_matrix((csc.shape[0], 0), dtype=bool)
    gweights = np.bincount(group[cols], weights=np.asarray(weights, dtype=float)[cols], minlength=len(keys))
    return sp.csc_matrix(reduced), gweights, group


def dominated_candidates(sets: sp.csr_matrix) -> np.ndarray:
    """Candidates (rows) whose set is contained in another's (equal sets: all but the first)."""
    b = sp.csr_matrix(sets, dtype=np.float64)
    size = np.asarray(b.sum(axis=1)).ravel()
    inter = (b @ b.T).tocoo()
    off = inter.row != inter.col
    r, c, v = inter.row[off], inter.col[off], inter.data[off]
    contained = np.abs(v - size[r]) < 0.5  # set r within set c
    strict = contained & ((size[c] > size[r]) | (c < r))
    dominated = np.zeros(b.shape[0], dtype=bool)
    dominated[r[strict]] = True
    dominated |= size == 0
    return dominated


def greedy_maxcover(sets: sp.csr_matrix, weights: np.ndarray, k: int,
                    fixed: np.ndarray | None = None) -> np.ndarray:
    """Greedy maximal covering: add the candidate covering the most uncovered weight, ``k`` times."""
    a = sp.csr_matrix(sets, dtype=np.float64)
    left = np.asarray(weights, dtype=float).copy()
    chosen = list(fixed) if fixed is not None else []
    for c in chosen:
        left[a.indices[a.indptr[c]:a.indptr[c + 1]]] = 0.0
    for _ in range(k - len(chosen)):
        gain = a @ left
        if chosen:
            gain[chosen] = -1.0
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        left[a.indices[a.indptr[best]:a.indptr[best + 1]]] = 0.0
    return np.array(chosen, dtype=np.int64)


def swap_maxcover(sets: sp.csr_matrix, weights: np.ndarray, chosen: np.ndarray, max_rounds: int = 50) -> np.ndarray:
    """Best-improvement swaps (one out, one in) until none helps."""
    a = sp.csr_matrix(sets, dtype=np.float64)
    w = np.asarray(weights, dtype=float)
    chosen = np.array(chosen, dtype=np.int64)
    if chosen.size == 0:
        return chosen
    for _ in range(max_rounds):
        count = np.asarray(a[chosen].sum(axis=0)).ravel()
        base = float(w[count > 0].sum())
        best_gain, best_swap = 1e-9 * max(1.0, base), None
        for i, s in enumerate(chosen):
            row = a.indices[a.indptr[s]:a.indptr[s + 1]]
            remaining = count.copy()
            remaining[row] -= 1
            loss = float(w[row[remaining[row] == 0]].sum())
            gain = a @ np.where(remaining > 0, 0.0, w)
            gain[chosen] = -np.inf
            c = int(np.argmax(gain))
            if gain[c] - loss > best_gain:
                best_gain, best_swap = gain[c] - loss, (i, c)
        if best_swap is None:
            break
        chosen[best_swap[0]] = best_swap[1]
    return chosen


def greedy_cover(sets: sp.csr_matrix) -> np.ndarray:
    """Greedy set covering: repeatedly add the candidate covering the most uncovered groups."""
    a = sp.csr_matrix(sets, dtype=np.float64)
    left = np.asarray(a.sum(axis=0)).ravel() > 0
    left = left.astype(float)
    chosen = []
    while left.any():
        gain = a @ left
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        left[a.indices[a.indptr[best]:a.indptr[best + 1]]] = 0.0
    # Drop sites made redundant by later ones.
    chosen = np.array(chosen, dtype=np.int64)
    csc = sp.csc_matrix(a[chosen]) if chosen.size else None
    keep = np.ones(chosen.size, dtype=bool)
    for i in range(chosen.size - 1, -1, -1):
        keep[i] = False
        if not (np.asarray(csc[keep].sum(axis=0)).ravel() > 0).all():
            keep[i] = True
    return chosen[keep]


def solve_maxcover(cover: sp.csr_matrix, weights: np.ndarray, k: int, time_limit_s: float = 60.0,
                   reduce: bool = True) -> SolveResult:
    """Maximal covering with ``k`` sites (at most) on a boolean candidates × units matrix.

    Parameters
    ----------
    cover : sparse matrix
        ``cover[c, u]`` true when candidate ``c`` covers unit ``u``.
    weights : ndarray
        Weight of each unit.
    k : int
    time_limit_s : float
    reduce : bool
        Merge identical units and drop dominated candidates first.

    Returns
    -------
    SolveResult
        ``chosen`` candidate indices; objective = covered weight.
    """
    t0 = time.perf_counter()
    weights = np.asarray(weights, dtype=float)
    n_cand = cover.shape[0]
    cols = np.flatnonzero(weights > 0)
    if reduce:
        sets, gweights, _ = merge_units(sp.csc_matrix(cover)[:, cols], weights[cols])
        keep = np.flatnonzero(~dominated_candidates(sp.csr_matrix(sets)))
    else:
        sets, gweights = sp.csc_matrix(cover, dtype=bool)[:, cols], weights[cols]
        keep = np.arange(n_cand)
    sets = sp.csr_matrix(sets, dtype=np.float64)[keep]
    c, g = sets.shape
    k_eff = int(min(k, c))
    if c == 0 or g == 0 or k_eff == 0:
        return SolveResult(np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, True, "rien à couvrir", "aucun",
                           time.perf_counter() - t0, 0.0)
    start_sites = swap_maxcover(sets, gweights, greedy_maxcover(sets, gweights, k_eff))
    covered = np.asarray(sets[start_sites].sum(axis=0)).ravel() > 0
    heuristic = float(gweights[covered].sum())
    # Variables: y (c, binary) then z (g, [0, 1]); rows: z_g - sum_{c covers g} y_c <= 0, sum y <= k.
    a = sp.vstack([
        sp.hstack([-sets.T.tocsc(), sp.identity(g, format="csc")], format="csc"),
        sp.hstack([sp.csc_matrix(np.ones((1, c))), sp.csc_matrix((1, g))], format="csc"),
    ], format="csc")
    start = np.concatenate([np.isin(np.arange(c), start_sites).astype(float), covered.astype(float)])
    model = (np.concatenate([np.zeros(c), gweights]), np.zeros(c + g), np.ones(c + g), a,
             np.full(g + 1, -np.inf), np.concatenate([np.zeros(g), [k_eff]]), np.concatenate([np.ones(c), np.zeros(g)]))
    lp_bound, lp_sites = _lp_first(model, c, True, time_limit_s, LP_OPTIONS)
    incumbent, best_sites = heuristic, start_sites
    if lp_sites is not None and lp_sites.size <= k_eff:
        value = float(gweights[np.asarray(sets[lp_sites].sum(axis=0)).ravel() > 0].sum())
        if value > incumbent:
            incumbent, best_sites = value, lp_sites
    if _proven(incumbent, lp_bound, True):
        return SolveResult(np.sort(keep[best_sites]), incumbent, incumbent, 0.0, True,
                           "Optimal (borne de la relaxation linéaire atteinte)", "HiGHS",
                           time.perf_counter() - t0, heuristic)
    if best_sites is not start_sites:
        start_sites = best_sites
        covered = np.asarray(sets[start_sites].sum(axis=0)).ravel() > 0
        start = np.concatenate([np.isin(np.arange(c), start_sites).astype(float), covered.astype(float)])
        heuristic_for_fallback = incumbent
    else:
        heuristic_for_fallback = heuristic
    x, obj, bound, text, optimal = _highs(*model, True, 0.0, max(time_limit_s - (time.perf_counter() - t0), 0.1),
                                          start)
    if lp_bound is not None and np.isfinite(bound):
        bound = min(bound, lp_bound)
    chosen = keep[_pick(x, c)] if x is not None else keep[start_sites]
    if x is None or obj < heuristic_for_fallback - 1e-9:
        chosen, obj = keep[start_sites], heuristic_for_fallback
    bound = max(bound, obj) if np.isfinite(bound) else float(gweights.sum())
    return SolveResult(np.sort(chosen), obj, bound, _rel_gap(obj, bound), optimal, text, "HiGHS",
                       time.perf_counter() - t0, heuristic)


def solve_cover(cover: sp.csr_matrix, time_limit_s: float = 60.0, reduce: bool = True) -> SolveResult:
    """Set covering: fewest candidates covering every unit (column) that some candidate covers."""
    t0 = time.perf_counter()
    n_cand, n_units = cover.shape
    if reduce:
        sets, _, _ = merge_units(cover, np.ones(n_units))
        keep = np.flatnonzero(~dominated_candidates(sp.csr_matrix(sets)))
    else:
        sets = sp.csc_matrix(cover, dtype=bool)
        sets = sets[:, np.flatnonzero(np.diff(sets.indptr) > 0)]
        keep = np.arange(n_cand)
    sets = sp.csr_matrix(sets, dtype=np.float64)[keep]
    c, g = sets.shape
    if g == 0:
        return SolveResult(np.zeros(0, dtype=np.int64), 0.0, 0.0, 0.0, True, "rien à couvrir", "aucun",
                           time.perf_counter() - t0, 0.0)
    start_sites = greedy_cover(sets)
    heuristic = float(start_sites.size)
    a = sets.T.tocsc()
    start = np.isin(np.arange(c), start_sites).astype(float)
    model = (np.ones(c), np.zeros(c), np.ones(c), a, np.ones(g), np.full(g, np.inf), np.ones(c))
    lp_bound, lp_sites = _lp_first(model, c, False, time_limit_s, LP_OPTIONS, integral_objective=True)
    if lp_sites is not None and lp_sites.size < start_sites.size:  # an integral LP solution covers everything
        start_sites = lp_sites
        start = np.isin(np.arange(c), start_sites).astype(float)
    if _proven(float(start_sites.size), lp_bound, False):
        return SolveResult(np.sort(keep[start_sites]), float(start_sites.size), float(start_sites.size), 0.0, True,
                           "Optimal (borne de la relaxation linéaire atteinte)", "HiGHS",
                           time.perf_counter() - t0, heuristic)
    heuristic_for_fallback = float(start_sites.size)
    x, obj, bound, text, optimal = _highs(*model, False, 0.0, max(time_limit_s - (time.perf_counter() - t0), 0.1),
                                          start)
    if lp_bound is not None and np.isfinite(bound):
        bound = max(bound, lp_bound)
    chosen = keep[_pick(x, c)] if x is not None else keep[start_sites]
    if x is None or obj > heuristic_for_fallback:
        chosen, obj = keep[start_sites], heuristic_for_fallback
    obj = float(round(obj))
    bound = float(np.ceil(bound - 1e-6)) if np.isfinite(bound) else 1.0
    bound = min(bound, obj)
    return SolveResult(np.sort(chosen), obj, bound, _rel_gap(obj, bound), optimal or bound == obj, text,
                       "HiGHS", time.perf_counter() - t0, heuristic)


# --------------------------------------------------------------------------------------------
# p-median with capped times
# --------------------------------------------------------------------------------------------

def median_value(times: sp.csr_matrix, weights: np.ndarray, cap: np.ndarray, chosen) -> float:
    """Sum over units of weight × min(cap, best time to a chosen candidate)."""
    best = np.asarray(cap, dtype=float).copy()
    for c in np.atleast_1d(chosen):
        row = slice(times.indptr[c], times.indptr[c + 1])
        idx = times.indices[row]
        best[idx] = np.minimum(best[idx], times.data[row])
    w = np.asarray(weights, dtype=float)
    return float(np.dot(w[w > 0], best[w > 0]))


def _median_gains(times: sp.csr_matrix, w: np.ndarray, current: np.ndarray) -> np.ndarray:
    rows = np.repeat(np.arange(times.shape[0]), np.diff(times.indptr))
    wi = w[times.indices]
    saving = np.zeros(wi.size)
    np.multiply(wi, np.maximum(current[times.indices] - times.data, 0.0), out=saving, where=wi > 0)
    return np.bincount(rows, weights=saving, minlength=times.shape[0])


def greedy_median(times: sp.csr_matrix, weights: np.ndarray, cap: np.ndarray, k: int,
                  max_rounds: int = 50) -> np.ndarray:
    """Greedy p-median (largest saving first) followed by best-improvement swaps."""
    times = sp.csr_matrix(times)
    w = np.asarray(weights, dtype=float)
    current = np.asarray(cap, dtype=float).copy()
    chosen: list[int] = []
    for _ in range(k):
        gain = _median_gains(times, w, current)
        if chosen:
            gain[chosen] = -1.0
        best = int(np.argmax(gain))
        if gain[best] <= 0 and np.isfinite(current).all():
            break
        chosen.append(best)
        row = slice(times.indptr[best], times.indptr[best + 1])
        current[times.indices[row]] = np.minimum(current[times.indices[row]], times.data[row])
    chosen_arr = np.array(chosen, dtype=np.int64)
    value = median_value(times, w, cap, chosen_arr)
    for _ in range(max_rounds):
        improved = False
        for i in range(chosen_arr.size):
            others = np.delete(chosen_arr, i)
            current = np.asarray(cap, dtype=float).copy()
            for c in others:
                row = slice(times.indptr[c], times.indptr[c + 1])
                current[times.indices[row]] = np.minimum(current[times.indices[row]], times.data[row])
            gain = _median_gains(times, w, current)
            gain[chosen_arr] = -np.inf
            c = int(np.argmax(gain))
            candidate = np.append(others, c)
            new_value = median_value(times, w, cap, candidate)
            if new_value < value - 1e-9 * max(1.0, abs(value)):
                chosen_arr, value, improved = candidate, new_value, True
                break
        if not improved:
            break
    return np.sort(chosen_arr)


def _median_groups(cand, unit, t, w, cap):
    """Merge units with identical (candidate, time) rows and cap (exact equality, no rounding).

    Returns, for the groups: pair candidates, pair times and pair group (sorted by group then
    time), the start of each group's pairs, group weights and caps.
    """
    order = np.lexsort((cand, t, unit))
    cand, unit, t = cand[order], unit[order], t[order]
    units, start = np.unique(unit, return_index=True)
    ends = np.append(start, unit.size)
    group = np.empty(units.size, dtype=np.int64)
    keys: dict[bytes, int] = {}
    cand32 = cand.astype(np.int32)
    for u in range(units.size):
        sl = slice(ends[u], ends[u + 1])
        key = cand32[sl].tobytes() + t[sl].tobytes() + cap[units[u]].tobytes()
        group[u] = keys.setdefault(key, len(keys))
    n_groups = len(keys)
    first = np.zeros(units.size, dtype=bool)
    first[np.unique(group, return_index=True)[1]] = True  # first unit of each group (groups numbered in order)
    lengths = np.diff(ends)
    pair_rep = np.repeat(first, lengths)
    g_cand, g_t = cand[pair_rep], t[pair_rep]
    g_pair = np.repeat(np.arange(n_groups), lengths[first])
    g_start = np.concatenate([[0], np.cumsum(lengths[first])])
    g_weight = np.bincount(group, weights=w[units], minlength=n_groups)
    return g_cand, g_t, g_pair, g_start, g_weight, cap[units[first]]


def _median_cuts(y: np.ndarray, theta: np.ndarray, g_cand, g_t, g_pair, g_start, g_cap):
    """Most violated Benders cut of every group at ``(y, theta)``.

    For a group with pair times t_1 <= t_2 <= ... and cap C, every level D (a pair time, or C)
    gives the valid inequality θ >= D - Σ_j max(D - t_j, 0) y_j; the deepest at ``y`` is the
    first level where the cumulated y of the nearer candidates reaches 1 (C if none does, the
    last time when C is infinite). Returns (violated group mask, D per group, coefficient per pair).
    """
    n_pairs = g_t.size
    cum = np.cumsum(y[g_cand])
    before = np.concatenate([[0.0], cum])[g_start[:-1]]
    reached = (cum - before[g_pair]) >= 1.0 - 1e-9
    first = np.minimum.reduceat(np.where(reached, np.arange(n_pairs), n_pairs), g_start[:-1])
    last_t = g_t[g_start[1:] - 1]
    level = np.where(first < g_start[1:], g_t[np.minimum(first, n_pairs - 1)],
                     np.where(np.isfinite(g_cap), g_cap, last_t))
    coef = np.maximum(level[g_pair] - g_t, 0.0)
    value = level - np.bincount(g_pair, weights=coef * y[g_cand], minlength=level.size)
    violated = value - theta > 1e-7 * np.maximum(1.0, np.abs(level))
    return violated, level, coef


def _add_median_cuts(h, violated, level, coef, g_cand, g_pair, n_cand):
    rows = np.cumsum(violated) - 1
    sel = violated[g_pair] & (coef > 0)
    groups = np.flatnonzero(violated)
    m = sp.hstack([sp.csr_matrix((coef[sel], (rows[g_pair[sel]], g_cand[sel])), shape=(groups.size, n_cand)),
                   sp.csr_matrix((np.ones(groups.size), (np.arange(groups.size), groups)),
                                 shape=(groups.size, violated.size))], format="csr")
    m.sort_indices()
    h.addRows(int(groups.size), level[violated].astype(np.float64), np.full(groups.size, np.inf),
              int(m.nnz), m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32), m.data.astype(np.float64))
    return int(groups.size)


def _median_benders(times, w, cap, k, cand, unit, t, fixed, start_sites, heuristic, t0, time_limit_s):
    """p-median by Benders cuts on the radius formulation (one θ per group of identical units).

    The radius formulation (Elloumi 2010; Cornuéjols, Nemhauser, Wolsey 1980) with its level
    variables projected out: the master keeps the site variables y and one θ_g per group of
    units with identical time rows, bounded by the group's nearest time and cap, and the cuts of
    :func:`_median_cuts` (the Benders cuts of the radius formulation, as in Duran-Mateos,
    Fischetti, Ljubić and Sinnl 2017). Its LP relaxation, solved by cutting planes with in-out
    stabilisation (dual simplex, warm-started after each round), has the radius formulation's
    bound. Then: an integral LP or a heuristic meeting the bound is optimal; otherwise candidates
    whose reduced cost lifts the bound above the incumbent are fixed to 0 and the master MILP is
    solved, cuts being added at each integer solution until it is exact or time runs out.
    """
    import highspy

    n_cand = times.shape[0]
    g_cand, g_t, g_pair, g_start, g_weight, g_cap = _median_groups(cand, unit, t, w, cap)
    n_groups = g_weight.size
    h = _new_highs(highspy)
    h.setOptionValue("output_flag", bool(__import__("os").environ.get("HIGHS_LOG")))
    for key, value in {"presolve": "off", "solver": "simplex", "threads": 1, "mip_rel_gap": 0.0,
                       "mip_abs_gap": 1e-7}.items():
        h.setOptionValue(key, value)
    inf = highspy.kHighsInf
    h.addVars(n_cand, np.zeros(n_cand), np.ones(n_cand))
    h.addVars(n_groups, g_t[g_start[:-1]].astype(np.float64), np.where(np.isfinite(g_cap), g_cap, inf))
    h.changeColsCost(n_cand + n_groups, np.arange(n_cand + n_groups, dtype=np.int32),
                     np.concatenate([np.zeros(n_cand), g_weight]))
    h.addRow(-inf, float(k), n_cand, np.arange(n_cand, dtype=np.int32), np.ones(n_cand))
    must = ~np.isfinite(g_cap)
    if must.any():  # units no existing site reaches: some candidate reaching them must open
        sel = must[g_pair]
        m = sp.csr_matrix((np.ones(int(sel.sum())), (g_pair[sel], g_cand[sel])), shape=(n_groups, n_cand))[must]
        m.sum_duplicates()
        m.data[:] = 1.0
        h.addRows(m.shape[0], np.ones(m.shape[0]), np.full(m.shape[0], inf), int(m.nnz),
                  m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32), m.data.astype(np.float64))

    def theta_of(sites):
        y = np.zeros(n_cand)
        y[sites] = 1.0
        _, level, _ = _median_cuts(y, np.full(n_groups, -np.inf), g_cand, g_t, g_pair, g_start, g_cap)
        return y, level

    def remaining():
        return time_limit_s - (time.perf_counter() - t0)

    def result(sites, obj, bound, optimal, status):
        bound = min(bound, obj) if np.isfinite(bound) else float("-inf")
        return SolveResult(np.sort(np.asarray(sites, dtype=np.int64)), obj, bound, 0.0 if optimal else
                           _rel_gap(obj, bound), optimal, status, "HiGHS", time.perf_counter() - t0, heuristic)

    # LP relaxation by cutting planes: first the heuristic's cuts, then in-out separation.
    y_h, _ = theta_of(start_sites)
    pending = [y_h]
    core = 0.8 * y_h + 0.2 * min(1.0, k / n_cand)
    lp_bound, y, lp_done = float("-inf"), None, False
    while remaining() > 0:
        h.setOptionValue("time_limit", float(max(remaining(), 0.01)))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        sol = np.asarray(h.getSolution().col_value, dtype=float)
        y, theta = sol[:n_cand], sol[n_cand:]
        lp_bound = float(h.getInfo().objective_function_value) + fixed
        added = 0
        for point in pending + [0.5 * core + 0.5 * y, y]:
            violated, level, coef = _median_cuts(point, theta, g_cand, g_t, g_pair, g_start, g_cap)
            if violated.any():
                added = _add_median_cuts(h, violated, level, coef, g_cand, g_pair, n_cand)
                break
        pending = []
        core = 0.5 * core + 0.5 * y
        if not added:
            lp_done = True
            break
    if not lp_done:  # time out during the LP: the heuristic, with the last (valid) partial bound
        return result(start_sites, heuristic, lp_bound, False, "Limite de temps atteinte (relaxation linéaire)")
    incumbent, best_sites = heuristic, start_sites
    if np.all(np.minimum(np.abs(y), np.abs(1.0 - y)) <= 1e-6):
        lp_sites = np.flatnonzero(y > 0.5)
        if 0 < lp_sites.size <= k:
            value = median_value(times, w, cap, lp_sites)
            if value < incumbent:
                incumbent, best_sites = value, lp_sites
    if _proven(incumbent, lp_bound, False):
        return result(best_sites, incumbent, incumbent, True, "Optimal (borne de la relaxation linéaire atteinte)")
    # Reduced-cost fixing: opening j costs at least lp_bound + its reduced cost.
    reduced = np.asarray(h.getSolution().col_dual, dtype=float)[:n_cand]
    def tol_of(value):
        return 1e-9 * max(1.0, abs(value)) + 1e-7 if np.isfinite(value) else 0.0

    fix = (lp_bound + reduced > incumbent + tol_of(incumbent)) & ~np.isin(np.arange(n_cand), best_sites)
    if fix.any():
        idx = np.flatnonzero(fix).astype(np.int32)
        h.changeColsBounds(int(idx.size), idx, np.zeros(idx.size), np.zeros(idx.size))
    idx = np.arange(n_cand, dtype=np.int32)
    h.changeColsIntegrality(n_cand, idx, np.full(n_cand, highspy.HighsVarType.kInteger))
    h.setOptionValue("presolve", "on")
    bound, status, optimal = lp_bound, "", False
    while remaining() > 0:
        y_start, th_start = theta_of(best_sites)
        h.setSolution(int(n_cand + n_groups), np.arange(n_cand + n_groups, dtype=np.int32),
                      np.concatenate([y_start, th_start]))
        h.setOptionValue("time_limit", float(max(remaining(), 0.01)))
        h.run()
        model_status = h.getModelStatus()
        info = h.getInfo()
        status = h.modelStatusToString(model_status)
        if np.isfinite(info.mip_dual_bound):
            bound = max(bound, float(info.mip_dual_bound) + fixed)
        if info.primal_solution_status < 1:
            break
        sol = np.asarray(h.getSolution().col_value, dtype=float)
        sites = np.flatnonzero(sol[:n_cand] > 0.5)
        value = median_value(times, w, cap, sites)
        if value < incumbent - tol_of(incumbent):
            incumbent, best_sites = value, sites
        if _proven(incumbent, bound, False):
            optimal = True
            break
        y_int = np.zeros(n_cand)
        y_int[sites] = 1.0
        violated, level, coef = _median_cuts(y_int, sol[n_cand:], g_cand, g_t, g_pair, g_start, g_cap)
        if not violated.any():  # the master's optimum is exact: nothing better exists
            optimal = model_status == highspy.HighsModelStatus.kOptimal
            break
        _add_median_cuts(h, violated, level, coef, g_cand, g_pair, n_cand)
    if optimal:
        return result(best_sites, incumbent, incumbent, True, "Optimal")
    return result(best_sites, incumbent, bound, False, status or "Limite de temps atteinte")



MEDIAN_FORMULATIONS = ("benders", "radius")


def solve_median(times: sp.csr_matrix, weights: np.ndarray, cap: np.ndarray, k: int,
                 time_limit_s: float = 60.0, formulation: str = "benders") -> SolveResult:
    """p-median with capped times: minimise Σ w_u · min(cap_u, min over chosen c of t_cu).

    Parameters
    ----------
    times : csr_matrix
        Candidates × units travel times; missing entries mean "not reachable within the search".
        Units with an infinite cap must be reachable by some candidate.
    weights : ndarray
        Weight of each unit (units with weight 0 are ignored).
    cap : ndarray
        Time of each unit without new sites (existing sites), may be inf.
    k : int
        Number of sites (at most).
    time_limit_s : float
    formulation : {"benders", "radius"}
        ``"benders"`` (default): the radius formulation projected onto the site variables, solved
        by cutting planes (see :func:`_median_benders`); ``"radius"``: the compact radius
        formulation given whole to HiGHS (slower; kept for comparison).

    Returns
    -------
    SolveResult
        Objective = Σ w·time (seconds × weight).
    """
    if formulation not in MEDIAN_FORMULATIONS:
        raise ValueError(f"unknown p-median formulation {formulation!r}")
    t0 = time.perf_counter()
    times = sp.csr_matrix(times)
    w = np.asarray(weights, dtype=float)
    cap = np.asarray(cap, dtype=float)
    n_cand, n_units = times.shape
    coo = times.tocoo()
    useful = (w[coo.col] > 0) & (coo.data < cap[coo.col])
    cand, unit, t = coo.row[useful], coo.col[useful], coo.data[useful]
    fixed = float(np.dot(w[(w > 0) & ~np.isin(np.arange(n_units), unit)],
                         cap[(w > 0) & ~np.isin(np.arange(n_units), unit)]))
    if not np.isfinite(fixed):
        raise InputError("des unités habitées ne sont atteignables ni par un lieu existant ni par un candidat",
                         "ajoutez des emplacements candidats ou retirez ces unités")
    k_eff = int(min(k, n_cand))
    start_sites = greedy_median(times, np.where(np.isfinite(cap) | np.isin(np.arange(n_units), unit), w, 0.0),
                                cap, k_eff) if k_eff else np.zeros(0, dtype=np.int64)
    heuristic = median_value(times, w, cap, start_sites)
    if unit.size == 0 or k_eff == 0:
        return SolveResult(start_sites, heuristic, heuristic, 0.0, True, "rien à améliorer", "aucun",
                           time.perf_counter() - t0, heuristic)
    if formulation == "benders":
        return _median_benders(times, w, cap, k_eff, cand, unit, t, fixed, start_sites, heuristic, t0,
                               time_limit_s)
    order = np.lexsort((t, unit))
    cand, unit, t = cand[order], unit[order], t[order]
    new_unit = np.ones(unit.size, dtype=bool)
    new_unit[1:] = unit[1:] != unit[:-1]
    new_level = new_unit.copy()
    new_level[1:] |= t[1:] != t[:-1]
    level = np.cumsum(new_level) - 1  # level index of every pair
    n_levels = int(level[-1]) + 1
    lv_first = np.flatnonzero(new_level)
    lv_unit, lv_time = unit[lv_first], t[lv_first]
    lv_is_first = new_unit[lv_first]
    lv_is_last = np.ones(n_levels, dtype=bool)
    lv_is_last[:-1] = lv_is_first[1:]
    next_time = np.where(lv_is_last, cap[lv_unit], np.roll(lv_time, -1))
    # z_level = 1 when the unit's time exceeds this level's time; it then pays up to the next one.
    finite_next = np.isfinite(next_time)
    z_cost = np.where(finite_next, w[lv_unit] * (np.where(finite_next, next_time, 0.0) - lv_time), 0.0)
    z_upper = np.where(finite_next, 1.0, 0.0)  # infinite cap: the unit must be served
    offset = fixed + float(np.dot(w[lv_unit[lv_is_first]], lv_time[lv_is_first]))
    # Rows (one per level): z_j - z_{j-1} + Σ_{c at level j} y_c >= 0 (>= 1 for a unit's first level),
    # so that z_j >= 1 - Σ_{c reaching the unit by level j} y_c with a matrix linear in the pairs.
    # (Writing those rows out in full was slower with HiGHS on the demo: measured, 85 s vs 62 s.)
    y_rows, y_cols = level, cand
    p_rows = np.flatnonzero(~lv_is_first)
    p_cols = n_cand + p_rows - 1
    row_lower = np.concatenate([lv_is_first.astype(float), [-np.inf]])
    z_rows, z_cols = np.arange(n_levels), n_cand + np.arange(n_levels)
    rows = np.concatenate([y_rows, z_rows, p_rows, np.full(n_cand, n_levels)])
    cols = np.concatenate([y_cols, z_cols, p_cols, np.arange(n_cand)])
    vals = np.concatenate([np.ones(y_rows.size), np.ones(n_levels), -np.ones(p_rows.size), np.ones(n_cand)])
    a = sp.csc_matrix((vals, (rows, cols)), shape=(n_levels + 1, n_cand + n_levels))
    row_upper = np.concatenate([np.full(n_levels, np.inf), [k_eff]])
    # Warm start: z from the heuristic's times.
    best = cap.copy()
    for c in start_sites:
        row = slice(times.indptr[c], times.indptr[c + 1])
        best[times.indices[row]] = np.minimum(best[times.indices[row]], times.data[row])
    z_start = (best[lv_unit] > lv_time + 1e-9).astype(float)
    start = np.concatenate([np.isin(np.arange(n_cand), start_sites).astype(float), z_start])
    model = (np.concatenate([np.zeros(n_cand), z_cost]), np.zeros(n_cand + n_levels),
             np.concatenate([np.ones(n_cand), z_upper]), a, row_lower, row_upper,
             np.concatenate([np.ones(n_cand), np.zeros(n_levels)]))
    lp_bound, lp_sites = _lp_first(model, n_cand, False, time_limit_s, LP_OPTIONS_MEDIAN)
    if lp_bound is not None:
        lp_bound += offset
    incumbent, best_sites = heuristic, start_sites
    if lp_sites is not None and 0 < lp_sites.size <= k_eff:
        value = median_value(times, w, cap, lp_sites)
        if value < incumbent:
            incumbent, best_sites = value, lp_sites
    if _proven(incumbent, lp_bound, False):
        return SolveResult(np.sort(best_sites), incumbent, incumbent, 0.0, True,
                           "Optimal (borne de la relaxation linéaire atteinte)", "HiGHS",
                           time.perf_counter() - t0, heuristic)
    if best_sites is not start_sites:
        start_sites = best_sites
        best = cap.copy()
        for c in start_sites:
            row = slice(times.indptr[c], times.indptr[c + 1])
            best[times.indices[row]] = np.minimum(best[times.indices[row]], times.data[row])
        start = np.concatenate([np.isin(np.arange(n_cand), start_sites).astype(float),
                                (best[lv_unit] > lv_time + 1e-9).astype(float)])
    x, obj, bound, text, optimal = _highs(*model, False, offset,
                                          max(time_limit_s - (time.perf_counter() - t0), 0.1), start)
    if lp_bound is not None and np.isfinite(bound):
        bound = max(bound, lp_bound)
    elif lp_bound is not None:
        bound = lp_bound
    chosen = _pick(x, n_cand)
    if x is None or median_value(times, w, cap, chosen) > incumbent:
        chosen = start_sites
    obj = median_value(times, w, cap, chosen)  # recomputed from the chosen sites, not from the solver
    bound = min(bound, obj) if np.isfinite(bound) else float("-inf")
    return SolveResult(np.sort(chosen), obj, bound, _rel_gap(obj, bound), optimal, text, "HiGHS",
                       time.perf_counter() - t0, heuristic)


# --------------------------------------------------------------------------------------------
# Public entry point
# --------------------------------------------------------------------------------------------

@dataclass
class Suggestion:
    """Suggested new reception points and what they achieve.

    Attributes
    ----------
    model : str
        ``"cover"``, ``"maxcover"`` or ``"median"``.
    k : int or None
        Number of new sites asked for (for ``cover``: the number found).
    objective : float
        ``cover``: number of new sites; ``maxcover``: weight covered (existing + new);
        ``median``: weighted mean time in minutes.
    bound : float
        Best bound proven by the solver, same unit as ``objective``.
    gap : float
        Relative gap between objective and bound (0 when optimal).
    optimal : bool
        True only when the solver proved optimality.
    solver, status : str
    suggested : GeoDataFrame
        WGS84, one row per new site: ``rank``, ``candidate_id``, ``name``, ``type``, ``commune``,
        ``lon``, ``lat``, ``population_newly_covered`` (and ``<group>_newly_covered`` per equity
        column), ``catchment_population`` (people for whom it becomes the nearest site),
        ``nearest_site``, ``nearest_site_time_min``.
    population_covered_before, population_covered_after : float
    curve : DataFrame or None
        ``maxcover``: covered population for 1..k new sites.
    unreachable_population : float
        Population no candidate can reach within the threshold (``cover``, ``maxcover``) or at
        all (``median``), left uncovered, on road.
    notices : list of Notice
    """

    model: str
    k: int | None
    threshold_min: float
    weight: str
    objective: float
    bound: float
    gap: float
    optimal: bool
    solver: str
    status: str
    suggested: gpd.GeoDataFrame
    population_total: float
    population_covered_before: float
    population_covered_after: float
    mean_time_before_min: float
    mean_time_after_min: float
    curve: pd.DataFrame | None
    unreachable_population: float
    heuristic_objective: float
    seconds: float
    candidates_used: int
    notices: list[Notice] = field(default_factory=list)

    def to_summary(self) -> dict:
        """JSON-ready summary (plain floats, None for missing values)."""
        def num(v):
            if v is None:
                return None
            v = float(v)
            return v if np.isfinite(v) else None

        rows = []
        for rec in self.suggested.drop(columns="geometry").to_dict("records"):
            rows.append({key: (num(v) if isinstance(v, (float, np.floating)) else
                               int(v) if isinstance(v, (np.integer,)) else v) for key, v in rec.items()})
        return {
            "model": self.model,
            "model_label": MODEL_LABELS_FR[self.model],
            "k": None if self.k is None else int(self.k),
            "threshold_min": float(self.threshold_min),
            "weight": self.weight,
            "objective": num(self.objective),
            "bound": num(self.bound),
            "gap": num(self.gap),
            "optimal": bool(self.optimal),
            "solver": self.solver,
            "status": self.status,
            "heuristic_objective": num(self.heuristic_objective),
            "population_total": num(self.population_total),
            "population_covered_before": num(self.population_covered_before),
            "population_covered_after": num(self.population_covered_after),
            "mean_time_before_min": num(self.mean_time_before_min),
            "mean_time_after_min": num(self.mean_time_after_min),
            "unreachable_population": num(self.unreachable_population),
            "candidates_used": int(self.candidates_used),
            "seconds": num(self.seconds),
            "suggested": rows,
            "curve": None if self.curve is None else [
                {key: (num(v) if isinstance(v, (float, np.floating)) else
                       bool(v) if isinstance(v, (bool, np.bool_)) else int(v)) for key, v in rec.items()}
                for rec in self.curve.to_dict("records")],
            "notices": [n.message for n in self.notices],
        }


def _check_k(model: str, k) -> int | None:
    if model == "cover":
        return None
    if k is None:
        raise InputError(f"nombre de nouveaux lieux manquant pour le modèle {model}",
                         "indiquez --k, un entier positif (par ex. 3)", column="--k")
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise InputError(f"nombre de nouveaux lieux « {k} » invalide pour le modèle {model}",
                         "indiquez --k, un entier positif (par ex. 3)", column="--k") from None
    if value < 1 or value != float(k):
        raise InputError(f"nombre de nouveaux lieux {k} invalide", "indiquez un entier d'au moins 1",
                         column="--k")
    return value


def suggest_sites(study: Study, routing: Routing, model: str, k: int | None, threshold_min: float = 30.0,
                  candidates: gpd.GeoDataFrame | None = None, weight: str = "population",
                  time_limit_s: float = 60.0, capacity: float | None = None) -> Suggestion:
    """Suggest where to open new reception points, existing sites kept.

    Parameters
    ----------
    study : Study
    routing : Routing
        ``route(study)`` for the existing sites.
    model : {"cover", "maxcover", "median"}
    k : int or None
        Number of new sites (ignored by ``cover``).
    threshold_min : float
        Coverage threshold in minutes (``cover``, ``maxcover``; reported for ``median``).
    candidates : GeoDataFrame
        Candidate places (see :func:`access.candidates.build_candidates`), any CRS.
    weight : str
        Unit column to maximise or weight times with (``population`` or an equity column such as
        ``poor_households``).
    time_limit_s : float
        Solver time limit for the whole request.
    capacity : float, optional
        Not supported yet: raises :class:`InputError` when given.

    Returns
    -------
    Suggestion

    Raises
    ------
    InputError
        Unknown model or weight, bad ``k`` or threshold, no usable candidate.
    """
    t_start = time.perf_counter()
    if model not in MODELS:
        raise InputError(f"modèle « {model} » inconnu", "choisissez cover, maxcover ou median", column="--model")
    check_threshold(threshold_min)
    k = _check_k(model, k)
    if capacity is not None:
        raise InputError("la capacité maximale par lieu n'est pas encore prise en charge",
                         "relancez sans --capacity", column="--capacity")
    units = study.demand.units
    if weight not in units.columns:
        options = ["population"] + study.demand.equity_columns
        raise InputError(f"colonne de pondération « {weight} » absente des données de population",
                         f"choisissez parmi {', '.join(options)}", column="--weight")
    if candidates is None or len(candidates) == 0:
        raise InputError("aucun emplacement candidat", "indiquez --candidates (mairies, france_services, cells "
                         "ou un fichier)", column="--candidates")
    candidates, notices = dedupe_candidates(study, candidates)
    if len(candidates) == 0:
        raise InputError("aucun emplacement candidat utilisable (tous hors réseau ou confondus avec des lieux "
                         "existants)", "ajoutez d'autres emplacements candidats", column="--candidates")
    joins = join_candidates(study, candidates)
    pop = units["population"].to_numpy(dtype=float)
    w = np.nan_to_num(pd.to_numeric(units[weight], errors="coerce").to_numpy(dtype=float))
    t0 = routing.times.time1
    # Units with access today (a road or a site within reach); a new site may give access to others
    # by its direct leg, which the candidate times carry.
    on_road = routing.times.on_road
    thr = float(threshold_min) * 60.0
    covered0 = on_road & (t0 <= thr + EPS_S)
    deadline = t_start + float(time_limit_s)

    curve = None
    unreachable = 0.0
    if model in ("cover", "maxcover"):
        times = candidate_unit_times(study, routing, joins, thr)
        reached = np.diff(times.tocsc().indptr) > 0
        relevant = (on_road | reached) & ~covered0 & (pop > 0)
        idx = np.flatnonzero(relevant)
        reach = reached[idx]
        unreachable = float(pop[idx[~reach]].sum())
        cover = sp.csr_matrix(times[:, idx], dtype=bool)
        if model == "cover":
            res = solve_cover(cover, time_limit_s=max(deadline - time.perf_counter(), 0.1))
            k = int(res.chosen.size)
        else:
            res = solve_maxcover(cover, w[idx], k, time_limit_s=max(deadline - time.perf_counter(), 0.1))
            res.objective += float(w[covered0].sum())
            res.bound += float(w[covered0].sum())
            res.heuristic_objective += float(w[covered0].sum())
            points = []
            for kk in range(1, k + 1):
                r = res if kk == k else solve_maxcover(cover, w[idx], kk,
                                                       time_limit_s=max(deadline - time.perf_counter(), 0.1))
                base = float(w[covered0].sum()) if kk != k else 0.0
                new_times = _after(times, r.chosen, t0)
                points.append({"k": kk, "weight_covered": r.objective + base,
                               "population_covered": float(pop[new_times <= thr + EPS_S].sum()),
                               "bound": r.bound + base, "optimal": bool(r.optimal),
                               "greedy_weight_covered": r.heuristic_objective + base})
            curve = pd.DataFrame(points)
            curve["share_covered"] = curve["population_covered"] / max(pop.sum(), 1e-12)
        objective, bound = res.objective, res.bound
    else:
        finite = (w > 0) & np.isfinite(t0)
        limit = float(min(max(t0[finite].max() if finite.any() else MEDIAN_MAX_LIMIT_S, thr), MEDIAN_MAX_LIMIT_S))
        times = candidate_unit_times(study, routing, joins, limit)
        reach = np.diff(times.tocsc().indptr) > 0
        counted = (w > 0) & (np.isfinite(t0) | reach)
        unreachable = float(pop[on_road & ~np.isfinite(t0) & ~reach].sum())
        cap = np.where(np.isfinite(t0), t0, limit)
        penalised = counted & ~np.isfinite(t0)
        if penalised.any():
            notices.append(Notice("median_penalty",
                                  f"{units_of(int(penalised.sum()), study.demand.kind)} sans lieu d'accueil "
                                  f"atteignable aujourd'hui : temps compté à {fmt_num(round(limit / 60))} min tant "
                                  "qu'aucun nouveau lieu ne les dessert",
                                  count=int(penalised.sum())))
        wc = np.where(counted, w, 0.0)
        res = solve_median(times, wc, cap, k, time_limit_s=max(deadline - time.perf_counter(), 0.1))
        total_w = max(float(wc.sum()), 1e-12)
        objective, bound = res.objective / total_w / 60.0, res.bound / total_w / 60.0
        res.heuristic_objective = res.heuristic_objective / total_w / 60.0
    chosen = res.chosen
    # Exact times from the chosen sites to every unit they serve faster (not only within the threshold).
    finite = on_road & np.isfinite(t0)
    limit_eval = float(min(max(t0[finite].max() if finite.any() else MEDIAN_MAX_LIMIT_S, thr), MEDIAN_MAX_LIMIT_S))
    chosen_joins = joins.take(chosen)
    chosen_times = candidate_unit_times(study, routing, chosen_joins, limit_eval)
    new_times = _after(chosen_times, np.arange(chosen.size), t0)
    covered1 = new_times <= thr + EPS_S  # a finite time carries access (a road, or a site within reach)
    suggested = _describe(study, routing, candidates.iloc[chosen], chosen_joins, chosen_times,
                          np.arange(chosen.size), t0, covered0, thr, model, w)
    if not res.optimal:
        notices.append(Notice("not_optimal",
                              f"Solution non prouvée optimale (statut du solveur : {res.status}) : écart maximal "
                              f"de {fmt_pct(res.gap, 2)} à la borne"))
    if model == "maxcover" and chosen.size < k:
        left = float(pop.sum() - pop[covered1].sum())
        notices.append(Notice(
            "fewer_sites", f"Au-delà de {plural(chosen.size, 'nouveau lieu', 'nouveaux lieux')}, aucun emplacement candidat n'ajouterait "
            f"d'habitant couvert"
            + (f" : les {fmt_int(left)} habitants encore au-delà du seuil sont hors de portée des emplacements "
               "candidats (essayez d'autres emplacements, par ex. des carreaux habités)" if left >= 0.5 else
               " : toute la population est couverte")))
    if unreachable > 0:
        notices.append(Notice("unreachable_by_candidates",
                              f"{plural(unreachable, 'habitant', 'habitants')} hors de portée de tout "
                              "emplacement candidat"))
    mean = _mean_min(t0, pop)
    mean_after = _mean_min(new_times, pop)
    return Suggestion(model=model, k=k, threshold_min=float(threshold_min), weight=weight, objective=objective,
                      bound=bound, gap=res.gap, optimal=bool(res.optimal), solver=res.solver, status=res.status,
                      suggested=suggested, population_total=float(pop.sum()),
                      population_covered_before=float(pop[covered0].sum()),
                      population_covered_after=float(pop[covered1].sum()),
                      mean_time_before_min=mean, mean_time_after_min=mean_after, curve=curve,
                      unreachable_population=unreachable, heuristic_objective=res.heuristic_objective,
                      seconds=time.perf_counter() - t_start, candidates_used=len(candidates), notices=notices)


def _after(times: sp.csr_matrix, chosen: np.ndarray, t0: np.ndarray) -> np.ndarray:
    best = np.asarray(t0, dtype=float).copy()
    for c in chosen:
        row = slice(times.indptr[c], times.indptr[c + 1])
        idx = times.indices[row]
        best[idx] = np.minimum(best[idx], times.data[row])
    return best


def _mean_min(t: np.ndarray, pop: np.ndarray) -> float:
    ok = np.isfinite(t) & (pop > 0)
    return float(np.average(t[ok], weights=pop[ok]) / 60.0) if ok.any() else float("nan")


def _describe(study, routing, candidates, joins, times, chosen, t0, covered0, thr, model, w) -> gpd.GeoDataFrame:
    """Table of the chosen candidates, ranked by marginal contribution (greedy order within the set)."""
    units = study.demand.units
    pop = units["population"].to_numpy(dtype=float)
    chosen = list(chosen)
    # Units without a site today count at the longest time considered, as in the p-median model.
    cap = max(thr, float(times.data.max(initial=0.0)))
    order, current = [], np.where(np.isfinite(t0), t0, cap)
    remaining = list(chosen)
    while remaining:
        gains = []
        for c in remaining:
            row = slice(times.indptr[c], times.indptr[c + 1])
            idx, tt = times.indices[row], times.data[row]
            if model == "median":
                gains.append(float(np.dot(w[idx], np.maximum(current[idx] - tt, 0.0))))
            else:
                newly = (current[idx] > thr + EPS_S) & (tt <= thr + EPS_S)
                gains.append(float(w[idx][newly].sum()))
        best = remaining.pop(int(np.argmax(gains)))
        order.append(best)
        row = slice(times.indptr[best], times.indptr[best + 1])
        current[times.indices[row]] = np.minimum(current[times.indices[row]], times.data[row])
    # Nearest new site of every unit that a new site serves faster than the existing ones.
    n_units = len(units)
    best_time, best_site = np.asarray(t0, dtype=float).copy(), np.full(n_units, -1)
    for rank, c in enumerate(order):
        row = slice(times.indptr[c], times.indptr[c + 1])
        idx, tt = times.indices[row], times.data[row]
        better = tt < best_time[idx]
        best_time[idx[better]] = tt[better]
        best_site[idx[better]] = rank
    newly = ~covered0 & (best_time <= thr + EPS_S) & (best_site >= 0)
    records = []
    wgs = candidates.to_crs("EPSG:4326")
    # Nearest existing site of each chosen place, by the same rule as a resident's.
    own = unit_times(routing.node_times, joins, unit_pairs(joins, routing.sites, study.access, routing.active))
    names = study.sites["name"].to_numpy() if len(study.sites) else np.array([])
    commune_names = ({} if study.communes is None or "nom" not in study.communes.columns else
                     dict(zip(study.communes["code"].astype(str), study.communes["nom"].astype(str))))
    equity = study.demand.equity_columns
    for rank, c in enumerate(order):
        mine = best_site == rank
        near = int(own.site1[c])
        near_time = own.time1[c]
        rec = {
            "rank": rank + 1,
            "candidate_id": str(candidates["candidate_id"].iloc[c]),
            "name": str(candidates["name"].iloc[c]),
            "type": str(candidates["type"].iloc[c]),
            "commune": str(candidates["commune"].iloc[c]),
            "commune_nom": commune_name(str(candidates["commune"].iloc[c]), commune_names),
            "lon": float(wgs.geometry.x.iloc[c]),
            "lat": float(wgs.geometry.y.iloc[c]),
            "population_newly_covered": float(pop[newly & mine].sum()),
        }
        for col in equity:
            rec[f"{col}_newly_covered"] = float(units[col].to_numpy(dtype=float)[newly & mine].sum())
        rec["catchment_population"] = float(pop[mine].sum())
        rec["nearest_site"] = str(names[near]) if near >= 0 else ""
        rec["nearest_site_time_min"] = float(near_time / 60.0)
        records.append(rec)
    columns = ["rank", "candidate_id", "name", "type", "commune", "commune_nom", "lon", "lat",
               "population_newly_covered"] + \
        [f"{c}_newly_covered" for c in equity] + ["catchment_population", "nearest_site", "nearest_site_time_min"]
    frame = pd.DataFrame(records, columns=columns)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
