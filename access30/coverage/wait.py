"""The wait lens: how long residents within reach wait for a reception point to be open.

For every resident within the threshold of at least one site, take a moment uniformly at random
over the four-week cycle (:mod:`access30.base.moments`) and wait until a site they reach within the
threshold is open (0 when one is open at that moment). Everything is exact:

* each unit reaches a set of sites (*all* the sites within the threshold, by the coverage's own
  times, :func:`access30.routing.roads.site_unit_times` — not only the nearest two that routing
  keeps); units with the same set are computed once (:func:`reachable_sets`);
* the union of the set's opening intervals over the cycle leaves gaps ``g_i`` (cyclically: the
  cycle repeats); in a gap of length ``g`` the wait decreases linearly from ``g`` to 0, so the wait
  is 0 with probability ``open / L`` and otherwise piecewise uniform: ``P(W ≤ w) = (open + Σ min(g_i,
  w)) / L`` with ``L`` the cycle's length, and its mean is ``Σ g_i² / 2 / L``
  (:func:`wait_distribution`);
* quantiles are solved exactly on that piecewise-linear distribution, for one unit or for a
  population (the mixture of its units' distributions weighted by population: :func:`wait_quantile`).

Residents whose reachable sites all have unknown hours get no wait (reported apart); those who
reach some sites of unknown hours get the wait of the known ones (an upper bound, said). A site
whose hours open in some weeks only (« 1er et 3e mardi ») counts in those weeks. How often an
opening comes: every week (each of the four weeks has one), every fortnight (one in any two
consecutive weeks), less often, or never (reachable sites known to be closed throughout).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_dec, fmt_int, fmt_num, fmt_pct, plural
from access30.base.moments import CYCLE_MINUTES, CYCLE_WEEKS, DAY_MINUTES, WEEK_MINUTES
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.coverage.result import CoverageResult, Routing, WaitReport
from access30.coverage.rules import check_threshold, longest_covered_s
from access30.inputs.hours import STATUS_KNOWN, site_hours
from access30.inputs.schedule import join_intervals
from access30.inputs.study import Study
from access30.network.modes import get_mode
from access30.routing.roads import site_unit_times


@dataclass(frozen=True)
class WaitDistribution:
    """The wait from a uniform moment of the cycle until the next opening, for one union of openings.

    Attributes
    ----------
    open_minutes : float
        Minutes of the cycle with an opening (the wait is 0 then).
    gaps : ndarray
        Lengths of the closed gaps, minutes, cyclically (the last gap runs into the first opening).
    cycle_minutes : float
    """

    open_minutes: float
    gaps: np.ndarray
    cycle_minutes: float = float(CYCLE_MINUTES)

    @property
    def never(self) -> bool:
        """No opening in the cycle: the wait is infinite."""
        return self.open_minutes <= 0

    @property
    def mean_minutes(self) -> float:
        """Expected wait: ``Σ g² / 2 / L`` (inf when never open)."""
        if self.never:
            return float("inf")
        return float((self.gaps ** 2).sum() / 2.0 / self.cycle_minutes)

    def cdf(self, minutes: float) -> float:
        """``P(wait ≤ minutes)``."""
        if self.never:
            return 0.0
        return float((self.open_minutes + np.minimum(self.gaps, minutes).sum()) / self.cycle_minutes)

    def quantile(self, q: float) -> float:
        """The ``q``-quantile of the wait, minutes (exact)."""
        if self.never:
            return float("inf")
        return wait_quantile([self], [1.0], q)


def gaps_of(intervals: np.ndarray, cycle_minutes: int = CYCLE_MINUTES) -> WaitDistribution:
    """The wait distribution of ``(start, end)`` opening intervals over a cycle (any order, overlaps allowed).

    Examples
    --------
    One site open on Tuesdays 9:00–12:00 every week: the wait is 0 for 3 h a week, then one gap of
    165 h a week; the mean is ``165² / 2 / 168`` h = 81.03 h = 3.3761 days.

    >>> tuesdays = np.array([[w * 10080 + 1440 + 540, w * 10080 + 1440 + 720] for w in range(4)])
    >>> d = gaps_of(tuesdays)
    >>> round(d.mean_minutes / 1440, 4), d.open_minutes
    (3.3761, 720.0)
    """
    spans = join_intervals(np.asarray(intervals, dtype=np.int64).reshape(-1, 2))
    spans = np.clip(spans, 0, cycle_minutes)
    spans = spans[spans[:, 1] > spans[:, 0]]
    if spans.size == 0:
        return WaitDistribution(0.0, np.zeros(0), float(cycle_minutes))
    open_minutes = float((spans[:, 1] - spans[:, 0]).sum())
    inner = spans[1:, 0] - spans[:-1, 1]
    wrap = spans[0, 0] + cycle_minutes - spans[-1, 1]
    gaps = np.concatenate([inner, [wrap]]).astype(float)
    return WaitDistribution(open_minutes, gaps[gaps > 0], float(cycle_minutes))


def wait_distribution(hours_list) -> WaitDistribution:
    """The wait distribution of the union of several sites' cycle openings
    (:meth:`access30.inputs.schedule.WeeklyHours.cycle_intervals`)."""
    parts = [h.cycle_intervals() for h in hours_list]
    return gaps_of(np.concatenate(parts) if parts else np.zeros((0, 2), dtype=np.int64))


def wait_quantile(distributions, weights, q: float) -> float:
    """The ``q``-quantile (minutes) of the mixture of wait distributions weighted by ``weights`` (exact).

    The mixture's CDF is ``F(w) = A + Σ_i p_i min(g_i, w)``, ``A`` the weighted open share and ``p_i =
    weight / L`` per gap: piecewise linear, so the quantile is solved on the segment where ``F``
    crosses ``q``. Distributions never open are left out (their weight too).
    """
    pairs = [(d, float(w)) for d, w in zip(distributions, weights) if w > 0 and not d.never]
    if not pairs or not 0 <= q <= 1:
        return float("nan")
    total = sum(w for _, w in pairs)
    atom = sum(w * d.open_minutes / d.cycle_minutes for d, w in pairs) / total
    if q <= atom:
        return 0.0
    gaps = np.concatenate([d.gaps for d, _ in pairs])
    rate = np.concatenate([np.full(d.gaps.size, w / d.cycle_minutes / total) for d, w in pairs])
    order = np.argsort(gaps, kind="stable")
    gaps, rate = gaps[order], rate[order]
    # F at each gap end, in order: A + Σ_{i≤k} p_i g_i + g_k Σ_{i>k} p_i.
    below = np.cumsum(rate * gaps)
    above = rate[::-1].cumsum()[::-1] - rate
    at = atom + below + gaps * above
    k = int(np.searchsorted(at, q - 1e-12))
    if k >= gaps.size:
        return float(gaps[-1])
    start = gaps[k - 1] if k else 0.0
    f_start = at[k - 1] if k else atom
    slope = rate[k:].sum()
    return float(start + (q - f_start) / slope) if slope > 0 else float(start)


def frequency_of(intervals: np.ndarray) -> str:
    """``weekly`` (an opening in each of the four weeks), ``fortnightly`` (in any two consecutive
    weeks, cyclically), ``less_often``, or ``never``, for cycle intervals."""
    weeks = np.zeros(CYCLE_WEEKS, dtype=bool)
    for start, end in np.asarray(intervals).reshape(-1, 2):
        if end > start:
            weeks[int(start) // WEEK_MINUTES:(int(end) - 1) // WEEK_MINUTES + 1] = True
    if not weeks.any():
        return "never"
    if weeks.all():
        return "weekly"
    return "fortnightly" if (weeks | np.roll(weeks, -1)).all() else "less_often"


def reachable_sets(times) -> tuple[np.ndarray, list[np.ndarray]]:
    """Group units by the set of sites they reach: ``(set index per unit, -1 for none), the sets``.

    ``times`` is a sites × units sparse matrix (stored entries: within reach). Sets are keyed by the
    bytes of their sorted site indices.
    """
    csc = times.tocsc()
    csc.sort_indices()
    index = np.full(csc.shape[1], -1, dtype=np.int64)
    keys: dict[bytes, int] = {}
    sets: list[np.ndarray] = []
    for unit in range(csc.shape[1]):
        sites = csc.indices[csc.indptr[unit]:csc.indptr[unit + 1]]
        if sites.size == 0:
            continue
        key = sites.astype(np.int64).tobytes()
        if key not in keys:
            keys[key] = len(sets)
            sets.append(sites.astype(np.int64))
        index[unit] = keys[key]
    return index, sets


def reachable_times(study: Study, routing: Routing, threshold_min: float):
    """Sites × units times within the threshold, by the coverage's own rule (every site, not only the nearest two)."""
    return site_unit_times(study.network, routing.units, routing.sites, study.access,
                           longest_covered_s(threshold_min * 60.0))


