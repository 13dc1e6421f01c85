"""Charge des lieux d'accueil: capacity indicators of a coverage run (``--capacity``).

The glue between a study and the pure functions of :mod:`access30.coverage.fca`:

* :func:`site_capacity` reads the capacity the user asked for: a column of the site file
  (``--capacity COLUMN``, agents, ETP or weekly hours, unit stated with ``--capacity-unit``) or the
  weekly opening hours already read with the sites (``--capacity hours``, a labelled proxy);
* :func:`capacity_indicators` computes, on the routing of the coverage run, the load per site
  (population assigned to its nearest site within the threshold, population per capacity unit,
  share for whom it is the only site within the threshold, overloaded sites) and the 2SFCA and
  E2SFCA indices on exact network times (:func:`access30.routing.roads.site_unit_times`), per unit, per
  commune and per EPCI;
* :func:`with_capacity` attaches them to a :class:`~access30.coverage.result.CoverageResult`: the sites get
  the load columns (GeoPackage, map popups), the units the two indices, and every output that finds
  ``result.capacity`` shows it. Without ``--capacity`` nothing changes.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_dec, fmt_int, plural
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.fca import (
    Capacity,
    FCAResult,
    capacity_in_people,
    enhanced_two_step_fca,
    equal_bands,
    opening_hours_capacity,
    site_load,
    two_step_fca,
)
from access30.coverage.options import DEFAULT_CAPACITY_UNIT, HOURS
from access30.coverage.result import CapacityReport, unique_notices
from access30.coverage.rules import longest_covered_s
from access30.routing.roads import site_unit_times

FCA_PER = 1000


def site_capacity(sites: pd.DataFrame, spec: str, unit: str | None = None, path=None) -> Capacity:
    """The capacity of every site of a study, as asked on the command line or in the app.

    Parameters
    ----------
    sites : DataFrame
        The study's sites; a ``capacity`` column when a column was read from the site file.
    spec : str
        ``"hours"`` (weekly opening hours, a proxy) or the name of the site file's column.
    unit : str, optional
        What one unit of the column is (default ``ETP``); ignored for ``hours``.
    path : path, optional
        The site file, for messages.

    Returns
    -------
    Capacity
        NaN for the sites whose capacity is unknown (built-in sites, empty cells, unreadable hours).

    Raises
    ------
    InputError
        A column was named but no site file gave it, or a capacity that would make every load and
        2SFCA figure nought or unknown (:func:`check_capacity`).
    """
    if spec == HOURS:
        return check_capacity(opening_hours_capacity(sites), spec, path)
    if not str(spec).strip():
        raise InputError("nom de colonne de capacité vide", "indiquez après --capacity le nom d'une colonne du "
                         "fichier des lieux, ou hours pour les heures d'ouverture", column="--capacity")
    if "capacity" not in sites.columns:
        raise InputError(f"colonne de capacité « {spec} » demandée sans fichier de lieux qui la contienne",
                         "indiquez --sites FICHIER avec cette colonne, ou --capacity hours pour les heures "
                         "d'ouverture hebdomadaires", column="--capacity")
    values = pd.to_numeric(sites["capacity"], errors="coerce").to_numpy(dtype=float)
    capacity = Capacity(values, unit or DEFAULT_CAPACITY_UNIT, proxy=False,
                        source=f"colonne « {spec} » du fichier des lieux")
    return check_capacity(capacity, spec, path)


def check_capacity(capacity: Capacity, spec: str, path=None) -> Capacity:
    """Refuse a capacity from which no load and no accessibility index can be computed: no site of
    known capacity (an empty column, ``hours`` on sites without readable hours), every known capacity
    nought, or a negative or infinite one. The one check of ``coverage``, ``report``, ``suggest`` and
    the app.

    Parameters
    ----------
    capacity : Capacity
    spec : str
        ``"hours"`` or the column's name, for messages.
    path : path, optional
        The site file, for messages.

    Returns
    -------
    Capacity
        ``capacity`` unchanged.

    Raises
    ------
    InputError
        Saying why every figure would be nought or unknown, and what to give instead.
    """
    values = np.asarray(capacity.values, dtype=float)
    hours = spec == HOURS
    column = "--capacity" if hours else spec
    where = "heures d'ouverture" if hours else f"colonne « {spec} »"
    bad = np.isinf(values) | (values < 0)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(f"capacité {fmt_dec(values[i])} invalide ({where})", "une capacité est un nombre positif "
                         "ou nul, ou une case vide si elle est inconnue", path=path, column=column)
    known = np.isfinite(values)
    n = plural(values.size, "lieu", "lieux")
    if not known.any():
        if hours:
            raise InputError(f"aucun des {n} n'a d'horaires d'ouverture lisibles ; la capacité par les heures "
                             "d'ouverture serait inconnue partout, et charges et indices 2SFCA nuls",
                             "ajoutez les horaires des lieux (colonne « horaires » du fichier --sites, par ex. "
                             "« lundi-vendredi 9h-12h »), ou donnez --capacity COLONNE (colonne de capacité du "
                             "fichier --sites)",
                             path=path, column=column)
        raise InputError(f"colonne de capacité « {spec} » vide pour les {n} de l'étude : la capacité serait "
                         "inconnue partout, et charges et indices 2SFCA nuls", "renseignez la capacité (agents, "
                         "ETP, heures…) d'au moins un lieu dans cette colonne, ou utilisez --capacity hours",
                         path=path, column=column)
    if not (values[known] > 0).any():
        raise InputError(f"toutes les capacités connues sont nulles ({where}, "
                         f"{plural(int(known.sum()), 'lieu', 'lieux')} à 0) : charges infinies et indices 2SFCA "
                         "nuls partout", "renseignez des capacités positives (une case vide si elle est inconnue), "
                         "ou retirez --capacity", path=path, column=column)
    return capacity


def capacity_indicators(study, routing, capacity: Capacity, threshold_min: float = DEFAULT_THRESHOLD_MIN,
                        people_per_unit: float | None = None, max_load: float | None = None) -> CapacityReport:
    """Load per site, capacity in people, 2SFCA and E2SFCA of a routed study.

    Parameters
    ----------
    study : Study
    routing : Routing
        ``route(study)``: every unit's nearest and second-nearest site.
    capacity : Capacity
        From :func:`site_capacity`, one value per site of ``study.sites``.
    threshold_min : float
        Threshold in minutes, inclusive (catchments of the load and of 2SFCA; E2SFCA bands split it
        in three equal bands).
    people_per_unit : float, optional
        People one capacity unit serves (``--people-per-unit``); default total population / total
        known capacity.
    max_load : float, optional
        People per capacity unit above which a site is overloaded (``--overload``); default the
        top decile of known loads.

    Returns
    -------
    CapacityReport
    """
    units = study.demand.units
    pop = units["population"].to_numpy(dtype=float)
    times = routing.times
    on_road = times.on_road
    nearest = np.where(on_road, times.site1, -1)
    load = site_load(nearest, np.where(on_road, times.time1, np.inf), pop, capacity, threshold_min,
                     time2=np.where(on_road, times.time2, np.inf), max_load=max_load,
                     people_per_unit=people_per_unit)
    people = None
    if capacity.known.any() and (people_per_unit is not None or np.nansum(capacity.values) > 0):
        people = capacity_in_people(capacity, float(pop.sum()), people_per_unit)
    sites_units = site_unit_times(study.network, routing.units, routing.sites, study.access,
                                  longest_covered_s(float(threshold_min) * 60.0))
    matrix = sites_units.T.tocsr()
    matrix.data = np.maximum(matrix.data, 0.0)
    matrix = matrix.multiply(on_road[:, None]).tocsr() if not on_road.all() else matrix
    fca = two_step_fca(matrix, pop, capacity, threshold_min, per=FCA_PER)
    efca = enhanced_two_step_fca(matrix, pop, capacity, equal_bands(threshold_min), per=FCA_PER)
    frame = load.to_frame()
    sites_load = pd.DataFrame({
        "site_id": study.sites["site_id"].astype(str).to_numpy(),
        "name": study.sites["name"].astype(str).to_numpy(),
        "capacity": capacity.values,
        "capacity_unit": capacity.unit,
        "capacity_people": people.capacity_people if people is not None else np.full(len(study.sites), np.nan),
        "population_assigned": frame["assigned_population"].to_numpy(),
        "load": frame["load"].to_numpy(),
        "sole_share": frame["sole_share"].to_numpy(),
        "overloaded": frame["overloaded"].to_numpy(dtype=bool),
    })
    by_commune = _by_area(units, "commune", fca, efca, pop)
    by_epci = _by_area(units, "epci", fca, efca, pop)
    notices = _named(load.notices, study.sites) + [n for n in _named(fca.notices, study.sites)
                                                   if n.code != "capacity_proxy"]
    return CapacityReport(capacity=capacity, load=load, people=people, fca=fca, efca=efca, sites_load=sites_load,
                          by_commune=by_commune, by_epci=by_epci, threshold_min=float(threshold_min),
                          population=pop, notices=unique_notices(notices))


def _by_area(units: pd.DataFrame, column: str, fca: FCAResult, efca: FCAResult, pop: np.ndarray) -> pd.DataFrame:
    if column not in units.columns:
        return pd.DataFrame()
    keys = units[column].fillna("").astype(str).to_numpy()
    one = fca.by_area(pop, keys).rename(columns={"mean": "fca_2sfca_mean", "median": "fca_2sfca_median",
                                                 "p10": "fca_2sfca_p10", "p90": "fca_2sfca_p90"})
    two = efca.by_area(pop, keys)[["key", "mean", "median"]].rename(
        columns={"mean": "fca_e2sfca_mean", "median": "fca_e2sfca_median"})
    return one.merge(two, on="key").rename(columns={"key": column})


def _named(notices: list[Notice], sites: pd.DataFrame) -> list[Notice]:
    """Notices whose details are site indices, with the sites' names instead."""
    names = sites["name"].astype(str).to_numpy()
    out = []
    for notice in notices:
        details = getattr(notice, "details", None)
        if details and all(str(d).isdigit() for d in details):
            notice = replace(notice, details=[names[int(d)] for d in details])
        out.append(notice)
    return out


