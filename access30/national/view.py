"""The national view opened again: the output folder of ``access30 batch``, or its ``national.gpkg``.

:func:`open_national` reads what a batch wrote (the départements' rows of ``departements/*.json``,
with what each was computed with, or the ``departements`` layer of ``national.gpkg``) into a
:class:`NationalView`: the rows, the layer of every département (those not computed included) and
what the shares count. The app draws it with :func:`access30.national.outputs.national_figure`, the
figure of ``national.png``, and shows :func:`~access30.national.outputs.national_table`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio

from access30.base.departements import ALL_DEPARTEMENTS
from access30.base.errors import InputError
from access30.national.batch import national_figures, read_rows, row_path
from access30.national.outputs import departement_shapes
from access30.network.modes import MODES, mode_words

#: The layer of national.gpkg that holds the départements.
LAYER = "departements"


@dataclass(frozen=True)
class NationalView:
    """A batch's results, ready to show.

    Attributes
    ----------
    rows : DataFrame
        One row per département computed (or failed), as in ``national.csv``.
    layer : GeoDataFrame
        Every département's outline (WGS84) with its row's columns (empty when not computed).
    threshold_min : float or None
        The batch's threshold (None when the file does not say).
    mode_words : str
        How residents travel (« en voiture »).
    source : str
        The folder or file read.
    """

    rows: pd.DataFrame
    layer: gpd.GeoDataFrame
    threshold_min: float | None
    mode_words: str
    source: str

    @property
    def figures(self) -> dict:
        """The country's totals over the départements that succeeded."""
        return national_figures(self.rows)


def _from_folder(folder: Path) -> NationalView:
    found = sorted((folder / "departements").glob("*.json")) if (folder / "departements").is_dir() else []
    codes = [p.stem for p in found if p.stem in ALL_DEPARTEMENTS]
    if not codes:
        if (folder / "national.gpkg").is_file():
            return _from_gpkg(folder / "national.gpkg")
        raise InputError(f"le dossier {folder} ne contient ni lignes de départements (departements/*.json) ni "
                         "national.gpkg", "choisissez le dossier où « access30 batch » a écrit ses résultats")
    try:
        rows = read_rows(folder, codes)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"une ligne de département du dossier {folder} est illisible ({exc})",
                         "relancez « access30 batch » sur ce dossier : il refait les lignes abîmées",
                         path=folder) from exc
    rows["code"] = rows["code"].astype(str)
    options = [r.get("options", {}) for r in rows.get("run", pd.Series([{}] * len(rows))) if isinstance(r, dict)]
    thresholds = {float(o["threshold_min"]) for o in options if "threshold_min" in o}
    modes = {o["mode"] for o in options if o.get("mode") in MODES}
    if len(thresholds) > 1 or len(modes) > 1:
        raise InputError(f"les départements du dossier {folder} n'ont pas été calculés avec le même seuil ou le même "
                         "mode", "relancez « access30 batch » avec un seul seuil et un seul mode dans ce dossier",
                         path=row_path(folder, codes[0]).parent)
    shapes = departement_shapes(list(ALL_DEPARTEMENTS))
    flat = rows.drop(columns=[c for c in ("sources", "sites_by_type", "run") if c in rows.columns])
    layer = shapes.merge(flat, on="code", how="left")
    return NationalView(rows, layer, thresholds.pop() if thresholds else None,
                        mode_words(modes.pop()) if modes else "", str(folder))


def _from_gpkg(path: Path) -> NationalView:
    try:
        layers = [name for name, _ in pyogrio.list_layers(path)]
        if LAYER not in layers:
            raise InputError(f"{path.name} n'a pas de couche « {LAYER} » (couches : {', '.join(layers) or 'aucune'})",
                             "ouvrez le national.gpkg écrit par « access30 batch »", path=path)
        layer = gpd.read_file(path, layer=LAYER)
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError) as exc:
        raise InputError(f"{path.name} n'est pas un GeoPackage lisible", "ouvrez le national.gpkg écrit par "
                         "« access30 batch »", path=path) from exc
    needed = {"code", "status", "population_total", "population_covered", "share_covered"}
    missing = sorted(needed - set(layer.columns))
    if missing:
        raise InputError(f"la couche « {LAYER} » de {path.name} n'a pas les colonnes {', '.join(missing)}",
                         "ouvrez le national.gpkg écrit par « access30 batch »", path=path)
    layer["code"] = layer["code"].astype(str)
    rows = pd.DataFrame(layer[layer["status"].notna() & (layer["status"].astype(str) != "")].drop(columns="geometry"))
    threshold = (float(layer["threshold_min"].dropna().iloc[0])
                 if "threshold_min" in layer.columns and layer["threshold_min"].notna().any() else None)
    words = (str(layer["mode_words"].dropna().iloc[0])
             if "mode_words" in layer.columns and layer["mode_words"].notna().any() else "")
    rows = rows.drop(columns=[c for c in ("threshold_min", "mode_words") if c in rows.columns])
    for column in ("sources", "sites_by_type"):
        rows[column] = [None] * len(rows)
    return NationalView(rows.reset_index(drop=True), layer, threshold, words, str(path))


def open_national(path: str | Path) -> NationalView:
    """The national view of a batch: its output folder, or its ``national.gpkg``.

    Parameters
    ----------
    path : path
        The folder given to ``access30 batch --out-dir``, or the ``national.gpkg`` it wrote.

    Raises
    ------
    InputError
        Nothing of a batch there, an unreadable row, or départements computed with other options.

    Examples
    --------
    >>> open_national("/nonexistent")
    Traceback (most recent call last):
    access30.base.errors.InputError: ...
    """
    path = Path(path)
    if path.is_dir():
        view = _from_folder(path)
    elif path.is_file() and path.suffix.lower() == ".gpkg":
        view = _from_gpkg(path)
    else:
        raise InputError(f"{path} n'est ni un dossier de sortie d'« access30 batch » ni un national.gpkg",
                         "donnez le dossier où le batch a écrit ses résultats, ou son national.gpkg")
    if not len(view.rows):
        raise InputError(f"aucun département calculé dans {path}", "lancez « access30 batch » sur ce dossier",
                         path=path)
    shares = view.rows["share_covered"].to_numpy(dtype=float)
    if np.any((shares < 0) | (shares > 1)):
        raise InputError(f"des parts couvertes hors de 0–100 % dans {path}",
                         "ouvrez les résultats d'« access30 batch » sans les modifier", path=path)
    return view
