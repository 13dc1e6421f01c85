"""Suggest where to open new reception points, existing sites kept: the public entry point.

:func:`suggest_sites` computes the candidate × unit times, builds the model's instance (covering
models keep only the units the existing sites leave uncovered), solves it and describes the chosen
sites with the coverage's own rule (:func:`access30.coverage.rules.covered`), so that adding them to the
study and rerunning the coverage gives the same figures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp

from access30.base.errors import InputError, Notice
from access30.base.files import jsonable
from access30.base.fmt import fmt_int, fmt_min, fmt_num, fmt_pct, plural
from access30.base.labels import EQUITY_LABELS_FR, MODEL_LABELS_FR, units_of
from access30.base.names import commune_name
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.result import Routing
from access30.coverage.rules import check_threshold, covered, longest_covered_s, within
from access30.inputs.study import Study
from access30.locate._highs import rel_gap
from access30.locate._reduce import with_sites
from access30.locate._solve import SolveResult
from access30.locate.alternatives import SHOWN_TIED, Alternatives, tied_sets
from access30.locate.cover import Cover, solve_cover
from access30.locate.maxcover import MaxCover, solve_maxcover
from access30.locate.median import solve_median
from access30.routing.roads import Join, site_unit_times, unit_pairs, unit_times
from access30.suggest.candidates import dedupe_candidates, join_candidates
from access30.suggest.matrix import candidate_unit_times

MODELS = ("cover", "maxcover", "median")
MEDIAN_MAX_LIMIT_S = 3 * 3600.0


@dataclass
class Suggestion:
    """Suggested new reception points and what they achieve.

    Attributes
    ----------
    model : str
        ``"cover"``, ``"maxcover"`` or ``"median"``.
    k : int or None
        Number of new sites asked for (for ``cover``: the number found).
    objective : float
        ``cover``: number of new sites; ``maxcover``: weight covered (existing + new);
        ``median``: weighted mean time in minutes.
    bound : float
        Best bound proven by the solver, same unit as ``objective``.
    gap : float
        Relative gap between objective and bound (0 when optimal).
    optimal : bool
        True only when the solver proved optimality.
    solver, status : str
    suggested : GeoDataFrame
        WGS84, one row per new site: ``rank``, ``candidate_id``, ``name``, ``type``, ``commune``,
        ``lon``, ``lat``, ``population_newly_covered`` (and ``<group>_newly_covered`` per equity
        column), ``catchment_population`` (people for whom it becomes the nearest site),
        ``nearest_site``, ``nearest_site_time_min``.
    population_covered_before, population_covered_after : float
    curve : DataFrame or None
        ``maxcover``: covered population for 1..k new sites.
    unreachable_population : float
        Population no candidate can reach within the threshold (``cover``, ``maxcover``) or at
        all (``median``), left uncovered, on road.
    notices : list of Notice
    capacitated : dict, optional
        Set by :func:`access30.suggest.capacitated.suggest_capacitated`: people served within
        capacity, the people-per-unit ratio, the new sites' capacity, and per site its capacity in
        people and the people assigned to it (``capacity_respected`` checks every one).
    alternatives : list of list of dict
        Up to five other sets of as many candidates reaching the same objective, found by the solver
        (:func:`access30.locate.alternatives.tied_sets`); each site ``candidate_id``, ``name``, ``commune``.
    alternatives_count : int or None
        How many such sets were found (None: not searched); ``alternatives_complete`` says whether the
        solver proved there is no other (else « au moins »).
    scenario : str or None
        The name of the scenario the suggestion was computed on (its sites added and closed), None for
        the current situation.
    """

    model: str
    k: int | None
    threshold_min: float
    weight: str
    objective: float
    bound: float
    gap: float
    optimal: bool
    solver: str
    status: str
    suggested: gpd.GeoDataFrame
    population_total: float
    population_covered_before: float
    population_covered_after: float
    mean_time_before_min: float
    mean_time_after_min: float
    curve: pd.DataFrame | None
    unreachable_population: float
    heuristic_objective: float
    seconds: float
    candidates_used: int
    notices: list[Notice] = field(default_factory=list)
    capacitated: dict | None = None
    alternatives: list = field(default_factory=list)
    alternatives_count: int | None = None
    alternatives_complete: bool = False
    scenario: str | None = None

    def to_summary(self) -> dict:
        """JSON-ready summary (plain floats, None for missing values)."""
        def num(v):
            if v is None:
                return None
            v = float(v)
            return v if np.isfinite(v) else None

        rows = []
        for rec in self.suggested.drop(columns="geometry").to_dict("records"):
            rows.append({key: (num(v) if isinstance(v, (float, np.floating)) else
                               int(v) if isinstance(v, (np.integer,)) else v) for key, v in rec.items()})
        return {
            "model": self.model,
            "model_label": MODEL_LABELS_FR[self.model],
            "k": None if self.k is None else int(self.k),
            "threshold_min": float(self.threshold_min),
            "weight": self.weight,
            "objective": num(self.objective),
            "bound": num(self.bound),
            "gap": num(self.gap),
            "optimal": bool(self.optimal),
            "solver": self.solver,
            "status": self.status,
            "heuristic_objective": num(self.heuristic_objective),
            "population_total": num(self.population_total),
            "population_covered_before": num(self.population_covered_before),
            "population_covered_after": num(self.population_covered_after),
            "mean_time_before_min": num(self.mean_time_before_min),
            "mean_time_after_min": num(self.mean_time_after_min),
            "unreachable_population": num(self.unreachable_population),
            "candidates_used": int(self.candidates_used),
            "seconds": num(self.seconds),
            "suggested": rows,
            "curve": None if self.curve is None else [
                {key: (num(v) if isinstance(v, (float, np.floating)) else
                       bool(v) if isinstance(v, (bool, np.bool_)) else int(v)) for key, v in rec.items()}
                for rec in self.curve.to_dict("records")],
            "scenario": self.scenario,
            "alternatives_count": self.alternatives_count,
            "alternatives_complete": bool(self.alternatives_complete),
            "alternatives": [[dict(site) for site in sites] for sites in self.alternatives],
            "notices": [n.message for n in self.notices],
            **({"capacitated": jsonable(self.capacitated)} if self.capacitated is not None else {}),
        }


def tied_choices(suggestion: Suggestion, candidates: gpd.GeoDataFrame, study: Study, found: Alternatives) -> None:
    """Set the suggestion's ``alternatives`` (up to :data:`SHOWN_TIED` sets, each site named) from the
    solver's ``found`` sets (rows of ``candidates``)."""
    names = ({} if study.communes is None or "nom" not in study.communes.columns else
             dict(zip(study.communes["code"].astype(str), study.communes["nom"].astype(str))))
    suggestion.alternatives_count = found.count if found.searched else None
    suggestion.alternatives_complete = bool(found.complete)
    suggestion.alternatives = [
        [{"candidate_id": str(candidates["candidate_id"].iloc[c]), "name": str(candidates["name"].iloc[c]),
          "commune": str(candidates["commune"].iloc[c]),
          "commune_nom": commune_name(str(candidates["commune"].iloc[c]), names)} for c in sites]
        for sites in found.sets[:SHOWN_TIED]]


