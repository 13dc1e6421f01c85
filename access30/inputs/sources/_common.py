"""Shared pieces of the source loaders: the record table, cache folders, names, départements."""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from access30.base.errors import Notice
from access30.base.files import atomic_path
from access30.base.io import read_table
from access30.base.settings import NATIONAL_COMMUNES, data_path
from access30.base.settings import cache_dir as default_cache_dir
from access30.inputs.sites import SITE_COLUMNS, SITE_TYPES

#: Columns the loaders add to the site table contract of :mod:`access30.inputs.sites`.
EXTRA_COLUMNS = ["siret", "source_ids", "vintage"]
#: Columns of :attr:`SourceResult.records`: the site columns, the extra ones, and why a record has
#: no point (empty when it has one).
RECORD_COLUMNS = SITE_COLUMNS + EXTRA_COLUMNS + ["source_key", "missing_reason"]

#: Départements without an INSEE département code of their own in the national lists.
_DOM = ("971", "972", "973", "974", "975", "976", "977", "978")


@dataclass
class SourceResult:
    """What one source gave for a département.

    Attributes
    ----------
    key : str
        Source key (``inventaire``, ``dila``, ``data_inclusion``, ``osm``, ``france_services``,
        ``mairies``), the first part of each record's ``source_key``.
    label : str
        French description for reports, with the producer and the licence.
    records : GeoDataFrame
        Every record kept (WGS84), :data:`RECORD_COLUMNS` plus geometry; geometry is None where the
        source has no usable point, and ``missing_reason`` says why.
    vintage : str
        Date (or period) of the data, as precise as the source allows.
    excluded : DataFrame
        Records read but not first-reception places (``name``, ``reason``), e.g. nursing homes in OSM.
    notices : list of Notice
    """

    key: str
    label: str
    records: gpd.GeoDataFrame
    vintage: str = ""
    excluded: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=["name", "reason"]))
    notices: list[Notice] = field(default_factory=list)

    @property
    def sites(self) -> gpd.GeoDataFrame:
        """The records that have a point: a site table (contract of :mod:`access30.inputs.sites` plus
        :data:`EXTRA_COLUMNS`)."""
        located = self.records[self.records.geometry.notna()]
        return located[SITE_COLUMNS + EXTRA_COLUMNS + ["geometry"]].reset_index(drop=True)

    @property
    def without_coordinates(self) -> pd.DataFrame:
        """The records without a point (« sans coordonnées »), with the reason."""
        missing = self.records[self.records.geometry.isna()]
        return pd.DataFrame(missing[["site_id", "name", "type", "commune", "source", "source_ids",
                                     "missing_reason"]]).reset_index(drop=True)


def make_records(columns: dict, lon, lat, source_key: str | list[str], missing_reason=None) -> gpd.GeoDataFrame:
    """Build a record table from column values and coordinates (NaN where unknown).

    A point is kept only when both coordinates are finite, within WGS84 bounds and not (0, 0) — a
    common « no value » in exports; otherwise the geometry is None and ``missing_reason`` says so
    (unless the caller gave a reason).
    """
    lon = pd.to_numeric(pd.Series(np.asarray(lon, dtype=object)), errors="coerce").to_numpy(dtype=float)
    lat = pd.to_numeric(pd.Series(np.asarray(lat, dtype=object)), errors="coerce").to_numpy(dtype=float)
    n = lon.size
    valid = (np.isfinite(lon) & np.isfinite(lat) & (np.abs(lon) <= 180) & (np.abs(lat) <= 90)
             & ~((lon == 0) & (lat == 0)))
    reasons = np.full(n, "", dtype=object) if missing_reason is None else np.asarray(missing_reason, dtype=object)
    reasons = np.where(~valid & (reasons == ""), "pas de coordonnées dans la source", reasons)
    reasons = np.where(valid, "", reasons)
    frame = pd.DataFrame({c: (np.full(n, columns.get(c, ""), dtype=object) if np.isscalar(columns.get(c, ""))
                              else np.asarray(columns[c], dtype=object)) for c in RECORD_COLUMNS})
    frame["source_key"] = source_key if isinstance(source_key, str) else np.asarray(source_key, dtype=object)
    frame["missing_reason"] = reasons
    for column in RECORD_COLUMNS:
        frame[column] = frame[column].fillna("").astype(str)
    extra = {c: v for c, v in columns.items() if c not in RECORD_COLUMNS}
    for column, values in extra.items():
        frame[column] = values
    points = gpd.points_from_xy(np.where(valid, lon, 0.0), np.where(valid, lat, 0.0))
    geometry = np.where(valid, np.asarray(points, dtype=object), None)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries(geometry, crs="EPSG:4326"), crs="EPSG:4326")


