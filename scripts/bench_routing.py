"""Routing benchmark: this pipeline against what a GIS analyst writes with osmnx + networkx.

Usage:
    python scripts/bench_routing.py                 # Liechtenstein, the demo, and a 250k-node synthetic grid
    python scripts/bench_routing.py --no-synthetic --repeat 5

Inputs (real, from ../shared/data and data/):

* ``liechtenstein``: ``osm/liechtenstein.osm.pbf`` (drive), the largest full extract here. Demand is a
  200 m grid over the extent of the road nodes; 20 sites are drawn (seed 0) among the grid points that
  are within reach of a road.
* ``demo``: the offline demo study (Saint-Brieuc – Loudéac: bridged partial network, 30,674 modelled
  cells, 34 real sites). osmnx cannot read the bridged links, so the analyst gets the same bridged
  network as a networkx graph, and snaps to the same snappable nodes (see docs/benchmarks.md).
* ``synthetic`` (labelled as such): a 500 × 500 grid graph, 100 m spacing, random speeds, 20 sites;
  routing stage only.

This pipeline: ``read_pbf`` → ``snap_points`` (sites k=1, units k=4) → ``route_to_sites`` (nearest and
second nearest) → ``unit_times``. The analyst: OSM XML written with pyosmium → ``osmnx.graph_from_xml``
(``simplify=False``, ``retain_all=True``) → edge ``travel_time`` → ``G.reverse()`` (these count as
reading) → ``ox.distance.nearest_nodes`` →
``nx.multi_source_dijkstra_path_length`` on the reversed graph (nearest time) → one
``nx.single_source_dijkstra_path_length`` per site (second nearest) → arrays. Both use the same speeds
and the same access-leg model (crow-fly × 1.3 at 30 km/h), so the times must agree; the script prints
the largest differences. Each stage is timed as the best of ``--repeat`` runs. The last line is
``speedup_vs_networkx: X.X``: networkx routing stage time / this pipeline's routing stage time, on
Liechtenstein.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np

from access import routing, speeds
from access.network import RoadNetwork, read_pbf, write_osm_xml
from access.routing import AccessModel, route_to_sites, snap_points, unit_times

REPO = Path(__file__).resolve().parents[1]
OSM = REPO.parent / "shared" / "data" / "osm"
N_SITES = 20


def best_of(repeat: int, func, *args, **kwargs):
    """(best wall time in seconds, result of the last call)."""
    best, result = np.inf, None
    for _ in range(repeat):
        routing._TREES.clear()  # no KD-tree reuse between runs: every run pays the cold cost
        start = time.perf_counter()
        result = func(*args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


pbf_to_osm_xml = write_osm_xml  # the analyst's input: the usable ways as OSM XML, for osmnx


def add_travel_times(graph) -> None:
    """Edge ``travel_time`` with this package's speed rules (maxspeed, else the French class default)."""
    for _, _, data in graph.edges(data=True):
        highway = data.get("highway", "")
        maxspeed = data.get("maxspeed")
        tags = {"highway": highway[0] if isinstance(highway, list) else highway}
        if maxspeed is not None:
            tags["maxspeed"] = ";".join(maxspeed) if isinstance(maxspeed, list) else maxspeed
        data["travel_time"] = max(data["length"] / (speeds.way_speed_kmh(tags, "drive") / 3.6), 1e-3)


def graph_from_network(net: RoadNetwork):
    """networkx MultiDiGraph of a RoadNetwork (projected x, y), as osmnx would hold it."""
    graph = nx.MultiDiGraph(crs=net.crs)
    graph.add_nodes_from((int(i), {"x": float(x), "y": float(y)}) for i, x, y in
                         zip(net.osmid, net.x, net.y))
    graph.add_edges_from((int(u), int(v), {"travel_time": float(s)}) for u, v, s in
                         zip(net.osmid[net.tail], net.osmid[net.head], net.seconds))
    return graph


