"""The commands of ``access30``: each checks its options and outputs first, then runs the study and writes."""

from __future__ import annotations

import argparse
import json
from datetime import date
from pathlib import Path

from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_int, fmt_num, fmt_pct, plural
from access30.base.io import atomic_path, split_layer
from access30.base.labels import MODEL_LABELS_FR
from access30.base.moments import parse_when
from access30.base.writes import (
    Output,
    file_sources,
    output_folder,
    prepare_outputs,
    protected_folders,
    writing_together,
)
from access30.cli.parser import DEFAULT_CRS, build_parser, candidate_lists, file_option
from access30.cli.text import Steps, format_report, format_suggestion
from access30.coverage.capacity import HOURS, capacity_indicators, load_lines, site_capacity, with_capacity
from access30.coverage.engine import evaluate, route
from access30.coverage.hours import coverage_at, coverage_for_workers
from access30.coverage.rules import check_threshold
from access30.coverage.sectors import with_study_sectors
from access30.inputs.assemble import StudyRequest, assemble_study
from access30.inputs.communes import is_departement_code, normalise_departement
from access30.inputs.inventories import candidate_inventories, list_sites
from access30.inputs.sources.listing import OUTPUT_SUFFIXES, describe_listing, write_listing
from access30.inputs.territory import TERRITORIES
from access30.national.batch import BatchOptions, batch_folder, national_figures, parse_departements, run_batch
from access30.national.outputs import write_national
from access30.network.modes import get_mode, mode_words
from access30.outputs.export import uncovered_zones, write_gpkg, write_summary
from access30.outputs.maps import write_png
from access30.outputs.report import write_pdf
from access30.outputs.tables import CSV_NAMES, write_csv_tables, write_xlsx
from access30.suggest.candidates import CANDIDATE_SOURCES, DEFAULT_MAX_CELLS, build_candidates
from access30.suggest.capacitated import suggest_capacitated
from access30.suggest.suggestion import suggest_sites


def study_request(args: argparse.Namespace):
    """The :class:`~access30.inputs.assemble.StudyRequest` of the shared options."""
    builtins = None
    if args.sites_builtin is not None:
        builtins = tuple(b.strip() for b in args.sites_builtin.split(",") if b.strip())
    return StudyRequest(
        territory=args.territory, departement=args.departement, network=args.network,
        partial_network=args.partial_network, population=args.population, population_column=args.population_column,
        population_crs=args.population_crs, demand=args.demand, sites=args.sites,
        sites_crs=args.sites_crs or DEFAULT_CRS,
        sites_builtin=builtins, communes=args.communes, mode=args.mode, gtfs=args.gtfs,
        when=getattr(args, "at", None), service_date=args.service_date, window_min=args.window,
        max_access_m=args.max_access_m, cache_dir=args.cache_dir, capacity_column=_capacity_column(args))


def _capacity_column(args: argparse.Namespace) -> str | None:
    """The site file's column named by ``--capacity`` (None for ``hours`` or no capacity)."""
    spec = getattr(args, "capacity", None)
    return None if spec in (None, HOURS) else spec


def capacity_result(args: argparse.Namespace, study, routing, result):
    """``result`` with its load per site and 2SFCA indices when ``--capacity`` is given, else unchanged."""
    if getattr(args, "capacity", None) is None:
        return result

    capacity = site_capacity(study.sites, args.capacity, args.capacity_unit, path=args.sites)
    report = capacity_indicators(study, routing, capacity, args.threshold, people_per_unit=args.people_per_unit,
                                 max_load=args.overload)
    return with_capacity(result, report)


def build_study(args: argparse.Namespace):
    """Build the :class:`~access30.inputs.study.Study` described by the shared options (one input path)."""
    return assemble_study(study_request(args))


def routed_study(args: argparse.Namespace, steps: Steps):
    """Build the study of the shared options and route it, announcing both steps."""
    steps("Lecture du réseau, de la population et des lieux d'accueil")
    study = build_study(args)
    steps("Calcul des temps d'accès (horaires du flux GTFS, fenêtre de départ)" if get_mode(args.mode).timetable
          else "Calcul des temps d'accès (Dijkstra sur le réseau inversé)")
    return study, route(study)


#: Options that name what a command writes; every other option given as a path is read.
_OUTPUT_OPTIONS = ("out", "summary", "out_dir")


#: Options naming a folder read (the cache is protected as a whole by :func:`protected_folders`).
_FOLDER_OPTIONS = ("cache_dir", "networks_dir")


#: The national outputs of ``access30 batch`` (see :func:`access30.national.outputs.write_national`).
BATCH_FILES = ("national.csv", "national.xlsx", "national.gpkg", "national.png")


