"""The commands that build a study: ``coverage``, ``demo``, ``report``, ``suggest``, ``rerun``.

Each checks its options and outputs first, then runs the study and writes.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from access30.base.errors import InputError
from access30.base.fetch import download_settings
from access30.base.files import atomic_path, export_name, split_layer
from access30.base.fmt import plural
from access30.base.labels import MODEL_LABELS_FR
from access30.base.moments import parse_when
from access30.base.record import (
    RunRecord,
    collecting,
    read_record,
    refuse_changed_inputs,
    restore,
    version_warnings,
)
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.base.writes import (
    Output,
    Source,
    file_sources,
    output_folder,
    prepare_outputs,
    protected_folders,
    writing_together,
)
from access30.cli.options import (
    candidate_items,
    check_capacity_options,
    check_command_outputs,
    check_hours_options,
    check_lenses,
    check_unused_options,
    command_arguments,
    recorded_options,
    road_only,
    run_options,
    suggest_options,
)
from access30.cli.parser import build_parser, candidate_lists
from access30.cli.text import Steps, format_report, format_suggestion
from access30.cli.tour import TOUR_OUTPUTS, tour_job
from access30.coverage.capacity import load_lines
from access30.coverage.engine import evaluate, route
from access30.coverage.options import RunOptions
from access30.coverage.result import Routing
from access30.coverage.run import begin_record, coverage_result
from access30.inputs.assemble import assemble_study
from access30.inputs.study import Study
from access30.inputs.territory import DEFAULT_TERRITORY
from access30.network.modes import get_mode
from access30.outputs.export import with_run, write_gpkg, write_summary
from access30.outputs.pack import pack_names, write_report
from access30.suggest.candidates import CANDIDATE_SOURCES, build_candidates
from access30.suggest.run import SuggestOptions, run_suggestion
from access30.suggest.suggestion import suggest_sites
from access30.suggest.tour import TourOptions


def routed_study(options: RunOptions, steps: Steps) -> tuple[Study, Routing]:
    """Build the study of the options and route it, announcing both steps."""
    steps("Lecture du réseau, de la population et des lieux d'accueil")
    study = assemble_study(options.study)
    steps("Calcul des temps d'accès (horaires du flux GTFS, fenêtre de départ)"
          if get_mode(options.study.mode).timetable else "Calcul des temps d'accès (Dijkstra sur le réseau inversé)")
    return study, route(study)


def check_study_options(args: argparse.Namespace) -> None:
    """The checks shared by coverage and report, before anything is read."""
    if getattr(args, "at", None):
        parse_when(args.at)  # a typo in --at fails before the network is read
    check_unused_options(args)
    check_lenses(args)
    check_hours_options(args)
    check_capacity_options(args)


def _record(command: str, args: argparse.Namespace, options: RunOptions, ask=None) -> RunRecord:
    """The run record of a command, started now (every option, the files they name)."""
    return begin_record(command, options, suggest=ask, argv=getattr(args, "command_line", None),
                        arguments=command_arguments(args))


def cmd_coverage(args: argparse.Namespace) -> int:
    """Run the coverage job and write the GeoPackage (and JSON summary)."""
    outputs = [Output(args.out, "--out", (".gpkg",))]
    if args.summary is not None:
        outputs.append(Output(args.summary, "--summary", (".json",)))
    check_command_outputs(args, outputs)
    check_study_options(args)
    options = run_options(args)
    return coverage_job(options, args.out, args.summary, _record("coverage", args, options), args.quiet)


def coverage_job(options: RunOptions, out: Path, summary: Path | None, record: RunRecord, quiet: bool) -> int:
    """The coverage job of checked options: study, routing, lens, then the GeoPackage and summary with
    the run record (also what ``rerun`` runs)."""
    steps = Steps(quiet)
    with collecting() as reads:
        study, routing = routed_study(options, steps)
        steps("Indicateurs de couverture")
        result = coverage_result(study, routing, options)
    record.add_study(study).add_reads(reads).finish()
    steps(f"Écriture de {out.name}")
    with writing_together([out] + ([summary] if summary is not None else [])) as written:  # both, or neither
        write_gpkg(result, written.path(out), study.communes, record=record)
        if summary is not None:
            write_summary(result, written.path(summary), record=record)
    steps.done()
    if not quiet:
        print(format_report(result))
        if result.capacity is not None:
            print("\n" + "\n".join(load_lines(result.capacity)))
        print(f"\nÉcrit : {out}" + (f", {summary}" if summary else ""))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Coverage on the embedded demo territory, written to ``--out-dir``."""
    out_dir = Path(args.out_dir)
    parser = build_parser()
    day = date.today()
    coverage_args = parser.parse_args([
        "coverage", "--out", str(out_dir / export_name(DEFAULT_TERRITORY, DEFAULT_THRESHOLD_MIN, day, ".gpkg")),
        "--summary", str(out_dir / export_name(DEFAULT_TERRITORY, DEFAULT_THRESHOLD_MIN, day, ".json"))])
    coverage_args.command_line = getattr(args, "command_line", None)
    check_command_outputs(coverage_args, [Output(coverage_args.out, "--out-dir", new_folder=True),
                                          Output(coverage_args.summary, "--out-dir", new_folder=True)])
    output_folder(out_dir)
    return cmd_coverage(coverage_args)


