"""The timetable engine (coverage.transit): route_transit and evaluate_transit on La Réunion.

Real data: the Car Jaune feed and the Réunion 200 m grid, thinned to every 40th populated cell (352 cells)
so that the module runs in a few seconds; the departure window is 30 minutes from « mardi 09:00 ».
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from access30.base.errors import InputError
from access30.coverage.engine import evaluate, route
from access30.coverage.options import CoverageOptions, RunOptions
from access30.coverage.run import coverage_result
from access30.coverage.transit import TransitRouting, evaluate_transit, route_transit
from access30.inputs.assemble import StudyRequest, assemble_study
from access30.inputs.hours import site_hours
from access30.routing.transit import intervals_for_day


@pytest.fixture(scope="module")
def reunion(shared_data):
    study = assemble_study(StudyRequest(territory="reunion", mode="transit",
                                        gtfs=shared_data / "gtfs" / "car_jaune_974.gtfs.zip",
                                        when="mardi 09:00", window_min=30))
    thinned = study.demand.units.iloc[::40].reset_index(drop=True)
    return replace(study, demand=replace(study.demand, units=thinned))


@pytest.fixture(scope="module")
def routed(reunion):
    return route_transit(reunion)


@pytest.fixture(scope="module")
def at_30(reunion, routed):
    return evaluate_transit(reunion, routed, 30.0)


def test_route_transit(reunion, routed):
    n = len(reunion.demand.units)
    assert isinstance(routed, TransitRouting) and n == 352
    assert routed.times.time1.shape == (n,)
    assert np.allclose(routed.times.time1, routed.result.median_min * 60.0, equal_nan=True)
    assert np.isfinite(routed.times.time1).all()  # every cell reaches a site in the window (walking at worst)
    assert routed.site_on_network.all() and routed.active.all()
    # The moment was given: the sites whose hours are read count only when open at arrival.
    known = sum(h.hours is not None for h in site_hours(reunion.sites))
    assert routed.hours_known == known and 0 < known <= len(reunion.sites)
    unknown = [notice for notice in routed.notices if notice.code == "transit_hours_unknown"]
    assert [notice.count for notice in unknown] == ([len(reunion.sites) - known] if known < len(reunion.sites) else [])


def test_engine_dispatches_timetables_to_it(reunion, routed, at_30):
    assert np.array_equal(route(reunion).times.time1, routed.times.time1)
    assert evaluate(reunion, routed, 30.0).summary.population_covered == at_30.summary.population_covered


def test_evaluate_transit_thresholds(reunion, routed, at_30):
    summary = at_30.summary
    by = summary.transit.thresholds
    assert list(by) == ["30", "45", "60"]
    covered = [by[t]["population"]["covered"] for t in by]
    assert covered == sorted(covered) and 0 < covered[0] < summary.population_total
    assert by["30"]["population"]["covered"] == pytest.approx(summary.population_covered)
    median = routed.result.median_min
    pop = reunion.demand.units["population"].to_numpy(dtype=float)
    assert summary.population_covered == pytest.approx(pop[median <= 30.0 + 1e-9].sum())
    # Another threshold evaluated from the same routing gives the figure the 30-minute run listed for it.
    at_45 = evaluate_transit(reunion, routed, 45.0)
    assert at_45.summary.population_covered == pytest.approx(by["45"]["population"]["covered"])


def test_units_quartiles_and_lines(at_30):
    units = at_30.units
    assert (units["time_p25_min"] <= units["time_min"] + 0.011).all()
    assert (units["time_min"] <= units["time_p75_min"] + 0.011).all()
    walk = units["walk_only"].to_numpy(dtype=bool)
    assert (units.loc[walk, "lines"] == "à pied").all()
    assert walk.any() and (~walk).any()  # some median journeys take a Car Jaune line (« S1 », « E2 + S4 »…)
    assert units.loc[~walk, "lines"].str.match(r"^[A-Z0-9]+( \+ [A-Z0-9]+)*$").all()
    transit = at_30.summary.transit
    assert transit.walk_only_population <= at_30.summary.population_covered
    assert transit.feed_agencies == ("CAR JAUNE",) and transit.window_minutes == 30
    assert transit.window.startswith("09:00–09:30")
    codes = [notice.code for notice in at_30.notices]
    assert {"transit_date", "transit_feed", "transit_hours", "estimated"} <= set(codes)
    assert "no_road" not in codes and "unreachable" not in codes


def test_a_site_open_some_weeks_only_counts_its_every_week_hours(reunion):
    """« 1er et 3e mardi » on a Tuesday-morning departure window: not open every week, so not counted open;
    the notice names it (issue 29)."""
    sites = reunion.sites.copy()
    sites.loc[0, ["hours", "hours_format"]] = ["Tu[1,3] 09:00-12:00; We 09:00-12:00", "osm"]
    study = reunion.with_sites(sites)
    routed = route_transit(study)
    notice = next(n for n in routed.notices if n.code == "transit_hours_some_weeks")
    assert notice.count == 1 and notice.details == [sites["name"].iloc[0]]
    weekly = [h.hours for h in site_hours(sites.iloc[:1])]
    tuesday, wednesday = intervals_for_day(weekly, 1)[0], intervals_for_day(weekly, 2)[0]
    assert (tuesday[:, 0] >= 1440).all()  # Tuesday: only Wednesday's hours, shifted past midnight
    assert wednesday[0].tolist() == [540.0, 720.0]


@pytest.mark.parametrize("option", ["wait", "walk_in"])
def test_the_wait_and_the_walk_in_lens_need_road_times(reunion, routed, option):
    options = RunOptions(coverage=CoverageOptions(**{option: True}))
    with pytest.raises(InputError) as error:
        coverage_result(reunion, routed, options)
    assert error.value.column == "--" + option.replace("_", "-") and "transports en commun" in error.value.problem