def nx_routing(rev, site_nodes: list, site_leg_s: np.ndarray, order: list):
    """The analyst's routing stage on the reversed graph ``rev`` (``G.reverse()``, made beforehand).

    Nearest time from ``multi_source_dijkstra_path_length`` (sites joined by virtual nodes carrying
    their access legs), then one Dijkstra per site for the second nearest, then arrays in ``order``.
    The virtual nodes are removed again before returning.
    """
    virtual = [("site", i) for i in range(len(site_nodes))]
    for v, node, leg in zip(virtual, site_nodes, site_leg_s):
        rev.add_edge(v, node, travel_time=max(float(leg), 1e-3))
    nearest = nx.multi_source_dijkstra_path_length(rev, virtual, weight="travel_time")
    time1 = np.array([nearest.get(node, np.inf) for node in order])
    table = np.full((len(site_nodes), len(order)), np.inf)
    position = {node: i for i, node in enumerate(order)}
    for i, v in enumerate(virtual):
        for node, seconds in nx.single_source_dijkstra_path_length(rev, v, weight="travel_time").items():
            j = position.get(node)
            if j is not None:
                table[i, j] = seconds
    site1 = np.where(np.isfinite(time1), np.argmin(table, axis=0), -1)
    others = table.copy()
    reached = np.flatnonzero(site1 >= 0)
    others[site1[reached], reached] = np.inf
    site2 = np.argmin(others, axis=0)
    time2 = others[site2, np.arange(len(order))]
    rev.remove_nodes_from(virtual)
    return time1, site1, time2, np.where(np.isfinite(time2), site2, -1)


def ours(net: RoadNetwork, site_x, site_y, unit_x, unit_y, model: AccessModel):
    """This pipeline after reading: snap, route (two nearest), unit times; per-stage seconds."""
    stages = {}
    t = time.perf_counter()
    site_snap = snap_points(net, site_x, site_y, model.max_distance_m, k=1)
    unit_snap = snap_points(net, unit_x, unit_y, model.max_distance_m, k=routing.UNIT_SNAP_CANDIDATES)
    stages["snap"] = time.perf_counter() - t
    site_nodes = site_snap.nodes[:, 0]
    site_legs = model.seconds(site_snap.metres[:, 0])
    t = time.perf_counter()
    node_times = route_to_sites(net, site_nodes, site_legs, second=True)
    stages["route"] = time.perf_counter() - t
    t = time.perf_counter()
    times = unit_times(node_times, unit_snap, model)
    stages["units"] = time.perf_counter() - t
    return stages, dict(site_nodes=site_nodes, site_legs=site_legs, node_times=node_times,
                        unit_snap=unit_snap, times=times)


def best_stages(repeat, func, *args):
    best, result = None, None
    for _ in range(repeat):
        routing._TREES.clear()
        stages, result = func(*args)
        best = stages if best is None else {k: min(best[k], v) for k, v in stages.items()}
    return best, result


def analyst(graph, rev, site_xy, unit_xy, model: AccessModel, order: list):
    """The analyst after building the graph (and its reverse): nearest_nodes, routing, unit times.

    ``graph`` is the one points are snapped to; ``rev`` the reversed graph routed on.
    """
    import osmnx as ox

    stages = {}
    t = time.perf_counter()
    site_nodes, site_d = ox.distance.nearest_nodes(graph, site_xy[0], site_xy[1], return_dist=True)
    unit_nodes, unit_d = ox.distance.nearest_nodes(graph, unit_xy[0], unit_xy[1], return_dist=True)
    stages["snap"] = time.perf_counter() - t
    site_legs = model.seconds(np.asarray(site_d))
    t = time.perf_counter()
    time1, site1, time2, site2 = nx_routing(rev, list(site_nodes), site_legs, order)
    stages["route"] = time.perf_counter() - t
    t = time.perf_counter()
    position = {node: i for i, node in enumerate(order)}
    idx = np.array([position[n] for n in unit_nodes])
    leg = model.seconds(np.asarray(unit_d))
    unit_time = np.where(np.asarray(unit_d) <= model.max_distance_m, leg + time1[idx], np.inf)
    stages["units"] = time.perf_counter() - t
    return stages, dict(time1=time1, site1=site1, time2=time2, site2=site2, unit_nodes=np.asarray(unit_nodes),
                        unit_time=unit_time, site_nodes=np.asarray(site_nodes))


