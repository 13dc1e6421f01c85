"""« Hors les murs »: the weekly round of one mobile team, chosen to bring the most residents within reach.

A mobile team (or a France Services bus) works ``half_days`` half-days a week as whole days:
⌈N/2⌉ days, each with a morning stop and an afternoon stop, the last day morning only when N is
odd. A fortnightly round (``weeks=2``) has twice as many stops, each seen every other week (weeks
A and B). Every stop is within ``max_drive_s`` of the base by car, both ways; the morning and
afternoon stops of a day are joined within the midday break (drive from the morning stop to the
afternoon stop at most ``break_s``). The round maximises the population of the units the existing
sites leave uncovered that some stop brings within the threshold.

The model is built from plain arrays (:meth:`TourModel.from_matrices`, as spopt's
``from_cost_matrix``) and solved exactly with HiGHS:

* a set of stops fits in the days when its compatibility graph (two stops compatible when one is
  reachable from the other within the break) has a matching of at least ``|stops| − days`` pairs
  (every stop beyond one per day shares a day); the number of two-stop days never binds then;
* reductions: units with the same candidate set merged, stops covering nobody dropped, and a stop
  dropped only when another covers a superset of its units *and* is compatible with every stop it
  is compatible with (:func:`pair_safe_dominated`) — plain set dominance is unsafe here;
* a greedy + swap heuristic that keeps every set it builds pairable gives the first round;
* ``"bound-first"`` (default): the maximal covering with as many stops as slots, the midday
  constraint left out, is solved first (at most half the time); its optimum is an upper bound, and
  when its stops fit in the days (a maximum matching) they are the optimal round — the usual case.
  Only otherwise is an exact model solved, warm-started from the best known round (after a greedy
  by days): the **days model**, a max covering whose sets are the *day options* — each compatible
  pair (the union of its two stops' units) and each stop alone — with at most ``days`` options and
  at most ``pair days`` pairs (:meth:`TourModel.days_arrays`); with more than
  :data:`MAX_DAY_OPTIONS` options, the stop-level pairs model instead;
* ``"days"``: the days model directly; ``"compact"``: the stop-level pairs model directly — max
  covering plus binary same-day pairs ``z_jk``, ``Σ_k z_jk ≤ y_j``, ``Σ y − Σ z ≤ days``
  (:meth:`TourModel.tour_arrays`). Both are kept for measurement (``scripts/bench_tour.py``): when the
  midday drive does not bind, the max covering bound proves the round many times faster; when it
  binds, the days model's relaxation (a pair's units counted once) is much tighter than the pairs
  model's, which may not close its gap within a minute.

Objective, best bound and gap are always reported; only a proven optimum is called optimal. When the
time limit stops the exact stages the best known round is returned with its gap, and the result says
whether it is the heuristic's.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np
import scipy.sparse as sp

from access30.base.errors import InputError
from access30.base.fmt import fmt_given, fmt_int, fmt_min, fmt_pct, plural, round_up_minutes
from access30.locate import _highs
from access30.locate._reduce import merge_units
from access30.locate._solve import Clock

AM, PM = "am", "pm"
FORMULATIONS = ("bound-first", "days", "compact")
#: Exact model of each formulation: max covering by day options, or stop-level pairs.
EXACT_MODEL = {"bound-first": "days", "days": "days", "compact": "pairs"}
#: Above this many day options (compatible pairs + stops) ``"bound-first"`` uses the pairs model.
MAX_DAY_OPTIONS = 20_000
#: Share of the time left that the max covering bound may take (the exact model gets the rest).
MAX_COVER_SHARE = 0.5
MAX_HALF_DAYS = 14  # seven days a week
#: HiGHS options per model: presolve off measured 1.3–3.7× faster on the max covering and days models
#: of scripts/bench_tour.py (16 and 20 stops; breaks of 2 and 3 min), slightly slower only on the easy ones.
MIP_OPTIONS = {"cover": {"presolve": "off"}, "days": {"presolve": "off"}}
#: Inclusive drive limits, as the coverage's thresholds (:data:`access30.coverage.rules.EPS_S`).
EPS_S = 1e-6

_NOTHING = "personne à couvrir : tous les habitants sont déjà à portée d'un lieu existant"
_NO_REACH = "aucun arrêt possible ne rapproche d'habitant non couvert"
_ALL = "optimal (tous les habitants que les arrêts possibles peuvent couvrir sont couverts)"
_BOUND = ("optimal (la meilleure couverture avec autant d'arrêts que de demi-journées s'organise en "
          "journées : trajet de midi respecté)")
_EXACT = "optimal (prouvé par HiGHS, trajet de midi compris)"


@dataclass
class TourResult:
    """The round of stops of one team and how good it is.

    Attributes
    ----------
    stops : ndarray of int
        Candidate indices (rows of ``cover``), in schedule order: week, day, morning then afternoon.
    week : ndarray of int
        0 for week A, 1 for week B (always 0 for a weekly round).
    day : ndarray of int
        Day of the week, 0 to ``days_per_week − 1`` (the caller names them lundi, mardi…).
    half_day : ndarray of str
        ``"am"`` (matin) or ``"pm"`` (après-midi).
    gain : ndarray of float
        Population newly covered by each stop, given the stops before it in schedule order.
    midday_s : ndarray of float
        For an afternoon stop, the drive from that day's morning stop; NaN for a morning stop.
    objective : float
        Population newly covered by the round (units not covered by existing sites).
    bound : float
        Best proven upper bound of the objective.
    gap : float
        Relative gap between objective and bound (0 when optimal).
    optimal : bool
        True only when the optimum is proven.
    status : str
        French description of how the round was obtained.
    seconds : float
        Wall time of the solve (reductions included).
    heuristic : bool
        True when the round is the heuristic's and not proven optimal (time limit reached first).
    heuristic_objective : float
        The heuristic's objective, for comparison.
    max_cover_bound : float
        Upper bound of the maximal covering with as many stops as slots, midday constraint left out
        (the objective when the days do not constrain the choice); NaN when not computed (the
        ``"days"`` and ``"compact"`` formulations).
    slots, days_per_week, weeks : int
        Stops of the cycle, working days per week, weeks of the cycle.
    reachable : int
        Candidates within the maximum drive of the base (both ways).
    newly_covered : ndarray of bool
        Per unit (columns of ``cover``): a positive weight, covered by a stop of the round.
    notes : list of str
        French sentences the reader needs (nothing to cover, half-days left free).
    stages : dict
        Sizes and seconds of each stage, for benchmarks.
    """

    stops: np.ndarray
    week: np.ndarray
    day: np.ndarray
    half_day: np.ndarray
    gain: np.ndarray
    midday_s: np.ndarray
    objective: float
    bound: float
    gap: float
    optimal: bool
    status: str
    seconds: float
    heuristic: bool
    heuristic_objective: float
    max_cover_bound: float
    slots: int
    days_per_week: int
    weeks: int
    reachable: int
    newly_covered: np.ndarray
    notes: list[str] = field(default_factory=list)
    stages: dict = field(default_factory=dict)

    @property
    def free_slots(self) -> int:
        """Half-days of the cycle left without a stop."""
        return int(self.slots - self.stops.size)


def _half_days(value) -> int:
    try:
        n = float(value)
    except (TypeError, ValueError):
        n = float("nan")
    if not (np.isfinite(n) and n == int(n) and 1 <= n <= MAX_HALF_DAYS):
        raise InputError(f"nombre de demi-journées par semaine « {fmt_given(value)} » invalide",
                         f"indiquez --half-days, un entier de 1 à {MAX_HALF_DAYS} (par ex. 8 pour quatre jours)",
                         column="--half-days")
    return int(n)


def _times(values, n: int, what: str) -> np.ndarray:
    t = np.asarray(values, dtype=float).ravel()
    if t.size != n:
        raise ValueError(f"{what}: {t.size} values for {n} candidates")
    return np.where(np.isnan(t), np.inf, t)


def _submatrix(between, ids: np.ndarray) -> np.ndarray:
    """Dense block of ``between`` on rows and columns ``ids``; missing sparse entries and NaN are inf."""
    if sp.issparse(between):
        block = sp.csr_matrix(between)[ids][:, ids].tocoo()
        dense = np.full((ids.size, ids.size), np.inf)
        dense[block.row, block.col] = block.data
    else:
        dense = np.asarray(between, dtype=float)[np.ix_(ids, ids)].copy()
    dense[np.isnan(dense)] = np.inf
    return dense


def pair_safe_dominated(sets: sp.csr_matrix, adjacent: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """Stops that can be dropped without changing the optimum of the round.

    Stop ``a`` is dropped when a stop ``b`` still kept covers every group ``a`` covers and is
    compatible with every stop ``a`` is compatible with (``b`` itself aside): in any round, ``b``
    replaces ``a`` on its day (or ``a`` is left out when ``b`` is already in it). Dropping a stop
    keeps that relation true between the others, so one sweep is exact. Plain set dominance
    (:func:`access30.locate.dominated_candidates`) is not: the larger set may be too far from the
    other stop of the day.

    Parameters
    ----------
    sets : csr_matrix
        Stops × groups, nonzero where the stop covers the group.
    adjacent : ndarray of bool
        Symmetric stops × stops compatibility (same day possible), false on the diagonal.
    chunk : int
        Pairs compared at once.

    Returns
    -------
    ndarray of bool
        One per stop.
    """
    r, c, size = _containments(sets)
    adj = np.asarray(adjacent, dtype=bool)
    degree = adj.sum(axis=1)
    ok = np.zeros(r.size, dtype=bool)
    for s in range(0, r.size, chunk):
        rr, cc = r[s:s + chunk], c[s:s + chunk]
        ok[s:s + chunk] = (adj[rr] & adj[cc]).sum(axis=1) == degree[rr] - adj[rr, cc]
    return _sweep(r[ok], c[ok], np.lexsort((degree, size)))  # small sets and few neighbours first


def _containments(sets: sp.spmatrix) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs ``(r, c)``, ``r ≠ c``, where the set of row ``r`` is within the set of row ``c``; and set sizes."""
    b = sp.csr_matrix(sets, dtype=np.float64, copy=True)
    b.data[:] = 1.0
    size = np.asarray(b.sum(axis=1)).ravel()
    inter = (b @ b.T).tocoo()
    off = inter.row != inter.col
    r, c, v = inter.row[off], inter.col[off], inter.data[off]
    within = np.abs(v - size[r]) < 0.5
    return r[within], c[within], size


