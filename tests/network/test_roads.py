"""Road network reading on the real OSM extracts of ../shared/data/osm.

The independent reference is osmnx: each extract is converted to OSM XML with pyosmium (the ways that
``read_pbf`` keeps, with their original tags) and read back with ``osmnx.graph_from_xml``, whose own
one-way rules and great-circle lengths must give the same directed graph and the same travel times.
Expected speeds are restated here from the French rules (Code de la route), not imported.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

import networkx as nx
import numpy as np
import osmium
import pytest
from scipy.sparse.csgraph import connected_components

from access30.base.errors import InputError
from access30.network import speeds
from access30.network.modes import MODES
from access30.network.roads import (
    bridge_gaps,
    build_network,
    from_osmnx,
    read_graphml,
    read_pbf,
    write_graphml,
    write_osm_xml,
)
from tests.paths import REPO

OSM = REPO.parent / "shared" / "data" / "osm"
LIECHTENSTEIN = OSM / "liechtenstein.osm.pbf"
SAINT_BARTH = OSM / "saint_barthelemy.osm.pbf"
PARIS = OSM / "paris_bss.osm.pbf"
DEMO = OSM / "st_brieuc_loudeac.osm.pbf"


pbf_to_osm_xml = write_osm_xml  # the analyst's input: the usable ways as OSM XML, for osmnx


@pytest.fixture(scope="module")
def osmnx_graphs(tmp_path_factory):
    """osmnx graphs (unsimplified, all pieces) of the four extracts, built offline from XML."""
    import osmnx as ox

    folder = tmp_path_factory.mktemp("osm_xml")
    graphs = {}
    for pbf in (LIECHTENSTEIN, SAINT_BARTH, PARIS, DEMO):
        xml = folder / (pbf.name.removesuffix(".osm.pbf") + ".osm")
        pbf_to_osm_xml(pbf, xml)
        graphs[pbf.name] = ox.graph_from_xml(xml, simplify=False, retain_all=True)
    return graphs


@lru_cache(maxsize=None)
def network(pbf: Path, mode: str):
    """Each extract is read once per test session (networks are immutable)."""
    return read_pbf(pbf, mode=mode)


@pytest.fixture(scope="module")
def liechtenstein():
    return network(LIECHTENSTEIN, "drive")


def edge_dict(net):
    """{(tail osmid, head osmid): seconds} of a network."""
    return dict(zip(zip(net.osmid[net.tail].tolist(), net.osmid[net.head].tolist()), net.seconds.tolist()))


def way_nodes(pbf: Path, way_id: int) -> tuple[dict[str, str], list[int]]:
    for obj in osmium.FileProcessor(str(pbf), osmium.osm.WAY).with_filter(osmium.filter.IdFilter([way_id])):
        return {t.k: t.v for t in obj.tags}, [n.ref for n in obj.nodes]
    raise AssertionError(f"way {way_id} not in {pbf.name}")


# --- counts ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("pbf, mode, nodes, edges", [
    (LIECHTENSTEIN, "drive", 16_192, 32_622),
    (LIECHTENSTEIN, "walk", 54_252, 111_718),
    (SAINT_BARTH, "drive", 3_723, 7_500),
    (PARIS, "drive", 2_148, 2_764),
    (PARIS, "walk", 3_709, 8_312),
    (DEMO, "drive", 1_084, 1_988),
])
def test_node_and_edge_counts_are_stable(pbf, mode, nodes, edges):
    net = network(pbf, mode)
    assert (net.n_nodes, net.n_edges) == (nodes, edges)
    # Structural invariants: one edge per ordered node pair, no self-loops, positive times.
    pairs = net.tail.astype(np.int64) * net.n_nodes + net.head
    assert np.unique(pairs).size == net.n_edges
    assert not np.any(net.tail == net.head)
    assert np.all(net.seconds > 0) and np.all(net.metres >= 0)
    assert np.all(np.diff(net.osmid) > 0)


def test_drive_network_keeps_only_drivable_classes(liechtenstein):
    # 4,660 highway ways in the file, of which tracks, paths, footways, cycleways, steps are not drivable.
    assert set(liechtenstein.highway_counts) <= set(speeds.DRIVE_SPEED_KMH)
    assert liechtenstein.highway_counts["residential"] == 1100
    assert "track" not in liechtenstein.highway_counts and "footway" not in liechtenstein.highway_counts


# --- speeds ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("highway, kmh", [
    ("motorway", 130), ("trunk", 110), ("primary", 80), ("secondary", 80), ("tertiary", 70),
    ("unclassified", 50), ("residential", 30), ("living_street", 20), ("service", 20),
])
def test_default_drive_speed_by_highway_class(highway, kmh):
    assert MODES["drive"].way_speed_kmh({"highway": highway}) == kmh


@pytest.mark.parametrize("value, kmh", [
    ("50", 50.0), ("50 km/h", 50.0), ("30 mph", 30 * 1.609344), ("FR:urban", 50.0), ("FR:rural", 80.0),
    ("fr:zone30", 30.0), ("50;70", 50.0), ("90|70", 70.0), ("7,5", 7.5), (" 110 ", 110.0),
    ("none", None), ("signals", None), ("", None), (None, None), ("999", None), ("fast", None),
])
def test_parse_maxspeed(value, kmh):
    got = speeds.parse_maxspeed(value)
    assert got == pytest.approx(kmh) if kmh is not None else got is None


def test_maxspeed_overrides_default_and_walk_ignores_it():
    drive, walk = MODES["drive"], MODES["walk"]
    assert drive.way_speed_kmh({"highway": "residential", "maxspeed": "50"}) == 50
    assert drive.way_speed_kmh({"highway": "primary", "maxspeed": "signals"}) == 80
    assert walk.way_speed_kmh({"highway": "primary", "maxspeed": "50"}) == 4.5
    assert walk.way_speed_kmh({"highway": "steps"}) == 2.25


def test_every_travel_mode_is_complete_and_unknown_modes_are_refused():
    from access30.base.errors import InputError
    from access30.network.modes import get_mode
    from access30.routing.roads import AccessModel

    for key, mode in MODES.items():
        assert mode.key == key and mode.label and mode.words and mode.method and mode.limit
        assert mode.access_speed_kmh > 0
        if mode.timetable:  # no road network: a feed and its walking legs
            continue
        assert mode.bridge_speed_kmh > 0 and AccessModel.for_mode(key).speed_kmh == mode.access_speed_kmh
    assert MODES["walk"].oneway({"oneway": "yes"}) == 0 and MODES["drive"].oneway({"oneway": "yes"}) == 1
    assert not MODES["drive"].usable({"route": "ferry"}) and MODES["walk"].usable({"route": "ferry"})
    with pytest.raises(InputError, match="mode de déplacement inconnu « vélo »") as error:
        get_mode("vélo")
    assert "« drive » (voiture)" in str(error.value) and "« walk » (à pied)" in str(error.value)


@pytest.mark.parametrize("way_id, tags, kmh, direction", [
    # Real Liechtenstein ways (OSM 2015-07-27); kmh restated from the French defaults or maxspeed.
    (4781367, {"highway": "residential"}, 30, 0),
    (4904156, {"highway": "unclassified"}, 50, 0),
    (32393831, {"highway": "living_street"}, 20, 0),
    (4904965, {"highway": "primary", "maxspeed": "50"}, 50, 0),
    (6071234, {"highway": "secondary", "oneway": "no"}, 80, 0),
    (239539645, {"highway": "secondary", "maxspeed": "80", "oneway": "yes"}, 80, 1),
    (163947222, {"highway": "secondary_link", "maxspeed": "60", "oneway": "-1"}, 60, -1),
    (6065796, {"highway": "primary", "junction": "roundabout"}, 80, 1),
])
def test_real_ways_speed_and_direction(liechtenstein, way_id, tags, kmh, direction):
    real_tags, refs = way_nodes(LIECHTENSTEIN, way_id)
    for key, value in tags.items():
        assert real_tags.get(key) == value
    if direction != 1:
        assert real_tags.get("oneway") in (None, "no", "-1") and "junction" not in real_tags
    edges = edge_dict(liechtenstein)
    index = {int(o): i for i, o in enumerate(liechtenstein.osmid)}
    for a, b in zip(refs[:-1], refs[1:]):
        forward, backward = (a, b) in edges, (b, a) in edges
        assert forward == (direction >= 0), (a, b)
        assert backward == (direction <= 0), (b, a)
        ia, ib = index[a], index[b]
        metres = 2 * 6_371_008.8 * math.asin(math.sqrt(
            math.sin(math.radians(liechtenstein.lat[ib] - liechtenstein.lat[ia]) / 2) ** 2
            + math.cos(math.radians(liechtenstein.lat[ia])) * math.cos(math.radians(liechtenstein.lat[ib]))
            * math.sin(math.radians(liechtenstein.lon[ib] - liechtenstein.lon[ia]) / 2) ** 2))
        seconds = edges[(a, b)] if forward else edges[(b, a)]
        assert seconds == pytest.approx(max(metres / (kmh / 3.6), 1e-3), rel=1e-9)


def test_schlossstrasse_one_way_has_no_reverse_edge(liechtenstein):
    """Schlossstrasse in Vaduz (way 239539645, oneway=yes, 84 nodes): not one segment may be reversed."""
    _, refs = way_nodes(LIECHTENSTEIN, 239539645)
    edges = edge_dict(liechtenstein)
    assert len(refs) == 84
    assert all((a, b) in edges for a, b in zip(refs[:-1], refs[1:]))
    assert not any((b, a) in edges for a, b in zip(refs[:-1], refs[1:]))


def test_walk_mode_ignores_one_way():
    walk = network(LIECHTENSTEIN, "walk")
    _, refs = way_nodes(LIECHTENSTEIN, 239539645)
    edges = edge_dict(walk)
    assert all((a, b) in edges and (b, a) in edges for a, b in zip(refs[:-1], refs[1:]))


# --- parallel edges (hand-made fixture) -----------------------------------------------------------

HAND_MADE_PARALLEL_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="hand-made test fixture">
  <node id="1" version="1" lat="48.5000000" lon="-2.7600000"/>
  <node id="2" version="1" lat="48.5090000" lon="-2.7600000"/>
  <node id="3" version="1" lat="48.5180000" lon="-2.7600000"/>
  <way id="10" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="residential"/></way>
  <way id="11" version="1"><nd ref="1"/><nd ref="2"/><tag k="highway" v="primary"/></way>
  <way id="12" version="1"><nd ref="2"/><nd ref="3"/><tag k="highway" v="primary"/><tag k="maxspeed" v="50"/></way>
  <way id="13" version="1"><nd ref="3"/><nd ref="2"/><tag k="highway" v="tertiary"/><tag k="oneway" v="yes"/></way>
</osm>
"""


