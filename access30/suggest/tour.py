"""« Hors les murs »: the weekly (or fortnightly) round of one mobile team, planned on a routed study.

:func:`plan_tour` builds the matrices of the exact model (:class:`access30.locate.tour.TourModel`)
from a study and solves it:

* the candidate stops (:func:`~access30.suggest.candidates.build_candidates`: town halls, cells or a
  file) and, for the residents' mode of the study within its threshold, which units each candidate
  brings within reach (:func:`~access30.suggest.matrix.candidate_unit_times`, the coverage's own times);
* the weights: the population the existing sites leave uncovered — the sites that open at least
  once in the four-week cycle, or whose hours are unknown (a site known to be never open does not
  cover anyone);
* the team's *drive* times (the team drives, whatever the residents' mode): base → candidates,
  candidates → base, candidate → candidate within the midday break, on a drive network of the same
  area (:func:`team_network`: the study's own network by car; otherwise the same request
  assembled by car — a built-in territory's drive network, the same ``--network`` extract read for
  driving, the département's download — or the network the caller passes).

It returns a :class:`TourPlan`: stops with their day, half-day and hours (« mardi 9h-12h », OSM
``Tu 09:00-12:00``, ``week 1-53/2`` / ``week 2-52/2`` for a fortnightly round), drives, population
newly covered, the figures before and after, the optimality, and the team's routes along the
network. :func:`schedule_sites` turns the plan into a site list that, given back to the coverage
(``--sites``), covers exactly the promised population.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import scipy.sparse as sp
from shapely.geometry import LineString

from access30.base.crs import to_projected, to_wgs84
from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_given, fmt_int
from access30.base.labels import HALF_DAY_LABELS_FR
from access30.base.moments import DAY_NAMES_FR
from access30.coverage.engine import evaluate
from access30.coverage.hours import coverage_when
from access30.coverage.options import RunOptions
from access30.coverage.result import Routing, WaitReport
from access30.coverage.rules import STATUS_COVERED, check_threshold, longest_covered_s
from access30.coverage.wait import wait_report
from access30.inputs.assemble import assemble_study
from access30.inputs.catalogue import DEFAULT_MAX_CELLS
from access30.inputs.hours import STATUS_KNOWN, site_hours
from access30.inputs.sites import SITE_COLUMNS
from access30.inputs.study import Study
from access30.locate.tour import AM, TourModel, TourResult
from access30.network.modes import get_mode
from access30.network.roads import RoadNetwork
from access30.routing.roads import AccessModel, Join, join_points, point_path, site_unit_times
from access30.suggest.candidates import build_candidates, join_candidates
from access30.suggest.matrix import candidate_unit_times

#: A morning stop starts at 9:00, an afternoon stop at 14:00 (minutes since midnight).
MORNING_START, AFTERNOON_START = 9 * 60, 14 * 60
#: OSM day abbreviations, Monday first.
OSM_DAYS = ("Mo", "Tu", "We", "Th", "Fr", "Sa", "Su")
#: The OSM week selectors of a fortnightly round: week A on odd ISO weeks, week B on even ones
#: (weeks 1 and 3, 2 and 4 of the cycle of :mod:`access30.base.moments`).
WEEK_SELECTORS = ("week 01-53/2", "week 02-52/2")
WEEK_WORDS_FR = ("semaines impaires", "semaines paires")
#: Type and source of the stops given back as sites.
STOP_TYPE = "hors_les_murs"
STOP_SOURCE = "tournée hors les murs (access30 tour)"


@dataclass(frozen=True)
class TourOptions:
    """What a round is asked (``access30 tour`` and the app build it).

    Attributes
    ----------
    half_days : int
        Half-days a week the team works (1 to 14): ⌈N/2⌉ days, a morning and an afternoon stop each,
        the last day morning only when N is odd.
    base : str, optional
        Where the team starts and ends each day: a ``site_id`` of the study, or ``"lon,lat"`` (WGS84);
        None: the existing site nearest the population not covered (:func:`default_base`).
    max_drive_min : float
        Longest drive between the base and a stop, each way.
    stop_hours : float
        Hours of a stop (0.5 to 4): mornings from 9:00, afternoons from 14:00.
    midday_drive_min : float
        Longest drive from the morning stop to the afternoon stop (at most the time between them).
    sources : tuple of str
        Candidate lists (``mairies``, ``france_services``, ``cells``), as for ``suggest``.
    candidates_file : Path, optional
        The user's own candidate places.
    candidates_crs : str
    max_cells : int
    weeks : {1, 2}
        1: a weekly round; 2: a fortnightly round of twice as many stops, each every other week.
    time_limit_s : float
        Solver budget.
    """

    half_days: int = 8
    base: str | None = None
    max_drive_min: float = 60.0
    stop_hours: float = 3.0
    midday_drive_min: float = 90.0
    sources: tuple[str, ...] = ("mairies",)
    candidates_file: Path | None = None
    candidates_crs: str = "EPSG:4326"
    max_cells: int = DEFAULT_MAX_CELLS
    weeks: int = 1
    time_limit_s: float = 60.0


@dataclass
class TourPlan:
    """The round of one team and what it achieves.

    Attributes
    ----------
    stops : GeoDataFrame
        WGS84, one row per stop in schedule order: ``order``, ``week`` (« A », « B », "" for a weekly
        round), ``day`` (« mardi »), ``day_index`` (0 = Monday), ``half_day`` (``am``/``pm``),
        ``half_day_fr`` (« matin »), ``start``/``end`` (minutes since midnight), ``candidate_id``,
        ``name``, ``type``, ``commune``, ``lon``, ``lat``, ``hours_fr`` (« mardi 9h-12h »),
        ``hours_osm`` (``Tu 09:00-12:00``, with ``week 01-53/2`` for a fortnightly round),
        ``drive_from_base_min``, ``drive_to_base_min``, ``midday_drive_min`` (NaN for a morning),
        ``population_newly_covered`` (given the stops before it).
    routes : GeoDataFrame
        WGS84, one row per working day: ``week``, ``day``, ``day_index``, ``stops`` (« A → B »),
        ``drive_min``, and the LineString along the drive network base → stops → base.
    base : dict
        ``site_id`` (or None), ``name``, ``lon``, ``lat``, ``chosen`` (``asked`` or ``nearest_uncovered``).
    population_total, population_covered_before, population_covered_after : float
        Residents, and those within the threshold of an existing site (open at least once in the
        cycle, or of unknown hours) before and, with the stops, after.
    objective, bound, gap : float
        Population newly covered, its proven bound and the relative gap.
    optimal : bool
        True only when the optimum is proven.
    status : str
        How the round was obtained, in French.
    model : TourResult
        The model's own result (stages and timings, for benchmarks).
    options : TourOptions
    threshold_min : float
    mode : str
        The residents' mode.
    candidates_used, candidates_reachable : int
        Candidates after deduplication, and those within the maximum drive of the base.
    notices : list of Notice
    served : DataFrame
        The units within the threshold of a stop, by the residents' mode: ``unit`` (row of the study's
        units), ``unit_id``, ``commune``, ``population``, ``stop`` (``order`` of the nearest stop),
        ``time_min`` (to it), ``stops_in_reach``, ``covered_before`` (by an existing site), ``newly_covered``.
    stop_joins : Join
        Where the stops join the residents' network, in ``stops`` order (as sites do).
    """

    stops: gpd.GeoDataFrame
    routes: gpd.GeoDataFrame
    base: dict
    population_total: float
    population_covered_before: float
    population_covered_after: float
    objective: float
    bound: float
    gap: float
    optimal: bool
    status: str
    model: TourResult
    options: TourOptions
    threshold_min: float
    mode: str
    candidates_used: int
    candidates_reachable: int
    notices: list[Notice] = field(default_factory=list)
    served: pd.DataFrame | None = None
    stop_joins: Join | None = None

    def to_dict(self) -> dict:
        """JSON-ready summary: the figures, the base, one record per stop (routes stay in the GPKG)."""
        def num(v):
            v = float(v)
            return v if np.isfinite(v) else None

        stops = []
        for rec in self.stops.drop(columns="geometry").to_dict("records"):
            stops.append({k: (num(v) if isinstance(v, (float, np.floating)) else
                              int(v) if isinstance(v, np.integer) else v) for k, v in rec.items()})
        return {
            "half_days": int(self.options.half_days), "weeks": int(self.options.weeks),
            "stop_hours": float(self.options.stop_hours), "max_drive_min": float(self.options.max_drive_min),
            "midday_drive_min": float(self.options.midday_drive_min), "threshold_min": float(self.threshold_min),
            "mode": self.mode, "base": self.base, "population_total": num(self.population_total),
            "population_covered_before": num(self.population_covered_before),
            "population_covered_after": num(self.population_covered_after),
            "population_newly_covered": num(self.objective), "bound": num(self.bound), "gap": num(self.gap),
            "optimal": bool(self.optimal), "status": self.status, "candidates_used": int(self.candidates_used),
            "candidates_reachable": int(self.candidates_reachable), "stops": stops,
            "team_drive_min_per_cycle": num(self.routes["drive_min"].sum()) if len(self.routes) else 0.0,
        }


# --------------------------------------------------------------------------------------------
# Hours of a stop


def clock_fr(minute: int) -> str:
    """``540`` → « 9h », ``570`` → « 9h30 »."""
    hour, rest = divmod(int(minute), 60)
    return f"{hour}h{rest:02d}" if rest else f"{hour}h"


def stop_hours_text(day: int, start: int, end: int, week: int | None = None) -> tuple[str, str]:
    """The hours of a stop in French and in OSM syntax.

    ``week`` is None for a weekly round, 0 (week A: odd ISO weeks) or 1 (week B: even ones) for a
    fortnightly one.

    Examples
    --------
    >>> stop_hours_text(1, 540, 720)
    ('mardi 9h-12h', 'Tu 09:00-12:00')
    >>> stop_hours_text(3, 840, 1020, week=1)
    ('jeudi 14h-17h, semaines paires', 'week 02-52/2 Th 14:00-17:00')
    """
    french = f"{DAY_NAMES_FR[day]} {clock_fr(start)}-{clock_fr(end)}"
    osm = f"{OSM_DAYS[day]} {start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    if week is None:
        return french, osm
    return f"{french}, {WEEK_WORDS_FR[week]}", f"{WEEK_SELECTORS[week]} {osm}"


# --------------------------------------------------------------------------------------------
# Inputs


def _check(study: Study, options: RunOptions, ask: TourOptions) -> tuple[float, float]:
    """Refuse what cannot be asked; (stop minutes, midday drive seconds)."""
    check_threshold(options.threshold_min)
    if get_mode(study.network.mode).timetable:
        raise InputError("la tournée se calcule pour des habitants à pied ou en voiture, pas en transports en "
                         "commun", "choisissez --mode walk ou --mode drive", column="--mode")
    hours = ask.stop_hours
    if not (isinstance(hours, (int, float)) and math.isfinite(hours) and 0.5 <= hours <= 4):
        raise InputError(f"durée d'un arrêt de {fmt_given(hours)} h invalide",
                         "indiquez --stop-hours entre 0,5 et 4 (matin à partir de 9h, après-midi à partir de 14h)",
                         column="--stop-hours")
    midday = ask.midday_drive_min
    if not (isinstance(midday, (int, float)) and math.isfinite(midday) and midday >= 0):
        raise InputError(f"trajet de midi de {fmt_given(midday)} min invalide",
                         "indiquez un nombre de minutes positif ou nul (par ex. 90)", column="--midday-drive-min")
    stop_min = int(round(hours * 60))
    gap_min = AFTERNOON_START - (MORNING_START + stop_min)
    return float(stop_min), 60.0 * min(float(midday), float(gap_min))


def team_network(study: Study, options: RunOptions) -> RoadNetwork:
    """The network the team drives on: the study's own when it is a drive network, else the same
    request assembled by car (a built-in territory's drive network, the ``--network`` extract read for
    driving, the département's)."""
    if study.network.mode == "drive":
        return study.network
    return assemble_study(replace(options.study, mode="drive", gtfs=None, when=None, service_date=None,
                                  window_min=None)).network


def covered_before(study: Study, routing: Routing, threshold_min: float) -> np.ndarray:
    """Units within the threshold of an existing site that opens at least once in the four-week cycle
    (or whose hours are unknown); a site known to be never open covers nobody."""
    parsed = site_hours(study.sites)
    never = np.array([p.status == STATUS_KNOWN and p.hours.cycle_intervals().size == 0 for p in parsed], dtype=bool)
    if never.any():
        available = np.array([not n for n in never], dtype=object)
        result = coverage_when(study, routing, available, "au moins une fois dans le cycle", threshold_min)
    else:
        result = evaluate(study, routing, threshold_min)
    return (result.units["status"] == STATUS_COVERED).to_numpy()


def _drive_join(network: RoadNetwork, lon, lat, access: AccessModel) -> Join:
    x, y = to_projected(np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), network.crs)
    return join_points(network, x, y, access)