def gain_note(newly: float, catchment: float, threshold_min: float, model: str,
              served: float | None = None, capacity: float | None = None) -> str:
    """What one suggested site brings, in French; a pick that covers nobody new says why.

    ``served`` and ``capacity`` (people) for a capacitated model: the people it serves within capacity.

    Examples
    --------
    >>> gain_note(133, 212, 30, "maxcover")
    '133 habitants jusque-là au-delà de 30 min passent sous le seuil ; lieu le plus proche de 212 habitants'
    >>> gain_note(0, 0, 30, "maxcover")[:46]
    'aucun habitant nouvellement couvert : ceux que'
    """
    t = fmt_num(threshold_min)
    nearest = f"lieu le plus proche de {fmt_int(catchment)} habitants" if catchment >= 0.5 else ""
    if served is not None:
        text = f"sert {fmt_int(served)} habitants dans la limite de sa capacité ({fmt_int(capacity)} places)"
        if newly >= 0.5:
            return text + f", dont {fmt_int(newly)} jusque-là au-delà de {t} min"
        return (text + f" ; aucun nouvellement à {t} min ou moins : il accueille des habitants déjà couverts "
                "que la capacité des lieux existants ne suffit pas à servir")
    if newly >= 0.5:
        return f"{fmt_int(newly)} habitants jusque-là au-delà de {t} min passent sous le seuil" + (
            f" ; {nearest}" if nearest else "")
    if model == "median":
        return f"aucun habitant nouvellement couvert, mais des temps raccourcis : {nearest or 'aucun habitant'}"
    return ("aucun habitant nouvellement couvert : ceux que cet emplacement atteint en " + t + " min sont déjà "
            "couverts par les lieux existants ou par les autres lieux suggérés, et aucun autre emplacement "
            "candidat ne couvrirait davantage" + (f" ; {nearest}" if nearest else ""))


