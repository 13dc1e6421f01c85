"""The national list of communes (names, EPCI, population, town-hall points) and a département's communes."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from access30.base.crs import local_crs
from access30.base.errors import InputError
from access30.base.fmt import fmt_num
from access30.base.io import read_table
from access30.base.names import with_full_names
from access30.base.settings import NATIONAL_COMMUNES, data_path
from access30.network.roads import haversine_m


def national_communes_table(codes: set[str] | None, departement: str | None = None) -> pd.DataFrame | None:
    """Names and EPCI of communes from the national list (no outlines): ``code, nom, epci_code, epci_nom``."""
    national = read_table(data_path(NATIONAL_COMMUNES))
    rows = national[national["type"] == "COM"]
    rows = rows[rows["code"].isin(codes)] if codes is not None else rows[rows["departement"] == departement]
    if rows.empty:
        return None
    return with_full_names(pd.DataFrame(rows[["code", "nom", "epci_code", "epci_nom"]].reset_index(drop=True)))


def departement_communes(code: str) -> tuple[gpd.GeoDataFrame, list[str]]:
    """Communes of a département from the national list, as town-hall points (WGS84).

    The national list has no outlines, so a town-hall point cannot be checked against its commune.
    It is checked against the département instead: a point more than 30 km from the median town hall
    beyond the farthest plausible one (the département's own spread) is a geocoding error; when
    flipping the sign of its longitude brings it back (a lost minus sign, as for two town halls of
    22), it is corrected, else it is dropped from the sites and its population is placed at the
    median point of the département. Each case is listed.

    Paris, Lyon and Marseille have no town-hall point of their own in the national list: their
    arrondissements stand in for them (each with its population and town hall; an arrondissement
    without a point takes the mean point of the others), so that no inhabitant is lost.
    """
    code = str(code).strip().upper().zfill(2)
    national = read_table(data_path(NATIONAL_COMMUNES))
    rows = national[(national["type"] == "COM") & (national["departement"] == code)].reset_index(drop=True)
    if rows.empty:
        raise InputError(f"aucune commune pour le département « {code} »",
                         "indiquez un code INSEE de département (01 à 95, 2A, 2B, 971 à 976)", column="--territory")
    rows, split = _arrondissements_for_pointless(with_full_names(rows), national)
    lon = pd.to_numeric(rows["mairie_lon"], errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(rows["mairie_lat"], errors="coerce").to_numpy(dtype=float)
    lon, lat, fixes = _fix_outlying_points(lon, lat, rows["code"] + " " + rows["nom"])
    fixes = split + fixes
    communes = gpd.GeoDataFrame(
        rows[["code", "nom", "epci_code", "epci_nom"]].assign(
            population_municipale=pd.to_numeric(rows["population_municipale"], errors="coerce").fillna(0.0),
            mairie_lon=lon, mairie_lat=lat),
        geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    return communes, fixes


def _arrondissements_for_pointless(rows: pd.DataFrame, national: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Communes without a town-hall point but with arrondissements: replaced by their arrondissements."""
    pointless = rows["mairie_lon"].astype(str).str.strip() == ""
    parents = set(rows.loc[pointless, "code"]) & set(national["commune_parent_code"])
    if not parents:
        return rows, []
    arm = national[(national["type"] == "ARM") & national["commune_parent_code"].isin(parents)].copy()
    lines = []
    for parent, group in arm.groupby("commune_parent_code"):
        known = group["mairie_lon"].astype(str).str.strip() != ""
        if known.any() and not known.all():
            mean_lon = pd.to_numeric(group.loc[known, "mairie_lon"]).mean()
            mean_lat = pd.to_numeric(group.loc[known, "mairie_lat"]).mean()
            arm.loc[group.index[~known], "mairie_lon"] = f"{mean_lon:.7f}"
            arm.loc[group.index[~known], "mairie_lat"] = f"{mean_lat:.7f}"
        name = rows.loc[rows["code"] == parent, "nom"].iloc[0]
        lines.append(f"{parent} {name} : sans point de mairie dans la liste nationale, population placée aux mairies "
                     f"de ses {len(group)} arrondissements ({int((~known).sum())} au point moyen des autres)")
    kept = rows[~rows["code"].isin(parents)]
    columns = list(rows.columns)
    return pd.concat([kept, arm[columns]], ignore_index=True), lines


def _fix_outlying_points(lon: np.ndarray, lat: np.ndarray,
                         labels: pd.Series) -> tuple[np.ndarray, np.ndarray, list[str]]:
    lon, lat = lon.copy(), lat.copy()
    centre_lon, centre_lat = np.nanmedian(lon), np.nanmedian(lat)
    distance = haversine_m(lon, lat, centre_lon, centre_lat)
    limit = np.nanpercentile(distance, 95) * 1.5 + 30_000.0
    fixes = []
    for i in np.flatnonzero(~(distance <= limit)):
        flipped = haversine_m(-lon[i], lat[i], centre_lon, centre_lat)
        if np.isfinite(flipped) and flipped <= limit:
            fixes.append(f"{labels.iloc[i]} : signe de la longitude rétabli ({fmt_num(round(lon[i], 4))} → "
                         f"{fmt_num(round(-lon[i], 4))})")
            lon[i] = -lon[i]
        else:
            fixes.append(f"{labels.iloc[i]} : mairie mal géolocalisée, population placée au centre du département")
            lon[i], lat[i] = centre_lon, centre_lat
    return lon, lat, fixes


def departement_area(communes: gpd.GeoDataFrame, buffer_m: float = 5_000.0):
    """Convex hull of the town halls buffered by ``buffer_m`` (WGS84): the area whose roads are downloaded."""
    crs = local_crs(communes.geometry.x.to_numpy(), communes.geometry.y.to_numpy())
    hull = communes.to_crs(crs).geometry.union_all().convex_hull.buffer(buffer_m)
    return gpd.GeoSeries([hull], crs=crs).to_crs("EPSG:4326").iloc[0]
