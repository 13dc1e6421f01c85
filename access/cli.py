"""Command line: ``access30 coverage``, ``access30 demo`` and ``access30 territories``.

Errors in the user's inputs print one French sentence naming the file, row or column and the fix,
and exit with code 2; no traceback. Every figure printed says what it counts.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from .assigned import with_study_sectors
from .candidates import DEFAULT_MAX_CELLS
from .crs import crs_option
from .errors import Access30Error, InputError
from .fmt import fmt_int, fmt_lonlat, fmt_min, fmt_num, fmt_pct, plural
from .inventories import candidate_inventories, inventory_keys
from .labels import sites_by_type, units_of
from .modes import MODES, get_mode, mode_words
from .outputs import Output, file_sources, output_folder, prepare_outputs, protected_folders, writing_together

EXIT_INPUT_ERROR = 2
#: Coordinates of a CSV of sites or candidates when no --sites-crs / --candidates-crs is given.
DEFAULT_CRS = "EPSG:4326"

# argparse's own words (usage, help, errors), in French: argparse looks them up through gettext at
# each call, so its module-level ``_`` and ``ngettext`` are replaced once, here.
_ARGPARSE_FR = {
    "usage: ": "utilisation : ",
    "positional arguments": "arguments",
    "options": "options",
    "optional arguments": "options",
    "show this help message and exit": "afficher cette aide et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": "choix invalide : %(value)r (choisir parmi %(choices)s)",
    "argument %(argument_name)s: %(message)s": "option %(argument_name)s : %(message)s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "expected one argument": "une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s attendu) : %(value)r",
    "not allowed with argument %s": "incompatible avec l'option %s",
    "ignored explicit argument %r": "valeur %r ignorée",
    "one of the arguments %s is required": "une des options %s est obligatoire",
    "ambiguous option: %(option)s could match %(matches)s": "option ambiguë : %(option)s peut être %(matches)s",
    "unexpected option string: %s": "option inattendue : %s",
}


def _argparse_fr(message: str) -> str:
    return _ARGPARSE_FR.get(message, message)


def _argparse_fr_plural(singular: str, plural: str, n: int) -> str:
    words = {"expected %s argument": ("%s valeur attendue", "%s valeurs attendues")}
    one, many = words.get(singular, (singular, plural))
    return one if n == 1 else many


argparse._ = _argparse_fr
argparse.ngettext = _argparse_fr_plural


def nombre(text: str) -> float:
    """A finite number on the command line, decimal comma accepted (``--threshold 22,5``); « nan » and
    « inf » are refused by argparse as not a number."""
    import math

    value = float(str(text).replace(",", "."))
    if not math.isfinite(value):
        raise ValueError(text)
    return value


def entier(text: str) -> int:
    """A whole number on the command line."""
    return int(text)


def chemin(text: str) -> Path:
    """A file or folder path on the command line."""
    return Path(text)


class Steps:
    """Prints each pipeline step with its duration on stderr (the progress display of the CLI)."""

    def __init__(self, quiet: bool = False) -> None:
        self.quiet = quiet
        self.started = time.perf_counter()
        self.current: str | None = None
        self.step_started = self.started

    def __call__(self, label: str) -> None:
        """Start the step ``label``, first closing the current one (its duration printed)."""
        self.done()
        self.current = label
        self.step_started = time.perf_counter()
        if not self.quiet:
            print(f"… {label}", end="", file=sys.stderr, flush=True)

    def done(self) -> None:
        """Close the current step, printing its duration on stderr unless quiet."""
        if self.current is not None and not self.quiet:
            print(f" ({fmt_num(round(time.perf_counter() - self.step_started, 1))} s)", file=sys.stderr, flush=True)
        self.current = None


def format_report(result) -> str:
    """Readable French summary of a coverage result, with the meaning of every figure."""
    s = result.summary
    mode = mode_words(s.travel_mode)
    lines = [
        f"access30 — couverture à {fmt_num(s.threshold_min)} min {mode} — {s.territory}",
        *(_transit_lines(s) if s.transit is not None else [_network_line(s)]),
        f"Population : {fmt_int(s.population_total)} {s.population_label} ; "
        f"{units_of(s.cells_total, s.get('population_kind', ''))}",
        *(f"⚠ {n.message}" for n in result.notices if n.code in ("population_outside_network", "transit_stops_far")),
        (f"Lieux d'accueil : {s.sites_total} ({sites_by_type(s.sites_by_type)})" if s.sites_total
         else "Lieux d'accueil : aucun")
        + (f", dont {s.sites_total - s.sites_on_network} loin de toute route, atteints seulement en "
           "ligne droite" if s.sites_on_network < s.sites_total else ""),
        "",
        f"Population couverte (≤ {fmt_num(s.threshold_min)} min, seuil inclus) : {fmt_int(s.population_covered)} "
        f"soit {fmt_pct(s.share_covered, sep=' ')}",
        f"Population non couverte : {fmt_int(s.population_uncovered)}"
        + ("" if s.transit is not None else f" ; sans accès routier : {fmt_int(s.population_no_road)}"),
        f"Temps d'accès au lieu le plus proche, pondéré par la population : moyen {fmt_min(s.mean_time_min)}, "
        f"médian {fmt_min(s.median_time_min)}, 90e centile {fmt_min(s.p90_time_min)} "
        + ("(population ayant un lieu atteignable)" if s.transit is not None
           else "(population ayant un accès routier et un lieu atteignable)"),
    ]
    if len(result.equity) > 1:
        lines.append("Équité (part couverte) : " + " ; ".join(
            f"{_label(row['group'])} {fmt_pct(row['share_covered'], sep=' ')}"
            for _, row in result.equity.iloc[1:].iterrows()))
    if s.transit is not None:
        lines += _transit_usage_lines(s)
    worst = result.communes[result.communes["not_covered"] > 0].head(5) if not result.communes.empty else []
    if len(worst):
        lines.append("Communes avec le plus d'habitants non couverts : " + " ; ".join(
            f"{row['nom'] or row['commune']} {fmt_int(row['not_covered'])}" for _, row in worst.iterrows()))
    if result.sectors is not None:
        from .assigned import sector_lines

        lines.extend(sector_lines(result.sectors, s.threshold_min))
    if result.notices:
        lines.append("")
        lines.append("À savoir :")
        lines.extend(f"- {n.message}" for n in result.notices)
    return "\n".join(lines)


def _network_line(s) -> str:
    return (f"Réseau : {s.network_source}"
        + (" — réseau partiel (routes principales)" if s.network_partial else "")
        + f" : {fmt_int(s['network_nodes'])} nœuds, {fmt_int(s['network_edges'])} arcs"
        + (f", dont {fmt_int(s['network_estimated_edges'])} arcs estimés reliant ses morceaux"
           if s["network_estimated_edges"] else "")
        + (f" ; {plural(s['network_components'] - 1, 'morceau non relié', 'morceaux non reliés')} au réseau principal "
           f"({fmt_int(s['network_nodes_outside_largest_component'])} nœuds, dont "
           f"{fmt_int(s['network_nodes_not_snappable'])} dans des fragments de moins de 20 nœuds où rien n'est "
           "rattaché)"
           if s["network_components"] > 1 else ""))


def _transit_lines(s) -> list[str]:
    t = s.transit
    return [f"Transports en commun : flux GTFS {t.feed_file} ({', '.join(t.feed_agencies) or 'agence non déclarée'}), "
            f"valable du {_iso_fr(t.feed_valid_from)} au {_iso_fr(t.feed_valid_to)} ; {fmt_int(s['network_nodes'])} "
            f"arrêts desservis, {fmt_int(s['network_edges'])} courses ce jour-là",
            f"Date des horaires : {_iso_fr(t.service_date)} ; départs {t.window} (temps médian sur la fenêtre)",
            f"Horaires d'ouverture : {t.opening_hours}"]


def _transit_usage_lines(s) -> list[str]:
    t = s.transit
    lines = []
    for threshold, groups in t.thresholds.items():
        lines.append(f"Couverts en {threshold} min : " + " ; ".join(
            f"{_counted(s) if g == 'population' else _label(g)} {fmt_int(v['covered'])} "
            f"({fmt_pct(v['share_covered'], sep=' ')})" for g, v in groups.items()))
    if t.routes:
        lines.append(f"Lignes empruntées par les personnes couvertes (≤ {fmt_num(s.threshold_min)} min, trajet "
                     "médian) : " + " ; ".join(f"{r['route']} {fmt_int(r['population'])}" for r in t.routes[:8]))
    if t.stops:
        lines.append("Arrêts où elles montent : " + " ; ".join(f"{r['stop']} {fmt_int(r['population'])}"
                                                              for r in t.stops[:8]))
    lines.append(f"Dont à pied directement jusqu'au lieu : {fmt_int(t.walk_only_population)}")
    return lines


def _iso_fr(text: str) -> str:
    """``2025-12-02`` → ``02/12/2025``."""
    year, month, day = text.split("-")
    return f"{day}/{month}/{year}"


def _counted(s) -> str:
    """What the population column counts, capitalised: « Habitants », « Ménages »."""
    return s.population_label.split(" ")[0].capitalize() or "Population"


def _label(group: str) -> str:
    from .population import EQUITY_LABELS_FR

    return EQUITY_LABELS_FR.get(group, group)


def add_study_arguments(parser: argparse.ArgumentParser) -> None:
    """Options shared by every command that builds a study (coverage, suggest, report)."""
    group = parser.add_argument_group("territoire et données")
    group.add_argument("--territory", help="territoire intégré (voir « access30 territories ») ; "
                                           "par défaut st-brieuc-loudeac si --population n'est pas donné")
    group.add_argument("--network", type=chemin, help="extrait OpenStreetMap .osm.pbf")
    group.add_argument("--partial-network", action="store_true",
                       help="le réseau ne contient que les routes principales : relier ses morceaux par des liaisons "
                            "estimées")
    group.add_argument("--population", type=chemin,
                       help="carroyage INSEE (Idcar_200m) ou couche avec une colonne de population")
    group.add_argument("--population-column", help="colonne comptée (Ind pour Filosofi, population_municipale…)")
    group.add_argument("--population-crs", type=crs_option,
                       help="CRS des coordonnées d'un CSV de population (par défaut EPSG:4326 ; « Lambert93 », "
                            "« 2154 », « UTM20N » compris)")
    group.add_argument("--sectors", type=chemin, metavar="FICHIER",
                       help="sectorisation (code_insee,site_id) : couverture par le lieu de rattachement en plus du "
                            "lieu le plus proche ; sans ce fichier, celle livrée pour le département s'il y en a une "
                            "(Finistère)")
    group.add_argument("--demand", choices=["grid", "mairies"], default="grid",
                       help="territoire intégré : carroyage (défaut) ou population placée à la mairie")
    group.add_argument("--communes", type=chemin, help="contours communaux (code, nom, epci_code, epci_nom)")
    group.add_argument("--departement", help="code département pour les listes intégrées (22, 972…)")
    group.add_argument("--sites", type=chemin, help="lieux d'accueil : CSV (name,type,lon,lat), GeoJSON ou GPKG")
    group.add_argument("--sites-crs", default=None, type=crs_option,
                       help="CRS des coordonnées du CSV des lieux (« EPSG:2154 », « Lambert93 », « 2154 »… ; "
                            "par défaut EPSG:4326)")
    group.add_argument("--sites-builtin", default=None,
                       help=f"listes intégrées séparées par des virgules : {inventory_keys()} "
                            "(défaut pour un territoire intégré : les deux)")
    group.add_argument("--mode", choices=list(MODES), default="drive",
                       help=" ; ".join(f"{key} : {mode.label.lower()}" for key, mode in MODES.items())
                       + " (défaut : drive)")
    transit = parser.add_argument_group("transports en commun (--mode transit)")
    transit.add_argument("--gtfs", type=chemin,
                         help="flux GTFS du réseau (fichier .zip), obligatoire avec --mode transit")
    transit.add_argument("--service-date", dest="service_date", metavar="AAAA-MM-JJ",
                         help="date des horaires (dans la période de validité du flux) ; par défaut, une date "
                              "typique du jour de --at (mardi 09:00 si --at n'est pas donné)")
    transit.add_argument("--window", type=entier, default=None, metavar="MIN",
                         help="durée de la fenêtre de départ en minutes, un départ par minute (défaut 90) ; "
                              "le temps retenu est le temps médian")
    group.add_argument("--max-access-m", type=nombre, default=None,
                       help="distance maximale à vol d'oiseau jusqu'à une route (m) ; au-delà : sans accès routier")
    group.add_argument("--cache-dir", type=chemin, help="dossier de cache des réseaux téléchargés")
    parser.add_argument("--threshold", type=nombre, default=30.0, help="seuil en minutes (défaut 30, inclus)")
    parser.add_argument("--quiet", action="store_true", help="n'afficher que les erreurs")


def study_request(args: argparse.Namespace):
    """The :class:`~access.assemble.StudyRequest` of the shared options."""
    from .assemble import StudyRequest

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
    from .load import HOURS

    spec = getattr(args, "capacity", None)
    return None if spec in (None, HOURS) else spec


def add_capacity_arguments(parser: argparse.ArgumentParser) -> None:
    """``--capacity``, ``--capacity-unit``, ``--people-per-unit`` and ``--overload`` (charge des lieux)."""
    group = parser.add_argument_group("capacité et charge des lieux d'accueil")
    group.add_argument("--capacity", metavar="COLONNE",
                       help="capacité de chaque lieu : nom d'une colonne du fichier --sites (agents, ETP ou "
                            "heures d'ouverture hebdomadaires ; case vide = inconnue), ou « hours » pour les heures "
                            "d'ouverture hebdomadaires lues avec les lieux (approximation)")
    group.add_argument("--capacity-unit", default=None,
                       help="unité de la colonne de capacité, en toutes lettres (défaut : ETP)")
    group.add_argument("--people-per-unit", type=nombre, default=None,
                       help="habitants qu'une unité de capacité peut recevoir (défaut : population totale / "
                            "capacité connue totale)")
    group.add_argument("--overload", type=nombre, default=None, metavar="RATIO",
                       help="charge (habitants par unité de capacité) au-delà de laquelle un lieu est surchargé "
                            "(défaut : les 10 %% les plus chargés)")


def capacity_result(args: argparse.Namespace, study, routing, result):
    """``result`` with its load per site and 2SFCA indices when ``--capacity`` is given, else unchanged."""
    if getattr(args, "capacity", None) is None:
        return result
    from .load import capacity_indicators, site_capacity, with_capacity

    capacity = site_capacity(study.sites, args.capacity, args.capacity_unit, path=args.sites)
    report = capacity_indicators(study, routing, capacity, args.threshold, people_per_unit=args.people_per_unit,
                                 max_load=args.overload)
    return with_capacity(result, report)


def build_study(args: argparse.Namespace):
    """Build the :class:`~access.analysis.Study` described by the shared options (one input path)."""
    from .assemble import assemble_study

    return assemble_study(study_request(args))


def routed_study(args: argparse.Namespace, steps: Steps):
    """Build the study of the shared options and route it, announcing both steps."""
    from .analysis import route

    steps("Lecture du réseau, de la population et des lieux d'accueil")
    study = build_study(args)
    steps("Calcul des temps d'accès (horaires du flux GTFS, fenêtre de départ)" if get_mode(args.mode).timetable
          else "Calcul des temps d'accès (Dijkstra sur le réseau inversé)")
    return study, route(study)


#: Options that name what a command writes; every other option given as a path is read.
_OUTPUT_OPTIONS = ("out", "summary", "out_dir")
#: Options naming a folder read (the cache is protected as a whole by :func:`protected_folders`).
_FOLDER_OPTIONS = ("cache_dir", "networks_dir")
#: The national outputs of ``access30 batch`` (see :func:`access.national.write_national`).
BATCH_FILES = ("national.csv", "national.xlsx", "national.gpkg", "national.png")


def command_sources(args: argparse.Namespace) -> list:
    """What a command reads (:class:`~access.outputs.Source`): every file given to an option
    (``--network``, ``--population``, ``--sites``, ``--communes``, ``--sectors``, ``--gtfs``,
    ``--candidates``, ``--*-file``…), and the folders of the built-in data and of the cache."""
    values = [(f"--{name.replace('_', '-')}", value) for name, value in sorted(vars(args).items())
              if isinstance(value, Path) and name not in _OUTPUT_OPTIONS + _FOLDER_OPTIONS]
    values.append(("--candidates", getattr(args, "candidates", None)))
    return file_sources(values) + protected_folders(getattr(args, "cache_dir", None))


def check_command_outputs(args: argparse.Namespace, outputs: list[Output]) -> None:
    """Check ALL the outputs of a command against everything it reads, before any computation
    (:func:`access.outputs.prepare_outputs`)."""
    prepare_outputs(outputs, command_sources(args))


def coverage_result(study, routing, args: argparse.Namespace):
    """The coverage of a routed study at ``--threshold``, through the opening-hours lens of ``--at`` or
    ``--workers-hours`` for a road mode (a timetable mode has applied the moment while routing);
    without a lens, with coverage to the sector's site (``--sectors``) and the load (``--capacity``)."""
    from .analysis import evaluate

    if get_mode(args.mode).timetable:
        return evaluate(study, routing, args.threshold)
    if getattr(args, "at", None):
        from .hours import coverage_at

        return coverage_at(study, routing, args.at, args.threshold)
    if getattr(args, "workers_hours", False):
        from .hours import coverage_for_workers

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
    from .territory import TERRITORIES, is_departement_code, normalise_departement

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
    from .candidates import CANDIDATE_SOURCES

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
        option = _file_option(inventory)
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
    from .export import write_gpkg, write_summary

    outputs = [Output(args.out, "--out", (".gpkg",))]
    if args.summary is not None:
        outputs.append(Output(args.summary, "--summary", (".json",)))
    check_command_outputs(args, outputs)
    if getattr(args, "at", None):
        from .hours import parse_when

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
            from .load import load_lines

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