def wait_report(study: Study, routing: Routing, threshold_min: float = DEFAULT_THRESHOLD_MIN,
                walk_in: bool = False) -> WaitReport:
    """The wait for an opening within reach, per unit, per commune and overall.

    Parameters
    ----------
    study : Study
        Its sites' hours are read (for the walk-in lens, pass the study of
        :func:`access30.coverage.walkin.walk_in_study` and ``walk_in=True``).
    routing : Routing
        ``route(study)`` on the full site list.
    threshold_min : float
    walk_in : bool
        Recorded in the report (the hours read are the study's).

    Returns
    -------
    WaitReport

    Raises
    ------
    InputError
        For a timetable mode (the wait needs the road times of every site), or when no site has
        readable hours.

    Examples
    --------
    >>> from access30 import StudyRequest, assemble_study, route
    >>> study = assemble_study(StudyRequest(territory="st-brieuc-loudeac"))
    >>> report = wait_report(study, route(study), 30)
    >>> round(report.share("weekly"), 3), report.p90_wait_days < 3
    (1.0, True)
    """
    check_threshold(threshold_min)
    if get_mode(study.network.mode).timetable:
        raise InputError("l'attente d'une ouverture se calcule sur les temps par la route (voiture, marche)",
                         "retirez --wait, ou calculez-la avec --mode drive ou --mode walk", column="--wait")
    parsed = site_hours(study.sites)
    known = np.array([p.status == STATUS_KNOWN for p in parsed], dtype=bool)
    if len(parsed) and not known.any():
        raise InputError(f"aucun lieu d'accueil n'a d'horaires d'ouverture lisibles ({len(parsed)} lieux lus) : "
                         "l'attente d'une ouverture ne peut pas être calculée",
                         "ajoutez aux lieux une colonne « horaires » (par ex. « Mo-Fr 09:00-12:00 » ou « 1er et "
                         "3e mardi 9h-12h »), ou retirez --wait", column="horaires")
    units = study.demand.units
    population = units["population"].to_numpy(dtype=float)
    set_of, sets = reachable_sets(reachable_times(study, routing, threshold_min))
    intervals = [p.hours.cycle_intervals() if k else None for p, k in zip(parsed, known)]
    dists, freqs, n_unknown = [], [], []
    for sites in sets:
        ok = sites[known[sites]]
        n_unknown.append(int(sites.size - ok.size))
        if ok.size == 0:
            dists.append(None)
            freqs.append("unknown")
            continue
        spans = np.concatenate([intervals[s] for s in ok])
        dists.append(gaps_of(spans))
        freqs.append(frequency_of(join_intervals(spans)))
    unit_rows = _unit_rows(units, population, set_of, sets, dists, freqs, n_unknown)
    finite = unit_rows["frequency"].isin(["weekly", "fortnightly", "less_often"]).to_numpy()
    report_dists, report_weights = _mixture(set_of[finite], population[finite], dists)
    pop_of = {f: float(population[(unit_rows["frequency"] == f).to_numpy()].sum())
              for f in ("weekly", "fortnightly", "less_often", "never", "unknown")}
    partly = (unit_rows["sites_hours_unknown"].to_numpy() > 0) & (unit_rows["frequency"] != "unknown").to_numpy()
    in_reach = set_of >= 0
    report = WaitReport(
        units=unit_rows, communes=_communes(study, unit_rows, set_of, population, dists),
        population_in_reach=float(population[in_reach].sum()), population_unknown=pop_of["unknown"],
        population_partly_unknown=float(population[partly].sum()), population_weekly=pop_of["weekly"],
        population_fortnightly=pop_of["fortnightly"], population_less_often=pop_of["less_often"],
        population_never=pop_of["never"], mean_wait_days=_mean_days(report_dists, report_weights),
        p90_wait_days=wait_quantile(report_dists, report_weights, 0.9) / DAY_MINUTES,
        threshold_min=float(threshold_min), walk_in=walk_in)
    report.notices.extend(_notices(report, study, known))
    return report