def scenario_words(suggestion: Suggestion) -> str:
    """« Suggestions calculées sur le scénario « X » … » in French: the situation the figures start from."""
    return (f"Suggestions calculées sur le scénario « {suggestion.scenario} » (ses lieux ajoutés et fermés "
            f"compris) : la population couverte passerait de {fmt_int(suggestion.population_covered_before)} "
            f"(scénario) à {fmt_int(suggestion.population_covered_after)}, pas à partir de la situation actuelle.")


def tied_line(suggestion: Suggestion) -> str:
    """In French, whether other choices reach the same objective: « 9 autres choix de 2 lieux font aussi
    bien : … », « seul choix optimal », or that they were not searched; empty when not optimal."""
    count = getattr(suggestion, "alternatives_count", None)
    if not getattr(suggestion, "optimal", False) or getattr(suggestion, "model", "") == "median":
        return ""
    if count is None:
        return "Autres choix aussi bons : non recherchés (temps de calcul épuisé)."
    n = len(suggestion.suggested)
    if count == 0:
        return ("Aucun autre choix de " + plural(n, "lieu", "lieux") + " ne fait aussi bien (prouvé par le solveur)."
                if suggestion.alternatives_complete else
                "Autres choix aussi bons : aucun trouvé dans le temps de calcul.")
    many = ("" if suggestion.alternatives_complete else "au moins ") + plural(count, "autre choix", "autres choix")
    shown = " ; ".join(" + ".join(site["name"] + (f" ({site['commune_nom']})" if site.get("commune_nom") else "")
                                  for site in sites) for sites in suggestion.alternatives)
    rest = count - len(suggestion.alternatives)
    more = f" ; … et {fmt_int(rest)} autres" if rest > 0 else ""
    return (f"Solution non unique : {many} de {plural(n, 'lieu', 'lieux')} "
            f"{'fait' if count < 2 else 'font'} exactement aussi bien — {shown}{more}.")


def _check_k(model: str, k) -> int | None:
    if model == "cover":
        return None
    if k is None:
        raise InputError(f"nombre de nouveaux lieux manquant pour le modèle {model}",
                         "indiquez --k, un entier positif (par ex. 3)", column="--k")
    try:
        value = int(k)
    except (TypeError, ValueError):
        raise InputError(f"nombre de nouveaux lieux « {k} » invalide pour le modèle {model}",
                         "indiquez --k, un entier positif (par ex. 3)", column="--k") from None
    if value < 1 or value != float(k):
        raise InputError(f"nombre de nouveaux lieux {k} invalide", "indiquez un entier d'au moins 1",
                         column="--k")
    return value


