"""p-median with capped times: the lowest weighted time with ``k`` new sites, existing sites kept.

Each unit's time is capped by its time to the existing sites. Two formulations of the "radius"
model (Elloumi 2010; Cornuéjols, Nemhauser, Wolsey 1980): by default its level variables are
projected out (Benders cuts, :mod:`access30.locate._benders`); the compact form, chained so that
the matrix stays linear in the (unit, candidate) pairs, remains selectable.
"""

from __future__ import annotations

import time

import numpy as np
import scipy.sparse as sp

from access30.base.errors import InputError
from access30.locate import _highs
from access30.locate._benders import Benders
from access30.locate._reduce import with_sites
from access30.locate._solve import Clock, Model, Outcome, Progress, SolveResult, nothing_to_do, solve_sequence

MEDIAN_FORMULATIONS = ("benders", "radius")


def median_value(times: sp.csr_matrix, weights: np.ndarray, cap: np.ndarray, chosen) -> float:
    """Sum over units of weight × min(cap, best time to a chosen candidate)."""
    best = with_sites(times, chosen, cap)
    w = np.asarray(weights, dtype=float)
    return float(np.dot(w[w > 0], best[w > 0]))


def _gains(times: sp.csr_matrix, w: np.ndarray, current: np.ndarray) -> np.ndarray:
    rows = np.repeat(np.arange(times.shape[0]), np.diff(times.indptr))
    wi = w[times.indices]
    saving = np.zeros(wi.size)
    np.multiply(wi, np.maximum(current[times.indices] - times.data, 0.0), out=saving, where=wi > 0)
    return np.bincount(rows, weights=saving, minlength=times.shape[0])


def greedy_median(times: sp.csr_matrix, weights: np.ndarray, cap: np.ndarray, k: int,
                  max_rounds: int = 50, stop_at: float | None = None) -> np.ndarray:
    """Greedy p-median (largest saving first) followed by best-improvement swaps.

    Swaps stop after ``max_rounds`` rounds, or once ``time.perf_counter()`` passes ``stop_at``.
    """
    times = sp.csr_matrix(times)
    w = np.asarray(weights, dtype=float)
    current = np.asarray(cap, dtype=float).copy()
    chosen: list[int] = []
    for _ in range(k):
        gain = _gains(times, w, current)
        if chosen:
            gain[chosen] = -1.0
        best = int(np.argmax(gain))
        if gain[best] <= 0 and np.isfinite(current).all():
            break
        chosen.append(best)
        current = with_sites(times, best, current)
    chosen_arr = np.array(chosen, dtype=np.int64)
    value = median_value(times, w, cap, chosen_arr)
    for _ in range(max_rounds):
        if stop_at is not None and time.perf_counter() > stop_at:
            break
        improved = False
        for i in range(chosen_arr.size):
            others = np.delete(chosen_arr, i)
            gain = _gains(times, w, with_sites(times, others, cap))
            gain[chosen_arr] = -np.inf
            candidate = np.append(others, int(np.argmax(gain)))
            new_value = median_value(times, w, cap, candidate)
            if new_value < value - 1e-9 * max(1.0, abs(value)):
                chosen_arr, value, improved = candidate, new_value, True
                break
        if not improved:
            break
    return np.sort(chosen_arr)


