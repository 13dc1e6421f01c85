"""Where to open new reception points: exact location models on network travel times.

Three models, with the existing sites kept:

* :class:`Cover` (``cover``, set covering): the fewest new sites so that every unit some candidate
  can reach within the threshold is covered;
* :class:`MaxCover` (``maxcover``, maximal covering): the most people covered with ``k`` new
  sites, and the curve of covered population for 1..k sites;
* :class:`Median` (``median``, p-median): the lowest population-weighted mean time with ``k`` new
  sites, each unit's time being capped by its time to the existing sites.

Each model is built from a candidate × unit matrix and solved by ``.solve(time_limit_s)``, which
runs the one sequence of :mod:`access30.locate._solve` on HiGHS: a greedy + swap heuristic, the LP
relaxation first, then the MILP warm-started from the best known sites. Objective, best bound and
gap are always reported; only a proven optimum is called optimal.

Public API
----------
suggest_sites, Suggestion, MODELS
    The entry point: candidates in, ranked suggested sites and their figures out.
candidate_unit_times
    Candidate × unit travel times by the coverage's own rule.
Cover, MaxCover, Median, SolveResult
    The models and their result; :func:`solve_cover`, :func:`solve_maxcover` and
    :func:`solve_median` build and solve one in a call.
CapacitatedMaxCover, CapacitatedMedian, CapacitatedResult
    Capacitated maximal covering and p-median (:mod:`access30.locate.capacitated`): sites have a
    capacity in people, each unit's people are assigned within it; their own Benders sequence.
TourModel, TourResult
    The « hors les murs » round of one mobile team (:mod:`access30.locate.tour`): maximal covering by
    the stops of its half-days, same-day stops joined within the midday break, solved exactly.
merge_units, dominated_candidates, median_value, MEDIAN_FORMULATIONS
    Reductions and the p-median objective, for tests and benchmarks.
"""

from access30.locate._reduce import dominated_candidates, merge_units
from access30.locate._solve import SolveResult
from access30.locate.capacitated import CapacitatedMaxCover, CapacitatedMedian, CapacitatedResult
from access30.locate.cover import Cover, solve_cover
from access30.locate.maxcover import MaxCover, solve_maxcover
from access30.locate.median import MEDIAN_FORMULATIONS, Median, median_value, solve_median
from access30.locate.tour import TourModel, TourResult

__all__ = ["MEDIAN_FORMULATIONS", "CapacitatedMaxCover", "CapacitatedMedian", "CapacitatedResult", "Cover",
           "MaxCover", "Median", "SolveResult", "TourModel", "TourResult", "dominated_candidates", "median_value",
           "merge_units", "solve_cover", "solve_maxcover", "solve_median"]