def command_sources(args: argparse.Namespace) -> list:
    """What a command reads (:class:`~access30.base.writes.Source`): every file given to an option
    (``--network``, ``--population``, ``--sites``, ``--communes``, ``--sectors``, ``--gtfs``,
    ``--candidates``, ``--*-file``…), and the folders of the built-in data and of the cache."""
    values = [(f"--{name.replace('_', '-')}", value) for name, value in sorted(vars(args).items())
              if isinstance(value, Path) and name not in _OUTPUT_OPTIONS + _FOLDER_OPTIONS]
    values.append(("--candidates", getattr(args, "candidates", None)))
    return file_sources(values) + protected_folders(getattr(args, "cache_dir", None))


def check_command_outputs(args: argparse.Namespace, outputs: list[Output]) -> None:
    """Check ALL the outputs of a command against everything it reads, before any computation
    (:func:`access30.base.writes.prepare_outputs`)."""
    prepare_outputs(outputs, command_sources(args))


def coverage_result(study, routing, args: argparse.Namespace):
    """The coverage of a routed study at ``--threshold``, through the opening-hours lens of ``--at`` or
    ``--workers-hours`` for a road mode (a timetable mode has applied the moment while routing);
    without a lens, with coverage to the sector's site (``--sectors``) and the load (``--capacity``)."""
    if get_mode(args.mode).timetable:
        return evaluate(study, routing, args.threshold)
    if getattr(args, "at", None):
        return coverage_at(study, routing, args.at, args.threshold)
    if getattr(args, "workers_hours", False):
        return coverage_for_workers(study, routing, args.threshold)
    # Without an hours lens: the sector's site (residents are sent there whatever its hours) and the load.
    result = with_study_sectors(evaluate(study, routing, args.threshold), study, routing, args.sectors)
    return capacity_result(args, study, routing, result)


def _check_lenses(args: argparse.Namespace) -> None:
    """Refuse options that the chosen lens would leave unused: sectors and load need a road mode and
    every site (not only those open at a moment)."""
    hours = getattr(args, "at", None) or getattr(args, "workers_hours", False)
    options = (("--sectors", getattr(args, "sectors", None)), ("--capacity", getattr(args, "capacity", None)))
    for option, value in options:
        if value is None:
            continue
        if get_mode(args.mode).timetable:
            raise InputError(f"{option} : non disponible en mode « {get_mode(args.mode).label.lower()} »",
                             "utilisez --mode drive ou --mode walk", column=option)
        if hours:
            raise InputError(f"{option} ne se combine pas avec --at ou --workers-hours (le calcul porte sur tous "
                             "les lieux)", f"lancez deux calculs : l'un avec {option}, l'autre avec les horaires",
                             column=option)


def _check_capacity_options(args: argparse.Namespace) -> None:
    """Refuse the options of the load that would be silently unused: they need ``--capacity`` (and
    ``--new-capacity`` needs ``--capacitated``)."""
    capacity = getattr(args, "capacity", None)
    if capacity is not None and not capacity.strip():
        raise InputError("--capacity sans nom de colonne", "indiquez le nom d'une colonne du fichier --sites "
                         "(par ex. --capacity agents), ou --capacity hours", column="--capacity")
    if getattr(args, "capacity", None) is None:
        for option, attribute in (("--people-per-unit", "people_per_unit"), ("--overload", "overload"),
                                  ("--capacity-unit", "capacity_unit")):
            if getattr(args, attribute, None) is not None:
                raise InputError(f"{option} sans capacité des lieux : l'option ne serait pas utilisée",
                                 "ajoutez --capacity COLONNE (colonne du fichier --sites) ou --capacity hours, "
                                 f"ou retirez {option}", column=option)
    if getattr(args, "new_capacity", None) is not None and not getattr(args, "capacitated", False):
        raise InputError("--new-capacity sans --capacitated : l'option ne serait pas utilisée",
                         "ajoutez --capacitated (avec --capacity), ou retirez --new-capacity", column="--new-capacity")


def _unused(option: str, why: str, fix: str) -> InputError:
    return InputError(f"{option} {why} : l'option ne serait pas utilisée", fix, column=option)


