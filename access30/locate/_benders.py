"""p-median by Benders cuts on the radius formulation (one θ per group of identical units).

The radius formulation (Elloumi 2010; Cornuéjols, Nemhauser, Wolsey 1980) with its level
variables projected out: the master keeps the site variables y and one θ_g per group of units
with identical time rows, bounded by the group's nearest time and cap, and the cuts of
:func:`_cuts` (the Benders cuts of the radius formulation, as in Duran-Mateos, Fischetti, Ljubić
and Sinnl 2017). Its LP relaxation, solved by cutting planes with in-out stabilisation (dual
simplex, warm-started after each round), has the radius formulation's bound. Then: an integral LP
or a heuristic meeting the bound is optimal; otherwise candidates whose reduced cost lifts the
bound above the incumbent are fixed to 0 and the master MILP is solved, cuts being added at each
integer solution until it is exact or time runs out.
"""

from __future__ import annotations

import highspy
import numpy as np
import scipy.sparse as sp

from access30.locate import _highs
from access30.locate._solve import Clock, Model, Outcome, Relaxation

MASTER_OPTIONS = {"presolve": "off", "solver": "simplex"}


def _groups(cand, unit, t, w, cap):
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


def _cuts(y: np.ndarray, theta: np.ndarray, g_cand, g_t, g_pair, g_start, g_cap):
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


def _finite_tolerance(value: float) -> float:
    return _highs.tolerance(value) if np.isfinite(value) else 0.0


