"""INSEE Filosofi 200 m grid for any département, downloaded once and cached per département.

INSEE publishes the grid (*Revenus, pauvreté et niveau de vie – données carroyées*, Licence Ouverte
2.0) as one national archive per vintage: Filosofi 2021 (published 2026-02-16, the default), 2019 and
2017. Each holds GeoPackage layers for metropolitan France (``…_met``), Martinique (``…_mart``) and La
Réunion (``…_reun``). **There is no grid for Guadeloupe (971), Guyane (973) or Mayotte (976).**

Fields are lower case in 2021 (``idcar_200m, ind, men, men_pauv, men_fmp, ind_65_79, ind_80p,
lcog_geo, i_est_200 …``) and may be capitalised in older files (``Idcar_200m, Ind, Men …``): they are
matched without regard to case. The archive may hold the GeoPackages directly or inside a ``.7z``
(as the 2019 one does): both are read.

**Coordinate systems.** The cells are taken from the layer's own geometry, in the CRS the GeoPackage
declares: Lambert-93 (EPSG:2154) for the mainland in 2021 — while the cell ids (``CRS3035RES200m…``)
are in ETRS89-LAEA. For the overseas layers we *assume* the local UTM systems of the INSEE cell ids,
EPSG:5490 (RGAF09 / UTM 20N) for Martinique and EPSG:2975 (RGR92 / UTM 40S) for La Réunion, but
the code does not rely on it: it uses whatever CRS the layer declares, rebuilds the cells from their
ids only when the layer declares none, and checks that the cells fall on the département.

A département's cells are those whose first commune code (``lcog_geo``, the commune holding most of
the cell) belongs to it, so that a cell on a border is counted in one département only. The national
archive is a file of the cache (:func:`grid_file`, recorded in its manifest and kept, so that every
other département is read without downloading it again); its GeoPackages are extracted beside it and
each département's cells kept as ``<cache>/filosofi/<vintage>/carreaux_200m_<dep>.parquet``. Offline
and not cached,
:class:`FilosofiUnavailable` says what to download and where to put it; its :attr:`notice` lets the
caller fall back to town-hall points with a labelled notice (:func:`grid_or_town_halls` does so).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import py7zr
import pyogrio
import shapely

from access30.base.cache import ensure, lookup
from access30.base.crs import is_geographic, local_crs
from access30.base.departements import normalise_departement
from access30.base.errors import Access30Error, InputError, Notice
from access30.base.files import atomic_path
from access30.base.record import note_cache_entry, note_file, note_source
from access30.inputs.communes import departement_communes
from access30.inputs.population import EQUITY_COLUMNS, Demand, decode_idcar
from access30.inputs.remote import DEFAULT_VINTAGE, FILOSOFI_VINTAGES, NO_GRID, grid_file
from access30.inputs.sources._common import (
    cache_folder,
    departement_of,
    national_town_halls,
)
from access30.network.roads import haversine_m

#: Layer of each overseas département with a grid; every other département is in the ``met`` layer.
LAYER_OF = {"972": "mart", "974": "reun"}
#: Fields kept from the layer (lower case); the equity fields are those of access30.inputs.population.
_FIELDS = ["idcar_200m", "ind", "lcog_geo", "i_est_200"] + sorted(
    {s.lower() for v in EQUITY_COLUMNS.values() for s in v})


class FilosofiUnavailable(Access30Error):
    """No Filosofi grid for this département: none is published (``reason="no_grid"``) or it is not
    cached and cannot be downloaded (``reason="offline"``). The message says what to do; the caller
    may fall back to town-hall points and show :attr:`notice`."""

    def __init__(self, message: str, departement: str, reason: str):
        super().__init__(message)
        self.departement = departement
        self.reason = reason

    @property
    def notice(self) -> Notice:
        """The notice to show with a fallback to town-hall points."""
        why = ("l'INSEE ne publie pas de carroyage pour ce département" if self.reason == "no_grid"
               else "le carroyage INSEE n'est pas en cache et n'a pas pu être téléchargé")
        return Notice("population_town_halls",
                      f"Population placée aux mairies (département {self.departement}) : {why}. "
                      f"Les temps d'accès sont ceux des mairies, pas des lieux de vie. {self}")


def cells_of_departement(lcog_geo: pd.Series, departement: str) -> np.ndarray:
    """Whether each cell belongs to the département: the département of its first commune code
    (``lcog_geo`` runs the codes of the communes a cell straddles together, largest share first)."""
    return (departement_of(lcog_geo.fillna("").astype(str).str.slice(0, 5)) == departement).to_numpy()


def _extract_gpkgs(archive: Path, folder: Path) -> list[Path]:
    """Extract every GeoPackage of the INSEE archive (directly, or from a nested ``.7z``) into
    ``folder``, each written atomically."""
    folder.mkdir(parents=True, exist_ok=True)
    fix = "retéléchargez l'archive INSEE (elle est peut-être incomplète)"
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.namelist() if not m.endswith("/")]
            for member in (m for m in members if m.lower().endswith(".gpkg")):
                with zf.open(member) as source, atomic_path(folder / Path(member).name) as tmp:
                    with open(tmp, "wb") as out:
                        shutil.copyfileobj(source, out, length=1 << 20)
            nested = [m for m in members if m.lower().endswith(".7z")]
            for member in nested:
                with tempfile.TemporaryDirectory(dir=folder) as work:
                    seven = Path(zf.extract(member, work))
                    _extract_7z(seven, Path(work), folder)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise InputError(f"archive du carroyage INSEE illisible ({exc})", fix, path=archive) from None
    found = sorted(folder.glob("*.gpkg"))
    if not found:
        raise InputError("aucun GeoPackage dans l'archive du carroyage INSEE", fix, path=archive)
    return found


def _extract_7z(seven: Path, work: Path, folder: Path) -> None:
    try:
        with py7zr.SevenZipFile(seven, mode="r") as archive:
            names = [n for n in archive.getnames() if n.lower().endswith(".gpkg")]
            archive.extract(path=work / "x", targets=names)
    except (py7zr.Bad7zFile, OSError, EOFError) as exc:
        raise InputError(f"archive 7z du carroyage INSEE illisible ({exc})",
                         "retéléchargez l'archive INSEE", path=seven) from None
    for path in (work / "x").rglob("*.gpkg"):
        os.replace(path, folder / path.name)


def _find_layer(gpkgs: list[Path], suffix: str) -> tuple[Path, str]:
    for gpkg in gpkgs:
        for name, _geometry in pyogrio.list_layers(gpkg):
            lowered = str(name).lower()
            if lowered.endswith(f"_{suffix}") or (
                    lowered == gpkg.stem.lower() and gpkg.stem.lower().endswith(f"_{suffix}")):
                return gpkg, str(name)
    layers = [f"{g.name}:{n}" for g in gpkgs for n, _ in pyogrio.list_layers(g)]
    raise InputError(f"couche « carreaux_200m_{suffix} » absente du carroyage INSEE (couches : {', '.join(layers)})",
                     "vérifiez le millésime et retéléchargez l'archive", path=gpkgs[0])


def _read_layer(gpkg: Path, layer: str, departement: str) -> gpd.GeoDataFrame:
    fields = {str(f).lower(): str(f) for f in pyogrio.read_info(gpkg, layer=layer)["fields"]}
    missing = [f for f in ("idcar_200m", "ind", "lcog_geo") if f not in fields]
    if missing:
        s = "s" if len(missing) > 1 else ""
        raise InputError(f"champ{s} {', '.join(missing)} absent{s} de la couche {layer}",
                         "vérifiez qu'il s'agit bien du carroyage Filosofi 200 m", path=gpkg)
    columns = [fields[f] for f in _FIELDS if f in fields]
    # The metropolitan layer holds ~2.3 million cells: filter in SQLite, on the first commune code.
    where = None if departement in LAYER_OF else f"{fields['lcog_geo']} LIKE '{departement}%'"
    frame = pyogrio.read_dataframe(gpkg, layer=layer, columns=columns, where=where)
    frame.columns = [c.lower() if c != frame.geometry.name else c for c in frame.columns]
    frame = frame[cells_of_departement(frame["lcog_geo"], departement)].reset_index(drop=True)
    if frame.crs is None:
        # No declared CRS: the cells are rebuilt from their ids (south-west corner, size, EPSG).

        cells = decode_idcar(frame["idcar_200m"], gpkg)
        frame = frame.set_geometry(shapely.box(cells["east"], cells["north"], cells["east"] + cells["size"],
                                               cells["north"] + cells["size"]),
                                   crs=f"EPSG:{int(cells['epsg'].iloc[0])}")
    return frame


def _check_on_departement(frame: gpd.GeoDataFrame, departement: str, source: Path) -> None:
    halls = national_town_halls()
    halls = halls[halls["departement"] == departement]
    centre = frame.geometry.centroid.to_crs("EPSG:4326")
    lon, lat = float(np.median(centre.x)), float(np.median(centre.y))
    hall_lon, hall_lat = float(np.nanmedian(halls["lon"])), float(np.nanmedian(halls["lat"]))

    distance = float(haversine_m(np.array([lon]), np.array([lat]), hall_lon, hall_lat)[0])
    if distance > 60_000:
        raise InputError(f"les carreaux ne tombent pas sur le département {departement} (à {distance / 1000:.0f} km) : "
                         f"le système de coordonnées déclaré ({frame.crs}) semble faux",
                         "vérifiez le GeoPackage ou retéléchargez l'archive INSEE", path=source)


def _demand(frame: gpd.GeoDataFrame, departement: str, vintage: str, layer: str) -> Demand:
    crs = frame.crs.to_string() if frame.crs.to_epsg() is None else f"EPSG:{frame.crs.to_epsg()}"
    if is_geographic(crs):
        wgs = frame.geometry.centroid
        crs = local_crs(wgs.x.to_numpy(), wgs.y.to_numpy())
        frame = frame.to_crs(crs)
    centres = frame.geometry.centroid
    lcog = frame["lcog_geo"].fillna("").astype(str)
    units = pd.DataFrame({
        "unit_id": frame["idcar_200m"].astype(str).to_numpy(),
        "population": pd.to_numeric(frame["ind"], errors="coerce").fillna(0.0).to_numpy(dtype=float),
        "commune": lcog.str.slice(0, 5).to_numpy(),
        "commune_codes": lcog.to_numpy(),
    })
    for standard, sources in EQUITY_COLUMNS.items():
        names = [s.lower() for s in sources]
        if all(n in frame.columns for n in names):
            units[standard] = sum(pd.to_numeric(frame[n], errors="coerce").fillna(0.0).to_numpy(dtype=float)
                                  for n in names)
    if "i_est_200" in frame.columns:
        # 1 where INSEE imputed the cell (fewer than 11 fiscal households): values modelled, not observed.
        units["imputed"] = pd.to_numeric(frame["i_est_200"], errors="coerce").fillna(0).to_numpy() == 1
    units["x"], units["y"] = centres.x.to_numpy(), centres.y.to_numpy()
    units = gpd.GeoDataFrame(units, geometry=frame.geometry.to_numpy(), crs=crs)
    return Demand(units=units, crs=crs, kind="grid",
                  source=f"INSEE Filosofi {vintage}, carroyage 200 m ({layer}), département {departement}",
                  population_label=f"habitants (ind, Filosofi {vintage}, carroyage INSEE 200 m)")


def _note_grid(path: Path, vintage: str, cache_dir: str | Path | None) -> None:
    """Note the département's cells and the archive they come from as read by the run."""
    note_file(path, "cache:grid")
    entry = lookup("grid", None, cache_dir, vintage)
    if entry is not None:
        note_cache_entry(entry)
    else:  # cells kept by an older version, or read from an archive given by hand
        note_source("grid", f"carroyage INSEE Filosofi {vintage}", vintage=vintage,
                    url=FILOSOFI_VINTAGES[vintage].url)