def _unit_rows(units: pd.DataFrame, population, set_of, sets, dists, freqs, n_unknown) -> pd.DataFrame:
    n = len(units)
    has = set_of >= 0
    idx = np.where(has, set_of, 0)
    mean = np.array([d.mean_minutes / DAY_MINUTES if d is not None else np.nan for d in dists] or [np.nan])
    p90 = np.array([d.quantile(0.9) / DAY_MINUTES if d is not None else np.nan for d in dists] or [np.nan])
    share = np.array([d.open_minutes / d.cycle_minutes if d is not None else np.nan for d in dists] or [np.nan])
    count = np.array([s.size for s in sets] or [0])
    unknown = np.array(n_unknown or [0])
    freq = np.array(freqs or [""], dtype=object)
    never = np.array([d is not None and d.never for d in dists] or [False])
    finite_mean = np.where(never, np.nan, mean)
    finite_p90 = np.where(never, np.nan, p90)
    return pd.DataFrame({
        "unit_id": units["unit_id"].to_numpy() if "unit_id" in units.columns else np.arange(n),
        "commune": units["commune"].astype(str).to_numpy() if "commune" in units.columns else "",
        "population": population,
        "sites_in_reach": np.where(has, count[idx], 0),
        "sites_hours_unknown": np.where(has, unknown[idx], 0),
        "frequency": np.where(has, freq[idx], ""),
        "open_share": np.where(has, share[idx], np.nan),
        "mean_wait_days": np.where(has, finite_mean[idx], np.nan),
        "p90_wait_days": np.where(has, finite_p90[idx], np.nan),
    })


