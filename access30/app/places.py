"""« Lieux d'accueil »: a département's built-in reception places reviewed in the app, as ``access30 sites``.

The listing is :func:`access30.inputs.inventories.list_sites` (the function the command line calls),
kept once per département and lists (bounded, shared by the sessions); the downloads are written by
:func:`access30.inputs.sources.listing.write_listing`, the command's own writer, so that the file of
the app is the file of ``access30 sites --out``.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import geopandas as gpd
import pandas as pd

from access30.base.names import commune_name
from access30.inputs.inventories import list_sites
from access30.inputs.sites import SITE_TYPES
from access30.inputs.sources.listing import SiteListing, write_listing
from access30.inputs.sources.merge import report_fr

#: Listings kept (every session together).
LISTINGS = 4
#: Downloads offered: suffix → (French label, MIME type).
DOWNLOADS = {".xlsx": ("Classeur (.xlsx)", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
             ".csv": ("Tableau (.csv)", "text/csv"),
             ".gpkg": ("GeoPackage (.gpkg)", "application/geopackage+sqlite3")}


def listing(departement: str, keys: tuple[str, ...] | None = None) -> SiteListing:
    """The département's places merged from the lists ``keys`` (all when None), as ``access30 sites``."""
    return list_sites(departement, keys)


def listing_file(found: SiteListing, suffix: str) -> bytes:
    """The listing written as ``access30 sites --out lieux<suffix>`` writes it."""
    with tempfile.TemporaryDirectory(prefix="access30-lieux-") as folder:
        path = write_listing(found, Path(folder) / f"lieux_{found.departement}{suffix}")
        return path.read_bytes()


def places_table(sites: gpd.GeoDataFrame) -> pd.DataFrame:
    """The places with a point, in French, for the page (one row per merged place)."""
    def column(name: str) -> pd.Series:
        return sites[name].fillna("").astype(str) if name in sites.columns else pd.Series("", index=sites.index)

    return pd.DataFrame({
        "Lieu": column("name"), "Type": sites["type"].map(SITE_TYPES).fillna(sites["type"]),
        "Commune": [commune_name(c) or c for c in column("commune")], "Adresse": column("address"),
        "Sources": column("sources"),
        "Millésime": column("vintage"), "Horaires": column("hours"),
        "Communes du secteur": column("sector_communes"),
    })


def report_table(found: SiteListing) -> pd.DataFrame:
    """What each source gave, per type, and what is kept after merging (French headers)."""
    return report_fr(found.report)
