"""Suggesting new reception points for a routed study, as the options ask: candidates, then the model.

:class:`SuggestOptions` is what ``access30 suggest`` and the app's « Suggestions » tab ask
(model, number of sites, candidates, time limit, capacities); :func:`run_suggestion` builds the
candidates and solves the model chosen, with or without capacities.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from access30.base.errors import InputError, Notice
from access30.coverage.capacity import site_capacity
from access30.coverage.options import RunOptions
from access30.coverage.result import Routing
from access30.coverage.scenario import ScenarioState, scenario_routing, scenario_study
from access30.inputs.catalogue import DEFAULT_MAX_CELLS
from access30.inputs.study import Study
from access30.suggest.candidates import DEFAULT_CANDIDATES, build_candidates
from access30.suggest.capacitated import suggest_capacitated
from access30.suggest.suggestion import Suggestion, scenario_words, suggest_sites

#: Coordinates of a candidate table when none is given.
DEFAULT_CANDIDATES_CRS = "EPSG:4326"


@dataclass(frozen=True)
class SuggestOptions:
    """What a suggestion is asked.

    Attributes
    ----------
    model : {"cover", "maxcover", "median"}
    k : int, optional
        New sites (maxcover, median).
    weight : str
        ``population`` or an equity column (``poor_households``…).
    time_limit_s : float
    sources : tuple of str
        Built-in candidate lists and ``cells`` (:data:`~access30.suggest.candidates.CANDIDATE_SOURCES`).
    candidates_file : Path, optional
        The user's own candidate places.
    candidates_crs : str
    files : tuple of (str, Path)
        A built-in candidate list replaced by the user's file (``--mairies-file``…).
    max_cells : int
    cells_method : {"grid", "kmeans"}
    capacitated : bool
        Each site serves at most its capacity (the run's capacity options give it).
    new_capacity : float, optional
        Capacity of a new site, in the capacity's unit (default: the median of the known ones).
    """

    model: str = "maxcover"
    k: int | None = None
    weight: str = "population"
    time_limit_s: float = 60.0
    sources: tuple[str, ...] = DEFAULT_CANDIDATES
    candidates_file: Path | None = None
    candidates_crs: str = DEFAULT_CANDIDATES_CRS
    files: tuple[tuple[str, Path], ...] = field(default_factory=tuple)
    max_cells: int = DEFAULT_MAX_CELLS
    cells_method: str = "grid"
    capacitated: bool = False
    new_capacity: float | None = None


def run_suggestion(study: Study, routing: Routing, options: RunOptions, ask: SuggestOptions,
                   scenario: ScenarioState | None = None, scenario_name: str = "") -> Suggestion:
    """Build the candidates of ``ask`` and solve its model on the routed study, or on the situation
    shown: with a ``scenario`` (sites added and closed, :mod:`access30.coverage.scenario`), the
    suggestion is computed on it, its « before » figures are the scenario's, and it says so
    (``suggestion.scenario`` and a notice).

    What the study found (population outside the network, sites left out…) comes first among the
    suggestion's notices, as in a coverage run.

    Raises
    ------
    InputError
        A capacitated model without capacities, or with a weight other than the population.
    """
    threshold = options.coverage.threshold_min
    capacity = options.coverage.capacity
    study, routing = situation(study, routing, scenario)
    candidates, found = build_candidates(study, ask.sources, path=ask.candidates_file, path_crs=ask.candidates_crs,
                                         files=dict(ask.files), max_cells=ask.max_cells, cells_method=ask.cells_method)
    if ask.capacitated:
        if capacity is None:
            raise InputError("--capacitated sans capacité des lieux", "ajoutez --capacity COLONNE (colonne du "
                             "fichier --sites) ou --capacity hours (heures d'ouverture hebdomadaires)",
                             column="--capacitated")
        if ask.weight != "population":
            raise InputError("le modèle avec capacités sert des habitants : pas de pondération",
                             "retirez --weight ou --capacitated", column="--weight")
        capacities = site_capacity(study.sites, capacity.spec, capacity.unit, path=options.study.sites)
        suggestion = suggest_capacitated(study, routing, ask.model, ask.k, capacities, threshold,
                                         candidates=candidates, new_capacity=ask.new_capacity,
                                         people_per_unit=capacity.people_per_unit, time_limit_s=ask.time_limit_s)
    else:
        suggestion = suggest_sites(study, routing, ask.model, ask.k, threshold, candidates=candidates,
                                   weight=ask.weight, time_limit_s=ask.time_limit_s)
    suggestion.notices[:0] = [*study.notices, *found]
    if scenario is not None:
        said_on_scenario(suggestion, scenario_name)
    if capacity is not None and not ask.capacitated:
        suggestion.notices.append(Notice("capacity_unused", "Capacités des lieux lues (--capacity) mais non "
                                         "utilisées par ce modèle : ajoutez --capacitated pour que chaque lieu ne "
                                         "serve pas plus d'habitants que sa capacité."))
    return suggestion


def situation(study: Study, routing: Routing, scenario: ScenarioState | None = None) -> tuple[Study, Routing]:
    """The study and routing a suggestion reads: the scenario's (its sites added and closed) when one is
    given, the current situation's otherwise."""
    if scenario is None:
        return study, routing
    return scenario_study(study, scenario), scenario_routing(study, routing, scenario)


def said_on_scenario(suggestion: Suggestion, name: str) -> Suggestion:
    """Mark ``suggestion`` as computed on the scenario ``name``: ``suggestion.scenario``, and a headline
    notice first (« Suggestions calculées sur le scénario « X » … »)."""
    suggestion.scenario = name or "sans nom"
    suggestion.notices.insert(0, Notice("suggestion_on_scenario", scenario_words(suggestion), headline=True))
    return suggestion
