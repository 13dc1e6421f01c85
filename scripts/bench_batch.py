"""What a national batch costs: one département measured, the country projected.

One département's task is: read the OSM extract, build and (when partial) bridge the network, join
the grid cells and the sites, route to the two nearest sites, evaluate, and do it again with the
neighbouring départements' sites (« any site »), then write its row. This script measures:

* **reading** on the real extracts of ``../shared/data/osm`` (MB per second of ``.osm.pbf``);
* **the rest** on synthetic grids of département size (labelled: square two-way grids, 200 m edges,
  30–90 km/h, seed 0; cells and sites at random points, seeds 1 and 2), 250,000 to 1,000,000
  nodes (``--quick``: 10,000 and 40,000), timed by stage;

and projects the national wall time from per-département sizes stated as assumptions (printed):
network nodes ∝ communes, cells ∝ population, extract size ∝ nodes. The last line is
``national_projection_minutes_2cores: X``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench_routing import synthetic_grid  # noqa: E402

from access30.network.roads import read_pbf  # noqa: E402
from access30.routing.roads import AccessModel, join_points, route_to_sites, unit_pairs, unit_times  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
#: Assumptions of the projection (stated in the output and in docs/benchmarks.md).
NODES_PER_COMMUNE = 1_500          # a drive network of 10^5–10^6 nodes per département
MIN_NODES, MAX_NODES = 100_000, 1_000_000
PEOPLE_PER_CELL = 29.0             # 67 M inhabitants in about 2.3 M inhabited 200 m cells (Filosofi)
BYTES_PER_NODE = 120.0             # OSM extract bytes per drive-network node (buildings, POIs included)
SITES_PER_DEPARTEMENT = 150
ROUTINGS = 2                       # sites of the département, then any site


def read_rate() -> float:
    """MB per second read by read_pbf on the real extracts (the largest one drives the figure)."""
    best = 0.0
    for name in ("liechtenstein.osm.pbf", "st_brieuc_loudeac.osm.pbf"):
        path = SHARED / "osm" / name
        if not path.is_file():
            continue
        started = time.perf_counter()
        net = read_pbf(path)
        seconds = time.perf_counter() - started
        size = path.stat().st_size / 1e6
        print(f"[read] {name}: {size:.2f} MB, {net.n_nodes:,} nodes in {seconds:.2f} s ({size / seconds:.1f} MB/s)")
        best = max(best, size / seconds)
    return best


def stage_times(side: int, cells: int, sites: int) -> dict[str, float]:
    """Seconds per stage on a ``side`` × ``side`` synthetic grid."""
    out = {}
    started = time.perf_counter()
    net = synthetic_grid(side)
    out["build"] = time.perf_counter() - started
    extent = side * 200.0
    rng_u, rng_s = np.random.default_rng(1), np.random.default_rng(2)
    ux, uy = rng_u.uniform(0, extent, cells), rng_u.uniform(0, extent, cells)
    sx, sy = rng_s.uniform(0, extent, sites), rng_s.uniform(0, extent, sites)
    model = AccessModel(max_distance_m=1000.0)
    started = time.perf_counter()
    units = join_points(net, ux, uy, model)
    site_join = join_points(net, sx, sy, model)
    out["join"] = time.perf_counter() - started
    started = time.perf_counter()
    node_times = route_to_sites(net, site_join, second=True)
    out["route"] = time.perf_counter() - started
    started = time.perf_counter()
    times = unit_times(node_times, units, unit_pairs(units, site_join, model))
    out["evaluate"] = time.perf_counter() - started
    assert np.isfinite(times.time1).mean() > 0.99, "synthetic grid: every cell reaches a site"
    out["nodes"] = float(net.n_nodes)
    import resource

    out["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    return out


def task_overhead() -> float:
    """Seconds of one real département task whose network is tiny (the demo extract as the Côtes-d'Armor's):
    national lists, the neighbours' merged site lists, two evaluations, the row; added to every département."""
    import shutil
    import tempfile

    from access30.national.batch import BatchOptions, departement_task

    with tempfile.TemporaryDirectory() as folder:
        shutil.copy(SHARED / "osm" / "st_brieuc_loudeac.osm.pbf", Path(folder) / "22.osm.pbf")
        row = departement_task("22", BatchOptions(networks_dir=Path(folder), partial_network=True,
                                                   cache_dir=Path(folder)))
    assert row.status == "ok", row.error
    print(f"[task] département 22 on the demo extract (1,084 nodes, {row.population_total:,.0f} inhabitants at "
          f"348 town halls, {row.neighbour_sites} neighbouring sites): {row.seconds:.1f} s, "
          f"peak {row.peak_rss_mb:,.0f} MB")
    return float(row.seconds)


