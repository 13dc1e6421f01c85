"""The opening-hours lens: coverage counting only the sites open at a moment of the week, or open to people at work."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_list, fmt_pct, plural
from access30.base.moments import format_when, parse_when
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.compare import compare_results
from access30.coverage.engine import evaluate, route
from access30.coverage.result import CoverageResult, Routing
from access30.coverage.roads import far_sites_notice, reroute
from access30.coverage.summary import HoursSummary
from access30.inputs.hours import open_at, open_for_workers, site_hours
from access30.inputs.schedule import SOME_WEEKS
from access30.inputs.study import Study


def _subset_routing(study: Study, routing: Routing, mask: np.ndarray) -> Routing:
    """Routing of ``study.with_sites(study.sites[mask])`` reusing the unit and site joins of
    ``routing`` (computed on the full site list): only the Dijkstra searches are rerun."""
    if len(routing.sites) != len(study.sites):
        raise ValueError("routing was computed for another site list")
    sites = routing.sites.take(np.flatnonzero(mask))
    notices = []
    if (~sites.on_road).any():
        notices.append(far_sites_notice(study, study.sites.loc[mask, "name"].to_numpy()[~sites.on_road].tolist()))
    return reroute(study, routing.units, sites, np.ones(len(sites), dtype=bool), notices)


def _coverage_of(study: Study, routing: Routing, mask: np.ndarray, threshold_min: float) -> CoverageResult:
    sub = study.with_sites(study.sites.loc[mask])
    return evaluate(sub, _subset_routing(study, routing, mask), threshold_min)


def coverage_when(study: Study, routing: Routing | None, available: np.ndarray, what: str,
                  threshold_min: float = DEFAULT_THRESHOLD_MIN) -> CoverageResult:
    """Coverage by the sites ``available`` (True/False/None/``SOME_WEEKS`` per site, from
    :func:`open_at` or :func:`open_for_workers`), with unknown-hours sites reported apart.

    Sites with unknown hours are left out of the headline figures (the lower bound); the summary
    also gives the share covered if they were all available (``share_covered_if_unknown_open``).
    Sites available in some weeks of the four-week cycle only (:data:`SOME_WEEKS`: « 1er et 3e
    mardi », « semaines paires ») are left out of the headline too, counted apart
    (``sites_open_some_weeks``) with the share covered if they counted
    (``share_covered_if_some_weeks_open``) and a notice naming them: the headline is what a resident
    finds open whatever the week.

    Parameters
    ----------
    study : Study
    routing : Routing or None
        ``route(study)`` on the full site list, to reuse its joins; None routes from scratch.
    available : ndarray of object
    what : str
        French description of the moment, for notices (e.g. "le mardi à 18:00").
    threshold_min : float
    """
    available = np.asarray(available, dtype=object)
    if available.size != len(study.sites):
        raise ValueError("one availability per site expected")
    is_open = np.array([a is True for a in available], dtype=bool)
    some = np.array([isinstance(a, str) and a == SOME_WEEKS for a in available], dtype=bool)
    if routing is None:
        # Snap units and sites once; each subset of sites then only reruns the searches.
        routing = route(study)
    unknown = np.array([a is None for a in available], dtype=bool)
    if len(study.sites) and unknown.all():
        # Every site « unknown »: the headline would read 0 % covered, a figure about the file, not the territory.
        read = plural(len(study.sites), "lieu lu", "lieux lus")
        raise InputError(f"aucun lieu d'accueil n'a d'horaires d'ouverture lisibles ({read}) : la couverture "
                         f"{what} ne peut pas être calculée",
                         "ajoutez aux lieux une colonne « horaires » (syntaxe OpenStreetMap opening_hours, par ex. "
                         "« Mo-Fr 09:00-12:00,14:00-17:00 »), ou calculez la couverture sans --at ni --workers-hours",
                         column="horaires")
    result = _coverage_of(study, routing, is_open, threshold_min)
    upper = (_coverage_of(study, routing, is_open | unknown, threshold_min).summary.share_covered
             if unknown.any() else result.summary.share_covered)
    upper_some = (_coverage_of(study, routing, is_open | some, threshold_min).summary.share_covered
                  if some.any() else result.summary.share_covered)
    parsed = site_hours(study.sites)
    result = replace(result, summary=replace(result.summary, hours=HoursSummary(
        when=what, sites_all=int(len(study.sites)), sites_open=int(is_open.sum()),
        sites_closed=int((~is_open & ~unknown & ~some).sum()), sites_hours_unknown=int(unknown.sum()),
        share_covered_if_unknown_open=upper, sites_open_some_weeks=int(some.sum()),
        share_covered_if_some_weeks_open=upper_some)))
    result.notices.append(Notice("hours_open", f"Lieux d'accueil ouverts {what} : {int(is_open.sum())} sur "
                                               f"{len(study.sites)} ; seuls ceux-ci comptent dans la couverture.",
                                 count=int(is_open.sum())))
    if some.any():
        names = study.sites["name"].to_numpy()[some].tolist()
        result.notices.append(Notice(
            "hours_some_weeks",
            f"{plural(len(names), 'lieu ouvert', 'lieux ouverts')} {what} certaines semaines seulement (permanences "
            "du 1er et du 3e mardi, semaines paires…), comptés à part : " + fmt_list(names)
            + f". S'ils comptaient, la part de la population couverte passerait de "
            f"{fmt_pct(result.summary.share_covered)} à {fmt_pct(upper_some)}.",
            count=len(names), details=names))
    if unknown.any():
        names = study.sites["name"].to_numpy()[unknown].tolist()
        reasons = [parsed[i].reason for i in np.flatnonzero(unknown)]
        result.notices.append(Notice(
            "hours_unknown",
            f"{plural(len(names), 'lieu', 'lieux')} aux horaires inconnus ou illisibles, comptés à part (ni ouverts "
            "ni fermés) : " + fmt_list(names)
            + f". S'ils étaient ouverts, la part de la population couverte passerait de "
            f"{fmt_pct(result.summary.share_covered)} à {fmt_pct(upper)}.",
            count=len(names), details=[f"{n} ({r})" for n, r in zip(names, reasons)]))
    corrected = sorted({note for i in np.flatnonzero(is_open) for note in parsed[i].notes})
    if corrected:
        result.notices.append(Notice("hours_corrected", "Horaires corrigés à la lecture : " + " ; ".join(corrected),
                                     count=len(corrected)))
    return result


def coverage_at(study: Study, routing: Routing | None, when,
                threshold_min: float = DEFAULT_THRESHOLD_MIN, qualifier: str = "") -> CoverageResult:
    """Coverage by the sites open at a moment of the week.

    Parameters
    ----------
    study : Study
    routing : Routing or None
        ``analysis.route(study)`` on the full site list (its joins are reused), or None.
    when : str, datetime or (day, minute)
        E.g. ``"mardi 18:00"`` (see :func:`parse_when`).
    threshold_min : float
    qualifier : str
        Words added to the moment in the figures (« sans rendez-vous » under the walk-in lens).

    Returns
    -------
    CoverageResult
        As :func:`analysis.evaluate` with only open sites; ``summary.hours``
        (:class:`~access30.coverage.summary.HoursSummary`) counts the sites open, closed and of unknown hours, and
        the share covered if those were open; notices list the sites with unknown hours.
    """
    day, minute = parse_when(when)
    what = f"{qualifier} le {format_when(day, minute).replace(' ', ' à ')}".strip()
    return coverage_when(study, routing, open_at(study.sites, day, minute), what, threshold_min)


def coverage_for_workers(study: Study, routing: Routing | None,
                         threshold_min: float = DEFAULT_THRESHOLD_MIN, qualifier: str = "") -> CoverageResult:
    """Coverage by the sites open at hours people in work can come (:func:`open_for_workers`);
    ``qualifier`` as in :func:`coverage_at`."""
    what = f"{qualifier} aux horaires accessibles aux actifs (après 17 h 30 en semaine, ou le week-end)".strip()
    return coverage_when(study, routing, open_for_workers(study.sites), what, threshold_min)


def workers_summary(study: Study, routing: Routing | None = None, threshold_min: float = DEFAULT_THRESHOLD_MIN,
                    full: CoverageResult | None = None) -> pd.DataFrame:
    """Per commune: share covered by all sites and « couvert aux horaires accessibles aux actifs ».

    Parameters
    ----------
    study : Study
    routing : Routing or None
        Routing of the full site list (computed when None).
    threshold_min : float
    full : CoverageResult, optional
        The coverage with every site, when already computed.

    Returns
    -------
    DataFrame
        See :func:`access30.coverage.compare.compare_results`; suffixes ``all_hours`` and ``workers_hours``.
    """
    routing = routing if routing is not None else route(study)
    full = full if full is not None else evaluate(study, routing, threshold_min)
    workers = coverage_for_workers(study, routing, threshold_min)
    return compare_results(full, workers, ("all_hours", "workers_hours"))