_LONLAT = re.compile(r"^\s*(-?\d+(?:[.,]\d+)?)\s*[,; ]\s*(-?\d+(?:[.,]\d+)?)\s*$")


def default_base(study: Study, uncovered: np.ndarray, drive_on_road: np.ndarray) -> int:
    """The existing site nearest the population not covered: the smallest population-weighted mean
    crow-fly distance to the uncovered residents, among the sites that join the drive network."""
    units = study.demand.units
    pop = units["population"].to_numpy(dtype=float) * uncovered
    wgs = study.sites.to_crs("EPSG:4326")
    sx, sy = to_projected(wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy(), study.demand.crs)
    ux, uy = units["x"].to_numpy(dtype=float), units["y"].to_numpy(dtype=float)
    keep = np.flatnonzero(pop > 0)
    cost = np.array([(np.hypot(ux[keep] - x, uy[keep] - y) * pop[keep]).sum() for x, y in zip(sx, sy)])
    cost = np.where(drive_on_road, cost, np.inf)
    if not np.isfinite(cost).any():
        raise InputError("aucun lieu d'accueil existant n'est relié au réseau routier pour servir de base",
                         "indiquez la base de l'équipe : --base IDENTIFIANT_DE_LIEU ou --base LON,LAT",
                         column="--base")
    return int(np.argmin(cost))


