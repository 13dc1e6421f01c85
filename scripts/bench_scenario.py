"""Benchmark: scenario updates (add / close one site) against a full rerun, and map building.

Usage: ``python scripts/bench_scenario.py [--quick]`` (offline demo, Saint-Brieuc – Loudéac). Prints a
Markdown table; median of ``--repeat`` runs for each step (one with ``--quick``). Every fast result is
checked equal to the full run. The last line is ``add_site_with_indicators_s: X``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np


def timed(fn, repeat: int):
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--mode", default="drive", choices=["drive", "walk"])
    parser.add_argument("--quick", action="store_true", help="one run per step (a smoke test)")
    args = parser.parse_args()
    if args.quick:
        args.repeat = 1
    from access30.coverage import scenario as sc
    from access30.coverage.engine import evaluate, route, run_coverage
    from access30.inputs.assemble import load_study
    from access30.outputs import webmap

    study = load_study(mode=args.mode)
    routing = route(study)
    base = sc.start(study, routing)
    r = args.repeat
    rows = []
    t_full, full0 = timed(lambda: run_coverage(study, 30.0), r)
    rows.append((f"Full run (route + evaluate), {len(study.sites)} sites", t_full))
    t_eval, _ = timed(lambda: evaluate(study, routing, 30.0), r)
    rows.append(("evaluate only (indicators from routed times)", t_eval))
    lon, lat = -2.9616519, 48.33565  # Harmoye town hall
    t_add, state = timed(lambda: sc.add_site(study, base, lon, lat, "Essai", "ccas"), r)
    rows.append(("Add one site: bounded search + element-wise minimum", t_add))
    t_add_eval, fast = timed(
        lambda: sc.evaluate_scenario(study, routing, sc.add_site(study, base, lon, lat, "Essai", "ccas"), 30.0), r)
    rows.append(("Add one site, indicators included (what the app waits for)", t_add_eval))
    t_add_full, full = timed(lambda: run_coverage(sc.scenario_study(study, state), 30.0), r)
    rows.append(("Same change by a full rerun", t_add_full))
    assert np.allclose(fast.units["time_min"], full.units["time_min"], equal_nan=True, rtol=0, atol=1e-9)
    busiest = full0.sites.sort_values("catchment_population").site_id.iloc[-1]
    t_close, closed = timed(lambda: sc.close_site(study, base, busiest), r)
    rows.append((f"Close the busiest site ({busiest})", t_close))
    fast_c = sc.evaluate_scenario(study, routing, closed, 30.0)
    full_c = run_coverage(sc.scenario_study(study, closed), 30.0)
    assert np.allclose(fast_c.units["time2_min"], full_c.units["time2_min"], equal_nan=True)
    points = study.communes.to_crs("EPSG:4326")
    t_gain, _ = timed(lambda: sc.candidate_gains(study, routing, base, points["mairie_lon"].astype(float),
                                                 points["mairie_lat"].astype(float), 30.0), r)
    rows.append((f"Gains of {len(points)} candidate town halls", t_gain))
    t_areas, areas = timed(lambda: webmap.class_areas(fast), r)
    rows.append((f"Map: dissolve {len(fast.units):,} cells by commune × time class → {len(areas)} polygons", t_areas))
    t_map, fmap = timed(lambda: webmap.build_map(fast, study.communes, areas), r)
    rows.append(("Map: build the folium map", t_map))
    t_html, page = timed(lambda: fmap.get_root().render(), r)
    rows.append((f"Map: render HTML ({len(page) / 1e6:.2f} MB incl. ~0.35 MB of embedded Leaflet/jQuery)", t_html))
    print(f"Demo Saint-Brieuc – Loudéac, mode {args.mode}, {study.network.n_nodes:,} nodes, "
          f"{len(study.demand.units):,} "
          f"cells; median of {r} runs\n")
    print("| Step | Seconds |\n| --- | ---: |")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.3f} |")
    print(f"add_site_with_indicators_s: {t_add_eval:.3f}")


if __name__ == "__main__":
    main()
