"""The coverage study: inputs, routing, and indicators, wired together.

A :class:`Study` holds the prepared inputs (network, demand, sites, communes). :func:`route` does
the expensive part once (joining points to the network and Dijkstra searches) and returns a :class:`Routing`;
:func:`evaluate` turns it into a :class:`CoverageResult` for any threshold in milliseconds, so the
app can move the threshold slider without routing again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from access30.coverage.transit import evaluate_transit, route_transit
from access30.network.modes import get_mode

if TYPE_CHECKING:
    pass

if TYPE_CHECKING:
    pass
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.indicators import evaluate_times
from access30.coverage.result import CoverageResult, Routing
from access30.coverage.roads import route_roads
from access30.coverage.rules import check_threshold
from access30.inputs.study import Study


def engine(study: Study):
    """``(route, evaluate)`` functions of the study's travel mode: the one place that decides how a
    mode's times are computed, from its :attr:`~access.modes.TravelMode.kind`.

    Road modes are routed on the OSM network here (:mod:`access.routing`); timetable modes (public
    transport) by :mod:`access.transit_study` over a GTFS feed.
    """
    if get_mode(study.network.mode).timetable:
        return route_transit, evaluate_transit
    return route_roads, evaluate_times


def route(study: Study, second: bool = True) -> Routing:
    """Compute every unit's travel times to the sites, once per study (see :func:`engine`)."""
    return engine(study)[0](study, second=second)


def evaluate(study: Study, routing: Routing, threshold_min: float = DEFAULT_THRESHOLD_MIN) -> CoverageResult:
    """Coverage indicators of a routed study for a threshold in minutes (see :func:`engine`).

    Raises
    ------
    InputError
        If the threshold is not a positive number of minutes up to 24 hours.
    """
    check_threshold(threshold_min)
    return engine(study)[1](study, routing, threshold_min)


def run_coverage(study: Study, threshold_min: float = DEFAULT_THRESHOLD_MIN) -> CoverageResult:
    """Route a study and evaluate it against a threshold (the whole coverage job)."""
    check_threshold(threshold_min)
    return evaluate(study, route(study), threshold_min)

