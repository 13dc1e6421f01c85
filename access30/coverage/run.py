"""The 30-minute pipeline: a study assembled, routed once, and read through the lens asked for.

:func:`run` is the whole coverage job of ``access30 coverage`` (and of ``report``): the study of
:attr:`RunOptions.study <access30.coverage.options.RunOptions.study>` is assembled
(:func:`~access30.inputs.assemble.assemble_study`), routed (:func:`~access30.coverage.engine.route`)
and read by :func:`coverage_result`: through the opening-hours lens (a moment, or the hours open to
people at work), or, for the nearest site, with coverage to the assigned sector site and the load of
the sites when asked.

:func:`begin_record` starts the run record of such a job from its typed options (every option with
its value, defaults included, and the files they name); :func:`app_record` gives the whole record of
the app's settings and study, for its exports.
"""

from __future__ import annotations

from dataclasses import dataclass

from access30.base.errors import InputError
from access30.base.record import RunRecord
from access30.coverage.capacity import capacity_indicators, site_capacity, with_capacity
from access30.coverage.engine import evaluate, route
from access30.coverage.hours import coverage_at, coverage_for_workers
from access30.coverage.options import MOMENT, WALK_IN, WORKERS, RunOptions
from access30.coverage.result import CoverageResult, Routing
from access30.coverage.sectors import with_study_sectors
from access30.coverage.wait import wait_report, with_wait
from access30.coverage.walkin import (
    WALK_IN_WHAT,
    coverage_walk_in,
    mark_walk_in,
    require_walk_in_hours,
    walk_in_study,
)
from access30.inputs.assemble import assemble_study
from access30.inputs.study import Study
from access30.network.modes import get_mode


@dataclass(frozen=True, eq=False)
class Run:
    """A coverage run: the study, its routing and the result read through the lens asked for."""

    study: Study
    routing: Routing
    result: CoverageResult


def coverage_result(study: Study, routing: Routing, options: RunOptions) -> CoverageResult:
    """The coverage of a routed study, read as ``options`` ask.

    A timetable mode has applied the moment while routing. A road mode is read through the
    opening-hours lens of ``at`` or ``workers_hours`` (on the walk-in hours with ``walk_in``), or
    the walk-in lens alone; without one, with coverage to the sector's site (``sectors``, or the
    sectorisation shipped for the département) and the load of the sites (``capacity``). With
    ``wait``, the wait for an opening within reach is attached (:attr:`CoverageResult.wait`).
    """
    coverage = options.coverage
    threshold = coverage.threshold_min
    if get_mode(study.network.mode).timetable:
        if coverage.wait or coverage.walk_in:
            option = "--wait" if coverage.wait else "--walk-in"
            raise InputError(f"{option} se calcule sur les temps par la route (voiture, marche), pas en transports "
                             "en commun", f"retirez {option}, ou choisissez --mode drive ou --mode walk", column=option)
        return evaluate(study, routing, threshold)
    if coverage.walk_in:
        require_walk_in_hours(study)
    result = _lens_result(study, routing, options)
    if coverage.wait:
        hours_study = walk_in_study(study)[0] if coverage.walk_in else study
        result = with_wait(result, wait_report(hours_study, routing, threshold, walk_in=coverage.walk_in))
    return result


def _lens_result(study: Study, routing: Routing, options: RunOptions) -> CoverageResult:
    coverage = options.coverage
    threshold = coverage.threshold_min
    if coverage.lens in (MOMENT, WORKERS) and coverage.walk_in:
        walk, assumed = walk_in_study(study)
        read = (coverage_at(walk, routing, coverage.at, threshold, qualifier=WALK_IN_WHAT) if coverage.lens == MOMENT
                else coverage_for_workers(walk, routing, threshold, qualifier=WALK_IN_WHAT))
        return mark_walk_in(read, assumed)
    if coverage.lens == MOMENT:
        return coverage_at(study, routing, coverage.at, threshold)
    if coverage.lens == WORKERS:
        return coverage_for_workers(study, routing, threshold)
    if coverage.lens == WALK_IN:
        return coverage_walk_in(study, routing, threshold)
    # The nearest site: the sector's site too (residents are sent there whatever its hours), and the load.
    result = with_study_sectors(evaluate(study, routing, threshold), study, routing, coverage.sectors)
    if coverage.capacity is None:
        return result
    capacity = coverage.capacity
    report = capacity_indicators(study, routing, site_capacity(study.sites, capacity.spec, capacity.unit,
                                                                path=options.study.sites),
                                 threshold, people_per_unit=capacity.people_per_unit, max_load=capacity.overload)
    return with_capacity(result, report)


def run(options: RunOptions) -> Run:
    """Assemble, route and read the study of ``options``: the whole coverage job.

    Examples
    --------
    >>> from access30 import CoverageOptions, RunOptions, StudyRequest, run
    >>> done = run(RunOptions(StudyRequest(territory="st-brieuc-loudeac"), CoverageOptions(threshold_min=30)))
    >>> round(done.result.summary.population_total)
    154995
    """
    study = assemble_study(options.study)
    routing = route(study)
    return Run(study, routing, coverage_result(study, routing, options))


def begin_record(command: str, options: RunOptions, *, suggest=None, argv: list[str] | None = None,
                 arguments: dict | None = None) -> RunRecord:
    """The run record of a coverage job, started now from its typed options.

    Parameters
    ----------
    command : str
        ``coverage``, ``report``, ``suggest`` or ``app``.
    options : RunOptions
        Recorded whole (``study`` and ``coverage`` groups, defaults included); the files they name are
        fingerprinted.
    suggest : SuggestOptions, optional
        Recorded as the ``suggest`` group.
    argv : list of str, optional
        The command line.
    arguments : dict, optional
        Every option of the command line, or the app's settings.

    Returns
    -------
    RunRecord
        Add the study (:meth:`~access30.base.record.RunRecord.add_study`) and what else was read, then
        :meth:`~access30.base.record.RunRecord.finish`.

    Examples
    --------
    >>> from access30 import RunOptions, StudyRequest
    >>> made = begin_record("coverage", RunOptions(StudyRequest(territory="st-brieuc-loudeac")))
    >>> made.options["coverage"]["threshold_min"], made.options["study"]["mode"]
    (30.0, 'drive')
    """
    groups = {"study": options.study, "coverage": options.coverage}
    if suggest is not None:
        groups["suggest"] = suggest
    return RunRecord.begin(command, groups, argv=argv, arguments=arguments)


def app_record(options: RunOptions, study: Study, settings: dict | None = None, suggest=None) -> RunRecord:
    """How a result of the app was made: its settings, typed options, the files its study read with their
    checksums, the sources with their vintage and download date, versions and time (for its exports).

    Parameters
    ----------
    options : RunOptions
        The options the app built from its controls.
    study : Study
        The study shown (its files and sources are recorded).
    settings : dict, optional
        The app's controls as the user set them (« seuil », « mode », files uploaded…).
    suggest : SuggestOptions, optional
        When the export holds suggestions.

    Examples
    --------
    >>> from access30 import RunOptions, StudyRequest, assemble_study
    >>> options = RunOptions(StudyRequest(territory="st-brieuc-loudeac"))
    >>> made = app_record(options, assemble_study(options.study), {"seuil": 30})
    >>> made.command, made.argv, any(i["role"] == "données intégrées" for i in made.inputs)
    ('app', None, True)
    """
    return begin_record("app", options, suggest=suggest, arguments=settings).add_study(study).finish()
