"""Routing benchmark: this pipeline against what a GIS analyst writes with osmnx + networkx, and at scale.

Usage:
    python scripts/bench_routing.py            # Liechtenstein vs osmnx + networkx, the demo, the scale grid
    python scripts/bench_routing.py --scale    # only the 700 × 700 synthetic grid (490,000 nodes, 300 sites)
    python scripts/bench_routing.py --quick    # a few seconds: small inputs, every code path (run by the tests)
    python scripts/bench_routing.py --scale --compare-old --compare-numba   # the options measured

Inputs (real, from ../shared/data and data/):

* ``liechtenstein``: ``osm/liechtenstein.osm.pbf`` (drive), the largest full extract here. Demand is a
  200 m grid over the extent of the road nodes; 20 sites are grid points moved off the grid (seed 0).
* ``demo``: the offline demo study (Saint-Brieuc – Loudéac: bridged partial network, 27,354 modelled
  cells or pieces of cells, 32 real sites; before 2026-12-07: 30,674 cells, 34 sites); this pipeline only
  (osmnx cannot build the bridged network).
* ``scale`` (synthetic, labelled as such): a 700 × 700 two-way grid, 200 m edges, speeds 30–90 km/h
  (seed 0), 300 sites at random points (seed 1), routing stage only.

Both pipelines follow the same model: points join the nearest road segment at their projection (one-way
streets respected), access legs are crow-fly × 1.3 at 30 km/h, units also get the direct leg to every
site within the access distance. The analyst: OSM XML written with pyosmium → ``osmnx.graph_from_xml``
(``simplify=False``) → edge ``travel_time`` → ``ox.project_graph`` (these count as reading) →
``ox.distance.nearest_edges`` → every edge split at the projections, units and sites added as nodes,
direct legs from a KD-tree (snap) → ``nx.multi_source_dijkstra_path_length`` from the sites on the
reversed graph and one ``nx.single_source_dijkstra_path_length`` per site (route) → the two nearest
sites per unit (units). The script prints the largest differences between the two pipelines' unit
times, which must be ~0. Each stage is timed as the best of ``--repeat`` runs.

The last line is ``speedup_vs_networkx: X.X`` (networkx routing stage / this pipeline's routing stage,
on Liechtenstein), or ``scale_nearest_second_s: X`` with ``--scale``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.spatial import cKDTree

from access30.network.modes import MODES
from access30.network.roads import RoadNetwork, read_pbf, write_osm_xml
from access30.routing.roads import AccessModel, join_points, route_to_sites, unit_pairs, unit_times

REPO = Path(__file__).resolve().parents[1]
OSM = REPO.parent / "shared" / "data" / "osm"


def best_of(repeat: int, func, *args, fresh=None, **kwargs):
    """(best wall time in seconds, result of the last call); ``fresh()`` makes new arguments per run."""
    best, result = np.inf, None
    for _ in range(repeat):
        call_args = fresh() if fresh else args
        start = time.perf_counter()
        result = func(*call_args, **kwargs)
        best = min(best, time.perf_counter() - start)
    return best, result


def copy_network(net: RoadNetwork) -> RoadNetwork:
    """The same network without its cached segment index (every run pays the cold cost)."""
    from dataclasses import replace

    return replace(net)


# ------------------------------------------------------------------------------- this pipeline
def ours(net: RoadNetwork, site_xy, unit_xy, model: AccessModel):
    """Join, route (two nearest), unit times; per-stage seconds."""
    stages = {}
    t = time.perf_counter()
    sites = join_points(net, *site_xy, model)
    units = join_points(net, *unit_xy, model)
    pairs = unit_pairs(units, sites, model)
    stages["snap"] = time.perf_counter() - t
    t = time.perf_counter()
    node_times = route_to_sites(net, sites)
    stages["route"] = time.perf_counter() - t
    t = time.perf_counter()
    times = unit_times(node_times, units, pairs)
    stages["units"] = time.perf_counter() - t
    return stages, dict(sites=sites, units=units, times=times)


def best_stages(repeat, func, net, *args):
    best, result = None, None
    for _ in range(repeat):
        stages, result = func(copy_network(net), *args)
        best = stages if best is None else {k: min(best[k], v) for k, v in stages.items()}
    return best, result


# ------------------------------------------------------------------------------- the analyst
def add_travel_times(graph) -> None:
    """Edge ``travel_time`` with this package's speed rules (maxspeed, else the French class default)."""
    for _, _, data in graph.edges(data=True):
        highway = data.get("highway", "")
        maxspeed = data.get("maxspeed")
        tags = {"highway": highway[0] if isinstance(highway, list) else highway}
        if maxspeed is not None:
            tags["maxspeed"] = ";".join(maxspeed) if isinstance(maxspeed, list) else maxspeed
        data["travel_time"] = max(data["length"] / (MODES["drive"].way_speed_kmh(tags) / 3.6), 1e-3)


