"""Where to open new reception points in a study: candidates, their travel times, and the models solved.

The location models of :mod:`access30.locate` work on plain matrices; this stage builds those
matrices from a routed study (candidates joined to the network exactly as sites are, unit times by
the coverage's own rule) and turns the solution back into ranked places with their figures.

Public API
----------
suggest_sites, Suggestion, MODELS
    Candidates in, ranked suggested sites and their figures out.
suggest_capacitated
    The same with site capacities (capacitated maximal covering and p-median).
build_candidates
    Candidate places: the built-in lists (town halls, France Services), populated cells, a file.
candidate_unit_times
    Candidate × unit travel times by the coverage's own rule.
plan_tour, TourOptions, TourPlan, schedule_sites
    « Hors les murs »: the round of one mobile team (:mod:`access30.suggest.tour`), and its stops as a
    site list to give back to the coverage.
"""

from access30.suggest.candidates import build_candidates
from access30.suggest.capacitated import suggest_capacitated
from access30.suggest.matrix import candidate_unit_times
from access30.suggest.suggestion import MODELS, Suggestion, suggest_sites
from access30.suggest.tour import TourOptions, TourPlan, plan_tour, schedule_sites

__all__ = ["MODELS", "Suggestion", "TourOptions", "TourPlan", "build_candidates", "candidate_unit_times",
           "plan_tour", "schedule_sites", "suggest_capacitated", "suggest_sites"]