def _check_unused_options(args: argparse.Namespace) -> None:
    """Refuse the study options that the other options given would leave silently unused: the
    public-transport options without ``--mode transit`` (and the road ones with it), the options of a
    population or site file given without that file, a ``--departement`` that a territory overrides,
    and (suggest) the options of a candidate source not asked for.

    Raises
    ------
    InputError
        Naming the option and the fix (add the option it needs, or remove it).
    """
    transit = get_mode(args.mode).timetable
    date_option = "--date" if args.command == "coverage" else "--service-date"
    if not transit:
        for option, value in (("--gtfs", args.gtfs), (date_option, args.service_date), ("--window", args.window)):
            if value is not None:
                raise _unused(option, f"ne sert qu'en transports en commun, pas en mode « {args.mode} »",
                              f"ajoutez --mode transit (avec --gtfs FICHIER.zip), ou retirez {option}")
    elif args.gtfs is not None:  # without a feed, its absence is said first (when the study is read)
        for option, value in (("--network", args.network), ("--partial-network", args.partial_network or None),
                              ("--max-access-m", args.max_access_m),
                              ("--workers-hours", getattr(args, "workers_hours", False) or None)):
            if value is not None:
                raise _unused(option, "ne s'applique pas aux transports en commun (--mode transit : le réseau est "
                              "le flux GTFS, la marche est estimée jusqu'à 1 000 m des arrêts)",
                              f"retirez {option}, ou choisissez --mode drive ou --mode walk"
                              + (" ; en transports en commun, --at \"jour HH:MM\" applique les horaires d'ouverture"
                                 if option == "--workers-hours" else ""))
    if args.population is None:
        for option, value in (("--population-column", args.population_column),
                              ("--population-crs", args.population_crs), ("--communes", args.communes)):
            if value is not None:
                raise _unused(option, "sans --population (fichier de population)",
                              f"ajoutez --population FICHIER, ou retirez {option} : un territoire intégré ou un "
                              "département a sa propre population et ses contours")
        territory = args.territory
        if territory is not None and args.departement is not None and (territory in TERRITORIES
                                                                      or is_departement_code(territory)):
            own = (TERRITORIES[territory].departement if territory in TERRITORIES
                   else normalise_departement(territory))
            if normalise_departement(args.departement) != own:
                raise _unused("--departement", f"« {args.departement} » avec --territory {territory} (département "
                              f"{own}) sans --population", "retirez --departement, ou --territory pour étudier un "
                              "autre département")
    if args.sites is None and args.sites_crs is not None:
        raise _unused("--sites-crs", "sans --sites (fichier de lieux)",
                      "ajoutez --sites FICHIER, ou retirez --sites-crs")
    if getattr(args, "capacity", None) == "hours" and getattr(args, "capacity_unit", None) is not None:
        raise _unused("--capacity-unit", "avec --capacity hours (l'unité est alors l'heure d'ouverture "
                      "hebdomadaire)", "retirez --capacity-unit, ou donnez --capacity COLONNE (colonne du fichier "
                      "--sites)")
    if args.command == "suggest":
        if args.overload is not None:
            raise _unused("--overload", "avec suggest (les suggestions ne calculent pas la charge des lieux)",
                          "retirez --overload, ou utilisez-le avec coverage ou report")
        if args.people_per_unit is not None and args.capacity is not None and not args.capacitated:
            raise _unused("--people-per-unit", "sans --capacitated (les capacités ne servent qu'au modèle avec "
                          "capacités)", "ajoutez --capacitated, ou retirez --people-per-unit")
        _check_candidate_options(args)


def _check_candidate_options(args: argparse.Namespace) -> None:
    """``suggest``: refuse the options of a candidate source that ``--candidates`` does not name."""
    items = [item.strip() for item in args.candidates.split(",") if item.strip()]
    if "cells" not in items:
        for option, value in (("--max-cells", args.max_cells), ("--cells-method", args.cells_method)):
            if value is not None:
                raise _unused(option, "sans « cells » dans --candidates", f"ajoutez cells à --candidates (par ex. "
                              f"--candidates {','.join([*items, 'cells'])}), ou retirez {option}")
    if not [item for item in items if item not in CANDIDATE_SOURCES] and args.candidates_crs is not None:
        raise _unused("--candidates-crs", "sans fichier d'emplacements candidats dans --candidates",
                      "ajoutez le fichier à --candidates, ou retirez --candidates-crs")
    for inventory in candidate_inventories():
        option = file_option(inventory)
        if getattr(args, f"{inventory.key}_file") is not None and inventory.key not in items:
            raise _unused(option, f"sans « {inventory.key} » dans --candidates",
                          f"ajoutez {inventory.key} à --candidates, ou retirez {option}")


def _road_only(args: argparse.Namespace, what: str) -> None:
    """Refuse ``what`` (site suggestions) in a timetable mode, which has no road network to route new sites."""
    mode = get_mode(args.mode)
    if mode.timetable:
        raise InputError(f"{what} : non disponible en mode « {mode.label.lower()} »",
                         "utilisez --mode drive ou --mode walk pour chercher de nouveaux lieux", column="--mode")