def _mixture(set_of: np.ndarray, population: np.ndarray, dists) -> tuple[list, list]:
    """The distinct distributions of some units and the population on each."""
    if set_of.size == 0:
        return [], []
    weights = np.bincount(set_of, weights=population, minlength=len(dists))
    used = np.flatnonzero(weights > 0)
    return [dists[i] for i in used], [float(weights[i]) for i in used]


def _mean_days(dists, weights) -> float:
    total = sum(weights)
    if not total:
        return float("nan")
    return sum(d.mean_minutes * w for d, w in zip(dists, weights)) / total / DAY_MINUTES


def _communes(study: Study, rows: pd.DataFrame, set_of, population, dists) -> pd.DataFrame:
    names = {}
    if study.communes is not None and "code" in study.communes.columns:
        names = dict(zip(study.communes["code"].astype(str), study.communes["nom"].astype(str)))
    out = []
    finite = rows["frequency"].isin(["weekly", "fortnightly", "less_often"]).to_numpy()
    in_reach = set_of >= 0
    for code, group in rows[in_reach].groupby("commune", sort=True):
        idx = group.index.to_numpy()
        pop = {f: float(group.loc[group["frequency"] == f, "population"].sum())
               for f in ("weekly", "fortnightly", "less_often", "never", "unknown")}
        known = float(group["population"].sum()) - pop["unknown"]
        sel = idx[finite[idx]]
        d, w = _mixture(set_of[sel], population[sel], dists)
        out.append({"commune": code, "nom": names.get(code, ""),
                    "population_in_reach": float(group["population"].sum()), "population_unknown": pop["unknown"],
                    **{f"population_{f}": pop[f] for f in ("weekly", "fortnightly", "less_often", "never")},
                    **{f"share_{f}": (pop[f] / known if known > 0 else np.nan)
                       for f in ("weekly", "fortnightly", "less_often", "never")},
                    "mean_wait_days": _mean_days(d, w), "p90_wait_days": wait_quantile(d, w, 0.9) / DAY_MINUTES})
    columns = ["commune", "nom", "population_in_reach", "population_unknown",
               *[f"population_{f}" for f in ("weekly", "fortnightly", "less_often", "never")],
               *[f"share_{f}" for f in ("weekly", "fortnightly", "less_often", "never")],
               "mean_wait_days", "p90_wait_days"]
    frame = pd.DataFrame(out, columns=columns)
    return frame.sort_values(["mean_wait_days", "commune"], ascending=[False, True], kind="stable",
                             na_position="last").reset_index(drop=True)


