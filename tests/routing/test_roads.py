"""Routing core against networkx on graphs with the projected points added as nodes.

The reference graph is built independently of the routing code: every road edge, then each road
segment split at the projections of the points (units and sites) that join it, in both allowed
directions; a unit is linked to its projection by its access leg, a site's projection to the site
by the site's leg, and a unit to every site within the access distance by the direct leg. networkx
Dijkstra from every site on the reversed graph gives each unit's exact time to each site; the
routing must give the same two nearest distinct sites.
Real extracts: Liechtenstein and Saint-Barthélemy (../shared/data/osm).
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from access30.base.crs import to_wgs84
from access30.coverage.rules import STATUS_COVERED, STATUS_NO_ROAD, STATUS_UNCOVERED, classify
from access30.network.roads import RoadNetwork, SegmentIndex, build_network, read_pbf
from access30.routing.roads import (
    AccessModel,
    Join,
    join_points,
    point_path,
    route_to_sites,
    site_search,
    site_unit_times,
    unit_pairs,
    unit_times,
)
from tests.paths import REPO

OSM = REPO.parent / "shared" / "data" / "osm"
MODEL = AccessModel(detour=1.3, speed_kmh=30.0, max_distance_m=1000.0)
TOL = 1e-6


def reference_graph(net, units: Join, sites: Join, model: AccessModel) -> nx.DiGraph:
    """Road graph with every projection as a node (segments split in order), units, sites, direct legs."""
    graph = nx.DiGraph()
    graph.add_nodes_from(range(net.n_nodes))
    for t, h, w in zip(net.tail.tolist(), net.head.tolist(), net.seconds.tolist()):
        graph.add_edge(t, h, weight=w)
    on_segment: dict[int, list] = {}
    for kind, join in (("u", units), ("s", sites)):
        for i in range(len(join)):
            if join.segment[i] >= 0:
                on_segment.setdefault(int(join.segment[i]), []).append((float(join.frac[i]), (kind, i), join, i))
    for points in on_segment.values():
        points.sort(key=lambda p: p[0])
        _, _, join, i = points[0]
        a, b, ab, ba = int(join.a[i]), int(join.b[i]), float(join.ab_s[i]), float(join.ba_s[i])
        chain = [(0.0, a)] + [(f, ("p", name)) for f, name, _, _ in points] + [(1.0, b)]
        for (f0, n0), (f1, n1) in zip(chain[:-1], chain[1:]):
            if np.isfinite(ab):
                graph.add_edge(n0, n1, weight=(f1 - f0) * ab)
            if np.isfinite(ba):
                graph.add_edge(n1, n0, weight=(f1 - f0) * ba)
        for f, name, join, i in points:
            if f in (0.0, 1.0):  # a projection clamped to an end node is that node, whatever the direction
                end = a if f == 0.0 else b
                graph.add_edge(("p", name), end, weight=0.0)
                graph.add_edge(end, ("p", name), weight=0.0)
            if name[0] == "u":
                graph.add_edge(name, ("p", name), weight=float(join.leg_s[i]))
            else:
                graph.add_edge(("p", name), name, weight=float(join.leg_s[i]))
    for s in range(len(sites)):  # direct legs to every site, also one too far from any road to join it
        d = np.hypot(units.x - sites.x[s], units.y - sites.y[s])
        for u in np.flatnonzero(d <= model.max_distance_m):
            graph.add_edge(("u", int(u)), ("s", s), weight=float(model.seconds(d[u])))
    return graph


def reference_table(net, units: Join, sites: Join, model: AccessModel) -> np.ndarray:
    """Exact time from every unit to every site (sites × units), inf when unreachable."""
    reverse = reference_graph(net, units, sites, model).reverse(copy=True)
    table = np.full((len(sites), len(units)), np.inf)
    for s in range(len(sites)):
        if ("s", s) not in reverse:
            continue
        for node, seconds in nx.single_source_dijkstra_path_length(reverse, ("s", s)).items():
            if isinstance(node, tuple) and node[0] == "u":
                table[s, node[1]] = seconds
    return table


def check_against(table: np.ndarray, got, units: Join) -> None:
    """The routing's two nearest distinct sites equal the reference table's."""
    ordered = np.sort(table, axis=0)
    best = ordered[0]
    assert np.array_equal(np.isfinite(got.time1), np.isfinite(best))
    finite = np.flatnonzero(np.isfinite(best))
    np.testing.assert_allclose(got.time1[finite], best[finite], rtol=0, atol=TOL)
    np.testing.assert_allclose(table[got.site1[finite], finite], best[finite], rtol=0, atol=TOL)
    others = table.copy()
    others[got.site1[finite], finite] = np.inf
    second = others.min(axis=0)
    assert np.array_equal(np.isfinite(got.time2), np.isfinite(second))
    ok = np.flatnonzero(np.isfinite(second))
    np.testing.assert_allclose(got.time2[ok], second[ok], rtol=0, atol=TOL)
    assert np.all(got.site2[ok] != got.site1[ok])
    np.testing.assert_allclose(table[got.site2[ok], ok], second[ok], rtol=0, atol=TOL)


def one_way_points(net, rng, count: int):
    """Points 15 m beside the middle of one-way edges (their reverse does not exist)."""
    pairs = set(zip(net.tail.tolist(), net.head.tolist()))
    one_way = [e for e, (t, h) in enumerate(zip(net.tail.tolist(), net.head.tolist())) if (h, t) not in pairs]
    chosen = rng.choice(one_way, min(count, len(one_way)), replace=False)
    t, h = net.tail[chosen], net.head[chosen]
    mx, my = (net.x[t] + net.x[h]) / 2, (net.y[t] + net.y[h]) / 2
    dx, dy = net.x[h] - net.x[t], net.y[h] - net.y[t]
    norm = np.maximum(np.hypot(dx, dy), 1e-9)
    return mx - 15 * dy / norm, my + 15 * dx / norm


@pytest.fixture(scope="module", params=["liechtenstein", "saint_barthelemy"])
def case(request):
    """A real network, random sites (two at the same point, some on one-way streets), units, references."""
    net = read_pbf(OSM / f"{request.param}.osm.pbf", mode="drive")
    rng = np.random.default_rng(20261125)
    n_sites = 12 if request.param == "liechtenstein" else 8
    pick = rng.choice(net.n_nodes, n_sites, replace=False)
    sx, sy = net.x[pick] + rng.uniform(-300, 300, n_sites), net.y[pick] + rng.uniform(-300, 300, n_sites)
    ox, oy = one_way_points(net, rng, 3)
    far = (net.x.min() - 5000.0, net.y.min() - 5000.0)  # out at sea or beyond the border: no road
    # last = first: co-located; then a site 600 m from the « far » unit, too far from any road to join it
    sx, sy = np.concatenate([sx, ox, sx[:1], [far[0] + 600.0]]), np.concatenate([sy, oy, sy[:1], [far[1]]])
    sites = join_points(net, sx, sy, MODEL)
    assert not sites.on_road[-1]
    pick = rng.choice(net.n_nodes, 250, replace=False)
    ux, uy = net.x[pick] + rng.uniform(-900, 900, 250), net.y[pick] + rng.uniform(-900, 900, 250)
    wx, wy = one_way_points(net, rng, 40)
    ux, uy = np.concatenate([[far[0]], ux, wx, sx[:4] + 5.0]), np.concatenate([[far[1]], uy, wy, sy[:4]])
    units = join_points(net, ux, uy, MODEL)
    node_times = route_to_sites(net, sites)
    got = unit_times(node_times, units, unit_pairs(units, sites, MODEL))
    return dict(name=request.param, net=net, sites=sites, units=units, node_times=node_times, got=got,
                table=reference_table(net, units, sites, MODEL))


def test_segment_index_is_the_exact_nearest_segment(case):
    net, units = case["net"], case["units"]
    index: SegmentIndex = net.segments
    ax, ay, bx, by = net.x[index.a], net.y[index.a], net.x[index.b], net.y[index.b]
    for i in range(0, len(units), 7):
        px, py = units.x[i], units.y[i]
        dx, dy = bx - ax, by - ay
        t = np.clip(((px - ax) * dx + (py - ay) * dy) / np.maximum(dx * dx + dy * dy, 1e-12), 0, 1)
        d = np.hypot(ax + t * dx - px, ay + t * dy - py)
        if d.min() > MODEL.max_distance_m:
            assert units.segment[i] == -1
        else:
            assert units.metres[i] == pytest.approx(d.min(), abs=1e-6)


def test_units_equal_networkx_with_projected_points(case):
    assert case["units"].on_road.sum() > 100 and (~case["units"].on_road).sum() > 0
    check_against(case["table"], case["got"], case["units"])


def test_nodes_equal_networkx_per_site(case):
    """Node times (the reversed search from the site joins) against one networkx search per site."""
    net, sites, nt = case["net"], case["sites"], case["node_times"]
    no_units = join_points(net, np.zeros(0), np.zeros(0), MODEL)
    reverse = reference_graph(net, no_units, sites, MODEL).reverse(copy=True)
    table = np.full((len(sites), net.n_nodes), np.inf)
    for s in range(len(sites)):
        if ("s", s) in reverse:
            for node, sec in nx.single_source_dijkstra_path_length(reverse, ("s", s)).items():
                if not isinstance(node, tuple):
                    table[s, node] = sec
    ordered = np.sort(table, axis=0)
    finite = np.isfinite(ordered[0])
    assert np.array_equal(finite, np.isfinite(nt.time1))
    np.testing.assert_allclose(nt.time1[finite], ordered[0][finite], atol=TOL, rtol=0)
    others = table.copy()
    others[nt.site1[finite], np.flatnonzero(finite)] = np.inf
    second = others.min(axis=0)
    second[second > nt.second_cap_s] = np.inf
    assert np.array_equal(np.isfinite(second), np.isfinite(nt.time2))
    ok = np.isfinite(second)
    np.testing.assert_allclose(nt.time2[ok], second[ok], atol=TOL, rtol=0)
    # The co-located pair (first and last site): wherever one is nearest, the other is second, as close.
    pair = {0, len(sites) - 2}
    served = np.flatnonzero(np.isin(nt.site1, list(pair)))
    assert served.size > 0
    assert np.all(np.isin(nt.site2[served], list(pair))) and np.all(nt.site2[served] != nt.site1[served])
    np.testing.assert_allclose(nt.time2[served], nt.time1[served], atol=TOL, rtol=0)


def test_colocated_sites_tie_to_the_lowest_index(case):
    """Two sites at the same point: the first listed serves everyone it ties for, the other is second,
    at nodes and units, whatever the order of the direct and same-segment pairs."""
    sites, units, nt, got = case["sites"], case["units"], case["node_times"], case["got"]
    last = len(sites) - 2  # the copy of site 0 (the last site is the one off the road)
    assert not np.isin(last, nt.site1) and not np.isin(last, got.site1)
    served = nt.site1 == 0
    assert served.sum() > 0 and np.all(nt.site2[served] == last)
    np.testing.assert_array_equal(nt.time2[served], nt.time1[served])
    pairs = unit_pairs(units, sites, MODEL)
    shuffled = np.random.default_rng(0).permutation(pairs.unit.size)
    again = unit_times(nt, units, type(pairs)(*(getattr(pairs, f)[shuffled[::-1]] for f in
                                                ("unit", "site", "seconds", "estimated", "leg"))))
    for field in ("time1", "site1", "time2", "site2", "estimated_s", "access_leg_s"):
        np.testing.assert_array_equal(getattr(again, field), getattr(got, field), err_msg=field)
    mine = got.site1 == 0
    assert mine.sum() > 0 and np.all(got.site2[mine] == last)


def test_site_search_equals_networkx(case):
    net, sites = case["net"], case["sites"]
    s = int(np.flatnonzero(sites.on_road)[1])
    times, estimated = site_search(net, sites.take([s]))
    no_units = join_points(net, np.zeros(0), np.zeros(0), MODEL)
    reverse = reference_graph(net, no_units, sites.take([s]), MODEL).reverse(copy=True)
    ref = np.full(net.n_nodes, np.inf)
    for node, sec in nx.single_source_dijkstra_path_length(reverse, ("s", 0)).items():
        if not isinstance(node, tuple):
            ref[node] = sec
    assert np.array_equal(np.isfinite(ref), np.isfinite(times))
    ok = np.isfinite(ref)
    np.testing.assert_allclose(times[ok], ref[ok], atol=TOL, rtol=0)
    # On a complete network only the site's own leg is estimated.
    np.testing.assert_allclose(estimated[ok], sites.leg_s[s])
    bounded, _ = site_search(net, sites.take([s]), limit_s=300.0)
    assert np.all(np.isinf(bounded[times > 300.0 + 1e-9])) and np.all(bounded[times <= 300.0] == times[times <= 300.0])


def test_site_unit_times_equal_the_reference_table(case):
    """The sites × units matrix (location models, capacity) follows the same joining model."""
    net, sites, units, table = case["net"], case["sites"], case["units"], case["table"]
    matrix = site_unit_times(net, units, sites, MODEL, limit_s=900.0, batch_bytes=1).toarray()
    expected = np.where(table <= 900.0, table, 0.0)
    np.testing.assert_allclose(np.where(matrix > 0, matrix, 0.0), np.where(expected > 0, expected, 0.0), atol=TOL)
    assert np.array_equal(matrix > 0, table <= 900.0)


def test_nobody_is_farther_than_the_direct_leg(case):
    """No unit's time exceeds the direct leg to any site within the access distance."""
    units, sites, got = case["units"], case["sites"], case["got"]
    d = np.hypot(units.x[:, None] - sites.x[None, :], units.y[:, None] - sites.y[None, :])  # every site
    direct = np.where(d <= MODEL.max_distance_m, MODEL.seconds(d), np.inf).min(axis=1)
    assert np.all(got.time1 <= direct + TOL)
    # The unit out at sea reaches only the site 600 m away, itself too far from any road: straight there.
    assert got.site1[0] == len(sites) - 1 and got.time1[0] == pytest.approx(MODEL.seconds(600.0))
    # The units placed 5 m from a site are at most the 5 m leg away.
    near = np.arange(len(units) - 4, len(units))
    assert np.all(got.time1[near] <= MODEL.seconds(5.0) + TOL)