#: The files of a report pack besides its CSV tables (:data:`access.tables.CSV_NAMES`), in this order.
REPORT_FILES = ("couverture.gpkg", "tableaux.xlsx", "carte.png", "rapport.pdf", "synthese.json")


def cmd_report(args: argparse.Namespace) -> int:
    """Convention-ready outputs in ``--out-dir``: PDF report, XLSX and CSV tables, PNG map, GeoPackage."""
    from datetime import date

    from .errors import InputError
    from .export import uncovered_zones, write_gpkg, write_summary
    from .maps import write_png
    from .report import write_pdf
    from .tables import CSV_NAMES, write_csv_tables, write_xlsx

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
        from .hours import parse_when

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
        from .candidates import build_candidates
        from .locate import suggest_sites

        steps(f"Recherche de {plural(args.suggest, 'nouveau lieu', 'nouveaux lieux')} (couverture maximale, "
              f"candidats : {_candidate_lists()})")
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
    import json

    from .analysis import evaluate
    from .candidates import CANDIDATE_SOURCES, build_candidates
    from .export import write_gpkg
    from .io import atomic_path, split_layer
    from .labels import MODEL_LABELS_FR
    from .locate import suggest_sites

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
        from .load import site_capacity
        from .locate.suggest_capacitated import suggest_capacitated

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
        from .errors import Notice

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