def cmd_report(args: argparse.Namespace) -> int:
    """Convention-ready outputs in ``--out-dir``: PDF report, XLSX and CSV tables, PNG map, GeoPackage."""
    try:
        width, height = (int(v) for v in args.map_size.lower().split("x"))
    except ValueError:
        raise InputError(f"taille de carte « {args.map_size} » illisible", "écrivez LARGEURxHAUTEUR en pixels, "
                         "par ex. 2000x1600", column="--map-size") from None
    try:
        day = date.fromisoformat(args.date) if args.date else date.today()
    except ValueError:
        raise InputError(f"date « {args.date} » illisible", "écrivez-la AAAA-MM-JJ", column="--date") from None
    if not (100 <= width <= 10_000 and 100 <= height <= 10_000):
        raise InputError(f"taille de carte {width}x{height} hors limites", "indiquez entre 100 et 10 000 pixels "
                         "de côté, par ex. 2000x1600", column="--map-size")
    if args.suggest:
        road_only(args, "--suggest")
    outputs = [Output(args.out_dir / name, "--out-dir", new_folder=True) for name in pack_names()]
    check_command_outputs(args, outputs)
    check_study_options(args)
    options = run_options(args)
    return report_job(options, args.out_dir, args.suggest, day, (width, height), _record("report", args, options),
                      args.quiet)


def report_job(options: RunOptions, out_dir: Path, k: int | None, day: date, size: tuple[int, int],
               record: RunRecord, quiet: bool) -> int:
    """The report of checked options: the coverage (and ``k`` suggested sites), then the pack with the run
    record (also what ``rerun`` runs)."""
    out_dir = output_folder(out_dir)
    steps = Steps(quiet)
    with collecting() as reads:
        study, routing = routed_study(options, steps)
        steps("Indicateurs de couverture")
        result = coverage_result(study, routing, options)
        suggestion = None
        if k:
            steps(f"Recherche de {plural(k, 'nouveau lieu', 'nouveaux lieux')} (couverture maximale, "
                  f"candidats : {candidate_lists()})")
            candidates, _ = build_candidates(study)
            suggestion = suggest_sites(study, routing, "maxcover", k, options.threshold_min, candidates=candidates)
    record.add_study(study).add_reads(reads).finish()
    steps("Écriture du GeoPackage, des tableaux, de la carte et du rapport")
    written = write_report(result, study, out_dir, suggestion, day, size, record)
    steps.done()
    if not quiet:
        print(format_report(result))
        print("\nÉcrit : " + ", ".join(str(p) for p in written))
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """Suggest new reception points (cover, maxcover or median) and write a GeoPackage and JSON summary."""
    road_only(args, "suggest")
    outputs = [Output(args.out, "--out", (".gpkg",))]
    if args.summary is not None:
        outputs.append(Output(args.summary, "--summary", (".json",)))
    check_command_outputs(args, outputs)
    if args.sectors is not None:
        raise InputError("--sectors ne s'applique pas aux suggestions (elles portent sur le lieu le plus proche)",
                         "retirez --sectors, ou utilisez-le avec coverage ou report", column="--sectors")
    if args.capacitated and args.capacity is None:
        raise InputError("--capacitated sans capacité des lieux", "ajoutez --capacity COLONNE (colonne du fichier "
                         "--sites) ou --capacity hours (heures d'ouverture hebdomadaires)", column="--capacitated")
    if args.capacitated and args.model == "cover":
        raise InputError("le modèle cover n'a pas de version avec capacités", "choisissez --model maxcover ou median",
                         column="--model")
    if args.model == "cover" and args.k is not None:
        raise InputError("--k ne s'applique pas au modèle cover : il cherche le nombre minimal de lieux couvrant "
                         "tous les habitants atteignables", "retirez --k, ou choisissez --model maxcover pour "
                         "placer k lieux", column="--k")
    check_capacity_options(args)
    check_unused_options(args)
    _, files = candidate_items(args)
    for path in files:
        if not split_layer(path)[0].exists():
            neither = ", ".join(f"ni {source}" for source in CANDIDATE_SOURCES)
            raise InputError(f"fichier d'emplacements candidats introuvable ({neither})",
                             f"choisissez parmi {', '.join(CANDIDATE_SOURCES)} ou un fichier CSV/GPKG existant",
                             path=path, column="--candidates")
    if len(files) > 1:
        raise InputError("un seul fichier d'emplacements candidats à la fois", "fusionnez vos fichiers",
                         column="--candidates")
    options, ask = run_options(args), suggest_options(args)
    return suggest_job(options, ask, args.out, args.summary, _record("suggest", args, options, ask), args.quiet)