def test_estimated_part_is_the_legs_on_a_mapped_network(case):
    """No estimated link: the estimated part of a time is the unit's leg plus the site's leg."""
    units, sites, got = case["units"], case["sites"], case["got"]
    ok = np.isfinite(got.time1)
    direct = np.isclose(got.access_leg_s[ok], got.time1[ok], atol=TOL)
    legs = units.leg_s[ok] + sites.leg_s[got.site1[ok]]
    assert np.all(direct | np.isclose(got.estimated_s[ok], legs, atol=TOL) | ~np.isfinite(legs))
    assert np.all(got.estimated_s[ok] <= got.time1[ok] + TOL)


@pytest.fixture(scope="module")
def liechtenstein():
    return read_pbf(OSM / "liechtenstein.osm.pbf", mode="drive")


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**31 - 1), n_sites=st.integers(1, 6), n_units=st.integers(1, 25),
       spread=st.floats(0.0, 1500.0))
def test_random_points_agree_with_networkx(liechtenstein, seed, n_sites, n_units, spread):
    net = liechtenstein
    rng = np.random.default_rng(seed)
    centre = rng.integers(net.n_nodes)
    sx = net.x[centre] + rng.uniform(-spread - 50, spread + 50, n_sites)
    sy = net.y[centre] + rng.uniform(-spread - 50, spread + 50, n_sites)
    ux = net.x[centre] + rng.uniform(-spread - 50, spread + 50, n_units)
    uy = net.y[centre] + rng.uniform(-spread - 50, spread + 50, n_units)
    sites, units = join_points(net, sx, sy, MODEL), join_points(net, ux, uy, MODEL)
    got = unit_times(route_to_sites(net, sites), units, unit_pairs(units, sites, MODEL))
    check_against(reference_table(net, units, sites, MODEL), got, units)


