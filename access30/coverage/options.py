"""The options of a coverage run, typed, built once by the command line or the app.

:class:`RunOptions` holds what the study is made of (:class:`~access30.inputs.assemble.StudyRequest`)
and how it is read (:class:`CoverageOptions`: the threshold and the lens). The command line builds
it from its arguments (:func:`access30.cli.options.run_options`), the app from its controls; the
pipeline (:mod:`access30.coverage.run`) takes it whole, so that no function below the shells sees
an argument parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.inputs.assemble import StudyRequest

#: ``--capacity hours``: the weekly opening hours read with the sites stand for their capacity.
HOURS = "hours"
#: What one unit of a capacity column is when the user does not say.
DEFAULT_CAPACITY_UNIT = "ETP"

#: Lenses through which a routed study is read (:attr:`CoverageOptions.lens`): the nearest site at any
#: hour, the sites open at a moment, the sites open at hours people at work can come, the walk-in hours
#: (« sans rendez-vous »), and the nearest site next to the sector's assigned site (a sectorisation).
NEAREST, MOMENT, WORKERS, WALK_IN, SECTORS = "nearest", "moment", "workers", "walk_in", "sectors"
#: Every lens, in the order the app offers them.
LENSES = (NEAREST, MOMENT, WORKERS, WALK_IN, SECTORS)


@dataclass(frozen=True)
class CapacityOptions:
    """The capacity of the sites and how their load is judged (``--capacity`` and its companions).

    Attributes
    ----------
    spec : str
        A column of the site file, or :data:`HOURS` (weekly opening hours, a labelled proxy).
    unit : str, optional
        What one unit of the column is (default :data:`DEFAULT_CAPACITY_UNIT`).
    people_per_unit : float, optional
        Residents one unit can receive (default: population / total known capacity, stated).
    overload : float, optional
        Load above which a site is overloaded (default: the top decile).
    """

    spec: str
    unit: str | None = None
    people_per_unit: float | None = None
    overload: float | None = None

    @property
    def column(self) -> str | None:
        """The site file's column read for the capacity (None for :data:`HOURS`)."""
        return None if self.spec == HOURS else self.spec


@dataclass(frozen=True)
class CoverageOptions:
    """How a routed study is read: the threshold and the lens.

    Attributes
    ----------
    threshold_min : float
        Access-time threshold in minutes, inclusive.
    at : str, optional
        A moment of the week (« mardi 18:00 »): only the sites open then count (road modes); for a
        timetable mode, the start of the departure window.
    workers_hours : bool
        Only the sites open at hours people in work can come.
    sectors : Path, optional
        A sectorisation file (``code_insee,site_id``): coverage to the assigned site too.
    capacity : CapacityOptions, optional
        Load per site and 2SFCA.
    walk_in : bool
        Count only the hours sites receive without appointment (« accueil sans rendez-vous »,
        :mod:`access30.coverage.walkin`): with ``at`` or ``workers_hours``, the walk-in hours are
        read at that moment or for people at work; alone, the sites that receive without
        appointment at some moment of the four-week cycle count. Sites without walk-in hours count
        their opening hours (said in a notice).
    wait : bool
        Also report the wait for an opening within reach (:mod:`access30.coverage.wait`), on the
        walk-in hours when ``walk_in``.
    """

    threshold_min: float = DEFAULT_THRESHOLD_MIN
    at: str | None = None
    workers_hours: bool = False
    sectors: Path | None = None
    capacity: CapacityOptions | None = None
    walk_in: bool = False
    wait: bool = False

    @property
    def lens(self) -> str:
        """:data:`MOMENT` (``at``), :data:`WORKERS` (``workers_hours``), :data:`WALK_IN` (``walk_in``
        alone), :data:`SECTORS` (``sectors``) or :data:`NEAREST`; ``walk_in`` with a moment or the workers'
        hours keeps their lens (read on the walk-in hours)."""
        if self.at:
            return MOMENT
        if self.workers_hours:
            return WORKERS
        if self.walk_in:
            return WALK_IN
        return SECTORS if self.sectors is not None else NEAREST


@dataclass(frozen=True)
class RunOptions:
    """Everything a coverage run is asked: the study and how to read it.

    Examples
    --------
    >>> from access30 import CoverageOptions, RunOptions, StudyRequest
    >>> options = RunOptions(StudyRequest(territory="st-brieuc-loudeac"), CoverageOptions(threshold_min=20))
    >>> options.coverage.lens
    'nearest'
    """

    study: StudyRequest = field(default_factory=StudyRequest)
    coverage: CoverageOptions = field(default_factory=CoverageOptions)

    @property
    def threshold_min(self) -> float:
        """The threshold, minutes."""
        return self.coverage.threshold_min
