"""The app's map: the base map's parts once per study, the layers' scripts once per figures shown."""

from __future__ import annotations

from access30.app import mapview
from access30.outputs import webmap

BOUNDS = (-3.08, 48.13, -2.44, 48.56)


def test_streamlit_folium_helpers_found():
    assert mapview.FAST  # otherwise the page falls back to st_folium, which rebuilds the map each time


def test_base_map_parts_and_layer_scripts(demo_result, demo_study):
    page = mapview.base(BOUNDS)
    assert {"html", "header", "script", "id", "css_links", "js_links", "default"} <= set(page)
    assert page["default"] == {"last_clicked": None}
    assert mapview.base(BOUNDS) is page  # once per study
    areas = webmap.class_areas(demo_result)
    groups, control = mapview.layer_scripts(BOUNDS, webmap.map_layers(demo_result, demo_study.communes, areas))
    assert "feature_group" in groups and "L.control.layers" in control
    cache = mapview.layer_cache()
    assert cache.size == mapview.LAYER_SETS
