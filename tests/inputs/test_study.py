"""The study (inputs.study): another site list, the commune outlines when known, and the study area."""

from __future__ import annotations

from dataclasses import replace

import geopandas as gpd
import pandas as pd
import pytest
import shapely

from access30.base.crs import to_wgs84
from access30.inputs.study import Study, commune_outlines
from tests.paths import REPO


@pytest.fixture(scope="module")
def demo_town_halls(demo_study) -> gpd.GeoDataFrame:
    """The town halls of the demo's 42 communes, from the project's copy of the national list."""
    table = pd.read_csv(REPO / "data" / "cotes_darmor" / "mairies_22.csv", dtype={"code": str})
    table = table[table["code"].isin(demo_study.communes["code"].astype(str))]
    return gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(table["mairie_lon"], table["mairie_lat"]),
                            crs="EPSG:4326")


def test_with_sites(demo_study):
    france_services = demo_study.sites[demo_study.sites["type"] == "france_services"]
    assert 0 < len(france_services) < len(demo_study.sites) == 32
    other = demo_study.with_sites(france_services)
    assert isinstance(other, Study) and other is not demo_study
    assert len(other.sites) == len(france_services) and other.sites.index.tolist() == list(range(len(other.sites)))
    assert other.sites["name"].tolist() == france_services["name"].tolist()
    assert other.network is demo_study.network and other.demand is demo_study.demand
    assert len(demo_study.sites) == 32  # the study itself is unchanged


def test_outlines(demo_study):
    outlines = demo_study.outlines
    assert outlines is not None and len(outlines) == 42
    assert outlines.geometry.geom_type.str.contains("Polygon").all()
    assert {"code", "nom"} <= set(outlines.columns)
    assert "Saint-Brieuc" in set(outlines["nom"])


def test_no_outlines_for_a_names_only_table(demo_study):
    names_only = pd.DataFrame(demo_study.communes.drop(columns="geometry"))
    assert replace(demo_study, communes=names_only).outlines is None
    assert replace(demo_study, communes=None).outlines is None
    centroids = demo_study.communes.to_crs("EPSG:2154")
    centroids["geometry"] = centroids.geometry.centroid
    assert commune_outlines(centroids) is None  # points are not outlines either


def test_area_contains_the_demo_town_halls(demo_study, demo_town_halls):
    assert len(demo_town_halls) == 42
    area = demo_study.area_wgs84()
    assert area.contains(demo_town_halls.geometry).all()
    # The outlines, not a box: 30 km north of the northernmost town hall is the sea, outside.
    top = demo_town_halls.loc[demo_town_halls.geometry.y.idxmax()].geometry
    assert not area.contains(shapely.Point(top.x, top.y + 0.3))
    # Buffered by 2 km by default; Grâce-Uzel's town hall lies 39 m outside the outlines, a narrow buffer holds it.
    tight = demo_study.area_wgs84(buffer_m=100.0)
    assert tight.area < area.area and tight.contains(demo_town_halls.geometry).all()


def test_area_without_outlines_is_the_populations_hull(demo_study):
    names_only = replace(demo_study, communes=pd.DataFrame(demo_study.communes.drop(columns="geometry")))
    area = names_only.area_wgs84()
    units = demo_study.demand.units
    lon, lat = to_wgs84(units["x"].to_numpy(), units["y"].to_numpy(), demo_study.demand.crs)
    assert shapely.contains_xy(area, lon, lat).all()


def test_the_demo_area_is_the_communes_whose_outlines_lie_in_the_extract():
    """≥ 50 % of the outline within the hull of the extract's drive nodes + 2 km: 42 communes, 154 995
    inhabitants; Saint-Fiacre, whose town hall the national list places inside but whose land lies 15 km
    west, is out (issue 27)."""
    from access30.base.io import read_vector
    from access30.inputs.territory import communes_in_extract
    from access30.network.roads import read_pbf

    communes = read_vector(REPO / "data" / "cotes_darmor" / "communes_22.gpkg")
    network = read_pbf(REPO / "data" / "osm" / "st_brieuc_loudeac.osm.pbf", mode="drive", partial=True)
    kept = communes_in_extract(communes, network)
    assert len(kept) == 42 and kept["population_municipale"].sum() == 154_995
    assert (kept["share_in_extract"] >= 0.5).all()
    assert not {"Mené", "Merléac", "Noyal", "Plérin", "Saint-Fiacre", "Trévé"} & set(kept["nom"])
    assert {"Fœil", "Saint-Thélo"} <= set(kept["nom"])


def test_the_shipped_demo_area_is_the_rules_output():
    """data/cotes_darmor/demo_area_communes.csv is exactly what the rule gives on the shipped files."""
    from access30.base.io import read_vector
    from access30.inputs.territory import communes_in_extract
    from access30.network.roads import read_pbf

    communes = read_vector(REPO / "data" / "cotes_darmor" / "communes_22.gpkg")
    network = read_pbf(REPO / "data" / "osm" / "st_brieuc_loudeac.osm.pbf", mode="drive", partial=True)
    shipped = pd.read_csv(REPO / "data" / "cotes_darmor" / "demo_area_communes.csv", dtype={"code": str})
    pd.testing.assert_frame_equal(communes_in_extract(communes, network), shipped, check_dtype=False)


def test_the_demo_label_counts_the_communes_of_its_area(tmp_path, monkeypatch):
    """« 42 communes » is counted in the area's file, never written by hand: another list, another count."""
    from access30.inputs.territory import get_territory

    territory = get_territory("st-brieuc-loudeac")
    shipped = pd.read_csv(REPO / "data" / "cotes_darmor" / "demo_area_communes.csv", dtype={"code": str})
    assert territory.label == f"Saint-Brieuc – Loudéac (Côtes-d'Armor, {len(shipped)} communes)"
    assert len(shipped) == 42
    (tmp_path / "cotes_darmor").mkdir()
    shipped.head(3).to_csv(tmp_path / "cotes_darmor" / "demo_area_communes.csv", index=False)
    monkeypatch.setenv("ACCESS30_DATA", str(tmp_path))
    assert territory.label == "Saint-Brieuc – Loudéac (Côtes-d'Armor, 3 communes)"