def _candidate_lists() -> str:
    """The inventories giving candidates by default, in words (« mairies et France Services »)."""
    return " et ".join(inventory.plural for inventory in candidate_inventories())


def _file_option(inventory) -> str:
    """``--KEY-file``: a user's file instead of the built-in candidate list ``inventory``."""
    return f"--{inventory.key.replace('_', '-')}-file"


def _candidate_files(args: argparse.Namespace) -> dict:
    """Inventory key → the user's file given with its ``--KEY-file`` option (None when not given)."""
    return {inventory.key: getattr(args, f"{inventory.key}_file") for inventory in candidate_inventories()}


def format_suggestion(suggestion) -> str:
    """Plain-text French summary of a :class:`~access.locate.Suggestion`."""
    from .labels import MODEL_LABELS_FR

    lines = [f"Modèle : {MODEL_LABELS_FR[suggestion.model]}, seuil {fmt_num(suggestion.threshold_min)} min"]
    seconds = fmt_num(round(suggestion.seconds, 1))
    short = suggestion.capacitated is not None and not suggestion.capacitated.get("capacity_sufficient", True)
    if suggestion.optimal:
        lines.append(f"Solution optimale prouvée ({suggestion.solver}, {seconds} s)"
                     + (" — optimale pour ces capacités, qui ne suffisent pas (voir « Capacités insuffisantes »)"
                        if short else ""))
    else:
        lines.append(f"Solution NON prouvée optimale ({suggestion.solver} : {suggestion.status}) : écart "
                     f"{fmt_pct(suggestion.gap, 2)} au plus à l'optimum")
    lines.append(f"Population couverte : {fmt_int(suggestion.population_covered_before)} → "
                 f"{fmt_int(suggestion.population_covered_after)} sur {fmt_int(suggestion.population_total)}")
    lines.append(f"Temps d'accès moyen : {fmt_min(suggestion.mean_time_before_min)} → "
                 f"{fmt_min(suggestion.mean_time_after_min)}")
    if suggestion.unreachable_population > 0:
        lines.append(f"Hors de portée de tout emplacement candidat : {fmt_int(suggestion.unreachable_population)} hab.")
    for row in suggestion.suggested.itertuples():
        where = str(getattr(row, "commune_nom", "") or row.commune or "").strip()
        where = f" ({where})" if where and where.lower() != "nan" else ""  # a user file may give no commune
        lines.append(f"  {row.rank}. {row.name}{where} — {fmt_lonlat(row.lon, row.lat, 5)} : "
                     f"+{fmt_int(row.population_newly_covered)} hab. couverts, "
                     f"{fmt_int(row.catchment_population)} hab. dont il devient le lieu le plus proche")
    if suggestion.curve is not None:
        lines.append("Courbe (nouveaux lieux → population couverte) : " + " ; ".join(
            f"{int(r.k)} → {fmt_int(r.population_covered)}" + ("" if r.optimal else " (non prouvé)")
            for r in suggestion.curve.itertuples()))
    if suggestion.capacitated is not None:
        from .locate.suggest_capacitated import capacitated_lines

        lines += capacitated_lines(suggestion)
    shown = {"capacity_insufficient"} if suggestion.capacitated is not None else set()  # said above, first
    lines += [f"- {notice.message}" for notice in suggestion.notices if notice.code not in shown]
    return "\n".join(lines)


