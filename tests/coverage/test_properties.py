"""Invariants of routing and coverage, checked with hypothesis.

* exact times: route_to_sites agrees with networkx on random graphs and on a real OSM extract
  (Saint-Barthélemy, complete network with small disconnected pieces), for random site sets;
* on the real demo study (Saint-Brieuc – Loudéac, 27,354 cells or pieces of cells, 32 sites): adding a site never
  increases any time and never lowers the covered population; raising the threshold never lowers
  coverage; covered + uncovered + no-road = total (overall and per commune); second-nearest time ≥
  nearest; results do not depend on the order of the sites or of the cells.

``max_examples`` is kept small: each demo example routes 27,354 units.
"""

from __future__ import annotations

from dataclasses import replace

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from access30.coverage.engine import evaluate, route
from access30.coverage.rules import STATUS_COVERED, STATUS_NO_ROAD, STATUS_UNCOVERED
from access30.inputs.assemble import load_study
from access30.network.roads import build_network, read_pbf
from access30.routing.roads import Join, route_to_sites
from tests.paths import REPO

SHARED = REPO.parent / "shared" / "data"
FAST = settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# --------------------------------------------------------------------------- exact times vs networkx
def at_nodes(net, nodes, legs) -> Join:
    """Sites standing exactly on road nodes, each with its own access leg (hand-made joins)."""
    nodes = np.asarray(nodes, dtype=np.int64)
    inf = np.full(nodes.size, np.inf)
    return Join(x=net.x[nodes], y=net.y[nodes], segment=np.zeros(nodes.size, dtype=np.int64), a=nodes, b=nodes,
                frac=np.zeros(nodes.size), ab_s=inf, ba_s=inf.copy(), metres=np.zeros(nodes.size),
                leg_s=np.asarray(legs, dtype=float))


def networkx_two_nearest(edges, n, site_nodes, site_legs):
    """Nearest and second-nearest (distinct site) time of every node, from per-site networkx searches."""
    reverse = nx.MultiDiGraph()
    reverse.add_nodes_from(range(n))
    reverse.add_weighted_edges_from((h, t, w) for t, h, w in edges if t != h)
    per_site = np.full((len(site_nodes), n), np.inf)
    for i, (node, leg) in enumerate(zip(site_nodes, site_legs)):
        for target, d in nx.single_source_dijkstra_path_length(reverse, int(node)).items():
            per_site[i, target] = d + leg
    ordered = np.sort(per_site, axis=0)
    return ordered[0], (ordered[1] if len(site_nodes) > 1 else np.full(n, np.inf)), per_site


@st.composite
def random_graph(draw):
    n = draw(st.integers(2, 30))
    m = draw(st.integers(1, 4 * n))
    tails = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    heads = draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m))
    weights = draw(st.lists(st.floats(1.0, 600.0), min_size=m, max_size=m))  # parallel edges allowed
    s = draw(st.integers(1, min(n, 6)))
    sites = draw(st.lists(st.integers(0, n - 1), min_size=s, max_size=s))  # two sites may share a node
    legs = draw(st.lists(st.floats(0.01, 300.0), min_size=s, max_size=s))
    return n, list(zip(tails, heads, weights)), np.array(sites), np.array(legs)


@FAST
@given(random_graph())
# Found by hypothesis: sites at two nodes joined alike (segment 0, same leg) were taken as co-located.
@example((14, [(0, 0, 1.0)] * 53, np.array([1, 0, 0]), np.array([1.0, 1.0, 2.0])))
def test_times_agree_with_networkx_on_random_graphs(case):
    n, edges, sites, legs = case
    ids = np.arange(n, dtype=np.int64)
    lon, lat = -2.7 + 0.001 * ids, 48.5 + 0.0005 * (ids % 7)
    t, h, w = (np.array(col) for col in zip(*edges))
    net = build_network(ids, lon, lat, t.astype(np.int64), h.astype(np.int64), w * 10, w.astype(float),
                        mode="drive", source="hypothesis")
    got = route_to_sites(net, at_nodes(net, sites, legs))
    want1, want2, per_site = networkx_two_nearest(edges, n, sites, legs)
    np.testing.assert_allclose(got.time1, want1, rtol=1e-9)
    np.testing.assert_allclose(got.time2, want2, rtol=1e-9)
    reached = np.flatnonzero(np.isfinite(got.time1))
    assert (got.site1[np.isinf(got.time1)] == -1).all()
    # The site named nearest really is at that time, and the second is another site at its time.
    np.testing.assert_allclose(per_site[got.site1[reached], reached], got.time1[reached], rtol=1e-9)
    second = np.flatnonzero(np.isfinite(got.time2))
    assert (got.site2[second] != got.site1[second]).all()
    np.testing.assert_allclose(per_site[got.site2[second], second], got.time2[second], rtol=1e-9)
    assert (got.time2 >= got.time1).all()


