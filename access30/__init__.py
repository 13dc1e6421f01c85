"""access30: can every resident reach a *premier accueil social inconditionnel* within 30 minutes?

For a French département, access30 computes the exact network travel time from every resident (200 m
grid cells, or communes) to the nearest reception point, the population covered within a threshold,
the *zones blanches*, and where to open new points (exact location models on HiGHS). The stages
are folders (:mod:`access30.base`, ``network``, ``routing``, ``inputs``, ``coverage``, ``locate``,
``suggest``, ``outputs``, ``national``, ``cli``), each importing only those below it; this module
names what a Python user needs.

Examples
--------
The embedded demo territory (Saint-Brieuc – Loudéac, 46 communes, partial OSM network):

>>> import access30
>>> study = access30.assemble_study(access30.StudyRequest(territory="st-brieuc-loudeac"))
>>> routing = access30.route(study)                      # the searches, once
>>> result = access30.evaluate(study, routing, 30)       # any threshold, in milliseconds
>>> round(result.summary.population_total), round(result.summary.population_covered)
(176836, 176624)
>>> suggestion = access30.suggest_sites(study, routing, "maxcover", k=2, threshold_min=30,
...                                     candidates=access30.build_candidates(study)[0])
>>> round(suggestion.population_covered_after)
176836
"""

from access30.base.errors import InputError, Notice
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.engine import evaluate, route, run_coverage
from access30.coverage.options import CapacityOptions, CoverageOptions, RunOptions
from access30.coverage.result import CoverageResult, Routing
from access30.coverage.run import run
from access30.inputs.assemble import StudyRequest, assemble_study
from access30.inputs.study import Study
from access30.outputs.export import write_gpkg, write_summary
from access30.outputs.pack import write_report
from access30.suggest.candidates import build_candidates
from access30.suggest.run import SuggestOptions, run_suggestion
from access30.suggest.suggestion import Suggestion, suggest_sites

__all__ = [
    "DEFAULT_THRESHOLD_MIN", "CapacityOptions", "CoverageOptions", "CoverageResult", "InputError", "Notice",
    "Routing", "RunOptions", "Study", "StudyRequest", "SuggestOptions", "Suggestion", "assemble_study",
    "build_candidates", "evaluate", "route", "run", "run_coverage", "run_suggestion", "suggest_sites", "write_gpkg",
    "write_report", "write_summary",
]
