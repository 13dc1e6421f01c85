"""The one solve sequence of every model: heuristic, LP relaxation, MILP from the best start, fallback.

A model finds heuristic sites and says how to value a set of sites; :func:`solve_sequence` then

1. solves the LP relaxation (:meth:`Model.relax`): its bound, and its sites when they are integral;
2. keeps the better of the heuristic and those sites, and stops when the bound proves it optimal;
3. otherwise solves the MILP from it (:meth:`Model.milp`), which never returns worse than that start
   and reports objective, best bound and gap; only a proven optimum is called optimal.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from access30.locate import _highs

LP_OPTIMAL = "Optimal (borne de la relaxation linéaire atteinte)"
LP_TIME_LIMIT = "Limite de temps atteinte (relaxation linéaire)"


@dataclass
class SolveResult:
    """Outcome of one MILP solve (or of the heuristic alone)."""

    chosen: np.ndarray
    objective: float
    bound: float
    gap: float
    optimal: bool
    status: str
    solver: str
    seconds: float
    heuristic_objective: float = float("nan")


#: ``progress(stage, objective, bound)``: the best solution so far and the best proven bound, in the
#: model's objective (``bound`` NaN while none is known); ``stage`` is ``heuristic``, ``relaxation``
#: or ``milp``.
Progress = Callable[[str, float, float], None]


@dataclass
class Clock:
    """Time left of a solve's time limit, counted from the clock's creation, and where to report progress."""

    limit_s: float
    t0: float = field(default_factory=time.perf_counter)
    progress: Progress | None = None

    def elapsed(self) -> float:
        """Seconds since the start."""
        return time.perf_counter() - self.t0

    def remaining(self) -> float:
        """Seconds left (negative once the limit is passed)."""
        return self.limit_s - self.elapsed()

    def report(self, stage: str, objective: float, bound: float = float("nan")) -> None:
        """Hand the best solution so far and the best bound to ``progress`` (if any)."""
        if self.progress is not None:
            self.progress(stage, float(objective), float(bound))


@dataclass
class Relaxation:
    """LP relaxation of a model: its bound (None when unsolved) and its sites when they are integral."""

    bound: float | None
    sites: np.ndarray | None = None
    complete: bool = True


@dataclass
class Outcome:
    """What the MILP stage settled on, in the model's own site numbering."""

    sites: np.ndarray
    objective: float
    bound: float
    gap: float
    optimal: bool
    status: str


class Model:
    """What :func:`solve_sequence` needs from a location model (MILP given as :class:`_highs.Arrays`).

    A model sets ``arrays`` (its first ``n_sites`` variables are the sites), ``lp_options`` and
    ``integral_objective``, and implements :meth:`value`, :meth:`start` and :meth:`settle`; the
    p-median by Benders cuts overrides :meth:`relax` (which may stop early, ``complete=False``) and
    :meth:`milp` instead.
    """

    arrays: _highs.Arrays
    n_sites: int
    k: int | None = None
    lp_options: dict = _highs.LP_OPTIONS
    integral_objective: bool = False
    maximize: bool = False

    def value(self, sites: np.ndarray) -> float:
        """Objective of a set of sites."""
        raise NotImplementedError

    def start(self, sites: np.ndarray) -> np.ndarray:
        """Full MILP solution of a set of sites (a warm start)."""
        raise NotImplementedError

    def ids(self, sites: np.ndarray) -> np.ndarray:
        """Sites in the caller's numbering (after any reduction), sorted."""
        return np.sort(sites)

    def accepts(self, sites: np.ndarray) -> bool:
        """Whether an integral LP solution is a feasible set of sites."""
        return self.k is None or 0 < sites.size <= self.k

    def relax(self, sites: np.ndarray, clock: Clock) -> Relaxation:
        """Solve the LP relaxation within the whole time limit (``sites``: the heuristic's)."""
        x, value, _, _, optimal = _highs.run(self.arrays, clock.limit_s, options=self.lp_options, relax=True)
        if not optimal or not np.isfinite(value) or x is None:
            return Relaxation(None)
        if self.integral_objective:
            value = float(np.floor(value + 1e-6)) if self.maximize else float(np.ceil(value - 1e-6))
        return Relaxation(value + self.arrays.offset, _highs.integral_sites(x[:self.n_sites]))

    def milp(self, sites: np.ndarray, incumbent: float, lp_bound: float | None, clock: Clock) -> Outcome:
        """Solve the MILP warm-started from ``sites`` (of value ``incumbent``)."""
        solved = _highs.run(self.arrays, max(clock.remaining(), 0.1), self.start(sites),
                            progress=lambda best, bound: clock.report("milp", best, bound))
        return self.settle(*solved, sites, incumbent, lp_bound)

    def settle(self, x, objective, bound, status, optimal, sites, incumbent, lp_bound) -> Outcome:
        """Choose between the MILP's solution and the start, and combine the bounds."""
        raise NotImplementedError


def nothing_to_do(status: str, clock: Clock, sites: np.ndarray | None = None, value: float = 0.0) -> SolveResult:
    """Result of an instance with nothing to optimise (``sites`` kept, proven at ``value``)."""
    sites = np.zeros(0, dtype=np.int64) if sites is None else sites
    return SolveResult(sites, value, value, 0.0, True, status, "aucun", clock.elapsed(), value)


def solve_sequence(model: Model, sites: np.ndarray, clock: Clock) -> SolveResult:
    """LP relaxation first, then the MILP warm-started from the best known sites, fallback on them.

    Parameters
    ----------
    model : Model
    sites : ndarray
        The heuristic's sites.
    clock : Clock
        Started when the solve was asked for; its limit covers every stage.

    Returns
    -------
    SolveResult
        In the caller's site numbering; ``heuristic_objective`` is the heuristic's value.
    """
    heuristic = model.value(sites)
    clock.report("heuristic", heuristic)
    relaxed = model.relax(sites, clock)
    if not relaxed.complete:  # time out during the LP: the heuristic, with the last (valid) partial bound
        return _result(model, _timed_out(model, sites, heuristic, relaxed.bound), clock, heuristic)
    incumbent = heuristic
    if relaxed.sites is not None and model.accepts(relaxed.sites):
        value = model.value(relaxed.sites)
        if value > incumbent if model.maximize else value < incumbent:
            incumbent, sites = value, relaxed.sites
    if _highs.proven(incumbent, relaxed.bound, model.maximize):
        clock.report("relaxation", incumbent, incumbent)
        return _result(model, Outcome(sites, incumbent, incumbent, 0.0, True, LP_OPTIMAL), clock, heuristic)
    clock.report("relaxation", incumbent, relaxed.bound if relaxed.bound is not None else float("nan"))
    out = model.milp(sites, incumbent, relaxed.bound, clock)
    clock.report("milp", out.objective, out.bound)
    return _result(model, out, clock, heuristic)


def _result(model: Model, out: Outcome, clock: Clock, heuristic: float) -> SolveResult:
    return SolveResult(model.ids(out.sites), out.objective, out.bound, out.gap, out.optimal, out.status, "HiGHS",
                       clock.elapsed(), heuristic)


def _timed_out(model: Model, sites: np.ndarray, heuristic: float, bound: float) -> Outcome:
    if np.isfinite(bound):
        bound = max(bound, heuristic) if model.maximize else min(bound, heuristic)
    else:
        bound = float("inf") if model.maximize else float("-inf")
    return Outcome(sites, heuristic, bound, _highs.rel_gap(heuristic, bound), False, LP_TIME_LIMIT)