@pytest.fixture(scope="module")
def st_barth():
    return read_pbf(SHARED / "osm" / "saint_barthelemy.osm.pbf")


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), n_sites=st.integers(1, 12))
def test_times_agree_with_networkx_on_real_extract(st_barth, seed, n_sites):
    rng = np.random.default_rng(seed)
    sites = rng.choice(st_barth.n_nodes, n_sites, replace=False)
    legs = rng.uniform(0, 120, n_sites)
    got = route_to_sites(st_barth, at_nodes(st_barth, sites, legs))
    edges = list(zip(st_barth.tail.tolist(), st_barth.head.tolist(), st_barth.seconds.tolist()))
    want1, want2, per_site = networkx_two_nearest(edges, st_barth.n_nodes, sites, legs)
    np.testing.assert_allclose(got.time1, want1, rtol=1e-9)
    capped = np.where(want2 <= got.second_cap_s, want2, np.inf)
    np.testing.assert_allclose(got.time2, capped, rtol=1e-9)
    reached = np.flatnonzero(np.isfinite(got.time1))
    np.testing.assert_allclose(per_site[got.site1[reached], reached], got.time1[reached], rtol=1e-9)
    # Small disconnected pieces of the island exist: nodes there reach no site unless one sits there.
    assert st_barth.summary()["network_components"] > 1


# --------------------------------------------------------------------------- invariants on the demo study
@pytest.fixture(scope="module")
def demo():
    study = load_study("st-brieuc-loudeac")
    assert len(study.demand.units) == 27_354 and len(study.sites) == DEMO_SITES
    return study


def _covered(result) -> float:
    return float(result.summary["population_covered"])


#: Reception points of the demo study (26 town halls, 6 France Services).
DEMO_SITES = 32
site_subsets = st.lists(st.integers(0, DEMO_SITES - 1), min_size=1, max_size=DEMO_SITES - 1, unique=True)


@FAST
@given(subset=site_subsets, extra=st.integers(0, DEMO_SITES - 1), threshold=st.floats(5, 60))
def test_adding_a_site_never_hurts(demo, subset, extra, threshold):
    base = sorted(set(subset) - {extra}) or [(extra + 1) % len(demo.sites)]
    before = demo.with_sites(demo.sites.iloc[base])
    after = demo.with_sites(demo.sites.iloc[base + [extra]])
    rb, ra = route(before), route(after)
    assert (ra.times.time1 <= rb.times.time1 + 1e-9).all()
    assert (ra.times.time2 <= rb.times.time2 + 1e-9).all()
    assert _covered(evaluate(after, ra, threshold)) >= _covered(evaluate(before, rb, threshold)) - 1e-6


@pytest.fixture(scope="module")
def demo_routing(demo):
    return route(demo)


@FAST
@given(low=st.floats(1, 120), step=st.floats(0, 120))
def test_raising_threshold_never_lowers_coverage(demo, demo_routing, low, step):
    a, b = evaluate(demo, demo_routing, low), evaluate(demo, demo_routing, low + step)
    assert _covered(b) >= _covered(a)
    was = a.units["status"] == STATUS_COVERED
    assert (b.units.loc[was, "status"] == STATUS_COVERED).all()
    assert (a.units["status"] == STATUS_NO_ROAD).equals(b.units["status"] == STATUS_NO_ROAD)