def empty_records() -> gpd.GeoDataFrame:
    """A record table with no row."""
    return make_records({}, np.array([]), np.array([]), "")


# --------------------------------------------------------------------------------------------
# Départements, communes, names


def departement_of(codes: pd.Series) -> pd.Series:
    """Département of INSEE commune codes (``29019`` → ``29``, ``97209`` → ``972``, ``2A004`` → ``2A``)."""
    codes = codes.fillna("").astype(str).str.strip().str.upper()
    return pd.Series(np.where(codes.str.startswith("97"), codes.str.slice(0, 3), codes.str.slice(0, 2)),
                     index=codes.index).where(codes.str.len() == 5, "")


_ABBREVIATIONS = (
    (r"\bcentre communal d action sociale\b", "ccas"),
    (r"\bcentre intercommunal d action sociale\b", "cias"),
    (r"\bcentre departemental d action sociale\b", "cdas"),
    (r"\bmaison departementale des solidarites\b", "mds"),
    (r"\bmaison des solidarites\b", "mds"),
    (r"\bespace departemental d action sociale\b", "edas"),
    (r"\bpoint information mediation multi services\b", "pimms"),
    (r"\bfrance services?\b", "france services"),
    (r"\bste\b", "sainte"),
    (r"\bst\b", "saint"),
)
_STOPWORDS = {"de", "du", "des", "d", "la", "le", "les", "l", "et", "a", "au", "aux", "en", "sur"}


def normalise_name(name: str) -> str:
    """A name reduced for comparison: lower case, no accents or punctuation, the usual long forms
    abbreviated (« Centre communal d'action sociale » → « ccas »), « St » → « saint », articles and
    prepositions dropped. ``"Centre Communal d'Action Sociale (CCAS) de Saint-Denis"`` and
    ``"CCAS St Denis"`` both give ``"ccas saint denis"``."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"[^a-z0-9]+", " ", text)
    for pattern, short in _ABBREVIATIONS:
        text = re.sub(pattern, short, text)
    words = [w for w in text.split() if w not in _STOPWORDS]
    # « CCAS (CCAS) de … » repeats the acronym after the long form: keep one of each word, in order.
    return " ".join(dict.fromkeys(words))


def name_similarity(a: str, b: str) -> float:
    """Similarity of two names in [0, 1]: the larger of the share of the shorter name's words found
    in the other (« CCAS Le Lorrain » in « CCAS du Lorrain, antenne ») and the character similarity
    of the normalised names (typos, « Schœlcher »/« Schoelcher »)."""
    na, nb = normalise_name(a), normalise_name(b)
    if not na or not nb:
        return 0.0
    wa, wb = set(na.split()), set(nb.split())
    containment = len(wa & wb) / min(len(wa), len(wb))
    return max(containment, SequenceMatcher(None, na, nb).ratio())


@lru_cache(maxsize=4)
def _national_town_halls(path: str) -> pd.DataFrame:
    frame = read_table(path)
    frame = frame[frame["type"] == "COM"]
    out = pd.DataFrame({
        "code": frame["code"].to_numpy(), "nom": frame["nom"].to_numpy(),
        "departement": frame["departement"].to_numpy(),
        "lon": pd.to_numeric(frame["mairie_lon"], errors="coerce").to_numpy(),
        "lat": pd.to_numeric(frame["mairie_lat"], errors="coerce").to_numpy(),
        "population": pd.to_numeric(frame["population_municipale"], errors="coerce").to_numpy(),
    })
    return out.reset_index(drop=True)


def national_town_halls() -> pd.DataFrame:
    """Every commune of France with its town-hall point (``code, nom, departement, lon, lat,
    population``) from the national list shipped in ``data/france``."""
    return _national_town_halls(str(data_path(NATIONAL_COMMUNES)))


def _tree(lon: np.ndarray, lat: np.ndarray):
    return cKDTree(_unit_xyz(lon, lat))


def _chord_to_m(chord: np.ndarray) -> np.ndarray:
    return 2 * 6_371_008.8 * np.arcsin(np.clip(chord / 2, 0, 1))


def _unit_xyz(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    # Points on a unit sphere: chord distances rank like great-circle distances.
    lo, la = np.radians(lon), np.radians(lat)
    return np.column_stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)])


def nearest_town_hall(
    lon: np.ndarray, lat: np.ndarray, departement: str | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Index into :func:`national_town_halls` of the nearest town hall of each point (of the
    département only, when given), and its distance in metres; -1 and NaN for missing points."""
    halls = national_town_halls()
    ok = halls["lon"].notna() & halls["lat"].notna()
    if departement is not None:
        ok &= halls["departement"] == departement
    index = np.flatnonzero(ok.to_numpy())
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    found = np.isfinite(lon) & np.isfinite(lat)
    nearest = np.full(lon.size, -1)
    metres = np.full(lon.size, np.nan)
    if found.any() and index.size:
        chord, k = _tree(halls["lon"].to_numpy()[index], halls["lat"].to_numpy()[index]).query(
            _unit_xyz(lon[found], lat[found]))
        nearest[found] = index[k]
        metres[found] = _chord_to_m(chord)
    return nearest, metres