def compare(name, net, mine, theirs, model, unit_x, unit_y):
    """Largest differences between the two pipelines (node times, and unit times at k=1)."""
    nt = mine["node_times"]
    f1 = np.isfinite(nt.time1) & np.isfinite(theirs["time1"])
    f2 = np.isfinite(nt.time2) & np.isfinite(theirs["time2"])
    same_inf = (np.array_equal(np.isinf(nt.time1), np.isinf(theirs["time1"]))
                and np.array_equal(np.isinf(nt.time2), np.isinf(theirs["time2"])))
    d1 = float(np.max(np.abs(nt.time1[f1] - theirs["time1"][f1])))
    d2 = float(np.max(np.abs(nt.time2[f2] - theirs["time2"][f2])))
    # Unit times with one candidate node, where both pipelines snapped to the same node.
    snap1 = snap_points(net, unit_x, unit_y, model.max_distance_m, k=1)
    k1 = unit_times(nt, snap1, model)
    their_nodes = np.searchsorted(net.osmid, theirs["unit_nodes"])
    same = (snap1.nodes[:, 0] == their_nodes) & np.isfinite(k1.time1) & np.isfinite(theirs["unit_time"])
    du = float(np.max(np.abs(k1.time1[same] - theirs["unit_time"][same]))) if same.any() else float("nan")
    k4_gain = np.isfinite(mine["times"].time1) & np.isfinite(k1.time1)
    gain = float(np.mean(k1.time1[k4_gain] - mine["times"].time1[k4_gain])) if k4_gain.any() else 0.0
    print(f"[{name}] agreement: max |Δ nearest| {d1:.2e} s over {f1.sum():,} nodes, "
          f"max |Δ second| {d2:.2e} s over {f2.sum():,} nodes, unreachable sets equal: {same_inf}; "
          f"unit times (1 candidate, same node, {same.sum():,} units) max |Δ| {du:.2e} s; "
          f"4 candidates instead of 1 shorten unit times by {gain:.1f} s on average")
    return max(d1, d2, du if np.isfinite(du) else 0.0)


def report(name, mine_read, mine, their_read, theirs):
    """Stage table; ``their_read=None`` when the analyst has no comparable reading step (not totalled)."""
    rows = [("read / build graph", mine_read, their_read), ("snap", mine["snap"], theirs["snap"]),
            ("route (nearest + second)", mine["route"], theirs["route"]),
            ("unit times", mine["units"], theirs["units"])]
    print(f"[{name}] {'stage':<26}{'this pipeline':>15}{'osmnx+networkx':>16}{'ratio':>9}")
    for label, a, b in rows:
        if b is None:
            print(f"[{name}] {label:<26}{a:>14.4f}s{'n/a':>16}{'':>9}")
        else:
            print(f"[{name}] {label:<26}{a:>14.4f}s{b:>15.4f}s{b / a:>8.1f}×")
    counted = [r for r in rows if r[2] is not None]
    total_a, total_b = sum(r[1] for r in counted), sum(r[2] for r in counted)
    label = "total" if len(counted) == len(rows) else "total (without reading)"
    print(f"[{name}] {label:<26}{total_a:>14.4f}s{total_b:>15.4f}s{total_b / total_a:>8.1f}×")
    return theirs["route"] / mine["route"]


def nearest_only(name, net, site_nodes, site_legs, rev, analyst_sites, repeat):
    """Nearest site only: route_to_sites(second=False) vs nx.multi_source_dijkstra_path_length."""
    mine, _ = best_of(repeat, route_to_sites, net, site_nodes, site_legs, second=False)
    virtual = [("site", i) for i in range(len(analyst_sites))]
    for v, node, leg in zip(virtual, analyst_sites, site_legs):
        rev.add_edge(v, node, travel_time=max(float(leg), 1e-3))
    theirs, _ = best_of(repeat, nx.multi_source_dijkstra_path_length, rev, virtual, weight="travel_time")
    rev.remove_nodes_from(virtual)
    print(f"[{name}] nearest only: route_to_sites {mine:.4f} s, networkx multi-source {theirs:.4f} s, "
          f"{theirs / mine:.1f}×")