@FAST
@given(subset=site_subsets, threshold=st.floats(1, 240))
def test_population_adds_up_and_second_not_before_first(demo, subset, threshold):
    study = demo.with_sites(demo.sites.iloc[sorted(subset)])
    result = evaluate(study, route(study), threshold)
    s = result.summary
    total = float(study.demand.units["population"].sum())
    assert s["population_total"] == pytest.approx(total)
    assert s["population_covered"] + s["population_uncovered"] + s["population_no_road"] == pytest.approx(total)
    units = result.units
    by_status = units.groupby("status")["population"].sum()
    assert by_status.get(STATUS_COVERED, 0) == pytest.approx(s["population_covered"], abs=1e-6)
    assert by_status.get(STATUS_UNCOVERED, 0) == pytest.approx(s["population_uncovered"], abs=1e-6)
    communes = result.communes
    assert (communes["covered"] + communes["uncovered"] + communes["no_road"]).to_numpy() == pytest.approx(
        communes["population"].to_numpy())
    assert communes["population"].sum() == pytest.approx(total)
    assert result.sites["catchment_population"].sum() <= total + 1e-6
    assert (units["time2_min"] >= units["time_min"] - 1e-9).all()
    both = (units["site_id"] != "") & (units["site2_id"] != "")
    assert (units.loc[both, "site_id"] != units.loc[both, "site2_id"]).all()
    if len(subset) == 1:
        assert np.isinf(units["time2_min"]).all()


@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_site_order(demo, demo_routing, seed):
    order = np.random.default_rng(seed).permutation(len(demo.sites))
    shuffled = demo.with_sites(demo.sites.iloc[order])
    a, b = evaluate(demo, demo_routing, 30), evaluate(shuffled, route(shuffled), 30)
    np.testing.assert_allclose(b.units["time_min"], a.units["time_min"], rtol=1e-12)
    np.testing.assert_allclose(b.units["time2_min"], a.units["time2_min"], rtol=1e-12)
    assert _covered(a) == pytest.approx(_covered(b))
    # Where the nearest site is unique (no tie), it is the same site.
    ties = np.isclose(a.units["time_min"], a.units["time2_min"])
    assert (a.units.loc[~ties, "site_id"] == b.units.loc[~ties, "site_id"]).all()


@FAST
@given(seed=st.integers(0, 2**32 - 1))
def test_results_do_not_depend_on_cell_order(demo, demo_routing, seed):
    units = demo.demand.units
    order = np.random.default_rng(seed).permutation(len(units))
    shuffled = replace(demo, demand=replace(demo.demand, units=units.iloc[order].reset_index(drop=True)))
    a, b = evaluate(demo, demo_routing, 30), evaluate(shuffled, route(shuffled), 30)
    left = a.units.set_index("unit_id")
    right = b.units.set_index("unit_id").loc[left.index]
    np.testing.assert_allclose(right["time_min"], left["time_min"], rtol=1e-12)
    np.testing.assert_allclose(right["time2_min"], left["time2_min"], rtol=1e-12)
    assert (right["status"] == left["status"]).all()
    assert a.summary["population_covered"] == pytest.approx(b.summary["population_covered"])
    assert a.summary["median_time_min"] == pytest.approx(b.summary["median_time_min"])


def test_bridged_demo_network_has_no_dead_end_piece(demo):
    """On the bridged partial demo network, every sizeable piece one can drive into, one can leave.

    Real roads join these pieces (the extract maps only main roads); a piece with a way in and no
    way out (or the reverse) cuts its residents off from every site outside it. A piece with no link
    at all (an island, or beyond the bridging distance) is allowed: it is reported as unreachable.
    """
    net = demo.network
    labels = net.components
    sizes = np.bincount(labels)
    cross = labels[net.tail] != labels[net.head]
    has_out = np.bincount(labels[net.tail][cross], minlength=sizes.size) > 0
    has_in = np.bincount(labels[net.head][cross], minlength=sizes.size) > 0
    dead_ends = (sizes >= 20) & (has_in != has_out)
    assert not dead_ends.any(), sizes[dead_ends]