def analyst(graph, snap_graph, site_xy, unit_xy, model: AccessModel):
    """The analyst's pipeline after reading: snap by splitting edges, networkx Dijkstra, two nearest."""
    import osmnx as ox

    stages = {}
    t = time.perf_counter()
    aug = graph.copy()
    points = [("s", i, x, y) for i, (x, y) in enumerate(zip(*site_xy))] + \
             [("u", i, x, y) for i, (x, y) in enumerate(zip(*unit_xy))]
    xs = np.array([p[2] for p in points])
    ys = np.array([p[3] for p in points])
    edges, dist = ox.distance.nearest_edges(snap_graph, xs, ys, return_dist=True)
    on_edge: dict[tuple, list] = {}
    for (kind, i, x, y), (u, v, _), d in zip(points, edges, dist):
        if d > model.max_distance_m:
            continue
        a, b = (u, v) if u < v else (v, u)
        ax, ay = graph.nodes[a]["x"], graph.nodes[a]["y"]
        bx, by = graph.nodes[b]["x"], graph.nodes[b]["y"]
        length2 = (bx - ax) ** 2 + (by - ay) ** 2
        f = min(max(((x - ax) * (bx - ax) + (y - ay) * (by - ay)) / length2, 0.0), 1.0) if length2 else 0.0
        on_edge.setdefault((a, b), []).append((f, (kind, i), float(model.seconds(d))))
    for (a, b), items in on_edge.items():
        items.sort(key=lambda item: item[0])
        ab = min((e["travel_time"] for e in graph[a][b].values()), default=None) if graph.has_edge(a, b) else None
        ba = min((e["travel_time"] for e in graph[b][a].values()), default=None) if graph.has_edge(b, a) else None
        chain = [(0.0, a)] + [(f, ("p", name)) for f, name, _ in items] + [(1.0, b)]
        for (f0, n0), (f1, n1) in zip(chain[:-1], chain[1:]):
            if ab is not None:
                aug.add_edge(n0, n1, travel_time=(f1 - f0) * ab)
            if ba is not None:
                aug.add_edge(n1, n0, travel_time=(f1 - f0) * ba)
        for f, name, leg in items:
            if f in (0.0, 1.0):  # a projection on an end node is that node
                end = a if f == 0.0 else b
                aug.add_edge(("p", name), end, travel_time=0.0)
                aug.add_edge(end, ("p", name), travel_time=0.0)
            if name[0] == "u":
                aug.add_edge(name, ("p", name), travel_time=leg)
            else:
                aug.add_edge(("p", name), name, travel_time=leg)
    site_tree = cKDTree(np.column_stack(site_xy))
    unit_tree = cKDTree(np.column_stack(unit_xy))
    for u, sites in enumerate(unit_tree.query_ball_tree(site_tree, model.max_distance_m)):
        for s in sites:
            d = float(np.hypot(unit_xy[0][u] - site_xy[0][s], unit_xy[1][u] - site_xy[1][s]))
            aug.add_edge(("u", u), ("s", s), travel_time=float(model.seconds(d)))
    rev = aug.reverse(copy=False)
    stages["snap"] = time.perf_counter() - t
    t = time.perf_counter()
    n_sites, n_units = len(site_xy[0]), len(unit_xy[0])
    virtual = [("s", i) for i in range(n_sites) if ("s", i) in rev]
    nx.multi_source_dijkstra_path_length(rev, virtual, weight="travel_time")  # the nearest, as analysts do
    table = np.full((n_sites, n_units), np.inf)
    for v in virtual:
        for node, seconds in nx.single_source_dijkstra_path_length(rev, v, weight="travel_time").items():
            if isinstance(node, tuple) and node[0] == "u":
                table[v[1], node[1]] = seconds
    stages["route"] = time.perf_counter() - t
    t = time.perf_counter()
    site1 = np.argmin(table, axis=0)
    time1 = table[site1, np.arange(n_units)]
    others = table.copy()
    others[site1, np.arange(n_units)] = np.inf
    time2 = others.min(axis=0)
    stages["units"] = time.perf_counter() - t
    return stages, dict(time1=time1, time2=time2)