class Median:
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
    formulation : {"benders", "radius"}
        ``"benders"`` (default): the radius formulation projected onto the site variables, solved
        by cutting planes (:class:`access30.locate._benders.Benders`); ``"radius"``: the compact
        radius formulation given whole to HiGHS (slower; kept for comparison).

    Raises
    ------
    InputError
        A unit with weight is reachable neither by an existing site nor by a candidate.
    """

    def __init__(self, times: sp.spmatrix, weights: np.ndarray, cap: np.ndarray, k: int,
                 formulation: str = "benders"):
        if formulation not in MEDIAN_FORMULATIONS:
            raise ValueError(f"unknown p-median formulation {formulation!r}")
        self.formulation = formulation
        self.times = sp.csr_matrix(times)
        self.w = np.asarray(weights, dtype=float)
        self.cap = np.asarray(cap, dtype=float)
        n_cand, n_units = self.times.shape
        coo = self.times.tocoo()
        useful = (self.w[coo.col] > 0) & (coo.data < self.cap[coo.col])
        self.cand, self.unit, self.t = coo.row[useful], coo.col[useful], coo.data[useful]
        alone = (self.w > 0) & ~np.isin(np.arange(n_units), self.unit)
        self.fixed = float(np.dot(self.w[alone], self.cap[alone]))  # units no candidate improves
        if not np.isfinite(self.fixed):
            raise InputError("des unités habitées ne sont atteignables ni par un lieu existant ni par un candidat",
                             "ajoutez des emplacements candidats ou retirez ces unités")
        self.k = int(min(k, n_cand))

    def value(self, sites) -> float:
        """Σ w · time of a set of sites (seconds × weight)."""
        return median_value(self.times, self.w, self.cap, sites)

    def solve(self, time_limit_s: float = 60.0, progress: Progress | None = None) -> SolveResult:
        """Solve; objective = Σ w·time (seconds × weight).

        The heuristic's swaps take at most a fifth of the time limit; see
        :func:`access30.locate._solve.solve_sequence` and :data:`~access30.locate._solve.Progress`.
        """
        clock = Clock(time_limit_s, progress=progress)
        served = np.isfinite(self.cap) | np.isin(np.arange(self.times.shape[1]), self.unit)
        sites = (greedy_median(self.times, np.where(served, self.w, 0.0), self.cap, self.k,
                               stop_at=clock.t0 + 0.2 * time_limit_s) if self.k
                 else np.zeros(0, dtype=np.int64))
        if self.unit.size == 0 or self.k == 0:
            return nothing_to_do("rien à améliorer", clock, sites, self.value(sites))
        model = Benders(self, sites) if self.formulation == "benders" else Radius(self)
        return solve_sequence(model, sites, clock)


class Radius(Model):
    """The compact radius formulation of a :class:`Median`: per unit, one level per distinct time.

    Level variable z = 1 when the unit's time exceeds the level's time; it then pays up to the
    next level. Rows chain the levels so that the matrix stays linear in the (unit, candidate) pairs.
    """

    lp_options = _highs.LP_OPTIONS_MEDIAN

    def __init__(self, median: Median):
        self.median, self.k, self.n_sites = median, median.k, median.times.shape[0]
        order = np.lexsort((median.t, median.unit))
        cand, unit, t = median.cand[order], median.unit[order], median.t[order]
        new_unit = np.ones(unit.size, dtype=bool)
        new_unit[1:] = unit[1:] != unit[:-1]
        new_level = new_unit.copy()
        new_level[1:] |= t[1:] != t[:-1]
        level = np.cumsum(new_level) - 1  # level index of every pair
        lv_first = np.flatnonzero(new_level)
        self.lv_unit, self.lv_time = unit[lv_first], t[lv_first]
        self.arrays = self._arrays(cand, level, new_unit[lv_first])

    def _arrays(self, cand: np.ndarray, level: np.ndarray, lv_is_first: np.ndarray) -> _highs.Arrays:
        m, n_cand, n_levels = self.median, self.n_sites, lv_is_first.size
        w, cap, lv_unit, lv_time = m.w, m.cap, self.lv_unit, self.lv_time
        lv_is_last = np.ones(n_levels, dtype=bool)
        lv_is_last[:-1] = lv_is_first[1:]
        next_time = np.where(lv_is_last, cap[lv_unit], np.roll(lv_time, -1))
        finite_next = np.isfinite(next_time)
        z_cost = np.where(finite_next, w[lv_unit] * (np.where(finite_next, next_time, 0.0) - lv_time), 0.0)
        z_upper = np.where(finite_next, 1.0, 0.0)  # infinite cap: the unit must be served
        offset = m.fixed + float(np.dot(w[lv_unit[lv_is_first]], lv_time[lv_is_first]))
        # Rows (one per level): z_j - z_{j-1} + Σ_{c at level j} y_c >= 0 (>= 1 for a unit's first level),
        # so that z_j >= 1 - Σ_{c reaching the unit by level j} y_c with a matrix linear in the pairs.
        # (Writing those rows out in full was slower with HiGHS on the demo: measured, 85 s vs 62 s.)
        p_rows = np.flatnonzero(~lv_is_first)
        rows = np.concatenate([level, np.arange(n_levels), p_rows, np.full(n_cand, n_levels)])
        cols = np.concatenate([cand, n_cand + np.arange(n_levels), n_cand + p_rows - 1, np.arange(n_cand)])
        vals = np.concatenate([np.ones(level.size), np.ones(n_levels), -np.ones(p_rows.size), np.ones(n_cand)])
        a = sp.csc_matrix((vals, (rows, cols)), shape=(n_levels + 1, n_cand + n_levels))
        return _highs.Arrays(np.concatenate([np.zeros(n_cand), z_cost]), np.zeros(n_cand + n_levels),
                             np.concatenate([np.ones(n_cand), z_upper]), a,
                             np.concatenate([lv_is_first.astype(float), [-np.inf]]),
                             np.concatenate([np.full(n_levels, np.inf), [self.k]]),
                             np.concatenate([np.ones(n_cand), np.zeros(n_levels)]), maximize=False, offset=offset)

    def value(self, sites) -> float:
        """Σ w · time of a set of sites (seconds × weight), from the :class:`Median`."""
        return self.median.value(sites)

    def start(self, sites: np.ndarray) -> np.ndarray:
        """Warm start: 1.0 for the candidates in ``sites``, then 1.0 for each level their best time exceeds."""
        best = with_sites(self.median.times, sites, self.median.cap)
        return np.concatenate([np.isin(np.arange(self.n_sites), sites).astype(float),
                               (best[self.lv_unit] > self.lv_time + 1e-9).astype(float)])

    def settle(self, x, objective, bound, status, optimal, sites, incumbent, lp_bound) -> Outcome:
        """Keep the MILP's sites unless the start is better, objective recomputed; bound: the higher of MILP and LP."""
        if lp_bound is not None:
            bound = max(bound, lp_bound) if np.isfinite(bound) else lp_bound
        chosen = _highs.pick(x, self.n_sites)
        if x is None or self.value(chosen) > incumbent:
            chosen = sites
        objective = self.value(chosen)  # recomputed from the chosen sites, not from the solver
        bound = min(bound, objective) if np.isfinite(bound) else float("-inf")
        return Outcome(chosen, objective, bound, _highs.rel_gap(objective, bound), optimal, status)


def solve_median(times: sp.spmatrix, weights: np.ndarray, cap: np.ndarray, k: int,
                 time_limit_s: float = 60.0, formulation: str = "benders",
                 progress: Progress | None = None) -> SolveResult:
    """p-median with capped times: minimise Σ w_u · min(cap_u, min over chosen c of t_cu).

    Parameters
    ----------
    times, weights, cap, k, formulation
        As for :class:`Median`.
    time_limit_s : float
        For the whole call (building the model included).
    progress : callable, optional
        See :data:`access30.locate._solve.Progress`.

    Returns
    -------
    SolveResult
        Objective = Σ w·time (seconds × weight).
    """
    started = time.perf_counter()
    model = Median(times, weights, cap, k, formulation)
    return model.solve(time_limit_s - (time.perf_counter() - started), progress)