def _notices(report: WaitReport, study: Study, known: np.ndarray) -> list[Notice]:
    notices = []
    if report.population_unknown > 0:
        notices.append(Notice("wait_hours_unknown", f"{fmt_int(report.population_unknown)} habitants à portée "
                              "n'atteignent que des lieux aux horaires inconnus : pas d'attente calculée pour eux.",
                              count=int((report.units["frequency"] == "unknown").sum())))
    if report.population_partly_unknown > 0:
        n = int((~known).sum())
        notices.append(Notice("wait_partly_unknown", f"{fmt_int(report.population_partly_unknown)} habitants "
                              f"atteignent aussi {plural(n, 'un lieu', 'des lieux')} aux horaires inconnus : leur "
                              "attente ne compte que les lieux aux horaires connus (au plus)."))
    if report.population_never > 0:
        notices.append(Notice("wait_never", f"{fmt_int(report.population_never)} habitants à portée n'atteignent "
                              "que des lieux fermés sur tout le cycle de quatre semaines : leur attente est infinie, "
                              "hors des moyennes."))
    return notices


def with_wait(result: CoverageResult, report: WaitReport) -> CoverageResult:
    """``result`` with the wait report attached (and its notices)."""
    return replace(result, wait=report, notices=[*result.notices, *report.notices])


def days_fr(value: float) -> str:
    """Days, one decimal: « 3,4 jours », « 0,3 jour »."""
    text = fmt_dec(value, 1)
    return text if text == "–" else f"{text} {'jour' if round(value, 1) < 2 else 'jours'}"


def wait_lines(wait, title: str = "Attente d'une ouverture") -> list[str]:
    """The wait for an opening within reach (``--wait``), each figure with what it counts."""
    hours = "horaires sans rendez-vous" if wait.walk_in else "horaires d'ouverture"
    lines = ["", f"{title} ({hours}, moment tiré au hasard sur quatre semaines) :",
             f"- habitants à portée d'un lieu (≤ {fmt_num(wait.threshold_min)} min) : "
             f"{fmt_int(wait.population_in_reach)}"
             + (f", dont {fmt_int(wait.population_unknown)} n'atteignant que des lieux aux horaires inconnus (pas "
                "d'attente calculée)" if wait.population_unknown > 0 else ""),
             "- parmi ceux aux horaires connus, une ouverture chaque semaine : "
             f"{fmt_pct(wait.share('weekly'), sep=' ')} ; chaque quinzaine : "
             f"{fmt_pct(wait.share('fortnightly'), sep=' ')} ; moins souvent : "
             f"{fmt_pct(wait.share('less_often'), sep=' ')} ; jamais : {fmt_pct(wait.share('never'), sep=' ')}",
             f"- attente jusqu'à la prochaine ouverture d'un lieu atteint : moyenne {days_fr(wait.mean_wait_days)}, "
             f"90e centile {days_fr(wait.p90_wait_days)} (90 % des habitants et des moments attendent moins)"]
    longest = wait.communes.dropna(subset=["mean_wait_days"]).head(5)
    if len(longest) and (longest["mean_wait_days"] > 0).any():
        lines.append("- communes où l'attente moyenne est la plus longue : " + " ; ".join(
            f"{r.nom or r.commune} {days_fr(r.mean_wait_days)}" for r in longest.itertuples(index=False)))
    return lines