def _base(study: Study, ask: TourOptions, drive: RoadNetwork, access: AccessModel,
          uncovered: np.ndarray) -> tuple[dict, Join]:
    """The base as a dict for outputs and its drive join."""
    wgs = study.sites.to_crs("EPSG:4326")
    if ask.base is None or not str(ask.base).strip():
        site_join = _drive_join(drive, wgs.geometry.x, wgs.geometry.y, access)
        i = default_base(study, uncovered, site_join.on_road)
        base = {"site_id": str(study.sites["site_id"].iloc[i]), "name": str(study.sites["name"].iloc[i]),
                "lon": float(wgs.geometry.x.iloc[i]), "lat": float(wgs.geometry.y.iloc[i]),
                "chosen": "nearest_uncovered"}
    else:
        text = str(ask.base).strip()
        ids = study.sites["site_id"].astype(str)
        match = _LONLAT.match(text)
        if (ids == text).any():
            i = int(np.flatnonzero((ids == text).to_numpy())[0])
            base = {"site_id": text, "name": str(study.sites["name"].iloc[i]), "lon": float(wgs.geometry.x.iloc[i]),
                    "lat": float(wgs.geometry.y.iloc[i]), "chosen": "asked"}
        elif match:
            lon, lat = (float(g.replace(",", ".")) for g in match.groups())
            if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                raise InputError(f"base « {text} » hors des coordonnées possibles", "écrivez longitude,latitude en "
                                 "degrés, par ex. --base=-2.76,48.51 (avec « = » quand la longitude est négative)",
                                 column="--base")
            base = {"site_id": None, "name": f"base ({fmt_given(lon)} ; {fmt_given(lat)})", "lon": lon, "lat": lat,
                    "chosen": "asked"}
        else:
            raise InputError(f"base « {text} » inconnue : ni un identifiant de lieu de l'étude, ni "
                             "« longitude,latitude »",
                             f"indiquez un identifiant (par ex. {', '.join(ids.head(3))}) ou des coordonnées, "
                             "par ex. --base=-2.76,48.51 (avec « = » quand la longitude est négative)", column="--base")
    join = _drive_join(drive, [base["lon"]], [base["lat"]], access)
    if not join.on_road[0]:
        raise InputError(f"la base « {base['name']} » est à plus de {fmt_given(access.max_distance_m)} m de toute "
                         "route", "choisissez une base sur le réseau routier (--base)", column="--base")
    return base, join


