"""Coverage indicators against a travel-time threshold.

Pure functions over arrays and DataFrames: given each unit's population, commune and travel time,
compute who is covered (time ≤ threshold, inclusive: a unit at exactly 30:00 is covered), the
population-weighted time distribution, and the same per commune, per EPCI, per site and per equity
group. Units with no road access are never counted as covered; units on a road from which no site
can be reached are uncovered.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from access30.base.errors import InputError
from access30.base.fmt import fmt_given, fmt_num
from access30.base.labels import STATUS_LABELS_FR

#: Status codes of a demand unit (their French words: :data:`access30.base.labels.STATUS_LABELS_FR`).
STATUS_COVERED = "covered"
STATUS_UNCOVERED = "uncovered"
STATUS_NO_ROAD = "no_road"
#: Tolerance on the threshold, so that 30:00.000 computed as 1799.9999999 or 1800.0000001 is covered.
EPS_S = 1e-6


def longest_covered_s(threshold_s: float) -> float:
    """Longest time still covered at a threshold of ``threshold_s`` seconds (inclusive, tolerance EPS_S)."""
    return float(threshold_s) + EPS_S


def covered(time_s: np.ndarray, threshold_s: float) -> np.ndarray:
    """The coverage rule in seconds: a time within ``threshold_s``, inclusive."""
    return np.asarray(time_s) <= longest_covered_s(threshold_s)


def within(time_s: np.ndarray, threshold_min: float) -> np.ndarray:
    """The coverage rule: a time within the threshold, inclusive (30:00 is covered at 30 min)."""
    return covered(time_s, float(threshold_min) * 60.0)


def classify(time_s: np.ndarray, on_road: np.ndarray, threshold_min: float) -> np.ndarray:
    """Status of each unit: covered, uncovered (including unreachable) or no road access."""
    covered = on_road & within(time_s, threshold_min)
    return np.where(~on_road, STATUS_NO_ROAD, np.where(covered, STATUS_COVERED, STATUS_UNCOVERED))


#: Shorter thresholds tried, longest first, when nobody is beyond the one read (:func:`shorter_threshold_beyond`).
SHORTER_THRESHOLDS_MIN = (25.0, 20.0, 15.0, 10.0, 5.0)


def not_covered_at(units: pd.DataFrame, threshold_min: float) -> float:
    """People not covered at ``threshold_min`` (beyond it, or without road access), from a result's units
    (``time_min``, ``status``, ``population``): another threshold read without evaluating again."""
    on_road = (units["status"] != STATUS_NO_ROAD).to_numpy()
    status = classify(units["time_min"].to_numpy(dtype=float) * 60.0, on_road, threshold_min)
    return float(units["population"].to_numpy(dtype=float)[status != STATUS_COVERED].sum())


def shorter_threshold_beyond(units: pd.DataFrame, threshold_min: float) -> tuple[float, float] | None:
    """The longest of :data:`SHORTER_THRESHOLDS_MIN` under ``threshold_min`` at which someone is not covered, and
    how many are (:func:`not_covered_at`); None when there is none."""
    for shorter in SHORTER_THRESHOLDS_MIN:
        if shorter < threshold_min:
            beyond = not_covered_at(units, shorter)
            if beyond >= 0.5:
                return shorter, beyond
    return None


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """Weighted quantile (inverse of the weighted empirical distribution; inf values allowed).

    Returns the smallest value v such that the weight of values ≤ v is at least ``q`` of the total.
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    keep = weights > 0
    values, weights = values[keep], weights[keep]
    if values.size == 0:
        return float("nan")
    order = np.argsort(values, kind="stable")
    cum = np.cumsum(weights[order])
    position = np.searchsorted(cum, q * cum[-1] - 1e-9 * cum[-1], side="left")
    return float(values[order][min(position, values.size - 1)])


def time_stats(time_s: np.ndarray, weights: np.ndarray) -> dict[str, float]:
    """Population-weighted mean, median and 90th percentile of finite times, in minutes."""
    finite = np.isfinite(time_s) & (weights > 0)
    if not finite.any():
        return {"mean_min": float("nan"), "median_min": float("nan"), "p90_min": float("nan")}
    t, w = time_s[finite] / 60.0, weights[finite]
    return {
        "mean_min": float(np.average(t, weights=w)),
        "median_min": weighted_quantile(t, w, 0.5),
        "p90_min": weighted_quantile(t, w, 0.9),
    }


