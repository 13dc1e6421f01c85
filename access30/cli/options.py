"""From the command line to typed options, built once per command, and the refusals of options.

:func:`run_options` and :func:`suggest_options` turn the parsed arguments into the typed options
of the core (:class:`~access30.coverage.options.RunOptions`,
:class:`~access30.suggest.run.SuggestOptions`); :func:`recorded_options` rebuilds the same typed
options from a run record (``access30 rerun``). The checks refuse, before anything is computed, the
options that would be left unused or do not fit together, naming them and the fix.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from access30.base.departements import is_departement_code, normalise_departement
from access30.base.errors import InputError
from access30.base.files import split_layer
from access30.base.fmt import fmt_num, plural
from access30.base.record import RunRecord, restore
from access30.base.writes import (
    Output,
    file_sources,
    prepare_outputs,
    protected_folders,
)
from access30.cli.parser import DEFAULT_CRS, TOUR_DEFAULTS, file_option
from access30.coverage.options import CapacityOptions, CoverageOptions, RunOptions
from access30.inputs.assemble import StudyRequest
from access30.inputs.catalogue import DEFAULT_MAX_CELLS
from access30.inputs.inventories import candidate_inventories
from access30.inputs.territory import TERRITORIES
from access30.network.modes import get_mode
from access30.suggest.candidates import CANDIDATE_SOURCES
from access30.suggest.run import SuggestOptions
from access30.suggest.tour import TourOptions


def study_request(args: argparse.Namespace) -> StudyRequest:
    """The :class:`~access30.inputs.assemble.StudyRequest` of the shared options."""
    builtins = None
    if args.sites_builtin is not None:
        builtins = tuple(b.strip() for b in args.sites_builtin.split(",") if b.strip())
    capacity = capacity_options(args)
    return StudyRequest(
        territory=args.territory, departement=args.departement, network=args.network,
        partial_network=args.partial_network, population=args.population, population_column=args.population_column,
        population_crs=args.population_crs, demand=args.demand, sites=args.sites,
        sites_crs=args.sites_crs or DEFAULT_CRS,
        sites_builtin=builtins, communes=args.communes, mode=args.mode, gtfs=args.gtfs,
        when=getattr(args, "at", None), service_date=args.service_date, window_min=args.window,
        max_access_m=args.max_access_m, cache_dir=args.cache_dir,
        capacity_column=capacity.column if capacity is not None else None)


def capacity_options(args: argparse.Namespace) -> CapacityOptions | None:
    """``--capacity`` and its companions (None without ``--capacity``)."""
    spec = getattr(args, "capacity", None)
    if spec is None:
        return None
    return CapacityOptions(spec=spec, unit=getattr(args, "capacity_unit", None),
                           people_per_unit=getattr(args, "people_per_unit", None),
                           overload=getattr(args, "overload", None))


def run_options(args: argparse.Namespace) -> RunOptions:
    """The typed options of a command that builds a study (coverage, report, suggest)."""
    coverage = CoverageOptions(threshold_min=args.threshold, at=getattr(args, "at", None),
                               workers_hours=bool(getattr(args, "workers_hours", False)),
                               sectors=getattr(args, "sectors", None), capacity=capacity_options(args),
                               walk_in=bool(getattr(args, "walk_in", False)), wait=bool(getattr(args, "wait", False)))
    return RunOptions(study=study_request(args), coverage=coverage)


def command_arguments(args: argparse.Namespace) -> dict:
    """Every option of the command line with its value, defaults included (for the run record)."""
    return {name: value for name, value in sorted(vars(args).items()) if name != "command_line"}


def recorded_options(record: RunRecord) -> tuple[RunOptions, SuggestOptions | None]:
    """The typed options a run was made with, rebuilt from its record (``access30 rerun``).

    Raises
    ------
    InputError
        When the record holds no study options, or a value of the wrong type.
    """
    groups = record.options
    if not isinstance(groups.get("study"), dict) or not isinstance(groups.get("coverage"), dict):
        raise InputError("journal d'exécution sans options d'étude (« study », « coverage »)",
                         "donnez le résumé JSON d'un calcul coverage, report ou suggest")
    options = RunOptions(restore(StudyRequest, groups["study"]), restore(CoverageOptions, groups["coverage"]))
    ask = restore(SuggestOptions, groups["suggest"]) if isinstance(groups.get("suggest"), dict) else None
    return options, ask


def candidate_items(args: argparse.Namespace) -> tuple[list[str], list[Path]]:
    """``--candidates`` split into built-in sources and files."""
    items = [item.strip() for item in args.candidates.split(",") if item.strip()]
    return ([item for item in items if item in CANDIDATE_SOURCES],
            [Path(item) for item in items if item not in CANDIDATE_SOURCES])


def suggest_options(args: argparse.Namespace) -> SuggestOptions:
    """The typed options of ``access30 suggest``."""
    sources, files = candidate_items(args)
    return SuggestOptions(
        model=args.model, k=args.k, weight=args.weight, time_limit_s=args.time_limit, sources=tuple(sources),
        candidates_file=files[0] if files else None, candidates_crs=args.candidates_crs or DEFAULT_CRS,
        files=tuple((key, path) for key, path in candidate_files(args).items() if path is not None),
        max_cells=DEFAULT_MAX_CELLS if args.max_cells is None else args.max_cells,
        cells_method=args.cells_method or "grid", capacitated=args.capacitated, new_capacity=args.new_capacity)


def tour_options(args: argparse.Namespace) -> TourOptions:
    """The typed options of ``access30 tour`` (checked first by :func:`check_tour_options`)."""
    sources, files = candidate_items(args)
    return TourOptions(
        half_days=args.half_days, base=args.base, max_drive_min=args.max_drive_min, stop_hours=args.stop_hours,
        midday_drive_min=args.midday_drive_min, sources=tuple(sources), candidates_file=files[0] if files else None,
        candidates_crs=args.candidates_crs or DEFAULT_CRS,
        max_cells=DEFAULT_MAX_CELLS if args.max_cells is None else args.max_cells, weeks=args.weeks,
        time_limit_s=args.time_limit)


#: Most half-days a week (a morning and an afternoon, seven days).
MAX_HALF_DAYS = 14


def check_tour_options(args: argparse.Namespace) -> None:
    """``access30 tour``: refuse, before anything is read, a timetable mode, no candidate, impossible days
    or hours, a drive or a time limit that is not a positive number, and the options of a candidate source
    not asked for.

    Raises
    ------
    InputError
        Naming the option and the fix.
    """
    road_only(args, "la tournée")
    if args.sectors is not None:
        raise _unused("--sectors", "avec tour (la tournée porte sur les habitants à portée d'un lieu, quel que soit "
                      "leur secteur)", "retirez --sectors, ou utilisez-le avec coverage ou report")
    if not 1 <= args.half_days <= MAX_HALF_DAYS:
        days = plural(args.half_days, "demi-journée", "demi-journées")
        raise InputError(f"{days} par semaine : impossible (une semaine en compte au plus "
                         f"{MAX_HALF_DAYS}, un matin et un après-midi par jour)",
                         "indiquez --half-days de 1 à 14, par ex. 8 pour quatre jours", column="--half-days")
    if not 0.5 <= args.stop_hours <= 4:
        raise InputError(f"arrêts de {fmt_num(args.stop_hours)} h : impossible (le matin commence à 9h, "
                         "l'après-midi à 14h, et un arrêt tient dans sa demi-journée)",
                         "indiquez --stop-hours de 0,5 à 4", column="--stop-hours")
    for option, value in (("--max-drive-min", args.max_drive_min), ("--time-limit", args.time_limit)):
        if value <= 0:
            raise InputError(f"{fmt_num(value)} : il faut un nombre positif",
                             f"indiquez {option} en minutes, par ex. 60" if option != "--time-limit"
                             else "indiquez --time-limit en secondes, par ex. 60", column=option)
    if args.midday_drive_min < 0:
        raise InputError(f"{fmt_num(args.midday_drive_min)} : il faut un nombre positif ou nul",
                         "indiquez --midday-drive-min en minutes, par ex. 90", column="--midday-drive-min")
    if args.half_days == 1 and args.midday_drive_min != TOUR_DEFAULTS["midday_drive_min"]:
        raise _unused("--midday-drive-min", "avec une seule demi-journée (pas d'après-midi)",
                      "retirez --midday-drive-min, ou donnez --half-days 2 ou plus")
    sources, files = candidate_items(args)
    if not sources and not files:
        raise InputError("aucun lieu candidat pour les arrêts de la tournée (--candidates vide)",
                         f"indiquez --candidates parmi {', '.join(CANDIDATE_SOURCES)} ou un fichier CSV/GPKG, "
                         "par ex. --candidates mairies", column="--candidates")
    if len(files) > 1:
        raise InputError("un seul fichier de lieux candidats à la fois", "fusionnez vos fichiers",
                         column="--candidates")
    for path in files:
        if not split_layer(path)[0].exists():
            raise InputError(f"fichier de lieux candidats introuvable (ni {', ni '.join(CANDIDATE_SOURCES)})",
                             f"choisissez parmi {', '.join(CANDIDATE_SOURCES)} ou un fichier CSV/GPKG existant",
                             path=path, column="--candidates")
    if "cells" not in sources and args.max_cells is not None:
        raise _unused("--max-cells", "sans « cells » dans --candidates",
                      "ajoutez cells à --candidates, ou retirez --max-cells")
    if not files and args.candidates_crs is not None:
        raise _unused("--candidates-crs", "sans fichier de lieux candidats dans --candidates",
                      "ajoutez le fichier à --candidates, ou retirez --candidates-crs")


def check_hours_options(args: argparse.Namespace) -> None:
    """``--walk-in`` and ``--wait``: refused in a timetable mode (they need the road times of every site),
    and ``--walk-in`` with ``--sectors`` or ``--capacity`` (which read every site, whatever its hours)."""
    for option, given in (("--walk-in", getattr(args, "walk_in", False)), ("--wait", getattr(args, "wait", False))):
        if not given:
            continue
        if get_mode(args.mode).timetable:
            raise InputError(f"non disponible en mode « {get_mode(args.mode).label.lower()} » (il faut "
                             "les temps par la route jusqu'à chaque lieu)",
                             f"utilisez --mode drive ou --mode walk, ou retirez {option}", column=option)
    if getattr(args, "walk_in", False):
        for option, value in (("--sectors", getattr(args, "sectors", None)),
                              ("--capacity", getattr(args, "capacity", None))):
            if value is not None:
                raise InputError("ne se combine pas avec --walk-in (le calcul porte sur tous les lieux, "
                                 "quels que soient leurs horaires)",
                                 f"lancez deux calculs : l'un avec {option}, l'autre avec --walk-in", column=option)


#: Options that name what a command writes; every other option given as a path is read.
_OUTPUT_OPTIONS = ("out", "summary", "out_dir", "schedule_out", "xlsx", "pdf")


#: Options naming a folder read (the cache is protected as a whole by :func:`protected_folders`).
_FOLDER_OPTIONS = ("cache_dir", "networks_dir")


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


def check_lenses(args: argparse.Namespace) -> None:
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


def check_capacity_options(args: argparse.Namespace) -> None:
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


def check_unused_options(args: argparse.Namespace) -> None:
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
        check_candidate_options(args)


def check_candidate_options(args: argparse.Namespace) -> None:
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


def road_only(args: argparse.Namespace, what: str) -> None:
    """Refuse ``what`` (site suggestions) in a timetable mode, which has no road network to route new sites."""
    mode = get_mode(args.mode)
    if mode.timetable:
        raise InputError(f"{what} : non disponible en mode « {mode.label.lower()} »",
                         "utilisez --mode drive ou --mode walk pour chercher de nouveaux lieux", column="--mode")


def candidate_files(args: argparse.Namespace) -> dict:
    """Inventory key → the user's file given with its ``--KEY-file`` option (None when not given)."""
    return {inventory.key: getattr(args, f"{inventory.key}_file") for inventory in candidate_inventories()}