def test_parallel_edges_keep_the_fastest_from_a_file(tmp_path):
    path = tmp_path / "hand_made_parallel.osm"
    path.write_text(HAND_MADE_PARALLEL_OSM)
    net = read_pbf(path, mode="drive")
    edges = edge_dict(net)
    metres = 0.009 * math.pi / 180 * 6_371_008.8  # 0.009° of latitude
    assert net.n_nodes == 3 and net.n_edges == 4
    assert edges[(1, 2)] == pytest.approx(metres / (80 / 3.6))  # primary, not residential, not the sum
    assert edges[(2, 1)] == pytest.approx(metres / (80 / 3.6))
    assert edges[(2, 3)] == pytest.approx(metres / (50 / 3.6))  # maxspeed 50 beats nothing else
    assert edges[(3, 2)] == pytest.approx(metres / (70 / 3.6))  # one-way tertiary 70 beats primary 50
    matrix = net.matrix().toarray()
    assert matrix[0, 1] == pytest.approx(metres / (80 / 3.6))


def test_parallel_edges_keep_the_fastest_from_arrays_and_osmnx():
    net = build_network(np.array([7, 5]), np.array([0.0, 0.001]), np.array([45.0, 45.0]),
                        np.array([5, 5, 5, 7]), np.array([7, 7, 7, 5]), np.array([10.0, 10.0, 10.0, 10.0]),
                        np.array([60.0, 20.0, 45.0, 30.0]), mode="drive", source="hand-made")
    assert net.n_edges == 2
    assert net.matrix()[0, 1] == 20.0 and net.matrix()[1, 0] == 30.0
    assert net.matrix(reverse=True)[1, 0] == 20.0
    graph = nx.MultiDiGraph(crs="EPSG:4326")
    graph.add_node(1, x=0.0, y=45.0)
    graph.add_node(2, x=0.001, y=45.0)
    graph.add_edge(1, 2, length=100.0, highway="residential")
    graph.add_edge(1, 2, length=100.0, highway="primary")
    graph.add_edge(1, 2, length=100.0, highway=["tertiary", "residential"], maxspeed=["50", "30"])
    converted = from_osmnx(graph)
    assert converted.n_edges == 1
    assert converted.seconds[0] == pytest.approx(100 / (80 / 3.6))