def cmd_sites(args: argparse.Namespace) -> int:
    """List a département's built-in first-reception places for review (no network needed)."""
    from .inventories import list_sites
    from .sources import describe_listing, write_listing
    from .sources.listing import OUTPUT_SUFFIXES

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
    from .territory import TERRITORIES

    for key, territory in TERRITORIES.items():
        network = territory.network or "téléchargé avec osmnx (internet requis la première fois)"
        print(f"{key:20s} {territory.label} — réseau : {network}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The ``access30`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="access30",
        description="Accès à un premier accueil social inconditionnel en 30 minutes : couverture, zones blanches, "
                    "lieux à ouvrir.")
    sub = parser.add_subparsers(dest="command", required=True, title="commandes", metavar="COMMANDE")

    coverage = sub.add_parser("coverage", help="couverture de la population par les lieux d'accueil")
    add_study_arguments(coverage)
    add_capacity_arguments(coverage)
    coverage.add_argument("--out", type=chemin, required=True, help="GeoPackage de sortie (.gpkg)")
    coverage.add_argument("--summary", type=chemin, help="résumé JSON")
    moment = coverage.add_mutually_exclusive_group()
    moment.add_argument("--at", metavar="MOMENT",
                        help="ne compter que les lieux ouverts à ce moment, par ex. \"mardi 18:00\" "
                             "(jours en français ou en anglais) ; lieux aux horaires inconnus comptés à part")
    moment.add_argument("--workers-hours", action="store_true",
                        help="ne compter que les lieux ouverts aux horaires accessibles aux actifs "
                             "(après 17 h 30 en semaine, ou le week-end)")
    coverage.add_argument("--date", dest="service_date", metavar="AAAA-MM-JJ",
                          help="--mode transit : date des horaires (comme --service-date)")
    coverage.set_defaults(func=cmd_coverage)

    demo = sub.add_parser("demo", help="couverture du territoire de démonstration (hors ligne)")
    demo.add_argument("--out-dir", default="out", help="dossier de sortie (défaut : out)")
    demo.set_defaults(func=cmd_demo)

    report = sub.add_parser("report", help="annexe PDF, tableaux XLSX/CSV, carte PNG et GeoPackage")
    add_study_arguments(report)
    add_capacity_arguments(report)
    report.add_argument("--out-dir", type=chemin, required=True, help="dossier de sortie (créé s'il n'existe pas)")
    report.add_argument("--suggest", type=entier, metavar="K",
                        help=f"ajouter K nouveaux lieux suggérés (couverture maximale ; candidats : "
                             f"{_candidate_lists()})")
    report.add_argument("--map-size", default="2000x1600", help="taille de la carte PNG en pixels (défaut 2000x1600)")
    report.add_argument("--date", help="date d'édition imprimée, AAAA-MM-JJ (défaut : aujourd'hui) ; la date des "
                                       "horaires de transports en commun est --service-date")
    report.add_argument("--at", metavar="MOMENT",
                        help="ne compter que les lieux ouverts à ce moment, par ex. \"mardi 09:00\" ; en transports "
                             "en commun, début de la fenêtre de départ et jour des horaires")
    report.set_defaults(func=cmd_report)

    suggest = sub.add_parser("suggest", help="où ouvrir de nouveaux lieux d'accueil (modèles de localisation exacts)")
    add_study_arguments(suggest)
    listed = [inventory.key for inventory in candidate_inventories()]
    suggest.add_argument("--candidates", default=",".join(listed),
                         help=f"emplacements candidats séparés par des virgules : {', '.join(listed)}, cells "
                              f"(carreaux habités) et/ou un fichier CSV/GPKG (défaut : {','.join(listed)})")
    suggest.add_argument("--candidates-crs", default=None, type=crs_option,
                         help="CRS des coordonnées du CSV des candidats (comme --sites-crs ; par défaut EPSG:4326)")
    suggest.add_argument("--max-cells", type=entier, default=None,
                         help=f"nombre maximal de carreaux candidats (défaut {DEFAULT_MAX_CELLS})")
    suggest.add_argument("--cells-method", choices=["grid", "kmeans"], default=None,
                         help="réduction des carreaux candidats : grille plus grossière (défaut) ou k-moyennes "
                              "pondérées")
    for inventory in candidate_inventories():
        suggest.add_argument(_file_option(inventory), type=chemin, help=inventory.candidates.file_help)
    suggest.add_argument("--model", choices=["cover", "maxcover", "median"], default="maxcover",
                         help="cover : nombre minimal de lieux pour couvrir tous les habitants atteignables ; "
                              "maxcover : k lieux couvrant le plus d'habitants ; median : k lieux minimisant le "
                              "temps moyen (défaut maxcover)")
    suggest.add_argument("--k", type=entier, help="nombre de nouveaux lieux (maxcover, median)")
    suggest.add_argument("--weight", default="population",
                         help="pondération : population (défaut) ou une colonne d'équité (poor_households…)")
    suggest.add_argument("--time-limit", type=nombre, default=60.0,
                         help="temps de calcul maximal en secondes (défaut 60)")
    add_capacity_arguments(suggest)
    suggest.add_argument("--capacitated", action="store_true",
                         help="modèle avec capacités (maxcover, median) : chaque lieu sert au plus sa capacité en "
                              "habitants (capacité × --people-per-unit) ; exige --capacity")
    suggest.add_argument("--new-capacity", type=nombre, default=None, metavar="N",
                         help="capacité d'un nouveau lieu, dans l'unité de --capacity (défaut : médiane des "
                              "capacités connues)")
    suggest.add_argument("--out", type=chemin, required=True, help="GeoPackage de sortie (.gpkg)")
    suggest.add_argument("--summary", type=chemin, help="résumé JSON")
    suggest.set_defaults(func=cmd_suggest)

    sites = sub.add_parser("sites", help="lieux d'accueil intégrés d'un département, à relire (hors ligne)")
    sites.add_argument("--departement", required=True, metavar="CODE",
                       help="code INSEE du département (22, 29, 2A, 972…)")
    sites.add_argument("--out", type=chemin, required=True, help="fichier de sortie (.csv, .xlsx ou .gpkg)")
    sites.add_argument("--sites-builtin", default=None,
                       help=f"listes intégrées séparées par des virgules : {inventory_keys()} (défaut : toutes)")
    sites.add_argument("--cache-dir", type=chemin,
                       help="dossier de cache (Annuaire de l'administration, data·inclusion déjà téléchargés)")
    sites.add_argument("--quiet", action="store_true", help="n'afficher que le chemin du fichier écrit")
    sites.set_defaults(func=cmd_sites)

    batch = sub.add_parser("batch", help="tous les départements (ou une liste) sur un cluster Dask : un tableau, "
                                         "une carte et un GeoPackage pour le pays")
    batch.add_argument("--departements", required=True,
                       help="all (tous) ou des codes séparés par des virgules, par ex. 22,29,972")
    batch.add_argument("--engine", choices=["dask", "local"], default="dask",
                       help="dask : un cluster local (défaut) ou celui de --scheduler ; local : l'un après "
                            "l'autre dans ce processus")
    batch.add_argument("--scheduler", help="adresse d'un ordonnanceur Dask, par ex. tcp://hote:8786")
    batch.add_argument("--workers", type=entier, help="nombre de workers du cluster local (défaut : un par cœur)")
    batch.add_argument("--memory-limit", default="4GB", help="mémoire maximale d'un worker local (défaut 4GB)")
    batch.add_argument("--networks-dir", type=chemin,
                       help="dossier d'extraits <code>.osm.pbf ; sinon téléchargés puis gardés en cache")
    batch.add_argument("--partial-network", action="store_true",
                       help="les extraits ne contiennent que les routes principales")
    road = {key: mode for key, mode in MODES.items() if not mode.timetable}  # no national set of GTFS feeds
    batch.add_argument("--mode", choices=list(road), default="drive",
                       help=" ; ".join(f"{key} : {mode.label.lower()}" for key, mode in road.items()))
    batch.add_argument("--threshold", type=nombre, default=30.0, help="seuil en minutes (défaut 30)")
    batch.add_argument("--cache-dir", type=chemin, help="cache des réseaux téléchargés")
    batch.add_argument("--out-dir", type=chemin, required=True, help="dossier de sortie")
    batch.add_argument("--resume", action="store_true",
                       help="reprendre : garder les départements déjà calculés avec les mêmes paramètres et les "
                            "mêmes fichiers d'entrée, recalculer les autres (en disant pourquoi)")
    batch.add_argument("--quiet", action="store_true", help="n'afficher que les erreurs")
    batch.set_defaults(func=cmd_batch)

    territories = sub.add_parser("territories", help="liste des territoires intégrés")
    territories.set_defaults(func=cmd_territories)
    return parser


def cmd_batch(args: argparse.Namespace) -> int:
    """Every département asked for, on Dask; the national outputs; exit status = départements failed.

    The output folder is locked from the start until the national outputs are written; with
    ``--resume``, the rows of other options or other input files are computed again, and said.
    """
    from .analysis import check_threshold
    from .batch import BatchOptions, batch_folder, national_figures, parse_departements, run_batch
    from .national import write_national

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


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``access30`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except Access30Error as exc:
        print(f"\nErreur : {exc}", file=sys.stderr)
        return EXIT_INPUT_ERROR
    except KeyboardInterrupt:
        print("\nInterrompu.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into a reader that stopped early (« | head »): not an error
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # Python's final flush would raise again
        return 0


if __name__ == "__main__":
    sys.exit(main())