# --- hand-made fixtures for edge cases -------------------------------------------------------------

def straight_road(one_way: bool = False, motorway: bool = False, seconds: float = 100.0) -> RoadNetwork:
    """Hand-made road: 5 nodes 1,000 m apart along the x axis of Lambert-93, ``seconds`` per segment."""
    n = 5
    x = 300_000.0 + 1000.0 * np.arange(n)
    y = np.full(n, 6_800_000.0)
    tail, head = np.arange(n - 1), np.arange(1, n)
    if not one_way:
        tail, head = np.concatenate([tail, head]), np.concatenate([head, tail])
    lon, lat = to_wgs84(x, y, "EPSG:2154")
    return RoadNetwork(osmid=np.arange(1, n + 1, dtype=np.int64), lon=lon, lat=lat, x=x, y=y, crs="EPSG:2154",
                       tail=tail.astype(np.int32), head=head.astype(np.int32), seconds=np.full(tail.size, seconds),
                       metres=np.full(tail.size, 1000.0), mode="drive", source="hand-made",
                       joinable=np.full(tail.size, not motorway))


def test_one_way_segment_is_entered_and_left_only_forwards():
    net = straight_road(one_way=True)
    model = AccessModel(detour=1.0, speed_kmh=36.0, max_distance_m=50.0)  # 10 m/s, no direct leg over 50 m
    x0, y0 = net.x[1], net.y[1]
    step = net.x[2] - net.x[1]
    # A site 30 % along segment 1→2, 20 m off the road; units 10 % and 60 % along, 10 m off.
    sites = join_points(net, [x0 + 0.3 * step], [y0 + 20.0], model)
    units = join_points(net, [x0 + 0.1 * step, x0 + 0.6 * step], [y0 - 10.0, y0 - 10.0], model)
    got = unit_times(route_to_sites(net, sites), units, unit_pairs(units, sites, model))
    seg = 100.0
    # Upstream: along the street, 20 % of the segment, then the legs.
    assert got.time1[0] == pytest.approx(1.0 + 0.2 * seg + 2.0, abs=1e-6)
    # Downstream on a one-way road with no way back: unreachable.
    assert np.isinf(got.time1[1]) and got.site1[1] == -1


