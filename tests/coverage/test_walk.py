"""Walking networks on real OSM extracts: what they contain, and how they compare with driving.

Walking is 4.5 km/h on every walkable way (steps half that), motorways and trunk roads without
``foot=yes`` excluded, ``foot=no`` respected, one-way ignored. Driving is faster on every way, so on
a path open to both the car is never slower; the car can still be slower between two points when
the pedestrian takes a way closed to cars (a footway, a pedestrian street, a one-way street against
the traffic). The tests check exactly that, pair by pair.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import osmium
import pytest
from scipy.sparse.csgraph import dijkstra

from access30.network.roads import haversine_m, read_pbf
from access30.network.speeds import STEPS_SPEED_FACTOR, WALK_SPEED_KMH
from tests.paths import REPO

OSM = REPO.parent / "shared" / "data" / "osm"
EXTRACTS = ["paris_bss", "saint_barthelemy", "liechtenstein"]
WALK_MS = WALK_SPEED_KMH / 3.6


@pytest.fixture(scope="module", params=EXTRACTS)
def networks(request):
    path = OSM / f"{request.param}.osm.pbf"
    return request.param, read_pbf(path, mode="walk"), read_pbf(path, mode="drive")


@pytest.fixture(scope="module")
def paris():
    path = OSM / "paris_bss.osm.pbf"
    return path, read_pbf(path, mode="walk"), read_pbf(path, mode="drive")


def _ways(path: Path, keep) -> set[tuple[int, int]]:
    """Undirected node-id pairs of consecutive nodes of the ways whose tags satisfy ``keep``
    (read straight from the file, independently of access30.network.roads)."""
    pairs = set()
    for way in osmium.FileProcessor(str(path), osmium.osm.WAY):
        tags = {t.k: t.v for t in way.tags}
        if keep(tags):
            refs = [n.ref for n in way.nodes]
            pairs.update((min(a, b), max(a, b)) for a, b in zip(refs[:-1], refs[1:]))
    return pairs


def _edge_pairs(net) -> set[tuple[int, int]]:
    a, b = net.osmid[net.tail], net.osmid[net.head]
    return set(zip(np.minimum(a, b).tolist(), np.maximum(a, b).tolist()))


def test_walk_speeds_and_two_way(networks):
    name, walk, _ = networks
    speed = walk.metres / walk.seconds
    # Every edge at 4.5 km/h, or half on steps (ferries aside: none in these extracts).
    assert np.all(np.isclose(speed, WALK_MS, rtol=1e-6) | np.isclose(speed, WALK_MS * STEPS_SPEED_FACTOR, rtol=1e-6))
    # One-way is ignored on foot: every edge has its reverse.
    forward = set(zip(walk.tail.tolist(), walk.head.tolist()))
    assert all((h, t) in forward for t, h in forward)
    assert not {"motorway", "motorway_link", "trunk", "trunk_link", "ferry"} & set(walk.highway_counts)


def test_foot_no_ways_are_not_walked(networks):
    name, walk, drive = networks
    path = OSM / f"{name}.osm.pbf"
    banned = _ways(path, lambda t: "highway" in t and t.get("foot") in ("no", "private"))
    allowed = _ways(path, lambda t: "highway" in t and t.get("foot") not in ("no", "private"))
    only_banned = banned - allowed  # segments not shared with a walkable way
    walked = _edge_pairs(walk)
    assert not only_banned & walked
    if name == "paris_bss":
        # Two unclassified streets and a service road there are foot=no but open to cars.
        assert only_banned & _edge_pairs(drive)


def test_walking_never_faster_than_driving_on_shared_ways(networks):
    """Many random pairs: walking time ≥ driving time unless the walk uses a way cars cannot use."""
    name, walk, drive = networks
    common, wi, di = np.intersect1d(walk.osmid, drive.osmid, return_indices=True)
    ok = np.flatnonzero((walk.components[wi] == 0) & (drive.components[di] == 0))
    rng = np.random.default_rng(7)
    src = rng.choice(ok, size=min(25, ok.size), replace=False)
    tw, pred = dijkstra(walk.matrix(), indices=wi[src], return_predecessors=True)
    td = dijkstra(drive.matrix(), indices=di[src])
    tw, td = tw[:, wi], td[:, di]
    both = np.isfinite(tw) & np.isfinite(td)
    assert both.sum() > 10_000
    faster_on_foot = both & (tw < td - 1e-6)
    drivable = set(zip(drive.osmid[drive.tail].tolist(), drive.osmid[drive.head].tolist()))
    for row, col in np.argwhere(faster_on_foot):
        # Walk back along the shortest walking path: one edge at least must be closed to cars.
        node, target, uses_car_free_edge = wi[col], wi[src[row]], False
        while node != target:
            prev = pred[row, node]
            if (int(walk.osmid[prev]), int(walk.osmid[node])) not in drivable:
                uses_car_free_edge = True
                break
            node = prev
        assert uses_car_free_edge, f"{name}: walk faster than car on drivable ways only"
    share = faster_on_foot.sum() / both.sum()
    # Measured: Paris 0.5 % of pairs (pedestrian streets, one-way streets), elsewhere ≪ 0.1 %.
    assert share < (0.02 if name == "paris_bss" else 0.001)
    if name == "saint_barthelemy":
        assert faster_on_foot.sum() == 0  # no footway at all on the island


def test_paris_walk_uses_footways(paris):
    """Some walking shortest paths between two streets go through a footway or pedestrian way and
    would be longer without it."""
    path, walk, drive = paris
    car_free = _ways(path, lambda t: t.get("highway") in ("footway", "pedestrian")
                     and t.get("foot") not in ("no", "private"))
    a, b = walk.osmid[walk.tail], walk.osmid[walk.head]
    is_car_free = np.array([(min(x, y), max(x, y)) in car_free for x, y in zip(a.tolist(), b.tolist())])
    assert is_car_free.sum() > 500
    import scipy.sparse as sp

    keep = ~is_car_free
    without = sp.csr_matrix((walk.seconds[keep], (walk.tail[keep], walk.head[keep])), shape=(walk.n_nodes,) * 2)
    street = np.flatnonzero(np.isin(walk.osmid, drive.osmid) & (walk.components == 0))
    rng = np.random.default_rng(3)
    src = rng.choice(street, size=20, replace=False)
    with_fw, pred = dijkstra(walk.matrix(), indices=src, return_predecessors=True)
    no_fw = dijkstra(without, indices=src)
    gain = no_fw[:, street] - with_fw[:, street]
    row, col = np.unravel_index(np.nanargmax(np.where(np.isfinite(gain), gain, -1)), gain.shape)
    assert gain[row, col] > 60  # more than a minute saved by the footways
    # The shortest path itself contains a footway/pedestrian edge.
    node, used = street[col], 0
    pairs = set(zip(a[is_car_free].tolist(), b[is_car_free].tolist()))
    while node != src[row]:
        prev = pred[row, node]
        used += (int(walk.osmid[prev]), int(walk.osmid[node])) in pairs
        node = prev
    assert used > 0
    # And walking it is no faster than 4.5 km/h as the crow flies.
    crow = haversine_m(walk.lon[src[row]], walk.lat[src[row]], walk.lon[street[col]], walk.lat[street[col]])
    assert with_fw[row, street[col]] * WALK_MS >= crow - 1e-6


def test_crow_fly_bound_paris(paris):
    _, walk, _ = paris
    src = np.arange(0, walk.n_nodes, max(1, walk.n_nodes // 15))
    t = dijkstra(walk.matrix(), indices=src)
    ok = np.isfinite(t)
    crow = haversine_m(walk.lon[src][:, None], walk.lat[src][:, None], walk.lon[None, :], walk.lat[None, :])
    assert np.all(t[ok] * WALK_MS >= crow[ok] * (1 - 1e-9) - 1e-6)


HAND_MADE_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand-made edge-case fixture">
  <node id="1" lat="48.0000" lon="2.0000"/><node id="2" lat="48.0000" lon="2.0100"/>
  <node id="3" lat="48.0000" lon="2.0200"/><node id="4" lat="48.0000" lon="2.0300"/>
  <node id="5" lat="48.0000" lon="2.0400"/><node id="6" lat="48.0000" lon="2.0500"/>
  <node id="7" lat="48.0000" lon="2.0600"/>
  <way id="10"><nd ref="1"/><nd ref="2"/><tag k="highway" v="motorway"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="trunk"/></way>
  <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="trunk"/><tag k="foot" v="yes"/></way>
  <way id="13"><nd ref="4"/><nd ref="5"/><tag k="highway" v="residential"/><tag k="oneway" v="yes"/></way>
  <way id="14"><nd ref="5"/><nd ref="6"/><tag k="highway" v="steps"/></way>
  <way id="15"><nd ref="6"/><nd ref="7"/><tag k="highway" v="residential"/><tag k="foot" v="no"/></way>
</osm>
"""


def test_walk_rules_on_hand_made_fixture(tmp_path):
    """Edge cases absent from the real extracts (no motorway in any of them)."""
    path = tmp_path / "edge_cases.osm"
    path.write_text(HAND_MADE_OSM)
    walk = read_pbf(path, mode="walk")
    pairs = {(int(walk.osmid[t]), int(walk.osmid[h])) for t, h in zip(walk.tail, walk.head)}
    assert pairs == {(3, 4), (4, 3), (4, 5), (5, 4), (5, 6), (6, 5)}
    secs = {(int(walk.osmid[t]), int(walk.osmid[h])): s for t, h, s in zip(walk.tail, walk.head, walk.seconds)}
    metres = haversine_m(2.04, 48.0, 2.05, 48.0)
    assert secs[(5, 6)] == pytest.approx(metres / (WALK_MS * STEPS_SPEED_FACTOR))
    assert secs[(4, 5)] == pytest.approx(secs[(5, 4)])
    drive = read_pbf(path, mode="drive")
    dpairs = {(int(drive.osmid[t]), int(drive.osmid[h])) for t, h in zip(drive.tail, drive.head)}
    assert (1, 2) in dpairs and (4, 5) in dpairs and (5, 4) not in dpairs and (6, 7) in dpairs