def _drive_matrices(drive: RoadNetwork, access: AccessModel, base: Join, stops: Join, useful_of,
                    max_drive_s: float, break_s: float) -> tuple[np.ndarray, np.ndarray, sp.csr_matrix]:
    """Drives base → candidates and candidates → base (two whole searches: the nearest candidate's
    time is said when none is within the maximum drive), and between the useful candidates within
    the break (one bounded search each)."""
    n = len(stops)
    limit = longest_covered_s(max_drive_s)
    from_base = site_unit_times(drive, base, stops, access, np.inf).toarray()[:, 0]
    to_base = site_unit_times(drive, stops, base, access, np.inf).toarray()[0]
    from_base = np.where(from_base > 0, from_base, np.inf)
    to_base = np.where(to_base > 0, to_base, np.inf)
    useful = useful_of(np.maximum(from_base, to_base) <= limit)
    between = sp.csr_matrix((n, n))
    if useful.size:
        sub = stops.take(useful)
        block = site_unit_times(drive, sub, sub, access, longest_covered_s(break_s)).T.tocoo()  # [origin, dest]
        between = sp.csr_matrix((block.data, (useful[block.row], useful[block.col])), shape=(n, n))
    return from_base, to_base, between


# --------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True, eq=False)
class TourInputs:
    """The plain matrices of the round's model and what they stand for (:func:`tour_inputs`).

    Attributes
    ----------
    candidates : GeoDataFrame
        Candidate stops (WGS84), rows of the matrices.
    cover : csr_matrix of bool
        Candidates × units: within the threshold by the residents' mode.
    cover_s : csr_matrix
        The same pairs' times, seconds (a pair at 0 s stored as 1e-9 s).
    resident_joins : Join
        Where the candidates join the residents' network (as sites do).
    weights : ndarray
        Per unit, the population not covered by the existing sites (0 for the covered).
    before : ndarray of bool
        Units covered by the existing sites.
    from_base_s, to_base_s : ndarray
        Drives base → candidate and back, seconds (inf when unreachable).
    between_s : csr_matrix
        ``[j, k]`` drive from candidate ``j`` to ``k`` within the midday break (useful candidates only).
    base : dict
    base_join, stop_joins : Join
        Where the base and the candidates join the drive network.
    drive : RoadNetwork
    access : AccessModel
        The drive access model.
    stop_min, max_drive_s, break_s : float
    notices : list of Notice
    """

    candidates: gpd.GeoDataFrame
    cover: sp.csr_matrix
    cover_s: sp.csr_matrix
    resident_joins: Join
    weights: np.ndarray
    before: np.ndarray
    from_base_s: np.ndarray
    to_base_s: np.ndarray
    between_s: sp.csr_matrix
    base: dict
    base_join: Join
    stop_joins: Join
    drive: RoadNetwork
    access: AccessModel
    stop_min: float
    max_drive_s: float
    break_s: float
    notices: list[Notice]


