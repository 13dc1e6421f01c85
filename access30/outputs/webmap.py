"""Interactive web map of a coverage result (folium / Leaflet), for the Streamlit app.

Tens of thousands of 200 m cells cannot be drawn one by one in a browser and stay responsive, so
grid cells are *dissolved* by commune and time class (the classes of :mod:`access30.coverage.rules`,
shared with the PNG map; ``shapely.coverage_union_all``, which merges
the edge-sharing squares of a grid, and their pieces cut at commune borders, in a fraction of a second)
and lightly simplified: on the Saint-Brieuc – Loudéac demo at 30 min, 27,354 cells or pieces of cells
become 72 polygons (about 3,200 vertices). Point
units (town halls) are drawn as circles.

Leaflet 1.9.4 (BSD-2-Clause) and jQuery 3.7.1 (MIT, used by folium's popups) are embedded from the
copies shipped in ``access/static`` as data URLs,
so the map renders with no internet access (background tiles then stay grey; the layers do not need
them). All text put in popups and tooltips is escaped with :func:`html.escape`.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
from collections.abc import MutableMapping
from functools import lru_cache
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from branca.element import MacroElement, Template

from access30.base.fmt import fmt_dec, fmt_int, fmt_num, fmt_pct
from access30.base.names import known_names
from access30.coverage.result import CoverageResult
from access30.coverage.rules import STATUS_COVERED, class_colours, class_labels, time_class
from access30.coverage.scenario import ORIGIN_ADDED, ORIGIN_EXISTING
from access30.inputs.sites import SITE_TYPES
from access30.inputs.study import commune_outlines
from access30.outputs.export import is_cell_grid, union_of_cells

STATIC = Path(__file__).resolve().parent / "static"

#: Marker style per site type: (letter, background colour).
SITE_STYLES: dict[str, tuple[str, str]] = {
    "polyvalence": ("S", "#00796b"),
    "ccas": ("C", "#ef6c00"),
    "france_services": ("FS", "#1f4e9c"),
    "pimms": ("P", "#6a1b9a"),
    "centre_social": ("CS", "#558b2f"),
    "association": ("A", "#ad1457"),
    "mairie": ("M", "#5d4037"),
    "hors_les_murs": ("B", "#00838f"),
    "autre": ("•", "#455a64"),
}
ADDED_STYLE = ("+", "#2e7d32")
CLOSED_STYLE = ("×", "#9e9e9e")
SUGGESTED_COLOUR = "#c2185b"

SIMPLIFY_M = 15.0


def class_areas(result: CoverageResult, simplify_m: float = SIMPLIFY_M,
                pieces: MutableMapping | None = None, grid: bool | None = None) -> gpd.GeoDataFrame:
    """Units dissolved by commune and time class, in WGS84.

    Columns: ``commune``, ``klass`` (index into :func:`access30.coverage.rules.class_labels` of the result's
    threshold), ``label``, ``colour``,
    ``population``, ``uncovered_population`` (beyond the threshold or without road access),
    ``units``, ``geometry``. Point units are kept as points (one row per unit).

    Parameters
    ----------
    result : CoverageResult
    simplify_m : float
        Simplification tolerance of the merged areas, metres (0: none).
    pieces : mutable mapping, optional
        Merged areas already drawn, by the units they merge: a commune's class that holds the same
        units as in an earlier call (another threshold, another scenario of the same study) is taken
        from there instead of being merged again. The caller bounds it.
    grid : bool, optional
        Whether the units are the cells of a grid (:func:`~access30.outputs.export.is_cell_grid`), when the
        caller knows it (a study's units are the same at every threshold): checked here otherwise.
    """
    units = result.units
    threshold = result.threshold_min
    klass = time_class(units["time_min"].to_numpy(), units["status"].to_numpy(), threshold)
    population = units["population"].to_numpy(dtype=float)
    uncovered = np.where(units["status"].to_numpy() != STATUS_COVERED, population, 0.0)
    communes = units["commune"].astype(str).to_numpy()
    geoms = units.geometry.to_numpy()
    polygons = shapely.get_type_id(geoms) >= 3
    rows, shapes, todo = [], [], []
    if polygons.any():
        # A regular grid (cells whole or cut at commune borders) is a polygon coverage: merged fast and exactly.
        grid = polygons.all() and (is_cell_grid(geoms) if grid is None else grid)
        poly = np.flatnonzero(polygons)
        groups = pd.DataFrame({"commune": communes[poly], "klass": klass[poly]}).groupby(["commune", "klass"]).indices
        salt = f"{simplify_m}|{units.crs}|{grid}".encode()
        for (commune, k), index in groups.items():
            members = poly[index]
            rows.append({"commune": commune, "klass": int(k), "population": float(population[members].sum()),
                         "uncovered_population": float(uncovered[members].sum()), "units": int(index.size)})
            key = hashlib.blake2b(salt + members.tobytes(), digest_size=20).digest()
            done = pieces.get(key) if pieces is not None else None
            if done is None:
                parts = geoms[members]
                todo.append((len(shapes), key, union_of_cells(parts) if grid else shapely.union_all(parts)))
            shapes.append(done)
    if todo:
        merged = gpd.GeoSeries([shape for _, _, shape in todo], crs=units.crs)
        if simplify_m:
            merged = merged.simplify(simplify_m, preserve_topology=True)
        merged = merged.to_crs("EPSG:4326")
        for (position, key, _), shape in zip(todo, merged.to_numpy()):
            shapes[position] = shape
            if pieces is not None:
                pieces[key] = shape
    points = np.flatnonzero(~polygons)
    if points.size:
        for i in points:
            rows.append({"commune": communes[i], "klass": int(klass[i]), "population": population[i],
                         "uncovered_population": uncovered[i], "units": 1})
        shapes.extend(gpd.GeoSeries(geoms[points], crs=units.crs).to_crs("EPSG:4326").to_numpy())
    table = pd.DataFrame(rows, columns=["commune", "klass", "population", "uncovered_population", "units"])
    out = gpd.GeoDataFrame(table, geometry=list(shapes), crs="EPSG:4326")
    out["klass"] = out["klass"].astype(int)
    labels, colours = class_labels(threshold), class_colours(threshold)
    out["label"] = [labels[k] for k in out["klass"]]
    out["colour"] = [colours[k] for k in out["klass"]]
    return out


def format_hours(hours: str, hours_format: str) -> list[str]:
    """Readable opening-hour lines (``"lundi : 08:00 - 12:00"``) from the stored formats; [] when unknown."""
    text = str(hours or "").strip()
    if not text or text.lower() == "nan":
        return []
    try:
        if hours_format == "france_services":
            days = json.loads(text)
            return [f"{day} : {slots}" for day, slots in days.items() if str(slots).strip()]
        if hours_format == "mairie_json":
            lines = []
            for first, last, slots in json.loads(text):
                span = first if first == last else f"{first} au {last}"
                times = " / ".join(f"{a[:5]}–{b[:5]}" for a, b in slots)
                lines.append(f"{span} : {times}")
            return lines
    except (ValueError, TypeError):
        pass
    return [text]


def _icon_html(letter: str, colour: str, shape: str = "circle", size: int = 24) -> str:
    radius = "50%" if shape == "circle" else "4px"
    font = 11 if len(letter) > 1 else 13
    return (f'<div style="width:{size}px;height:{size}px;border-radius:{radius};background:{colour};'
            f'border:2px solid #fff;box-shadow:0 0 3px rgba(0,0,0,.6);color:#fff;font:bold {font}px/{size - 4}px '
            f'Arial,sans-serif;text-align:center">{html.escape(letter)}</div>')


def _site_popup(row: pd.Series, threshold_min: float, extra: str = "") -> str:
    label = SITE_TYPES.get(row.get("type", ""), row.get("type", ""))
    lines = [f"<b>{html.escape(str(row.get('name', '')))}</b>", html.escape(str(label))]
    address = str(row.get("address", "") or "")
    if address and address.lower() != "nan":
        lines.append(html.escape(address))
    hours = format_hours(row.get("hours", ""), row.get("hours_format", ""))
    if hours:
        lines.append("<u>Horaires</u><br>" + "<br>".join(html.escape(h) for h in hours[:7]))
    else:
        lines.append("<i>Horaires non renseignés</i>")
    if "catchment_population" in row and pd.notna(row["catchment_population"]):
        lines.append(f"Lieu le plus proche pour <b>{fmt_int(row['catchment_population'])}</b> habitants, "
                     f"dont {fmt_int(row.get('catchment_covered', np.nan))} à {fmt_num(threshold_min)} min ou moins")
    lines += _load_lines(row)
    if extra:
        lines.append(extra)
    return "<br>".join(lines)


def _load_lines(row: pd.Series) -> list[str]:
    """Capacity and load of a site (sites of a result with ``--capacity``), in French."""
    if "capacity" not in row or "population_assigned" not in row:
        return []
    unit = html.escape(str(row.get("capacity_unit", "")))
    capacity = row["capacity"]
    if capacity is None or not np.isfinite(capacity):
        return ["<u>Charge</u> : capacité inconnue (jamais supposée)"]
    lines = [f"<u>Charge</u> : capacité {fmt_dec(capacity)} ({unit}), {fmt_int(row['population_assigned'])} "
             f"habitants rattachés, soit <b>{fmt_dec(row.get('load', np.nan))}</b> habitants par {unit}"]
    if row.get("overloaded"):
        lines.append("<b>Lieu surchargé</b>")
    return lines


def _data_url(relative: str, mime: str) -> str:
    text = (STATIC / relative).read_text(encoding="utf-8")
    text = "\n".join(line for line in text.splitlines() if not line.startswith("//# sourceMappingURL"))
    return f"data:{mime};base64," + base64.b64encode(text.encode()).decode()


@lru_cache(maxsize=1)
def _asset_urls() -> tuple[str, str, str]:
    css = (STATIC / "leaflet" / "leaflet.css").read_text(encoding="utf-8")
    for image in ("layers-2x.png", "layers.png"):  # the layer-control icon, inlined too
        data = base64.b64encode((STATIC / "leaflet" / image).read_bytes()).decode()
        css = css.replace(f"url(images/{image})", f"url(data:image/png;base64,{data})")
    css_url = "data:text/css;base64," + base64.b64encode(css.encode()).decode()
    return (_data_url("leaflet/leaflet.js", "text/javascript"), _data_url("jquery/jquery.min.js", "text/javascript"),
            css_url)


def use_local_leaflet(fmap: folium.Map) -> folium.Map:
    """Load Leaflet (and jQuery, which folium's popups use) from the copies shipped in ``access/static``.

    The map then renders without internet access; Bootstrap and the Font Awesome markers that folium
    loads by default are not needed (site markers are plain HTML icons).
    """
    leaflet, jquery, css = _asset_urls()
    fmap.default_js = [("leaflet", leaflet), ("jquery", jquery)]
    fmap.default_css = [("leaflet_css", css)]
    return fmap


_LEGEND = """
{% macro script(this, kwargs) %}
(function () {
  var group = {{ this._parent.get_name() }};
  var control = L.control({position: "bottomright"});
  control.onAdd = function () {
    var holder = L.DomUtil.create("div");
    holder.innerHTML = {{ this.markup_js }};
    var legend = holder.firstElementChild;
    L.DomEvent.disableClickPropagation(legend);  // a click on the legend is not a click on the map
    L.DomEvent.disableScrollPropagation(legend);
    return legend;
  };
  function show() { if (group._map && !control._map) { control.addTo(group._map); } }
  group.on("add", show);
  group.on("remove", function () { control.remove(); });
  show();
})();
{% endmacro %}
"""

_LEGEND_BOX = ('<details id="access30-legend" open class="leaflet-control" style="background:rgba(255,255,255,.94);'
               'padding:6px 9px;border-radius:6px;box-shadow:0 0 4px rgba(0,0,0,.4);font:11px/1.3 Arial,sans-serif;'
               'max-width:215px;max-height:60vh;overflow:auto;margin:0 10px 24px 0">'
               '<summary style="cursor:pointer;font-weight:bold">Légende</summary>{body}</details>')


class Legend(MacroElement):
    """A compact legend in the lower right corner that folds away (content already escaped).

    A Leaflet control shown while its parent layer is on the map, so that a map updated layer by
    layer (the app's) replaces its legend with its layers.
    """

    _template = Template(_LEGEND)  # compiled once: the app draws a legend at every rerun

    def __init__(self, body: str):
        super().__init__()
        self._name = "Legend"
        self.body = body
        # A JavaScript string (French letters kept; "</" escaped, so that the page's script cannot end early).
        self.markup_js = _js(_LEGEND_BOX.format(body=body))


_FIT = """
{% macro script(this, kwargs) %}
(function () {
  var map = {{ this._parent.get_name() }};
  var bounds = L.latLngBounds({{ this.bounds }});
  L.control.scale({imperial: false, metric: true, position: "bottomleft"}).addTo(map);
  var container = map.getContainer();
  function legendWidth() {
    var legend = document.getElementById("access30-legend");
    return legend ? legend.offsetWidth : 0;
  }
  // The user's own view wins: once they pan or zoom the map, resizes no longer refit it.
  var userMoved = false;
  ["mousedown", "wheel", "touchstart", "keydown"].forEach(function (name) {
    container.addEventListener(name, function (event) {
      if (!(event.target.closest && event.target.closest("#access30-legend"))) { userMoved = true; }
    }, {passive: true});
  });
  // Fit the territory, leaving the legend's corner free; only when the map has a real size (a map
  // drawn in a hidden tab has none, and would otherwise show the whole world). A map shown in a
  // hidden tab grows in steps, so every resize refits until the user moves the map.
  function fit() {
    var width = container.clientWidth, height = container.clientHeight;
    if (width < 50 || height < 50) { return false; }
    map.invalidateSize(false);
    var right = legendWidth() + 20;
    if (width - right < 0.6 * width) { right = 12; }  // narrow map: the folded legend may cover a corner
    map.fitBounds(bounds, {paddingTopLeft: [12, 12], paddingBottomRight: [right, 12]});
    return true;
  }
  fit();
  map.whenReady(fit);
  if (window.ResizeObserver) {
    new ResizeObserver(function () {
      if (!userMoved || map.getZoom() < 5) { fit(); } else { map.invalidateSize(false); }
    }).observe(container);
  }
  var legend = document.getElementById("access30-legend");
  if (legend) { legend.addEventListener("toggle", function () { if (!userMoved || map.getZoom() < 5) { fit(); } }); }
})();
{% endmacro %}
"""


class FitTerritory(MacroElement):
    """Opens the map on the territory (and again when a hidden map is shown), with a metric scale."""

    _template = Template(_FIT)

    def __init__(self, south: float, west: float, north: float, east: float):
        super().__init__()
        self._name = "FitTerritory"
        self.bounds = json.dumps([[south, west], [north, east]])


def legend_html(threshold_min: float, site_types: list[str], scenario: bool = False, suggestions: bool = False) -> str:
    """Legend body: time classes, uncovered outline, site symbols."""
    rows = ["<b>Temps d'accès au lieu le plus proche</b>"]
    for label, colour in zip(class_labels(threshold_min), class_colours(threshold_min)):
        rows.append(f'<span style="display:inline-block;width:14px;height:10px;background:{colour};'
                    f'border:1px solid #555;margin-right:5px"></span>{html.escape(label)}')
    rows.append(f'<span style="display:inline-block;width:14px;height:10px;border:2px solid #b00020;'
                f'margin-right:5px"></span>Population au-delà de {fmt_num(threshold_min)} min')
    rows.append("<b>Lieux d'accueil</b>")
    for key in site_types:
        letter, colour = SITE_STYLES.get(key, SITE_STYLES["autre"])
        rows.append(f'<span style="display:inline-block;vertical-align:middle;margin-right:5px">'
                    f'{_icon_html(letter, colour, size=16)}</span>{html.escape(SITE_TYPES.get(key, key))}')
    if scenario:
        for (letter, colour), text in ((ADDED_STYLE, "Lieu hypothétique, ouvert dans le scénario"),
                                       (CLOSED_STYLE, "Lieu fermé dans le scénario")):
            rows.append(f'<span style="display:inline-block;vertical-align:middle;margin-right:5px">'
                        f'{_icon_html(letter, colour, size=16)}</span>{text}')
    if suggestions:
        rows.append(f'<span style="display:inline-block;vertical-align:middle;margin-right:5px">'
                    f'{_icon_html("1", SUGGESTED_COLOUR, "square", 16)}</span>Lieu suggéré (rang)')
    return "<br>".join(rows)


def base_map(bounds: tuple[float, float, float, float], tiles: bool = True) -> folium.Map:
    """The map without its layers: background, offline Leaflet, opened on ``bounds`` with a metric scale.

    Parameters
    ----------
    bounds : tuple
        West, south, east, north (WGS84 degrees) of the territory.
    tiles : bool
        Add OpenStreetMap background tiles (they need internet; layers do not).

    Returns
    -------
    folium.Map
    """
    west, south, east, north = bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None, control_scale=False,
                      prefer_canvas=True, zoom_start=10, zoom_snap=0.25, zoom_delta=0.5)  # fit the territory closely
    use_local_leaflet(fmap)
    if tiles:
        folium.TileLayer("OpenStreetMap", name="Fond OpenStreetMap", control=True,
                         attr="© les contributeurs d'OpenStreetMap").add_to(fmap)
    fmap.add_child(FitTerritory(south, west, north, east))
    return fmap


def map_layers(result: CoverageResult, communes: gpd.GeoDataFrame | None = None,
               areas: gpd.GeoDataFrame | None = None, closed_sites: gpd.GeoDataFrame | None = None,
               suggestions: gpd.GeoDataFrame | None = None) -> list[folium.FeatureGroup]:
    """The map's layers of a coverage result, each a ``FeatureGroup``; the last one holds the legend.

    Parameters are those of :func:`build_map`. The app hands these layers to the map already drawn
    in the browser, so that a new threshold or scenario replaces them without reloading the map.

    Returns
    -------
    list of folium.FeatureGroup
        Time classes, population beyond the threshold, commune outlines (when polygons), one layer
        per site type, the scenario's sites, the suggested sites (those present), then the legend
        (``control=False``: not in the layer selector).
    """
    threshold = result.threshold_min
    areas = class_areas(result) if areas is None else areas
    names = known_names(communes, result.communes)
    outlines = commune_outlines(communes)
    frame = areas.copy()
    frame["nom"] = [names.get(code, code) for code in frame["commune"]]
    layers = [_class_layer(frame), _gap_layer(frame, names, threshold)]
    if outlines is not None:
        layers.append(_outline_layer(outlines, result))
    sites = result.sites
    origin = sites["origin"] if "origin" in sites.columns else pd.Series(ORIGIN_EXISTING, index=sites.index)
    site_groups, types_present = _site_layers(sites, origin, threshold)
    layers += site_groups
    scenario = _scenario_layer(sites, origin, closed_sites, threshold)
    layers.append(scenario)
    has_suggestions = suggestions is not None and len(suggestions) > 0
    if has_suggestions:
        layers.append(_suggestion_layer(suggestions))
    legend = folium.FeatureGroup(name="Légende", control=False, show=True)
    legend.add_child(Legend(legend_html(threshold, types_present, scenario=scenario is not None,
                                        suggestions=has_suggestions)))
    return [layer for layer in layers if layer is not None] + [legend]


def build_map(result: CoverageResult, communes: gpd.GeoDataFrame | None = None,
              areas: gpd.GeoDataFrame | None = None, closed_sites: gpd.GeoDataFrame | None = None,
              suggestions: gpd.GeoDataFrame | None = None, tiles: bool = True) -> folium.Map:
    """The interactive map of a coverage result.

    Parameters
    ----------
    result : CoverageResult
        Units, sites (with ``catchment_population``; an ``origin`` column marks scenario sites).
    communes : DataFrame or GeoDataFrame, optional
        The study's communes (``code``, ``nom``); their outlines are drawn when they are polygons
        (a names-only table, as from the national list, only names the areas).
    areas : GeoDataFrame, optional
        Output of :func:`class_areas` for ``result`` (computed when not given; pass a cached copy).
    closed_sites : GeoDataFrame, optional
        Sites closed in a scenario, drawn greyed.
    suggestions : GeoDataFrame, optional
        Suggested sites with ``rank``, ``name``, ``lon``, ``lat`` and a gain column
        (``population_newly_covered``).
    tiles : bool
        Add OpenStreetMap background tiles (they need internet; layers do not).

    Returns
    -------
    folium.Map
    """
    areas = class_areas(result) if areas is None else areas
    fmap = base_map(tuple(areas.total_bounds) if len(areas) else (-5, 41, 10, 51), tiles=tiles)
    for layer in map_layers(result, communes, areas, closed_sites, suggestions):
        layer.add_to(fmap)
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    return fmap


_GEOJSON = """
{% macro script(this, kwargs) %}
(function () {
  var group = {{ this._parent.get_name() }};
  var style = {{ this.style }}, pointStyle = {{ this.point_style }}, coloured = {{ this.coloured }};
  function paint(base, feature) {
    var out = Object.assign({}, base);
    coloured.forEach(function (key) { out[key] = feature.properties.colour; });
    return out;
  }
  L.geoJson({{ this.data }}, {
    smoothFactor: 1.0,
    style: function (feature) { return paint(style, feature); },
    pointToLayer: function (feature, latlng) {
      return L.circleMarker(latlng, Object.assign({radius: feature.properties.radius || 9},
                                                  paint(pointStyle, feature)));
    },
    onEachFeature: function (feature, layer) { layer.bindTooltip(feature.properties.tip, {sticky: true}); }
  }).addTo(group);
})();
{% endmacro %}
"""


def _js(value, written: bool = False) -> str:
    """``value`` as JavaScript (JSON; French letters kept; "</" escaped so that the page's script cannot end).

    With ``written``, ``value`` is JSON text already.
    """
    text = value if written else json.dumps(value, ensure_ascii=False)
    return text.replace("</", "<\\/")


class GeoJsonLayer(MacroElement):
    """Features drawn from GeoJSON written once (no round trip through Python objects), a tooltip each.

    Parameters
    ----------
    frame : GeoDataFrame
        WGS84, with a ``tip`` column (escaped HTML) and, for ``coloured``, a ``colour`` column; a
        ``radius`` column sizes point features.
    style, point_style : dict
        Leaflet path options of areas and of points (discs).
    coloured : list of str
        Options set from each feature's ``colour`` (``fillColor``, ``color``).
    """

    _template = Template(_GEOJSON)

    def __init__(self, frame: gpd.GeoDataFrame, style: dict, point_style: dict | None = None,
                 coloured: tuple[str, ...] = ()):
        super().__init__()
        self._name = "GeoJsonLayer"
        self.geojson = frame.to_json(drop_id=True, to_wgs84=False)
        self.data = _js(self.geojson, written=True)
        self.style, self.point_style = _js(style), _js(point_style or style)
        self.coloured = _js(list(coloured))

    @property
    def features(self) -> list[dict]:
        """The features drawn (GeoJSON dictionaries)."""
        return json.loads(self.geojson)["features"]


_MARKERS = """
{% macro script(this, kwargs) %}
(function () {
  var group = {{ this._parent.get_name() }};
  {{ this.data }}.forEach(function (m) {
    var icon = L.divIcon({html: m.icon, className: "empty", iconSize: [m.size, m.size],
                          iconAnchor: [Math.floor(m.size / 2), Math.floor(m.size / 2)]});
    L.marker([m.lat, m.lon], {icon: icon, zIndexOffset: m.z || 0})
      .bindTooltip("<div>" + m.tip + "</div>", {sticky: true})
      .bindPopup(m.popup, {maxWidth: m.width}).addTo(group);
  });
})();
{% endmacro %}
"""


class Markers(MacroElement):
    """Sites of one layer: an HTML icon, a tooltip and a popup each, written as one list.

    Parameters
    ----------
    markers : list of dict
        ``lat``, ``lon``, ``icon`` (HTML), ``size`` (pixels), ``tip`` and ``popup`` (escaped HTML),
        ``width`` (popup width, pixels).
    """

    _template = Template(_MARKERS)

    def __init__(self, markers: list[dict]):
        super().__init__()
        self._name = "Markers"
        self.markers = markers
        self.data = _js(markers)


def _marker(lat: float, lon: float, style: tuple[str, str], tip: str, popup: str, shape: str = "circle",
            size: int = 24, width: int = 320, z: int = 0) -> dict:
    letter, colour = style
    return {"lat": float(lat), "lon": float(lon), "icon": _icon_html(letter, colour, shape, size), "size": size,
            "tip": tip, "popup": popup, "width": width, "z": int(z)}


#: Drawn above the others at one place: a France Services or a CCAS often sits in its town hall, whose
#: marker (a stand-in for the CCAS) must not hide it.
_ABOVE_TOWN_HALLS = 1000


def _class_layer(frame: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Travel-time classes dissolved by commune (areas; point units as discs), with a tooltip each."""
    layer = folium.FeatureGroup(name="Temps d'accès (classes)", show=True)
    frame["tip"] = [f"{html.escape(str(n))} — {html.escape(lab)} : {fmt_int(p)} hab."
                    for n, lab, p in zip(frame["nom"], frame["label"], frame["population"])]
    is_point = (frame.geometry.geom_type == "Point").to_numpy()
    frame["radius"] = np.where(is_point, 4 + 2 * np.log10(np.maximum(frame["population"].to_numpy(dtype=float), 1)),
                               0.0)
    if len(frame):
        layer.add_child(GeoJsonLayer(frame[["tip", "colour", "radius", "geometry"]],
                                     style={"weight": 0.5, "fillOpacity": 0.62},
                                     point_style={"color": "#333", "weight": 1, "fill": True, "fillOpacity": 0.9},
                                     coloured=("fillColor", "color")))
    return layer


def _gap_layer(frame: gpd.GeoDataFrame, names: dict, threshold: float) -> folium.FeatureGroup | None:
    """The population beyond the threshold (zones blanches), outlined in red by commune."""
    gaps = frame[frame["uncovered_population"] > 0]
    if not len(gaps):
        return None
    gap_layer = folium.FeatureGroup(name=f"Population au-delà de {fmt_num(threshold)} min (zones blanches)",
                                    show=True)
    grouped = gaps.dissolve(by="commune", aggfunc={"uncovered_population": "sum"}).reset_index()
    grouped["tip"] = [f"Zone blanche — {html.escape(str(names.get(c, c)))} : {fmt_int(p)} hab. au-delà de "
                      f"{fmt_num(threshold)} min ou sans accès routier"
                      for c, p in zip(grouped["commune"], grouped["uncovered_population"])]
    style = {"color": "#b00020", "weight": 2.5, "fill": False, "dashArray": "4 3"}
    # Point units: rings, not pin images.
    gap_layer.add_child(GeoJsonLayer(grouped[["tip", "geometry"]], style=style, point_style={**style, "radius": 9}))
    return gap_layer


def _outline_layer(outlines: gpd.GeoDataFrame, result: CoverageResult) -> folium.FeatureGroup:
    """Commune outlines, each with its covered share in the tooltip."""
    outline = outlines.to_crs("EPSG:4326")[["code", "nom", "geometry"]].copy()
    outline["geometry"] = outline.geometry.simplify(0.0002, preserve_topology=True)
    table = result.communes.set_index("commune") if len(result.communes) else None
    tips = []
    for code, nom in zip(outline["code"].astype(str), outline["nom"].astype(str)):
        tip = html.escape(nom)
        if table is not None and code in table.index:
            row = table.loc[code]
            tip += (f" — {fmt_pct(row['share_covered'], sep=' ')} couverts"
                    + f", {fmt_int(row['uncovered'] + row['no_road'])} hab. au-delà du seuil")
        tips.append(tip)
    outline["tip"] = tips
    group = folium.FeatureGroup(name="Contours des communes", show=True)
    group.add_child(GeoJsonLayer(outline[["tip", "geometry"]],
                                 style={"color": "#222", "weight": 0.8, "fill": False, "opacity": 0.7}))
    return group


def _site_layers(sites: gpd.GeoDataFrame, origin: pd.Series,
                 threshold: float) -> tuple[list[folium.FeatureGroup], list[str]]:
    """One layer per site type (existing sites), and the types drawn, for the legend."""
    types_present = [t for t in SITE_STYLES if (sites["type"] == t).any()]
    groups = []
    for site_type in types_present:
        group = folium.FeatureGroup(name=f"Lieux : {SITE_TYPES.get(site_type, site_type)}", show=True)
        markers = []
        for idx in np.flatnonzero(((sites["type"] == site_type) & (origin != ORIGIN_ADDED)).to_numpy()):
            row = sites.iloc[idx]
            markers.append(_marker(row.geometry.y, row.geometry.x, SITE_STYLES[site_type],
                                   html.escape(str(row["name"])), _site_popup(row, threshold),
                                   z=0 if site_type == "mairie" else _ABOVE_TOWN_HALLS))
        group.add_child(Markers(markers))
        groups.append(group)
    return groups, types_present


def _scenario_layer(sites: gpd.GeoDataFrame, origin: pd.Series, closed_sites,
                    threshold: float) -> folium.FeatureGroup | None:
    """A scenario's hypothetical and closed sites (None when there are none)."""
    added = np.flatnonzero((origin == ORIGIN_ADDED).to_numpy())
    scenario = bool(added.size) or (closed_sites is not None and len(closed_sites) > 0)
    if not scenario:
        return None
    group = folium.FeatureGroup(name="Scénario : lieux hypothétiques et fermés", show=True)
    markers = []
    for idx in added:
        row = sites.iloc[idx]
        markers.append(_marker(row.geometry.y, row.geometry.x, ADDED_STYLE,
                               html.escape(f"Hypothétique : {row['name']}"),
                               _site_popup(row, threshold, "<i>Lieu hypothétique, ouvert dans ce scénario</i>"),
                               size=28))
    if closed_sites is not None:
        for _, row in closed_sites.iterrows():
            markers.append(_marker(row.geometry.y, row.geometry.x, CLOSED_STYLE,
                                   html.escape(f"Fermé : {row['name']}"),
                                   _site_popup(row, threshold, "<i>Fermé dans ce scénario</i>")))
    group.add_child(Markers(markers))
    return group


def _suggestion_layer(suggestions: gpd.GeoDataFrame) -> folium.FeatureGroup:
    """Suggested sites, numbered, with their gain in the popup."""
    group = folium.FeatureGroup(name="Lieux suggérés", show=True)
    gain = next((c for c in ("population_newly_covered", "gain", "population_gain") if c in suggestions.columns), None)
    markers = []
    for _, row in suggestions.iterrows():
        text = f"<b>{html.escape(str(row.get('name', '')))}</b><br>Suggestion n° {int(row['rank'])}"
        if gain:
            text += f"<br>Population nouvellement couverte : <b>{fmt_int(row[gain])}</b> hab."
        markers.append(_marker(row["lat"], row["lon"], (str(int(row["rank"])), SUGGESTED_COLOUR),
                               html.escape(f"Suggestion {int(row['rank'])} : {row.get('name', '')}"), text,
                               shape="square", size=26, width=300))
    group.add_child(Markers(markers))
    return group


def closed_sites_layer(sites: gpd.GeoDataFrame, what: str, threshold: float) -> folium.FeatureGroup | None:
    """The sites closed at the moment a lens reads (greyed, « Fermé … » in the tooltip); None when none is.

    Parameters
    ----------
    sites : GeoDataFrame
        The sites closed then (WGS84 points).
    what : str
        The moment in words (« le mardi à 18:00 »).
    threshold : float
        For the popups' figures.
    """
    if not len(sites):
        return None
    group = folium.FeatureGroup(name=f"Lieux fermés {what}", show=True)
    markers = [_marker(row.geometry.y, row.geometry.x, CLOSED_STYLE, html.escape(f"Fermé {what} : {row['name']}"),
                       _site_popup(row, threshold, f"<i>Fermé {html.escape(what)} : ne compte pas à ce moment</i>"))
               for _, row in sites.to_crs("EPSG:4326").iterrows()]
    group.add_child(Markers(markers))
    return group


def sector_gap_layer(communes: gpd.GeoDataFrame | None, gaps: pd.DataFrame,
                     threshold: float) -> folium.FeatureGroup | None:
    """The communes where coverage to the sector's site falls short of coverage to the nearest site.

    Parameters
    ----------
    communes : GeoDataFrame or None
        Commune outlines (``code``, ``nom``, geometry); None or points: no layer.
    gaps : DataFrame
        :attr:`access30.coverage.result.AssignedCoverage.communes` (``commune``, ``gap``, shares).
    threshold : float
    """
    outlines = commune_outlines(communes)
    worst = gaps[gaps["gap"] >= 0.5]
    if outlines is None or not len(worst):
        return None
    table = worst.groupby("commune", as_index=False).agg(
        gap=("gap", "sum"), share_nearest=("share_nearest", "first"), share_assigned=("share_assigned", "first"))
    frame = outlines.to_crs("EPSG:4326")[["code", "nom", "geometry"]].merge(
        table, left_on="code", right_on="commune", how="inner")
    if not len(frame):
        return None
    top = float(frame["gap"].max())
    frame["geometry"] = frame.geometry.simplify(0.0002, preserve_topology=True)
    frame["colour"] = ["#7b3294" if g >= top / 2 else "#c2a5cf" for g in frame["gap"]]
    frame["tip"] = [f"{html.escape(str(n))} — {fmt_int(g)} hab. à {fmt_num(threshold)} min du lieu le plus proche mais "
                    f"pas de celui de leur secteur ({fmt_pct(a, sep=' ')} couverts par leur secteur, "
                    f"{fmt_pct(b, sep=' ')} par le plus proche)"
                    for n, g, a, b in zip(frame["nom"], frame["gap"], frame["share_assigned"], frame["share_nearest"])]
    group = folium.FeatureGroup(name="Secteurs : écart au lieu le plus proche", show=True)
    group.add_child(GeoJsonLayer(frame[["tip", "colour", "geometry"]], style={"weight": 1.5, "fillOpacity": 0.45,
                                                                               "color": "#542788"},
                                 coloured=("fillColor",)))
    return group


def listing_layers(sites: gpd.GeoDataFrame) -> list[folium.FeatureGroup]:
    """A département's reception places for review (:class:`access30.inputs.sources.listing.SiteListing`):
    one layer per site type, each place with its name, address, hours and sources in the popup."""
    sites = sites.to_crs("EPSG:4326") if sites.crs is not None else sites
    groups = []
    for site_type in [t for t in SITE_STYLES if (sites["type"] == t).any()]:
        group = folium.FeatureGroup(name=f"Lieux : {SITE_TYPES.get(site_type, site_type)}", show=True)
        markers = []
        for _, row in sites[sites["type"] == site_type].iterrows():
            sources = str(row.get("sources", "") or "")
            extra = f"<i>Sources : {html.escape(sources)}</i>" if sources else ""
            markers.append(_marker(row.geometry.y, row.geometry.x, SITE_STYLES[site_type],
                                   html.escape(str(row["name"])), _site_popup(row, 0.0, extra),
                                   z=0 if site_type == "mairie" else _ABOVE_TOWN_HALLS))
        group.add_child(Markers(markers))
        groups.append(group)
    return groups