def bench_liechtenstein(repeat: int) -> float:
    import osmnx as ox

    pbf = OSM / "liechtenstein.osm.pbf"
    read_s, net = best_of(repeat, read_pbf, pbf, mode="drive")
    model = AccessModel()
    x0, y0 = np.floor(net.x.min() / 200) * 200, np.floor(net.y.min() / 200) * 200
    gx, gy = np.meshgrid(np.arange(x0 + 100, net.x.max(), 200), np.arange(y0 + 100, net.y.max(), 200))
    unit_x, unit_y = gx.ravel(), gy.ravel()
    reach = snap_points(net, unit_x, unit_y, model.max_distance_m, k=1).on_road
    # Sites: grid points within reach of a road, moved off the grid, whose nearest road node of all is
    # snappable (the analyst snaps to any node, fragments included: same sites, same nodes).
    from scipy.spatial import cKDTree

    cand_x, cand_y = unit_x[reach] + 37.0, unit_y[reach] - 53.0
    dist, nearest_any = cKDTree(np.column_stack([net.x, net.y])).query(np.column_stack([cand_x, cand_y]))
    ok = np.flatnonzero(net.snappable[nearest_any] & (dist <= model.max_distance_m))
    pick = np.random.default_rng(0).choice(ok, N_SITES, replace=False)
    site_x, site_y = cand_x[pick], cand_y[pick]
    print(f"[liechtenstein] network {net.n_nodes:,} nodes, {net.n_edges:,} edges; {unit_x.size:,} grid "
          f"points (200 m), {int(reach.sum()):,} within {model.max_distance_m:.0f} m of a road; {N_SITES} sites")
    mine, mine_res = best_stages(repeat, ours, net, site_x, site_y, unit_x, unit_y, model)

    with tempfile.TemporaryDirectory() as folder:
        xml = Path(folder) / "liechtenstein.osm"

        def build():
            pbf_to_osm_xml(pbf, xml)
            graph = ox.graph_from_xml(xml, simplify=False, retain_all=True)
            add_travel_times(graph)
            return graph, graph.reverse(copy=True)

        their_read, (graph, rev) = best_of(repeat, build)
    # The analyst's points are in WGS84 (the graph is unprojected: nearest_nodes uses a haversine BallTree).
    from pyproj import Transformer

    to_wgs = Transformer.from_crs(net.crs, "EPSG:4326", always_xy=True)
    order = [int(o) for o in net.osmid]
    theirs, their_res = best_stages(repeat, analyst, graph, rev, to_wgs.transform(site_x, site_y),
                                    to_wgs.transform(unit_x, unit_y), model, order)
    same_sites = np.array_equal(net.osmid[mine_res["site_nodes"]], their_res["site_nodes"])
    print(f"[liechtenstein] both pipelines snapped the {N_SITES} sites to the same road nodes: {same_sites}")
    compare("liechtenstein", net, mine_res, their_res, model, unit_x, unit_y)
    speedup = report("liechtenstein", read_s, mine, their_read, theirs)
    nearest_only("liechtenstein", net, mine_res["site_nodes"], mine_res["site_legs"], rev,
                 list(their_res["site_nodes"]), repeat)
    return speedup


def bench_demo(repeat: int) -> float:
    from access.analysis import snap_sites
    from access.crs import to_projected
    from access.territory import get_territory, load_network

    territory = get_territory("st-brieuc-loudeac")
    read_s, net = best_of(repeat, load_network, territory)
    from access.territory import load_study

    study = load_study()
    net = study.network
    units = study.demand.to_crs(net.crs).units
    unit_x, unit_y = units["x"].to_numpy(), units["y"].to_numpy()
    site_x, site_y = to_projected(study.sites.geometry.x.to_numpy(), study.sites.geometry.y.to_numpy(), net.crs)
    model = study.access
    print(f"[demo] bridged partial network {net.n_nodes:,} nodes, {net.n_edges:,} edges; {unit_x.size:,} cells; "
          f"{len(study.sites)} sites; access up to {model.max_distance_m:.0f} m")
    nodes, _, _ = snap_sites(study)
    assert (nodes >= 0).all(), "every demo site is within reach"
    mine, mine_res = best_stages(repeat, ours, net, site_x, site_y, unit_x, unit_y, model)
    convert_s, graph = best_of(repeat, graph_from_network, net)
    rev = graph.reverse(copy=True)
    # Same snapping rule as this pipeline: the bridged demo keeps a few mapped one-way stretches that
    # lead nowhere (not snappable); snapping a site there would compare different inputs.
    snap_graph = graph.subgraph([int(o) for o in net.osmid[net.snappable]]).copy()
    order = [int(o) for o in net.osmid]
    theirs, their_res = best_stages(repeat, analyst, snap_graph, rev, (site_x, site_y), (unit_x, unit_y),
                                    model, order)
    same_sites = np.array_equal(net.osmid[mine_res["site_nodes"]], their_res["site_nodes"])
    print(f"[demo] both pipelines snapped the {len(site_x)} sites to the same road nodes: {same_sites}")
    compare("demo", net, mine_res, their_res, model, unit_x, unit_y)
    print(f"[demo] osmnx cannot build the bridged network: the analyst gets it as a networkx graph "
          f"(conversion {convert_s:.3f} s, not counted); reading here = read_pbf + bridge_gaps")
    speedup = report("demo", read_s, mine, None, theirs)
    nearest_only("demo", net, mine_res["site_nodes"], mine_res["site_legs"], rev,
                 list(their_res["site_nodes"]), repeat)
    return speedup


