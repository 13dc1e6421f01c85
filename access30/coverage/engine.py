"""Routing and evaluating a study, whatever its travel mode: the engine registry.

A study is routed once (:func:`route`: points joined to the network and the searches, or the
timetable scans of a transit study) and the :class:`~access30.coverage.result.Routing` is then
evaluated against any threshold in milliseconds (:func:`evaluate`), so that the app moves the
threshold without routing again. How a mode is routed and evaluated is one :class:`Engine`,
registered in :data:`ENGINES` under the mode's :attr:`~access30.network.modes.TravelMode.kind`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.indicators import evaluate_times
from access30.coverage.result import CoverageResult, Routing
from access30.coverage.roads import route_roads
from access30.coverage.rules import check_threshold
from access30.coverage.transit import evaluate_transit, route_transit
from access30.inputs.study import Study
from access30.network.modes import ROAD, TIMETABLE, get_mode


@dataclass(frozen=True)
class Engine:
    """How the times of one kind of travel mode are computed.

    Attributes
    ----------
    route : callable
        ``route(study, second=True) -> Routing``: every unit's nearest (and second nearest) site.
    evaluate : callable
        ``evaluate(study, routing, threshold_min) -> CoverageResult``.
    """

    route: Callable[..., Routing]
    evaluate: Callable[[Study, Routing, float], CoverageResult]


#: The engine of each kind of travel mode: roads (OSM ways) and timetables (a GTFS feed).
ENGINES: dict[str, Engine] = {
    ROAD: Engine(route=route_roads, evaluate=evaluate_times),
    TIMETABLE: Engine(route=route_transit, evaluate=evaluate_transit),
}


def engine(study: Study) -> Engine:
    """The engine of the study's travel mode (:data:`ENGINES`, by the mode's kind)."""
    return ENGINES[get_mode(study.network.mode).kind]


def route(study: Study, second: bool = True) -> Routing:
    """Compute every unit's travel times to the sites, once per study (see :func:`engine`).

    Parameters
    ----------
    study : Study
    second : bool
        Also find each unit's second-nearest site (exact; needed by catchments and scenarios).

    Returns
    -------
    Routing

    Examples
    --------
    >>> from access30 import StudyRequest, assemble_study, route
    >>> study = assemble_study(StudyRequest(territory="st-brieuc-loudeac"))
    >>> routing = route(study)
    >>> len(routing.times.time1) == len(study.demand.units)
    True
    """
    return engine(study).route(study, second=second)


def evaluate(study: Study, routing: Routing, threshold_min: float = DEFAULT_THRESHOLD_MIN) -> CoverageResult:
    """Coverage indicators of a routed study for a threshold in minutes (see :func:`engine`).

    Raises
    ------
    InputError
        If the threshold is not a positive number of minutes up to 24 hours.
    """
    check_threshold(threshold_min)
    return engine(study).evaluate(study, routing, threshold_min)


def run_coverage(study: Study, threshold_min: float = DEFAULT_THRESHOLD_MIN) -> CoverageResult:
    """Route a study and evaluate it against a threshold (the whole coverage job)."""
    check_threshold(threshold_min)
    return evaluate(study, route(study), threshold_min)