def tour_inputs(study: Study, routing: Routing, options: RunOptions, ask: TourOptions,
                drive: RoadNetwork | None = None) -> TourInputs:
    """Build the round's matrices (parameters as :func:`plan_tour`)."""
    stop_min, break_s = _check(study, options, ask)
    threshold = float(options.threshold_min)
    max_drive_s = float(ask.max_drive_min) * 60.0 if isinstance(ask.max_drive_min, (int, float)) else float("nan")
    drive = drive if drive is not None else team_network(study, options)
    access = AccessModel.for_mode("drive", study.access.max_distance_m)
    population = study.demand.units["population"].to_numpy(dtype=float)
    before = covered_before(study, routing, threshold)
    weights = np.where(before, 0.0, population)
    candidates, notices = build_candidates(study, ask.sources, path=ask.candidates_file, path_crs=ask.candidates_crs,
                                           max_cells=ask.max_cells)
    if len(candidates) == 0:
        raise InputError("aucun lieu candidat pour les arrêts de la tournée", "indiquez des lieux candidats "
                         "(--candidates mairies, cells ou un fichier)", column="--candidates")
    base, base_join = _base(study, ask, drive, access, ~before)
    resident_joins = join_candidates(study, candidates)
    cover_s = sp.csr_matrix(candidate_unit_times(study, routing, resident_joins, threshold * 60.0))
    cover = sp.csr_matrix(cover_s, dtype=bool)
    covers = np.asarray(cover.astype(np.float64) @ weights).ravel() > 0
    wgs = candidates.to_crs("EPSG:4326")
    stop_joins = _drive_join(drive, wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy(), access)
    from_base, to_base, between = _drive_matrices(drive, access, base_join, stop_joins,
                                                  lambda near: np.flatnonzero(near & covers), max_drive_s, break_s)
    if study.network is not drive:
        notices.append(Notice("tour_team_drive", "Trajets de l'équipe calculés en voiture sur le réseau routier du "
                              f"même territoire ({drive.source}) ; les habitants, eux, viennent "
                              f"{get_mode(study.network.mode).words}."))
    return TourInputs(candidates, cover, cover_s, resident_joins, weights, before,
                      from_base, to_base, between, base, base_join, stop_joins,
                      drive, access, stop_min, max_drive_s, break_s, notices)


