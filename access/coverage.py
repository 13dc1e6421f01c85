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

STATUS_COVERED = "couvert"
STATUS_UNCOVERED = "non couvert"
STATUS_NO_ROAD = "sans accès routier"
# Tolerance on the threshold, so that 30:00.000 computed as 1799.9999999 or 1800.0000001 is covered.
_EPS_S = 1e-6


def classify(time_s: np.ndarray, on_road: np.ndarray, threshold_min: float) -> np.ndarray:
    """Status of each unit: covered, uncovered (including unreachable) or no road access."""
    covered = on_road & (time_s <= threshold_min * 60.0 + _EPS_S)
    return np.where(~on_road, STATUS_NO_ROAD, np.where(covered, STATUS_COVERED, STATUS_UNCOVERED))


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
