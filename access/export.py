"""Writing results: GeoPackage layers and the JSON summary, atomically.

GeoPackages open cleanly in QGIS: CRS set on every layer, one geometry type per layer, field names
of at most 30 characters, no NumPy objects in attributes.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from .analysis import CoverageResult
from .io import atomic_path, write_text_atomic

MAX_FIELD_NAME = 30


def jsonable(value):
    """Convert NumPy scalars, arrays and non-finite floats into plain JSON values (NaN/inf → None)."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else None
    return value


def summary_json(result: CoverageResult, extra: dict | None = None) -> dict:
    """The JSON summary of a coverage run: headline figures, meaning of each, notices."""
    summary = dict(result.summary)
    summary["notices"] = [n.message for n in result.notices]
    summary["definitions"] = {
        "population_covered": f"population à {result.threshold_min:g} min ou moins du lieu d'accueil le plus proche "
                              "(seuil inclus), trajets d'approche compris",
        "population_no_road": "population à plus de max_access_m de toute route : jamais comptée comme couverte",
        "estimated_time_share": "part moyenne des temps d'accès estimée (trajets d'approche, liaisons estimées) "
                                "plutôt que calculée sur le réseau",
    }
    if extra:
        summary.update(extra)
    return jsonable(summary)


def write_summary(result: CoverageResult, path: str | Path, extra: dict | None = None) -> None:
    """Write the JSON summary atomically."""
    write_text_atomic(path, json.dumps(summary_json(result, extra), ensure_ascii=False, indent=2))


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
    """The per-unit layer as written (time columns rounded to 0.01 min)."""
    units = result.units.copy()
    for column in ["time_min", "time2_min", "access_leg_min", "estimated_min"]:
        units[column] = units[column].round(2)
    units["snap_m"] = units["snap_m"].round(1)
    units["covered"] = (units["status"] == "couvert").astype(int)
    return units


def communes_layer(result: CoverageResult, communes: gpd.GeoDataFrame | None) -> gpd.GeoDataFrame:
    """Commune indicators with outlines (from ``communes`` when given, else the union of their units)."""
    table = result.communes
    if communes is not None and len(communes) and "geometry" in communes.columns:
        outlines = communes[["code", "geometry"]].to_crs(result.units.crs)
        layer = outlines.merge(table, left_on="code", right_on="commune", how="inner").drop(columns="code")
    else:
        dissolved = result.units[["commune", "geometry"]].dissolve(by="commune").reset_index()
        layer = dissolved.merge(table, on="commune", how="inner")
    return gpd.GeoDataFrame(layer, geometry="geometry", crs=result.units.crs)


def write_gpkg(result: CoverageResult, path: str | Path, communes: gpd.GeoDataFrame | None = None,
               extra_layers: dict[str, gpd.GeoDataFrame] | None = None) -> list[str]:
    """Write the coverage GeoPackage atomically and return its layer names.

    Layers: ``cells`` (one row per demand unit: times to nearest and second-nearest site, access leg,
    estimated part, status, covered flag), ``sites`` (catchment population), ``communes`` (indicators),
    ``epci`` (indicators, when known, as a table), plus ``extra_layers``.
    """
    layers: dict[str, gpd.GeoDataFrame] = {
        "cells": units_layer(result),
        "sites": result.sites,
        "communes": communes_layer(result, communes),
    }
    if not result.epci.empty and "epci" in result.units.columns:
        dissolved = result.units[["epci", "geometry"]].dissolve(by="epci").reset_index()
        layers["epci"] = gpd.GeoDataFrame(dissolved.merge(result.epci, on="epci"), geometry="geometry",
                                          crs=result.units.crs)
    layers.update(extra_layers or {})
    with atomic_path(path) as tmp:
        for name, layer in layers.items():
            _clean_layer(layer).to_file(tmp, layer=name, driver="GPKG", engine="pyogrio")
    return list(layers)


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a table as UTF-8 CSV with BOM (so Excel shows accents), atomically."""
    with atomic_path(path) as tmp:
        frame.to_csv(tmp, index=False, encoding="utf-8-sig")