def plan_tour(study: Study, routing: Routing, options: RunOptions, ask: TourOptions,
              drive: RoadNetwork | None = None) -> TourPlan:
    """Plan the round of one mobile team that brings the most uncovered residents within reach.

    Parameters
    ----------
    study : Study
        The residents' study (its mode and threshold: ``options``).
    routing : Routing
        ``route(study)`` for the existing sites.
    options : RunOptions
        The study's request (to assemble the team's drive network when the study is on foot) and the
        threshold.
    ask : TourOptions
    drive : RoadNetwork, optional
        The team's drive network; default :func:`team_network`.

    Returns
    -------
    TourPlan

    Raises
    ------
    InputError
        A timetable mode, bad stop hours, half-days, weeks or maximum drive, an unknown base, no
        candidate within the maximum drive of the base (the nearest's time is given).

    Examples
    --------
    >>> from access30 import CoverageOptions, RunOptions, StudyRequest, assemble_study, route
    >>> options = RunOptions(StudyRequest(territory="st-brieuc-loudeac", mode="walk"), CoverageOptions(30))
    >>> study = assemble_study(options.study)
    >>> plan = plan_tour(study, route(study), options, TourOptions(half_days=2, time_limit_s=30))
    >>> plan.optimal, list(plan.stops["half_day"])
    (True, ['am', 'pm'])
    """
    inputs = tour_inputs(study, routing, options, ask, drive)
    model = TourModel.from_matrices(inputs.cover, inputs.weights, inputs.from_base_s, inputs.to_base_s,
                                    inputs.between_s, ask.half_days, ask.weeks, inputs.max_drive_s, inputs.break_s)
    result = model.solve(ask.time_limit_s)
    wgs = inputs.candidates.to_crs("EPSG:4326")
    lon, lat = wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy()
    stops = _stops(result, inputs.candidates, lon, lat, inputs.from_base_s, inputs.to_base_s, inputs.stop_min)
    chosen = np.asarray(result.stops, dtype=np.int64)
    served = served_units(study, inputs.cover_s[chosen], stops["order"].to_numpy(), inputs.before)
    stops = _with_reach(stops, served, study)
    routes = _routes(result, inputs.drive, inputs.access, inputs.base_join, inputs.stop_joins, inputs.candidates)
    population = study.demand.units["population"].to_numpy(dtype=float)
    after = inputs.before | result.newly_covered
    notices = [*study.notices, *inputs.notices, *(Notice("tour_note", note) for note in result.notes)]
    return TourPlan(stops=stops, routes=routes, base=inputs.base, population_total=float(population.sum()),
                    population_covered_before=float(population[inputs.before].sum()),
                    population_covered_after=float(population[after].sum()), objective=result.objective,
                    bound=result.bound, gap=result.gap, optimal=result.optimal, status=result.status, model=result,
                    options=ask, threshold_min=float(options.threshold_min), mode=study.network.mode,
                    candidates_used=len(inputs.candidates), candidates_reachable=result.reachable, notices=notices,
                    served=served, stop_joins=inputs.resident_joins.take(chosen))


def served_units(study: Study, times_s: sp.csr_matrix, orders: np.ndarray, before: np.ndarray) -> pd.DataFrame:
    """The units within the threshold of the stops (rows of ``times_s``, seconds), each with its nearest
    stop (see :attr:`TourPlan.served`)."""
    coo = sp.coo_matrix(times_s)
    columns = ["unit", "unit_id", "commune", "population", "stop", "time_min", "stops_in_reach", "covered_before",
               "newly_covered"]
    if coo.nnz == 0:
        return pd.DataFrame({c: [] for c in columns})
    frame = pd.DataFrame({"row": coo.row, "unit": coo.col, "seconds": coo.data})
    counts = frame.groupby("unit").size()
    nearest = frame.sort_values(["unit", "seconds", "row"], kind="stable").drop_duplicates("unit")
    units = study.demand.units
    idx = nearest["unit"].to_numpy()
    ids = units["unit_id"].to_numpy()[idx] if "unit_id" in units.columns else idx
    communes = units["commune"].astype(str).to_numpy()[idx] if "commune" in units.columns else np.full(idx.size, "")
    return pd.DataFrame({
        "unit": idx, "unit_id": ids, "commune": communes,
        "population": units["population"].to_numpy(dtype=float)[idx],
        "stop": np.asarray(orders)[nearest["row"].to_numpy()], "time_min": nearest["seconds"].to_numpy() / 60.0,
        "stops_in_reach": counts.reindex(idx).to_numpy(), "covered_before": before[idx],
        "newly_covered": ~before[idx]}, columns=columns).reset_index(drop=True)


