"""Coverage indicators: pure functions against hand computations, and the demo against the data."""

import networkx as nx
import numpy as np
import pandas as pd
import pytest

from access import coverage as cov
from access.analysis import evaluate
from access.errors import InputError
from access.routing import UNIT_SNAP_CANDIDATES


def test_weighted_quantile_matches_repeated_values():
    rng = np.random.default_rng(1)
    values = rng.uniform(0, 60, 200)
    weights = rng.integers(0, 6, 200)
    repeated = np.repeat(values, weights)
    for q in (0.1, 0.5, 0.9):
        assert cov.weighted_quantile(values, weights, q) == pytest.approx(
            np.quantile(repeated, q, method="inverted_cdf"))


def test_threshold_is_inclusive():
    status = cov.classify(np.array([1800.0, 1800.0 + 1e-3, np.inf, 10.0]),
                          np.array([True, True, True, False]), 30.0)
    assert list(status) == [cov.STATUS_COVERED, cov.STATUS_UNCOVERED, cov.STATUS_UNCOVERED, cov.STATUS_NO_ROAD]


def test_demo_totals_add_up(demo_result):
    s = demo_result.summary
    assert s["population_total"] == pytest.approx(176_836)
    assert s["population_covered"] + s["population_uncovered"] + s["population_no_road"] == pytest.approx(176_836)
    assert s["share_covered"] == pytest.approx(s["population_covered"] / 176_836)
    units = demo_result.units
    assert units.loc[units["status"] == cov.STATUS_COVERED, "population"].sum() == pytest.approx(s["population_covered"])
    assert (units.loc[units["status"] == cov.STATUS_COVERED, "time_min"] <= 30.0).all()
    assert s["sites_total"] == 34 and s["sites_by_type"] == {"mairie": 28, "france_services": 6}
    # Catchments share out all routed population.
    routed = units.loc[units["site_id"] != "", "population"].sum()
    assert demo_result.sites["catchment_population"].sum() == pytest.approx(routed)


def test_demo_commune_table_matches_legal_populations(demo_result, shared_data):
    legal = pd.read_csv(shared_data / "cotes_darmor" / "demo_area_communes.csv", dtype={"code": str})
    table = demo_result.communes.set_index("commune")
    assert set(table.index) == set(legal["code"])
    assert table["population"].sum() == pytest.approx(legal["population_municipale"].sum())
    assert (table["not_covered"].diff().dropna() <= 1e-9).all()  # worst first
    assert not demo_result.epci.empty
    assert demo_result.epci["population"].sum() == pytest.approx(176_836)


def test_threshold_changes_only_classification(demo_study, demo_routing):
    low = evaluate(demo_study, demo_routing, 10.0).summary
    high = evaluate(demo_study, demo_routing, 45.0).summary
    assert low["population_covered"] < high["population_covered"]
    assert low["mean_time_min"] == high["mean_time_min"]
    with pytest.raises(InputError):
        evaluate(demo_study, demo_routing, 0)


def test_demo_unit_times_match_networkx(demo_study, demo_routing):
    """End to end: a unit's time is min over sites of its leg + network path + site leg (networkx)."""
    net = demo_study.network
    graph = nx.DiGraph()
    graph.add_weighted_edges_from(zip(net.tail.tolist(), net.head.tolist(), net.seconds.tolist()))
    site_nodes, site_legs = demo_routing.site_nodes, demo_routing.site_leg_s
    target = "sink"
    for node, leg in zip(site_nodes, site_legs):
        # Several sites may share a road node: the sink edge keeps the shortest leg.
        old = graph.edges[int(node), target]["weight"] if graph.has_edge(int(node), target) else np.inf
        graph.add_edge(int(node), target, weight=min(old, max(float(leg), 1e-3)))
    to_sink = nx.single_source_dijkstra_path_length(graph.reverse(copy=False), target)
    expected = np.array([to_sink.get(v, np.inf) for v in range(net.n_nodes)])
    assert np.allclose(demo_routing.node_times.time1, expected, atol=1e-6)
    rng = np.random.default_rng(0)
    snap = demo_routing.unit_snap
    on_road = np.flatnonzero(snap.on_road)
    for unit in rng.choice(on_road, 40, replace=False):
        best = np.inf
        for k in range(UNIT_SNAP_CANDIDATES):
            node = snap.nodes[unit, k]
            if node >= 0 and int(node) in to_sink:
                best = min(best, demo_study.access.seconds(snap.metres[unit, k]) + to_sink[int(node)])
        assert demo_routing.times.time1[unit] == pytest.approx(best, abs=1e-6)
        assert demo_routing.times.time2[unit] >= demo_routing.times.time1[unit]


def test_population_by_class_matches_an_independent_binning(demo_result):
    units = demo_result.units
    seconds = units["time_min"].to_numpy() * 60.0
    pop = units["population"].to_numpy()
    no_road = (units["status"] == cov.STATUS_NO_ROAD).to_numpy()
    for threshold, labels in ((30.0, ["0–10 min", "10–20 min", "20–30 min", "30–45 min", "> 45 min"]),
                              (25.0, ["0–10 min", "10–20 min", "20–25 min", "25–30 min", "30–45 min", "> 45 min"])):
        table = cov.population_by_class(units, threshold)
        assert list(table["label"]) == labels + ["sans accès routier"]
        # Upper bounds inclusive, like the coverage count (pd.cut's right-closed bins).
        bins = [-np.inf] + [b * 60.0 + 1e-6 for b in cov.time_breaks(threshold)] + [np.inf]
        binned = pd.cut(pd.Series(seconds[~no_road]), bins, right=True, labels=False)
        expected = np.bincount(binned.to_numpy(dtype=int), weights=pop[~no_road], minlength=len(labels))
        np.testing.assert_allclose(table["population"].to_numpy()[:-1], expected, rtol=1e-12)
        assert table["population"].iloc[-1] == pytest.approx(pop[no_road].sum())
        n_within = labels.index(f"{threshold - 5:g}–{threshold:g} min" if threshold == 25.0 else "20–30 min") + 1
        within = table["population"].to_numpy()[:n_within].sum()
        assert within == pytest.approx(evaluate_summary(demo_result, threshold), rel=1e-12)
        assert table["cumulative"].iloc[-1] == pytest.approx(1.0)


def evaluate_summary(result, threshold):
    """Population covered at ``threshold`` from the units' times (the coverage rule, recomputed)."""
    units = result.units
    on_road = (units["status"] != cov.STATUS_NO_ROAD).to_numpy()
    return units["population"].to_numpy()[on_road & (units["time_min"].to_numpy() * 60 <= threshold * 60 + 1e-6)].sum()


def test_class_colours_green_within_red_beyond_and_as_matplotlib():
    import matplotlib.colors as mcolors

    for threshold in (5.0, 17.5, 30.0, 60.0, 90.0):
        colours = cov.class_colours(threshold)
        breaks = cov.time_breaks(threshold)
        assert len(colours) == len(cov.class_labels(threshold)) == len(breaks) + 2
        n_in = sum(b <= threshold for b in breaks)
        for ramp, part in ((cov.COVERED_COLOURS, colours[:n_in]), (cov.UNCOVERED_COLOURS, colours[n_in:-1])):
            cmap = mcolors.LinearSegmentedColormap.from_list("ramp", list(ramp))
            expected = list(ramp[:len(part)]) if len(part) <= len(ramp) else [
                mcolors.to_hex(cmap(v)) for v in np.linspace(0, 1, len(part))]
            assert part == expected, threshold
        assert colours[-1] == cov.NO_ROAD_COLOUR