# --- osmnx conversion and GraphML -----------------------------------------------------------------

@pytest.mark.parametrize("pbf", [LIECHTENSTEIN, SAINT_BARTH, PARIS, DEMO], ids=lambda p: p.name)
def test_from_osmnx_equals_read_pbf(osmnx_graphs, pbf):
    graph = osmnx_graphs[pbf.name]
    direct, converted = network(pbf, "drive"), from_osmnx(graph, source="osmnx")
    assert np.array_equal(direct.osmid, converted.osmid)
    assert np.allclose(direct.x, converted.x, atol=1e-6) and np.allclose(direct.y, converted.y, atol=1e-6)
    a, b = edge_dict(direct), edge_dict(converted)
    # osmnx applies its own one-way rules (oneway=yes/-1, roundabouts): the directed edge sets must agree.
    assert a.keys() == b.keys()
    keys = list(a)
    sa, sb = np.array([a[k] for k in keys]), np.array([b[k] for k in keys])
    # osmnx uses an Earth radius of 6,371,009 m: relative differences stay below 1e-7.
    assert np.max(np.abs(sa - sb) / sa) < 1e-7
    assert direct.crs == converted.crs


def test_graphml_round_trip(osmnx_graphs, tmp_path):
    graph = osmnx_graphs[SAINT_BARTH.name]
    path = tmp_path / "saint_barthelemy.graphml"
    write_graphml(graph, path)
    assert path.is_file() and not (tmp_path / "saint_barthelemy.graphml.part").exists()
    loaded, original = read_graphml(path), from_osmnx(graph)
    assert loaded.source == "saint_barthelemy.graphml"
    assert np.array_equal(loaded.osmid, original.osmid)
    assert np.array_equal(loaded.tail, original.tail) and np.array_equal(loaded.head, original.head)
    assert np.allclose(loaded.seconds, original.seconds, rtol=1e-9)
    assert np.allclose(loaded.lon, original.lon) and np.allclose(loaded.lat, original.lat)