def filosofi_cache_path(departement: str, vintage: str = DEFAULT_VINTAGE, cache_dir: str | Path | None = None,
                        create: bool = True) -> Path:
    """Where the département's cells are kept (``<cache>/filosofi/<vintage>/carreaux_200m_<dep>.parquet``);
    the folder is created unless ``create`` is False."""
    folder = cache_folder(f"filosofi/{vintage}", cache_dir, create=create)
    return folder / f"carreaux_200m_{normalise_departement(departement)}.parquet"


def load_filosofi_grid(departement: str, vintage: str = DEFAULT_VINTAGE, cache_dir: str | Path | None = None,
                       archive: str | Path | None = None, url: str | None = None, refresh: bool = False) -> Demand:
    """The INSEE Filosofi 200 m cells of a département as a :class:`~access30.inputs.population.Demand`.

    Same standard and equity columns as :func:`access30.inputs.population.read_filosofi` (``unit_id``,
    ``population`` = ``ind``, ``commune`` = first code of ``lcog_geo``, ``commune_codes``, ``x``, ``y``,
    households, poor households, single-parent households, people aged 65+, one-person households),
    plus ``imputed`` (cells INSEE imputed, ``i_est_200 = 1``).

    Parameters
    ----------
    departement : str
    vintage : {"2021", "2019", "2017"}
    cache_dir : path, optional
        Cache root; files go to ``<cache>/filosofi/<vintage>``.
    archive : path, optional
        The INSEE ``.zip`` downloaded by hand (read instead of downloading).
    url : str, optional
        Download address (default: the INSEE file of the vintage); the archive goes into the cache
        (:func:`access30.base.cache.ensure`: progress, resume, checks, mirror) and stays there.
    refresh : bool
        Read the grid again from the archive.

    Raises
    ------
    FilosofiUnavailable
        No grid for 971, 973, 975, 976 (``reason="no_grid"``); not cached and not downloadable
        (``reason="offline"``, the message says what to download and where to put it).
    InputError
        Unknown vintage, unreadable archive, missing layer or fields.
    """
    dep = normalise_departement(departement)
    if vintage not in FILOSOFI_VINTAGES:
        raise InputError(f"millésime Filosofi « {vintage} » inconnu", f"millésimes : {', '.join(FILOSOFI_VINTAGES)}",
                         column="--filosofi")
    if dep in NO_GRID:
        raise FilosofiUnavailable(
            f"L'INSEE ne publie pas de carroyage Filosofi pour {NO_GRID[dep]} ({dep}) : seulement la France "
            "métropolitaine, la Martinique et La Réunion.", dep, "no_grid")
    cached = filosofi_cache_path(dep, vintage, cache_dir)
    suffix = LAYER_OF.get(dep, "met")
    if cached.is_file() and not refresh:
        frame = gpd.read_parquet(cached)
        _note_grid(cached, vintage, cache_dir)
        return _demand(frame, dep, vintage, f"carreaux_200m_{suffix}")
    folder = cached.parent
    gpkg_folder = folder / "gpkg"
    gpkgs = sorted(gpkg_folder.glob("*.gpkg")) if gpkg_folder.is_dir() else []
    if archive is not None or not gpkgs or refresh:
        if archive is not None:
            zip_path = Path(archive)
            if not zip_path.is_file():
                raise InputError("archive du carroyage INSEE introuvable", "vérifiez le chemin", path=zip_path)
        else:
            remote = grid_file(vintage, dep, cache_dir)
            if url is not None:
                remote.url = url
            try:
                entry, _ = ensure(remote, dep, cache_dir=cache_dir, refresh=refresh, timeout_s=120.0)
            except Access30Error as exc:  # offline, refused by the server, corrupt: the population falls back
                raise FilosofiUnavailable(str(exc), dep, "offline") from None
            zip_path = entry.path  # kept in the cache: another département is read without downloading it again
        gpkgs = _extract_gpkgs(zip_path, gpkg_folder)
    gpkg, layer = _find_layer(gpkgs, suffix)
    frame = _read_layer(gpkg, layer, dep)
    if frame.empty:
        raise InputError(f"aucun carreau du département {dep} dans la couche {layer}",
                         "vérifiez le code du département", path=gpkg)
    _check_on_departement(frame, dep, gpkg)
    with atomic_path(cached) as tmp:
        frame.to_parquet(tmp, index=False)
    _note_grid(cached, vintage, cache_dir)
    return _demand(frame, dep, vintage, layer)