def suggest_job(options: RunOptions, ask: SuggestOptions, out: Path, summary: Path | None, record: RunRecord,
                quiet: bool) -> int:
    """Suggestions of checked options, then the GeoPackage and summary with the run record (also what
    ``rerun`` runs)."""
    steps = Steps(quiet)
    with collecting() as reads:
        study, routing = routed_study(options, steps)
        steps(f"Emplacements candidats, puis optimisation : {MODEL_LABELS_FR[ask.model]}")
        suggestion = run_suggestion(study, routing, options, ask)
    record.add_study(study).add_reads(reads).finish()
    steps(f"Écriture de {out.name}")
    with writing_together([out] + ([summary] if summary is not None else [])) as written:  # both, or neither
        write_gpkg(evaluate(study, routing, options.threshold_min), written.path(out), study.communes,
                   suggestion=suggestion, record=record)
        if summary is not None:
            with atomic_path(written.path(summary)) as tmp:
                tmp.write_text(json.dumps(with_run(suggestion.to_summary(), record), ensure_ascii=False, indent=2),
                               encoding="utf-8")
    steps.done()
    if not quiet:
        print(format_suggestion(suggestion))
        print(f"\nÉcrit : {out}" + (f", {summary}" if summary else ""))
    return 0


#: Suffix of the outputs of ``rerun`` when none is given (next to those of the first run).
RERUN_SUFFIX = "-relance"


def _again(path: str | None, option: str) -> Path:
    """The output of the first run, suffixed (« couverture.gpkg » → « couverture-relance.gpkg »)."""
    if not path:
        raise InputError(f"le journal ne dit pas où le premier calcul a écrit ({option})",
                         f"indiquez {option}", column=option)
    path = Path(path)
    return path.with_name(path.stem + RERUN_SUFFIX + path.suffix)


