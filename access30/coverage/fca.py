"""Capacity and load of reception points, and floating-catchment accessibility indices.

Pure functions over NumPy arrays and SciPy sparse matrices, so that they plug onto any routing:

* :func:`site_load` — the population each site serves (its units' nearest site, within the
  threshold), that population per capacity unit, the share of it with no other site within the
  threshold, and the overloaded sites;
* :func:`capacity_in_people` — a capacity turned into people (capacity × people per unit);
* :func:`opening_hours_capacity` — weekly open hours per site, a *proxy* for capacity
  (``--capacity hours``);
* :func:`two_step_fca` (2SFCA, Luo & Wang 2003) and :func:`enhanced_two_step_fca` (E2SFCA,
  Luo & Qi 2009) on a sparse units × sites matrix of travel times, with
  :func:`aggregate_by_area` and :func:`index_summary` for population-weighted figures.

Conventions
-----------
* Travel times are in seconds, thresholds and bands in minutes, inclusive: a unit at exactly
  30:00 is within 30 minutes (same tolerance as :mod:`access30.coverage.rules`).
* A capacity is given per site in a unit the caller names (``"ETP"``, ``"guichets"``,
  ``"heures d'ouverture par semaine"``…). NaN means unknown: such a site is reported, and its
  capacity is never assumed (no load for it; in 2SFCA it adds nothing and the units it serves get
  a lower bound, flagged ``partial``).
* Messages (:class:`access30.base.errors.Notice`, :class:`access30.base.errors.InputError`) are in French.

References
----------
Luo W., Wang F. (2003). Measures of spatial accessibility to health care in a GIS environment:
synthesis and a case study in the Chicago region. *Environment and Planning B* 30(6), 865–884.

Luo W., Qi Y. (2009). An enhanced two-step floating catchment area (E2SFCA) method for measuring
spatial accessibility to primary care physicians. *Health & Place* 15(4), 1100–1107.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_dec, fmt_given, fmt_int, plural
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.inputs.hours import site_hours

# Tolerance on thresholds and band limits, as in access30.coverage.rules: 30:00 computed as 1799.9999999 s is within.
EPS_S = 1e-6

#: E2SFCA bands of Luo & Qi (2009): 0–10, 10–20 and 20–30 minutes weighted 1, 0.68 and 0.22 (their
#: "slow decay" Gaussian weights). Each band is (upper limit in minutes, inclusive; weight). The same
#: bands are pysal access's E2SFCA default (``weights.step_fn({10: 1, 20: 0.68, 30: 0.22})``).
LUO_QI_BANDS: tuple[tuple[float, float], ...] = ((10.0, 1.0), (20.0, 0.68), (30.0, 0.22))
LUO_QI_WEIGHTS: tuple[float, ...] = tuple(w for _, w in LUO_QI_BANDS)

#: Share of sites flagged as overloaded when no load ratio is given (the top decile).
TOP_SHARE = 0.1


# --------------------------------------------------------------------------------------------
# Capacity inputs
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Capacity:
    """Capacity of each site, in a named unit.

    Attributes
    ----------
    values : ndarray
        One value per site (float, ≥ 0); NaN when unknown.
    unit : str
        What one unit of capacity is, in French (``"ETP"``, ``"heures d'ouverture par semaine"``).
    proxy : bool
        True when the values stand in for a capacity they do not measure (opening hours).
    source : str
        Where the values come from, in French, for outputs.
    """

    values: np.ndarray
    unit: str
    proxy: bool = False
    source: str = ""

    @property
    def known(self) -> np.ndarray:
        """Boolean mask of the sites whose capacity is known."""
        return np.isfinite(self.values)


def _as_capacity(capacity, unit: str | None, n_sites: int | None = None) -> Capacity:
    if isinstance(capacity, Capacity):
        cap = capacity
    else:
        cap = Capacity(np.asarray(capacity, dtype=float).ravel(), unit or "unité de capacité")
    values = np.asarray(cap.values, dtype=float)
    if n_sites is not None and values.size != n_sites:
        raise InputError(f"{plural(values.size, 'capacité', 'capacités')} pour {plural(n_sites, 'lieu', 'lieux')}",
                         "donnez une capacité par lieu (vide si inconnue)", column="capacité")
    if np.isinf(values).any():
        raise InputError("capacité infinie", "donnez une capacité finie ou laissez-la vide si inconnue",
                         column="capacité")
    if (values[np.isfinite(values)] < 0).any():
        raise InputError("capacité négative", "une capacité est un nombre positif ou nul", column="capacité")
    return Capacity(values, cap.unit, cap.proxy, cap.source)


def opening_hours_capacity(sites: pd.DataFrame) -> Capacity:
    """Weekly open hours per site, as a capacity proxy (``--capacity hours``).

    The hours are read by :func:`access30.inputs.hours.site_hours` (``hours`` and ``hours_format`` columns)
    and counted by :meth:`access30.inputs.hours.WeeklyHours.minutes_per_week`. Hours missing or unreadable
    give NaN (unknown), never a default.

    Parameters
    ----------
    sites : DataFrame
        Sites with ``hours`` and ``hours_format`` columns (as from :mod:`access30.inputs.sites`).

    Returns
    -------
    Capacity
        ``values`` in hours per week, ``unit`` ``"heure d'ouverture hebdomadaire"``, ``proxy`` True:
        open hours say when people can come, not how many staff receive them.
    """
    parsed = site_hours(sites)
    values = np.array([p.hours.minutes_per_week() / 60.0 if p.hours is not None else np.nan for p in parsed],
                      dtype=float)
    return Capacity(values, "heure d'ouverture hebdomadaire", proxy=True,
                    source="approximation : heures d'ouverture hebdomadaires (elles disent quand on est reçu, "
                           "pas combien d'agents reçoivent)")


@dataclass(frozen=True)
class CapacityPeople:
    """A capacity expressed in people.

    Attributes
    ----------
    capacity_people : ndarray
        Per site: capacity × ``people_per_unit`` (NaN where the capacity is unknown).
    people_per_unit : float
        People one capacity unit can serve.
    default_ratio : bool
        True when ``people_per_unit`` is the default: total population / total known capacity,
        so that the known capacities add up to the total population.
    unit : str
    label : str
        The ratio in French, for outputs (« 1 ETP = 1 234 habitants (…) »).
    """

    capacity_people: np.ndarray
    people_per_unit: float
    default_ratio: bool
    unit: str
    label: str


def capacity_in_people(capacity, population_total: float | None = None, people_per_unit: float | None = None,
                       capacity_unit: str | None = None) -> CapacityPeople:
    """Capacity in people: capacity × people per unit.

    Parameters
    ----------
    capacity : array_like or Capacity
        Per site, NaN when unknown.
    population_total : float, optional
        Total population of the territory; needed for the default ratio.
    people_per_unit : float, optional
        People one capacity unit serves (for instance 1,500 inhabitants per full-time social
        worker). Default: ``population_total`` / total known capacity, so that the known
        capacities together equal the whole population — a neutral scale, not a standard.
    capacity_unit : str, optional
        Name of the unit when ``capacity`` is a plain array.

    Returns
    -------
    CapacityPeople

    Raises
    ------
    InputError
        Neither a ratio nor a population, no known capacity, or a ratio that is not positive.
    """
    cap = _as_capacity(capacity, capacity_unit)
    known = cap.known
    default = people_per_unit is None
    if default:
        if population_total is None:
            raise InputError("ratio habitants par unité de capacité manquant",
                             "indiquez le ratio ou la population totale")
        total_known = float(cap.values[known].sum())
        if total_known <= 0:
            raise InputError("aucune capacité connue (ou toutes nulles) : impossible d'en déduire un ratio",
                             "renseignez la capacité d'au moins un lieu ou indiquez le ratio")
        ratio = float(population_total) / total_known
        how = "par défaut : population totale / capacité connue totale"
    else:
        ratio = float(people_per_unit)
        if not np.isfinite(ratio) or ratio <= 0:
            raise InputError(f"ratio habitants par unité de capacité invalide ({fmt_given(people_per_unit)})",
                             "indiquez un nombre strictement positif", column="--people-per-unit")
        how = "ratio fourni"
    label = f"1 {cap.unit} = {fmt_dec(ratio)} habitants ({how})"
    if cap.proxy:
        label += " ; capacité approchée"
    return CapacityPeople(np.where(known, cap.values * ratio, np.nan), ratio, default, cap.unit, label)


# --------------------------------------------------------------------------------------------
# Load per site
# --------------------------------------------------------------------------------------------

@dataclass
class SiteLoad:
    """Population served by each site and its load.

    Attributes
    ----------
    assigned : ndarray
        Per site: population of the units whose nearest site it is, within the threshold.
    capacity : ndarray
        Per site, as given (NaN unknown).
    capacity_unit : str
    load : ndarray
        ``assigned / capacity``: people per capacity unit (NaN where the capacity is unknown; inf
        for a zero capacity with people assigned).
    sole_share : ndarray
        Share of ``assigned`` for whom this site is the only one within the threshold (NaN when
        nobody is assigned or the second-nearest times were not given).
    sole_population : ndarray
        The people behind ``sole_share``.
    overloaded : ndarray of bool
        Sites over ``overload_threshold`` (see ``overload_rule``); never a site of unknown capacity.
    overload_rule : str
        ``"ratio"`` (load above the given ratio) or ``"top_decile"`` (the 10 % most loaded sites,
        a relative flag: it does not mean the capacity is exceeded).
    overload_threshold : float
        The ratio, or the load at the 90th percentile of known loads.
    people : CapacityPeople or None
        Capacity in people (None when no capacity is known).
    threshold_min : float
    population_total, population_assigned : float
    notices : list of Notice
    """

    assigned: np.ndarray
    capacity: np.ndarray
    capacity_unit: str
    load: np.ndarray
    sole_share: np.ndarray
    sole_population: np.ndarray
    overloaded: np.ndarray
    overload_rule: str
    overload_threshold: float
    people: CapacityPeople | None
    threshold_min: float
    population_total: float
    population_assigned: float
    notices: list[Notice] = field(default_factory=list)

    @property
    def unknown_capacity(self) -> np.ndarray:
        """Indices of the sites whose capacity is unknown."""
        return np.flatnonzero(~np.isfinite(self.capacity))

    def to_frame(self) -> pd.DataFrame:
        """One row per site: ``assigned_population``, ``capacity``, ``capacity_known``, ``load``,
        ``capacity_people``, ``utilisation`` (assigned / capacity in people), ``sole_population``,
        ``sole_share``, ``overloaded``."""
        people = self.people.capacity_people if self.people is not None else np.full(self.capacity.size, np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            utilisation = np.where(people > 0, self.assigned / people,
                                   np.where(np.isfinite(people) & (self.assigned > 0), np.inf,
                                            np.where(np.isfinite(people), 0.0, np.nan)))
        return pd.DataFrame({
            "assigned_population": self.assigned,
            "capacity": self.capacity,
            "capacity_known": np.isfinite(self.capacity),
            "load": self.load,
            "capacity_people": people,
            "utilisation": utilisation,
            "sole_population": self.sole_population,
            "sole_share": self.sole_share,
            "overloaded": self.overloaded,
        })


def _check_units(population, *arrays) -> np.ndarray:
    pop = np.asarray(population, dtype=float).ravel()
    for a in arrays:
        if a is not None and np.asarray(a).ravel().size != pop.size:
            raise InputError(f"tableaux de tailles différentes ({np.asarray(a).size} au lieu de {pop.size} unités)",
                             "donnez une valeur par unité")
    if not np.isfinite(pop).all() or (pop < 0).any():
        raise InputError("population négative ou manquante", "chaque unité a une population positive ou nulle",
                         column="population")
    return pop


def site_load(nearest_site, time1, population, capacity, threshold_min: float = DEFAULT_THRESHOLD_MIN, time2=None,
              capacity_unit: str | None = None, max_load: float | None = None,
              people_per_unit: float | None = None) -> SiteLoad:
    """Population assigned to each site, its load, sole-site share and the overloaded sites.

    A unit is assigned to its nearest site when that site is within the threshold (inclusive);
    units farther (or with no site, ``nearest_site`` = −1) are assigned to none.

    Parameters
    ----------
    nearest_site : array_like of int
        Per unit, index of its nearest site, −1 if none.
    time1 : array_like of float
        Per unit, time to that site in seconds (inf if none).
    population : array_like of float
        Per unit.
    capacity : array_like or Capacity
        Per site, NaN when unknown; its length gives the number of sites.
    threshold_min : float
        Threshold in minutes, inclusive.
    time2 : array_like of float, optional
        Per unit, time to its second-nearest site (inf if none). Without it the sole-site share
        is NaN and a notice says so.
    capacity_unit : str, optional
        Name of the capacity unit when ``capacity`` is a plain array (e.g. ``"ETP"``).
    max_load : float, optional
        People per capacity unit above which a site is overloaded. Without it, the top decile of
        known loads (load ≥ their 90th percentile, and > 0) is flagged, a relative rule.
    people_per_unit : float, optional
        Passed to :func:`capacity_in_people` (default: total population / total known capacity).

    Returns
    -------
    SiteLoad
    """
    pop = _check_units(population, nearest_site, time1, time2)
    nearest = np.asarray(nearest_site).ravel().astype(np.int64)
    t1 = np.asarray(time1, dtype=float).ravel()
    cap = _as_capacity(capacity, capacity_unit)
    n_sites = cap.values.size
    if (nearest >= n_sites).any() or (nearest < -1).any():
        raise InputError("indice de lieu hors limites dans le lieu le plus proche",
                         f"indices attendus de -1 à {n_sites - 1}")
    thr = float(threshold_min) * 60.0 + EPS_S
    within = (nearest >= 0) & (t1 <= thr)
    assigned = np.bincount(nearest[within], weights=pop[within], minlength=n_sites)
    notices: list[Notice] = []

    if time2 is not None:
        t2 = np.asarray(time2, dtype=float).ravel()
        sole = within & ~(t2 <= thr)  # NaN or inf second time: no other site
        sole_pop = np.bincount(nearest[sole], weights=pop[sole], minlength=n_sites)
        with np.errstate(invalid="ignore", divide="ignore"):
            sole_share = np.where(assigned > 0, sole_pop / assigned, np.nan)
    else:
        sole_pop = np.full(n_sites, np.nan)
        sole_share = np.full(n_sites, np.nan)
        notices.append(Notice("second_site_unknown", "temps au deuxième lieu le plus proche non fourni : part des "
                                                     "habitants sans autre lieu à portée non calculée"))

    known = cap.known
    with np.errstate(invalid="ignore", divide="ignore"):
        load = np.where(known & (cap.values > 0), assigned / np.where(cap.values > 0, cap.values, 1.0),
                        np.where(known, np.where(assigned > 0, np.inf, 0.0), np.nan))
    if max_load is not None:
        if not np.isfinite(max_load) or max_load <= 0:
            raise InputError(f"seuil de charge invalide ({fmt_given(max_load)})",
                             "indiquez un nombre strictement positif d'habitants par unité de capacité",
                             column="--overload")
        rule, level = "ratio", float(max_load)
        overloaded = known & (load > level)
    else:
        rule = "top_decile"
        finite = load[known & np.isfinite(load)]
        level = float(np.quantile(finite, 1.0 - TOP_SHARE)) if finite.size else float("nan")
        # A zero capacity with people assigned (infinite load) is always flagged.
        if finite.size:
            overloaded = known & (load > 0) & ((load >= level) | np.isinf(load))
        else:
            overloaded = known & np.isinf(load)
        if known.any():
            sites = plural(int(overloaded.sum()), 'lieu', 'lieux')
            notices.append(Notice("overload_relative",
                                  f"surcharge relative : {sites} parmi les 10 % les plus "
                                  f"chargés (au moins {fmt_dec(level)} habitants par {cap.unit}), "
                                  "faute de seuil fourni ; "
                                  "cela ne prouve pas un dépassement de capacité", count=int(overloaded.sum())))
    unknown = np.flatnonzero(~known)
    if unknown.size:
        people = plural(assigned[unknown].sum(), "habitant y est rattaché", "habitants y sont rattachés")
        notices.append(Notice("capacity_unknown",
                              f"{plural(unknown.size, 'lieu', 'lieux')} sans capacité connue : charge non calculée "
                              f"(jamais supposée) ; {people}",
                              count=int(unknown.size), details=[str(i) for i in unknown]))
    if cap.proxy:
        notices.append(Notice("capacity_proxy", f"capacité approchée ({cap.source or cap.unit})"))
    people = capacity_in_people(cap, float(pop.sum()), people_per_unit) if known.any() and (
        people_per_unit is not None or cap.values[known].sum() > 0) else None
    return SiteLoad(assigned=assigned, capacity=cap.values, capacity_unit=cap.unit, load=load,
                    sole_share=sole_share, sole_population=sole_pop, overloaded=overloaded, overload_rule=rule,
                    overload_threshold=level, people=people, threshold_min=float(threshold_min),
                    population_total=float(pop.sum()), population_assigned=float(assigned.sum()), notices=notices)


# --------------------------------------------------------------------------------------------
# Floating catchment areas
# --------------------------------------------------------------------------------------------

def equal_bands(threshold_min: float, weights=LUO_QI_WEIGHTS) -> tuple[tuple[float, float], ...]:
    """Bands of equal width up to ``threshold_min``, one per weight (Luo & Qi's design).

    ``equal_bands(30)`` is :data:`LUO_QI_BANDS`; ``equal_bands(45)`` gives 0–15/15–30/30–45 min
    with weights 1, 0.68, 0.22.
    """
    weights = tuple(float(w) for w in weights)
    step = float(threshold_min) / len(weights)
    return tuple((step * (i + 1), w) for i, w in enumerate(weights))


def _check_bands(bands) -> tuple[np.ndarray, np.ndarray]:
    arr = np.asarray(bands, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != 2 or arr.shape[0] == 0:
        raise InputError("tranches de temps invalides", "donnez des couples (borne haute en minutes, poids)",
                         column="tranches")
    uppers, weights = arr[:, 0], arr[:, 1]
    if not (np.all(np.isfinite(arr)) and np.all(uppers > 0) and np.all(np.diff(uppers) > 0)):
        raise InputError("bornes de tranches invalides", "bornes positives et strictement croissantes",
                         column="tranches")
    if np.any(weights < 0):
        raise InputError("poids de tranche négatif", "les poids sont positifs ou nuls", column="tranches")
    return uppers, weights


def _pairs(times, n_units: int, n_sites: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    if not sp.issparse(times):
        raise InputError("matrice des temps non creuse", "donnez une matrice scipy.sparse unités × lieux")
    if times.shape != (n_units, n_sites):
        raise InputError(f"matrice des temps de forme {times.shape}, attendue ({n_units}, {n_sites})",
                         "lignes = unités, colonnes = lieux")
    coo = sp.coo_matrix(times)  # keeps explicit zeros: a unit at the site itself is a pair at 0 s
    row, col, t = coo.row.astype(np.int64), coo.col.astype(np.int64), np.asarray(coo.data, dtype=float)
    if row.size and np.unique(row * n_sites + col).size != row.size:
        raise InputError("paires (unité, lieu) en double dans la matrice des temps",
                         "une seule durée par paire (la plus courte)")
    if not np.isfinite(t).all() or (t < 0).any():
        raise InputError("durée négative ou non finie dans la matrice des temps",
                         "ne stockez que les paires atteignables, en secondes")
    return row, col, t


@dataclass
class FCAResult:
    """A floating-catchment accessibility index.

    Attributes
    ----------
    index : ndarray
        Per unit: capacity units per ``per`` inhabitants within reach (Σ_j W(t_ij) R_j × ``per``).
    site_ratio : ndarray
        Per site, R_j × ``per``: its capacity per ``per`` inhabitants of its (weighted)
        catchment; NaN for an unknown capacity, 0 for a site with nobody in its catchment.
    site_demand : ndarray
        Per site, the weighted population of its catchment, Σ_i W(t_ij) P_i.
    partial : ndarray of bool
        Per unit: it reaches a site of unknown capacity, so its index is a lower bound.
    method : str
        ``"2SFCA"`` or ``"E2SFCA"``.
    bands : tuple of (upper_min, weight)
        Distance-decay bands used (one band of weight 1 for 2SFCA).
    per : int
        Population base (1,000 or 10,000 inhabitants).
    capacity_unit : str
    unit_label : str
        The index unit in French (« ETP pour 1 000 habitants »).
    notices : list of Notice
    """

    index: np.ndarray
    site_ratio: np.ndarray
    site_demand: np.ndarray
    partial: np.ndarray
    method: str
    bands: tuple
    per: int
    capacity_unit: str
    unit_label: str
    notices: list[Notice] = field(default_factory=list)

    def summary(self, population) -> dict[str, float]:
        """:func:`index_summary` of this index."""
        return index_summary(self.index, population)

    def by_area(self, population, keys) -> pd.DataFrame:
        """:func:`aggregate_by_area` of this index."""
        return aggregate_by_area(self.index, population, keys)


def floating_catchment(times, population, capacity, bands, per: int = 1000, capacity_unit: str | None = None,
                       method: str = "E2SFCA") -> FCAResult:
    """Two-step floating catchment index with step weights (the core of 2SFCA and E2SFCA).

    Step 1, per site j: R_j = S_j / Σ_i W(t_ij) P_i. Step 2, per unit i: A_i = Σ_j W(t_ij) R_j.
    W is the weight of the band holding t (upper limits inclusive, 0 beyond the last band). With
    the same W in both steps, Σ_i P_i A_i = Σ_j S_j over the sites with a non-empty catchment.

    Parameters
    ----------
    times : sparse matrix
        Units × sites, seconds; stored entries are the reachable pairs (explicit zeros count).
        Entries beyond the last band are ignored.
    population : array_like
        Per unit, P_i.
    capacity : array_like or Capacity
        Per site, S_j (NaN unknown: left out, units reaching it flagged ``partial``).
    bands : sequence of (upper_min, weight)
        Increasing upper limits in minutes.
    per : int
        Index per ``per`` inhabitants (1,000 by default; 10,000 for rare capacities).
    capacity_unit : str, optional
    method : str
        Label stored in the result.

    Returns
    -------
    FCAResult
    """
    pop = _check_units(population)
    cap = _as_capacity(capacity, capacity_unit)
    n_units, n_sites = pop.size, cap.values.size
    uppers, weights = _check_bands(bands)
    if not (np.isfinite(per) and per > 0):
        raise InputError(f"base de population invalide ({fmt_given(per)})", "par exemple 1000 ou 10000")
    row, col, t = _pairs(times, n_units, n_sites)
    band = np.searchsorted(uppers * 60.0 + EPS_S, t, side="left")
    keep = band < uppers.size
    row, col, w = row[keep], col[keep], weights[band[keep]]
    keep = w > 0
    row, col, w = row[keep], col[keep], w[keep]
    known = cap.known
    supply = np.where(known, cap.values, 0.0)
    demand = np.bincount(col, weights=w * pop[row], minlength=n_sites)
    ratio = np.zeros(n_sites)
    served = known & (demand > 0)
    ratio[served] = supply[served] / demand[served]
    index = np.bincount(row, weights=w * ratio[col], minlength=n_units) * per
    partial = np.zeros(n_units, dtype=bool)
    partial[row[~known[col]]] = True
    notices: list[Notice] = []
    unknown = np.flatnonzero(~known)
    if unknown.size:
        notices.append(Notice("capacity_unknown",
                              f"{plural(unknown.size, 'lieu', 'lieux')} sans capacité connue, laissés de côté "
                              "(capacité jamais supposée) : indice sous-estimé pour les "
                              f"{plural(pop[partial].sum(), 'habitant', 'habitants')} qui les atteignent",
                              count=int(unknown.size), details=[str(i) for i in unknown]))
    idle = np.flatnonzero(known & (supply > 0) & (demand <= 0))
    if idle.size:
        notices.append(Notice("capacity_unreached",
                              f"{plural(idle.size, 'lieu', 'lieux')} sans habitant à portée : "
                              "leur capacité n'est comptée nulle part",
                              count=int(idle.size), details=[str(i) for i in idle]))
    if cap.proxy:
        notices.append(Notice("capacity_proxy", f"capacité approchée ({cap.source or cap.unit})"))
    label = f"{cap.unit} pour {fmt_int(per)} habitants"
    site_ratio = np.where(known, ratio * per, np.nan)
    return FCAResult(index=index, site_ratio=site_ratio, site_demand=demand, partial=partial, method=method,
                     bands=tuple((float(u), float(x)) for u, x in zip(uppers, weights)), per=int(per),
                     capacity_unit=cap.unit, unit_label=label, notices=notices)


def two_step_fca(times, population, capacity, threshold_min: float = DEFAULT_THRESHOLD_MIN, per: int = 1000,
                 capacity_unit: str | None = None) -> FCAResult:
    """2SFCA (Luo & Wang 2003): capacity per inhabitant of each catchment, summed over reachable sites.

    R_j = S_j / Σ_{i: t_ij ≤ d} P_i and A_i = Σ_{j: t_ij ≤ d} R_j, with d = ``threshold_min``
    (inclusive). See :func:`floating_catchment` for the parameters.

    Returns
    -------
    FCAResult
        ``index`` in capacity units per ``per`` inhabitants (per 1,000 by default).
    """
    return floating_catchment(times, population, capacity, ((float(threshold_min), 1.0),), per, capacity_unit,
                              "2SFCA")


def enhanced_two_step_fca(times, population, capacity, bands=LUO_QI_BANDS, per: int = 1000,
                          capacity_unit: str | None = None) -> FCAResult:
    """E2SFCA (Luo & Qi 2009): 2SFCA with distance-decay weights by travel-time band, in both steps.

    Default bands: 0–10, 10–20, 20–30 minutes weighted 1, 0.68, 0.22 (:data:`LUO_QI_BANDS`, the
    weights of Luo & Qi 2009). Custom bands: any increasing (upper_min, weight) pairs, e.g.
    :func:`equal_bands` for another threshold. See :func:`floating_catchment`.

    Returns
    -------
    FCAResult
        ``index`` in capacity units per ``per`` inhabitants (per 1,000 by default).
    """
    return floating_catchment(times, population, capacity, bands, per, capacity_unit, "E2SFCA")


# --------------------------------------------------------------------------------------------
# Population-weighted figures
# --------------------------------------------------------------------------------------------

def _grouped_quantile(values: np.ndarray, weights: np.ndarray, codes: np.ndarray, n_groups: int,
                      q: float) -> np.ndarray:
    """Weighted quantile per group, with the definition of :func:`access30.coverage.rules.weighted_quantile`:
    the smallest value v such that the weight of values ≤ v is at least ``q`` of the group's total."""
    keep = weights > 0
    values, weights, codes = values[keep], weights[keep], codes[keep]
    out = np.full(n_groups, np.nan)
    if values.size == 0:
        return out
    order = np.lexsort((values, codes))
    values, weights, codes = values[order], weights[order], codes[order]
    cum = np.cumsum(weights)
    starts = np.searchsorted(codes, np.arange(n_groups), side="left")
    ends = np.searchsorted(codes, np.arange(n_groups), side="right")
    present = ends > starts
    before = np.where(starts > 0, cum[np.maximum(starts - 1, 0)], 0.0)
    total = np.where(present, cum[np.maximum(ends - 1, 0)] - before, 0.0)
    target = before + q * total - 1e-9 * total
    pos = np.searchsorted(cum, target, side="left")
    pos = np.clip(pos, starts, np.maximum(ends - 1, starts))
    out[present] = values[pos[present]]
    return out


def index_summary(index, population) -> dict[str, float]:
    """Population-weighted summary of an accessibility index.

    Parameters
    ----------
    index, population : array_like
        Per unit.

    Returns
    -------
    dict
        ``population``, ``mean``, ``median``, ``p10``, ``p90`` (weighted quantiles as in
        :func:`access30.coverage.rules.weighted_quantile`), ``population_zero`` and ``share_zero`` (people
        with an index of 0: no site with a known capacity within reach).
    """
    table = aggregate_by_area(index, population, np.zeros(np.asarray(population).size, dtype=np.int8))
    row = table.iloc[0] if len(table) else None
    keys = ("population", "mean", "median", "p10", "p90", "population_zero", "share_zero")
    if row is None:
        return {k: float("nan") for k in keys}
    return {k: float(row[k]) for k in keys}


def aggregate_by_area(index, population, keys) -> pd.DataFrame:
    """Population-weighted index per area (commune, EPCI…).

    Parameters
    ----------
    index, population : array_like
        Per unit.
    keys : array_like
        Per unit, its area code.

    Returns
    -------
    DataFrame
        One row per area, sorted by key: ``key``, ``units``, ``population``, ``mean`` (Σ P_i A_i /
        Σ P_i), ``median``, ``p10``, ``p90``, ``population_zero``, ``share_zero``. Areas with no
        population have NaN statistics.
    """
    pop = _check_units(population, index, keys)
    idx = np.asarray(index, dtype=float).ravel()
    if not np.isfinite(idx).all():
        raise InputError("indice non fini", "un indice d'accessibilité est un nombre fini")
    codes, uniques = pd.factorize(pd.Series(np.asarray(keys).ravel()), sort=True)
    if (codes < 0).any():
        raise InputError("code de zone manquant pour certaines unités", "chaque unité a une commune ou un EPCI")
    n = len(uniques)
    total = np.bincount(codes, weights=pop, minlength=n)
    weighted = np.bincount(codes, weights=pop * idx, minlength=n)
    zero = np.bincount(codes, weights=np.where(idx <= 0, pop, 0.0), minlength=n)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(total > 0, weighted / total, np.nan)
        share_zero = np.where(total > 0, zero / total, np.nan)
    return pd.DataFrame({
        "key": np.asarray(uniques),
        "units": np.bincount(codes, minlength=n),
        "population": total,
        "mean": mean,
        "median": _grouped_quantile(idx, pop, codes, n, 0.5),
        "p10": _grouped_quantile(idx, pop, codes, n, 0.1),
        "p90": _grouped_quantile(idx, pop, codes, n, 0.9),
        "population_zero": zero,
        "share_zero": share_zero,
    })
