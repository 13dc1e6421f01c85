"""The wait for an opening within reach (issue 29): exact waits on hand-made schedules, by hand, and on the demo."""

from __future__ import annotations

import json

import numpy as np
import pytest

from access30.base.errors import InputError
from access30.base.moments import CYCLE_MINUTES, WEEK_MINUTES
from access30.coverage.options import CoverageOptions, RunOptions
from access30.coverage.run import coverage_result
from access30.coverage.wait import (
    frequency_of,
    gaps_of,
    reachable_sets,
    reachable_times,
    wait_distribution,
    wait_quantile,
    wait_report,
)
from access30.inputs import hours as H

HOUR, DAY = 60.0, 1440.0
# By hand, hours over the 672 h cycle (4 × 168 h), a 3 h opening each time:
#   every week (Tuesday 9–12): 4 gaps of 165 h; mean 165² / 2 / 168 = 81.027 h; p90: 3/168 + w/168 = 0.9 → 148.2 h.
WEEKLY_MEAN_D, WEEKLY_P90_D = 165 ** 2 / 2 / 168 / 24, (0.9 * 168 - 3) / 24
#   every other week: 2 gaps of 333 h; mean 333² / 672 h; p90: 6/672 + 2w/672 = 0.9 → 299.4 h.
FORTNIGHT_MEAN_D, FORTNIGHT_P90_D = 333 ** 2 / 672 / 24, (0.9 * 672 - 6) / 2 / 24
#   once in four weeks: one gap of 669 h; mean 669² / 2 / 672 h; p90: 3/672 + w/672 = 0.9 → 601.8 h.
MONTHLY_MEAN_D, MONTHLY_P90_D = 669 ** 2 / 2 / 672 / 24, (0.9 * 672 - 3) / 24


def handmade_hours(text: str, kind: str = "osm"):
    read = H.read_hours(text, kind)
    assert read.status == H.STATUS_KNOWN, read.reason
    return read.hours


@pytest.mark.parametrize("texts, mean_d, p90_d, frequency", [
    (["Tu 09:00-12:00"], WEEKLY_MEAN_D, WEEKLY_P90_D, "weekly"),
    # Two sites alternating weeks: together, an opening every Tuesday.
    (["week 1-53/2 Tu 09:00-12:00", "week 2-52/2 Tu 09:00-12:00"], WEEKLY_MEAN_D, WEEKLY_P90_D, "weekly"),
    (["week 1-53/2 Tu 09:00-12:00"], FORTNIGHT_MEAN_D, FORTNIGHT_P90_D, "fortnightly"),
    (["Tu[1,3] 09:00-12:00"], FORTNIGHT_MEAN_D, FORTNIGHT_P90_D, "fortnightly"),
    (["le 2e jeudi du mois 14h-17h"], MONTHLY_MEAN_D, MONTHLY_P90_D, "less_often"),
    (["Tu[1] 09:00-12:00", "Th[2] 09:00-12:00"], None, None, "less_often"),  # weeks 1 and 2: weeks 3–4 empty
])
def test_hand_computed_waits(texts, mean_d, p90_d, frequency):
    hours = [handmade_hours(t, "fr_text" if "jeudi" in t else "osm") for t in texts]
    dist = wait_distribution(hours)
    spans = np.concatenate([h.cycle_intervals() for h in hours])
    assert frequency_of(spans) == frequency
    if mean_d is None:
        return
    assert dist.mean_minutes / DAY == pytest.approx(mean_d, rel=1e-12)
    assert dist.quantile(0.9) / DAY == pytest.approx(p90_d, rel=1e-12)
    assert dist.cdf(dist.quantile(0.9)) == pytest.approx(0.9, abs=1e-12)