def group_figures(weights: np.ndarray, status: np.ndarray, time_s: np.ndarray) -> dict[str, float]:
    """Covered, uncovered and no-road totals of one weight column, with shares and time stats."""
    total = float(weights.sum())
    covered = float(weights[status == STATUS_COVERED].sum())
    no_road = float(weights[status == STATUS_NO_ROAD].sum())
    uncovered = total - covered - no_road
    return {
        "total": total,
        "covered": covered,
        "uncovered": uncovered,
        "no_road": no_road,
        "share_covered": covered / total if total > 0 else float("nan"),
        **time_stats(np.where(status == STATUS_NO_ROAD, np.inf, time_s), weights),
    }


def equity_table(units: pd.DataFrame, status: np.ndarray, time_s: np.ndarray,
                 columns: list[str]) -> pd.DataFrame:
    """One row per weight column (population first, then equity groups) with :func:`group_figures`."""
    rows = []
    for column in ["population", *columns]:
        figures = group_figures(units[column].to_numpy(dtype=float), status, time_s)
        rows.append({"group": column, **figures})
    return pd.DataFrame(rows)


def by_area(units: pd.DataFrame, status: np.ndarray, time_s: np.ndarray, key: str,
            columns: list[str]) -> pd.DataFrame:
    """Indicators per area (commune or EPCI code in ``units[key]``), most uncovered people first.

    Columns: population, covered, uncovered, no_road, share_covered, mean/median/p90 time (minutes,
    population-weighted), and for every equity column its covered share.
    """
    frame = pd.DataFrame({key: units[key].to_numpy(), "status": status, "time_s": time_s})
    for column in ["population", *columns]:
        frame[column] = units[column].to_numpy(dtype=float)
    rows = []
    for code, part in frame.groupby(key, sort=True):
        st, t = part["status"].to_numpy(), part["time_s"].to_numpy()
        figures = group_figures(part["population"].to_numpy(), st, t)
        row = {key: code, "population": figures["total"], "covered": figures["covered"],
               "uncovered": figures["uncovered"], "no_road": figures["no_road"],
               "share_covered": figures["share_covered"], "mean_min": figures["mean_min"],
               "median_min": figures["median_min"], "p90_min": figures["p90_min"],
               "units": len(part)}
        for column in columns:
            g = group_figures(part[column].to_numpy(), st, t)
            row[f"{column}_total"] = g["total"]
            row[f"{column}_share_covered"] = g["share_covered"]
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    table["not_covered"] = table["uncovered"] + table["no_road"]
    return table.sort_values(["not_covered", "population"], ascending=[False, False]).reset_index(drop=True)


def site_catchments(n_sites: int, site1: np.ndarray, population: np.ndarray,
                    status: np.ndarray) -> pd.DataFrame:
    """Population whose nearest site is each site, and the part of it within the threshold."""
    reached = site1 >= 0
    catchment = np.bincount(site1[reached], weights=population[reached], minlength=n_sites)
    covered = reached & (status == STATUS_COVERED)
    covered_pop = np.bincount(site1[covered], weights=population[covered], minlength=n_sites)
    return pd.DataFrame({"catchment_population": catchment, "catchment_covered": covered_pop})


# --------------------------------------------------------------------------------------------
# Travel-time classes (maps, charts, tables and report all use these)

#: Upper bounds (minutes) of the standard time classes: 0–10, 10–20, 20–30, 30–45, > 45 min.
TIME_BREAKS_MIN = (10.0, 20.0, 30.0, 45.0)
#: Colour ramps: greens for classes within the threshold, reds beyond it, grey without road access.
COVERED_COLOURS = ("#1a9641", "#a6d96a", "#e6f598", "#fdfdc4")
UNCOVERED_COLOURS = ("#fdae61", "#d7191c", "#8c0d0f")
NO_ROAD_COLOUR = "#8c8c8c"


def time_breaks(threshold_min: float) -> list[float]:
    """Upper bounds of the time classes: 10, 20, 30, 45 min, plus the threshold when it is not one.

    With the threshold as a break, every class lies wholly within or wholly beyond it.
    """
    return sorted(set(TIME_BREAKS_MIN) | {float(threshold_min)})