def compare(name, mine, theirs) -> float:
    """Largest difference between the two pipelines' unit times (nearest and second nearest)."""
    worst = 0.0
    for key in ("time1", "time2"):
        a, b = getattr(mine["times"], key), theirs[key]
        same = np.array_equal(np.isinf(a), np.isinf(b))
        finite = np.isfinite(a) & np.isfinite(b)
        diff = float(np.max(np.abs(a[finite] - b[finite]))) if finite.any() else 0.0
        worst = max(worst, diff if same else np.inf)
        print(f"[{name}] agreement on {key}: max |Δ| {diff:.2e} s over {finite.sum():,} units, "
              f"unreachable sets equal: {same}")
    return worst


def report(name, mine_read, mine, their_read, theirs) -> float:
    rows = [("read / build graph", mine_read, their_read), ("snap (join)", mine["snap"], theirs["snap"]),
            ("route (nearest + second)", mine["route"], theirs["route"]),
            ("unit times", mine["units"], theirs["units"])]
    print(f"[{name}] {'stage':<26}{'this pipeline':>15}{'osmnx+networkx':>16}{'ratio':>9}")
    for label, a, b in rows:
        print(f"[{name}] {label:<26}{a:>14.4f}s{b:>15.4f}s{b / a:>8.1f}×")
    total_a, total_b = sum(r[1] for r in rows), sum(r[2] for r in rows)
    print(f"[{name}] {'total':<26}{total_a:>14.4f}s{total_b:>15.4f}s{total_b / total_a:>8.1f}×")
    return theirs["route"] / mine["route"]


def bench_liechtenstein(repeat: int, n_units: int | None = None, n_sites: int = 20) -> float:
    import osmnx as ox

    pbf = OSM / "liechtenstein.osm.pbf"
    read_s, net = best_of(repeat, read_pbf, pbf, mode="drive")
    model = AccessModel()
    x0, y0 = np.floor(net.x.min() / 200) * 200, np.floor(net.y.min() / 200) * 200
    gx, gy = np.meshgrid(np.arange(x0 + 100, net.x.max(), 200), np.arange(y0 + 100, net.y.max(), 200))
    unit_x, unit_y = gx.ravel(), gy.ravel()
    rng = np.random.default_rng(0)
    if n_units is not None:
        keep = rng.choice(unit_x.size, n_units, replace=False)
        unit_x, unit_y = unit_x[keep], unit_y[keep]
    reach = join_points(net, unit_x, unit_y, model).on_road
    pick = rng.choice(np.flatnonzero(reach), n_sites, replace=False)
    site_x, site_y = unit_x[pick] + 37.0, unit_y[pick] - 53.0
    print(f"[liechtenstein] network {net.n_nodes:,} nodes, {net.n_edges:,} edges; {unit_x.size:,} grid points "
          f"(200 m), {int(reach.sum()):,} within {model.max_distance_m:.0f} m of a road; {n_sites} sites")
    mine, mine_res = best_stages(repeat, ours, net, (site_x, site_y), (unit_x, unit_y), model)
    with tempfile.TemporaryDirectory() as folder:
        xml = Path(folder) / "liechtenstein.osm"

        def build():
            write_osm_xml(pbf, xml)
            graph = ox.graph_from_xml(xml, simplify=False, retain_all=True)
            add_travel_times(graph)
            return ox.project_graph(graph, to_crs=net.crs)

        their_read, graph = best_of(repeat, build)
    # Points join the same pieces in both pipelines: fragments of fewer than 20 nodes are left out.
    snap_graph = graph.subgraph([int(o) for o in net.osmid[net.snappable]])
    theirs, their_res = None, None
    for _ in range(repeat):
        stages, their_res = analyst(graph, snap_graph, (site_x, site_y), (unit_x, unit_y), model)
        theirs = stages if theirs is None else {k: min(theirs[k], v) for k, v in stages.items()}
    compare("liechtenstein", mine_res, their_res)
    return report("liechtenstein", read_s, mine, their_read, theirs)


