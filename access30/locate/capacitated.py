"""Capacitated location models: where to open ``k`` new reception points when sites have a capacity.

Two models, existing sites kept open, each a small class with a ``solve()``:

* :class:`CapacitatedMaxCover` — capacitated maximal covering: the most people *covered and
  served within capacity* with ``k`` new sites;
* :class:`CapacitatedMedian` — capacitated p-median: the lowest population-weighted travel time
  with ``k`` new sites, every site serving at most its capacity.

Formulation (both)
------------------
Sites are the existing ones E (always open) and the candidates C (``y_c`` ∈ {0, 1}). Pairs are the
(unit, site) entries stored in the time matrices (for the covering model, those within the
threshold). For each pair p = (i, j), ``x_p`` ≥ 0 is the number of people of unit i served at
site j. A unit's population may be split between sites (fractional assignment, standard in
capacitated covering and location models; with integral y the x part is a transportation
problem)::

    Σ_j x_ij ≤ P_i                      each unit's people are assigned at most once
    Σ_i x_ij ≤ C_j          (j ∈ E)     capacity of an existing site, in people
    Σ_i x_ij ≤ C_j y_j      (j ∈ C)     a new site serves only if opened
    x_ij ≤ min(P_i, C_j) y_j (j ∈ C)    valid inequalities, added when violated (see below)
    Σ_c y_c ≤ k

* maximal covering: maximise Σ x (people served within the threshold and within capacity);
* p-median: minimise Σ t_ij x_ij + M Σ_i (P_i − Σ_j x_ij): people left unassigned (beyond every
  stored pair, or for lack of capacity) cost a penalty time M per person, ``penalty_s`` (default
  3 h, the cap :mod:`access30.locate` puts on its uncapacitated p-median for unreachable units).
  Pairs slower than M are never worth using and are dropped. When M exceeds (number of open
  sites) × the largest pair time, the optimal assignment of the chosen sites serves as many
  people as their capacities allow (any augmenting path gains M and costs less); the result says
  whether that holds.

Solution
--------
The sparse model is built directly (no modelling layer) and solved with HiGHS (``highspy``).
Units with the same set of sites are merged first in the covering model (exact: their people are
interchangeable). Two formulations:

* ``"benders"`` (default): Benders decomposition on the assignment. For open sites S the best
  assignment is a transportation LP (only the pairs of open sites); from its unit duals u, each
  site's cheapest dual completion gives the cut θ ≤ Σ_i P_i u_i + Σ_{j∈E} term_j + Σ_c term_c y_c,
  valid for all y and exact at S. The master keeps the k-out-of-C site choice and θ only. Cuts
  are taken at every prefix of a greedy heuristic (capacity-aware gains, then the exact
  assignment of its sites: the warm start), then at top-k roundings of the master's LP
  relaxation, then at the MILP master's solutions, pruned by the incumbent (at first stopping at
  its first improving set, then solved in full for a bound). The duals matter: for the covering
  model the maximal min cut (:meth:`_Model.cut_duals`), for the p-median the duals of a slightly
  perturbed LP that favour units many candidates reach; a cut must be exact at its set or the
  plain LP duals are used.
* ``"compact"``: every assignment variable in one MILP, its LP relaxation tightened by the
  ``x ≤ min(P, C) y`` rows it violates, then the MILP from the best incumbent. Kept for small
  instances and cross-checks (on the Martinique benchmark its LP alone takes about a minute).

Why not the shared sequence of :mod:`access30.locate._solve`: that sequence chooses sites over a
candidate × unit matrix whose value for a set of sites is a closed form (covered weight, capped
times). Here the value of a set of sites is itself an LP (the transportation problem of the
assignment), so the sequence is Benders on that LP: greedy warm start, LP-rounding cuts, MILP
master pruned by the incumbent. It reuses the HiGHS instance of :mod:`access30.locate._highs`.

Objective, best bound, gap and status (in French) are always reported; a solution is called
optimal only when proven, to a relative tolerance of 1e-7 (flows are continuous, so the LP's
numerical tolerance applies). The returned assignment is the exact transportation optimum of the
chosen sites, clipped so that no capacity and no population is exceeded, even by rounding. The
MIP solves are interrupted at the wall-clock deadline (the assignment LPs of the incumbents are
not, they are short).
``ACCESS30_LOCATE_DEBUG=1`` prints the bound and incumbent at each iteration on stderr.

Inputs are NumPy arrays and SciPy sparse matrices (units × sites), so that the module plugs onto
any routing; it depends on nothing else in the package but :mod:`access30.base.errors` and the HiGHS plumbing of
:mod:`access30.locate._highs`.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field

import highspy
import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_int, fmt_pct, plural
from access30.base.settings import DEFAULT_THRESHOLD_MIN, locate_debug, solver_log
from access30.locate import _highs
from access30.locate.alternatives import MOST_TIED, Alternatives, tied_sets

EPS_S = 1e-6  # inclusive thresholds, as in access30.coverage.rules
REL_TOL = 1e-7  # relative optimality tolerance (continuous flows)
DEFAULT_PENALTY_S = 3 * 3600.0  # as access30.suggest.suggestion.MEDIAN_MAX_LIMIT_S
MAX_CUTS_PER_ROUND = 200_000


# --------------------------------------------------------------------------------------------
# HiGHS plumbing (on top of access30.locate._highs: the instance; the model passing and statuses this
# sequence needs)
# --------------------------------------------------------------------------------------------

def _new_highs():
    """A quiet Highs instance (:func:`access30.locate._highs.new_highs`'s banner handling), one thread,
    log with ``HIGHS_LOG=1``; the gap options are this module's (continuous flows, see ``REL_TOL``)."""
    h = _highs._quiet_highs(highspy)
    h.setOptionValue("output_flag", solver_log())
    h.setOptionValue("threads", 1)
    return h


def _pass_model(h, cost, lower, upper, matrix: sp.csc_matrix, row_lower, row_upper, offset: float = 0.0):
    matrix = sp.csc_matrix(matrix)
    matrix.sort_indices()
    num_row, num_col = matrix.shape
    h.passModel(int(num_col), int(num_row), int(matrix.nnz), 1, 1, float(offset),
                np.asarray(cost, dtype=np.float64), np.asarray(lower, dtype=np.float64),
                np.asarray(upper, dtype=np.float64), np.asarray(row_lower, dtype=np.float64),
                np.asarray(row_upper, dtype=np.float64), matrix.indptr.astype(np.int32),
                matrix.indices.astype(np.int32), matrix.data.astype(np.float64),
                np.zeros(num_col, dtype=np.int32))


def _status_fr(h) -> str:
    status = h.getModelStatus()
    known = {
        highspy.HighsModelStatus.kOptimal: "optimal (prouvé par HiGHS)",
        highspy.HighsModelStatus.kTimeLimit: "limite de temps atteinte",
        highspy.HighsModelStatus.kInfeasible: "infaisable",
        highspy.HighsModelStatus.kInterrupt: "interrompu",
        highspy.HighsModelStatus.kSolutionLimit: "limite de solutions atteinte",
        highspy.HighsModelStatus.kIterationLimit: "limite d'itérations atteinte",
    }
    return known.get(status, f"arrêt du solveur ({h.modelStatusToString(status)})")


def _stop_at(h, deadline: float) -> None:
    """Interrupt HiGHS's MIP at the wall-clock ``deadline``: its own time limit is checked between
    phases only, and a master solve was measured overrunning it by two minutes."""
    def check(event):
        if time.perf_counter() > deadline:
            event.interrupt()

    if hasattr(h, "cbMipInterrupt"):  # highspy's callback interface (1.8+); else HiGHS's time limit only
        h.cbMipInterrupt.subscribe(check)


def _is_optimal(h) -> bool:
    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


# --------------------------------------------------------------------------------------------
# Result
# --------------------------------------------------------------------------------------------

@dataclass
class CapacitatedResult:
    """Outcome of a capacitated location model.

    Attributes
    ----------
    model : str
        ``"maxcover"`` or ``"median"``.
    chosen : ndarray of int
        Candidate indices opened (sorted; at most ``k``).
    objective : float
        maxcover: people served (covered within capacity); median: Σ time × people + penalty ×
        unassigned people, in person-seconds. Recomputed from ``assignment``.
    bound : float
        Best proven bound on the objective (upper for maxcover, lower for median).
    gap : float
        |bound − objective| / |objective| (0 when optimal).
    optimal : bool
        True only when proven (see the module docstring for the tolerance).
    status : str
        In French.
    seconds : float
    heuristic_objective : float
        The greedy heuristic's objective, for comparison.
    assignment : csr_matrix
        Units × sites (existing sites first, then candidates), people of unit i served at site j.
    served : ndarray
        People served per site (existing, then candidates).
    capacity : ndarray
        Capacity in people per site (existing, then candidates).
    unassigned : ndarray
        Per unit, its people served nowhere.
    mean_time_min : float
        Population-weighted mean time of the people served, in minutes (median; maxcover when the
        matrices hold times), NaN otherwise.
    notices : list of Notice
    reachable : ndarray of bool
        Per unit (with people): it has a pair with some site, existing or candidate.
    reachable_open : ndarray of bool
        Per unit (with people): it has a pair with an open site (existing or chosen) of capacity
        above 0; those of its people left unassigned lack capacity, not reach.
    """

    model: str
    chosen: np.ndarray
    objective: float
    bound: float
    gap: float
    optimal: bool
    status: str
    seconds: float
    heuristic_objective: float
    assignment: sp.csr_matrix
    served: np.ndarray
    capacity: np.ndarray
    unassigned: np.ndarray
    mean_time_min: float
    notices: list[Notice] = field(default_factory=list)
    reachable: np.ndarray | None = None
    reachable_open: np.ndarray | None = None

    @property
    def served_population(self) -> float:
        """Total people served."""
        return float(self.served.sum())

    @property
    def unassigned_population(self) -> float:
        """Total people served nowhere."""
        return float(self.unassigned.sum())

    @property
    def reachable_open_population(self) -> float:
        """People with a pair to an open site: the most that the open sites could serve."""
        mask = self.reachable_open if self.reachable_open is not None else np.ones(self.unassigned.size, dtype=bool)
        return float(self.unassigned[mask].sum() + np.asarray(self.assignment.sum(axis=1)).ravel()[mask].sum())

    @property
    def unserved_for_capacity(self) -> float:
        """People within reach of an open site but served nowhere: short of capacity, not of reach."""
        if self.reachable_open is None:
            return 0.0
        return float(self.unassigned[self.reachable_open].sum())


def _rel_gap(objective: float, bound: float) -> float:
    if not (np.isfinite(objective) and np.isfinite(bound)):
        return float("inf")
    diff = abs(bound - objective)
    return 0.0 if diff <= REL_TOL * max(1.0, abs(objective)) else diff / max(abs(objective), 1e-12)


# --------------------------------------------------------------------------------------------
# Input checks
# --------------------------------------------------------------------------------------------

def _check_population(population) -> np.ndarray:
    pop = np.asarray(population, dtype=float).ravel()
    if not np.isfinite(pop).all() or (pop < 0).any():
        raise InputError("population négative ou manquante", "chaque unité a une population positive ou nulle",
                         column="population")
    return pop


def _pairs_of(times, n_units: int, what: str, limit_s: float | None):
    if not sp.issparse(times):
        raise InputError(f"matrice des temps ({what}) non creuse", "donnez une matrice scipy.sparse unités × lieux")
    if times.shape[0] != n_units:
        raise InputError(f"matrice des temps ({what}) de {times.shape[0]} lignes pour {n_units} unités",
                         "lignes = unités, colonnes = lieux")
    coo = sp.coo_matrix(times)  # explicit zeros are pairs (a unit at the site itself)
    row, col, t = coo.row.astype(np.int64), coo.col.astype(np.int64), np.asarray(coo.data, dtype=float)
    if row.size and np.unique(row * max(times.shape[1], 1) + col).size != row.size:
        raise InputError(f"paires (unité, lieu) en double dans la matrice des temps ({what})",
                         "une seule durée par paire")
    if np.isnan(t).any() or (t < 0).any():
        raise InputError(f"durée négative ou manquante dans la matrice des temps ({what})",
                         "ne stockez que les paires atteignables, en secondes")
    if limit_s is not None:
        keep = t <= limit_s
        row, col, t = row[keep], col[keep], t[keep]
    return row, col, t, int(times.shape[1])


def _check_capacities(capacity_existing, capacity_new, n_existing: int, n_cand: int) -> np.ndarray:
    cap_e = np.asarray(capacity_existing, dtype=float).ravel()
    if cap_e.size != n_existing:
        raise InputError(f"{plural(cap_e.size, 'capacité', 'capacités')} pour "
                         f"{plural(n_existing, 'lieu existant', 'lieux existants')}",
                         "donnez une capacité en habitants par lieu existant")
    unknown = np.flatnonzero(~np.isfinite(cap_e))
    if unknown.size:
        raise InputError(f"capacité inconnue pour {plural(unknown.size, 'lieu existant', 'lieux existants')} (indices "
                         f"{', '.join(map(str, unknown[:10]))}) : le modèle ne la suppose pas",
                         "renseignez-la (en habitants) ou retirez ces lieux",
                         column="capacité")
    if capacity_new is None:
        if n_existing == 0:
            raise InputError("capacité des nouveaux lieux manquante (aucun lieu existant dont prendre la médiane)",
                             "indiquez la capacité d'un nouveau lieu, en habitants", column="capacité")
        cap_c = np.full(n_cand, float(np.median(cap_e)))
    else:
        cap_c = np.broadcast_to(np.asarray(capacity_new, dtype=float), (n_cand,)).astype(float)
        if not np.isfinite(cap_c).all():
            raise InputError("capacité des nouveaux lieux inconnue ou infinie", "indiquez un nombre d'habitants",
                             column="capacité")
    cap = np.concatenate([cap_e, cap_c])
    if (cap < 0).any():
        raise InputError("capacité négative", "une capacité est un nombre d'habitants positif ou nul",
                         column="capacité")
    return cap


def _check_k(k, n_cand: int) -> int:
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise InputError(f"nombre de nouveaux lieux « {k} » invalide", "indiquez un entier d'au moins 1",
                         column="--k") from None
    if value < 1 or value != float(k):
        raise InputError(f"nombre de nouveaux lieux {k} invalide", "indiquez un entier d'au moins 1", column="--k")
    return min(value, n_cand)


# --------------------------------------------------------------------------------------------
# Merging units with identical site sets (covering model)
# --------------------------------------------------------------------------------------------

def _merge_identical(unit: np.ndarray, site: np.ndarray, n_units: int, n_sites: int) -> np.ndarray:
    """Group of every unit: units with exactly the same set of sites share a group.

    Hashes each unit's set (two random 64-bit sums, wrapping) and then checks every member
    against its group's first unit, so that a hash collision can never merge different sets
    (a unit that fails the check keeps a group of its own). Units with no pair get −1.
    """
    group = np.full(n_units, -1, dtype=np.int64)
    if unit.size == 0:
        return group
    rng = np.random.default_rng(12345)
    keys = rng.integers(0, np.iinfo(np.uint64).max, size=(2, n_sites), dtype=np.uint64, endpoint=True)
    order = np.argsort(unit, kind="stable")
    u, s = unit[order], site[order]
    starts = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    units = u[starts]
    with np.errstate(over="ignore"):
        h1 = np.add.reduceat(keys[0][s], starts)
        h2 = np.add.reduceat(keys[1][s], starts)
    count = np.diff(np.r_[starts, u.size])
    table = np.stack([h1, h2, count.astype(np.uint64)], axis=1)
    _, first, inverse = np.unique(table, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.ravel()
    rep = units[first[inverse]]  # representative unit of each unit's group
    linear = u * n_sites + s
    rep_of_pair = np.repeat(rep, count)
    ok_pair = np.isin(rep_of_pair * n_sites + s, linear)
    ok = np.logical_and.reduceat(ok_pair, starts)
    gid = inverse.astype(np.int64)
    bad = np.flatnonzero(~ok)
    gid[bad] = gid.max() + 1 + np.arange(bad.size)  # collisions (never seen): own groups
    _, gid = np.unique(gid, return_inverse=True)
    group[units] = gid.ravel()
    return group


# --------------------------------------------------------------------------------------------
# The shared capacitated model
# --------------------------------------------------------------------------------------------

@dataclass
class _Model:
    """min Σ cost_p x_p + offset over the pairs, with unit, site and cardinality rows."""

    n_units: int  # original units
    n_existing: int
    n_cand: int
    k: int
    group_of_unit: np.ndarray  # −1 when the unit is in no pair
    pop: np.ndarray  # per group
    unit_pop: np.ndarray  # per original unit
    p_group: np.ndarray
    p_site: np.ndarray  # 0..n_existing+n_cand-1
    p_cost: np.ndarray
    p_time: np.ndarray
    cap: np.ndarray  # per site, people
    offset: float
    penalty: float = 0.0  # median: cost of one unassigned person (s)

    @property
    def n_groups(self) -> int:
        return self.pop.size

    @property
    def n_sites(self) -> int:
        return self.n_existing + self.n_cand

    def value(self, x: np.ndarray) -> float:
        return float(np.dot(self.p_cost, x) + self.offset)

    def transport(self, chosen: np.ndarray, time_limit_s: float = 3600.0) -> np.ndarray:
        """Exact optimal assignment (transportation LP) with the existing sites and ``chosen`` open."""
        return self._transport(chosen, time_limit_s)[0]

    def _transport(self, chosen: np.ndarray, time_limit_s: float = 3600.0,
                   shrink: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Assignment and unit duals of the transportation LP with ``chosen`` open.

        ``shrink`` lowers each group's population by that fraction: the duals of the perturbed
        LP are optimal duals of the exact one that maximise Σ shrink·P·u (LP sensitivity), used
        to make Benders cuts as strong as possible where candidates are.
        """
        is_open = np.zeros(self.n_sites, dtype=bool)
        is_open[: self.n_existing] = True
        is_open[self.n_existing + np.asarray(chosen, dtype=np.int64)] = True
        cols = np.flatnonzero(is_open[self.p_site] & (self.p_cost < 0))
        x = np.zeros(self.p_cost.size)
        if cols.size == 0:
            return x, np.zeros(self.n_groups)
        g, s = self.p_group[cols], self.p_site[cols]
        ar = np.arange(cols.size)
        a = sp.csc_matrix((np.ones(2 * cols.size), (np.r_[g, self.n_groups + s], np.r_[ar, ar])),
                          shape=(self.n_groups + self.n_sites, cols.size))
        h = _new_highs()
        _highs.limit(h, time_limit_s)
        h.setOptionValue("solver", "simplex")
        pop = self.pop if shrink is None else self.pop * (1.0 - shrink)
        upper = np.minimum(pop[g], self.cap[s])
        _pass_model(h, self.p_cost[cols], np.zeros(cols.size), upper, a,
                    np.full(self.n_groups + self.n_sites, -np.inf), np.r_[pop, self.cap])
        h.run()
        if not _is_optimal(h):
            raise RuntimeError(f"transportation LP not solved: {_status_fr(h)}")
        x[cols] = np.asarray(h.getSolution().col_value, dtype=float)
        # Row duals of "≤" rows in a minimisation are ≤ 0: u = −dual is the value of one more person.
        u = np.maximum(-np.asarray(h.getSolution().row_dual, dtype=float)[: self.n_groups], 0.0)
        return self.repair(x), u

    def cut_duals(self, chosen: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Maximal 0/1 unit duals of a max-flow assignment (covering model, unit profits).

        A unit gets u = 0 when one more of its people could still be served, through a chain
        of reassignments (it is reachable from the source in the residual graph), u = 1
        otherwise: the minimum cut with the smallest source side. Measured on the Martinique
        benchmark, its cuts prove k = 5 optimal in a fifth of the time of the LP solver's duals.
        """
        is_open = np.zeros(self.n_sites, dtype=bool)
        is_open[: self.n_existing] = True
        is_open[self.n_existing + np.asarray(chosen, dtype=np.int64)] = True
        live = is_open[self.p_site]
        upper = np.minimum(self.pop[self.p_group], self.cap[self.p_site])
        eps = 1e-7 * np.maximum(1.0, upper)
        forward = live & (x < upper - eps)  # unit → site: more of it can go there
        backward = live & (x > eps)  # site → unit: someone there can be moved elsewhere
        left = self.pop - np.bincount(self.p_group, weights=x, minlength=self.n_groups)
        sources = np.flatnonzero(left > 1e-7 * np.maximum(1.0, self.pop))
        n_g = self.n_groups
        n = 1 + n_g + self.n_sites  # node 0 is the source
        rows = np.r_[np.zeros(sources.size, dtype=np.int64), 1 + self.p_group[forward], 1 + n_g + self.p_site[backward]]
        cols = np.r_[1 + sources, 1 + n_g + self.p_site[forward], 1 + self.p_group[backward]]
        graph = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
        reached = np.zeros(n, dtype=bool)
        reached[breadth_first_order(graph, 0, directed=True, return_predecessors=False)] = True
        return (~reached[1:1 + n_g]).astype(float)

    def site_terms(self, u: np.ndarray) -> np.ndarray:
        """Per site j, min over v ≥ 0 of C_j v + Σ_i U_ij (π_ij − u_i − v)⁺ (U = min(P, C), π = −cost).

        With the unit duals u fixed, this is the cheapest dual completion for site j, so that
        F(S) ≤ Σ_i P_i u_i + Σ_{j ∈ S} term_j for every set S of open sites (LP duality), with
        equality at the S whose optimal duals u are. The minimum of this convex piecewise-linear
        function of v is at v = 0 or at a breakpoint π_ij − u_i; all breakpoints are evaluated at
        once, per site, after sorting.
        """
        r = -self.p_cost - u[self.p_group]
        live = np.flatnonzero(r > 0)
        terms = np.zeros(self.n_sites)
        if live.size == 0:
            return terms
        site, r = self.p_site[live], r[live]
        weight = np.minimum(self.pop[self.p_group[live]], self.cap[site])
        order = np.lexsort((-r, site))
        site, r, weight = site[order], r[order], weight[order]
        cum_w = np.cumsum(weight)
        cum_wr = np.cumsum(weight * r)
        starts = np.searchsorted(site, np.arange(self.n_sites), side="left")
        ends = np.searchsorted(site, np.arange(self.n_sites), side="right")
        base_w = np.where(starts > 0, cum_w[np.maximum(starts - 1, 0)], 0.0)
        base_wr = np.where(starts > 0, cum_wr[np.maximum(starts - 1, 0)], 0.0)
        # v = 0: the whole sum; v = r_p: C v + Σ_{pairs before p in the site's order} w (r − r_p).
        terms = np.where(ends > starts, cum_wr[np.maximum(ends - 1, 0)] - base_wr, 0.0)
        before_w = np.r_[0.0, cum_w[:-1]] - base_w[site]
        before_wr = np.r_[0.0, cum_wr[:-1]] - base_wr[site]
        at_break = self.cap[site] * r + before_wr - r * before_w
        np.minimum.at(terms, site, at_break)
        return np.maximum(terms, 0.0)

    def repair(self, x: np.ndarray) -> np.ndarray:
        """Clip flows so that no capacity and no population is exceeded, even by LP tolerances."""
        x = np.maximum(np.asarray(x, dtype=float), 0.0)
        served = np.bincount(self.p_site, weights=x, minlength=self.n_sites)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(served > self.cap, self.cap / np.where(served > 0, served, 1.0), 1.0)
        x = x * f[self.p_site]
        assigned = np.bincount(self.p_group, weights=x, minlength=self.n_groups)
        with np.errstate(divide="ignore", invalid="ignore"):
            f = np.where(assigned > self.pop, self.pop / np.where(assigned > 0, assigned, 1.0), 1.0)
        return x * f[self.p_group]

    # ---- heuristics -----------------------------------------------------------------------

    def greedy(self, kind: str, base: np.ndarray) -> np.ndarray:
        """Greedy choice of up to k candidates from the existing sites' exact assignment ``base``.

        maxcover: gain of a candidate = min(capacity, unserved people it reaches); its people are
        then taken off (all, or pro rata when its capacity is short). median: gain = the largest
        saving its capacity can buy, people taken in decreasing order of saving per person (from
        the unit's current mean cost, the penalty counting for its unserved people).
        """
        cand = self.p_site >= self.n_existing
        cg, cc = self.p_group[cand], self.p_site[cand] - self.n_existing
        ct = self.p_time[cand]
        assigned = np.bincount(self.p_group, weights=base, minlength=self.n_groups)
        left = np.maximum(self.pop - assigned, 0.0)
        cap = self.cap[self.n_existing:]
        chosen: list[int] = []
        if kind == "median":
            penalty = self.penalty
            spent = np.bincount(self.p_group, weights=base * self.p_time, minlength=self.n_groups)
            with np.errstate(invalid="ignore", divide="ignore"):
                cur = np.where(self.pop > 0, (spent + penalty * left) / np.where(self.pop > 0, self.pop, 1.0), 0.0)
        for _ in range(self.k):
            if kind == "maxcover":
                gain = np.minimum(cap, np.bincount(cc, weights=left[cg], minlength=self.n_cand))
            else:
                saving = np.maximum(cur[cg] - ct, 0.0)
                order = np.lexsort((-saving, cc))
                people = self.pop[cg][order]
                cum = np.cumsum(people)
                starts = np.searchsorted(cc[order], np.arange(self.n_cand), side="left")
                before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)[cc[order]]
                take = np.clip(cap[cc[order]] - (cum - people - before), 0.0, people)
                take_all = np.empty_like(take)
                take_all[order] = take
                gain = np.bincount(cc, weights=take_all * saving, minlength=self.n_cand)
            if chosen:
                gain[chosen] = -1.0
            best = int(np.argmax(gain))
            if gain[best] <= 0:
                break
            chosen.append(best)
            mine = cc == best
            g = cg[mine]
            if kind == "maxcover":
                total = left[g].sum()
                left[g] = 0.0 if total <= cap[best] else left[g] * (1.0 - cap[best] / total)
            else:
                cur[g] = cur[g] - take_all[mine] * saving[mine] / np.where(self.pop[g] > 0, self.pop[g], 1.0)
        return np.array(sorted(chosen), dtype=np.int64)


def _build(kind: str, times_existing, times_candidates, population, capacity_existing, k, capacity_new,
           limit_s: float | None, penalty_s: float | None, merge: bool) -> tuple[_Model, list[Notice]]:
    pop = _check_population(population)
    n_units = pop.size
    re, ce, te, n_e = _pairs_of(times_existing, n_units, "lieux existants", limit_s)
    rc, cc, tc, n_c = _pairs_of(times_candidates, n_units, "candidats", limit_s)
    if n_c == 0:
        raise InputError("aucun emplacement candidat", "ajoutez des emplacements candidats", column="--candidates")
    k_eff = _check_k(k, n_c)
    cap = _check_capacities(capacity_existing, capacity_new, n_e, n_c)
    unit = np.r_[re, rc]
    site = np.r_[ce, n_e + cc]
    t = np.r_[te, tc]
    notices: list[Notice] = []
    penalty = 0.0
    if kind == "median":
        penalty = DEFAULT_PENALTY_S if penalty_s is None else float(penalty_s)
        if not np.isfinite(penalty) or penalty <= 0:
            raise InputError(f"pénalité {penalty_s} invalide", "indiquez une durée en secondes, strictement positive")
        slow = t >= penalty
        if slow.any():
            notices.append(Notice("pairs_over_penalty",
                                  f"{plural(int(slow.sum()), 'trajet plus long', 'trajets plus longs')} "
                                  "que la pénalité "
                                  f"({fmt_int(penalty / 60)} min) ignorés : un habitant non affecté compte autant",
                                  count=int(slow.sum())))
    else:
        slow = np.zeros(t.size, dtype=bool)
    keep = (pop[unit] > 0) & ~slow
    unit, site, t = unit[keep], site[keep], t[keep]
    if merge:
        group_of_unit = _merge_identical(unit, site, n_units, n_e + n_c)
    else:
        present = np.zeros(n_units, dtype=bool)
        present[unit] = True
        group_of_unit = np.where(present, np.cumsum(present) - 1, -1)
    n_groups = int(group_of_unit.max()) + 1 if unit.size else 0
    members = group_of_unit >= 0
    gpop = np.bincount(group_of_unit[members], weights=pop[members], minlength=n_groups)
    # One pair per (group, site): the first unit of each group stands for it (same sets when merged).
    first_unit = np.full(n_groups, -1, dtype=np.int64)
    idx = np.flatnonzero(members)
    first_unit[group_of_unit[idx[::-1]]] = idx[::-1]
    rep = first_unit[group_of_unit[unit]] == unit
    p_group, p_site, p_time = group_of_unit[unit[rep]], site[rep], t[rep]
    if kind == "maxcover":
        cost = -np.ones(p_group.size)
        offset = 0.0
    else:
        cost = p_time - penalty
        offset = penalty * float(pop.sum())
    model = _Model(n_units=n_units, n_existing=n_e, n_cand=n_c, k=k_eff, group_of_unit=group_of_unit, pop=gpop,
                   unit_pop=pop, p_group=p_group, p_site=p_site, p_cost=cost, p_time=p_time, cap=cap, offset=offset,
                   penalty=penalty)
    return model, notices


def _solve_compact(model: _Model, kind: str, time_limit_s: float, t0: float):
    """The compact MILP (y and every x): greedy, LP tightened by violated x ≤ min(P, C) y rows,
    rounding, then the whole MILP from the best incumbent. Returns internal (minimisation)
    figures: sites, x, objective, bound, optimal, status, heuristic objective."""
    deadline = t0 + float(time_limit_s)

    def remaining():
        return max(deadline - time.perf_counter(), 0.01)

    def tol(value):
        return REL_TOL * max(1.0, abs(value))

    # Assignments of given sites are never cut short by the time limit: an incumbent needs its own.
    base = model.transport(np.zeros(0, dtype=np.int64))
    greedy_sites = model.greedy(kind, base)
    x_best = model.transport(greedy_sites)
    best_sites, best_value = greedy_sites, model.value(x_best)
    heuristic = best_value

    n_c, n_p, n_g, n_e = model.n_cand, model.p_cost.size, model.n_groups, model.n_existing
    if n_p == 0:
        return best_sites, x_best, best_value, best_value, True, "rien à affecter", heuristic
    # Columns: y (n_c) then x (n_p). Rows: units, sites, cardinality.
    cand_pair = model.p_site >= n_e
    pc = np.flatnonzero(cand_pair)
    cc = model.p_site[pc] - n_e
    ar = np.arange(n_p)
    # Blocks: x in its unit row, x in its site row, -C_c y_c in candidate c's capacity row, Σ y ≤ k.
    cap_c = model.cap[n_e:]
    rows = np.r_[model.p_group, n_g + model.p_site, n_g + n_e + np.arange(n_c), np.full(n_c, n_g + model.n_sites)]
    cols = np.r_[n_c + ar, n_c + ar, np.arange(n_c), np.arange(n_c)]
    vals = np.r_[np.ones(2 * n_p), -cap_c, np.ones(n_c)]
    a = sp.csc_matrix((vals, (rows, cols)), shape=(n_g + model.n_sites + 1, n_c + n_p))
    row_upper = np.r_[model.pop, model.cap[:n_e], np.zeros(n_c), [model.k]]
    x_upper = np.minimum(model.pop[model.p_group], model.cap[model.p_site])
    h = _new_highs()
    h.setOptionValue("solver", "simplex")
    h.setOptionValue("presolve", "off")
    _pass_model(h, np.r_[np.zeros(n_c), model.p_cost], np.zeros(n_c + n_p), np.r_[np.ones(n_c), x_upper], a,
                np.full(a.shape[0], -np.inf), row_upper, model.offset)
    # LP relaxation, tightened by the violated x ≤ min(P, C) y inequalities, round after round.
    vub = x_upper[pc]
    added = np.zeros(pc.size, dtype=bool)
    lp_bound, lp_done, y = -np.inf, False, None
    while time.perf_counter() < deadline:
        _highs.limit(h, remaining())
        h.run()
        if not _is_optimal(h):
            break
        sol = np.asarray(h.getSolution().col_value, dtype=float)
        lp_bound = float(h.getInfo().objective_function_value)
        y, x = sol[:n_c], sol[n_c:]
        viol = (x[pc] - vub * y[cc] > 1e-6 * np.maximum(1.0, vub)) & ~added
        if not viol.any():
            lp_done = True
            break
        pick = np.flatnonzero(viol)
        if pick.size > MAX_CUTS_PER_ROUND:
            depth = (x[pc] - vub * y[cc])[pick]
            pick = pick[np.argsort(-depth)[:MAX_CUTS_PER_ROUND]]
        added[pick] = True
        m = sp.csr_matrix((np.r_[np.ones(pick.size), -vub[pick]],
                           (np.r_[np.arange(pick.size), np.arange(pick.size)], np.r_[n_c + pc[pick], cc[pick]])),
                          shape=(pick.size, n_c + n_p))
        m.sort_indices()
        h.addRows(int(pick.size), np.full(pick.size, -np.inf), np.zeros(pick.size), int(m.nnz),
                  m.indptr[:-1].astype(np.int32), m.indices.astype(np.int32), m.data.astype(np.float64))
    if not lp_done:
        bound = lp_bound if np.isfinite(lp_bound) else -np.inf
        return best_sites, x_best, best_value, bound, False, \
            "limite de temps atteinte pendant la relaxation linéaire : solution heuristique", heuristic
    # Rounding: the k candidates the LP opens most (ties: most people served there).
    served_c = np.bincount(cc, weights=x[pc], minlength=n_c)
    order = np.lexsort((-served_c, -y))
    rounded = np.sort(order[: model.k][y[order[: model.k]] > 1e-9])
    if rounded.size and not np.array_equal(rounded, best_sites):
        x_r = model.transport(rounded)
        if model.value(x_r) < best_value - tol(best_value):
            best_sites, x_best, best_value = rounded, x_r, model.value(x_r)
    if best_value <= lp_bound + tol(best_value):
        return best_sites, x_best, best_value, lp_bound, True, \
            "optimal (borne de la relaxation linéaire atteinte)", heuristic
    # The MILP, from the best incumbent.
    h.changeColsIntegrality(n_c, np.arange(n_c, dtype=np.int32),
                            np.full(n_c, highspy.HighsVarType.kInteger))
    h.setOptionValue("presolve", "on")
    h.setOptionValue("solver", "choose")
    h.setOptionValue("mip_rel_gap", REL_TOL)
    h.setOptionValue("mip_abs_gap", 1e-9)
    _highs.limit(h, remaining())
    y0 = np.zeros(n_c)
    y0[best_sites] = 1.0
    h.setSolution(int(n_c + n_p), np.arange(n_c + n_p, dtype=np.int32), np.r_[y0, x_best])
    _stop_at(h, deadline)
    h.run()
    info = h.getInfo()
    status = "limite de temps atteinte" if time.perf_counter() >= deadline else _status_fr(h)
    optimal = _is_optimal(h)
    bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else lp_bound
    bound = max(bound, lp_bound)
    if info.primal_solution_status >= 1:
        sites = np.flatnonzero(np.asarray(h.getSolution().col_value, dtype=float)[:n_c] > 0.5)
        if not np.array_equal(sites, best_sites):
            x_m = model.transport(sites)  # the exact assignment of the MILP's sites
            if model.value(x_m) < best_value:
                best_sites, x_best, best_value = sites, x_m, model.value(x_m)
    bound = min(bound, best_value)
    if optimal and best_value > bound + tol(best_value) * 10:
        optimal = False  # never claim a solution the bound does not back
        status = "solution non prouvée optimale (écart à la borne)"
    return best_sites, x_best, best_value, bound, optimal, status, heuristic


def _shrink(model: _Model) -> np.ndarray | None:
    """The perturbation of the groups' populations whose duals make the strongest cuts when duals tie:
    units appearing in many candidate pairs get the largest."""
    cand = model.p_site >= model.n_existing
    omega = np.bincount(model.p_group[cand], weights=np.minimum(model.pop[model.p_group[cand]],
                                                                  model.cap[model.p_site[cand]]),
                        minlength=model.n_groups)
    return 1e-6 * omega / omega.max() if omega.size and omega.max() > 0 else None


def _cut_at(model: _Model, kind: str, sites: np.ndarray, x: np.ndarray, f: float,
            shrink: np.ndarray | None) -> tuple[float, np.ndarray]:
    """The Benders cut θ ≤ a + Σ_c b_c y_c exact at ``sites`` (profit ``f``, assignment ``x``): ``(a, b)``.

    Duals: maximal min-cut ones (covering), else the perturbed LP's, which must give a cut exact at
    ``sites`` (LP sensitivity holds only for a small enough perturbation): if not, the plain LP duals."""
    n_e = model.n_existing
    options = [lambda: model.cut_duals(sites, x)] if kind == "maxcover" else []
    if shrink is not None:
        options.append(lambda: model._transport(sites, shrink=shrink)[1])
    options.append(lambda: model._transport(sites)[1])
    best_cut = None
    for make in options:
        u = make()
        terms = model.site_terms(u)
        a = float(np.dot(model.pop, u) + terms[:n_e].sum())
        excess = a + terms[n_e:][sites].sum() - f
        if best_cut is None or excess < best_cut[0]:
            best_cut = (excess, a, terms[n_e:])
        if excess <= REL_TOL * max(1.0, abs(f), abs(a)):
            break
    return best_cut[1:]


def _tied_benders(model: _Model, kind: str, chosen, time_limit_s: float) -> Alternatives:
    """Other sets of as many candidates whose exact assignment is as good as ``chosen``'s, by the Benders
    master: binary y with Σ y = |chosen|, θ ≥ F(chosen), the cuts of every set met, and one no-good cut
    per tied set. A proposed set is evaluated exactly (transportation LP): tied, it is kept and cut off;
    else its cut (exact there) excludes it. Infeasible master: no other set (proven)."""
    deadline = time.perf_counter() + float(time_limit_s)
    chosen = np.sort(np.asarray(chosen, dtype=np.int64))
    n_c = model.n_cand
    if chosen.size == 0 or n_c <= chosen.size:
        return Alternatives(complete=True, status="aucun autre choix possible")
    shrink = _shrink(model)
    x = model.transport(chosen)
    best = -float(np.dot(model.p_cost, x))
    tol = REL_TOL * max(1.0, abs(best)) + 1e-6
    inf = highspy.kHighsInf
    h = _new_highs()
    h.addVars(n_c + 1, np.zeros(n_c + 1), np.r_[np.ones(n_c), inf])
    h.changeColsBounds(1, np.array([n_c], dtype=np.int32), np.array([best - tol]), np.array([inf]))
    h.addRow(float(chosen.size), float(chosen.size), n_c, np.arange(n_c, dtype=np.int32), np.ones(n_c))
    h.changeColsIntegrality(n_c, np.arange(n_c, dtype=np.int32), np.full(n_c, highspy.HighsVarType.kInteger))
    _stop_at(h, deadline)

    def add_cut(sites, x, f):
        a, b = _cut_at(model, kind, sites, x, f, shrink)
        nz = np.flatnonzero(b > 0)
        idx = np.r_[nz, n_c].astype(np.int32)
        h.addRow(-inf, a, int(idx.size), idx, np.r_[-b[nz], 1.0])

    def no_good(sites):
        h.addRow(-inf, float(sites.size - 1), int(sites.size), sites.astype(np.int32), np.ones(sites.size))

    add_cut(chosen, x, best)
    no_good(chosen)
    found: list[np.ndarray] = []
    while True:
        if time.perf_counter() >= deadline:
            return Alternatives(found, False, status="limite de temps atteinte")
        if len(found) >= MOST_TIED:
            return Alternatives(found, False, status=f"{MOST_TIED} solutions trouvées, recherche arrêtée")
        _highs.limit(h, deadline - time.perf_counter())
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            return Alternatives(found, True, status="aucune autre solution (prouvé par le solveur)")
        if h.getInfo().primal_solution_status < 1:
            return Alternatives(found, False, status=_status_fr(h))
        sites = np.flatnonzero(np.asarray(h.getSolution().col_value, dtype=float)[:n_c] > 0.5)
        x = model.transport(sites)
        f = -float(np.dot(model.p_cost, x))
        if f >= best - tol:
            found.append(sites)
            no_good(sites)
        else:
            add_cut(sites, x, f)


def _solve_benders(model: _Model, kind: str, time_limit_s: float, t0: float):
    """Benders decomposition on the assignment: a master over the site variables only.

    For open sites S the best assignment is a transportation LP, F(S) its profit (people served;
    for the median, Σ (M − t) x). Its unit duals u give, through :meth:`_Model.site_terms`, the
    cut θ ≤ Σ_i P_i u_i + Σ_{j ∈ E} term_j + Σ_c term_c y_c, valid for every y and exact at S.
    The master maximises θ over y (Σ y ≤ k) under the cuts found: its optimum bounds F from
    above, and it stops when it proposes a set whose exact F meets that bound. Cuts are taken at
    the greedy sets, then at top-k roundings of the master's LP relaxation (moved toward the
    incumbent when they repeat), then at each MILP master optimum, the master pruned by the
    incumbent. Returns internal (minimisation) figures like :func:`_solve_compact`.
    """
    deadline = t0 + float(time_limit_s)

    def remaining():
        return max(deadline - time.perf_counter(), 0.01)

    def tol(value):
        return REL_TOL * max(1.0, abs(value))

    n_c = model.n_cand
    profit_total = model.offset  # Z = offset − F
    shrink = _shrink(model)
    cuts: dict[tuple, tuple[float, np.ndarray]] = {}

    def evaluate(sites):
        sites = np.sort(np.asarray(sites, dtype=np.int64))
        key = tuple(sites.tolist())
        x = model.transport(sites)  # never cut short: an incumbent needs its exact assignment
        f = -float(np.dot(model.p_cost, x))
        if key not in cuts:
            cuts[key] = _cut_at(model, kind, sites, x, f, shrink)
        return sites, x, f, key

    base = model.transport(np.zeros(0, dtype=np.int64))
    greedy_sites = model.greedy(kind, base)
    best_sites, best_x, best_f = None, None, -np.inf
    for i in range(greedy_sites.size + 1):
        sites, x, f, _ = evaluate(greedy_sites[:i])
        if f > best_f:
            best_sites, best_x, best_f = sites, x, f
    heuristic = profit_total - best_f

    h = _new_highs()
    inf = highspy.kHighsInf
    h.setOptionValue("solver", "simplex")
    h.addVars(n_c + 1, np.zeros(n_c + 1), np.r_[np.ones(n_c), inf])
    h.changeColsCost(1, np.array([n_c], dtype=np.int32), np.array([-1.0]))  # max θ
    h.addRow(-inf, float(model.k), n_c, np.arange(n_c, dtype=np.int32), np.ones(n_c))
    added: set = set()

    def add_cuts():
        for key, (a, b) in cuts.items():
            if key in added:
                continue
            nz = np.flatnonzero(b > 0)
            idx = np.r_[nz, n_c].astype(np.int32)
            h.addRow(-inf, a, int(idx.size), idx, np.r_[-b[nz], 1.0])
            added.add(key)

    add_cuts()
    bound_f, status, optimal = np.inf, "", False
    # LP phase: the master's LP relaxation, cut at its top-k rounding (moved halfway toward the
    # incumbent when the rounding repeats) until it stalls, meets the incumbent or time runs out.
    seen: set = set()
    for _ in range(200):
        if time.perf_counter() >= deadline:
            break
        _highs.limit(h, remaining())
        h.run()
        if not _is_optimal(h):
            break
        sol = np.asarray(h.getSolution().col_value, dtype=float)
        bound_f = min(bound_f, -float(h.getInfo().objective_function_value))
        y = sol[:n_c]
        pick = np.sort(np.argsort(-y, kind="stable")[: model.k])
        if tuple(pick.tolist()) in seen:
            core = np.zeros(n_c)
            core[best_sites] = 1.0
            pick = np.sort(np.argsort(-(0.5 * y + 0.5 * core), kind="stable")[: model.k])
            if tuple(pick.tolist()) in seen:
                break
        seen.add(tuple(pick.tolist()))
        sites, x, f, _ = evaluate(pick)
        if locate_debug():
            print(f"LP bound={bound_f:.6g} F={f:.6g} best={best_f:.6g} t={time.perf_counter() - t0:.1f}s",
                  file=sys.stderr)
        if f > best_f + tol(best_f):
            best_sites, best_x, best_f = sites, x, f
        if best_f >= bound_f - tol(best_f):
            break
        add_cuts()
    if best_f >= bound_f - tol(best_f):
        return best_sites, best_x, profit_total - best_f, profit_total - best_f, True, \
            "optimal (borne de la relaxation linéaire atteinte)", heuristic
    # MILP phase: the master with integral y, cuts added at each of its optima.
    h.changeColsIntegrality(n_c, np.arange(n_c, dtype=np.int32), np.full(n_c, highspy.HighsVarType.kInteger))
    h.setOptionValue("presolve", "on")
    h.setOptionValue("solver", "choose")
    h.setOptionValue("mip_rel_gap", REL_TOL)
    h.setOptionValue("mip_abs_gap", 1e-9)
    status = "limite de temps atteinte"
    # For the first 60 % of the time left, the master stops at its first solution better than
    # the incumbent (by its cuts): evaluating it adds a cut sooner than proving the master's
    # optimum would (measured: better incumbents). Then it is solved in full, for a bound. Only
    # when it finds nothing better is the incumbent optimal; a master stopped by the time limit
    # leaves its dual bound.
    lazy_until = time.perf_counter() + 0.6 * remaining()
    _stop_at(h, deadline)
    while time.perf_counter() < deadline:
        add_cuts()
        h.setOptionValue("mip_max_improving_sols", 1 if time.perf_counter() < lazy_until else 2**31 - 1)
        h.setOptionValue("objective_bound", -best_f)  # prune what cannot beat the incumbent
        _highs.limit(h, remaining())
        h.run()
        info = h.getInfo()
        model_status = h.getModelStatus()
        master_optimal = model_status == highspy.HighsModelStatus.kOptimal
        early = model_status == highspy.HighsModelStatus.kSolutionLimit
        has_solution = info.primal_solution_status >= 1
        theta = float(np.asarray(h.getSolution().col_value, dtype=float)[n_c]) if has_solution else -np.inf
        if not early and np.isfinite(info.mip_dual_bound):
            bound_f = min(bound_f, max(-float(info.mip_dual_bound), best_f))
        if (master_optimal or model_status in (highspy.HighsModelStatus.kInfeasible,
                                               highspy.HighsModelStatus.kObjectiveBound)) \
                and theta <= best_f + tol(best_f):
            bound_f, optimal = best_f, True  # no set beats the incumbent, by cuts exact at every set met
            break
        if not (early or master_optimal) or not has_solution:
            status = "limite de temps atteinte" if time.perf_counter() >= deadline else _status_fr(h)
            break
        if early and theta <= best_f + tol(best_f):
            lazy_until = 0.0  # stopped on a set no better than the incumbent: solve in full from now on
            continue
        sol = np.asarray(h.getSolution().col_value, dtype=float)
        sites, x, f, key = evaluate(np.flatnonzero(sol[:n_c] > 0.5))
        if locate_debug():
            print(f"master θ={theta:.6g} F={f:.6g} best={best_f:.6g} bound={bound_f:.6g} cuts={len(cuts)} "
                  f"{h.modelStatusToString(model_status)} t={time.perf_counter() - t0:.1f}s", file=sys.stderr)
        if f > best_f + tol(best_f):
            best_sites, best_x, best_f = sites, x, f
        elif key in added:
            status = "arrêt : coupe déjà présente (tolérance numérique)"
            break
    if optimal:
        return best_sites, best_x, profit_total - best_f, profit_total - best_f, True, \
            "optimal (prouvé : décomposition de Benders, HiGHS)", heuristic
    return best_sites, best_x, profit_total - best_f, profit_total - min(bound_f, np.inf), False, status, heuristic


def _result(model: _Model, kind: str, sites, x, value, bound, optimal, status, heuristic, t0,
            notices: list[Notice]) -> CapacitatedResult:
    # Expand group flows to units, pro rata of their population.
    units = np.flatnonzero(model.group_of_unit >= 0)
    g_of = model.group_of_unit[units]
    order = np.argsort(g_of, kind="stable")
    units, g_of = units[order], g_of[order]
    g_start = np.searchsorted(g_of, np.arange(model.n_groups), side="left")
    g_count = np.bincount(g_of, minlength=model.n_groups)
    used = np.flatnonzero(x > 0)
    rep_count = g_count[model.p_group[used]]
    pair_idx = np.repeat(used, rep_count)
    offset_in_group = np.arange(pair_idx.size) - np.repeat(np.cumsum(rep_count) - rep_count, rep_count)
    member = units[g_start[model.p_group[pair_idx]] + offset_in_group]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = model.unit_pop[member] / model.pop[model.p_group[pair_idx]]
    flow = x[pair_idx] * share
    assignment = sp.csr_matrix((flow, (member, model.p_site[pair_idx])), shape=(model.n_units, model.n_sites))
    served = np.bincount(model.p_site, weights=x, minlength=model.n_sites)
    assigned_unit = np.asarray(assignment.sum(axis=1)).ravel()
    unassigned = np.maximum(model.unit_pop - assigned_unit, 0.0)
    total_flow = float(x.sum())
    mean_time = float(np.dot(model.p_time, x) / total_flow / 60.0) if total_flow > 0 else float("nan")
    if kind == "maxcover":
        objective, bound_out, heur = -value, -bound, -heuristic
    else:
        objective, bound_out, heur = value, bound, heuristic
    reachable = model.group_of_unit >= 0
    open_site = np.zeros(model.n_sites, dtype=bool)
    open_site[:model.n_existing] = True
    open_site[model.n_existing + np.asarray(sites, dtype=np.int64)] = True
    open_site &= model.cap > 0  # a site of capacity 0 (or unknown) serves nobody: it does not put people in reach
    reachable_open = reachable & np.isin(model.group_of_unit, np.unique(model.p_group[open_site[model.p_site]]))
    short = float(unassigned[reachable_open].sum())
    if unassigned.sum() > 0:
        notices.append(Notice("unassigned",
                              f"{plural(unassigned.sum(), 'habitant non affecté', 'habitants non affectés')} : "
                              f"{fmt_int(unassigned[~reachable_open].sum())} hors de portée des lieux ouverts de "
                              f"capacité non nulle, {fmt_int(short)} faute de capacité"
                              + (f" ; comptés à {fmt_int(model.penalty / 60)} min chacun" if kind == "median" else "")))
    if kind == "median":
        n_open = model.n_existing + sites.size
        max_t = float(model.p_time.max()) if model.p_time.size else 0.0
        if model.penalty <= n_open * max_t:
            notices.append(Notice("penalty_not_dominant",
                                  f"pénalité ({fmt_int(model.penalty / 60)} min) inférieure à {n_open} × le plus "
                                  f"long trajet ({fmt_int(max_t / 60)} min) : l'affectation minimise le temps total, "
                                  "pénalités comprises, sans garantir de servir le plus d'habitants possible"))
    if not optimal:
        notices.append(Notice("not_optimal", f"solution non prouvée optimale ({status}) : écart maximal de "
                                             f"{fmt_pct(_rel_gap(objective, bound_out), 2)} à la borne"))
    return CapacitatedResult(model=kind, chosen=np.sort(np.asarray(sites, dtype=np.int64)), objective=objective,
                             bound=bound_out, gap=0.0 if optimal else _rel_gap(objective, bound_out), optimal=optimal,
                             status=status, seconds=time.perf_counter() - t0, heuristic_objective=heur,
                             assignment=assignment, served=served, capacity=model.cap, unassigned=unassigned,
                             mean_time_min=mean_time, notices=notices, reachable=reachable,
                             reachable_open=reachable_open)


_SOLVERS = {"benders": _solve_benders, "compact": _solve_compact}


def compact_arrays(model: _Model) -> _highs.Arrays:
    """The compact MILP of ``model`` as arrays (candidates' y first, then every pair's x; minimise), with
    the x ≤ min(P, C) y rows of every candidate pair: what :func:`access30.locate.alternatives.tied_sets`
    cuts."""
    n_c, n_p, n_g, n_e = model.n_cand, model.p_cost.size, model.n_groups, model.n_existing
    ar = np.arange(n_p)
    pc = np.flatnonzero(model.p_site >= n_e)
    x_upper = np.minimum(model.pop[model.p_group], model.cap[model.p_site])
    base = n_g + model.n_sites + 1
    rows = np.r_[model.p_group, n_g + model.p_site, n_g + n_e + np.arange(n_c), np.full(n_c, n_g + model.n_sites),
                 base + np.arange(pc.size), base + np.arange(pc.size)]
    cols = np.r_[n_c + ar, n_c + ar, np.arange(n_c), np.arange(n_c), n_c + pc, model.p_site[pc] - n_e]
    vals = np.r_[np.ones(2 * n_p), -model.cap[n_e:], np.ones(n_c), np.ones(pc.size), -x_upper[pc]]
    a = sp.csc_matrix((vals, (rows, cols)), shape=(base + pc.size, n_c + n_p))
    row_upper = np.r_[model.pop, model.cap[:n_e], np.zeros(n_c), [model.k], np.zeros(pc.size)]
    return _highs.Arrays(np.r_[np.zeros(n_c), model.p_cost], np.zeros(n_c + n_p), np.r_[np.ones(n_c), x_upper], a,
                         np.full(a.shape[0], -np.inf), row_upper, np.r_[np.ones(n_c), np.zeros(n_p)],
                         maximize=False, offset=model.offset)


def _tied(model: _Model, kind: str, chosen, time_limit_s: float, formulation: str = "benders") -> Alternatives:
    """Other sets of as many candidates with the same optimal assignment value: by the Benders master
    (:func:`_tied_benders`), or on the compact MILP (:func:`access30.locate.alternatives.tied_sets`)."""
    chosen = np.asarray(chosen, dtype=np.int64)
    if formulation == "benders":
        return _tied_benders(model, kind, chosen, time_limit_s)
    value = model.value(model.transport(chosen))
    return tied_sets(compact_arrays(model), model.n_cand, chosen, value, time_limit_s,
                     tolerance=REL_TOL * max(1.0, abs(value)))


def _check_formulation(formulation: str) -> str:
    if formulation not in _SOLVERS:
        raise ValueError(f"unknown formulation {formulation!r} (benders or compact)")
    return formulation


# --------------------------------------------------------------------------------------------
# Public models
# --------------------------------------------------------------------------------------------

class CapacitatedMaxCover:
    """Capacitated maximal covering: most people served within the threshold and within capacity.

    Parameters
    ----------
    times_existing : sparse matrix
        Units × existing sites, travel times in seconds; stored entries are the reachable pairs.
    times_candidates : sparse matrix
        Units × candidate sites, same convention.
    population : array_like
        People per unit.
    capacity_existing : array_like
        Capacity of each existing site, in people (see :func:`access30.coverage.fca.capacity_in_people`);
        an unknown (NaN) capacity is refused, never assumed.
    k : int
        Number of new sites (at most; fewer when more would serve nobody more).
    threshold_min : float or None
        Pairs are those stored with a time ≤ this (inclusive); None: every stored entry is a pair
        (for matrices already cut at a radius, whatever their values).
    capacity_new : float or array_like, optional
        Capacity in people of a new site (scalar or one per candidate). Default: the median of the
        existing capacities.
    time_limit_s : float
        For the whole solve.
    merge : bool
        Merge units with identical site sets first (exact: their people are interchangeable).
    formulation : {"benders", "compact"}
        ``"benders"`` (default): master over the site variables, assignment LPs as subproblems;
        ``"compact"``: every assignment variable in one MILP (small instances, cross-checks).

    Examples
    --------
    >>> result = CapacitatedMaxCover(t_sites, t_cand, pop, cap_people, k=3).solve()  # doctest: +SKIP
    >>> result.chosen, result.objective, result.optimal  # doctest: +SKIP
    """

    def __init__(self, times_existing, times_candidates, population, capacity_existing, k: int,
                 threshold_min: float | None = DEFAULT_THRESHOLD_MIN, capacity_new=None, time_limit_s: float = 60.0,
                 merge: bool = True, formulation: str = "benders"):
        self.times_existing = times_existing
        self.times_candidates = times_candidates
        self.population = population
        self.capacity_existing = capacity_existing
        self.k = k
        self.threshold_min = threshold_min
        self.capacity_new = capacity_new
        self.time_limit_s = float(time_limit_s)
        self.merge = merge
        self.formulation = _check_formulation(formulation)

    def solve(self) -> CapacitatedResult:
        """Solve the model (see the module docstring).

        Returns
        -------
        CapacitatedResult
            ``objective`` = people served; ``bound`` an upper bound on it.
        """
        t0 = time.perf_counter()
        limit = None if self.threshold_min is None else float(self.threshold_min) * 60.0 + EPS_S
        model, notices = _build("maxcover", self.times_existing, self.times_candidates, self.population,
                                self.capacity_existing, self.k, self.capacity_new, limit, None, self.merge)
        self._model, self._kind = model, "maxcover"
        out = _SOLVERS[self.formulation](model, "maxcover", self.time_limit_s, t0)
        result = _result(model, "maxcover", *out, t0, notices)
        if self.threshold_min is None:
            result.mean_time_min = float("nan")
        return result

    def alternatives(self, result: CapacitatedResult, time_limit_s: float) -> Alternatives:
        """Other sets of as many new sites serving as many people, found by the solver (no-good cuts);
        call after :meth:`solve`."""
        return _tied(self._model, self._kind, result.chosen, time_limit_s, self.formulation)


class CapacitatedMedian:
    """Capacitated p-median: lowest total travel time, every site serving at most its capacity.

    People who cannot be served (no stored pair, or no capacity left) count ``penalty_s`` each.

    Parameters
    ----------
    times_existing, times_candidates : sparse matrix
        Units × sites, seconds; stored entries are the pairs considered (e.g. within a search
        limit). Pairs slower than ``penalty_s`` are dropped.
    population : array_like
    capacity_existing : array_like
        In people; unknown (NaN) refused.
    k : int
        Number of new sites (at most).
    capacity_new : float or array_like, optional
        Default: the median of the existing capacities.
    penalty_s : float, optional
        Cost of one unassigned person, seconds (default 3 h).
    time_limit_s : float
    formulation : {"benders", "compact"}
        As for :class:`CapacitatedMaxCover`.

    Notes
    -----
    Units are not merged: identical time rows are rare on a road network.
    """

    def __init__(self, times_existing, times_candidates, population, capacity_existing, k: int,
                 capacity_new=None, penalty_s: float | None = None, time_limit_s: float = 60.0,
                 formulation: str = "benders"):
        self.times_existing = times_existing
        self.times_candidates = times_candidates
        self.population = population
        self.capacity_existing = capacity_existing
        self.k = k
        self.capacity_new = capacity_new
        self.penalty_s = penalty_s
        self.time_limit_s = float(time_limit_s)
        self.formulation = _check_formulation(formulation)

    def solve(self) -> CapacitatedResult:
        """Solve the model (see the module docstring).

        Returns
        -------
        CapacitatedResult
            ``objective`` = Σ time × people + penalty × unassigned people (person-seconds);
            ``bound`` a lower bound on it; ``mean_time_min`` over the people served.
        """
        t0 = time.perf_counter()
        model, notices = _build("median", self.times_existing, self.times_candidates, self.population,
                                self.capacity_existing, self.k, self.capacity_new, None, self.penalty_s, False)
        self._model, self._kind = model, "median"
        out = _SOLVERS[self.formulation](model, "median", self.time_limit_s, t0)
        return _result(model, "median", *out, t0, notices)

    def alternatives(self, result: CapacitatedResult, time_limit_s: float) -> Alternatives:
        """Other sets of as many new sites with the same optimal value, found by the solver (no-good cuts);
        call after :meth:`solve`."""
        return _tied(self._model, self._kind, result.chosen, time_limit_s, self.formulation)