@dataclass
class _Request:
    """What every stage of one suggestion reads."""

    study: Study
    routing: Routing
    joins: Join
    threshold_min: float
    pop: np.ndarray
    w: np.ndarray
    deadline: float

    @property
    def t0(self) -> np.ndarray:
        return self.routing.times.time1

    @property
    def on_road(self) -> np.ndarray:
        return self.routing.times.on_road

    @property
    def thr(self) -> float:
        return float(self.threshold_min) * 60.0

    @property
    def covered0(self) -> np.ndarray:
        # Units with access today (a road and a site within reach); a new site may give access to
        # others by its direct leg, which the candidate times carry.
        return self.on_road & within(self.t0, self.threshold_min)

    progress: Callable[[str], None] | None = None
    reserve_s: float = 0.0
    counted: str = "habitants"  # what the weight counts, for the progress lines
    tie_limit_s: float | None = None  # the search of ties: at most this (None: what the limit leaves)

    def time_left(self) -> float:
        return max(self.deadline - time.perf_counter(), 0.1)

    def solver_time(self) -> float:
        """What a solver may take: the time left, less what describing its sites afterwards needs."""
        return max(self.deadline - self.reserve_s - time.perf_counter(), 0.1)

    def tie_time(self) -> float:
        """Time for the search of other optimal sets: what the stated limit leaves, and ``tie_limit_s`` at most
        when set (the app's quick answers); a search cut short says that the ties it lists may not be all."""
        left = self.solver_time()
        return left if self.tie_limit_s is None else min(left, self.tie_limit_s)

    def say(self, line: str) -> None:
        if self.progress is not None:
            self.progress(line)

    def search_limit(self, units: np.ndarray) -> float:
        """Longest time worth searching: the longest current time of ``units``, at least the threshold."""
        finite = units & np.isfinite(self.t0)
        longest = self.t0[finite].max() if finite.any() else MEDIAN_MAX_LIMIT_S
        return float(min(max(longest, self.thr), MEDIAN_MAX_LIMIT_S))


def _check_request(study: Study, model: str, k, threshold_min: float, candidates, weight: str,
                   capacity) -> int | None:
    if model not in MODELS:
        raise InputError(f"modèle « {model} » inconnu", "choisissez cover, maxcover ou median", column="--model")
    check_threshold(threshold_min)
    k = _check_k(model, k)
    if capacity is not None:
        raise InputError("la capacité maximale par lieu n'est pas encore prise en charge",
                         "relancez sans --capacity", column="--capacity")
    if weight not in study.demand.units.columns:
        options = ["population"] + study.demand.equity_columns
        raise InputError(f"colonne de pondération « {weight} » absente des données de population",
                         f"choisissez parmi {', '.join(options)}", column="--weight")
    if candidates is None or len(candidates) == 0:
        raise InputError("aucun emplacement candidat", "indiquez --candidates (mairies, france_services, cells "
                         "ou un fichier)", column="--candidates")
    return k