def test_two_way_segment_both_directions_and_the_site_node():
    net = straight_road()
    model = AccessModel(detour=1.0, speed_kmh=36.0, max_distance_m=50.0)
    step = net.x[2] - net.x[1]
    sites = join_points(net, [net.x[2]], [net.y[2]], model)  # exactly on node 2
    units = join_points(net, [net.x[1] + 0.25 * step, net.x[3] + 0.5 * step], [net.y[1], net.y[1]], model)
    got = unit_times(route_to_sites(net, sites), units, unit_pairs(units, sites, model))
    assert got.time1.tolist() == pytest.approx([75.0, 150.0])


def test_motorway_is_not_joined_in_the_middle():
    net = straight_road(motorway=True)
    units = join_points(net, [net.x[1] + 300.0], [net.y[1] + 10.0], MODEL)
    assert not units.on_road[0]


def test_parallel_edges_route_on_the_fastest():
    """Two edges 2→3 (60 s and 20 s): the fastest one counts, never their sum."""
    tails = np.array([1, 2, 2, 3, 3, 4, 2, 2])
    heads = np.array([2, 1, 3, 2, 4, 3, 3, 3])
    secs = np.array([100.0, 100.0, 50.0, 50.0, 100.0, 100.0, 60.0, 20.0])
    lon = np.array([-2.76, -2.75, -2.74, -2.73])
    net = build_network(np.array([1, 2, 3, 4]), lon, np.full(4, 48.5), tails, heads, np.full(8, 100.0), secs,
                        mode="drive", source="hand-made")
    model = AccessModel(max_distance_m=1.0)
    site = join_points(net, [net.x[3]], [net.y[3]], model)
    nt = route_to_sites(net, site, second=False)
    assert nt.time1.tolist() == pytest.approx([220.0, 120.0, 100.0, 0.0])


