"""Other sets of sites that reach the same objective: found by the solver, never guessed.

A location model often has several optimal answers (ten pairs of sites may serve everyone). Saying
« solution optimale prouvée » for one of them without the others misleads: a planner would take the
pair for the only one. :func:`tied_sets` asks HiGHS for them on the model's own MILP (its first
``n_sites`` variables are the sites): the same number of sites, an objective at least as good as the
optimum, and one *no-good cut* per set already found (``Σ_{j ∈ S} y_j ≤ |S| − 1``), until the MILP is
infeasible (no other set: the count is exact), ``most`` sets are found, or the time is up.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp

from access30.locate import _highs

#: Sets looked for at most (the count says « au moins » beyond); five of them are shown.
MOST_TIED = 50
SHOWN_TIED = 5


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
    """

    sets: list = field(default_factory=list)
    complete: bool = False
    searched: bool = True
    status: str = ""

    @property
    def count(self) -> int:
        """Other optimal sets found."""
        return len(self.sets)


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
    while True:
        left = deadline - time.perf_counter()
        if left <= 0.01:
            return Alternatives(found, False, status="limite de temps atteinte")
        if len(found) >= most:
            return Alternatives(found, False, status=f"{most} solutions trouvées, recherche arrêtée")
        h.setOptionValue("time_limit", float(left) + h.getRunTime())
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return Alternatives(found, True, status="aucune autre solution (prouvé par le solveur)")
        if h.getInfo().primal_solution_status < 1:
            return Alternatives(found, False, status=h.modelStatusToString(status))
        sites = np.flatnonzero(np.asarray(h.getSolution().col_value, dtype=float)[:n_sites] > 0.5)
        found.append(sites)
        _cut(h, sites)


def _cut(h, sites: np.ndarray) -> None:
    """The no-good cut of a set: not all of ``sites`` open together again."""
    h.addRow(-np.inf, float(sites.size - 1), int(sites.size), sites.astype(np.int32),
             np.ones(sites.size, dtype=np.float64))
