"""Coverage of the demo territory by car, on foot, and at the hours people in work can come.

Prints the figures written in docs/benchmarks.md ("Walking and opening hours"):

    .venv/bin/python scripts/figures_modes.py [--threshold 30] [--quick]

``--quick`` stops after the car and walking figures (a smoke test). The last line is
``walk_share_covered: X``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from access30.base.fmt import fmt_int, fmt_min, plural
from access30.base.moments import format_when
from access30.coverage import hours as lens
from access30.coverage.compare import TOTAL_CODE, compare_modes
from access30.coverage.engine import evaluate, route, run_coverage
from access30.inputs import hours as H
from access30.inputs.assemble import load_study


def pct(x: float) -> str:
    from access30.base.fmt import fmt_pct

    return fmt_pct(x, sep=" ")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threshold", type=float, default=30.0)
    parser.add_argument("--quick", action="store_true", help="car and walking figures only")
    args = parser.parse_args()
    t0 = time.perf_counter()
    drive_study = load_study()
    routing = route(drive_study)
    drive = evaluate(drive_study, routing, args.threshold)
    walk = run_coverage(load_study(mode="walk"), args.threshold)
    s = drive.summary
    print(f"{s['territory']} — {fmt_int(s['population_total'], sep=' ')} habitants, {s['sites_total']} lieux "
          f"d'accueil, seuil {args.threshold:g} min")
    print(f"  en voiture          : {pct(drive.summary['share_covered'])} couverts "
          f"(médiane {fmt_min(drive.summary['median_time_min'])})")
    print(f"  à pied              : {pct(walk.summary['share_covered'])} couverts "
          f"(médiane {fmt_min(walk.summary['median_time_min'])})")
    if args.quick:
        print(f"walk_share_covered: {walk.summary['share_covered']:.4f}")
        return

    report = H.hours_report(drive_study.sites)
    print(f"  horaires des lieux  : {report['status'].value_counts().to_dict()}")
    for day in range(5):
        at = lens.coverage_at(drive_study, routing, (day, 18 * 60), args.threshold)
        print(f"  en voiture, {format_when(day, 18 * 60):15s}: {pct(at.summary['share_covered'])} couverts, "
              f"{plural(at.summary['sites_open'], 'lieu ouvert', 'lieux ouverts')} sur {at.summary['sites_all']}, "
              f"{at.summary['sites_hours_unknown']} aux horaires inconnus"
              + (f" (jusqu'à {pct(at.summary['share_covered_if_unknown_open'])} s'ils étaient ouverts)"
                 if at.summary['sites_hours_unknown'] else ""))
    morning = lens.coverage_at(drive_study, routing, "mardi 10:00", args.threshold)
    print(f"  en voiture, mardi 10:00     : {pct(morning.summary['share_covered'])} couverts, "
          f"{plural(morning.summary['sites_open'], 'lieu ouvert', 'lieux ouverts')}")
    workers = lens.coverage_for_workers(drive_study, routing, args.threshold)
    print(f"  en voiture, horaires accessibles aux actifs (après 17:30 en semaine ou le week-end) : "
          f"{pct(workers.summary['share_covered'])} couverts, {workers.summary['sites_open']} lieux")
    open_workers = drive_study.sites.loc[[w is True for w in H.open_for_workers(drive_study.sites)], "name"]
    print("    lieux concernés : " + ", ".join(open_workers))

    table = compare_modes(drive, walk)
    body = table[table["commune"] != TOTAL_CODE]
    lost = body["population"] * body["population_gap"]
    print(f"  communes dont toute la population est couverte en voiture mais aucune à pied : "
          f"{int(((body['population_share_drive'] == 1) & (body['population_share_walk'] == 0)).sum())} "
          f"sur {len(body)}")
    print("  plus grosses pertes à pied (habitants couverts en voiture, pas à pied) : " + "; ".join(
        f"{r.nom} {fmt_int(n_lost, sep=' ')}" for r, n_lost in zip(body.head(5).itertuples(), lost.head(5))))
    ws = lens.workers_summary(drive_study, routing, args.threshold, drive)
    wb = ws[ws["commune"] != TOTAL_CODE]
    print(f"  communes couvertes à plus de 90 % en voiture mais à moins de 50 % aux horaires des actifs : "
          f"{int(((wb['population_share_all_hours'] > 0.9) & (wb['population_share_workers_hours'] < 0.5)).sum())}")
    assert np.isclose(table.iloc[-1]["population_share_walk"], walk.summary["share_covered"])
    print(f"(calcul total {time.perf_counter() - t0:.1f} s)".replace(".", ","))
    print(f"walk_share_covered: {walk.summary['share_covered']:.4f}")


if __name__ == "__main__":
    main()
