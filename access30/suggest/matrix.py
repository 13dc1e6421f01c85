"""Candidate × unit travel times of a routed study, by the coverage's own rule."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from access30.coverage.result import Routing
from access30.coverage.rules import longest_covered_s
from access30.inputs.study import Study
from access30.routing.roads import Join, site_unit_times

BATCH_BYTES = 128 * 2**20


def candidate_unit_times(study: Study, routing: Routing, joins: Join, limit_s: float,
                         batch_bytes: int = BATCH_BYTES, units: np.ndarray | None = None) -> sp.csr_matrix:
    """Travel time from every unit to every candidate, kept where it is within ``limit_s``.

    Candidates join the network exactly as sites do and unit times follow the same rule as the
    coverage (:func:`access30.routing.roads.site_unit_times`), so that adding the chosen candidates to the
    study and rerunning the coverage gives the same figures.

    Parameters
    ----------
    study : Study
    routing : Routing
        Its ``units`` give each unit's join.
    joins : Join
        Where each candidate joins the network.
    limit_s : float
        Times above this are not stored (bounded searches), within the coverage's tolerance
        (:func:`access30.coverage.rules.covered`).
    batch_bytes : int
        Memory budget of one batch of searches.
    units : ndarray of int, optional
        Only these units (indices), in this order: the columns of the result. The covering models
        need only the units the existing sites leave uncovered, often a few hundred of thousands.

    Returns
    -------
    csr_matrix
        Shape (candidates, units), seconds; stored entries are the pairs with time <= ``limit_s``
        (a pair at 0 s is stored as 1e-9 s).
    """
    joined = routing.units if units is None else routing.units.take(np.asarray(units, dtype=np.int64))
    return site_unit_times(study.network, joined, joins, study.access, longest_covered_s(limit_s), batch_bytes)