def _with_reach(stops: gpd.GeoDataFrame, served: pd.DataFrame, study: Study) -> gpd.GeoDataFrame:
    """Who each stop serves: ``population_nearest`` (residents for whom it is the nearest stop within the
    threshold), of them ``population_nearest_uncovered`` (not covered by an existing site), and the
    ``communes_served`` (their communes, most residents first)."""
    names = {}
    if study.communes is not None and "code" in study.communes.columns:
        names = dict(zip(study.communes["code"].astype(str), study.communes["nom"].astype(str)))
    stops = stops.copy()
    pop, new, where = [], [], []
    for order in stops["order"]:
        mine = served[served["stop"] == order]
        pop.append(float(mine["population"].sum()))
        new.append(float(mine.loc[mine["newly_covered"].astype(bool), "population"].sum()))
        by = mine.groupby("commune")["population"].sum().sort_values(ascending=False)
        where.append(", ".join(names.get(str(code), str(code)) for code in by.index[:4]))
    stops["population_nearest"] = pop
    stops["population_nearest_uncovered"] = new
    stops["communes_served"] = where
    return stops


def _stops(result: TourResult, candidates: gpd.GeoDataFrame, lon, lat, from_base, to_base,
           stop_min: float) -> gpd.GeoDataFrame:
    rows = []
    fortnightly = result.weeks == 2
    for order, (c, week, day, half, gain, midday) in enumerate(zip(result.stops, result.week, result.day,
                                                                  result.half_day, result.gain, result.midday_s)):
        start = MORNING_START if half == AM else AFTERNOON_START
        end = start + int(stop_min)
        french, osm = stop_hours_text(int(day), start, end, int(week) if fortnightly else None)
        cand = candidates.iloc[int(c)]
        rows.append({
            "order": order + 1, "week": "AB"[int(week)] if fortnightly else "", "day": DAY_NAMES_FR[int(day)],
            "day_index": int(day), "half_day": str(half), "half_day_fr": HALF_DAY_LABELS_FR[str(half)],
            "start": start, "end": end, "candidate_id": str(cand["candidate_id"]), "name": str(cand["name"]),
            "type": str(cand["type"]), "commune": str(cand["commune"]), "lon": float(lon[c]), "lat": float(lat[c]),
            "hours_fr": french, "hours_osm": osm, "drive_from_base_min": float(from_base[c]) / 60.0,
            "drive_to_base_min": float(to_base[c]) / 60.0,
            "midday_drive_min": float(midday) / 60.0 if np.isfinite(midday) else float("nan"),
            "population_newly_covered": float(gain)})
    columns = ["order", "week", "day", "day_index", "half_day", "half_day_fr", "start", "end", "candidate_id", "name",
               "type", "commune", "lon", "lat", "hours_fr", "hours_osm", "drive_from_base_min", "drive_to_base_min",
               "midday_drive_min", "population_newly_covered"]
    frame = pd.DataFrame(rows, columns=columns)
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs="EPSG:4326")


def _leg(drive: RoadNetwork, access: AccessModel, a: Join, b: Join) -> tuple[float, list[tuple[float, float]]]:
    path = point_path(drive, a, b, access)
    lon, lat = drive.lon[path.nodes], drive.lat[path.nodes]
    return path.seconds, list(zip(lon.tolist(), lat.tolist()))