def cmd_rerun(args: argparse.Namespace) -> int:
    """Make a run again from its record: same typed options, same input files (checked by their SHA-256,
    refused naming the file when one changed), the package versions compared (warned), only the cache read."""
    made = read_record(args.record)
    if made.command == "batch":
        raise InputError("un lot national se refait avec « access30 batch --resume » (chaque département garde son "
                         "journal)", "relancez access30 batch avec les mêmes options et --resume", path=args.record)
    if made.command not in ("coverage", "report", "suggest", "app", "tour"):
        raise InputError(f"commande « {made.command} » inconnue dans le journal d'exécution",
                         "donnez le résumé JSON d'un calcul coverage, report, suggest ou tour", path=args.record)
    refuse_changed_inputs(made, args.record)
    options, ask = recorded_options(made)
    if made.command == "tour":
        return _rerun_tour(made, args, options)
    command = "coverage" if made.command == "app" else made.command
    recorded = made.arguments
    if command == "report":
        out_dir = args.out_dir or _again(recorded.get("out_dir"), "--out-dir")
        outputs = [Output(out_dir / name, "--out-dir", new_folder=True) for name in pack_names()]
        arguments = {"out_dir": out_dir}
    else:
        out = args.out or _again(recorded.get("out"), "--out")
        summary = args.summary or (_again(recorded.get("summary"), "--summary") if recorded.get("summary") else None)
        outputs = [Output(out, "--out", (".gpkg",))] + ([Output(summary, "--summary", (".json",))] if summary else [])
        arguments = {"out": out, "summary": summary}
    prepare_outputs(outputs, _rerun_sources(made, args, options))
    for line in version_warnings(made):
        print(f"Attention : {line}", file=sys.stderr)
    if command == "suggest" and ask is None:
        raise InputError("journal d'un calcul suggest sans ses options (« suggest »)",
                         "donnez le résumé JSON écrit par access30 suggest", path=args.record)
    record = begin_record(command, options, suggest=ask, argv=getattr(args, "command_line", None),
                          arguments={**recorded, **arguments, "rerun_of": str(Path(args.record).resolve())})
    if not args.quiet:
        count = plural(len(made.inputs), "fichier d'entrée inchangé", "fichiers d'entrée inchangés")
        print(f"Relance du calcul du {made.started[:10]} ({count}, empreintes SHA-256 vérifiées ; données lues dans "
              "le cache seulement)")
    with download_settings(forbidden="relance d'un calcul : seuls les fichiers déjà en cache sont lus"):
        if command == "report":
            width, height = (int(v) for v in str(recorded.get("map_size") or "2000x1600").lower().split("x"))
            day = date.fromisoformat(recorded.get("date") or made.started[:10])
            return report_job(options, out_dir, recorded.get("suggest"), day, (width, height), record, args.quiet)
        if command == "suggest":
            return suggest_job(options, ask, out, summary, record, args.quiet)
        return coverage_job(options, out, summary, record, args.quiet)


def _rerun_sources(made: RunRecord, args: argparse.Namespace, options: RunOptions) -> list[Source]:
    """What a rerun reads: the first run's input files, its record and the cache."""
    return (file_sources([(item.get("role") or "entrée", item["path"]) for item in made.inputs
                          if item.get("size") is not None])
            + [Source(Path(args.record), "RUN.json")] + protected_folders(options.study.cache_dir))


def _rerun_tour(made: RunRecord, args: argparse.Namespace, options: RunOptions) -> int:
    """``rerun`` of ``access30 tour``: the same round, its outputs next to the first ones (« -relance »),
    ``--out`` and ``--summary`` as given."""
    if not isinstance(made.options.get("tour"), dict):
        raise InputError("journal d'une tournée sans ses options (« tour »)",
                         "donnez le résumé JSON écrit par access30 tour", path=args.record)
    if args.out_dir is not None:
        raise InputError("--out-dir ne s'applique pas à la relance d'une tournée", "retirez --out-dir ; --out et "
                         "--summary nomment le GeoPackage et le résumé", column="--out-dir")
    ask = restore(TourOptions, made.options["tour"])
    recorded = made.arguments
    given = {"out": args.out, "summary": args.summary}
    paths = {attribute: given.get(attribute) or (_again(recorded.get(attribute), option)
                                                 if recorded.get(attribute) or attribute == "out" else None)
             for option, (attribute, _) in TOUR_OUTPUTS.items()}
    outputs = [Output(paths[attribute], option, suffixes) for option, (attribute, suffixes) in TOUR_OUTPUTS.items()
               if paths[attribute] is not None]
    prepare_outputs(outputs, _rerun_sources(made, args, options))
    for line in version_warnings(made):
        print(f"Attention : {line}", file=sys.stderr)
    record = RunRecord.begin("tour", {"study": options.study, "coverage": options.coverage, "tour": ask},
                             argv=getattr(args, "command_line", None),
                             arguments={**recorded, **paths, "rerun_of": str(Path(args.record).resolve())})
    if not args.quiet:
        count = plural(len(made.inputs), "fichier d'entrée inchangé", "fichiers d'entrée inchangés")
        print(f"Relance de la tournée du {made.started[:10]} ({count}, empreintes SHA-256 vérifiées ; données lues "
              "dans le cache seulement)")
    with download_settings(forbidden="relance d'un calcul : seuls les fichiers déjà en cache sont lus"):
        return tour_job(options, ask, paths, record, args.quiet)