def suggest_sites(study: Study, routing: Routing, model: str, k: int | None,
                  threshold_min: float = DEFAULT_THRESHOLD_MIN, candidates: gpd.GeoDataFrame | None = None,
                  weight: str = "population",
                  time_limit_s: float = 60.0, capacity: float | None = None,
                  progress: Callable[[str], None] | None = None, tie_search_s: float | None = None) -> Suggestion:
    """Suggest where to open new reception points, existing sites kept.

    Parameters
    ----------
    study : Study
    routing : Routing
        ``route(study)`` for the existing sites.
    model : {"cover", "maxcover", "median"}
    k : int or None
        Number of new sites (ignored by ``cover``).
    threshold_min : float
        Coverage threshold in minutes (``cover``, ``maxcover``; reported for ``median``).
    candidates : GeoDataFrame
        Candidate places (see :func:`access30.suggest.candidates.build_candidates`), any CRS.
    weight : str
        Unit column to maximise or weight times with (``population`` or an equity column such as
        ``poor_households``).
    time_limit_s : float
        Time limit of the whole request (travel times, model, description of the chosen sites): the
        solver stops early enough for the rest to fit.
    capacity : float, optional
        Not supported yet: raises :class:`InputError` when given.
    progress : callable, optional
        Called with a French line at each step and as the solver improves (the best solution so far,
        its proven bound and gap), for a page to show while it runs.
    tie_search_s : float, optional
        At most this long for the search of other sets as good as the optimum (the app's
        :data:`~access30.locate.alternatives.TIE_SEARCH_S`); by default what the time limit leaves.

    Returns
    -------
    Suggestion

    Raises
    ------
    InputError
        Unknown model or weight, bad ``k`` or threshold, no usable candidate.
    """
    t_start = time.perf_counter()
    k = _check_request(study, model, k, threshold_min, candidates, weight, capacity)
    candidates, notices = dedupe_candidates(study, candidates)
    if len(candidates) == 0:
        raise InputError("aucun emplacement candidat utilisable (tous hors réseau ou confondus avec des lieux "
                         "existants)", "ajoutez d'autres emplacements candidats", column="--candidates")
    units = study.demand.units
    req = _Request(study, routing, join_candidates(study, candidates), float(threshold_min),
                   units["population"].to_numpy(dtype=float),
                   np.nan_to_num(pd.to_numeric(units[weight], errors="coerce").to_numpy(dtype=float)),
                   t_start + float(time_limit_s), progress, reserve_s(time_limit_s),
                   "habitants" if weight == "population" else EQUITY_LABELS_FR.get(weight, weight).lower(),
                   tie_search_s)
    req.say(f"Temps de trajet entre {plural(len(candidates), 'emplacement candidat', 'emplacements candidats')} "
            "et la population…")
    if model == "median":
        res, objective, bound, unreachable = _median(req, k, notices)
        curve = None
    else:
        res, k, curve, unreachable, tied = _covering(req, model, k)
        objective, bound = res.objective, res.bound
    chosen = res.chosen
    req.say("Description des lieux choisis…")
    # Exact times from the chosen sites to every unit they serve faster (not only within the threshold).
    chosen_joins = req.joins.take(chosen)
    chosen_times = _chosen_times(req, chosen_joins)
    new_times = with_sites(chosen_times, np.arange(chosen.size), req.t0)
    covered1 = within(new_times, threshold_min)  # a finite time carries access (a road, or a site within reach)
    suggested = describe(req, candidates.iloc[chosen], chosen_joins, chosen_times, model)
    notices += _notices(req, model, k, res, chosen.size, covered1, unreachable)
    covered0 = req.covered0
    suggestion = Suggestion(model=model, k=k, threshold_min=float(threshold_min), weight=weight, objective=objective,
                      bound=bound, gap=res.gap, optimal=bool(res.optimal), solver=res.solver, status=res.status,
                      suggested=suggested, population_total=float(req.pop.sum()),
                      population_covered_before=float(req.pop[covered0].sum()),
                      population_covered_after=float(req.pop[covered1].sum()),
                      mean_time_before_min=_mean_min(req.t0, req.pop),
                      mean_time_after_min=_mean_min(new_times, req.pop),
                      curve=curve, unreachable_population=unreachable, heuristic_objective=res.heuristic_objective,
                      seconds=time.perf_counter() - t_start, candidates_used=len(candidates), notices=notices)
    if model != "median":  # p-median times rarely tie; its Benders MILP has no cut to add
        tied_choices(suggestion, candidates, study, tied)
    return suggestion


def _covering(req: _Request, model: str, k: int | None
              ) -> tuple[SolveResult, int, pd.DataFrame | None, float, Alternatives]:
    """Cover or maxcover on the units the existing sites leave uncovered; (result, k, curve, unreachable,
    the other sets the solver finds as good).

    Only those units are searched (the others are covered whatever is opened).
    """
    covered0 = req.covered0
    todo = np.flatnonzero(~covered0 & (req.pop > 0))
    times = candidate_unit_times(req.study, req.routing, req.joins, req.thr, units=todo)  # candidates × todo
    reached = np.diff(times.tocsc().indptr) > 0
    keep = req.on_road[todo] | reached
    idx = todo[keep]
    unreachable = float(req.pop[todo[keep & ~reached]].sum())
    cover = sp.csr_matrix(times[:, np.flatnonzero(keep)], dtype=bool)
    if model == "cover":
        res = solve_cover(cover, time_limit_s=req.solver_time(), progress=_told(req, "cover"))
        tied = _tied(req, res, lambda: Cover(cover, reduce=False).arrays, cover.shape[0], res.objective)
        return res, int(res.chosen.size), None, unreachable, tied
    base = float(req.w[covered0].sum())
    res = solve_maxcover(cover, req.w[idx], k, time_limit_s=req.solver_time(), progress=_told(req, "maxcover", base))
    tied = _tied(req, res, lambda: MaxCover(cover, req.w[idx], k, reduce=False).arrays, cover.shape[0],
                 res.objective)
    base_pop = float(req.pop[covered0].sum())
    req.say("Population couverte selon le nombre de nouveaux lieux…")
    res.objective += base
    res.bound += base
    res.heuristic_objective += base
    points = []
    for kk in range(1, k + 1):
        r = res if kk == k else solve_maxcover(cover, req.w[idx], kk, time_limit_s=req.solver_time() / (k - kk))
        add = base if kk != k else 0.0
        newly = within(with_sites(times, r.chosen, req.t0[todo]), req.threshold_min)
        population = base_pop + float(req.pop[todo][newly].sum())
        points.append({"k": kk, "weight_covered": r.objective + add, "population_covered": population,
                       "bound": r.bound + add, "optimal": bool(r.optimal),
                       "greedy_weight_covered": r.heuristic_objective + add})
    curve = pd.DataFrame(points)
    curve["share_covered"] = curve["population_covered"] / max(req.pop.sum(), 1e-12)
    return res, k, curve, unreachable, tied


