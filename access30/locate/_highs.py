"""HiGHS plumbing: a quiet instance with the options every model uses, one MILP from sparse arrays."""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass

import highspy
import numpy as np
import scipy.sparse as sp

from access30.base.settings import solver_log

LP_OPTIONS = {"solver": "ipm", "presolve": "off", "run_crossover": "on"}  # covering models
LP_OPTIONS_MEDIAN = {"solver": "simplex", "presolve": "off"}  # measured faster on the radius formulation
MIP_OPTIONS = {"mip_rel_gap": 0.0, "mip_abs_gap": 1e-7, "threads": 1}

_BANNER_SHOWN = False


def _quiet_highs(highspy):
    """A Highs instance; the licence banner HiGHS prints on stdout at first use is kept off the CLI output."""
    global _BANNER_SHOWN
    if _BANNER_SHOWN:
        return highspy.Highs()
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


def new_highs(options: dict | None = None):
    """A quiet Highs instance with ``options``, exact MIP gaps and one thread (log with ``HIGHS_LOG=1``)."""
    h = _quiet_highs(highspy)
    for key, value in {**(options or {}), "output_flag": solver_log(), **MIP_OPTIONS}.items():
        h.setOptionValue(key, value)
    return h


@dataclass
class Arrays:
    """A MILP as sparse arrays: min or max ``cost·x + offset`` s.t. ``row_lower <= matrix·x <= row_upper``."""

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    matrix: sp.csc_matrix
    row_lower: np.ndarray
    row_upper: np.ndarray
    integer: np.ndarray
    maximize: bool
    offset: float = 0.0


def watch(h, progress, offset: float = 0.0, every_s: float = 0.5) -> None:
    """Call ``progress(best, bound)`` (objective values, ``offset`` added) as HiGHS improves a MIP.

    At each improving solution, and at most every ``every_s`` seconds otherwise.
    """
    last = [0.0]

    def seen(event, improving: bool = False) -> None:
        out = event.data_out
        now = time.perf_counter()
        if not improving and now - last[0] < every_s:
            return
        last[0] = now
        best, bound = float(out.mip_primal_bound), float(out.mip_dual_bound)
        if np.isfinite(best):
            progress(best + offset, bound + offset if np.isfinite(bound) else float("nan"))

    h.cbMipImprovingSolution.subscribe(lambda event: seen(event, True))
    h.cbMipInterrupt.subscribe(seen)


def limit(h, seconds: float) -> None:
    """Let the next ``h.run()`` take at most ``seconds`` of wall time.

    HiGHS 1.16 counts ``time_limit`` from the start of each run, while ``getRunTime()`` adds up every run
    of the object (older versions compared the limit with that sum): the time left is set as it is,
    never added to the run time so far, so that no run can go past the deadline (with an older HiGHS a
    run may only stop earlier).
    """
    h.setOptionValue("time_limit", float(max(seconds, 0.01)))
    # HiGHS checks its limit seldom in some phases (2.7 s past a 0.7 s limit was seen in a MIP's root): the
    # deadline is also checked on the wall clock at each of its interrupt points.
    deadline = time.perf_counter() + float(max(seconds, 0.01))
    state = getattr(h, "_access30_deadline", None)
    if state is not None:
        state[0] = deadline
        return
    state = h._access30_deadline = [deadline]

    def interrupt(event) -> None:
        if time.perf_counter() > state[0]:
            event.data_in.user_interrupt = True

    for callback in (h.cbMipInterrupt, h.cbSimplexInterrupt, h.cbIpmInterrupt):
        callback.subscribe(interrupt)


def run(arrays: Arrays, time_limit_s: float, start: np.ndarray | None = None, options: dict | None = None,
        relax: bool = False, progress=None):
    """Solve ``arrays`` (its LP relaxation when ``relax``, offset then left out).

    ``progress(best, bound)`` is called as the MIP improves (see :func:`watch`).

    Returns
    -------
    tuple
        ``(x or None, objective, best bound, status text, optimal)``.
    """
    h = new_highs(options)
    limit(h, time_limit_s)
    matrix = sp.csc_matrix(arrays.matrix)
    matrix.sort_indices()
    num_row, num_col = matrix.shape
    integer = np.zeros_like(arrays.integer) if relax else arrays.integer
    h.passModel(int(num_col), int(num_row), int(matrix.nnz), 1, -1 if arrays.maximize else 1,
                0.0 if relax else float(arrays.offset), *(np.asarray(v, dtype=np.float64) for v in (
                    arrays.cost, arrays.lower, arrays.upper, arrays.row_lower, arrays.row_upper)),
                matrix.indptr.astype(np.int32), matrix.indices.astype(np.int32), matrix.data.astype(np.float64),
                np.asarray(integer, dtype=np.int32))
    if start is not None:
        h.setSolution(int(num_col), np.arange(num_col, dtype=np.int32), np.asarray(start, dtype=np.float64))
    if progress is not None and not relax:
        watch(h, progress)
    h.run()
    status = h.getModelStatus()
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value, dtype=float) if info.primal_solution_status >= 1 else None
    objective = float(info.objective_function_value) if x is not None else float("nan")
    return (x, objective, float(info.mip_dual_bound), h.modelStatusToString(status),
            status == highspy.HighsModelStatus.kOptimal)


def integral_sites(y: np.ndarray) -> np.ndarray | None:
    """Sites of a 0/1 vector ``y`` (within 1e-6), None when some entry is fractional."""
    integral = np.all(np.minimum(np.abs(y), np.abs(1.0 - y)) <= 1e-6)
    return np.flatnonzero(y > 0.5) if integral else None


def pick(x: np.ndarray | None, n: int) -> np.ndarray:
    """Sites open in a solution whose first ``n`` variables are the sites (none without a solution)."""
    return np.flatnonzero(x[:n] > 0.5) if x is not None else np.zeros(0, dtype=np.int64)


def rel_gap(objective: float, bound: float) -> float:
    """Relative gap between an objective and its bound (inf when either is not finite)."""
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("inf")
    diff = abs(bound - objective)
    return 0.0 if diff <= 1e-9 * max(1.0, abs(objective)) else diff / max(abs(objective), 1e-12)


def tolerance(value: float) -> float:
    """Absolute tolerance when comparing an objective ``value`` with a bound."""
    return 1e-9 * max(1.0, abs(value)) + 1e-7


def proven(incumbent: float, bound: float | None, maximize: bool) -> bool:
    """True when ``bound`` proves ``incumbent`` optimal."""
    if bound is None:
        return False
    tol = tolerance(incumbent)
    return bound <= incumbent + tol if maximize else bound >= incumbent - tol
