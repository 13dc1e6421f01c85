"""Set covering: the fewest new sites covering every unit some candidate covers."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from access30.locate import _highs
from access30.locate._reduce import reduce_cover, reduce_sets
from access30.locate._solve import (
    Clock,
    Model,
    Outcome,
    Progress,
    Relaxation,
    SolveResult,
    nothing_to_do,
    solve_sequence,
)


def greedy_cover(sets: sp.csr_matrix) -> np.ndarray:
    """Greedy set covering: repeatedly add the candidate covering the most uncovered groups.

    Sites made redundant by later ones are then dropped.
    """
    a = sp.csr_matrix(sets, dtype=np.float64)
    left = (np.asarray(a.sum(axis=0)).ravel() > 0).astype(float)
    chosen = []
    while left.any():
        gain = a @ left
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        left[a.indices[a.indptr[best]:a.indptr[best + 1]]] = 0.0
    chosen = np.array(chosen, dtype=np.int64)
    csc = sp.csc_matrix(a[chosen]) if chosen.size else None
    keep = np.ones(chosen.size, dtype=bool)
    for i in range(chosen.size - 1, -1, -1):
        keep[i] = False
        if not (np.asarray(csc[keep].sum(axis=0)).ravel() > 0).all():
            keep[i] = True
    return chosen[keep]


def lp_greedy_cover(sets: sp.csr_matrix, x: np.ndarray, weight: float = 0.05) -> np.ndarray:
    """Greedy set covering guided by the LP relaxation: gain × (LP value + ``weight``), then redundant sites dropped.

    The LP's near-integral sites are taken first; on the set-covering instances of the benchmark it
    reaches the LP bound, proving the optimum without the MILP.

    Parameters
    ----------
    sets : csr_matrix
        Candidates × groups (0/1); every group covered by some candidate.
    x : ndarray
        LP value of each candidate.
    """
    a = sp.csr_matrix(sets, dtype=np.float64)
    left = (np.asarray(a.sum(axis=0)).ravel() > 0).astype(float)
    score = np.clip(np.asarray(x, dtype=float), 0.0, 1.0) + weight
    chosen = []
    while left.any():
        gain = (a @ left) * score
        best = int(np.argmax(gain))
        if gain[best] <= 0:
            break
        chosen.append(best)
        left[a.indices[a.indptr[best]:a.indptr[best + 1]]] = 0.0
    count = np.asarray(a[chosen].sum(axis=0)).ravel() if chosen else np.zeros(a.shape[1])
    kept = []
    for c in sorted(chosen, key=lambda c: score[c]):  # least wanted by the LP first
        idx = a.indices[a.indptr[c]:a.indptr[c + 1]]
        if (count[idx] >= 2).all():
            count[idx] -= 1
        else:
            kept.append(c)
    return np.sort(np.array(kept, dtype=np.int64))


class Cover(Model):
    """Set covering on a boolean candidates × units matrix.

    Parameters
    ----------
    cover : sparse matrix
        ``cover[c, u]`` true when candidate ``c`` covers unit ``u``; units no candidate covers are
        left out.
    reduce : bool
        First take the candidates some unit has alone (forced), merge identical units, drop the
        units whose candidates contain another's and the dominated candidates, until nothing changes
        (:func:`access30.locate._reduce.reduce_cover`); the MILP sees only what is left.
    """

    integral_objective = True

    def __init__(self, cover: sp.spmatrix, reduce: bool = True):
        self.cover, self.reduce = cover, reduce

    @cached_property
    def _reduced(self) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
        if self.reduce:
            core, rows, forced = reduce_cover(self.cover)
            self._forced = forced
            return core, np.ones(core.shape[1]), rows
        self._forced = np.zeros(0, dtype=np.int64)
        csc = sp.csc_matrix(self.cover, dtype=bool)
        cols = np.flatnonzero(np.diff(csc.indptr) > 0)
        return reduce_sets(csc[:, cols], np.ones(cols.size), False)

    @property
    def forced(self) -> np.ndarray:
        """Rows of ``cover`` that every optimum may take: a unit only they cover (sorted)."""
        _ = self._reduced
        return self._forced

    @property
    def sets(self) -> sp.csr_matrix:
        """Kept candidates × groups of units (float 0/1)."""
        return self._reduced[0]

    @property
    def n_sites(self) -> int:
        """Number of kept candidates."""
        return self.sets.shape[0]

    @cached_property
    def arrays(self) -> _highs.Arrays:
        """The MILP: one binary per kept candidate, minimise their number, every group covered at least once."""
        c, g = self.sets.shape
        return _highs.Arrays(np.ones(c), np.zeros(c), np.ones(c), self.sets.T.tocsc(), np.ones(g),
                             np.full(g, np.inf), np.ones(c), maximize=False)

    def solve(self, time_limit_s: float = 60.0, progress: Progress | None = None) -> SolveResult:
        """Solve (reductions included in the time limit); objective = number of sites.

        See :func:`access30.locate._solve.solve_sequence` (and :data:`~access30.locate._solve.Progress`).
        """
        forced = self.forced.size
        told = None if progress is None else (
            lambda stage, objective, bound: progress(stage, objective + forced, bound + forced))
        clock = Clock(time_limit_s, progress=told)
        if self.sets.shape[1] == 0:
            if forced:
                clock.report("relaxation", 0.0, 0.0)
                return nothing_to_do("Optimal (sites imposés par la réduction)", clock, self.forced, float(forced))
            return nothing_to_do("rien à couvrir", clock)
        core = solve_sequence(self, greedy_cover(self.sets), clock)
        if not forced:
            return core
        objective, bound = core.objective + forced, core.bound + forced
        return replace(core, chosen=np.sort(np.concatenate([core.chosen, self.forced])), objective=objective,
                       bound=bound, gap=_highs.rel_gap(objective, bound),
                       heuristic_objective=core.heuristic_objective + forced)

    def relax(self, sites: np.ndarray, clock: Clock) -> Relaxation:
        """The LP relaxation: its bound rounded up, and the better of its sites (if integral) and the LP-guided
        greedy cover (:func:`lp_greedy_cover`), which often meets the bound."""
        x, value, _, _, optimal = _highs.run(self.arrays, clock.limit_s, options=self.lp_options, relax=True)
        if not optimal or not np.isfinite(value) or x is None:
            return Relaxation(None)
        found = lp_greedy_cover(self.sets, x[:self.n_sites])
        integral = _highs.integral_sites(x[:self.n_sites])
        if integral is not None and integral.size <= found.size:
            found = integral
        return Relaxation(float(np.ceil(value - 1e-6)), found)

    def value(self, sites: np.ndarray) -> float:
        """Number of sites (the objective)."""
        return float(sites.size)

    def start(self, sites: np.ndarray) -> np.ndarray:
        """Warm start: 1.0 for each kept candidate in ``sites``, 0.0 for the others."""
        return np.isin(np.arange(self.n_sites), sites).astype(float)

    def ids(self, sites: np.ndarray) -> np.ndarray:
        """Rows of ``cover`` of the kept candidates ``sites``, sorted (the forced ones are added by :meth:`solve`)."""
        return np.sort(self._reduced[2][sites])

    def settle(self, x, objective, bound, status, optimal, sites, incumbent, lp_bound) -> Outcome:
        """Keep the MILP's sites unless the start has fewer; bound: the higher of MILP and LP, rounded up."""
        if lp_bound is not None and np.isfinite(bound):
            bound = max(bound, lp_bound)
        chosen = _highs.pick(x, self.n_sites)
        if x is None or objective > incumbent:
            chosen, objective = sites, incumbent
        objective = float(round(objective))
        bound = min(float(np.ceil(bound - 1e-6)) if np.isfinite(bound) else 1.0, objective)
        return Outcome(chosen, objective, bound, _highs.rel_gap(objective, bound), optimal or bound == objective,
                       status)


def solve_cover(cover: sp.spmatrix, time_limit_s: float = 60.0, reduce: bool = True,
                progress: Progress | None = None) -> SolveResult:
    """Set covering: fewest candidates covering every unit (column) that some candidate covers.

    Parameters
    ----------
    cover : sparse matrix
        ``cover[c, u]`` true when candidate ``c`` covers unit ``u``.
    time_limit_s : float
    reduce : bool
        Forced candidates, merged and dominated units, dominated candidates first (see :class:`Cover`).
    progress : callable, optional
        See :data:`access30.locate._solve.Progress`.

    Returns
    -------
    SolveResult
        ``chosen`` candidate indices; objective = number of sites.
    """
    return Cover(cover, reduce).solve(time_limit_s, progress)