def test_no_site_and_one_site():
    net = straight_road()
    none = route_to_sites(net, join_points(net, [], [], MODEL))
    assert np.all(np.isinf(none.time1)) and np.all(none.site1 == -1)
    one = route_to_sites(net, join_points(net, [net.x[0]], [net.y[0]], MODEL))
    assert np.all(np.isfinite(one.time1)) and np.all(np.isinf(one.time2)) and np.all(one.site2 == -1)


# --- islands (Saint-Barthélemy) --------------------------------------------------------------------

@pytest.fixture(scope="module")
def saint_barth():
    return read_pbf(OSM / "saint_barthelemy.osm.pbf", mode="drive")


def test_fragments_are_never_joined_and_the_sea_has_no_road(saint_barth):
    net = saint_barth
    sizes = np.bincount(net.components)
    assert sizes.tolist() == [3678, 18, 7, 6, 6, 4, 4]  # the real extract: one network, six fragments
    pieces = np.flatnonzero(net.components > 0)
    joined = join_points(net, net.x[pieces], net.y[pieces], MODEL)
    assert joined.on_road.all()
    assert np.all(net.components[joined.a] == 0) and np.all(net.components[joined.b] == 0)
    west = np.argmin(net.x)
    sea = join_points(net, [net.x[west] - 3000.0], [net.y[west]], MODEL)
    sites = join_points(net, net.x[pieces[:1]] + 5000, net.y[pieces[:1]], MODEL)
    got = unit_times(route_to_sites(net, sites), sea, unit_pairs(sea, sites, MODEL))
    assert not sea.on_road[0] and not got.on_road[0] and np.isinf(got.time1[0])
    assert classify(got.time1, got.on_road, 30.0).tolist() == [STATUS_NO_ROAD]


