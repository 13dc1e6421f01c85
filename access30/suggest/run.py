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
from access30.inputs.catalogue import DEFAULT_MAX_CELLS
from access30.inputs.study import Study
from access30.suggest.candidates import DEFAULT_CANDIDATES, build_candidates
from access30.suggest.capacitated import suggest_capacitated
from access30.suggest.suggestion import Suggestion, suggest_sites

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


def run_suggestion(study: Study, routing: Routing, options: RunOptions, ask: SuggestOptions) -> Suggestion:
    """Build the candidates of ``ask`` and solve its model on the routed study.

    What the study found (population outside the network, sites left out…) comes first among the
    suggestion's notices, as in a coverage run.

    Raises
    ------
    InputError
        A capacitated model without capacities, or with a weight other than the population.
    """
    threshold = options.coverage.threshold_min
    capacity = options.coverage.capacity
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
    if capacity is not None and not ask.capacitated:
        suggestion.notices.append(Notice("capacity_unused", "Capacités des lieux lues (--capacity) mais non "
                                         "utilisées par ce modèle : ajoutez --capacitated pour que chaque lieu ne "
                                         "serve pas plus d'habitants que sa capacité."))
    return suggestion
