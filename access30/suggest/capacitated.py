"""Suggest new reception points when sites have a capacity (``access30 suggest --capacitated``).

The capacitated twin of :func:`access30.suggest.suggestion.suggest_sites`: existing sites keep their
capacity in people (capacity × people per unit, :mod:`access30.coverage.capacity`), each new site gets
``--new-capacity`` units, and :mod:`access30.locate.capacitated` chooses the new sites so that

* ``maxcover``: the most people are covered *and served within capacity* (within the threshold);
* ``median``: the population-weighted time is lowest, every site serving at most its capacity.

The chosen sites are then described with the coverage's own rule, as for the uncapacitated models,
and the assignment is checked: no site serves more than its capacity.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd

from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_dec, fmt_int, fmt_list, fmt_num, fmt_pct, plural
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.capacity import unit_plural
from access30.coverage.fca import capacity_in_people
from access30.coverage.result import Routing
from access30.coverage.rules import longest_covered_s, within
from access30.inputs.study import Study
from access30.locate._reduce import with_sites
from access30.locate.alternatives import Alternatives
from access30.locate.capacitated import CapacitatedMaxCover, CapacitatedMedian
from access30.routing.roads import site_unit_times
from access30.suggest.candidates import dedupe_candidates, join_candidates
from access30.suggest.matrix import candidate_unit_times
from access30.suggest.suggestion import (
    MEDIAN_MAX_LIMIT_S,
    Suggestion,
    _check_k,
    _mean_min,
    _Request,
    describe,
    gain_note,
    tied_choices,
)

CAPACITATED_MODELS = ("maxcover", "median")


def suggest_capacitated(study: Study, routing: Routing, model: str, k: int, capacity,
                        threshold_min: float = DEFAULT_THRESHOLD_MIN, candidates=None,
                        new_capacity: float | None = None, people_per_unit: float | None = None,
                        time_limit_s: float = 60.0, tie_search_s: float | None = None) -> Suggestion:
    """Suggest ``k`` new reception points with site capacities, existing sites kept.

    Parameters
    ----------
    study : Study
    routing : Routing
        ``route(study)``.
    model : {"maxcover", "median"}
    k : int
        Number of new sites (at most).
    capacity : Capacity
        Capacity of each existing site (:func:`access30.coverage.capacity.site_capacity`); a site of unknown
        capacity serves nobody in the model, and a notice says so.
    threshold_min : float
        Threshold in minutes (``maxcover``; reported for ``median``).
    candidates : GeoDataFrame
        Candidate places, any CRS.
    new_capacity : float, optional
        Capacity of each new site, in the unit of ``capacity``; default the median known capacity.
    people_per_unit : float, optional
        People one capacity unit serves; default total population / total known capacity.
    time_limit_s : float
        Solver time limit for the whole request.
    tie_search_s : float, optional
        At most this long for the search of other sets as good as the optimum; by default what the time
        limit leaves.

    Returns
    -------
    Suggestion
        With ``capacitated`` set: people served within capacity, the ratio, and per site its
        capacity in people and the people the optimal assignment gives it.

    Raises
    ------
    InputError
        Unknown model, bad ``k``, no known capacity, no candidate, a bad new capacity.
    """
    t_start = time.perf_counter()
    if model not in CAPACITATED_MODELS:
        raise InputError(f"modèle « {model} » sans version avec capacités", "choisissez maxcover ou median",
                         column="--model")
    k = _check_k(model, k)
    if candidates is None or len(candidates) == 0:
        raise InputError("aucun emplacement candidat", "indiquez --candidates", column="--candidates")
    candidates, notices = dedupe_candidates(study, candidates)
    if len(candidates) == 0:
        raise InputError("aucun emplacement candidat utilisable", "ajoutez d'autres emplacements candidats",
                         column="--candidates")
    units = study.demand.units
    pop = units["population"].to_numpy(dtype=float)
    people = capacity_in_people(capacity, float(pop.sum()), people_per_unit)
    known = capacity.known
    if not known.any():
        raise InputError("aucun lieu de capacité connue", "renseignez la capacité d'au moins un lieu",
                         column="--capacity")
    if new_capacity is None:
        new_units = float(np.median(capacity.values[known]))
        how = "médiane des capacités connues"
    else:
        new_units = float(new_capacity)
        how = "--new-capacity"
        if not (np.isfinite(new_units) and new_units > 0):
            raise InputError(f"capacité d'un nouveau lieu invalide ({new_capacity})",
                             "indiquez un nombre strictement positif", column="--new-capacity")
    cap_existing = np.where(known, people.capacity_people, 0.0)
    cap_new = new_units * people.people_per_unit
    if (~known).any():
        notices.append(Notice("capacity_unknown_model",
                              f"{plural(int((~known).sum()), 'lieu', 'lieux')} sans capacité connue : ne "
                              "reçoivent personne dans le modèle avec capacités (aucune capacité supposée)",
                              count=int((~known).sum())))
    req = _Request(study, routing, join_candidates(study, candidates), float(threshold_min), pop, pop,
                   t_start + float(time_limit_s), tie_limit_s=tie_search_s)
    limit = req.thr if model == "maxcover" else req.search_limit(req.on_road)
    t_exist = site_unit_times(study.network, routing.units, routing.sites, study.access,
                              longest_covered_s(limit)).T.tocsr()
    t_cand = candidate_unit_times(study, routing, req.joins, limit).T.tocsr()
    if model == "maxcover":
        solver = CapacitatedMaxCover(t_exist, t_cand, pop, cap_existing, k, threshold_min=None,
                                     capacity_new=cap_new, time_limit_s=req.time_left())
    else:
        solver = CapacitatedMedian(t_exist, t_cand, pop, cap_existing, k, capacity_new=cap_new,
                                   penalty_s=MEDIAN_MAX_LIMIT_S, time_limit_s=req.time_left())
    res = solver.solve()
    tied = (solver.alternatives(res, req.tie_time()) if res.optimal and len(res.chosen)
            else Alternatives(searched=False))
    notices += [n for n in res.notices if n.code != "not_optimal"]
    chosen = np.asarray(res.chosen, dtype=np.int64)
    chosen_joins = req.joins.take(chosen)
    chosen_times = candidate_unit_times(study, routing, chosen_joins, req.search_limit(req.on_road))
    new_times = with_sites(chosen_times, np.arange(chosen.size), req.t0)
    covered1 = within(new_times, threshold_min)
    suggested = describe(req, candidates.iloc[chosen], chosen_joins, chosen_times, model)
    n_exist = len(study.sites)
    served_new = res.served[n_exist + chosen] if chosen.size else np.zeros(0)
    order = {str(c): i for i, c in enumerate(candidates["candidate_id"].iloc[chosen].astype(str))}
    suggested["capacity_people"] = cap_new
    suggested["served_population"] = [float(served_new[order[str(c)]]) for c in suggested["candidate_id"]]
    suggested["gain_note"] = [gain_note(r.population_newly_covered, r.catchment_population, threshold_min, model,
                                        served=r.served_population, capacity=cap_new)
                              for r in suggested.itertuples()]
    check = _capacity_check(study, res, cap_existing, cap_new, chosen, capacity, people, new_units, how, k)
    if not check["capacity_sufficient"]:
        notices.append(Notice("capacity_insufficient", capacity_shortfall(check, threshold_min, model)))
    if not res.optimal:
        notices.append(Notice("not_optimal", f"Solution non prouvée optimale (statut du solveur : {res.status}) : "
                                             f"écart maximal de {fmt_pct(res.gap, 2)} à la borne"))
    if model == "maxcover":
        objective, bound = res.objective, res.bound
    else:
        total = max(float(pop.sum()), 1e-12)
        objective, bound = res.objective / total / 60.0, res.bound / total / 60.0
    suggestion = Suggestion(model=model, k=k, threshold_min=float(threshold_min), weight="population",
                      objective=objective, bound=bound, gap=res.gap, optimal=bool(res.optimal),
                      solver="HiGHS (Benders, capacités)", status=res.status, suggested=suggested,
                      population_total=float(pop.sum()), population_covered_before=float(pop[req.covered0].sum()),
                      population_covered_after=float(pop[covered1].sum()),
                      mean_time_before_min=_mean_min(req.t0, pop), mean_time_after_min=_mean_min(new_times, pop),
                      curve=None, unreachable_population=0.0, heuristic_objective=res.heuristic_objective,
                      seconds=time.perf_counter() - t_start, candidates_used=len(candidates), notices=notices,
                      capacitated=check)
    tied_choices(suggestion, candidates, study, tied)
    return suggestion


def _capacity_check(study: Study, res, cap_existing: np.ndarray, cap_new: float, chosen: np.ndarray, capacity,
                    people, new_units: float, how: str, k: int) -> dict:
    """What the capacitated assignment gives each site, whether every capacity holds, and whether the
    capacities suffice for the people within reach of the open sites (with the capacity that would)."""
    n_exist = len(study.sites)
    idx = np.concatenate([np.arange(n_exist), n_exist + chosen]).astype(np.int64)
    served = np.asarray(res.served, dtype=float)[idx]
    cap = np.concatenate([cap_existing, np.full(chosen.size, cap_new)])
    names = list(study.sites["name"].astype(str)) + [f"nouveau lieu {i + 1}" for i in range(chosen.size)]
    ids = list(study.sites["site_id"].astype(str)) + [f"nouveau-{i + 1}" for i in range(chosen.size)]
    with np.errstate(divide="ignore", invalid="ignore"):
        use = np.where(cap > 0, served / cap, np.where(served > 0, np.inf, 0.0))
    respected = bool(np.all(served <= cap * (1 + 1e-9) + 1e-6))
    within = res.reachable_open_population
    short = res.unserved_for_capacity
    ratio = float(people.people_per_unit)
    n_new = int(chosen.size) if chosen.size else int(k or 0)
    known_units = float(np.nansum(np.where(capacity.known, capacity.values, 0.0)))
    open_units = known_units + n_new * new_units
    existing_people = float(cap_existing.sum())
    return {
        "population_within_reach": within,
        "population_unserved_for_capacity": short,
        "capacity_sufficient": bool(short <= max(0.5, 1e-9 * within)),
        "capacity_open_units": open_units,
        "capacity_open_people": float(cap.sum()),
        "capacity_needed_people": within,
        "capacity_needed_units": within / ratio,
        "people_per_unit_needed": within / open_units if open_units > 0 else None,
        "new_capacity_needed": ((within - existing_people) / (n_new * ratio)
                                if n_new and within > existing_people else None),
        "capacity_unit": capacity.unit,
        "people_per_unit": float(people.people_per_unit),
        "people_per_unit_label": people.label,
        "new_capacity": new_units,
        "new_capacity_source": how,
        "new_capacity_people": float(cap_new),
        "population_served": float(served.sum()),
        "population_unassigned": float(res.unassigned_population),
        "capacity_respected": respected,
        "max_utilisation": float(use.max()) if use.size else 0.0,
        "mean_time_served_min": float(res.mean_time_min),
        "sites": pd.DataFrame({"site_id": ids, "name": names, "capacity_people": cap, "served_population": served,
                               "utilisation": use}).to_dict("records"),
    }


def _option_value(value: float) -> str:
    """A lower bound written as it is typed after an option: rounded up to a tenth, decimal comma,
    no thousands separator (« 58935 », « 2,5 »)."""
    text = f"{math.ceil(float(value) * 10 - 1e-9) / 10:.1f}".rstrip("0").rstrip(".")
    return text.replace(".", ",")


def capacity_shortfall(check: dict, threshold_min: float, model: str) -> str:
    """« Capacités insuffisantes… » in French: the people within reach of the open sites left without
    a place and, when the open capacity is short in total, the capacity that would serve them all
    (lower bounds: places must also be where the people are); when it is not, that it is misplaced."""
    unit = check["capacity_unit"]
    reach = (f"à {fmt_num(threshold_min)} min ou moins" if model == "maxcover" else "à portée")
    text = (f"Capacités insuffisantes : {fmt_int(check['population_served'])} habitants servis sur "
            f"{fmt_int(check['population_within_reach'])} {reach} des lieux ouverts de capacité connue ; "
            f"{fmt_int(check['population_unserved_for_capacity'])} restent sans place faute de capacité")
    if check["capacity_open_people"] >= check["capacity_needed_people"]:
        saturated = [site["name"] for site in check["sites"] if site["utilisation"] >= 1 - 1e-9]
        return (text + f". La capacité totale des lieux ouverts ({fmt_int(check['capacity_open_people'])} "
                "habitants) suffirait, mais elle n'est pas là où vivent ces habitants : augmentez la capacité "
                "des lieux saturés" + (f" ({fmt_list(saturated)})" if saturated else "")
                + " ou ouvrez davantage de lieux (--k).")
    text += (f" (capacité des lieux ouverts : {fmt_dec(check['capacity_open_units'])} {unit_plural(unit)}, soit "
             f"{fmt_int(check['capacity_open_people'])} habitants). Pour les servir tous, il faudrait au moins "
             f"{fmt_int(check['capacity_needed_people'])} places, soit {fmt_dec(check['capacity_needed_units'])} "
             f"{unit_plural(unit)} à {fmt_dec(check['people_per_unit'])} habitants par {unit}")
    ways = []
    if check["people_per_unit_needed"] is not None and check["people_per_unit_needed"] > check["people_per_unit"]:
        ways.append(f"--people-per-unit {_option_value(check['people_per_unit_needed'])} au moins")
    if check["new_capacity_needed"] is not None and check["new_capacity_needed"] > check["new_capacity"]:
        ways.append(f"--new-capacity {_option_value(check['new_capacity_needed'])} au moins par nouveau lieu")
    return text + (" : " + " ou ".join(ways) if ways else "") + "."


def capacitated_lines(suggestion: Suggestion) -> list[str]:
    """French lines for the command line and the app: whether the capacities suffice (first), people
    served within capacity and whether every capacity holds."""
    check = suggestion.capacitated
    if not check:
        return []
    lines = []
    if not check.get("capacity_sufficient", True):
        lines.append("⚠ " + capacity_shortfall(check, suggestion.threshold_min, suggestion.model))
    lines += [f"Avec capacités ({check['people_per_unit_label']}) : {fmt_int(check['population_served'])} habitants "
             f"servis dans la limite des capacités ; nouveau lieu : {fmt_dec(check['new_capacity'])} "
             f"{unit_plural(check['capacity_unit'])} ({check['new_capacity_source']}), "
             f"soit {fmt_int(check['new_capacity_people'])} habitants",
             "Capacités respectées par l'affectation : " + ("oui" if check["capacity_respected"] else "NON")
             + f" (taux d'occupation maximal {fmt_pct(check['max_utilisation'])})"]
    return lines