def _tied(req: _Request, res: SolveResult, arrays, n_sites: int, objective: float) -> Alternatives:
    """The other sets as good as an optimal ``res``, searched on the unreduced MILP (``arrays()``: dominated
    candidates can tie) within the time left; not searched when the solution is not proven optimal."""
    if not res.optimal or res.chosen.size == 0:
        return Alternatives(searched=res.chosen.size > 0 and res.optimal, complete=res.chosen.size == 0)
    return tied_sets(arrays(), n_sites, res.chosen, objective, req.tie_time())


def _median(req: _Request, k: int, notices: list[Notice]) -> tuple[SolveResult, float, float, float]:
    """p-median, units without a site today counted at the longest time searched; (result, objective, bound,
    unreachable), objective and bound as weighted mean minutes."""
    t0, w = req.t0, req.w
    limit = req.search_limit(w > 0)
    times = candidate_unit_times(req.study, req.routing, req.joins, limit)
    reach = np.diff(times.tocsc().indptr) > 0
    counted = (w > 0) & (np.isfinite(t0) | reach)
    unreachable = float(req.pop[req.on_road & ~np.isfinite(t0) & ~reach].sum())
    penalised = counted & ~np.isfinite(t0)
    if penalised.any():
        notices.append(Notice("median_penalty",
                              f"{units_of(int(penalised.sum()), req.study.demand.kind)} sans lieu d'accueil "
                              f"atteignable aujourd'hui : temps compté à {fmt_num(round(limit / 60))} min tant "
                              "qu'aucun nouveau lieu ne les dessert",
                              count=int(penalised.sum())))
    wc = np.where(counted, w, 0.0)
    total_w = max(float(wc.sum()), 1e-12)
    res = solve_median(times, wc, np.where(np.isfinite(t0), t0, limit), k, time_limit_s=req.solver_time(),
                       progress=_told(req, "median", scale=1.0 / total_w / 60.0))
    res.heuristic_objective = res.heuristic_objective / total_w / 60.0
    return res, res.objective / total_w / 60.0, res.bound / total_w / 60.0, unreachable


def reserve_s(time_limit_s: float) -> float:
    """Time kept, out of a request's limit, for what follows the solver (the chosen sites' exact times)."""
    return min(5.0, 0.1 * float(time_limit_s))


def _told(req: _Request, model: str, offset: float = 0.0, scale: float = 1.0):
    """A solver progress callback writing the best solution so far, its bound and gap as a French line."""
    if req.progress is None:
        return None
    def told(stage: str, objective: float, bound: float) -> None:
        best, proven = objective * scale + offset, bound * scale + offset
        if model == "median":
            line = f"meilleure solution trouvée : temps moyen {fmt_min(best)}"
            known = f"borne prouvée {fmt_min(proven)}"
        elif model == "maxcover":
            line = f"meilleure solution trouvée : {fmt_int(best)} {req.counted} couverts"
            known = f"au plus {fmt_int(proven)}"
        else:
            line = f"meilleure solution trouvée : {plural(round(best), 'lieu', 'lieux')}"
            known = f"au moins {fmt_int(np.ceil(proven - 1e-6))}"
        if np.isfinite(proven):
            line += f" ; {known}, écart au plus {fmt_pct(rel_gap(best, proven), 1)}"
        else:
            line += " ; borne en cours de calcul"
        req.say(line[0].upper() + line[1:] + ".")

    return told


