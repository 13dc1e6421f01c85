"""National outputs of a batch (national.outputs): the French table, the four files, the map with its insets.

The rows are hand-made (``handmade_rows``): the Côtes-d'Armor computed (98.3 % covered) and Martinique
failed; the outlines come from the real national list of town halls.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex
from openpyxl import load_workbook

from access30.base.departements import ALL_DEPARTEMENTS
from access30.national.batch import DONE, FAILED, town_halls
from access30.national.outputs import (
    OVERSEAS,
    departement_shapes,
    national_figure,
    national_table,
    write_national,
)

GREY = "#bbbbbb"
GREEN_98 = "#a6dba0"  # « 98 à 99 % »


@pytest.fixture(scope="module")
def handmade_rows() -> pd.DataFrame:
    return pd.DataFrame([
        {"code": "22", "status": DONE, "population_total": 600_000.0, "population_covered": 590_000.0,
         "share_covered": 590_000.0 / 600_000.0, "mean_time_min": 12.5, "sites": 5,
         "sites_by_type": {"ccas": 3, "france_services": 2}, "sources": ["INSEE 2021", "ANCT 2024"]},
        {"code": "972", "status": FAILED, "error": "réseau routier absent : donnez --networks-dir"},
    ])


@pytest.fixture(scope="module")
def shapes() -> gpd.GeoDataFrame:
    return departement_shapes(["22", "972"])


def test_national_table_in_french(handmade_rows):
    table = national_table(handmade_rows)
    frame = table.frame
    assert list(frame.columns[:6]) == ["Département", "Statut", "Erreur", "Population", "Population couverte",
                                       "Part couverte (lieux du département)"]
    first = frame.iloc[0]
    assert first["Département"] == "22" and first["Population couverte"] == 590_000.0
    assert first["Lieux par type"] == "3 CCAS/CIAS, 2 France Services"
    assert first["Sources et millésimes"] == "INSEE 2021 ; ANCT 2024"
    assert frame.iloc[1]["Erreur"].startswith("réseau routier absent")


def test_the_four_files(handmade_rows, tmp_path):
    written = write_national(handmade_rows, tmp_path, 30.0, "en voiture")
    assert [path.name for path in written] == ["national.csv", "national.xlsx", "national.gpkg", "national.png"]
    csv = pd.read_csv(tmp_path / "national.csv", dtype={"Département": str}, encoding="utf-8-sig")
    assert csv["Département"].tolist() == ["22", "972"] and csv["Statut"].tolist() == [DONE, FAILED]
    assert csv.loc[0, "Part couverte (lieux du département) (%)"] == pytest.approx(98.333, abs=1e-3)
    sheet = load_workbook(tmp_path / "national.xlsx")["Départements"]
    assert sheet["A1"].value == "Département" and sheet["E2"].value == 590_000
    layer = gpd.read_file(tmp_path / "national.gpkg", layer="departements")
    assert len(layer) == len(ALL_DEPARTEMENTS) == 101  # the whole country, those not computed without figures
    by_code = layer.set_index("code")
    assert by_code.loc["22", "status"] == DONE and by_code.loc["972", "status"] == FAILED
    assert by_code.loc["22", "population_covered"] == 590_000.0 and pd.isna(by_code.loc["29", "status"])
    assert (tmp_path / "national.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not list(tmp_path.glob(".*part*"))  # written atomically, no temporary file left


def test_departement_shapes_contain_their_town_halls(shapes):
    assert sorted(shapes["code"]) == ["22", "972"]
    assert shapes.crs.to_epsg() == 4326 and shapes.geometry.geom_type.str.contains("Polygon").all()
    halls = town_halls()
    # Two town halls of the national list lost the sign of their longitude (Tréguier at 3.23° E, 400 km east,
    # in the Marne): the outlines leave them out, as they should; every other town hall is inside.
    misplaced = {"22319", "22362"}
    assert (halls.loc[halls["code"].isin(misplaced), "lon"] > 3).all()
    for code, count in (("22", 344), ("972", 34)):
        own = halls[halls["departement"] == code]
        assert len(own) == count
        outline = shapes.loc[shapes["code"] == code].geometry.iloc[0]
        inside = outline.contains(gpd.points_from_xy(own["lon"], own["lat"]))
        assert set(own.loc[~inside, "code"]) == (misplaced if code == "22" else set()), code
    # Côtes-d'Armor and Martinique do not overlap, of course; Saint-Brieuc is in the first only.
    brieuc = halls.loc[halls["code"] == "22278", ["lon", "lat"]].iloc[0]
    inside = shapes.contains(gpd.points_from_xy([brieuc["lon"]], [brieuc["lat"]])[0])
    assert shapes.loc[inside, "code"].tolist() == ["22"]


def test_overseas_drawn_as_insets(handmade_rows, shapes):
    layer = shapes.merge(handmade_rows.drop(columns=["sources", "sites_by_type"]), on="code", how="left")
    figure = national_figure(layer, handmade_rows, 30.0, "en voiture")
    main, *insets = figure.axes
    assert [ax.get_title() for ax in insets] == list(OVERSEAS)
    colours = {ax.get_title(): [to_hex(c) for coll in ax.collections for c in coll.get_facecolors()]
               for ax in insets}
    assert colours["972"] == [GREY]  # failed: grey, in its own inset
    assert all(colours[code] == [] for code in OVERSEAS if code != "972")
    assert any(text.get_text() == "non calculé" for text in insets[0].texts)  # 971, not in the layer
    drawn = [to_hex(c) for coll in main.collections for c in coll.get_facecolors()]
    assert drawn == [GREEN_98]  # 98.3 %: metropolitan France in the main map, Martinique not there
    title = " ".join(text.get_text() for text in figure.texts)
    assert "30 min" in title and "en voiture" in title and "1 département calculé sur 2" in title
    assert np.isclose(layer.loc[layer["code"] == "22", "share_covered"].iloc[0], 590 / 600)
