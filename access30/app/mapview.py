"""The app's map: drawn once per study, then updated layer by layer.

The page hands streamlit-folium a base map that depends only on the study (background, offline
Leaflet, the territory's bounds: :func:`access30.outputs.webmap.base_map`) and the result's layers
as *dynamic feature groups* (:func:`access30.outputs.webmap.map_layers`, the legend included).
While the base map stays the same, the browser keeps its map (and the planner's zoom) and only
swaps the layers: a new threshold or scenario no longer reloads the map.

The layers' JavaScript is written once per figures shown (study, scenario, threshold, capacity,
suggestion: the caller's ``layers_key``) and kept in a bounded cache shared by the sessions; the
base map's once per study. Both are handed to streamlit-folium's component exactly as
``st_folium`` would (its own helpers write them); should those helpers change, the page falls back
to ``st_folium`` itself.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import folium
import streamlit as st
import streamlit_folium as sf

from access30.app.shared import Bounded
from access30.outputs import webmap

#: Height of the map in the page, pixels.
HEIGHT = 640
#: What the map reports to the page: the last clicked point (to open a site there).
RETURNED = ["last_clicked"]
#: Layer sets (their JavaScript) kept, every session together.
LAYER_SETS = 24
#: streamlit-folium's helpers that write what its component is given (``st_folium`` uses them).
_HELPERS = ("_component_func", "_get_html", "_get_header", "_get_map_string", "_get_feature_group_string",
            "_get_layer_control_string", "get_full_id", "generate_js_hash")
FAST = all(hasattr(sf, name) for name in _HELPERS)


@st.cache_resource(show_spinner=False, max_entries=8)
def base(bounds: tuple[float, float, float, float]) -> dict:
    """What the component needs of the base map of ``bounds``: its page parts, script, links and defaults."""
    fmap = webmap.base_map(bounds)
    fmap.get_root().render()
    fmap.render()
    parts = {"html": sf._get_html(fmap), "header": sf._get_header(fmap)}
    parts["script"] = sf._get_map_string(fmap)
    parts["id"] = sf.get_full_id(fmap)
    css, js = [], []
    for element in _walk(fmap):
        css.extend(href for _, href in getattr(element, "default_css", []))
        js.extend(src for _, src in getattr(element, "default_js", []))
    parts["css_links"], parts["js_links"] = list(dict.fromkeys(css)), list(dict.fromkeys(js))
    west, south, east, north = bounds
    defaults = {"last_clicked": None,
                "bounds": {"_southWest": {"lat": south, "lng": west}, "_northEast": {"lat": north, "lng": east}}}
    parts["default"] = {key: value for key, value in defaults.items() if key in RETURNED}
    return parts


def _walk(element):
    yield element
    for child in getattr(element, "_children", {}).values():
        yield from _walk(child)


@st.cache_resource(show_spinner=False, max_entries=1)
def layer_cache() -> Bounded:
    """The layer sets' JavaScript, by the caller's key (shared by the sessions, bounded)."""
    return Bounded(LAYER_SETS)


def layer_scripts(bounds: tuple[float, float, float, float], layers: list[folium.FeatureGroup]) -> tuple[str, str]:
    """The JavaScript adding ``layers`` to the drawn map, and that of their layer selector."""
    fmap = webmap.base_map(bounds)
    groups = "".join(sf._get_feature_group_string(layer, map=fmap, idx=i) for i, layer in enumerate(layers))
    control = sf._get_layer_control_string(folium.LayerControl(collapsed=True, position="topright"), fmap)
    return groups, control


def draw(bounds: tuple[float, float, float, float], layers_key: Hashable, make_layers: Callable[[], list],
         key: str = "map") -> dict | None:
    """Draw the map in the page; return what the map reports (the last clicked point).

    Parameters
    ----------
    bounds : tuple
        West, south, east, north of the study (:func:`access30.app.shared.map_bounds`): the same for
        every result of a study, so that the browser keeps its map.
    layers_key : hashable
        What the layers show (study, scenario, threshold, capacity, suggestion): layers drawn for the
        same key are reused.
    make_layers : callable
        Returns the layers (:func:`access30.outputs.webmap.map_layers`) when they are not known yet.
    key : str
        The map's widget key.

    Returns
    -------
    dict or None
        ``{"last_clicked": {"lat": …, "lng": …} or None}``.
    """
    if not FAST:
        return sf.st_folium(webmap.base_map(bounds), height=HEIGHT, use_container_width=True, returned_objects=RETURNED,
                         key=key, feature_group_to_add=make_layers(),
                         layer_control=folium.LayerControl(collapsed=True, position="topright"))
    page = base(bounds)
    cache = layer_cache()
    scripts = cache.get(layers_key)
    if scripts is None:
        scripts = layer_scripts(bounds, make_layers())
        cache[layers_key] = scripts
    hash_key = sf.generate_js_hash(page["script"], key, False)

    def changed() -> None:
        st.session_state[key] = st.session_state.get(hash_key, {})

    return sf._component_func(
        script=page["script"], header=page["header"], html=page["html"], id=page["id"], key=hash_key, height=HEIGHT,
        width=None, returned_objects=RETURNED, default=page["default"], zoom=None, center=None,
        feature_group=scripts[0], return_on_hover=False, layer_control=scripts[1], pixelated=False,
        css_links=page["css_links"], js_links=page["js_links"], on_change=changed, wrap_longitude=False)