#: Notices that say why a suggestion holds no site (nobody to cover, no candidate adds anyone, out of reach).
EMPTY_REASONS = ("nothing_to_cover", "fewer_sites", "unreachable_by_candidates")


def _notices(req: _Request, model: str, k: int | None, res: SolveResult, n_chosen: int, covered1: np.ndarray,
             unreachable: float) -> list[Notice]:
    notices = []
    if not res.optimal:
        notices.append(Notice("not_optimal",
                              f"Solution non prouvée optimale (statut du solveur : {res.status}) : écart maximal "
                              f"de {fmt_pct(res.gap, 2)} à la borne"))
    left = float(req.pop.sum() - req.pop[covered1].sum())
    if model in ("maxcover", "cover") and n_chosen == 0 and left < 0.5:
        notices.append(Notice(
            "nothing_to_cover", f"Toute la population est déjà à {fmt_num(req.threshold_min)} min ou moins d'un lieu "
            "d'accueil : aucun nouveau lieu n'ajouterait d'habitant couvert. Essayez un seuil plus court, ou "
            "l'objectif « temps moyen minimal », qui rapproche encore les habitants d'un lieu"))
    elif model == "maxcover" and n_chosen < k:
        notices.append(Notice(
            "fewer_sites", f"Au-delà de {plural(n_chosen, 'nouveau lieu', 'nouveaux lieux')}, aucun emplacement "
            "candidat n'ajouterait "
            f"d'habitant couvert"
            + (f" : les {fmt_int(left)} habitants encore au-delà du seuil sont hors de portée des emplacements "
               "candidats (essayez d'autres emplacements, par ex. des carreaux habités)" if left >= 0.5 else
               " : toute la population est couverte")))
    if unreachable > 0:
        notices.append(Notice("unreachable_by_candidates",
                              f"{plural(unreachable, 'habitant', 'habitants')} hors de portée de tout "
                              "emplacement candidat"))
    return notices


def _chosen_times(req: _Request, joins: Join) -> sp.csr_matrix:
    """Exact times from the chosen sites to every unit they serve faster than today (chosen × units).

    Not capped like the p-median's search (:data:`MEDIAN_MAX_LIMIT_S`): the figures after opening
    them (mean time, catchments) must equal a coverage rerun with them added, also for units hours
    away on foot. Units reached today need searching up to the longest current time (at least the
    threshold); units no site reaches today, without limit.
    """
    t0 = req.t0
    finite = np.isfinite(t0)
    longest = max(float(t0[finite].max()) if finite.any() else 0.0, longest_covered_s(req.thr))
    rows, cols, vals = [], [], []
    for units, limit in ((np.flatnonzero(finite), longest), (np.flatnonzero(~finite), np.inf)):
        if units.size == 0:
            continue
        part = site_unit_times(req.study.network, req.routing.units.take(units), joins, req.study.access,
                               limit).tocoo()
        rows.append(part.row)
        cols.append(units[part.col])
        vals.append(part.data)
    if not rows:
        return sp.csr_matrix((len(joins), t0.size))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(len(joins), t0.size))


def _mean_min(t: np.ndarray, pop: np.ndarray) -> float:
    ok = np.isfinite(t) & (pop > 0)
    return float(np.average(t[ok], weights=pop[ok]) / 60.0) if ok.any() else float("nan")


def _greedy_order(times: sp.csr_matrix, current: np.ndarray, thr: float, model: str, w: np.ndarray) -> list[int]:
    """Chosen sites (rows of ``times``) by marginal contribution, greedily."""
    order, remaining = [], list(range(times.shape[0]))
    while remaining:
        gains = []
        for c in remaining:
            row = slice(times.indptr[c], times.indptr[c + 1])
            idx, tt = times.indices[row], times.data[row]
            if model == "median":
                gains.append(float(np.dot(w[idx], np.maximum(current[idx] - tt, 0.0))))
            else:
                newly = ~covered(current[idx], thr) & covered(tt, thr)
                gains.append(float(w[idx][newly].sum()))
        best = remaining.pop(int(np.argmax(gains)))
        order.append(best)
        current = with_sites(times, best, current)
    return order


