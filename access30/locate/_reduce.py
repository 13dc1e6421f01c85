"""Candidate × unit matrices: travel times, merged units, dominated candidates, times with sites open."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


def with_sites(times: sp.csr_matrix, sites, base: np.ndarray) -> np.ndarray:
    """Each unit's time once ``sites`` (rows of ``times``) are open: ``base`` lowered by their times.

    Parameters
    ----------
    times : csr_matrix
        Candidates × units times; missing entries mean "not reachable".
    sites : array-like of int
        Rows to open.
    base : ndarray
        Each unit's time without them (may be inf); not modified.

    Returns
    -------
    ndarray
        New array of unit times.
    """
    best = np.asarray(base, dtype=float).copy()
    for c in np.atleast_1d(sites):
        row = slice(times.indptr[c], times.indptr[c + 1])
        idx = times.indices[row]
        best[idx] = np.minimum(best[idx], times.data[row])
    return best


def merge_units(cover: sp.csr_matrix, weights: np.ndarray) -> tuple[sp.csc_matrix, np.ndarray, np.ndarray]:
    """Merge units (columns) with the same candidate set.

    Parameters
    ----------
    cover : sparse matrix
        Boolean candidates × units.
    weights : ndarray
        Weight of each unit.

    Returns
    -------
    tuple
        The reduced boolean matrix (candidates × groups, CSC), group weights and, for each input
        column, its group (-1 for columns no candidate covers).
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
    """Candidates (rows) whose set is contained in another's (equal sets: all but the first).

    Parameters
    ----------
    sets : csr_matrix
        Boolean candidates × units (or groups).

    Returns
    -------
    ndarray of bool
        One per candidate; empty sets are dominated.
    """
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


def reduce_sets(cover: sp.spmatrix, weights: np.ndarray, reduce: bool) -> tuple[sp.csr_matrix, np.ndarray,
                                                                                    np.ndarray]:
    """Covering sets ready for a model: candidates × groups (float), group weights, kept candidates.

    With ``reduce``, units with the same candidate set are merged (weights added; units no
    candidate covers dropped) and dominated candidates dropped; otherwise every unit is a group.
    """
    if reduce:
        sets, gweights, _ = merge_units(cover, weights)
        keep = np.flatnonzero(~dominated_candidates(sp.csr_matrix(sets)))
    else:
        sets, gweights = sp.csc_matrix(cover, dtype=bool), np.asarray(weights, dtype=float)
        keep = np.arange(cover.shape[0])
    return sp.csr_matrix(sets, dtype=np.float64)[keep], gweights, keep


#: Largest candidate-pair count (the sum over candidates of their units squared) for which dominated
#: units are looked for: beyond it the product of the matrix with itself costs more than it saves.
MAX_PAIRS = 30_000_000


def dominated_units(sets: sp.csc_matrix) -> np.ndarray:
    """Units (columns) whose candidate set contains another unit's (a cover of that one covers them).

    Columns are expected distinct (:func:`merge_units` first); equal columns are all but the first.

    Returns
    -------
    ndarray of bool
        One per column; all False when the instance is too large to compare (see :data:`MAX_PAIRS`).
    """
    csr = sp.csr_matrix(sets, dtype=np.float64)
    if float(np.square(np.diff(csr.indptr).astype(float)).sum()) > MAX_PAIRS:
        return np.zeros(csr.shape[1], dtype=bool)
    size = np.diff(sp.csc_matrix(csr).indptr)
    inter = sp.csr_matrix(csr.T @ csr)
    i = np.repeat(np.arange(inter.shape[0]), np.diff(inter.indptr))
    j, v = inter.indices, inter.data
    # set of unit i within set of unit j (covering i covers j), i itself and equal sets but the first left out
    found = (v == size[i]) & ((size[j] > size[i]) | (i < j))
    dominated = np.zeros(csr.shape[1], dtype=bool)
    dominated[j[found]] = True
    return dominated


def reduce_cover(cover: sp.spmatrix) -> tuple[sp.csr_matrix, np.ndarray, np.ndarray]:
    """Set covering reduced to its hard core: forced candidates, dominated units and candidates removed.

    Repeated until nothing changes:

    * a unit only one candidate covers forces that candidate (kept, its units removed);
    * units with the same candidate set are merged, and a unit whose set contains another's is
      dropped (covering the other covers it);
    * a candidate whose units are within another's is dropped (equal sets: all but the first).

    The optimum of the core plus the forced candidates is an optimum of the whole: every reduction
    keeps at least one optimal solution (the textbook reductions of set covering).

    Parameters
    ----------
    cover : sparse matrix
        Boolean candidates × units; units no candidate covers are ignored.

    Returns
    -------
    tuple
        The core (candidates × units, float 0/1), the input row of each core candidate, and the
        forced candidates (input rows, sorted).

    Examples
    --------
    >>> import scipy.sparse as sp
    >>> core, rows, forced = reduce_cover(sp.csr_matrix([[1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1], [0, 0, 0, 1]]))
    >>> forced.tolist(), core.shape
    ([0, 2], (0, 0))
    """
    a = sp.csc_matrix(cover, dtype=bool)
    a.eliminate_zeros()
    a = sp.csc_matrix(a[:, np.flatnonzero(np.diff(a.indptr) > 0)])
    rows = np.arange(a.shape[0])
    forced: list[np.ndarray] = []
    while True:
        shape = a.shape
        single = np.flatnonzero(np.diff(a.indptr) == 1)
        if single.size:
            chosen = np.unique(a.indices[a.indptr[single]])
            forced.append(rows[chosen])
            csr = sp.csr_matrix(a)
            covered = np.zeros(a.shape[1], dtype=bool)
            covered[csr[chosen].indices] = True
            rest = np.setdiff1d(np.arange(a.shape[0]), chosen)
            a, rows = sp.csc_matrix(csr[rest][:, np.flatnonzero(~covered)]), rows[rest]
        if a.shape[1] == 0:
            a, rows = sp.csc_matrix((0, 0), dtype=bool), rows[:0]
            break
        a, _, _ = merge_units(a, np.ones(a.shape[1]))
        a = sp.csc_matrix(a[:, np.flatnonzero(~dominated_units(a))])
        keep = np.flatnonzero(~dominated_candidates(sp.csr_matrix(a)))
        a, rows = sp.csc_matrix(sp.csr_matrix(a)[keep]), rows[keep]
        if a.shape == shape and not single.size:
            break
    found = np.sort(np.concatenate(forced)) if forced else np.zeros(0, dtype=np.int64)
    return sp.csr_matrix(a, dtype=np.float64), rows, found