def departement_sizes() -> pd.DataFrame:
    """Per département: communes, population, and the assumed nodes, cells and extract size."""
    from access30.base.io import read_table
    from access30.base.settings import NATIONAL_COMMUNES, data_path
    from access30.national.batch import town_halls

    table = read_table(data_path(NATIONAL_COMMUNES))
    table = table[table["type"] == "COM"]
    grouped = table.assign(pop=pd.to_numeric(table["population_municipale"], errors="coerce")).groupby(
        "departement").agg(communes=("code", "size"), population=("pop", "sum")).reset_index()
    grouped = grouped[grouped["departement"].isin(set(town_halls()["departement"]))]
    grouped["nodes"] = np.clip(grouped["communes"] * NODES_PER_COMMUNE, MIN_NODES, MAX_NODES)
    grouped["cells"] = grouped["population"] / PEOPLE_PER_CELL
    grouped["megabytes"] = grouped["nodes"] * BYTES_PER_NODE / 1e6
    return grouped


def project(sizes: pd.DataFrame, per_node: float, per_cell: float, rate_mb_s: float, overhead_s: float) -> pd.Series:
    """Seconds per département: a fixed overhead + read + (build, join, route, evaluate) × routings, linear in
    nodes and cells."""
    return (overhead_s + sizes["megabytes"] / rate_mb_s
            + ROUTINGS * (per_node * sizes["nodes"] + per_cell * sizes["cells"]))


def wall_minutes(seconds: pd.Series, workers: int) -> float:
    """Longest-first greedy assignment of tasks to workers (what the scheduler achieves at best)."""
    loads = np.zeros(workers)
    for value in sorted(seconds, reverse=True):
        loads[loads.argmin()] += value
    return float(loads.max() / 60.0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small grids (for the tests)")
    args = parser.parse_args()
    sides = (100, 200) if args.quick else (500, 707, 1000)
    cells = 5_000 if args.quick else 100_000
    rate = read_rate()
    overhead = task_overhead()
    rows = []
    for side in sides:
        t = stage_times(side, cells, SITES_PER_DEPARTEMENT)
        rows.append(t)
        print(f"[grid {side}×{side}] {t['nodes']:,.0f} nodes, {cells:,} cells, {SITES_PER_DEPARTEMENT} sites: "
              f"build {t['build']:.2f} s, join {t['join']:.2f} s, route (two nearest) {t['route']:.2f} s, "
              f"evaluate {t['evaluate']:.2f} s; peak memory of the process so far {t['peak_rss_mb']:,.0f} MB")
    largest = rows[-1]
    per_node = (largest["build"] + largest["route"]) / largest["nodes"]
    per_cell = (largest["join"] + largest["evaluate"]) / cells
    sizes = departement_sizes()
    seconds = project(sizes, per_node, per_cell, rate, overhead)
    print(f"[assumptions] nodes = {NODES_PER_COMMUNE} × communes within [{MIN_NODES:,}, {MAX_NODES:,}]; cells = "
          f"population / {PEOPLE_PER_CELL:g}; extract = {BYTES_PER_NODE:g} bytes per node; {ROUTINGS} routings "
          f"per département (own sites, any site); {overhead:.1f} s of fixed work per département")
    print(f"[projection] {len(sizes)} départements, {sizes['nodes'].sum():,.0f} nodes and "
          f"{sizes['cells'].sum():,.0f} cells in all; largest task {seconds.max():.0f} s "
          f"(département {sizes.loc[seconds.idxmax(), 'departement']}); sum {seconds.sum() / 60:.1f} min")
    for workers in (8, 32):
        print(f"[projection] {workers} workers: {wall_minutes(seconds, workers):.1f} min")
    print(f"national_projection_minutes_2cores: {wall_minutes(seconds, 2):.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