def test_read_graphml_bad_file_is_an_input_error(tmp_path):
    bad = tmp_path / "broken.graphml"
    bad.write_text("<graphml><this is not xml")
    with pytest.raises(InputError) as err:
        read_graphml(bad)
    assert err.value.path == bad
    with pytest.raises(InputError):
        read_graphml(tmp_path / "missing.graphml")


# --- partial extract: bridge_gaps -----------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_pair():
    raw = read_pbf(DEMO, mode="drive", partial=True)
    return raw, bridge_gaps(raw)


def test_bridge_gaps_joins_the_demo_pieces(demo_pair):
    raw, bridged = demo_pair

    def strong(net):
        return connected_components(net.matrix(), directed=True, connection="strong")[0]

    def weak(net):
        return connected_components(net.matrix(), directed=True, connection="weak")[0]

    assert (strong(raw), weak(raw)) == (130, 50)
    # The bridged demo is one strongly connected network: every piece can be driven into and out of.
    assert (strong(bridged), weak(bridged)) == (1, 1)
    assert raw.summary()["network_largest_component_nodes"] == 70
    assert bridged.summary()["network_largest_component_nodes"] == 1084
    assert bridged.snappable.all() and bridged.partial


def test_bridge_gaps_flags_estimated_links(demo_pair):
    raw, bridged = demo_pair
    est = bridged.estimated
    assert est is not None and est.dtype == bool and est.size == bridged.n_edges
    assert raw.estimated is None
    assert bridged.summary()["network_estimated_edges"] == int(est.sum()) == 4014
    # Estimated links are two-way (one direction may be a mapped edge instead), timed as crow-fly × 1.3
    # at 50 km/h.
    t, h = bridged.tail[est], bridged.head[est]
    all_pairs = set(zip(bridged.tail.tolist(), bridged.head.tolist()))
    assert all((b, a) in all_pairs for a, b in zip(t.tolist(), h.tolist()))
    crow = np.hypot(bridged.x[t] - bridged.x[h], bridged.y[t] - bridged.y[h])
    assert np.allclose(bridged.seconds[est], np.maximum(crow * 1.3 / (50 / 3.6), 1e-3), rtol=1e-9)
    assert np.allclose(bridged.metres[est], crow * 1.3, rtol=1e-9)
    assert crow.max() <= 30_000
    # Every mapped edge survives unflagged with its own time.
    mapped = edge_dict(raw)
    new_edges = dict(zip(zip(bridged.osmid[bridged.tail].tolist(), bridged.osmid[bridged.head].tolist()),
                         zip(bridged.seconds.tolist(), est.tolist())))
    for key, seconds in mapped.items():
        got, flagged = new_edges[key]
        assert not flagged and got == pytest.approx(seconds)
    # Not a single estimated link joins two nodes of the same strongly connected piece of the raw network.
    assert np.all(raw.components[t] != raw.components[h])


