"""Writing results: GeoPackage layers and the JSON summary, atomically.

GeoPackages open cleanly in QGIS: CRS set on every layer, one geometry type per layer, field names
of at most 30 characters, no NumPy objects in attributes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from access30.base.files import atomic_path, jsonable, write_text_atomic
from access30.base.fmt import fmt_num, round_up_minutes
from access30.base.frcsv import write_french_csv
from access30.base.labels import status_label
from access30.base.names import known_names
from access30.coverage.result import CoverageResult
from access30.coverage.rules import STATUS_COVERED
from access30.inputs.study import commune_outlines

MAX_FIELD_NAME = 30


def summary_json(result: CoverageResult, extra: dict | None = None, record=None) -> dict:
    """The JSON summary of a coverage run: headline figures, meaning of each, notices, and under ``run``
    how it was made (the run record, :class:`access30.base.record.RunRecord`, when given)."""
    summary = result.summary.to_dict()
    summary["notices"] = [n.message for n in result.notices]
    summary["definitions"] = {
        "population_covered": f"population à {fmt_num(result.threshold_min)} min ou moins du lieu d'accueil le plus "
                              "proche (seuil inclus), trajets d'approche compris",
        "population_no_road": "population à plus de max_access_m de toute route : jamais comptée comme couverte",
        "estimated_time_share": "part moyenne des temps d'accès estimée (trajets d'approche, liaisons estimées) "
                                "plutôt que calculée sur le réseau",
    }
    summary["sources"] = list(result.sources)  # with their vintages: network, population, site lists
    if result.sectors is not None:
        summary["sectors"] = result.sectors.summary.to_dict()
    if result.wait is not None:
        summary["wait"] = {**result.wait.to_dict(), "definitions": wait_definitions(result.wait.walk_in)}
    if result.capacity is not None:
        summary.update(result.capacity.to_dict())
        summary["definitions"]["sites_load"] = (
            "par lieu : population rattachée (lieu le plus proche, à "
            f"{fmt_num(result.threshold_min)} min ou moins), charge = population rattachée / capacité "
            f"({result.capacity.unit}) ; capacité en habitants = capacité × habitants par unité "
            f"({result.capacity.people_label})")
        summary["definitions"]["access_2sfca"] = (
            "indice 2SFCA (Luo et Wang 2003) : capacité accessible pour 1 000 habitants, temps exacts sur le "
            "réseau ; E2SFCA (Luo et Qi 2009) : même indice pondéré par tranches de temps (1 ; 0,68 ; 0,22) ; "
            "statistiques pondérées par la population")
    if extra:
        summary.update(extra)
    if record is not None:
        summary["run"] = record.to_dict()
    return jsonable(summary)


def wait_definitions(walk_in: bool = False) -> dict:
    """What each figure of the JSON ``wait`` counts, in French."""
    hours = "horaires d'accueil sans rendez-vous" if walk_in else "horaires d'ouverture"
    return {
        "population_in_reach": "habitants à portée (seuil inclus) d'au moins un lieu d'accueil",
        "population_unknown": "habitants à portée dont tous les lieux atteints ont des horaires inconnus : pas "
                              "d'attente calculée",
        "population_weekly": f"habitants à portée ayant une ouverture ({hours}) d'un lieu atteint chaque semaine "
                             "des quatre semaines du cycle",
        "population_fortnightly": "habitants ayant une ouverture dans toute période de deux semaines consécutives, "
                                  "mais pas chaque semaine",
        "population_less_often": "habitants ayant une ouverture moins souvent qu'une semaine sur deux",
        "population_never": "habitants dont les lieux atteints sont fermés sur tout le cycle",
        "share_weekly": "part des habitants à portée aux horaires connus (population_in_reach - "
                        "population_unknown) ; de même share_fortnightly, share_less_often, share_never",
        "mean_wait_days": "attente moyenne, en jours, depuis un moment tiré au hasard sur le cycle de quatre "
                          "semaines jusqu'à la prochaine ouverture d'un lieu atteint dans le seuil (0 si l'un est "
                          "ouvert), sur les habitants à portée aux horaires connus",
        "p90_wait_days": "90e centile de cette attente, en jours (90 % des habitants et des moments attendent moins)",
    }


#: Columns of the wait added to the ``cells`` layer (``--wait``), as written (at most 30 characters).
WAIT_CELL_COLUMNS = {"sites_in_reach": "wait_sites_in_reach", "frequency": "wait_frequency",
                     "open_share": "wait_open_share", "mean_wait_days": "wait_mean_days",
                     "p90_wait_days": "wait_p90_days"}
#: The frequency codes in French, as written in the ``cells`` layer.
WAIT_FREQUENCY_FR = {"weekly": "chaque semaine", "fortnightly": "chaque quinzaine", "less_often": "moins souvent",
                     "never": "jamais (fermé sur le cycle)", "unknown": "horaires inconnus", "": "hors de portée"}


def write_summary(result: CoverageResult, path: str | Path, extra: dict | None = None, record=None) -> None:
    """Write the JSON summary atomically (with the run record under ``run`` when given)."""
    write_text_atomic(path, json.dumps(summary_json(result, extra, record), ensure_ascii=False, indent=2))


def with_run(summary: dict, record=None) -> dict:
    """A JSON summary (e.g. a suggestion's) with the run record under ``run`` when given."""
    return {**summary, "run": record.to_dict()} if record is not None else summary


def run_table(record) -> pd.DataFrame:
    """The run record as the ``run`` table of a GeoPackage: one row per item (``rubrique``, ``element``,
    ``valeur``), and a last row holding the whole record as JSON (``access30 rerun`` reads it)."""
    rows = [*record.rows(), ("Journal", "json", record.json())]
    return pd.DataFrame(rows, columns=["rubrique", "element", "valeur"])


def _clean_layer(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame.copy()
    renamed = {}
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        name = str(column)[:MAX_FIELD_NAME]
        renamed[column] = name
        values = frame[column]
        if values.dtype == object or str(values.dtype).startswith("string"):
            frame[column] = values.astype(str)
        elif values.dtype.kind == "f":
            frame[column] = values.replace([np.inf, -np.inf], np.nan)
    return frame.rename(columns=renamed)


def units_layer(result: CoverageResult) -> gpd.GeoDataFrame:
    """The per-unit layer as written (times rounded up to 0.01 min, so that they agree with the status)."""
    units = result.units.copy()
    for column in ["time_min", "time2_min", "access_leg_min", "estimated_min"]:
        units[column] = round_up_minutes(units[column])
    units["snap_m"] = units["snap_m"].round(1)
    units["covered"] = (units["status"] == STATUS_COVERED).astype(int)
    units["status"] = status_label(units["status"])  # French words in the file, as planners read it
    if result.wait is not None:  # the wait of each unit, in the units' order
        wait = result.wait.units
        for column, name in WAIT_CELL_COLUMNS.items():
            values = wait[column].to_numpy()
            units[name] = [WAIT_FREQUENCY_FR.get(v, v) for v in values] if column == "frequency" else values
    return units


def communes_layer(result: CoverageResult, communes: gpd.GeoDataFrame | None,
                   shapes: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Commune indicators with outlines (from ``communes`` when given, else the union of their units: ``shapes``
    when already made by :func:`commune_shapes`)."""
    table = result.communes
    outlines = commune_outlines(communes)
    if outlines is not None:
        outlines = outlines[["code", "geometry"]].to_crs(result.units.crs)
        layer = outlines.merge(table, left_on="code", right_on="commune", how="inner").drop(columns="code")
    else:
        dissolved = shapes if shapes is not None else dissolve_units(result.units, "commune")
        layer = dissolved.merge(table, on="commune", how="inner")
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=result.units.crs)


def commune_shapes(units: gpd.GeoDataFrame) -> gpd.GeoDataFrame | None:
    """The union of each commune's units (``commune``, ``geometry``, ``units``: how many), when the units are
    cells of a grid (:func:`is_cell_grid`); None otherwise.

    Made once per GeoPackage, it gives the communes layer without outlines, the EPCI (unions of communes)
    and the zones blanches of whole communes (:func:`uncovered_zones`): each a union of a few shapes instead
    of thousands of cells.
    """
    if "commune" not in units.columns or not len(units) or not is_cell_grid(units.geometry.to_numpy()):
        return None
    shapes = dissolve_units(units, "commune")
    counts = units["commune"].value_counts()
    shapes["units"] = counts.reindex(shapes["commune"]).to_numpy(dtype=np.int64)
    return shapes


ZONE_POINT_BUFFER_M = 100.0


def is_cell_grid(geoms: np.ndarray) -> bool:
    """Whether polygons are the cells of a regular grid, or pieces of them (a modelled grid's cells cut at
    commune borders): at least half are whole cells of one size, none is wider or taller than a cell.

    Such polygons form a polygon coverage (they do not overlap), which :func:`union_of_cells` merges fast.
    """
    if len(geoms) == 0 or not np.isin(shapely.get_type_id(geoms), (3, 6)).all():
        return False
    areas = shapely.area(geoms)
    cell = float(areas.max())
    if cell <= 0 or np.isclose(areas, cell, rtol=1e-6).sum() * 2 < len(geoms):
        return False
    bounds = shapely.bounds(geoms)
    side = np.sqrt(cell) * (1 + 1e-6)
    return bool((bounds[:, 2] - bounds[:, 0] <= side).all() and (bounds[:, 3] - bounds[:, 1] <= side).all())


#: How far (relative) a merged area may differ from its parts' total and still be taken as their union.
COVERAGE_AREA_TOLERANCE = 1e-5


def union_of_cells(parts: np.ndarray):
    """The union of cells of a grid (:func:`is_cell_grid`): ``shapely.coverage_union_all``, linear in the
    cells and exact there (20 times faster than ``union_all`` on the demo's grid), checked.

    Pieces of cells cut along commune outlines that do not quite share their vertices leave a
    self-touching ring: the merged shape is repaired (``make_valid``) and kept when its area is the
    parts' total within :data:`COVERAGE_AREA_TOLERANCE` (10 times faster than the general union on the
    Côtes-d'Armor's 196,594 pieces, and off by about 1 m² in a million). Overlapping parts, or parts GEOS
    refuses as « incorrectly noded », go through the general union.
    """
    total = float(shapely.area(parts).sum())
    try:
        shape = shapely.coverage_union_all(parts)
    except shapely.errors.GEOSException:
        return shapely.union_all(parts)
    if not shapely.is_valid(shape):
        shape = shapely.make_valid(shape, method="structure", keep_collapsed=False)
    if abs(shape.area - total) > COVERAGE_AREA_TOLERANCE * max(total, 1e-9):
        shape = shapely.union_all(parts)
    return shape


def dissolve_units(frame: gpd.GeoDataFrame, by: str) -> gpd.GeoDataFrame:
    """``frame.dissolve(by=by)[["geometry"]].reset_index()``, fast on a grid of cells.

    Cells of a grid, whole or cut at commune borders (:func:`is_cell_grid`), are merged with
    :func:`union_of_cells`. Anything else (points, outlines of other sizes) goes through the general
    union.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> cells = gpd.GeoDataFrame({"k": ["a", "a", "b"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)])
    >>> dissolve_units(cells, "k").area.tolist()
    [2.0, 1.0]
    >>> pieces = gpd.GeoDataFrame({"k": ["a", "a", "a"]},
    ...                           geometry=[box(0, 0, 1, 1), box(1, 0, 1.4, 1), box(1.4, 0, 2, 1)])
    >>> dissolve_units(pieces, "k").geometry.iloc[0].equals(box(0, 0, 2, 1))  # a cell cut in two pieces
    True
    >>> discs = gpd.GeoDataFrame({"k": ["a", "a"]}, geometry=gpd.GeoSeries.from_xy([0, 1], [0, 0]).buffer(1))
    >>> round(float(dissolve_units(discs, "k").area.iloc[0]), 2)  # overlapping: the general union
    5.05
    """
    geoms = frame.geometry.to_numpy()
    if not is_cell_grid(geoms):
        return frame[[by, "geometry"]].dissolve(by=by).reset_index()[[by, "geometry"]]
    groups = pd.Series(np.arange(len(frame))).groupby(frame[by].to_numpy()).indices
    keys = sorted(groups)
    merged = [union_of_cells(geoms[groups[key]]) for key in keys]
    return gpd.GeoDataFrame({by: keys}, geometry=merged, crs=frame.crs)


def zones_by_commune(out: gpd.GeoDataFrame, whole: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The uncovered cells ``out`` (a grid, :func:`is_cell_grid`) merged by status, commune by commune, then the
    communes' parts together: many small unions and one of few parts, faster than one of every cell.

    A commune whose cells all share one status is taken as its shape in ``whole`` (:func:`commune_shapes`)
    when given: the same union, already made.
    """
    shape_of = dict(zip(whole["commune"], whole.geometry.to_numpy())) if whole is not None else {}
    size = dict(zip(whole["commune"], whole["units"])) if whole is not None else {}
    geoms = out.geometry.to_numpy()
    communes = out["commune"].fillna("").astype(str).to_numpy()  # a unit of no known commune is merged too
    groups = pd.Series(np.arange(len(out))).groupby([out["status"].to_numpy(), communes]).indices
    parts: dict[str, list] = {}
    for (status, commune), rows in sorted(groups.items()):
        whole_commune = size.get(commune) == len(rows)
        parts.setdefault(status, []).append(shape_of[commune] if whole_commune else union_of_cells(geoms[rows]))
    statuses = sorted(parts)
    merged = [union_of_cells(np.array(parts[status], dtype=object)) for status in statuses]
    return gpd.GeoDataFrame({"status": statuses}, geometry=merged, crs=out.crs)


@dataclass(frozen=True)
class Zones:
    """The zones blanches of a result (:func:`uncovered_zones`) and the commune shapes they were made with
    (:func:`commune_shapes`, None when the units are not a grid): made once for every file of a result."""

    zones: gpd.GeoDataFrame
    shapes: gpd.GeoDataFrame | None

    @property
    def nbytes(self) -> int:
        """About the memory the shapes hold (16 bytes a coordinate): what a cache of them counts."""
        frames = [self.zones] + ([self.shapes] if self.shapes is not None else [])
        return int(sum(shapely.get_num_coordinates(frame.geometry.to_numpy()).sum() for frame in frames) * 16)


def zones_of(result: CoverageResult, communes: gpd.GeoDataFrame | None = None,
             shapes: gpd.GeoDataFrame | None = None) -> Zones:
    """The commune shapes of ``result``'s units (``shapes`` when already made: they are the same at every
    threshold, scenario and lens of a study), then its zones blanches with them (:class:`Zones`)."""
    shapes = shapes if shapes is not None else commune_shapes(result.units)
    return Zones(uncovered_zones(result, communes, shapes), shapes)


def uncovered_zones(result: CoverageResult, communes: gpd.GeoDataFrame | None = None,
                    whole: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """Uncovered demand units dissolved into contiguous polygons (the *zones blanches*).

    Units not covered are merged by status (not covered, without road access: ``status`` gives
    their French words), then split into connected polygons; each zone gets the population, unit count and
    time figures of the units whose representative point falls in it.

    Parameters
    ----------
    result : CoverageResult
    communes : GeoDataFrame, optional
        Commune outlines (``code``, ``nom``), to name each zone's main commune.
    whole : GeoDataFrame, optional
        The union of each commune's units (:func:`commune_shapes`), when made: a commune uncovered as a whole
        is merged as one shape.

    Returns
    -------
    GeoDataFrame
        One Polygon per zone in the units' CRS, most populated first, with ``zone_id``, ``status``,
        ``population``, ``units``, ``area_km2``, ``mean_min`` (population-weighted, finite times
        only), ``max_min``, ``commune`` and ``nom`` (commune holding most of the zone's people).
        Point units (populations placed at a town hall) are drawn as discs of
        :data:`ZONE_POINT_BUFFER_M` metres.
    """
    units = result.units
    columns = ["zone_id", "status", "population", "units", "area_km2", "mean_min", "max_min", "commune", "nom"]
    out = units[units["status"] != STATUS_COVERED]
    if out.empty:
        return gpd.GeoDataFrame({c: [] for c in columns}, geometry=gpd.GeoSeries([], crs=units.crs), crs=units.crs)
    if "commune" in out.columns and is_cell_grid(out.geometry.to_numpy()):
        merged = zones_by_commune(out, whole)
    else:
        shapes = out.geometry
        if not shapes.geom_type.isin(["Polygon", "MultiPolygon"]).all():
            shapes = shapes.where(shapes.geom_type.isin(["Polygon", "MultiPolygon"]),
                                  shapes.buffer(ZONE_POINT_BUFFER_M))
        shaped = gpd.GeoDataFrame({"status": out["status"].to_numpy()}, geometry=shapes.to_numpy(), crs=units.crs)
        merged = dissolve_units(shaped, "status")
    merged = merged.explode(index_parts=False).reset_index(drop=True)
    merged = merged[merged.geom_type == "Polygon"].reset_index(drop=True)
    points = gpd.GeoDataFrame({"status": out["status"].to_numpy(), "row": np.arange(len(out))},
                              geometry=out.geometry.representative_point().to_numpy(), crs=units.crs)
    joined = gpd.sjoin(points, merged[["status", "geometry"]].rename(columns={"status": "zone_status"}),
                       predicate="within", how="left")
    joined = joined[joined["status"] == joined["zone_status"]]
    joined = joined[~joined.index.duplicated()]
    zone = np.full(len(out), -1, dtype=np.int64)
    zone[joined["row"].to_numpy()] = joined["index_right"].to_numpy()
    pop = out["population"].to_numpy(dtype=float)
    time = out["time_min"].to_numpy(dtype=float)
    n = len(merged)
    ok = zone >= 0
    population = np.bincount(zone[ok], weights=pop[ok], minlength=n)
    count = np.bincount(zone[ok], minlength=n)
    finite = ok & np.isfinite(time)
    weighted = np.bincount(zone[finite], weights=(pop * np.where(np.isfinite(time), time, 0.0))[finite], minlength=n)
    weight = np.bincount(zone[finite], weights=pop[finite], minlength=n)
    max_min = np.full(n, np.nan)
    if finite.any():
        np.fmax.at(max_min, zone[finite], time[finite])
    frame = pd.DataFrame({"zone": zone[ok], "commune": out["commune"].to_numpy()[ok], "population": pop[ok]})
    main = (frame.groupby(["zone", "commune"], sort=False)["population"].sum().reset_index()
            .sort_values(["zone", "population"], ascending=[True, False]).drop_duplicates("zone")
            .set_index("zone")["commune"])
    merged["population"] = population
    merged["units"] = count.astype(np.int64)
    merged["area_km2"] = merged.geometry.area / 1e6
    merged["mean_min"] = np.where(weight > 0, weighted / np.maximum(weight, 1e-12), np.nan)
    merged["max_min"] = round_up_minutes(max_min)
    merged["commune"] = main.reindex(np.arange(n)).fillna("").astype(str).to_numpy()
    names = known_names(communes, result.communes)
    merged["nom"] = [names.get(code, "") for code in merged["commune"]]
    merged = merged.sort_values(["population", "area_km2"], ascending=False).reset_index(drop=True)
    merged["zone_id"] = np.arange(1, len(merged) + 1)
    merged["status"] = status_label(merged["status"])
    return gpd.GeoDataFrame(merged[columns + ["geometry"]], geometry="geometry", crs=units.crs)


def suggestions_layer(suggestion) -> gpd.GeoDataFrame:
    """The suggested sites of an optimisation result as a point layer.

    ``suggestion`` is duck-typed (see :mod:`access30.locate`): its ``.suggested`` GeoDataFrame is
    written with ``rank`` (order of the suggestion) and the run's ``k``, ``objective``, ``bound``,
    ``gap``, ``optimal`` and ``model`` repeated on every row so the layer is self-describing.
    """
    suggested = suggestion.suggested
    layer = gpd.GeoDataFrame(suggested.copy(), geometry=suggested.geometry.name, crs=suggested.crs)
    if not layer.geom_type.isin(["Point"]).all():
        layer = layer.set_geometry(layer.geometry.representative_point())
    if "rank" not in layer.columns:
        layer.insert(0, "rank", np.arange(1, len(layer) + 1))
    for name in ("k", "objective", "bound", "gap", "optimal", "model"):
        value = getattr(suggestion, name, None)
        if isinstance(value, (bool, np.bool_)):
            value = int(value)
        layer[f"run_{name}"] = value if value is None or np.isscalar(value) else str(value)
    return layer


def write_gpkg(result: CoverageResult, path: str | Path, communes: gpd.GeoDataFrame | None = None,
               extra_layers: dict[str, gpd.GeoDataFrame] | None = None, suggestion=None, record=None,
               zones: Zones | None = None) -> list[str]:
    """Write the coverage GeoPackage atomically and return its layer names.

    Layers: ``cells`` (one row per demand unit: times to nearest and second-nearest site, access leg,
    estimated part, status, covered flag), ``sites`` (catchment population), ``communes`` (indicators),
    ``epci`` (indicators, when known), ``zones_non_couvertes`` (uncovered units dissolved into
    polygons, see :func:`uncovered_zones`), ``suggestions`` (when ``suggestion`` is given, see
    :func:`suggestions_layer`), ``attente_communes`` (the wait per commune, ``--wait``; the ``cells``
    then carry each unit's wait), plus ``extra_layers``; the table ``run`` (no geometry: how the
    result was made, :func:`run_table`) when ``record`` is given, and the table ``scenario``
    (:func:`scenario_layer`) when the result is a scenario's. Columns: docs/outputs.md.

    ``zones`` (:func:`zones_of`) when already made for the result's other files.
    """
    zones = zones if zones is not None else zones_of(result, communes)
    shapes = zones.shapes
    layers: dict[str, gpd.GeoDataFrame] = {
        "cells": units_layer(result),
        "sites": result.sites,
        "communes": communes_layer(result, communes, shapes),
    }
    if not result.epci.empty and "epci" in result.units.columns:
        layers["epci"] = gpd.GeoDataFrame(epci_shapes(result.units, shapes).merge(result.epci, on="epci"),
                                          geometry="geometry", crs=result.units.crs)
    if len(zones.zones):
        layers["zones_non_couvertes"] = zones.zones
    if suggestion is not None and len(suggestion.suggested):
        layers["suggestions"] = suggestions_layer(suggestion)
    if result.wait is not None and not result.wait.communes.empty:
        layers["attente_communes"] = wait_communes_layer(result, communes)
    layers.update(extra_layers or {})
    tables = {"scenario": scenario_layer(result)} if result.scenario is not None else None
    return write_layers(layers, path, record, tables)


def epci_shapes(units: gpd.GeoDataFrame, shapes: gpd.GeoDataFrame | None = None) -> gpd.GeoDataFrame:
    """The union of each EPCI's units (``epci``, ``geometry``): of its communes' shapes when made
    (:func:`commune_shapes`) and each commune lies in one EPCI, else of its units."""
    if shapes is not None:
        of = units[["commune", "epci"]].drop_duplicates()
        if not of["commune"].duplicated().any():
            groups = shapes.merge(of, on="commune")
            geoms = groups.geometry.to_numpy()
            keys = sorted(groups.groupby("epci").indices.items())
            return gpd.GeoDataFrame({"epci": [k for k, _ in keys]},
                                    geometry=[union_of_cells(geoms[i]) for _, i in keys], crs=units.crs)
    return dissolve_units(units, "epci")


def wait_communes_layer(result: CoverageResult, communes: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """The wait per commune (:attr:`access30.coverage.result.WaitReport.communes`) with outlines."""
    table = result.wait.communes.drop(columns="nom")
    outlines = commune_outlines(communes)
    if outlines is not None:
        outlines = outlines[["code", "nom", "geometry"]].to_crs(result.units.crs)
        layer = outlines.merge(table, left_on="code", right_on="commune", how="inner").drop(columns="code")
    else:
        dissolved = result.units[["commune", "geometry"]].dissolve(by="commune").reset_index()
        layer = dissolved.merge(result.wait.communes, on="commune", how="inner")
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=result.units.crs)


def write_layers(layers: dict[str, gpd.GeoDataFrame], path: str | Path, record=None,
                 tables: dict[str, pd.DataFrame] | None = None) -> list[str]:
    """Write GeoDataFrames as the layers of one GeoPackage, atomically, with the ``run`` table when ``record``
    is given and the attribute ``tables`` (no geometry); return the layer and table names."""
    tables = dict(tables or {})
    with atomic_path(path) as tmp:
        for name, layer in layers.items():
            # Arrow: the same layer twice as fast (175,597 cells: 0.8 s instead of 1.7 s).
            pyogrio.write_dataframe(_clean_layer(layer), tmp, layer=name, driver="GPKG", use_arrow=True)
        if record is not None:
            pyogrio.write_dataframe(run_table(record), tmp, layer="run", driver="GPKG")
        for name, table in tables.items():
            pyogrio.write_dataframe(table, tmp, layer=name, driver="GPKG")
    return list(layers) + (["run"] if record is not None else []) + list(tables)


def scenario_layer(result: CoverageResult) -> pd.DataFrame:
    """The ``scenario`` table of a scenario's GeoPackage (no geometry): that its figures are a
    hypothesis, its name, and each change (« Ouverture (hypothétique) : … », « Fermeture : … »)."""
    info = result.scenario
    rows = [("Scénario", f"Scénario « {info.name} » — hypothèse de travail : ces couches ne décrivent pas la "
                         "situation actuelle")]
    rows += [("Modification", line) for line in info.changes]
    return pd.DataFrame(rows, columns=["rubrique", "texte"])


def write_csv(frame: pd.DataFrame, path: str | Path, headers: dict[str, str] | None = None) -> None:
    """Write a table as a CSV a French Excel opens (:func:`access30.base.frcsv.write_french_csv`), atomically."""
    write_french_csv(frame, path, headers)