def bench_demo(repeat: int) -> None:
    from access30.coverage.engine import route
    from access30.inputs.assemble import load_study

    read_s, study = best_of(repeat, load_study)
    net = study.network
    route_s, routing = best_of(repeat, route, study, fresh=lambda: (study.with_sites(study.sites),))
    print(f"[demo] bridged partial network {net.n_nodes:,} nodes, {net.n_edges:,} edges; "
          f"{len(study.demand.units):,} cells; {len(study.sites)} sites; "
          f"access up to {study.access.max_distance_m:.0f} m")
    print(f"[demo] load_study (read, bridge, population, sites) {read_s:.3f} s; route (join, two nearest, "
          f"unit times) {route_s:.3f} s")


# ------------------------------------------------------------------------------- scale
def synthetic_grid(side: int, spacing_m: float = 200.0, seed: int = 0) -> RoadNetwork:
    """Synthetic ``side`` × ``side`` two-way grid, speeds drawn uniformly in 30–90 km/h per edge (labelled)."""
    rng = np.random.default_rng(seed)
    ids = np.arange(side * side).reshape(side, side)
    right = np.column_stack([ids[:, :-1].ravel(), ids[:, 1:].ravel()])
    down = np.column_stack([ids[:-1, :].ravel(), ids[1:, :].ravel()])
    pairs = np.vstack([right, down])
    tail = np.concatenate([pairs[:, 0], pairs[:, 1]]).astype(np.int32)
    head = np.concatenate([pairs[:, 1], pairs[:, 0]]).astype(np.int32)
    seconds = spacing_m / (rng.uniform(30, 90, tail.size) / 3.6)
    col, row = np.meshgrid(np.arange(side), np.arange(side))
    x, y = (col.ravel() * spacing_m).astype(float), (row.ravel() * spacing_m).astype(float)
    return RoadNetwork(osmid=np.arange(side * side, dtype=np.int64), lon=x, lat=y, x=x, y=y, crs="EPSG:2154",
                       tail=tail, head=head, seconds=seconds, metres=np.full(tail.size, spacing_m),
                       mode="drive", source="synthetic grid")


def per_site_second(net: RoadNetwork, sites, node_times) -> np.ndarray:
    """The former method: one bounded search per site for the second nearest (for comparison)."""
    from access30.routing.roads import site_search

    time2 = np.full(net.n_nodes, np.inf)
    for s in np.flatnonzero(sites.on_road):
        times, _ = site_search(net, sites.take([s]), node_times.second_cap_s)
        better = (times < time2) & (node_times.site1 != s)
        time2[better] = times[better]
    return time2


def numba_two_label(net: RoadNetwork, sites):
    """Option measured against the SciPy method: a compiled label-setting Dijkstra keeping two labels
    from distinct sites per node (numba, a binary heap). Exact; no faster than two SciPy runs (see docs)."""
    import numba

    from access30.routing.roads import _reverse_graph

    kernel = _two_label_kernel(numba)
    graph, idx, _ = _reverse_graph(net, sites, sites.on_road)
    starts = net.n_nodes + np.arange(idx.size)

    def run():
        return kernel(graph.indptr, graph.indices, graph.data, starts, np.zeros(idx.size), idx.astype(np.int64),
                      graph.shape[0])
    return run


def _two_label_kernel(numba):
    """Compile the two-label Dijkstra: per node, the first label of two distinct sources."""

    @numba.njit(cache=False)
    def push(heap_d, heap_v, heap_s, size, d, v, s):
        i = size
        heap_d[i], heap_v[i], heap_s[i] = d, v, s
        while i > 0:
            parent = (i - 1) >> 1
            if heap_d[parent] <= heap_d[i]:
                break
            heap_d[parent], heap_d[i] = heap_d[i], heap_d[parent]
            heap_v[parent], heap_v[i] = heap_v[i], heap_v[parent]
            heap_s[parent], heap_s[i] = heap_s[i], heap_s[parent]
            i = parent
        return size + 1

    @numba.njit(cache=False)
    def pop(heap_d, heap_v, heap_s, size):
        d, v, s = heap_d[0], heap_v[0], heap_s[0]
        size -= 1
        heap_d[0], heap_v[0], heap_s[0] = heap_d[size], heap_v[size], heap_s[size]
        i = 0
        while True:
            child = 2 * i + 1
            if child >= size:
                break
            if child + 1 < size and heap_d[child + 1] < heap_d[child]:
                child += 1
            if heap_d[i] <= heap_d[child]:
                break
            heap_d[child], heap_d[i] = heap_d[i], heap_d[child]
            heap_v[child], heap_v[i] = heap_v[i], heap_v[child]
            heap_s[child], heap_s[i] = heap_s[i], heap_s[child]
            i = child
        return d, v, s, size

    @numba.njit(cache=False)
    def kernel(indptr, indices, data, starts, start_d, start_s, n):
        cap = data.size * 2 + starts.size + 16
        heap_d, heap_v, heap_s = np.empty(cap), np.empty(cap, np.int64), np.empty(cap, np.int64)
        d1, s1 = np.full(n, np.inf), np.full(n, -1)
        d2, s2 = np.full(n, np.inf), np.full(n, -1)
        size = 0
        for k in range(starts.size):
            size = push(heap_d, heap_v, heap_s, size, start_d[k], starts[k], start_s[k])
        while size > 0:
            d, v, s, size = pop(heap_d, heap_v, heap_s, size)
            if s1[v] == -1:
                d1[v], s1[v] = d, s
            elif s2[v] == -1 and s != s1[v]:
                d2[v], s2[v] = d, s
            else:
                continue
            for e in range(indptr[v], indptr[v + 1]):
                w = indices[e]
                if s2[w] != -1 or s1[w] == s:
                    continue
                nd = d + data[e]
                if s1[w] == -1 or nd < d2[w]:
                    size = push(heap_d, heap_v, heap_s, size, nd, w, s)
        return d1, s1, d2, s2

    return kernel