def test_threshold_is_inclusive_at_exactly_30_minutes():
    """Four segments of 449.5 s and a 2 s leg (20 m at 10 m/s): exactly 30:00 is covered."""
    slow = straight_road(seconds=449.5)
    model = AccessModel(detour=1.0, speed_kmh=36.0, max_distance_m=100.0)
    sites = join_points(slow, [slow.x[0]], [slow.y[0]], model)
    units = join_points(slow, np.full(3, slow.x[4]), slow.y[4] + np.array([20.0, 20.01, 30.0]), model)
    got = unit_times(route_to_sites(slow, sites), units, unit_pairs(units, sites, model))
    assert got.time1[0] == pytest.approx(1800.0, abs=1e-6)
    status = classify(got.time1, got.on_road, 30.0)
    assert status.tolist() == [STATUS_COVERED, STATUS_UNCOVERED, STATUS_UNCOVERED]
    assert classify(np.array([1800.0, 1799.9999999, 1800.0000001, 1800.01]), np.ones(4, bool),
                    30.0).tolist() == [STATUS_COVERED] * 3 + [STATUS_UNCOVERED]


def test_point_path_takes_the_reference_time_along_real_edges(case):
    """The route of one origin to one destination (the team's legs of a round): the reference table's time,
    and its nodes a chain of edges whose seconds, with the two ends' parts, add up to it."""
    net, units, sites, table = case["net"], case["units"], case["sites"], case["table"]
    seconds = {(int(t), int(h)): float(w) for t, h, w in zip(net.tail, net.head, net.seconds)}
    rng = np.random.default_rng(7)
    checked = 0
    for u, s in zip(rng.choice(len(units), 40, replace=False), rng.choice(len(sites), 40)):
        path = point_path(net, units.take(np.array([u])), sites.take(np.array([s])), MODEL)
        if not np.isfinite(table[s, u]):
            assert not np.isfinite(path.seconds)
            continue
        assert path.seconds == pytest.approx(table[s, u], abs=TOL)
        if path.nodes.size:
            first, last = int(path.nodes[0]), int(path.nodes[-1])
            start = units.leg_s[u] + (units.to_a_s[u] if first == units.a[u] else units.to_b_s[u])
            end = sites.leg_s[s] + (sites.from_a_s[s] if last == sites.a[s] else sites.from_b_s[s])
            along = sum(seconds[(int(a), int(b))] for a, b in zip(path.nodes[:-1], path.nodes[1:]))
            assert start + along + end == pytest.approx(path.seconds, abs=TOL)
            checked += 1
    assert checked >= 10
