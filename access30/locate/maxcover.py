"""Maximal covering: the most weight covered with ``k`` new sites."""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp

from access30.locate import _highs
from access30.locate._reduce import reduce_sets
from access30.locate._solve import Clock, Model, Outcome, Progress, SolveResult, nothing_to_do, solve_sequence


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


class MaxCover(Model):
    """Maximal covering with ``k`` sites (at most) on a boolean candidates × units matrix.

    Parameters
    ----------
    cover : sparse matrix
        ``cover[c, u]`` true when candidate ``c`` covers unit ``u``.
    weights : ndarray
        Weight of each unit (units of weight 0 are left out).
    k : int
    reduce : bool
        Merge identical units and drop dominated candidates first.
    """

    maximize = True

    def __init__(self, cover: sp.spmatrix, weights: np.ndarray, k: int, reduce: bool = True):
        self.cover, self.unit_weights, self.k_asked, self.reduce = cover, weights, k, reduce

    @cached_property
    def _reduced(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        weights = np.asarray(self.unit_weights, dtype=float)
        cols = np.flatnonzero(weights > 0)
        return reduce_sets(sp.csc_matrix(self.cover)[:, cols], weights[cols], self.reduce)

    @property
    def sets(self) -> sp.csr_matrix:
        """Kept candidates × groups of units (float 0/1)."""
        return self._reduced[0]

    @property
    def weights(self) -> np.ndarray:
        """Weight of each group."""
        return self._reduced[1]

    @property
    def n_sites(self) -> int:
        """Number of kept candidates."""
        return self.sets.shape[0]

    @property
    def k(self) -> int:
        """Number of sites to choose: ``k`` asked, at most the number of kept candidates."""
        return int(min(self.k_asked, self.n_sites))

    @cached_property
    def arrays(self) -> _highs.Arrays:
        """The MILP: binary sites and covered groups, maximise the covered weight with at most ``k`` sites."""
        c, g = self.sets.shape
        # Variables: y (c, binary) then z (g, [0, 1]); rows: z_g - sum_{c covers g} y_c <= 0, sum y <= k.
        a = sp.vstack([
            sp.hstack([-self.sets.T.tocsc(), sp.identity(g, format="csc")], format="csc"),
            sp.hstack([sp.csc_matrix(np.ones((1, c))), sp.csc_matrix((1, g))], format="csc"),
        ], format="csc")
        return _highs.Arrays(np.concatenate([np.zeros(c), self.weights]), np.zeros(c + g), np.ones(c + g), a,
                             np.full(g + 1, -np.inf), np.concatenate([np.zeros(g), [self.k]]),
                             np.concatenate([np.ones(c), np.zeros(g)]), maximize=True)

    def solve(self, time_limit_s: float = 60.0, progress: Progress | None = None) -> SolveResult:
        """Solve (reductions included in the time limit); objective = covered weight.

        See :func:`access30.locate._solve.solve_sequence` (and :data:`~access30.locate._solve.Progress`).
        """
        clock = Clock(time_limit_s, progress=progress)
        if 0 in self.sets.shape or self.k == 0:
            return nothing_to_do("rien à couvrir", clock)
        start = greedy_maxcover(self.sets, self.weights, self.k)
        return solve_sequence(self, swap_maxcover(self.sets, self.weights, start), clock)

    def _covered(self, sites: np.ndarray) -> np.ndarray:
        return np.asarray(self.sets[sites].sum(axis=0)).ravel() > 0

    def value(self, sites: np.ndarray) -> float:
        """Weight of the groups ``sites`` cover (the objective)."""
        return float(self.weights[self._covered(sites)].sum())

    def start(self, sites: np.ndarray) -> np.ndarray:
        """Warm start: 1.0 for the kept candidates in ``sites``, then 1.0 for the groups they cover."""
        return np.concatenate([np.isin(np.arange(self.n_sites), sites).astype(float),
                               self._covered(sites).astype(float)])

    def ids(self, sites: np.ndarray) -> np.ndarray:
        """Rows of ``cover`` of the kept candidates ``sites``, sorted."""
        return np.sort(self._reduced[2][sites])

    def settle(self, x, objective, bound, status, optimal, sites, incumbent, lp_bound) -> Outcome:
        """Keep the MILP's sites unless the start covers more; bound: the lower of MILP and LP."""
        if lp_bound is not None and np.isfinite(bound):
            bound = min(bound, lp_bound)
        chosen = _highs.pick(x, self.n_sites)
        if x is None or objective < incumbent - 1e-9:
            chosen, objective = sites, incumbent
        bound = max(bound, objective) if np.isfinite(bound) else float(self.weights.sum())
        return Outcome(chosen, objective, bound, _highs.rel_gap(objective, bound), optimal, status)


def solve_maxcover(cover: sp.spmatrix, weights: np.ndarray, k: int, time_limit_s: float = 60.0,
                   reduce: bool = True, progress: Progress | None = None) -> SolveResult:
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
    progress : callable, optional
        See :data:`access30.locate._solve.Progress`.

    Returns
    -------
    SolveResult
        ``chosen`` candidate indices; objective = covered weight.
    """
    return MaxCover(cover, weights, k, reduce).solve(time_limit_s, progress)