def _nearest_new(times: sp.csr_matrix, order: list[int], t0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each unit's time and rank of its nearest new site when one serves it faster than today (rank -1 otherwise)."""
    best_time, best_site = np.asarray(t0, dtype=float).copy(), np.full(t0.size, -1)
    for rank, c in enumerate(order):
        row = slice(times.indptr[c], times.indptr[c + 1])
        idx, tt = times.indices[row], times.data[row]
        better = tt < best_time[idx]
        best_time[idx[better]] = tt[better]
        best_site[idx[better]] = rank
    return best_time, best_site


def describe(req: _Request, candidates: gpd.GeoDataFrame, joins: Join, times: sp.csr_matrix,
             model: str) -> gpd.GeoDataFrame:
    """Table of the chosen candidates, ranked by marginal contribution (greedy order within the set).

    Parameters
    ----------
    req : _Request
    candidates : GeoDataFrame
        The chosen candidates.
    joins : Join
        Where they join the network.
    times : csr_matrix
        Chosen candidates × units times.
    model : str

    Returns
    -------
    GeoDataFrame
        WGS84, the columns of :attr:`Suggestion.suggested`.
    """
    study, t0, thr = req.study, req.t0, req.thr
    units = study.demand.units
    pop = req.pop
    # Units without a site today count at the longest time considered, as in the p-median model.
    cap = max(thr, float(times.data.max(initial=0.0)))
    order = _greedy_order(times, np.where(np.isfinite(t0), t0, cap), thr, model, req.w)
    best_time, best_site = _nearest_new(times, order, t0)
    newly = ~req.covered0 & covered(best_time, thr) & (best_site >= 0)
    records = []
    wgs = candidates.to_crs("EPSG:4326")
    # Nearest existing site of each chosen place, by the same rule as a resident's.
    routing = req.routing
    own = unit_times(routing.node_times, joins, unit_pairs(joins, routing.sites, study.access, routing.active))
    names = study.sites["name"].to_numpy() if len(study.sites) else np.array([])
    commune_names = ({} if study.communes is None or "nom" not in study.communes.columns else
                     dict(zip(study.communes["code"].astype(str), study.communes["nom"].astype(str))))
    equity = study.demand.equity_columns
    for rank, c in enumerate(order):
        mine = best_site == rank
        near = int(own.site1[c])
        rec = {
            "rank": rank + 1,
            "candidate_id": str(candidates["candidate_id"].iloc[c]),
            "name": str(candidates["name"].iloc[c]),
            "type": str(candidates["type"].iloc[c]),
            "commune": str(candidates["commune"].iloc[c]),
            "commune_nom": commune_name(str(candidates["commune"].iloc[c]), commune_names),
            "lon": float(wgs.geometry.x.iloc[c]),
            "lat": float(wgs.geometry.y.iloc[c]),
            "population_newly_covered": float(pop[newly & mine].sum()),
        }
        for col in equity:
            rec[f"{col}_newly_covered"] = float(units[col].to_numpy(dtype=float)[newly & mine].sum())
        rec["catchment_population"] = float(pop[mine].sum())
        rec["nearest_site"] = str(names[near]) if near >= 0 else ""
        rec["nearest_site_time_min"] = float(own.time1[c] / 60.0)
        rec["gain_note"] = gain_note(rec["population_newly_covered"], rec["catchment_population"], req.threshold_min,
                                     model)
        records.append(rec)
    columns = ["rank", "candidate_id", "name", "type", "commune", "commune_nom", "lon", "lat",
               "population_newly_covered"] + \
        [f"{c}_newly_covered" for c in equity] + ["catchment_population", "nearest_site", "nearest_site_time_min",
                                                  "gain_note"]
    frame = pd.DataFrame(records, columns=columns)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")