def class_labels(threshold_min: float) -> list[str]:
    """Labels of the classes of :func:`time_breaks` (``"0–10 min"`` … ``"> 45 min"``), then « sans accès routier »."""
    breaks = time_breaks(threshold_min)
    lows = [0.0, *breaks[:-1]]
    return ([f"{fmt_num(low)}–{fmt_num(b)} min" for low, b in zip(lows, breaks)]
            + [f"> {fmt_num(breaks[-1])} min", STATUS_LABELS_FR[STATUS_NO_ROAD]])


def _ramp(colours: tuple[str, ...], n: int) -> list[str]:
    """``n`` colours along a linear ramp through ``colours`` (the first ``n`` when there are enough).

    Same values as matplotlib's ``LinearSegmentedColormap.from_list`` (256 levels) and ``to_hex``.
    """
    if n <= len(colours):
        return list(colours[:n])
    rgb = np.array([[int(c[i:i + 2], 16) / 255 for i in (1, 3, 5)] for c in colours])
    anchors = np.linspace(0.0, 1.0, len(colours))
    levels = np.minimum((np.linspace(0.0, 1.0, n) * 256).astype(int), 255) / 255
    out = []
    for level in levels:
        channels = [np.interp(level, anchors, rgb[:, j]) for j in range(3)]
        out.append("#" + "".join(format(round(float(v) * 255), "02x") for v in channels))
    return out


def class_colours(threshold_min: float) -> list[str]:
    """Colour of each class of :func:`class_labels`: greens up to the threshold, reds beyond, grey last."""
    breaks = time_breaks(threshold_min)
    n_covered = sum(1 for b in breaks if b <= threshold_min)
    n_uncovered = len(breaks) + 1 - n_covered
    return _ramp(COVERED_COLOURS, n_covered) + _ramp(UNCOVERED_COLOURS, n_uncovered) + [NO_ROAD_COLOUR]


def time_class(time_min: np.ndarray, status: np.ndarray, threshold_min: float) -> np.ndarray:
    """Index into :func:`class_labels` of each unit.

    Upper bounds are inclusive with the tolerance of :func:`classify` (a unit at exactly 30 min is in
    « 20–30 min », as in the coverage count); infinite times fall in the last time class; units
    without road access get the last class, « sans accès routier ».
    """
    breaks = np.asarray(time_breaks(threshold_min)) * 60.0 + EPS_S
    seconds = np.asarray(time_min, dtype=float) * 60.0
    classes = np.searchsorted(breaks, seconds, side="left")
    return np.where(np.asarray(status) == STATUS_NO_ROAD, breaks.size + 1, classes).astype(np.int64)


def population_by_class(units: pd.DataFrame, threshold_min: float) -> pd.DataFrame:
    """Population per travel-time class, every class listed (empty ones with 0).

    Parameters
    ----------
    units : DataFrame
        ``time_min``, ``status`` and ``population`` per unit (``CoverageResult.units``).
    threshold_min : float
        Coverage threshold, a class break (see :func:`time_breaks`).

    Returns
    -------
    DataFrame
        ``label``, ``colour``, ``population``, ``share`` and ``cumulative`` (shares of the total
        population; NaN when it is zero), one row per class in order.
    """
    labels = class_labels(threshold_min)
    classes = time_class(units["time_min"].to_numpy(), units["status"].to_numpy(), threshold_min)
    pop = np.bincount(classes, weights=units["population"].to_numpy(dtype=float), minlength=len(labels))
    total = pop.sum()
    return pd.DataFrame({"label": labels, "colour": class_colours(threshold_min), "population": pop,
                         "share": pop / total if total > 0 else np.nan,
                         "cumulative": np.cumsum(pop) / total if total > 0 else np.nan})


def check_threshold(threshold_min: float) -> None:
    """Reject thresholds that are not a positive number of minutes up to 24 hours."""
    try:
        value = float(threshold_min)
    except (TypeError, ValueError):
        raise InputError(f"seuil « {threshold_min} » non numérique", "indiquez un nombre de minutes, par ex. 30",
                         column="--threshold") from None
    if not np.isfinite(value) or value <= 0 or value > 24 * 60:
        raise InputError(f"seuil de {fmt_given(value)} min hors limites",
                         "indiquez un seuil de plus de 0 et d'au plus 1 440 minutes (30 par défaut)",
                         column="--threshold")