def _sweep(r: np.ndarray, c: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Drop, in ``order``, every row ``r`` with a dominating row ``c`` still kept (mask of the dropped).

    Exact when each relation stays true once other rows are dropped: every drop then keeps the
    optimum of the problem on the rows left.
    """
    n = order.size
    sort = np.argsort(r, kind="stable")
    r, c = r[sort], c[sort]
    start = np.searchsorted(r, np.arange(n + 1))
    alive = np.ones(n, dtype=bool)
    for a in order:
        if alive[c[start[a]:start[a + 1]]].any():
            alive[a] = False
    return ~alive


def dominated_options(sets: sp.csr_matrix, is_pair: np.ndarray, pair_for_single: bool,
                      max_options: int = 8000) -> np.ndarray:
    """Day options that can be dropped from the days model without changing its optimum.

    An option is dropped when another one still kept covers a superset and can take its day: a single
    may replace a pair (one pair-day fewer); a pair may replace a single only when every day of the
    cycle can take a pair (``pair_for_single``: an even number of half-days). Options are independent
    in the days model (a stop may appear in several), so the sweep is exact.

    Parameters
    ----------
    sets : csr_matrix
        Options × groups.
    is_pair : ndarray of bool
        Which options are pairs.
    pair_for_single : bool
    max_options : int
        Above this many options nothing is dropped (the set comparisons grow as the square).

    Returns
    -------
    ndarray of bool
    """
    if sets.shape[0] > max_options or sets.shape[0] < 2:
        return np.zeros(sets.shape[0], dtype=bool)
    r, c, size = _containments(sets)
    ok = ~is_pair[c] | is_pair[r] | pair_for_single
    return _sweep(r[ok], c[ok], np.lexsort((~is_pair, size)))  # small sets, pairs first


class Pairing:
    """Whether sets of stops fit in the days: a maximum matching of their compatibility graph.

    Parameters
    ----------
    adjacent : ndarray of bool
        Stops × stops compatibility.
    days : int
        Working days of the cycle.
    slots : int
        Stops of the cycle.
    """

    def __init__(self, adjacent: np.ndarray, days: int, slots: int):
        self.adjacent, self.days, self.slots = np.asarray(adjacent, dtype=bool), days, slots
        self._cache: dict[frozenset, int] = {}

    def matching(self, stops) -> list[tuple[int, int]]:
        """A maximum set of same-day pairs among ``stops``, each pair sorted, the list sorted."""
        stops = [int(s) for s in stops]
        graph = nx.Graph()
        graph.add_nodes_from(stops)
        sub = self.adjacent[np.ix_(stops, stops)]
        rows, cols = np.nonzero(np.triu(sub, 1))
        graph.add_edges_from((stops[i], stops[j]) for i, j in zip(rows, cols))
        return sorted(tuple(sorted(e)) for e in nx.max_weight_matching(graph, maxcardinality=True))

    def fits(self, stops) -> bool:
        """True when ``stops`` (distinct) fit in the cycle's days and slots."""
        n = len(stops)
        if n > self.slots:
            return False
        if n <= self.days:
            return True
        key = frozenset(int(s) for s in stops)
        if key not in self._cache:
            self._cache[key] = len(self.matching(key))
        return self._cache[key] >= n - self.days


class TourModel:
    """Maximal covering by the stops of one team's round, same-day stops joined within the break.

    Build it with :meth:`from_matrices`; parameters as there.
    """

    def __init__(self, cover, weights, drive_from_base_s, drive_to_base_s, drive_between_s, half_days: int,
                 weeks: int = 1, max_drive_s: float = 3600.0, break_s: float = 5400.0, reduce: bool = True):
        self.cover = sp.csr_matrix(cover, dtype=bool)
        n_c, n_u = self.cover.shape
        self.unit_weights = np.asarray(weights, dtype=float).ravel()
        if self.unit_weights.size != n_u:
            raise ValueError(f"weights: {self.unit_weights.size} values for {n_u} units")
        if np.any(~np.isfinite(self.unit_weights)) or np.any(self.unit_weights < 0):
            raise ValueError("weights must be finite and non-negative")
        self.drive_from_base_s = _times(drive_from_base_s, n_c, "drive_from_base_s")
        self.drive_to_base_s = _times(drive_to_base_s, n_c, "drive_to_base_s")
        if tuple(drive_between_s.shape) != (n_c, n_c):
            raise ValueError(f"drive_between_s: shape {drive_between_s.shape} for {n_c} candidates")
        self.drive_between_s = drive_between_s
        self.half_days = _half_days(half_days)
        if weeks not in (1, 2):
            raise InputError(f"durée du cycle « {fmt_given(weeks)} » semaines invalide",
                             "indiquez --weeks 1 (tournée hebdomadaire) ou 2 (tournée sur deux semaines)",
                             column="--weeks")
        self.weeks = int(weeks)
        if not (np.isfinite(max_drive_s) and max_drive_s > 0):
            raise InputError(f"temps de trajet maximal depuis la base « {fmt_given(max_drive_s / 60)} » min invalide",
                             "indiquez --max-drive-min, un nombre de minutes positif (par ex. 60)",
                             column="--max-drive-min")
        if not (np.isfinite(break_s) and break_s >= 0):
            raise ValueError("break_s must be finite and non-negative")
        self.max_drive_s, self.break_s, self.reduce = float(max_drive_s), float(break_s), reduce
        if n_c == 0:
            raise InputError("aucun lieu candidat pour les arrêts de la tournée",
                             "indiquez des lieux candidats (--candidates)", column="--candidates")
        worst = np.maximum(self.drive_from_base_s, self.drive_to_base_s)
        self.reachable = np.flatnonzero(worst <= self.max_drive_s + EPS_S)
        if self.reachable.size == 0:
            nearest = float(worst.min())
            if not np.isfinite(nearest):
                raise InputError("aucun lieu candidat n'est joignable en voiture depuis la base (aller et retour)",
                                 "vérifiez --base : elle doit être reliée au réseau routier des candidats",
                                 column="--base")
            need = float(round_up_minutes(np.array([nearest / 60.0]), 0)[0])
            raise InputError(f"aucun lieu candidat n'est à moins de {fmt_given(self.max_drive_s / 60)} min de la base "
                             f"en voiture (aller et retour) : le plus proche est à {fmt_min(nearest / 60)}",
                             f"augmentez --max-drive-min (au moins {fmt_given(need)}) ou choisissez une base "
                             "plus proche des candidats (--base)", column="--max-drive-min")

    @classmethod
    def from_matrices(cls, cover, weights, drive_from_base_s, drive_to_base_s, drive_between_s, half_days: int,
                      weeks: int = 1, max_drive_s: float = 3600.0, break_s: float = 5400.0,
                      reduce: bool = True) -> "TourModel":
        """The round's model from plain matrices.

        Parameters
        ----------
        cover : sparse matrix
            Candidates × units, true where the unit is within the threshold of the candidate by the
            residents' mode.
        weights : ndarray
            Population of each unit *not already covered* by the existing sites (0 for covered units).
        drive_from_base_s, drive_to_base_s : ndarray
            Drive from the base to each candidate and back, seconds (inf or NaN: unreachable).
        drive_between_s : ndarray or sparse matrix
            Candidates × candidates drive ``[j, k]`` from ``j`` to ``k``, seconds; dense (inf or NaN:
            unreachable) or sparse (stored entries are the times, missing ones unreachable).
        half_days : int
            Half-days a week of the team (1 to 14): ⌈N/2⌉ days, the last morning only when N is odd.
        weeks : int
            1: a weekly round of N stops; 2: a fortnightly round of 2N stops, each seen every other week.
        max_drive_s : float
            Longest drive between the base and a stop, each way.
        break_s : float
            Longest drive from the morning stop to the afternoon stop of a day (the midday break).
        reduce : bool
            Drop pair-safely dominated stops and dominated day options first (exact; units with the
            same candidate set are always merged, stops covering nobody always dropped).

        Returns
        -------
        TourModel

        Raises
        ------
        InputError
            Bad ``half_days``, ``weeks`` or ``max_drive_s``; no candidate within ``max_drive_s`` of the
            base (the message gives the nearest candidate's time).
        """
        return cls(cover, weights, drive_from_base_s, drive_to_base_s, drive_between_s, half_days, weeks,
                   max_drive_s, break_s, reduce)

    # ---- the cycle ----------------------------------------------------------------------------
    @property
    def days_per_week(self) -> int:
        """Working days a week: ⌈N/2⌉."""
        return math.ceil(self.half_days / 2)

    @property
    def slots(self) -> int:
        """Stops of the cycle: N a week."""
        return self.weeks * self.half_days

    @property
    def days(self) -> int:
        """Working days of the cycle."""
        return self.weeks * self.days_per_week

    @property
    def pair_days(self) -> int:
        """Days of the cycle with a morning and an afternoon."""
        return self.weeks * (self.half_days // 2)

    # ---- reductions ---------------------------------------------------------------------------
    @cached_property
    def _reduced(self) -> tuple[np.ndarray, sp.csr_matrix, np.ndarray, np.ndarray, np.ndarray]:
        """Kept stops (caller ids), stops × groups sets (float), group weights, compatibility, drives."""
        weights = self.unit_weights
        cols = np.flatnonzero(weights > 0)
        ids = self.reachable
        sets, gweights, _ = merge_units(self.cover[ids][:, cols], weights[cols])
        sets = sp.csr_matrix(sets, dtype=np.float64)
        useful = np.flatnonzero(np.diff(sets.indptr) > 0)  # a stop that covers nobody is never needed
        ids, sets = ids[useful], sets[useful]
        between = _submatrix(self.drive_between_s, ids)
        reach = between <= self.break_s + EPS_S
        adjacent = reach | reach.T
        np.fill_diagonal(adjacent, False)
        if self.reduce and ids.size > 1:
            keep = np.flatnonzero(~pair_safe_dominated(sets, adjacent))
            ids, sets = ids[keep], sets[keep]
            adjacent, between = adjacent[np.ix_(keep, keep)], between[np.ix_(keep, keep)]
            merged, gweights, _ = merge_units(sets, gweights)
            sets = sp.csr_matrix(merged, dtype=np.float64)
        return ids, sets, gweights, adjacent, between

    @property
    def ids(self) -> np.ndarray:
        """Caller's indices of the kept stops (after reductions)."""
        return self._reduced[0]

    @property
    def sets(self) -> sp.csr_matrix:
        """Kept stops × groups of units (float 0/1)."""
        return self._reduced[1]

    @property
    def weights(self) -> np.ndarray:
        """Weight of each group."""
        return self._reduced[2]

    @property
    def adjacent(self) -> np.ndarray:
        """Kept stops × kept stops: true when they can share a day."""
        return self._reduced[3]

    @cached_property
    def pairing(self) -> Pairing:
        """Feasibility of sets of kept stops."""
        return Pairing(self.adjacent, self.days, self.slots)

    @cached_property
    def edges(self) -> np.ndarray:
        """Compatible pairs ``(j, k)``, ``j < k``, of kept stops."""
        return np.argwhere(np.triu(self.adjacent, 1))

    # ---- values and the heuristic -------------------------------------------------------------
    def _covered(self, stops) -> np.ndarray:
        stops = np.asarray(list(stops), dtype=np.int64)
        return np.asarray(self.sets[stops].sum(axis=0)).ravel() > 0

    def value(self, stops) -> float:
        """Weight covered by kept stops ``stops`` (the objective)."""
        return float(self.weights[self._covered(stops)].sum()) if len(stops) else 0.0

    def _fill(self, chosen: list[int]) -> list[int]:
        """Greedy: add the stop covering the most uncovered weight among those that keep the set pairable."""
        a, fits = self.sets, self.pairing.fits
        left = np.where(self._covered(chosen), 0.0, self.weights) if chosen else self.weights.copy()
        while len(chosen) < self.slots:
            gain = a @ left
            gain[chosen] = -np.inf
            tol = _highs.tolerance(float(left.sum()))
            for c in np.argsort(-gain, kind="stable"):
                if gain[c] <= tol:
                    return chosen
                if fits(chosen + [int(c)]):
                    chosen.append(int(c))
                    left[a.indices[a.indptr[c]:a.indptr[c + 1]]] = 0.0
                    break
            else:
                return chosen
        return chosen

    def _swap(self, chosen: list[int], clock: Clock, max_rounds: int = 50) -> list[int]:
        """Best single swaps (one stop out, one in, the set kept pairable), then a refill, until none helps."""
        a, w, fits = self.sets, self.weights, self.pairing.fits
        for _ in range(max_rounds):
            if not chosen or clock.remaining() <= 0:
                break
            count = np.asarray(a[chosen].sum(axis=0)).ravel()
            best_delta, best = _highs.tolerance(float(w.sum())), None
            for i, s in enumerate(chosen):
                row = a.indices[a.indptr[s]:a.indptr[s + 1]]
                remaining = count.copy()
                remaining[row] -= 1
                loss = float(w[row[remaining[row] == 0]].sum())
                delta = a @ np.where(remaining > 0, 0.0, w) - loss
                delta[chosen] = -np.inf
                better = np.flatnonzero(delta > best_delta)
                for c in better[np.argsort(-delta[better], kind="stable")]:
                    if fits(chosen[:i] + chosen[i + 1:] + [int(c)]):
                        best_delta, best = float(delta[c]), (i, int(c))
                        break
            if best is None:
                break
            chosen = self._fill(chosen[:best[0]] + chosen[best[0] + 1:] + [best[1]])
        return chosen

    def _greedy_days(self) -> list[int]:
        """Greedy by days: add the day option (pair or single) covering the most uncovered weight."""
        members, sets = self.options
        is_pair = members[:, 1] >= 0
        left = self.weights.copy()
        days = pairs = 0
        chosen: set[int] = set()
        while days < self.days:
            gain = sets @ left
            if pairs >= self.pair_days:
                gain[is_pair] = -np.inf
            best = int(np.argmax(gain))
            if gain[best] <= _highs.tolerance(float(left.sum())):
                break
            left[sets.indices[sets.indptr[best]:sets.indptr[best + 1]]] = 0.0
            chosen.update(int(s) for s in members[best] if s >= 0)
            days, pairs = days + 1, pairs + int(is_pair[best])
        return sorted(chosen)

    def heuristic(self, clock: Clock | None = None) -> list[int]:
        """Greedy by stops then swaps, every set kept pairable (kept-stop numbering).

        Before the days model, :meth:`solve` also tries the greedy by days (better when the midday
        drive binds, too slow to build when every pair is compatible and it does not).
        """
        clock = clock or Clock(float("inf"))
        return sorted(self._swap(self._fill([]), clock))

    # ---- MILPs --------------------------------------------------------------------------------
    def _cover_block(self, extra_cols: int) -> list[list]:
        """Rows ``x_g − Σ_{c covers g} y_c ≤ 0`` and ``Σ y ≤ slots`` over variables (y, x, extra)."""
        k, g = self.sets.shape
        return [[-self.sets.T.tocsc(), sp.identity(g, format="csc"), sp.csc_matrix((g, extra_cols))],
                [sp.csc_matrix(np.ones((1, k))), sp.csc_matrix((1, g)), sp.csc_matrix((1, extra_cols))]]

    def max_cover_arrays(self) -> _highs.Arrays:
        """Maximal covering with at most ``slots`` stops, the days left out: an upper bound of the round."""
        k, g = self.sets.shape
        block = self._cover_block(0)
        a = sp.bmat([row[:2] for row in block], format="csc")
        return _highs.Arrays(np.concatenate([np.zeros(k), self.weights]), np.zeros(k + g), np.ones(k + g), a,
                             np.full(g + 1, -np.inf), np.concatenate([np.zeros(g), [self.slots]]),
                             np.concatenate([np.ones(k), np.zeros(g)]), maximize=True)

    def tour_arrays(self) -> _highs.Arrays:
        """The exact round: max covering, binary same-day pairs ``z`` over compatible stops.

        Rows: ``x_g ≤ Σ y`` (covered groups), ``Σ y ≤ slots``, ``Σ_{e ∋ j} z_e ≤ y_j`` (a stop in one
        pair at most, and only when chosen), ``Σ y − Σ z ≤ days`` (a day for each pair and single),
        ``Σ z ≤ pair days``.
        """
        k, g = self.sets.shape
        e = self.edges.shape[0]
        incidence = sp.csc_matrix((np.ones(2 * e), (self.edges.T.ravel(), np.tile(np.arange(e), 2))), shape=(k, e))
        rows = self._cover_block(e) + [
            [-sp.identity(k, format="csc"), sp.csc_matrix((k, g)), incidence],
            [sp.csc_matrix(np.ones((1, k))), sp.csc_matrix((1, g)), sp.csc_matrix(-np.ones((1, e)))],
            [sp.csc_matrix((1, k)), sp.csc_matrix((1, g)), sp.csc_matrix(np.ones((1, e)))],
        ]
        a = sp.bmat(rows, format="csc")
        upper_rows = np.concatenate([np.zeros(g), [self.slots], np.zeros(k), [self.days, self.pair_days]])
        return _highs.Arrays(np.concatenate([np.zeros(k), self.weights, np.zeros(e)]), np.zeros(k + g + e),
                             np.ones(k + g + e), a, np.full(upper_rows.size, -np.inf), upper_rows,
                             np.concatenate([np.ones(k), np.zeros(g), np.ones(e)]), maximize=True)

    @cached_property
    def options(self) -> tuple[np.ndarray, sp.csr_matrix]:
        """Day options: ``(j, k)`` for a day with the compatible stops ``j < k``, ``(j, -1)`` for a day
        with ``j`` alone; and each option's groups (the union of its stops' sets), options × groups."""
        k = self.sets.shape[0]
        members = np.vstack([self.edges, np.column_stack([np.arange(k), np.full(k, -1)])]).astype(np.int64)
        both = self.sets[self.edges[:, 0]] + self.sets[self.edges[:, 1]]
        sets = sp.csr_matrix(sp.vstack([both, self.sets], format="csr"), dtype=np.float64)
        sets.data[:] = 1.0
        if self.reduce:
            keep = np.flatnonzero(~dominated_options(sets, members[:, 1] >= 0, self.half_days % 2 == 0))
            members, sets = members[keep], sets[keep]
        return members, sets

    def days_arrays(self) -> _highs.Arrays:
        """The exact round as a max covering by *days*: each option is a compatible pair or a single.

        Variables: ``u_o`` (binary, one per option) then ``x_g``; rows ``x_g ≤ Σ_{o covers g} u_o``,
        ``Σ u ≤ days``, ``Σ_{o a pair} u_o ≤ pair days``. A stop may appear in several chosen options:
        dropping the repeats (a pair becomes a single) never lowers the coverage nor needs a day, so
        the optimum is a round; a pair's coverage counts once, which makes the relaxation tighter than
        the stop-level pairs model's.
        """
        members, sets = self.options
        o, g = sets.shape
        is_pair = (members[:, 1] >= 0).astype(float)
        a = sp.bmat([[-sets.T.tocsc(), sp.identity(g, format="csc")],
                     [sp.csc_matrix(np.ones((1, o))), sp.csc_matrix((1, g))],
                     [sp.csc_matrix(is_pair[None]), sp.csc_matrix((1, g))]], format="csc")
        return _highs.Arrays(np.concatenate([np.zeros(o), self.weights]), np.zeros(o + g), np.ones(o + g), a,
                             np.full(g + 2, -np.inf), np.concatenate([np.zeros(g), [self.days, self.pair_days]]),
                             np.concatenate([np.ones(o), np.zeros(g)]), maximize=True)

    def _start(self, stops: list[int], kind: str) -> np.ndarray:
        """A round's full solution in the variables of model ``kind`` (a warm start)."""
        k, g = self.sets.shape
        x = self._covered(stops).astype(float) if stops else np.zeros(g)
        if kind == "days":
            u = self._day_options(stops)
            covered = np.asarray(self.options[1][u > 0.5].sum(axis=0)).ravel() > 0
            return np.concatenate([u, covered.astype(float)])
        y = np.zeros(k)
        y[stops] = 1.0
        if kind == "cover":
            return np.concatenate([y, x])
        z = np.zeros(self.edges.shape[0])
        index = {(int(j), int(kk)): i for i, (j, kk) in enumerate(self.edges)}
        for pair in self.pairing.matching(stops)[:self.pair_days]:
            z[index[pair]] = 1.0
        return np.concatenate([y, x, z])

    def _day_options(self, stops: list[int]) -> np.ndarray:
        """The days of a round as day options (0/1 per option): a day whose option was dropped as
        dominated takes a kept option covering a superset that can take its day."""
        members, sets = self.options
        is_pair = members[:, 1] >= 0
        index = {(int(a), int(b)): i for i, (a, b) in enumerate(members)}
        u = np.zeros(members.shape[0])
        plan = self.schedule(stops)
        for i, (_, _, half, s) in enumerate(plan):
            if half == PM:
                continue
            pm = plan[i + 1][3] if i + 1 < len(plan) and plan[i + 1][2] == PM else -1
            key = (min(s, pm), max(s, pm)) if pm >= 0 else (s, -1)
            if key in index:
                u[index[key]] = 1.0
                continue
            day = np.zeros(sets.shape[1])
            day[self._covered([m for m in key if m >= 0])] = 1.0
            ok = sets @ day >= day.sum() - 0.5
            if pm < 0 and self.half_days % 2:
                ok &= ~is_pair
            if not (ok & (u > 0)).any():  # else a chosen day already covers this one
                u[np.flatnonzero(ok)[np.argsort(is_pair[ok], kind="stable")][0]] = 1.0  # singles first
        return u

    def _decode(self, x: np.ndarray | None, kind: str) -> list[int] | None:
        """Stops of a MILP solution of model ``kind`` (None without a solution)."""
        if x is None:
            return None
        if kind == "days":
            members = self.options[0]
            chosen = members[x[:members.shape[0]] > 0.5].ravel()
            return sorted({int(s) for s in chosen if s >= 0})
        return [int(s) for s in _highs.pick(x, self.sets.shape[0])]

    def arrays(self, kind: str) -> _highs.Arrays:
        """The MILP of ``kind``: ``"cover"`` (upper bound), ``"pairs"`` or ``"days"`` (exact)."""
        return {"cover": self.max_cover_arrays, "pairs": self.tour_arrays, "days": self.days_arrays}[kind]()

    def _exact(self, kind: str, start: list[int], seconds: float):
        """(pairable stops of the MILP's solution or None, their value, bound, HiGHS optimal)."""
        x, objective, bound, _, optimal = _highs.run(self.arrays(kind), max(seconds, 0.01), self._start(start, kind),
                                                     options=MIP_OPTIONS.get(kind))
        stops = self._decode(x, kind)
        if optimal and np.isfinite(objective):
            bound = min(bound, objective) if np.isfinite(bound) else objective
        if stops is not None and not self.pairing.fits(stops):
            stops = None
        return stops, (self.value(stops) if stops is not None else -np.inf), bound, optimal

    # ---- solve --------------------------------------------------------------------------------
    def solve(self, time_limit_s: float = 60.0, formulation: str = "bound-first") -> TourResult:
        """Choose the round's stops and days within ``time_limit_s`` (reductions included).

        Parameters
        ----------
        time_limit_s : float
            Wall-clock budget of every stage; past it the best known round is returned with its gap.
        formulation : str
            ``"bound-first"`` (the max covering bound, then the days model only when its stops do not
            fit), ``"days"`` (the days model directly) or ``"compact"`` (the stop-level pairs model
            directly); the last two are kept for measurement.

        Returns
        -------
        TourResult
        """
        if formulation not in FORMULATIONS:
            raise ValueError(f"formulation must be one of {FORMULATIONS}")
        clock = Clock(time_limit_s)
        stages: dict = {"formulation": formulation}
        ids = self.ids
        stages.update(stops_kept=int(ids.size), groups=int(self.sets.shape[1]), reduce_s=clock.elapsed())
        if self.sets.shape[1] == 0 or ids.size == 0:
            return self._nothing(clock, stages)
        stages["pairs"] = int(self.edges.shape[0])
        t = clock.elapsed()
        best = self.heuristic(clock)
        best_value = heuristic_value = self.value(best)
        from_heuristic = True
        stages["heuristic_s"] = clock.elapsed() - t
        top = np.sort(np.asarray(self.sets @ self.weights).ravel())[::-1][:self.slots]
        bound = min(float(self.weights.sum()), float(top.sum()))
        status, mc_bound = _ALL, (bound if formulation == "bound-first" else float("nan"))

        def better(stops, value) -> bool:
            return stops is not None and value > best_value + _highs.tolerance(best_value)

        if not _highs.proven(best_value, bound, True) and formulation == "bound-first" and clock.remaining() > 0:
            t = clock.elapsed()
            stops, value, mc, _ = self._exact("cover", best, MAX_COVER_SHARE * clock.remaining())
            stages["max_cover_s"] = clock.elapsed() - t
            if np.isfinite(mc):
                bound = mc_bound = min(bound, max(mc, best_value))
            stages["max_cover_fits"] = stops is not None
            if better(stops, value):
                best, best_value, from_heuristic = stops, value, False
            status = _BOUND
        if not _highs.proven(best_value, bound, True) and clock.remaining() > 0:
            t = clock.elapsed()
            kind = EXACT_MODEL[formulation]
            if formulation == "bound-first" and self.edges.shape[0] + self.sets.shape[0] > MAX_DAY_OPTIONS:
                kind = "pairs"  # measured: the days model's LP is too large on dense compatibilities
            if kind == "days":
                stages["day_options"] = int(self.options[0].shape[0])
                days_start = self._swap(self._greedy_days(), clock)
                if self.value(days_start) > best_value + _highs.tolerance(best_value):
                    best, best_value = sorted(days_start), self.value(days_start)
                    heuristic_value = max(heuristic_value, best_value)
            stages["exact_model"] = kind
            stops, value, exact_bound, _ = self._exact(kind, best, clock.remaining())
            stages[f"{kind}_s"] = clock.elapsed() - t
            if np.isfinite(exact_bound):
                bound = min(bound, max(exact_bound, best_value))
            if better(stops, value):
                best, best_value, from_heuristic = stops, value, False
            status = _EXACT
        optimal = _highs.proven(best_value, bound, True)
        if optimal:
            bound = best_value
        gap = _highs.rel_gap(best_value, bound)
        if not optimal:
            status = (f"limite de temps atteinte : tournée heuristique (glouton puis échanges), non prouvée "
                      f"optimale ; écart à la borne au plus {fmt_pct(gap)}" if from_heuristic else
                      f"limite de temps atteinte : meilleure tournée trouvée par HiGHS, non prouvée optimale ; "
                      f"écart à la borne au plus {fmt_pct(gap)}")
        result = self._result(best, best_value, bound, gap, optimal, status, clock, heuristic_value,
                              mc_bound, stages, heuristic=from_heuristic and not optimal)
        return result

    # ---- the schedule -------------------------------------------------------------------------
    def day_layout(self) -> list[tuple[int, int, int]]:
        """``(week, day, capacity)`` of every day of the cycle, in order (capacity 1: morning only)."""
        d = self.days_per_week
        return [(w, i, 1 if (i == d - 1 and self.half_days % 2) else 2) for w in range(self.weeks) for i in range(d)]

    def schedule(self, stops: list[int]) -> list[tuple[int, int, str, int]]:
        """Days of a pairable set of kept stops: ``(week, day, half_day, stop)`` in schedule order.

        As many same-day pairs as the days allow, ``m = min(ν, pair days)`` (with fewer stops than
        slots, the free days are the last ones or morning-only ones), the heaviest pairs and singles
        first; each
        pair's morning is the stop from which the other is reached within the break (the shorter
        drive when both are). Days are filled in order, a two-stop day taking a pair while any is
        left, otherwise a single. Nothing is left over: ``m ≤ pair days``, and ``m + singles =
        |stops| − m ≤ days`` since ``ν ≥ |stops| − days`` and ``|stops| ≤ slots``; a single left
        over would mean every day got one stop or pair, i.e. more than ``days`` of them.
        """
        if not self.pairing.fits(list(stops)):
            raise ValueError("these stops do not fit in the days")
        between = self._reduced[4]
        pairs = self.pairing.matching(stops)[:self.pair_days] if len(stops) > 1 else []
        paired = {s for p in pairs for s in p}
        singles = [s for s in stops if s not in paired]
        weight = np.asarray(self.sets @ self.weights).ravel()
        pairs.sort(key=lambda p: (-self.value(list(p)), p))
        singles.sort(key=lambda s: (-weight[s], s))
        out = []
        for week, day, capacity in self.day_layout():
            if capacity == 2 and pairs:
                j, k = pairs.pop(0)
                if not (between[j, k] <= self.break_s + EPS_S and
                        (between[k, j] > self.break_s + EPS_S or between[j, k] <= between[k, j])):
                    j, k = k, j
                out += [(week, day, AM, j), (week, day, PM, k)]
            elif singles:
                out.append((week, day, AM, singles.pop(0)))
        if pairs or singles:  # cannot happen for a pairable set (see the docstring)
            raise AssertionError("schedule: stops left over")
        return out

    def _result(self, best, value, bound, gap, optimal, status, clock, heuristic_value, mc_bound, stages,
                heuristic) -> TourResult:
        plan = self.schedule(list(best))
        stops = np.array([s for *_, s in plan], dtype=np.int64)
        between = self._reduced[4]
        gains, midday = [], []
        left = self.weights.copy()
        for i, (_, _, half, s) in enumerate(plan):
            row = self.sets.indices[self.sets.indptr[s]:self.sets.indptr[s + 1]]
            gains.append(float(left[row].sum()))
            left[row] = 0.0
            midday.append(float(between[plan[i - 1][3], s]) if half == PM else np.nan)
        ids = self.ids[stops]
        notes = []
        free = self.slots - stops.size
        if free:
            notes.append(f"{fmt_int(free)} {plural(free, 'demi-journée reste', 'demi-journées restent')} sans "
                         "arrêt : aucun autre lieu candidat à portée de la base ne rapproche d'habitant non couvert "
                         "dans les journées qui restent")
        seconds = clock.elapsed()
        stages["total_s"] = seconds
        return TourResult(
            stops=ids, week=np.array([p[0] for p in plan], dtype=np.int64),
            day=np.array([p[1] for p in plan], dtype=np.int64), half_day=np.array([p[2] for p in plan], dtype=object),
            gain=np.array(gains), midday_s=np.array(midday), objective=float(value), bound=float(bound),
            gap=float(gap), optimal=bool(optimal), status=status, seconds=seconds, heuristic=bool(heuristic),
            heuristic_objective=float(heuristic_value), max_cover_bound=float(mc_bound), slots=self.slots,
            days_per_week=self.days_per_week, weeks=self.weeks, reachable=int(self.reachable.size),
            newly_covered=self._newly_covered(ids), notes=notes, stages=stages)

    def _newly_covered(self, ids: np.ndarray) -> np.ndarray:
        hit = np.asarray(self.cover[ids].sum(axis=0)).ravel() > 0 if ids.size else np.zeros(self.cover.shape[1], bool)
        return hit & (self.unit_weights > 0)

    def _nothing(self, clock: Clock, stages: dict) -> TourResult:
        if self.unit_weights.sum() > 0:
            status = (f"{_NO_REACH} : les {fmt_int(self.reachable.size)} lieux candidats à portée de la base ne "
                      "couvrent aucun habitant encore hors de portée")
        else:
            status = _NOTHING
        stages["total_s"] = clock.elapsed()
        empty = np.zeros(0, dtype=np.int64)
        return TourResult(
            stops=empty, week=empty.copy(), day=empty.copy(), half_day=np.zeros(0, dtype=object), gain=np.zeros(0),
            midday_s=np.zeros(0), objective=0.0, bound=0.0, gap=0.0, optimal=True, status=status,
            seconds=clock.elapsed(), heuristic=False, heuristic_objective=0.0, max_cover_bound=0.0, slots=self.slots,
            days_per_week=self.days_per_week, weeks=self.weeks, reachable=int(self.reachable.size),
            newly_covered=np.zeros(self.cover.shape[1], dtype=bool), notes=[status],
            stages=stages)
