"""Routing correctness against networkx brute force, on the real Liechtenstein and Saint-Barthélemy extracts.

References are computed independently with networkx on a graph built edge by edge from the network
(whose equality with osmnx's own reading is checked in ``test_network.py``): multi-source Dijkstra on the
reversed graph for the nearest site, one Dijkstra per site for the second nearest, and explicit loops
over candidate nodes and sites for the demand units.
"""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from access.coverage import STATUS_COVERED, STATUS_NO_ROAD, STATUS_UNCOVERED, classify
from access.network import build_network, read_pbf
from access.routing import (AccessModel, Snap, route_to_sites, single_site_times, snap_points,
                            unit_times)

OSM = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "osm"
TOLERANCE_S = 1.0


def reversed_nx(net, site_nodes, site_leg_s):
    """networkx reversed road graph plus one virtual node ("site", i) per site, linked by its leg."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(net.n_nodes))
    graph.add_weighted_edges_from(zip(net.head.tolist(), net.tail.tolist(), net.seconds.tolist()))
    for i, (node, leg) in enumerate(zip(site_nodes.tolist(), site_leg_s.tolist())):
        graph.add_edge(("site", i), node, weight=max(leg, 1e-3))
    return graph


def brute_force(net, site_nodes, site_leg_s):
    """Per-site times (sites × nodes, inf when unreachable) from one networkx Dijkstra per site."""
    graph = reversed_nx(net, site_nodes, site_leg_s)
    table = np.full((site_nodes.size, net.n_nodes), np.inf)
    for i in range(site_nodes.size):
        for node, seconds in nx.single_source_dijkstra_path_length(graph, ("site", i)).items():
            if not isinstance(node, tuple):
                table[i, node] = seconds
    return table


@pytest.fixture(scope="module", params=["liechtenstein", "saint_barthelemy"])
def case(request):
    """A real network, a random site set (some sharing a node) and the networkx references."""
    net = read_pbf(OSM / f"{request.param}.osm.pbf", mode="drive")
    rng = np.random.default_rng(20261123)
    n_sites = 15 if request.param == "liechtenstein" else 8
    site_nodes = rng.choice(np.flatnonzero(net.snappable), n_sites, replace=False)
    site_nodes[-1] = site_nodes[0]  # two sites on the same road node, different legs
    site_leg_s = rng.uniform(0.0, 300.0, n_sites)
    site_leg_s[0] = 0.0
    graph = reversed_nx(net, site_nodes, site_leg_s)
    sources = [("site", i) for i in range(n_sites)]
    dist, paths = nx.multi_source_dijkstra(graph, sources)
    nx_time1 = np.full(net.n_nodes, np.inf)
    nx_site1 = np.full(net.n_nodes, -1)
    for node, seconds in dist.items():
        if not isinstance(node, tuple):
            nx_time1[node] = seconds
            nx_site1[node] = paths[node][0][1]
    table = brute_force(net, site_nodes, site_leg_s)
    result = route_to_sites(net, site_nodes, site_leg_s, second=True)
    return dict(name=request.param, net=net, site_nodes=site_nodes, site_leg_s=site_leg_s,
                nx_time1=nx_time1, nx_site1=nx_site1, table=table, result=result)


def test_nearest_time_and_site_equal_networkx(case):
    result, net = case["result"], case["net"]
    assert np.array_equal(np.isinf(result.time1), np.isinf(case["nx_time1"]))
    finite = np.isfinite(result.time1)
    assert np.max(np.abs(result.time1[finite] - case["nx_time1"][finite])) < TOLERANCE_S
    # Sites agree wherever the nearest is not tied (within a millisecond) with another site.
    table = case["table"]
    ordered = np.sort(table, axis=0)
    with np.errstate(invalid="ignore"):  # inf - inf where no site is reachable
        clear = finite & ((ordered[1] - ordered[0]) > 1e-3)
    assert clear.sum() > 0.5 * net.n_nodes
    assert np.array_equal(result.site1[clear], case["nx_site1"][clear])
    assert np.all(result.site1[~finite] == -1)
    # The chosen site really is at that time (ties included).
    rows = np.flatnonzero(finite)
    assert np.allclose(table[result.site1[rows], rows], result.time1[rows], atol=1e-6)


def test_second_nearest_equals_per_site_brute_force(case):
    result, table = case["result"], case["table"]
    n = table.shape[1]
    others = table.copy()
    site1 = result.site1
    others[site1[site1 >= 0], np.flatnonzero(site1 >= 0)] = np.inf
    expected = others.min(axis=0)
    expected[expected > result.second_cap_s] = np.inf
    assert np.array_equal(np.isinf(result.time2), np.isinf(expected))
    finite = np.isfinite(expected)
    assert finite.sum() > 0.9 * n if case["name"] == "liechtenstein" else finite.sum() > 0.5 * n
    assert np.max(np.abs(result.time2[finite] - expected[finite])) < TOLERANCE_S
    assert np.all(result.site2[finite] != site1[finite])
    assert np.allclose(table[result.site2[finite], np.flatnonzero(finite)], result.time2[finite], atol=1e-6)
    # Two distinct sites on the same road node: the second nearest is the other one, at its own leg.
    node, legs = case["site_nodes"][0], case["site_leg_s"][[0, -1]]
    assert {result.site1[node], result.site2[node]} == {0, case["site_nodes"].size - 1}
    assert result.time1[node] == pytest.approx(max(legs.min(), 1e-3))
    assert result.time2[node] == pytest.approx(legs.max())


def test_estimated_part_is_the_site_leg_on_a_mapped_network(case):
    result = case["result"]
    finite = np.isfinite(result.time1)
    assert np.allclose(result.estimated1[finite],
                       np.maximum(case["site_leg_s"][result.site1[finite]], 1e-3))


def test_single_site_times_equal_networkx(case):
    net, table = case["net"], case["table"]
    i = 1
    times = single_site_times(net, case["site_nodes"][i], case["site_leg_s"][i])
    assert np.array_equal(np.isinf(times), np.isinf(table[i]))
    finite = np.isfinite(times)
    assert np.max(np.abs(times[finite] - table[i][finite])) < TOLERANCE_S
    bounded = single_site_times(net, case["site_nodes"][i], case["site_leg_s"][i], limit_s=600.0)
    assert np.all(np.isinf(bounded[times - max(case["site_leg_s"][i], 1e-3) > 600.0 + 1e-9]))


def test_unit_times_equal_brute_force_over_candidates(case):
    net, table, result = case["net"], case["table"], case["result"]
    rng = np.random.default_rng(7)
    n_units = 400
    x = rng.uniform(net.x.min() - 1500, net.x.max() + 1500, n_units)
    y = rng.uniform(net.y.min() - 1500, net.y.max() + 1500, n_units)
    model = AccessModel(detour=1.3, speed_kmh=30.0, max_distance_m=1000.0)
    snap = snap_points(net, x, y, model.max_distance_m, k=4)
    got = unit_times(result, snap, model)

    # Brute-force snapping: the 4 nearest snappable nodes within 1,000 m.
    candidates = np.flatnonzero(net.snappable)
    d = np.hypot(x[:, None] - net.x[candidates][None, :], y[:, None] - net.y[candidates][None, :])
    order = np.argsort(d, axis=1, kind="stable")[:, :4]
    near_d = np.take_along_axis(d, order, axis=1)
    assert np.allclose(np.where(near_d <= 1000, near_d, np.inf), snap.metres)
    assert np.array_equal(np.isfinite(near_d[:, 0]) & (near_d[:, 0] <= 1000), got.on_road)

    for u in range(n_units):
        best = np.full(table.shape[0], np.inf)  # best time per site over the unit's candidates
        legs = {}
        for k in range(4):
            metres = d[u, order[u, k]]
            if metres > 1000:
                continue
            node = candidates[order[u, k]]
            leg = metres * 1.3 / (30 / 3.6)
            legs[node] = leg
            best = np.minimum(best, leg + table[:, node])
        if not legs:
            assert not got.on_road[u] and np.isinf(got.time1[u]) and got.site1[u] == -1
            continue
        t1 = best.min()
        if np.isinf(t1):
            assert np.isinf(got.time1[u]) and got.site1[u] == -1
            continue
        assert got.time1[u] == pytest.approx(t1, abs=1e-6)
        assert best[got.site1[u]] == pytest.approx(t1, abs=1e-6)
        t2 = np.delete(best, got.site1[u]).min()
        if np.isfinite(t2):
            assert got.time2[u] == pytest.approx(t2, abs=1e-6)
            assert got.site2[u] != got.site1[u] and best[got.site2[u]] == pytest.approx(t2, abs=1e-6)
        else:
            assert np.isinf(got.time2[u]) and got.site2[u] == -1
        # The access leg is that of the candidate node on the best path.
        assert got.access_leg_s[u] == pytest.approx(
            min(leg for node, leg in legs.items() if abs(leg + table[got.site1[u], node] - t1) < 1e-6))
        assert got.estimated_s[u] == pytest.approx(
            got.access_leg_s[u] + max(case["site_leg_s"][got.site1[u]], 1e-3))
    assert got.on_road.sum() > 0.3 * n_units and (~got.on_road).sum() > 0


def test_access_legs_are_added(case):
    """A unit 600 m from a node whose nearest site is known: leg + node time, both legs counted."""
    net, result = case["net"], case["result"]
    model = AccessModel(detour=1.3, speed_kmh=30.0, max_distance_m=1000.0)
    node = int(np.flatnonzero(net.snappable & np.isfinite(result.time1))[100])
    snap = Snap(nodes=np.array([[node, -1]]), metres=np.array([[600.0, np.inf]]))
    got = unit_times(result, snap, model)
    leg = 600 * 1.3 / (30 / 3.6)  # 93.6 s
    assert got.access_leg_s[0] == pytest.approx(93.6)
    assert got.time1[0] == pytest.approx(leg + result.time1[node])
    assert got.time1[0] == pytest.approx(leg + case["table"][:, node].min())
    # A unit exactly on a site's node (no leg) gets that site's own leg.
    site = 3
    site_node = case["site_nodes"][site]
    on_site = unit_times(result, Snap(np.array([[site_node]]), np.array([[0.0]])), model)
    assert on_site.time1[0] == pytest.approx(result.time1[site_node])
    assert on_site.time1[0] <= max(case["site_leg_s"][site], 1e-3) + 1e-9


# --- hand-made fixtures for edge cases -------------------------------------------------------------

def hand_made_network(parallel_seconds=(60.0, 20.0)):
    """Hand-made 4-node chain 1 - 2 - 3 - 4 with two parallel edges 2 -> 3 (and one 3 -> 2)."""
    tails = np.array([1, 2, 2, 3, 3, 4])
    heads = np.array([2, 1, 3, 2, 4, 3])
    secs = np.array([100.0, 100.0, 50.0, 50.0, 100.0, 100.0])
    tails = np.append(tails, [2] * len(parallel_seconds))
    heads = np.append(heads, [3] * len(parallel_seconds))
    secs = np.append(secs, parallel_seconds)
    lon = np.array([-2.76, -2.75, -2.74, -2.73])
    return build_network(np.array([1, 2, 3, 4]), lon, np.full(4, 48.5), tails, heads,
                         np.full(tails.size, 100.0), secs, mode="drive", source="hand-made")


def test_parallel_edges_route_on_the_fastest():
    net = hand_made_network((60.0, 20.0))
    # Site on node 4 (index 3): from node 1: 100 + 20 (fastest of 50, 60, 20) + 100 + leg 10.
    result = route_to_sites(net, np.array([3]), np.array([10.0]), second=False)
    assert result.time1.tolist() == pytest.approx([230.0, 130.0, 110.0, 10.0])
    # Reverse direction uses only the single 3 -> 2 edge (50 s).
    back = route_to_sites(net, np.array([0]), np.array([0.0]), second=False)
    assert back.time1[3] == pytest.approx(100 + 50 + 100 + 1e-3)


def test_two_sites_on_a_hand_made_chain():
    net = hand_made_network((20.0,))
    result = route_to_sites(net, np.array([0, 3]), np.array([5.0, 0.0]))
    assert result.site1.tolist() == [0, 0, 1, 1]
    assert result.time1.tolist() == pytest.approx([5.0, 105.0, 100.001, 0.001])
    assert result.site2.tolist() == [1, 1, 0, 0]
    assert result.time2.tolist() == pytest.approx([220.001, 120.001, 155.0, 255.0])
    # With a cap on the second search, far second sites are not reported.
    capped = route_to_sites(net, np.array([0, 3]), np.array([5.0, 0.0]), second_cap_s=150.0)
    assert capped.time2.tolist() == pytest.approx([np.inf, 120.001, np.inf, np.inf])
    assert capped.site2.tolist() == [-1, 1, -1, -1]


def test_no_site_and_one_site():
    net = hand_made_network()
    none = route_to_sites(net, np.array([], dtype=int), np.array([]))
    assert np.all(np.isinf(none.time1)) and np.all(none.site1 == -1)
    one = route_to_sites(net, np.array([1]), np.array([0.0]))
    assert np.all(np.isfinite(one.time1)) and np.all(np.isinf(one.time2)) and np.all(one.site2 == -1)


# --- islands (Saint-Barthélemy) --------------------------------------------------------------------

@pytest.fixture(scope="module")
def saint_barth():
    return read_pbf(OSM / "saint_barthelemy.osm.pbf", mode="drive")


def test_saint_barthelemy_pieces_are_unreachable_not_routed(saint_barth):
    net = saint_barth
    sizes = np.bincount(net.components)
    # The real extract: one network of 3,678 nodes and six disconnected pieces of 4 to 18 nodes.
    assert sizes.tolist() == [3678, 18, 7, 6, 6, 4, 4]
    pieces = np.flatnonzero(net.components > 0)
    main = np.flatnonzero(net.components == 0)
    rng = np.random.default_rng(3)
    sites = rng.choice(main, 6, replace=False)
    result = route_to_sites(net, sites, np.zeros(6))
    assert np.all(np.isinf(result.time1[pieces])) and np.all(result.site1[pieces] == -1)
    assert np.all(np.isinf(result.time2[pieces])) and np.all(result.site2[pieces] == -1)
    assert np.all(np.isfinite(result.time1[main]))
    # A unit whose only road nodes are in a piece has no time and is "non couvert", not covered.
    model = AccessModel()
    snap = Snap(nodes=pieces[:2].reshape(1, 2), metres=np.array([[20.0, 40.0]]))
    times = unit_times(result, snap, model)
    assert times.on_road[0] and np.isinf(times.time1[0]) and times.site1[0] == -1
    assert classify(times.time1, times.on_road, 30.0).tolist() == [STATUS_UNCOVERED]
    # A site inside a piece serves that piece only.
    piece1 = np.flatnonzero(net.components == 1)
    local = route_to_sites(net, piece1[:1], np.zeros(1), second=False)
    reach = np.isfinite(local.time1)
    assert reach.sum() >= 1 and np.all(net.components[reach] == 1)


def test_units_snap_only_to_real_network_or_have_no_road(saint_barth):
    net = saint_barth
    model = AccessModel()
    pieces = np.flatnonzero(net.components > 0)
    # Points placed on the fragments snap to the main network (fragments are not snappable)...
    snap = snap_points(net, net.x[pieces], net.y[pieces], model.max_distance_m, k=4)
    valid = snap.nodes >= 0
    assert np.all(net.components[snap.nodes[valid]] == 0)
    # ...and a point at sea, 3 km west of the westernmost road node, has no road access at all.
    west = np.argmin(net.x)
    sea = snap_points(net, [net.x[west] - 3000.0], [net.y[west]], model.max_distance_m, k=4)
    assert not sea.on_road[0] and np.all(sea.nodes == -1)
    result = route_to_sites(net, np.flatnonzero(net.components == 0)[:2], np.zeros(2))
    times = unit_times(result, sea, model)
    assert np.isinf(times.time1[0]) and not times.on_road[0]
    assert classify(times.time1, times.on_road, 30.0).tolist() == [STATUS_NO_ROAD]


# --- threshold ---------------------------------------------------------------------------------------

def test_threshold_is_inclusive_at_exactly_30_minutes(saint_barth):
    net = saint_barth
    main = np.flatnonzero(net.components == 0)
    site, unit_node = main[0], main[-1]
    road = route_to_sites(net, np.array([site]), np.array([0.0]), second=False).time1[unit_node] - 1e-3
    assert 0 < road < 1500
    model = AccessModel(detour=1.0, speed_kmh=36.0)  # 10 m/s: leg seconds = metres / 10
    # Site leg so that site leg + road time + unit leg (100 m = 10 s) is exactly 30:00.
    site_leg = 1800.0 - road - 10.0
    result = route_to_sites(net, np.array([site]), np.array([site_leg]), second=False)
    metres = np.array([[100.0], [100.0 + 1e-2], [110.0]])  # 30:00, 30:00.001, 30:01
    snap = Snap(nodes=np.full((3, 1), unit_node), metres=metres)
    times = unit_times(result, snap, model)
    assert times.time1[0] == pytest.approx(1800.0, abs=1e-6)
    status = classify(times.time1, times.on_road, 30.0)
    assert status.tolist() == [STATUS_COVERED, STATUS_UNCOVERED, STATUS_UNCOVERED]
    assert classify(np.array([1800.0, 1799.9999999, 1800.0000001, 1800.01]), np.ones(4, bool),
                    30.0).tolist() == [STATUS_COVERED] * 3 + [STATUS_UNCOVERED]