def bench_scale(side: int, n_sites: int, repeat: int, compare_old: bool, compare_numba: bool = False) -> float:
    net = synthetic_grid(side)
    rng = np.random.default_rng(1)
    span = (side - 1) * 200.0
    sites = join_points(net, rng.uniform(0, span, n_sites), rng.uniform(0, span, n_sites), AccessModel())
    print(f"[scale] synthetic grid {side}×{side}: {net.n_nodes:,} nodes, {net.n_edges:,} edges, {n_sites} sites")
    nearest, _ = best_of(repeat, route_to_sites, net, sites, second=False)
    both, result = best_of(repeat, route_to_sites, net, sites)
    print(f"[scale] nearest only {nearest:.3f} s; nearest + exact second nearest {both:.3f} s "
          "(two Dijkstra runs: border labels between catchments)")
    if compare_old:
        old_s, time2 = best_of(1, per_site_second, net, sites, result)
        diff = float(np.max(np.abs(np.where(np.isfinite(time2), time2 - result.time2, 0.0))))
        print(f"[scale] former method (one bounded search per site for the second nearest): {old_s:.2f} s; "
              f"max |Δ second| {diff:.2e} s")
    if compare_numba:
        run = numba_two_label(net, sites)
        start = time.perf_counter()
        run()
        compile_s = time.perf_counter() - start
        numba_s, (d1, _, d2, _) = best_of(repeat, run)
        n = net.n_nodes
        diff = max(float(np.max(np.abs(d1[:n] - result.time1))),
                   float(np.max(np.abs(np.where(np.isfinite(result.time2), d2[:n] - result.time2, 0.0)))))
        print(f"[scale] option: numba two-label Dijkstra {numba_s:.3f} s (first call with compilation "
              f"{compile_s:.1f} s); max |Δ| {diff:.2e} s")
    return both


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per stage; the best time is kept")
    parser.add_argument("--scale", action="store_true", help="only the 700 × 700 synthetic grid, 300 sites")
    parser.add_argument("--quick", action="store_true", help="small inputs, one run each (a smoke test)")
    parser.add_argument("--compare-old", action="store_true",
                        help="with --scale: also time the former per-site searches for the second nearest")
    parser.add_argument("--compare-numba", action="store_true",
                        help="with --scale: also time a compiled two-label Dijkstra (needs numba)")
    args = parser.parse_args()
    print(f"python {sys.version.split()[0]}, networkx {nx.__version__}, numpy {np.__version__}")
    if args.quick:
        bench_scale(60, 30, 1, compare_old=True, compare_numba=True)
        bench_demo(1)
        speedup = bench_liechtenstein(1, n_units=300, n_sites=5)
        print(f"speedup_vs_networkx: {speedup:.1f}")
        return 0
    if args.scale:
        seconds = bench_scale(700, 300, args.repeat, args.compare_old, args.compare_numba)
        print(f"scale_nearest_second_s: {seconds:.3f}")
        return 0
    bench_demo(args.repeat)
    bench_scale(500, 300, max(1, min(args.repeat, 2)), compare_old=False)
    speedup = bench_liechtenstein(args.repeat)
    print(f"speedup_vs_networkx: {speedup:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