def cmd_coverage(args: argparse.Namespace) -> int:
    """Run the coverage job and write the GeoPackage (and JSON summary)."""
    outputs = [Output(args.out, "--out", (".gpkg",))]
    if args.summary is not None:
        outputs.append(Output(args.summary, "--summary", (".json",)))
    check_command_outputs(args, outputs)
    if getattr(args, "at", None):
        parse_when(args.at)  # a typo in --at fails before the network is read
    _check_unused_options(args)
    _check_lenses(args)
    _check_capacity_options(args)
    steps = Steps(args.quiet)
    study, routing = routed_study(args, steps)
    steps("Indicateurs de couverture")
    result = coverage_result(study, routing, args)
    steps(f"Écriture de {args.out.name}")
    with writing_together([output.path for output in outputs]) as written:  # both files, or neither
        write_gpkg(result, written.path(args.out), study.communes)
        if args.summary is not None:
            write_summary(result, written.path(args.summary))
    steps.done()
    if not args.quiet:
        print(format_report(result))
        if result.capacity is not None:
            print("\n" + "\n".join(load_lines(result.capacity)))
        print(f"\nÉcrit : {args.out}" + (f", {args.summary}" if args.summary else ""))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    """Coverage on the embedded demo territory, written to ``--out-dir``."""
    out_dir = Path(args.out_dir)
    parser = build_parser()
    coverage_args = parser.parse_args(["coverage", "--out", str(out_dir / "demo_couverture.gpkg"),
                                       "--summary", str(out_dir / "demo_couverture.json")])
    check_command_outputs(coverage_args, [Output(coverage_args.out, "--out-dir", new_folder=True),
                                          Output(coverage_args.summary, "--out-dir", new_folder=True)])
    output_folder(out_dir)
    return cmd_coverage(coverage_args)


#: The files of a report pack besides its CSV tables (:data:`access30.outputs.tables.CSV_NAMES`), in this order.
REPORT_FILES = ("couverture.gpkg", "tableaux.xlsx", "carte.png", "rapport.pdf", "synthese.json")


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
        _road_only(args, "--suggest")
    if getattr(args, "at", None):
        parse_when(args.at)
    names = [*REPORT_FILES, *CSV_NAMES.values()]
    outputs = [Output(args.out_dir / name, "--out-dir", new_folder=True) for name in names]
    check_command_outputs(args, outputs)
    _check_unused_options(args)
    _check_lenses(args)
    _check_capacity_options(args)
    out_dir = output_folder(args.out_dir)
    steps = Steps(args.quiet)
    study, routing = routed_study(args, steps)
    steps("Indicateurs de couverture")
    result = coverage_result(study, routing, args)
    suggestion = None
    if args.suggest:
        steps(f"Recherche de {plural(args.suggest, 'nouveau lieu', 'nouveaux lieux')} (couverture maximale, "
              f"candidats : {candidate_lists()})")
        candidates, _ = build_candidates(study)
        suggestion = suggest_sites(study, routing, "maxcover", args.suggest, args.threshold, candidates=candidates)
    zones = uncovered_zones(result, study.communes)
    steps("Écriture du GeoPackage, des tableaux, de la carte et du rapport")
    with writing_together([output.path for output in outputs]) as pack:  # the whole pack, or nothing new
        folder = pack.folder(out_dir)
        gpkg, xlsx, png, pdf, summary = (folder / name for name in REPORT_FILES)
        write_gpkg(result, gpkg, study.communes, suggestion=suggestion)
        write_xlsx(result, xlsx, study, suggestion, zones, day)
        tables = write_csv_tables(result, folder, study, suggestion, zones, day)
        write_png(result, png, study, width, height, suggestion)
        write_pdf(result, pdf, study, suggestion, report_date=day, zones=zones)
        write_summary(result, summary, {"suggestion": suggestion.to_summary()} if suggestion is not None and
                      hasattr(suggestion, "to_summary") else None)
    written = [out_dir / name for name in REPORT_FILES] + [out_dir / path.name for path in tables]
    steps.done()
    if not args.quiet:
        print(format_report(result))
        print("\nÉcrit : " + ", ".join(str(p) for p in written))
    return 0