def test_the_distribution_by_brute_force_over_every_minute():
    """The closed form equals the wait counted minute by minute over the cycle (1st-and-3rd Tuesday plus
    Friday afternoons every week)."""
    hours = [handmade_hours("Tu[1,3] 09:00-12:00"), handmade_hours("vendredi 14h-16h30", "fr_text")]
    spans = np.concatenate([h.cycle_intervals() for h in hours])
    open_minute = np.zeros(CYCLE_MINUTES, dtype=bool)
    for s, e in spans:
        open_minute[s:e] = True
    # Wait from each minute's start to the next open minute, cyclically (0 when open).
    wait = np.zeros(CYCLE_MINUTES)
    nxt = np.inf
    for m in range(2 * CYCLE_MINUTES - 1, -1, -1):
        if open_minute[m % CYCLE_MINUTES]:
            nxt = m
        if m < CYCLE_MINUTES:
            wait[m] = nxt - m
    dist = wait_distribution(hours)
    # Minute starts sample a uniform moment; the exact mean of a gap g is g²/2 (the grid's is g(g+1)/2 − g).
    gaps = dist.gaps
    assert wait.mean() == pytest.approx(((gaps * (gaps + 1) / 2).sum()) / CYCLE_MINUTES, rel=1e-12)
    assert dist.mean_minutes == pytest.approx((gaps ** 2 / 2).sum() / CYCLE_MINUTES)
    assert np.quantile(wait, 0.9, method="inverted_cdf") == pytest.approx(dist.quantile(0.9), abs=1.0)


def test_a_mixture_quantile_by_hand():
    """One resident waits by the week, one by the month: F(w) = ½[1 + (3 + w)/672] past 165 h → p90 = 534.6 h."""
    weekly, monthly = gaps_of([[w * WEEK_MINUTES + 1440 + 540, w * WEEK_MINUTES + 1440 + 720] for w in range(4)]), \
        gaps_of([[WEEK_MINUTES + 3 * 1440 + 840, WEEK_MINUTES + 3 * 1440 + 1020]])
    assert wait_quantile([weekly, monthly], [1.0, 1.0], 0.9) / HOUR == pytest.approx(534.6, rel=1e-12)
    assert wait_quantile([weekly, monthly], [1.0, 1.0], 0.001) == 0.0  # within the open share
    assert np.isnan(wait_quantile([gaps_of(np.zeros((0, 2)))], [1.0], 0.5))  # never open: left out


def test_reachable_sets_group_units_by_their_sorted_sites():
    import scipy.sparse as sp

    times = sp.csr_matrix(np.array([[1.0, 0, 2, 0], [3.0, 0, 4, 0], [0, 5.0, 0, 0]]))  # sites × units
    index, sets = reachable_sets(times)
    assert index.tolist() == [0, 1, 0, -1] and [s.tolist() for s in sets] == [[0, 1], [2]]


def _with_hours(study, texts):
    """The demo's sites (same places, same order) with hand-made hours, cycling over ``texts``."""
    sites = study.sites.copy()
    sites["hours"] = [texts[i % len(texts)] for i in range(len(sites))]
    sites["hours_format"] = [H.guess_hours_format(t) for t in sites["hours"]]
    return study.with_sites(sites)