def synthetic_grid(side: int, spacing_m: float = 100.0, seed: int = 0) -> RoadNetwork:
    """Synthetic ``side`` × ``side`` two-way grid, speeds drawn uniformly in 20–90 km/h per edge."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side).reshape(side, side)
    right = np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()])
    down = np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])
    pairs = np.vstack([right, down])
    tail = np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.int32)
    head = np.concatenate([pairs[:, 1], pairs[:, 0]]).astype(np.int32)
    seconds = spacing_m / (rng.uniform(20, 90, tail.size) / 3.6)
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    x, y = (col.ravel() * spacing_m).astype(float), (row.ravel() * spacing_m).astype(float)
    return RoadNetwork(osmid=np.arange(side * side, dtype=np.int64), lon=x, lat=y, x=x, y=y, crs="EPSG:2154",
                       tail=tail, head=head, seconds=seconds, metres=np.full(tail.size, spacing_m),
                       mode="drive", source="synthetic grid")


def bench_synthetic(side: int, repeat: int) -> None:
    net = synthetic_grid(side)
    rng = np.random.default_rng(1)
    site_nodes = rng.choice(net.n_nodes, N_SITES, replace=False)
    site_legs = rng.uniform(0, 120, N_SITES)
    print(f"[synthetic] grid {side}×{side}: {net.n_nodes:,} nodes, {net.n_edges:,} edges, {N_SITES} sites")
    mine1, _ = best_of(repeat, route_to_sites, net, site_nodes, site_legs, second=False)
    mine2, res = best_of(repeat, route_to_sites, net, site_nodes, site_legs, second=True)
    t = time.perf_counter()
    rev = nx.DiGraph()  # built reversed directly
    rev.add_weighted_edges_from(zip(net.head.tolist(), net.tail.tolist(), net.seconds.tolist()),
                                weight="travel_time")
    build = time.perf_counter() - t
    t = time.perf_counter()
    time1, site1, time2, site2 = nx_routing(rev, site_nodes.tolist(), site_legs, list(range(net.n_nodes)))
    theirs = time.perf_counter() - t
    virtual = [("site", i) for i in range(N_SITES)]
    for v, node, leg in zip(virtual, site_nodes.tolist(), site_legs):
        rev.add_edge(v, node, travel_time=max(float(leg), 1e-3))
    t = time.perf_counter()
    nx.multi_source_dijkstra_path_length(rev, virtual, weight="travel_time")
    theirs1 = time.perf_counter() - t
    d1 = np.max(np.abs(res.time1 - time1))
    d2 = np.max(np.abs(res.time2 - time2))
    print(f"[synthetic] agreement: max |Δ nearest| {d1:.2e} s, max |Δ second| {d2:.2e} s")
    print(f"[synthetic] networkx graph build {build:.2f} s (not counted)")
    print(f"[synthetic] nearest only: route_to_sites {mine1:.3f} s, networkx multi-source {theirs1:.3f} s, "
          f"{theirs1 / mine1:.1f}×")
    print(f"[synthetic] nearest + second: route_to_sites {mine2:.3f} s, networkx (multi-source + "
          f"{N_SITES} Dijkstras) {theirs:.3f} s, {theirs / mine2:.1f}×")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; the best time is kept")
    parser.add_argument("--no-synthetic", action="store_true", help="skip the synthetic grid")
    parser.add_argument("--synthetic-side", type=int, default=500, help="side of the synthetic grid")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, networkx {nx.__version__}, numpy {np.__version__}")
    bench_demo(args.repeat)
    if not args.no_synthetic:
        bench_synthetic(args.synthetic_side, max(1, min(args.repeat, 2)))
    speedup = bench_liechtenstein(args.repeat)
    print(f"speedup_vs_networkx: {speedup:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