def cmd_suggest(args: argparse.Namespace) -> int:
    """Suggest new reception points (cover, maxcover or median) and write a GeoPackage and JSON summary."""
    _road_only(args, "suggest")
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
    _check_capacity_options(args)
    _check_unused_options(args)
    items = [item.strip() for item in args.candidates.split(",") if item.strip()]
    sources = [item for item in items if item in CANDIDATE_SOURCES]
    files = [Path(item) for item in items if item not in CANDIDATE_SOURCES]
    for path in files:
        if not split_layer(path)[0].exists():
            neither = ", ".join(f"ni {source}" for source in CANDIDATE_SOURCES)
            raise InputError(f"fichier d'emplacements candidats introuvable ({neither})",
                             f"choisissez parmi {', '.join(CANDIDATE_SOURCES)} ou un fichier CSV/GPKG existant",
                             path=path, column="--candidates")
    if len(files) > 1:
        raise InputError("un seul fichier d'emplacements candidats à la fois", "fusionnez vos fichiers",
                         column="--candidates")
    steps = Steps(args.quiet)
    study, routing = routed_study(args, steps)
    steps("Emplacements candidats")
    candidates, found = build_candidates(study, sources, path=files[0] if files else None,
                                         path_crs=args.candidates_crs or DEFAULT_CRS, files=_candidate_files(args),
                                         max_cells=DEFAULT_MAX_CELLS if args.max_cells is None else args.max_cells,
                                         cells_method=args.cells_method or "grid")
    steps(f"Optimisation : {MODEL_LABELS_FR[args.model]} sur "
          f"{plural(len(candidates), 'emplacement candidat', 'emplacements candidats')}")
    if args.capacitated:
        if args.weight != "population":
            raise InputError("le modèle avec capacités sert des habitants : pas de pondération",
                             "retirez --weight ou --capacitated", column="--weight")
        capacity = site_capacity(study.sites, args.capacity, args.capacity_unit, path=args.sites)
        suggestion = suggest_capacitated(study, routing, args.model, args.k, capacity, args.threshold,
                                         candidates=candidates, new_capacity=args.new_capacity,
                                         people_per_unit=args.people_per_unit, time_limit_s=args.time_limit)
    else:
        suggestion = suggest_sites(study, routing, args.model, args.k, args.threshold, candidates=candidates,
                                   weight=args.weight, time_limit_s=args.time_limit)
    # What the study found (population outside the network, sites left out…) first, as coverage does.
    suggestion.notices[:0] = [*study.notices, *found]
    if args.capacity is not None and not args.capacitated:
        suggestion.notices.append(Notice("capacity_unused", "Capacités des lieux lues (--capacity) mais non "
                                         "utilisées par ce modèle : ajoutez --capacitated pour que chaque lieu ne "
                                         "serve pas plus d'habitants que sa capacité."))
    steps(f"Écriture de {args.out.name}")
    with writing_together([output.path for output in outputs]) as written:  # both files, or neither
        write_gpkg(evaluate(study, routing, args.threshold), written.path(args.out), study.communes,
                   suggestion=suggestion)
        if args.summary is not None:
            with atomic_path(written.path(args.summary)) as tmp:
                tmp.write_text(json.dumps(suggestion.to_summary(), ensure_ascii=False, indent=2), encoding="utf-8")
    steps.done()
    if not args.quiet:
        print(format_suggestion(suggestion))
        print(f"\nÉcrit : {args.out}" + (f", {args.summary}" if args.summary else ""))
    return 0


def _candidate_files(args: argparse.Namespace) -> dict:
    """Inventory key → the user's file given with its ``--KEY-file`` option (None when not given)."""
    return {inventory.key: getattr(args, f"{inventory.key}_file") for inventory in candidate_inventories()}


def cmd_sites(args: argparse.Namespace) -> int:
    """List a département's built-in first-reception places for review (no network needed)."""
    check_command_outputs(args, [Output(args.out, "--out", OUTPUT_SUFFIXES)])
    keys = None
    if args.sites_builtin is not None:
        keys = tuple(b.strip() for b in args.sites_builtin.split(",") if b.strip())
    listing = list_sites(args.departement, keys, cache_dir=args.cache_dir)
    with writing_together([args.out]) as written:
        write_listing(listing, written.path(args.out))
    if not args.quiet:
        print("\n".join(describe_listing(listing)))
    print(f"Liste écrite : {args.out}")
    return 0


def cmd_territories(args: argparse.Namespace) -> int:
    """List the built-in territories."""
    for key, territory in TERRITORIES.items():
        network = territory.network or "téléchargé avec osmnx (internet requis la première fois)"
        print(f"{key:20s} {territory.label} — réseau : {network}")
    return 0


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
                        say=say)
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


#: The function of each command (``access30 COMMANDE``).
COMMANDS = {"coverage": cmd_coverage, "demo": cmd_demo, "report": cmd_report, "suggest": cmd_suggest,
            "sites": cmd_sites, "batch": cmd_batch, "territories": cmd_territories}
