"""Other sets of sites that reach the same objective: found by the solver, never guessed.

A location model often has several optimal answers (ten pairs of sites may serve everyone). Saying
« solution optimale prouvée » for one of them without the others misleads: a planner would take the
pair for the only one. :func:`tied_sets` asks HiGHS for them on the model's own MILP (its first
``n_sites`` variables are the sites): the same number of sites, an objective at least as good as the
optimum, and one *no-good cut* per set already found (``Σ_{j ∈ S} y_j ≤ |S| − 1``), until the MILP is
infeasible (no other set: the count is exact), ``most`` sets are found, or the time is up.

Sites whose MILP columns are identical (the same rows, coefficients, cost and bounds: two candidates
that reach exactly the same units) are interchangeable: swapping one for the other in an optimal set
gives another optimal set, without asking the solver. Those swaps are counted exactly
(:attr:`Alternatives.known`) and listed when the search found fewer, so that a search cut short by its
time (:data:`TIE_SEARCH_S`) still says how many ties there are at least.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from itertools import combinations, product
from math import comb, prod

import highspy
import numpy as np
import scipy.sparse as sp

from access30.locate import _highs

#: Sets looked for at most (the count says « au moins » beyond); five of them are shown.
MOST_TIED = 50
SHOWN_TIED = 5
#: Seconds the app gives at most to the search of other optimal sets after the optimum (within the stated
#: limit; the command line gives what its limit leaves): the answer comes first, a search cut short says
#: « au moins ».
TIE_SEARCH_S = 2.0


@dataclass
class Alternatives:
    """Other optimal sets of sites.

    Attributes
    ----------
    sets : list of ndarray
        Each another set of sites (sorted, the model's numbering) with the same objective, in the order
        found (at most :data:`MOST_TIED`).
    complete : bool
        True when the solver proved there is no other: ``len(sets)`` is then the exact count.
    searched : bool
        False when no search was made (no time left, or a model without a MILP to cut).
    status : str
        Why the search stopped, in French.
    known : int
        Other optimal sets known to exist: those found, and every swap of interchangeable sites in them
        (exact, may exceed ``len(sets)``).
    """

    sets: list = field(default_factory=list)
    complete: bool = False
    searched: bool = True
    status: str = ""
    known: int = 0

    @property
    def count(self) -> int:
        """Other optimal sets found or known (exact when ``complete``, else at least this many)."""
        return max(len(self.sets), self.known)


def tied_sets(arrays: _highs.Arrays, n_sites: int, chosen, objective: float, time_limit_s: float,
              most: int = MOST_TIED, tolerance: float | None = None) -> Alternatives:
    """The other sets of ``len(chosen)`` sites reaching ``objective`` on the MILP ``arrays``.

    Parameters
    ----------
    arrays : Arrays
        The model's MILP; its first ``n_sites`` variables are the sites (binary).
    n_sites : int
    chosen : array_like of int
        The optimal set found.
    objective : float
        Its objective (``arrays``' own sense and offset).
    time_limit_s : float
        For the whole search.
    most : int
        Stop after this many sets.
    tolerance : float, optional
        How far from ``objective`` still ties (default: a millionth, relative).

    Returns
    -------
    Alternatives

    Examples
    --------
    Three candidates each covering one of two equal units, one site: two tied answers beyond the first.

    >>> import numpy as np, scipy.sparse as sp
    >>> from access30.locate.maxcover import MaxCover
    >>> model = MaxCover(sp.csr_matrix(np.array([[1, 0], [0, 1], [1, 0]])), np.array([5.0, 5.0]), 1, reduce=False)
    >>> found = tied_sets(model.arrays, 3, [0], 5.0, 10.0)
    >>> sorted(s.tolist() for s in found.sets), found.complete
    ([[1], [2]], True)
    """
    deadline = time.perf_counter() + float(time_limit_s)
    chosen = np.unique(np.asarray(chosen, dtype=np.int64))
    if chosen.size == 0 or n_sites <= chosen.size:
        return Alternatives(complete=True, status="aucun autre choix possible")
    tol = tolerance if tolerance is not None else 1e-6 * max(1.0, abs(objective)) + 1e-7
    matrix = sp.csr_matrix(arrays.matrix)
    n = matrix.shape[1]
    ones = np.zeros((1, n))
    ones[0, :n_sites] = 1.0
    value = np.asarray(arrays.cost, dtype=float).reshape(1, n)
    target = objective - arrays.offset
    rows = [matrix, sp.csr_matrix(ones), sp.csr_matrix(value)]
    lower = [np.asarray(arrays.row_lower, dtype=float), [chosen.size],
             [target - tol if arrays.maximize else -np.inf]]
    upper = [np.asarray(arrays.row_upper, dtype=float), [chosen.size],
             [np.inf if arrays.maximize else target + tol]]
    h = _highs.new_highs()
    a = sp.csc_matrix(sp.vstack(rows))
    a.sort_indices()
    h.passModel(int(n), int(a.shape[0]), int(a.nnz), 1, -1 if arrays.maximize else 1, 0.0,
                *(np.asarray(v, dtype=np.float64) for v in (arrays.cost, arrays.lower, arrays.upper,
                                                            np.concatenate(lower), np.concatenate(upper))),
                a.indptr.astype(np.int32), a.indices.astype(np.int32), a.data.astype(np.float64),
                np.asarray(arrays.integer, dtype=np.int32))
    found: list[np.ndarray] = []
    _cut(h, chosen)
    longest = 0.0  # the longest run so far: one is not started unless it can end in time
    while True:
        left = deadline - time.perf_counter()
        if left <= max(0.01, longest):
            complete, status = False, "limite de temps atteinte"
            break
        if len(found) >= most:
            complete, status = False, f"{most} solutions trouvées, recherche arrêtée"
            break
        _highs.limit(h, left)
        began = time.perf_counter()
        h.run()
        longest = max(longest, time.perf_counter() - began)
        model_status = h.getModelStatus()
        if model_status == highspy.HighsModelStatus.kInfeasible:
            complete, status = True, "aucune autre solution (prouvé par le solveur)"
            break
        if h.getInfo().primal_solution_status < 1:
            complete, status = False, h.modelStatusToString(model_status)
            break
        sites = np.flatnonzero(np.asarray(h.getSolution().col_value, dtype=float)[:n_sites] > 0.5)
        found.append(sites)
        _cut(h, sites)
    classes = interchangeable(a, arrays, n_sites)
    known = _swapped_count(classes, [chosen, *found])
    if not complete:
        found += _swaps(classes, chosen, found, most - len(found))
    return Alternatives(found, complete, status=status, known=known)


def interchangeable(matrix: sp.csc_matrix, arrays: _highs.Arrays, n_sites: int) -> np.ndarray:
    """A class number per site: sites of one class have identical columns in ``matrix`` and the same cost,
    bounds and integrality in ``arrays`` (swapping them changes nothing in the MILP)."""
    matrix = sp.csc_matrix(matrix)
    cost, lower, upper, integer = (np.asarray(v) for v in (arrays.cost, arrays.lower, arrays.upper, arrays.integer))
    seen: dict = {}
    classes = np.empty(n_sites, dtype=np.int64)
    for j in range(n_sites):
        start, end = matrix.indptr[j], matrix.indptr[j + 1]
        key = (matrix.indices[start:end].tobytes(), matrix.data[start:end].tobytes(),
               float(cost[j]), float(lower[j]), float(upper[j]), int(integer[j]))
        classes[j] = seen.setdefault(key, len(seen))
    return classes


def _swapped_count(classes: np.ndarray, sets: list) -> int:
    """Other sets than the first of ``sets`` obtained by swapping interchangeable sites in any of them: for
    each distinct count of sites per class, the product of the binomials."""
    sizes = np.bincount(classes)
    vectors = {tuple(sorted(zip(*np.unique(classes[s], return_counts=True)))) for s in sets}
    return sum(prod(comb(int(sizes[c]), int(n)) for c, n in vector) for vector in vectors) - 1


def _swaps(classes: np.ndarray, chosen: np.ndarray, found: list, most: int) -> list[np.ndarray]:
    """Up to ``most`` sets made from ``chosen`` or a set of ``found`` by swapping one or two sites for
    interchangeable ones, not already listed (exact ties, listed when the solver's search was cut short)."""
    seen = {tuple(chosen.tolist()), *(tuple(s.tolist()) for s in found)}
    out: list[np.ndarray] = []
    for base in [chosen, *found]:
        members = {c: np.flatnonzero(classes == c).tolist() for c in np.unique(classes[base])}
        for width in (1, 2):
            for out_sites in combinations(base.tolist(), width):
                for swap in product(*(members[classes[site]] for site in out_sites)):
                    candidate = np.unique(np.r_[np.setdiff1d(base, out_sites), swap]).astype(np.int64)
                    key = tuple(candidate.tolist())
                    if candidate.size != base.size or key in seen:
                        continue
                    seen.add(key)
                    out.append(candidate)
                    if len(out) >= most:
                        return out
    return out

def _cut(h, sites: np.ndarray) -> None:
    """The no-good cut of a set: not all of ``sites`` open together again."""
    h.addRow(-np.inf, float(sites.size - 1), int(sites.size), sites.astype(np.int32),
             np.ones(sites.size, dtype=np.float64))