def grid_or_town_halls(departement: str, vintage: str = DEFAULT_VINTAGE,
                       cache_dir: str | Path | None = None) -> tuple[Demand, list[Notice]]:
    """The département's Filosofi grid, or, when there is none or it cannot be had, each commune's
    legal population at its town hall with a notice saying so.

    Returns
    -------
    demand : Demand
    notices : list of Notice
        Empty with the grid; with town halls, the :attr:`FilosofiUnavailable.notice` (the town halls
        the national list geocodes badly are listed in ``demand.notes``, as for
        :func:`access30.inputs.assemble.departement_study`).
    """
    try:
        return load_filosofi_grid(departement, vintage, cache_dir), []
    except FilosofiUnavailable as exc:
        unavailable = exc

    communes, fixes = departement_communes(unavailable.departement)
    crs = local_crs(communes.geometry.x.to_numpy(), communes.geometry.y.to_numpy())
    points = communes.geometry.to_crs(crs)
    units = gpd.GeoDataFrame({
        "unit_id": communes["code"].to_numpy(), "population": communes["population_municipale"].to_numpy(dtype=float),
        "commune": communes["code"].to_numpy(), "x": points.x.to_numpy(), "y": points.y.to_numpy(),
    }, geometry=points.to_numpy(), crs=crs)
    demand = Demand(units=units, crs=crs, kind="points", source="communes (populations municipales)",
                    population_label="habitants (population municipale, placée à la mairie)", notes=fixes)
    return demand, [unavailable.notice]
