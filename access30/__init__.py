"""access30: can every resident reach a *premier accueil social inconditionnel* within 30 minutes?

For a French département, access30 computes the exact network travel time from every resident (200 m
grid cells, or communes) to the nearest reception point, the population covered within a threshold,
the *zones blanches*, and where to open new points (exact location models on HiGHS). The stages
are folders (:mod:`access30.base`, ``network``, ``routing``, ``inputs``, ``coverage``, ``locate``,
``suggest``, ``outputs``, ``national``, ``cli``), each importing only those below it; this module
names what a Python user needs.

Examples
--------
The embedded demo territory (Saint-Brieuc – Loudéac, 42 communes, partial OSM network): everyone
within 30 minutes by car, 2,177 people beyond 20 minutes.

>>> import access30
>>> study = access30.assemble_study(access30.StudyRequest(territory="st-brieuc-loudeac"))
>>> routing = access30.route(study)                      # the searches, once
>>> result = access30.evaluate(study, routing, 30)       # any threshold, in milliseconds
>>> round(result.summary.population_total), round(result.summary.population_covered)
(154995, 154995)
>>> round(access30.evaluate(study, routing, 20).summary.population_covered)
152818
>>> suggestion = access30.suggest_sites(study, routing, "maxcover", k=2, threshold_min=20,
...                                     candidates=access30.build_candidates(study)[0])
>>> round(suggestion.population_covered_after)
154870
"""

import importlib

# The names load on first use (PEP 562): ``import access30`` stays light, so the command line
# starts in a fraction of a second and a command loads only the stages it runs.
_HOMES = {
    "CapacityOptions": "access30.coverage.options",
    "CoverageOptions": "access30.coverage.options",
    "CoverageResult": "access30.coverage.result",
    "DEFAULT_THRESHOLD_MIN": "access30.base.settings",
    "InputError": "access30.base.errors",
    "Notice": "access30.base.errors",
    "Routing": "access30.coverage.result",
    "RunOptions": "access30.coverage.options",
    "Study": "access30.inputs.study",
    "StudyRequest": "access30.inputs.assemble",
    "SuggestOptions": "access30.suggest.run",
    "Suggestion": "access30.suggest.suggestion",
    "assemble_study": "access30.inputs.assemble",
    "build_candidates": "access30.suggest.candidates",
    "evaluate": "access30.coverage.engine",
    "route": "access30.coverage.engine",
    "run": "access30.coverage.run",
    "run_coverage": "access30.coverage.engine",
    "run_suggestion": "access30.suggest.run",
    "suggest_sites": "access30.suggest.suggestion",
    "write_gpkg": "access30.outputs.export",
    "write_report": "access30.outputs.pack",
    "write_summary": "access30.outputs.export",
}

__all__ = sorted(_HOMES)


def __getattr__(name):
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'access30' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_HOMES))