def test_bridge_gaps_keeps_every_mapped_edge_unflagged(demo_pair):
    raw, bridged = demo_pair
    kept = set(zip(bridged.osmid[bridged.tail[~bridged.estimated]].tolist(),
                   bridged.osmid[bridged.head[~bridged.estimated]].tolist()))
    assert set(edge_dict(raw)) <= kept


def test_a_box_keeps_the_ways_reaching_it_whole():
    """A département's ways within its region's extract: every way with a node in the box, kept whole."""
    whole = read_pbf(LIECHTENSTEIN, "drive")
    box = (9.50, 47.10, 9.55, 47.15)  # Vaduz and around
    part = read_pbf(LIECHTENSTEIN, "drive", bbox=box)
    assert 0 < part.n_nodes < whole.n_nodes and set(part.osmid) <= set(whole.osmid)
    inside = (part.lon >= box[0]) & (part.lon <= box[2]) & (part.lat >= box[1]) & (part.lat <= box[3])
    kept_inside = (whole.lon >= box[0]) & (whole.lon <= box[2]) & (whole.lat >= box[1]) & (whole.lat <= box[3])
    assert inside.sum() == kept_inside.sum()  # nothing inside is lost
    assert (~inside).any()  # ways crossing the border are kept whole
    with pytest.raises(InputError, match="dans l'emprise du territoire"):
        read_pbf(LIECHTENSTEIN, "drive", bbox=(0.0, 0.0, 0.1, 0.1))
