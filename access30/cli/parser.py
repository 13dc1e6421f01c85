"""The ``access30`` argument parser, in French: commands, options and their checks of type."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from access30.base.cache import SOURCES
from access30.base.crs import crs_option
from access30.base.settings import DEFAULT_THRESHOLD_MIN
from access30.inputs.catalogue import DEFAULT_MAX_CELLS, candidate_entries, inventory_keys
from access30.network.modes import MODES

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
    group.add_argument("--cache-dir", type=chemin, help="dossier de cache des données téléchargées (réseau, carroyage, "
                                                        "annuaires ; défaut : ACCESS30_CACHE ou ~/.cache/access30)")
    add_mirror_argument(group)
    parser.add_argument("--threshold", type=nombre, default=DEFAULT_THRESHOLD_MIN,
                        help="seuil en minutes (défaut 30, inclus)")
    parser.add_argument("--quiet", action="store_true", help="n'afficher que les erreurs")


def add_mirror_argument(parser) -> None:
    """``--mirror``: a mirror of the download servers (as ``ACCESS30_MIRROR``)."""
    parser.add_argument("--mirror", metavar="URL",
                        help="miroir des serveurs de téléchargement, http://hôte/chemin/ : remplace le protocole et "
                             "l'hôte de chaque adresse et garde son chemin (défaut : ACCESS30_MIRROR)")


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


def add_hours_arguments(parser: argparse.ArgumentParser) -> None:
    """``--walk-in`` and ``--wait`` (« hors les murs »: hours without appointment, the wait for an opening)."""
    group = parser.add_argument_group("horaires : accueil sans rendez-vous et attente")
    group.add_argument("--walk-in", action="store_true",
                       help="ne compter que les horaires d'accueil sans rendez-vous (colonne « horaires_sans_rdv » "
                            "du fichier --sites ; un lieu sans cette colonne compte ses horaires d'ouverture) ; "
                            "seul, un lieu compte s'il reçoit sans rendez-vous au moins une fois sur quatre semaines")
    group.add_argument("--wait", action="store_true",
                       help="attente jusqu'à la prochaine ouverture d'un lieu atteint dans le seuil, depuis un moment "
                            "tiré au hasard sur un cycle de quatre semaines : part des habitants ayant une ouverture "
                            "chaque semaine, chaque quinzaine, moins souvent ; attente moyenne et 90e centile (jours)")


#: Defaults of ``access30 tour`` (those of :class:`access30.suggest.tour.TourOptions`).
TOUR_DEFAULTS = {"half_days": 8, "max_drive_min": 60.0, "stop_hours": 3.0, "midday_drive_min": 90.0,
                 "candidates": "mairies", "weeks": 1, "time_limit": 60.0}


def add_tour_parser(sub) -> None:
    """``access30 tour``: the exact weekly (or fortnightly) round of one mobile team."""
    tour = sub.add_parser("tour", help="« hors les murs » : la tournée hebdomadaire d'une équipe mobile (ou d'un "
                                       "bus France Services) qui met le plus d'habitants à portée, calcul exact")
    add_study_arguments(tour)
    group = tour.add_argument_group("la tournée")
    d = TOUR_DEFAULTS
    group.add_argument("--half-days", type=entier, default=d["half_days"], metavar="N",
                       help=f"demi-journées de présence par semaine, de 1 à 14 (défaut {d['half_days']} : quatre "
                            "jours, un arrêt le matin et un l'après-midi)")
    group.add_argument("--base", metavar="LIEU|LON,LAT",
                       help="d'où part et où revient l'équipe chaque jour : identifiant d'un lieu de l'étude ou "
                            "« longitude,latitude », écrit --base=-2.76,48.51 quand la longitude est négative "
                            "(défaut : le lieu existant le plus proche des habitants non "
                            "couverts)")
    group.add_argument("--max-drive-min", type=nombre, default=d["max_drive_min"], metavar="MIN",
                       help="trajet maximal en voiture entre la base et un arrêt, dans chaque sens (défaut 60)")
    group.add_argument("--stop-hours", type=nombre, default=d["stop_hours"], metavar="H",
                       help="durée d'un arrêt en heures, de 0,5 à 4 : le matin à partir de 9h, l'après-midi à partir "
                            "de 14h (défaut 3)")
    group.add_argument("--midday-drive-min", type=nombre, default=d["midday_drive_min"], metavar="MIN",
                       help="trajet maximal entre l'arrêt du matin et celui de l'après-midi (défaut 90, au plus le "
                            "temps entre les deux arrêts)")
    group.add_argument("--candidates", default=d["candidates"],
                       help="lieux possibles des arrêts, séparés par des virgules : mairies, france_services, cells "
                            "(carreaux habités) et/ou un fichier CSV/GPKG (défaut : mairies)")
    group.add_argument("--candidates-crs", default=None, type=crs_option,
                       help="CRS des coordonnées du CSV des candidats (par défaut EPSG:4326)")
    group.add_argument("--max-cells", type=entier, default=None,
                       help=f"nombre maximal de carreaux candidats (défaut {DEFAULT_MAX_CELLS})")
    group.add_argument("--weeks", type=entier, choices=[1, 2], default=d["weeks"],
                       help="1 : tournée hebdomadaire (défaut) ; 2 : tournée sur deux semaines, deux fois plus "
                            "d'arrêts vus chacun une semaine sur deux")
    group.add_argument("--time-limit", type=nombre, default=d["time_limit"],
                       help="temps de calcul maximal en secondes (défaut 60) ; au-delà, l'écart à l'optimum est dit")
    out = tour.add_argument_group("sorties")
    out.add_argument("--out", type=chemin, required=True,
                     help="GeoPackage de sortie (.gpkg) : arrêts, trajets de l'équipe, carreaux servis")
    out.add_argument("--summary", type=chemin, help="résumé JSON (section « tour »)")
    out.add_argument("--schedule-out", type=chemin, metavar="FICHIER.csv",
                     help="les permanences comme liste de lieux (colonne « horaires ») à redonner à coverage avec "
                          "--sites")
    out.add_argument("--xlsx", type=chemin, help="classeur XLSX : tournée, arrêts, habitants servis")
    out.add_argument("--pdf", type=chemin, help="rapport PDF « Présence hors les murs »")


def candidate_lists() -> str:
    """The inventories giving candidates by default, in words (« mairies et France Services »)."""
    return " et ".join(inventory.plural for inventory in candidate_entries())


def file_option(inventory) -> str:
    """``--KEY-file``: a user's file instead of the built-in candidate list ``inventory``."""
    return f"--{inventory.key.replace('_', '-')}-file"


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
    add_hours_arguments(coverage)

    demo = sub.add_parser("demo", help="couverture du territoire de démonstration (hors ligne)")
    demo.add_argument("--out-dir", default="out", help="dossier de sortie (défaut : out)")

    report = sub.add_parser("report", help="annexe PDF, tableaux XLSX/CSV, carte PNG et GeoPackage")
    add_study_arguments(report)
    add_capacity_arguments(report)
    report.add_argument("--out-dir", type=chemin, required=True, help="dossier de sortie (créé s'il n'existe pas)")
    report.add_argument("--suggest", type=entier, metavar="K",
                        help=f"ajouter K nouveaux lieux suggérés (couverture maximale ; candidats : "
                             f"{candidate_lists()})")
    report.add_argument("--map-size", default="2000x1600", help="taille de la carte PNG en pixels (défaut 2000x1600)")
    report.add_argument("--date", help="date d'édition imprimée, AAAA-MM-JJ (défaut : aujourd'hui) ; la date des "
                                       "horaires de transports en commun est --service-date")
    report.add_argument("--at", metavar="MOMENT",
                        help="ne compter que les lieux ouverts à ce moment, par ex. \"mardi 09:00\" ; en transports "
                             "en commun, début de la fenêtre de départ et jour des horaires")
    add_hours_arguments(report)

    suggest = sub.add_parser("suggest", help="où ouvrir de nouveaux lieux d'accueil (modèles de localisation exacts)")
    add_study_arguments(suggest)
    listed = [inventory.key for inventory in candidate_entries()]
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
    for inventory in candidate_entries():
        suggest.add_argument(file_option(inventory), type=chemin, help=inventory.candidates.file_help)
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

    add_tour_parser(sub)

    sites = sub.add_parser("sites", help="lieux d'accueil intégrés d'un département, à relire (hors ligne)")
    sites.add_argument("--departement", required=True, metavar="CODE",
                       help="code INSEE du département (22, 29, 2A, 972…)")
    sites.add_argument("--out", type=chemin, required=True, help="fichier de sortie (.csv, .xlsx ou .gpkg)")
    sites.add_argument("--sites-builtin", default=None,
                       help=f"listes intégrées séparées par des virgules : {inventory_keys()} (défaut : toutes)")
    sites.add_argument("--cache-dir", type=chemin,
                       help="dossier de cache (Annuaire de l'administration, data·inclusion : téléchargés au premier "
                            "usage)")
    add_mirror_argument(sites)
    sites.add_argument("--quiet", action="store_true", help="n'afficher que le chemin du fichier écrit")

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
    batch.add_argument("--threshold", type=nombre, default=DEFAULT_THRESHOLD_MIN, help="seuil en minutes (défaut 30)")
    batch.add_argument("--cache-dir", type=chemin, help="cache des réseaux téléchargés")
    batch.add_argument("--out-dir", type=chemin, required=True, help="dossier de sortie")
    batch.add_argument("--resume", action="store_true",
                       help="reprendre : garder les départements déjà calculés avec les mêmes paramètres et les "
                            "mêmes fichiers d'entrée, recalculer les autres (en disant pourquoi)")
    batch.add_argument("--quiet", action="store_true", help="n'afficher que les erreurs")

    download = sub.add_parser("download", help="télécharger les données publiques d'un département dans le cache "
                                                "(réseau, carroyage, annuaires, France Services)")
    download.add_argument("--departement", required=True, metavar="CODE",
                          help="code INSEE du département (22, 29, 2A, 972…)")
    download.add_argument("--only", metavar="SOURCES",
                          help=f"sources séparées par des virgules : {', '.join(SOURCES)} (défaut : toutes)")
    download.add_argument("--cache-dir", type=chemin, help="dossier de cache (défaut : ACCESS30_CACHE ou "
                                                           "~/.cache/access30)")
    add_mirror_argument(download)
    download.add_argument("--refresh", action="store_true",
                          help="télécharger de nouveau, même ce qui est déjà en cache")
    download.add_argument("--quiet", action="store_true", help="sans barres de progression")

    cache = sub.add_parser("cache", help="ce que contient le cache des données téléchargées (ou le vider)")
    cache.add_argument("--clear", metavar="SOURCE", choices=[*SOURCES, "all"],
                       help=f"supprimer du cache une source ({', '.join(SOURCES)}) ou tout (all), avec les fichiers "
                            "qui en sont tirés")
    cache.add_argument("--verify", action="store_true",
                       help="relire chaque fichier et vérifier son empreinte SHA-256")
    cache.add_argument("--cache-dir", type=chemin, help="dossier de cache (défaut : ACCESS30_CACHE ou "
                                                        "~/.cache/access30)")

    rerun = sub.add_parser("rerun", help="refaire un calcul à partir de son résumé JSON (même options, mêmes "
                                         "fichiers, vérifiés par leur empreinte)")
    rerun.add_argument("record", type=chemin, metavar="RUN.json",
                       help="résumé JSON d'un calcul (--summary, ou synthese.json d'un dossier)")
    rerun.add_argument("--out", type=chemin, help="GeoPackage de sortie (défaut : celui d'origine suffixé "
                                                  "« -relance »)")
    rerun.add_argument("--summary", type=chemin, help="résumé JSON de sortie (défaut : celui d'origine suffixé "
                                                      "« -relance »)")
    rerun.add_argument("--out-dir", type=chemin, help="report : dossier de sortie (défaut : celui d'origine suffixé "
                                                      "« -relance »)")
    rerun.add_argument("--quiet", action="store_true", help="n'afficher que les erreurs")

    sub.add_parser("territories", help="liste des territoires intégrés")
    return parser
