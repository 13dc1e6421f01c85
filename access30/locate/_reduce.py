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
