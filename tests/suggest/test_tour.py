"""« Hors les murs » (issue 29): the round of one mobile team planned on the demo, given back to the coverage.

The promise is checked the way a planner would: the schedule written as a site file, the demo assembled
again with it (``--sites``), the coverage rerun; the population covered is the tour's
``population_covered_after`` (within one resident). On foot with ``half_days=4``; by car with a 10 min
threshold (the Martinique and Réunion networks are downloaded on first use and are not available
offline here: the demo's drive network stands in); and a fortnightly round (``weeks=2``).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from access30.base.errors import InputError
from access30.base.moments import EVEN_WEEKS, ODD_WEEKS
from access30.coverage.engine import evaluate, route
from access30.coverage.options import CoverageOptions, RunOptions
from access30.coverage.wait import wait_report
from access30.inputs import hours as H
from access30.inputs.assemble import StudyRequest, assemble_study
from access30.inputs.sites import SITE_COLUMNS
from access30.suggest.tour import (
    WEEK_SELECTORS,
    TourOptions,
    describe,
    plan_tour,
    schedule_sites,
    schedule_table,
    stop_hours_text,
    tour_inputs,
)

DEMO = "st-brieuc-loudeac"


@pytest.fixture(scope="module")
def walk():
    options = RunOptions(StudyRequest(territory=DEMO, mode="walk"), CoverageOptions(30))
    study = assemble_study(options.study)
    return options, study, route(study)


@pytest.fixture(scope="module")
def walk_plan(walk):
    options, study, routing = walk
    return plan_tour(study, routing, options, TourOptions(half_days=4, time_limit_s=60))


def given_back(plan, request: StudyRequest, tmp_path, threshold: float):
    """The schedule written as a site file, the study assembled again with it, the coverage rerun."""
    path = tmp_path / "tournee.csv"
    schedule_table(plan).to_csv(path, index=False)
    study = assemble_study(StudyRequest(territory=request.territory, mode=request.mode, sites=path))
    return study, evaluate(study, route(study), threshold)


def test_on_foot_the_schedule_given_back_covers_the_promised_population(walk, walk_plan, tmp_path):
    options, study, _ = walk
    plan = walk_plan
    assert plan.optimal and plan.gap == 0.0 and plan.bound == pytest.approx(plan.objective)
    assert len(plan.stops) == 4 and list(plan.stops["half_day"]) == ["am", "pm", "am", "pm"]
    assert plan.population_covered_after == pytest.approx(plan.population_covered_before + plan.objective, abs=1e-6)
    assert plan.objective > 0 and plan.stops["population_newly_covered"].sum() == pytest.approx(plan.objective)
    again, result = given_back(plan, options.study, tmp_path, 30)
    assert len(again.sites) == len(study.sites) + 4
    assert result.summary.population_covered == pytest.approx(plan.population_covered_after, abs=1.0)
    # Each stop is within the maximum drive of the base, both ways, and the midday drive within the break.
    assert (plan.stops[["drive_from_base_min", "drive_to_base_min"]] <= 60 + 1e-6).all().all()
    assert (plan.stops["midday_drive_min"].dropna() <= 90 + 1e-6).all()
    assert any(n.code == "tour_team_drive" for n in plan.notices)  # residents on foot, the team by car


def test_the_optimum_is_the_best_feasible_day_by_brute_force(walk):
    """Two half-days = one day: every pair of candidates within the drives, and every single stop, tried."""
    options, study, routing = walk
    ask = TourOptions(half_days=2, time_limit_s=60)
    inputs = tour_inputs(study, routing, options, ask)
    plan = plan_tour(study, routing, options, ask, drive=inputs.drive)
    limit = inputs.max_drive_s + 1e-6
    ok = np.flatnonzero(np.maximum(inputs.from_base_s, inputs.to_base_s) <= limit)
    between = inputs.between_s.toarray()
    between[between == 0] = np.inf

    def value(stops) -> float:
        hit = np.asarray(inputs.cover[list(stops)].sum(axis=0)).ravel() > 0
        return float(inputs.weights[hit].sum())

    best = max([value([j]) for j in ok] + [value([j, k]) for j, k in itertools.combinations(ok, 2)
                                           if min(between[j, k], between[k, j]) <= inputs.break_s + 1e-6])
    assert plan.optimal and plan.objective == pytest.approx(best, abs=1e-6)
    assert plan.candidates_reachable == ok.size


def test_the_routes_follow_the_drive_network_from_the_base_and_back(walk, walk_plan):
    plan = walk_plan
    assert len(plan.routes) == 2 and list(plan.routes["day"]) == ["lundi", "mardi"]
    for route_row, (_, day) in zip(plan.routes.itertuples(), plan.stops.groupby("day_index", sort=True)):
        line = route_row.geometry
        assert line.coords[0] == pytest.approx((plan.base["lon"], plan.base["lat"]))
        assert line.coords[-1] == pytest.approx((plan.base["lon"], plan.base["lat"]))
        assert len(line.coords) > 4  # along the roads, not straight lines
        am, pm = day.iloc[0], day.iloc[1]
        # The drawn route takes exactly the times the model was given (one search with predecessors per leg).
        assert route_row.drive_min == pytest.approx(am.drive_from_base_min + pm.midday_drive_min
                                                    + pm.drive_to_base_min, rel=1e-9)


def test_hours_of_the_stops_read_back_as_the_cycle():
    assert stop_hours_text(1, 540, 720) == ("mardi 9h-12h", "Tu 09:00-12:00")
    for week, cycle_weeks in ((0, ODD_WEEKS), (1, EVEN_WEEKS)):
        french, osm = stop_hours_text(4, 840, 1050, week=week)
        assert osm.startswith(WEEK_SELECTORS[week])
        assert french == f"vendredi 14h-17h30, semaines {'im' * (1 - week)}paires"
        for text, kind in ((french, "fr_text"), (osm, "osm")):
            hours = H.read_hours(text, kind).hours
            assert [k for k, o in enumerate(hours.weeks_open()) if o] == list(cycle_weeks), text
            assert hours.minutes_per_week() == 105.0  # 3 h 30 every other week


def test_a_fortnightly_round_on_foot(walk, tmp_path):
    options, study, routing = walk
    plan = plan_tour(study, routing, options, TourOptions(half_days=2, weeks=2, time_limit_s=60))
    assert plan.optimal and len(plan.stops) == 4 and list(plan.stops["week"]) == ["A", "A", "B", "B"]
    assert all(h.startswith("week 0") for h in plan.stops["hours_osm"])
    weekly = plan_tour(study, routing, options, TourOptions(half_days=2, time_limit_s=60))
    assert plan.objective >= weekly.objective  # twice the stops, each every other week
    again, result = given_back(plan, options.study, tmp_path, 30)
    assert result.summary.population_covered == pytest.approx(plan.population_covered_after, abs=1.0)
    # The wait sees the stops every other week: residents reached by one stop only wait by the fortnight.
    report = wait_report(again, route(again), 30)
    assert report.population_fortnightly > 0


def test_by_car_with_a_ten_minute_threshold(tmp_path):
    options = RunOptions(StudyRequest(territory=DEMO, mode="drive"), CoverageOptions(10))
    study = assemble_study(options.study)
    plan = plan_tour(study, route(study), options, TourOptions(half_days=4, time_limit_s=60))
    assert plan.optimal and plan.objective > 0 and plan.mode == "drive"
    assert not any(n.code == "tour_team_drive" for n in plan.notices)  # the study's own network
    _, result = given_back(plan, options.study, tmp_path, 10)
    assert result.summary.population_covered == pytest.approx(plan.population_covered_after, abs=1.0)


def test_schedule_sites_follow_the_site_contract_and_the_json(walk_plan):
    sites = schedule_sites(walk_plan)
    assert list(sites.columns) == SITE_COLUMNS + ["geometry"]
    assert (sites["type"] == "hors_les_murs").all() and (sites["hours_format"] == "osm").all()
    assert all(H.read_hours(h, "osm").status == H.STATUS_KNOWN for h in sites["hours"])
    data = walk_plan.to_dict()
    assert data["optimal"] and len(data["stops"]) == 4 and data["base"]["chosen"] == "nearest_uncovered"
    assert describe(walk_plan)[0].startswith("lundi matin (9h-12h) : ")


def test_the_base_and_the_refusals(walk):
    options, study, routing = walk
    site = str(study.sites["site_id"].iloc[0])
    inputs = tour_inputs(study, routing, options, TourOptions(half_days=2, base=site))
    assert inputs.base["site_id"] == site and inputs.base["chosen"] == "asked"
    lonlat = tour_inputs(study, routing, options, TourOptions(half_days=2, base="-2.76,48.51"), drive=inputs.drive)
    assert lonlat.base["site_id"] is None and lonlat.base["lon"] == -2.76
    for ask, column in [(TourOptions(base="nulle-part"), "--base"), (TourOptions(stop_hours=6), "--stop-hours"),
                        (TourOptions(half_days=15), "--half-days"), (TourOptions(weeks=3), "--weeks"),
                        (TourOptions(max_drive_min=1), "--max-drive-min")]:
        with pytest.raises(InputError) as error:
            plan_tour(study, routing, options, ask, drive=inputs.drive)
        assert error.value.column == column, (ask, error.value)
