"""Comparing two coverage results of the same residents: by car and on foot, or at two moments.

The comparison is made per commune and for the whole territory, for the population and for the
equity groups present in both results (poor households, single-parent households, people aged 65
and over): who is within the threshold in the first case, who in the second, and the gap.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from access30.coverage.result import CoverageResult
from access30.coverage.rules import STATUS_COVERED

#: Groups compared, in this order, when present in both results.
COMPARED_GROUPS = ("population", "poor_households", "single_parent_households", "elderly_65p")
TOTAL_CODE = "ensemble"
TOTAL_NAME = "Ensemble du territoire"


def compare_results(first: CoverageResult, second: CoverageResult,
                    suffixes: tuple[str, str] = ("a", "b")) -> pd.DataFrame:
    """Per commune, the share of each group within the threshold in two results of the same units.

    Parameters
    ----------
    first, second : CoverageResult
        Results over the same demand units (same ``unit_id`` in the same order), e.g. by car and
        on foot.
    suffixes : (str, str)
        Names of the two cases, used in the column names.

    Returns
    -------
    DataFrame
        One row per commune (largest population gap first) and a last row ``commune ==
        "ensemble"`` for the whole territory. Columns: ``commune``, ``nom``, ``population``, and for
        every compared group ``g`` present in both results: ``g_total``, ``g_share_<first>``,
        ``g_share_<second>`` (covered share, 0–1, NaN when the group is empty) and ``g_gap`` (first
        minus second, in points of share).

    Raises
    ------
    ValueError
        When the two results are not over the same units.
    """
    a, b = first.units, second.units
    if len(a) != len(b) or not np.array_equal(a["unit_id"].astype(str).to_numpy(),
                                              b["unit_id"].astype(str).to_numpy()):
        raise ValueError("the two results must cover the same demand units in the same order")
    groups = [g for g in COMPARED_GROUPS if g in a.columns and g in b.columns]
    sa, sb = suffixes
    frame = pd.DataFrame({"commune": a["commune"].astype(str).to_numpy()})
    covered_a = (a["status"] == STATUS_COVERED).to_numpy()
    covered_b = (b["status"] == STATUS_COVERED).to_numpy()
    for g in groups:
        weight = a[g].to_numpy(dtype=float)
        weight = np.where(np.isfinite(weight), weight, 0.0)
        frame[f"{g}_total"] = weight
        frame[f"{g}_cov_{sa}"] = weight * covered_a
        frame[f"{g}_cov_{sb}"] = weight * covered_b
    sums = frame.groupby("commune", sort=True).sum()
    total = frame.drop(columns="commune").sum().to_frame(TOTAL_CODE).T
    sums = pd.concat([sums, total])
    out = pd.DataFrame({"commune": sums.index.astype(str)})
    names = {}
    for result in (first, second):
        if "nom" in result.communes.columns:
            names.update(dict(zip(result.communes["commune"].astype(str), result.communes["nom"].astype(str))))
    names[TOTAL_CODE] = TOTAL_NAME
    out["nom"] = out["commune"].map(names).fillna("")
    for g in groups:
        tot = sums[f"{g}_total"].to_numpy()
        with np.errstate(invalid="ignore", divide="ignore"):
            share_a = np.where(tot > 0, sums[f"{g}_cov_{sa}"].to_numpy() / tot, np.nan)
            share_b = np.where(tot > 0, sums[f"{g}_cov_{sb}"].to_numpy() / tot, np.nan)
        out[f"{g}_total"] = tot
        out[f"{g}_share_{sa}"] = share_a
        out[f"{g}_share_{sb}"] = share_b
        out[f"{g}_gap"] = share_a - share_b
    if "population_total" in out.columns:
        out.insert(2, "population", out.pop("population_total"))
    body = out[out["commune"] != TOTAL_CODE]
    gap = body["population_gap"] * body["population"] if "population_gap" in body.columns else 0
    body = body.assign(_lost=gap).sort_values(["_lost", "commune"], ascending=[False, True]).drop(columns="_lost")
    return pd.concat([body, out[out["commune"] == TOTAL_CODE]], ignore_index=True)


def compare_modes(result_drive: CoverageResult, result_walk: CoverageResult) -> pd.DataFrame:
    """Per commune, who is within the threshold by car and on foot.

    Compares the population and, when the demand has them, poor households
    (``poor_households``), single-parent households and people aged 65 and over.

    Parameters
    ----------
    result_drive, result_walk : CoverageResult
        Coverage of the same demand units by car and on foot (e.g. ``load_study(mode="drive")``
        and ``load_study(mode="walk")`` with the same sites and threshold).

    Returns
    -------
    DataFrame
        :func:`compare_results` with suffixes ``drive`` and ``walk``: ``g_share_drive``,
        ``g_share_walk`` and ``g_gap`` (car minus foot) per group ``g``; communes losing the most
        people on foot first, the whole territory last.

    Raises
    ------
    ValueError
        When the results are not over the same units, or their modes are not drive then walk.
    """
    modes = (result_drive.summary.travel_mode, result_walk.summary.travel_mode)
    if modes != ("drive", "walk"):
        raise ValueError(f"expected a drive result then a walk result, got {modes}")
    return compare_results(result_drive, result_walk, ("drive", "walk"))