def departement_at(lon: np.ndarray, lat: np.ndarray, k: int = 5) -> np.ndarray:
    """Département of each point: the most frequent among its ``k`` nearest town halls (ties go to
    the nearest). A vote, because the national list holds a few misplaced town halls (Loyat, 56,
    is placed in Quimper): one of them must not pull a point into the wrong département."""
    halls = national_town_halls()
    ok = (halls["lon"].notna() & halls["lat"].notna()).to_numpy()
    deps = halls["departement"].to_numpy()[ok]
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    out = np.full(lon.size, "", dtype=object)
    found = np.isfinite(lon) & np.isfinite(lat)
    if not found.any():
        return out
    _, neighbours = _tree(halls["lon"].to_numpy()[ok], halls["lat"].to_numpy()[ok]).query(
        _unit_xyz(lon[found], lat[found]), k=k)
    votes = deps[np.atleast_2d(neighbours)]
    out[found] = [max(dict.fromkeys(row), key=list(row).count) for row in votes]
    return out


def check_points_in_departement(records: gpd.GeoDataFrame, departement: str,
                                max_distance_m: float = 15_000.0) -> gpd.GeoDataFrame:
    """Drop the points that cannot belong to the département (geocoding errors such as a CCAS of
    La Réunion placed in Brest): a point farther than ``max_distance_m`` from every town hall of the
    département is removed (never moved) and the reason recorded, with the place it fell near."""
    has_point = records.geometry.notna().to_numpy()
    if not has_point.any():
        return records
    x = np.where(has_point, records.geometry.x.where(has_point), np.nan)
    y = np.where(has_point, records.geometry.y.where(has_point), np.nan)
    _, metres = nearest_town_hall(x, y, departement)
    bad = has_point & ~(metres <= max_distance_m)
    if not bad.any():
        return records
    records = records.copy()
    nearest, _ = nearest_town_hall(x[bad], y[bad])
    halls = national_town_halls()
    for i, hall in zip(np.flatnonzero(bad), nearest):
        near = f"près de {halls['nom'].iat[hall]} ({halls['code'].iat[hall]}), " if hall >= 0 else ""
        records.loc[records.index[i], "missing_reason"] = (
            f"coordonnées écartées : point ({x[i]:.5f}, {y[i]:.5f}) {near}à plus de {max_distance_m / 1000:.0f} km "
            f"de toute mairie du département {departement}")
    geometry = records.geometry.copy()
    geometry[bad] = None
    return records.set_geometry(geometry)


# --------------------------------------------------------------------------------------------
# Cache folders and writes


def cache_folder(name: str, cache_dir: str | Path | None = None, create: bool = True) -> Path:
    """``<cache>/<name>`` (created unless ``create`` is False), the cache being ``cache_dir`` or
    :func:`access30.base.settings.cache_dir`."""
    folder = (Path(cache_dir) if cache_dir else default_cache_dir()) / name
    if create:
        folder.mkdir(parents=True, exist_ok=True)
    return folder


def write_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write a DataFrame (or GeoDataFrame) to Parquet atomically."""
    with atomic_path(path) as tmp:
        frame.to_parquet(tmp, index=False)


def write_json(data: dict, path: Path) -> None:
    """Write a small JSON file atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def type_label(site_type: str) -> str:
    """French label of a site type."""
    return SITE_TYPES.get(site_type, site_type)