def _routes(result: TourResult, drive: RoadNetwork, access: AccessModel, base: Join, stops: Join,
            candidates: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One LineString per working day along the drive network: base → stops of the day → base."""
    wgs = candidates.to_crs("EPSG:4326")
    base_lonlat = _lonlat(drive, base)
    rows, geoms = [], []
    fortnightly = result.weeks == 2
    days = sorted({(int(w), int(d)) for w, d in zip(result.week, result.day)})
    for week, day in days:
        members = [int(c) for c, w, d in zip(result.stops, result.week, result.day) if (w, d) == (week, day)]
        points, seconds = [base_lonlat], 0.0
        here = base
        for c in members + [None]:
            there = base if c is None else stops.take(np.array([c]))
            leg_s, nodes = _leg(drive, access, here, there)
            seconds += leg_s
            end = base_lonlat if c is None else (float(wgs.geometry.x.iloc[c]), float(wgs.geometry.y.iloc[c]))
            points += nodes + [end]
            here = there
        rows.append({"week": "AB"[week] if fortnightly else "", "day": DAY_NAMES_FR[day], "day_index": day,
                     "stops": " → ".join(str(candidates["name"].iloc[c]) for c in members),
                     "drive_min": seconds / 60.0})
        geoms.append(LineString(points) if len(points) > 1 else None)
    frame = pd.DataFrame(rows, columns=["week", "day", "day_index", "stops", "drive_min"])
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geoms, crs="EPSG:4326"), crs="EPSG:4326")


def _lonlat(network: RoadNetwork, join: Join) -> tuple[float, float]:
    lon, lat = to_wgs84(join.x, join.y, network.crs)
    return float(lon[0]), float(lat[0])


# --------------------------------------------------------------------------------------------
# The schedule as a site list


def schedule_sites(plan: TourPlan) -> gpd.GeoDataFrame:
    """The stops as a site list in the site table contract (:data:`access30.inputs.sites.SITE_COLUMNS`):
    type ``hors_les_murs``, hours in OSM syntax (``Tu 09:00-12:00``, ``week 01-53/2 …`` fortnightly).

    Added to the study (``--sites``) it covers exactly :attr:`TourPlan.population_covered_after`:
    the stops are the candidates' places, joined and timed as the model's matrix was.
    """
    stops = plan.stops
    frame = gpd.GeoDataFrame({
        "site_id": [f"tournee-{o}" for o in stops["order"]],
        "name": [f"Permanence hors les murs – {n} ({h})" for n, h in zip(stops["name"], stops["hours_fr"])],
        "type": STOP_TYPE, "commune": stops["commune"].to_numpy(), "address": "",
        "hours": stops["hours_osm"].to_numpy(), "hours_format": "osm", "source": STOP_SOURCE,
    }, geometry=stops.geometry.to_numpy(), crs="EPSG:4326")
    return frame[SITE_COLUMNS + ["geometry"]]


def schedule_table(plan: TourPlan) -> pd.DataFrame:
    """The stops as a file a planner can edit and give back with ``--sites``: ``identifiant``, ``nom``,
    ``type``, ``commune``, ``horaires`` (OSM syntax), ``horaires_fr``, ``longitude``, ``latitude``."""
    sites = schedule_sites(plan)
    return pd.DataFrame({"identifiant": sites["site_id"], "nom": sites["name"], "type": sites["type"],
                         "commune": sites["commune"], "horaires": sites["hours"],
                         "horaires_fr": plan.stops["hours_fr"].to_numpy(),
                         "longitude": sites.geometry.x.round(7), "latitude": sites.geometry.y.round(7)})


def tour_wait(study: Study, routing: Routing, plan: TourPlan) -> tuple[WaitReport | None, WaitReport | None]:
    """The wait for an opening within reach (:func:`access30.coverage.wait.wait_report`) with the existing
    sites, then with the stops of the round added at their hours (each stop joined as a site, so that
    the residents in reach are those the plan counts).

    Returns ``(None, None)`` when no existing site has readable hours (the wait would only count the stops).

    Examples
    --------
    >>> from access30 import CoverageOptions, RunOptions, StudyRequest, assemble_study, route
    >>> options = RunOptions(StudyRequest(territory="st-brieuc-loudeac", mode="walk"), CoverageOptions(30))
    >>> study = assemble_study(options.study)
    >>> routing = route(study)
    >>> plan = plan_tour(study, routing, options, TourOptions(half_days=2, time_limit_s=30))
    >>> before, after = tour_wait(study, routing, plan)
    >>> after.population_in_reach > before.population_in_reach
    True
    """
    try:
        before = wait_report(study, routing, plan.threshold_min)
    except InputError:
        return None, None
    added = schedule_sites(plan).to_crs(study.sites.crs)
    sites = gpd.GeoDataFrame(pd.concat([study.sites, added], ignore_index=True), geometry="geometry",
                             crs=study.sites.crs)
    after_routing = replace(routing, sites=Join.concat([routing.sites, plan.stop_joins]))
    return before, wait_report(study.with_sites(sites), after_routing, plan.threshold_min)


def describe(plan: TourPlan) -> list[str]:
    """French lines: one per stop (« mardi matin (9h-12h) : Mairie de X, +1 234 habitants »)."""
    lines = []
    for rec in plan.stops.to_dict("records"):
        week = f"semaine {rec['week']}, " if rec["week"] else ""
        lines.append(f"{week}{rec['day']} {rec['half_day_fr']} ({clock_fr(rec['start'])}-{clock_fr(rec['end'])}) : "
                     f"{rec['name']}, +{fmt_int(rec['population_newly_covered'])} habitants")
    return lines