def test_demo_with_hand_made_schedules(demo_study, demo_routing):
    """Every site open Tuesday 9–12: every resident in reach waits 3.376 days on average; sites alternating
    weeks: a resident waits by the week when they reach both parities, by the fortnight otherwise."""
    weekly = wait_report(_with_hours(demo_study, ["Tu 09:00-12:00"]), demo_routing, 30)
    in_reach = weekly.units["sites_in_reach"] > 0
    assert weekly.share("weekly") == 1.0
    assert weekly.units.loc[in_reach, "mean_wait_days"].to_numpy() == pytest.approx(WEEKLY_MEAN_D, rel=1e-12)
    assert (weekly.mean_wait_days, weekly.p90_wait_days) == pytest.approx((WEEKLY_MEAN_D, WEEKLY_P90_D), rel=1e-12)

    study = _with_hours(demo_study, ["week 1-53/2 Tu 09:00-12:00", "1er et 3e mardi 9h-12h",
                                     "mardi 9h-12h, semaines paires"])
    alternate = wait_report(study, demo_routing, 30)
    index, sets = reachable_sets(reachable_times(study, demo_routing, 30))
    parity = np.arange(len(study.sites)) % 3 == 2  # even weeks; the two others open on odd ones
    both = np.array([parity[s].any() and (~parity[s]).any() if i >= 0 else False
                     for i, s in zip(index, [sets[i] if i >= 0 else np.zeros(0, int) for i in index])])
    units = alternate.units
    assert (units.loc[both, "frequency"] == "weekly").all()
    assert units.loc[both, "mean_wait_days"].to_numpy() == pytest.approx(WEEKLY_MEAN_D, rel=1e-12)
    one = (index >= 0) & ~both
    assert one.any() and (units.loc[one, "frequency"] == "fortnightly").all()
    assert units.loc[one, "mean_wait_days"].to_numpy() == pytest.approx(FORTNIGHT_MEAN_D, rel=1e-12)
    pop = units["population"].to_numpy()
    p_w, p_f = pop[both].sum() / pop[index >= 0].sum(), pop[one].sum() / pop[index >= 0].sum()
    assert alternate.share("weekly") == pytest.approx(p_w) and alternate.share("fortnightly") == pytest.approx(p_f)
    assert alternate.mean_wait_days == pytest.approx(p_w * WEEKLY_MEAN_D + p_f * FORTNIGHT_MEAN_D, rel=1e-12)
    # p90 by hand: below 165 h, F = [p_w (12 + 4w) + p_f (6 + 2w)] / 672;
    # from 165 h to 333 h, F = p_w + p_f (6 + 2w) / 672.
    w = (0.9 * 672 - 12 * p_w - 6 * p_f) / (4 * p_w + 2 * p_f)
    if w > 165:
        w = (672 * (0.9 - p_w) / p_f - 6) / 2
    assert 0 < w <= 333
    assert alternate.p90_wait_days == pytest.approx(w / 24, rel=1e-12)


def test_demo_france_services_and_town_halls_weekly(demo_study, demo_routing, demo_result):
    """The demo's hours are weekly: everyone in reach has an opening every week; the residents in reach
    are exactly those the coverage counts; the JSON key ``wait`` through the pipeline."""
    result = coverage_result(demo_study, demo_routing, RunOptions(coverage=CoverageOptions(threshold_min=30,
                                                                                          wait=True)))
    report = result.wait
    assert report.population_in_reach == pytest.approx(demo_result.summary.population_covered, rel=1e-12)
    assert report.share("weekly") == 1.0 and report.population_unknown == 0.0
    units = report.units[report.units["sites_in_reach"] > 0]
    w = units["population"].to_numpy()
    assert report.mean_wait_days == pytest.approx((units["mean_wait_days"] * w).sum() / w.sum(), rel=1e-12)
    assert units["mean_wait_days"].min() <= report.mean_wait_days <= units["mean_wait_days"].max()
    assert 0 < report.mean_wait_days < report.p90_wait_days < 2
    assert round(report.mean_wait_days, 4) == 0.3362
    assert report.communes["population_in_reach"].sum() == pytest.approx(report.population_in_reach)
    data = json.loads(json.dumps(report.to_dict()))
    assert data["share_weekly"] == 1.0 and len(data["communes"]) == len(report.communes)


def test_unknown_hours_are_reported_apart(demo_study, demo_routing):
    study = _with_hours(demo_study, ["Tu 09:00-12:00", "", "Sur rendez-vous"])
    report = wait_report(study, demo_routing, 30)
    codes = {n.code for n in report.notices}
    assert report.population_partly_unknown > 0 and "wait_partly_unknown" in codes
    assert report.population_unknown == pytest.approx(
        report.units.loc[report.units["frequency"] == "unknown", "population"].sum())
    with pytest.raises(InputError, match="aucun lieu d'accueil n'a d'horaires"):
        wait_report(_with_hours(demo_study, [""]), demo_routing, 30)