def with_capacity(result, report: CapacityReport):
    """``result`` with its capacity indicators: load columns on the sites, indices on the units, notices.

    Parameters
    ----------
    result : CoverageResult
        From :func:`access30.coverage.engine.evaluate` on the same study and routing.
    report : CapacityReport

    Returns
    -------
    CoverageResult
        A copy with ``capacity`` set.
    """
    sites = result.sites.copy()
    for column in ["capacity", "capacity_unit", "capacity_people", "population_assigned", "load", "sole_share"]:
        sites[column] = report.sites_load[column].to_numpy()
    sites["overloaded"] = report.sites_load["overloaded"].to_numpy(dtype=int)
    units = result.units.copy()
    units["fca_2sfca"] = report.fca.index
    units["fca_e2sfca"] = report.efca.index
    ratio = Notice("capacity_people", f"Capacité en habitants : {report.people_label}")
    return replace(result, sites=sites, units=units, capacity=report,
                   notices=list(result.notices) + [ratio] + list(report.notices))


def unit_plural(unit: str) -> str:
    """A capacity unit in the plural (« heures d'ouverture hebdomadaires »; « ETP » unchanged)."""
    words = {"heure d'ouverture hebdomadaire": "heures d'ouverture hebdomadaires", "agent": "agents"}
    return words.get(unit, unit)


def load_lines(report: CapacityReport, n: int = 5) -> list[str]:
    """French lines for the command line: the ratio, the most loaded sites, the 2SFCA summary."""
    unit = report.unit
    lines = [f"Charge des lieux d'accueil (capacité : {unit}"
             + (", approchée par les heures d'ouverture hebdomadaires" if report.capacity.proxy else "") + ")",
             f"  {report.people_label}"]
    for row in report.most_loaded(n).itertuples():
        lines.append(f"  {row.name} : {fmt_int(row.population_assigned)} hab. rattachés, capacité "
                     f"{fmt_dec(row.capacity)} {unit_plural(unit)}, charge {fmt_dec(row.load)} hab. par {unit}"
                     + (" — surchargé" if row.overloaded else ""))
    summary = report.fca.summary(report.population)
    lines.append(f"  2SFCA ({report.fca.unit_label}, pondéré par la population) : moyenne "
                 f"{fmt_dec(summary['mean'], 3)}, médiane {fmt_dec(summary['median'], 3)}, 10e centile "
                 f"{fmt_dec(summary['p10'], 3)}, 90e centile {fmt_dec(summary['p90'], 3)}")
    return lines
