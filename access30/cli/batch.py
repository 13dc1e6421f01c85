"""``access30 batch``: every département on Dask, and the national outputs."""

from __future__ import annotations

import argparse
from pathlib import Path

from access30.base.errors import InputError
from access30.base.fmt import fmt_int, fmt_num, fmt_pct, plural
from access30.base.writes import (
    Output,
    output_folder,
)
from access30.cli.options import (
    check_command_outputs,
)
from access30.coverage.rules import check_threshold
from access30.national.batch import BatchOptions, batch_folder, national_figures, parse_departements, run_batch
from access30.national.outputs import write_national
from access30.network.modes import mode_words

#: The national outputs of ``access30 batch`` (see :func:`access30.national.outputs.write_national`).
BATCH_FILES = ("national.csv", "national.xlsx", "national.gpkg", "national.png")


def cmd_batch(args: argparse.Namespace) -> int:
    """Every département asked for, on Dask; the national outputs; exit status = départements failed.

    The output folder is locked from the start until the national outputs are written; with
    ``--resume``, the rows of other options or other input files are computed again, and said.
    """
    check_threshold(args.threshold)
    codes = parse_departements(args.departements)
    if args.networks_dir is not None and not Path(args.networks_dir).is_dir():
        raise InputError("dossier d'extraits introuvable", "indiquez un dossier de fichiers <code>.osm.pbf",
                         path=args.networks_dir, column="--networks-dir", folder=True)
    check_command_outputs(args, [Output(args.out_dir / name, "--out-dir", new_folder=True) for name in BATCH_FILES])
    out_dir = output_folder(args.out_dir)
    options = BatchOptions(threshold_min=args.threshold, mode=args.mode, networks_dir=args.networks_dir,
                           partial_network=args.partial_network, cache_dir=args.cache_dir)
    say = None if args.quiet else print
    with batch_folder(out_dir) as notices:
        for line in notices if say is not None else ():
            say(line)
        run = run_batch(codes, options, out_dir, engine=args.engine, scheduler=args.scheduler, resume=args.resume,
                        workers=args.workers, memory_limit=args.memory_limit, progress=not args.quiet, lock=False,
                        say=say, argv=getattr(args, "command_line", None))
        written = write_national(run.table, out_dir, args.threshold, mode_words(args.mode))
    figures = national_figures(run.table)
    if not args.quiet:
        print(f"access30 — lot national — {plural(len(codes), 'département', 'départements')} : "
              f"{len(run.ran)} calculés, {len(run.skipped)} repris d'un calcul précédent, "
              f"{len(run.failed)} en échec")
        print(f"Population couverte à {fmt_num(args.threshold)} min {mode_words(args.mode)} (lieux du département) : "
              f"{fmt_int(figures['population_covered'])} sur {fmt_int(figures['population_total'])} "
              f"({fmt_pct(figures['share_covered'], sep=' ')}), départements réussis")
        failed = run.table[run.table["status"] != "ok"] if len(run.table) else run.table
        for row in failed.itertuples():
            print(f"- {row.code} : {row.error}")
        print("Écrit : " + ", ".join(str(p) for p in written))
    return min(len(failed_codes(run)), 100)


def failed_codes(run) -> list[str]:
    """Départements of a batch whose last row is a failure (this run or a resumed one)."""
    table = run.table
    return table.loc[table["status"] != "ok", "code"].astype(str).tolist() if len(table) else []
