"""The interactive web map (outputs.webmap) of the demo result: its layers, tooltips that say the time, and
site text escaped in popups and tooltips (a hand-made hostile site name, ``handmade_hostile``)."""

from __future__ import annotations

import folium
import numpy as np
import pytest

from access30.base.fmt import fmt_int
from access30.coverage.engine import evaluate, route
from access30.outputs.webmap import GeoJsonLayer, Markers, build_map, class_areas

HANDMADE_HOSTILE = "<script>alert(1)</script>"
HANDMADE_ADDRESS = '<img src=x onerror="alert(2)">'


def layers(fmap: folium.Map) -> dict:
    return {child.layer_name: child for child in fmap._children.values() if isinstance(child, folium.FeatureGroup)}


def markers(group: folium.FeatureGroup) -> list[dict]:
    return [m for child in group._children.values() if isinstance(child, Markers) for m in child.markers]


def popup_html(marker: dict) -> str:
    return marker["popup"]


def tooltip_text(marker: dict) -> str:
    return marker["tip"]


def features(group: folium.FeatureGroup) -> list[dict]:
    return [f for child in group._children.values() if isinstance(child, GeoJsonLayer) for f in child.features]


@pytest.fixture(scope="module")
def demo_map(demo_study, demo_result) -> folium.Map:
    return build_map(demo_result, communes=demo_study.communes, tiles=False)


@pytest.fixture(scope="module")
def result_20(demo_study, demo_routing):
    """The demo at 20 min by car, where it has zones blanches (at 30 min it has none)."""
    return evaluate(demo_study, demo_routing, 20.0)


@pytest.fixture(scope="module")
def demo_map_20(demo_study, result_20) -> folium.Map:
    return build_map(result_20, communes=demo_study.communes, tiles=False)


@pytest.fixture(scope="module")
def hostile_result(demo_study):
    sites = demo_study.sites.copy()
    sites.loc[0, "name"] = HANDMADE_HOSTILE
    sites.loc[0, "address"] = HANDMADE_ADDRESS
    study = demo_study.with_sites(sites)
    return study, evaluate(study, route(study), 30.0)


def test_layers_and_one_marker_per_site(demo_map, demo_map_20, demo_study):
    # At 30 min by car nobody is beyond: no zones blanches layer; at 20 min it comes second.
    found = layers(demo_map)
    assert list(found)[:2] == ["Temps d'accès (classes)", "Contours des communes"]
    assert not [name for name in found if "zones blanches" in name]
    assert list(layers(demo_map_20))[:3] == ["Temps d'accès (classes)",
                                             "Population au-delà de 20 min (zones blanches)", "Contours des communes"]
    site_groups = [name for name in found if name.startswith("Lieux : ")]
    assert sum(len(markers(found[name])) for name in site_groups) == len(demo_study.sites) == 32
    page = demo_map.get_root().render()
    assert "Légende" in page and "unpkg.com" not in page and "cdn.jsdelivr.net/npm/leaflet" not in page


def test_class_tooltips_say_the_time(demo_map_20, result_20):
    group = layers(demo_map_20)["Temps d'accès (classes)"]
    tips = [feature["properties"]["tip"] for feature in features(group)]
    assert len(tips) == len(class_areas(result_20))
    assert all(" min : " in tip or "sans accès routier" in tip for tip in tips)
    # Saint-Brieuc's people within 10 minutes, counted here from the units.
    units = result_20.units
    mine = (units["commune"].astype(str) == "22278") & (units["time_min"].to_numpy() <= 10.0) \
        & (units["status"] != "no_road")
    expected = f"Saint-Brieuc — 0–10 min : {fmt_int(units.loc[mine, 'population'].sum())} hab."
    assert expected in tips
    gaps = layers(demo_map_20)["Population au-delà de 20 min (zones blanches)"]
    gap_tips = [f["properties"]["tip"] for f in features(gaps)]
    assert gap_tips and all("au-delà de 20 min" in tip for tip in gap_tips)
    assert "Zone blanche — Uzel : 1\u202f046 hab. au-delà de 20 min ou sans accès routier" in gap_tips


def test_site_popup_gives_the_catchment_within_the_threshold(demo_map, demo_result):
    group = layers(demo_map)["Lieux : France Services"]
    marker = next(m for m in markers(group) if tooltip_text(m) == "France services Saint-Brieuc")
    text = popup_html(marker)
    assert text.startswith("<b>France services Saint-Brieuc</b>") and "lundi : 08:00 - 12:00" in text
    row = demo_result.sites.set_index("name").loc["France services Saint-Brieuc"]
    assert f"dont {fmt_int(row['catchment_covered'])} à 30 min ou moins" in text
    assert np.isfinite(row["catchment_population"]) and row["catchment_population"] > 0


def test_site_text_is_escaped(hostile_result):
    study, result = hostile_result
    fmap = build_map(result, communes=study.communes, tiles=False)
    assert study.sites.loc[0, "type"] == "france_services"
    group = layers(fmap)["Lieux : France Services"]
    marker = markers(group)[0]
    assert tooltip_text(marker) == "&lt;script&gt;alert(1)&lt;/script&gt;"
    text = popup_html(marker)
    assert text.startswith("<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>")
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in text
    page = fmap.get_root().render()
    assert HANDMADE_HOSTILE not in page and "<img src=x" not in page
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 2  # the popup and the tooltip


def test_france_services_are_drawn_above_the_town_halls_they_sit_in(demo_study, demo_routing):
    """Issue 27: the six France Services of the demo were hidden under the town-hall markers."""
    from access30.coverage.engine import evaluate
    from access30.outputs import webmap

    result = evaluate(demo_study, demo_routing, 30.0)
    layers = webmap.map_layers(result, demo_study.communes)
    by_type = {}
    for layer in layers:
        for child in layer._children.values():
            if isinstance(child, webmap.Markers):
                by_type[layer.layer_name] = {m["z"] for m in child.markers}
    assert by_type["Lieux : Mairie (commune de 1 500 hab. ou plus, indicateur de CCAS)"] == {0}
    assert by_type["Lieux : France Services"] == {1000}
    assert "zIndexOffset: m.z" in webmap._MARKERS