class Benders(Model):
    """The Benders master of a :class:`access30.locate.median.Median`, built around its heuristic ``sites``."""

    def __init__(self, median, sites: np.ndarray):
        self.median, self.k, self.n_sites = median, median.k, median.times.shape[0]
        self.groups = _groups(median.cand, median.unit, median.t, median.w, median.cap)
        g_cand, g_t, g_pair, g_start, g_weight, g_cap = self.groups
        n_cand, n_groups, inf = self.n_sites, g_weight.size, highspy.kHighsInf
        self.h = h = _highs.new_highs(MASTER_OPTIONS)
        h.addVars(n_cand, np.zeros(n_cand), np.ones(n_cand))
        h.addVars(n_groups, g_t[g_start[:-1]].astype(np.float64), np.where(np.isfinite(g_cap), g_cap, inf))
        h.changeColsCost(n_cand + n_groups, np.arange(n_cand + n_groups, dtype=np.int32),
                         np.concatenate([np.zeros(n_cand), g_weight]))
        h.addRow(-inf, float(self.k), n_cand, np.arange(n_cand, dtype=np.int32), np.ones(n_cand))
        must = ~np.isfinite(g_cap)
        if must.any():  # units no existing site reaches: some candidate reaching them must open
            sel = must[g_pair]
            m = sp.csr_matrix((np.ones(int(sel.sum())), (g_pair[sel], g_cand[sel])), shape=(n_groups, n_cand))[must]
            m.sum_duplicates()
            m.data[:] = 1.0
            h.addRows(m.shape[0], np.ones(m.shape[0]), np.full(m.shape[0], inf), int(m.nnz),
                      m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32), m.data.astype(np.float64))

    def value(self, sites) -> float:
        return self.median.value(sites)

    def _violated(self, y: np.ndarray, theta: np.ndarray):
        g_cand, g_t, g_pair, g_start, _, g_cap = self.groups
        return _cuts(y, theta, g_cand, g_t, g_pair, g_start, g_cap)

    def _add_cuts(self, violated, level, coef) -> int:
        g_cand, g_pair = self.groups[0], self.groups[2]
        rows = np.cumsum(violated) - 1
        sel = violated[g_pair] & (coef > 0)
        groups = np.flatnonzero(violated)
        m = sp.hstack([sp.csr_matrix((coef[sel], (rows[g_pair[sel]], g_cand[sel])), shape=(groups.size, self.n_sites)),
                       sp.csr_matrix((np.ones(groups.size), (np.arange(groups.size), groups)),
                                     shape=(groups.size, violated.size))], format="csr")
        m.sort_indices()
        self.h.addRows(int(groups.size), level[violated].astype(np.float64), np.full(groups.size, np.inf),
                       int(m.nnz), m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32),
                       m.data.astype(np.float64))
        return int(groups.size)

    def _theta_of(self, sites):
        y = np.zeros(self.n_sites)
        y[sites] = 1.0
        _, level, _ = self._violated(y, np.full(self.groups[4].size, -np.inf))
        return y, level

    def relax(self, sites: np.ndarray, clock: Clock) -> Relaxation:
        """LP relaxation by cutting planes: first the heuristic's cuts, then in-out separation."""
        h, n_cand = self.h, self.n_sites
        y_h, _ = self._theta_of(sites)
        best = self.value(sites)
        pending = [y_h]
        core = 0.8 * y_h + 0.2 * min(1.0, self.k / n_cand)
        bound, y = float("-inf"), None
        while clock.remaining() > 0:
            _highs.limit(h, clock.remaining())
            h.run()
            if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                break
            sol = np.asarray(h.getSolution().col_value, dtype=float)
            y, theta = sol[:n_cand], sol[n_cand:]
            bound = float(h.getInfo().objective_function_value) + self.median.fixed
            clock.report("relaxation", best, bound)  # every round's master bounds the optimum from below
            added = 0
            for point in pending + [0.5 * core + 0.5 * y, y]:
                violated, level, coef = self._violated(point, theta)
                if violated.any():
                    added = self._add_cuts(violated, level, coef)
                    break
            pending = []
            core = 0.5 * core + 0.5 * y
            if not added:
                return Relaxation(bound, _highs.integral_sites(y))
        return Relaxation(bound, complete=False)

    def milp(self, sites: np.ndarray, incumbent: float, lp_bound: float, clock: Clock) -> Outcome:
        """Reduced-cost fixing, then the master MILP with cuts added at each integer solution."""
        h, n_cand = self.h, self.n_sites
        n_all = n_cand + self.groups[4].size
        # Reduced-cost fixing: opening j costs at least lp_bound + its reduced cost.
        reduced = np.asarray(h.getSolution().col_dual, dtype=float)[:n_cand]
        fix = (lp_bound + reduced > incumbent + _finite_tolerance(incumbent)) & ~np.isin(np.arange(n_cand), sites)
        if fix.any():
            idx = np.flatnonzero(fix).astype(np.int32)
            h.changeColsBounds(int(idx.size), idx, np.zeros(idx.size), np.zeros(idx.size))
        h.changeColsIntegrality(n_cand, np.arange(n_cand, dtype=np.int32),
                                np.full(n_cand, highspy.HighsVarType.kInteger))
        h.setOptionValue("presolve", "on")
        bound, status, optimal = lp_bound, "", False
        best = [incumbent]  # the master's own solutions are not exact until their cuts are: only its bound is told
        _highs.watch(h, lambda _, master: clock.report("milp", best[0], max(bound, master)),
                     offset=self.median.fixed)
        while clock.remaining() > 0:
            h.setSolution(int(n_all), np.arange(n_all, dtype=np.int32), np.concatenate(self._theta_of(sites)))
            _highs.limit(h, clock.remaining())
            h.run()
            model_status, info = h.getModelStatus(), h.getInfo()
            status = h.modelStatusToString(model_status)
            if np.isfinite(info.mip_dual_bound):
                bound = max(bound, float(info.mip_dual_bound) + self.median.fixed)
            if info.primal_solution_status < 1:
                break
            sol = np.asarray(h.getSolution().col_value, dtype=float)
            found = np.flatnonzero(sol[:n_cand] > 0.5)
            value = self.value(found)
            if value < incumbent - _finite_tolerance(incumbent):
                incumbent, sites = value, found
                best[0] = incumbent
            clock.report("milp", incumbent, bound)
            if _highs.proven(incumbent, bound, False):
                optimal = True
                break
            y_int = np.zeros(n_cand)
            y_int[found] = 1.0
            violated, level, coef = self._violated(y_int, sol[n_cand:])
            if not violated.any():  # the master's optimum is exact: nothing better exists
                optimal = model_status == highspy.HighsModelStatus.kOptimal
                break
            self._add_cuts(violated, level, coef)
        if optimal:
            return Outcome(sites, incumbent, incumbent, 0.0, True, "Optimal")
        bound = min(bound, incumbent) if np.isfinite(bound) else float("-inf")
        return Outcome(sites, incumbent, bound, _highs.rel_gap(incumbent, bound), False,
                       status or "Limite de temps atteinte")
