"""Points from planners' tables (inputs.points): every usual shape of coordinates, on the real France Services
of the Côtes-d'Armor (data/cotes_darmor/france_services_22.csv, 34 rows with latitude and longitude), rewritten
as a combined column, WKT and degrees-minutes-seconds; the errors name the row and the column."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from access30.base.crs import to_projected
from access30.base.errors import InputError
from access30.base.io import read_table
from access30.inputs.points import points_from_table
from tests.paths import REPO

SOURCE = REPO / "data" / "cotes_darmor" / "france_services_22.csv"


@pytest.fixture(scope="module")
def table() -> pd.DataFrame:
    return read_table(SOURCE)


@pytest.fixture(scope="module")
def lonlat(table) -> tuple[np.ndarray, np.ndarray]:
    return table["longitude"].astype(float).to_numpy(), table["latitude"].astype(float).to_numpy()


def names_only(table: pd.DataFrame) -> pd.DataFrame:
    return table[["id_fs", "lib_fs", "lib_com"]].copy()


def dms(value: float, positive: str, negative: str) -> str:
    """48.51727 → 48°31'2.172"N (seconds to 3 decimals: under 3 cm)."""
    degrees = int(abs(value))
    minutes = int((abs(value) - degrees) * 60)
    seconds = (abs(value) - degrees - minutes / 60) * 3600
    return f"{degrees}°{minutes}'{seconds:.3f}\"{positive if value >= 0 else negative}"


def test_longitude_latitude_columns(table, lonlat):
    points, missing = points_from_table(table, SOURCE)
    assert len(points) == len(table) == 34 and missing.size == 0
    assert points.crs.to_epsg() == 4326
    assert np.allclose(points.geometry.x, lonlat[0]) and np.allclose(points.geometry.y, lonlat[1])
    assert points.loc[0, "lib_fs"] == "France services Saint-Brieuc"
    assert points.geometry.iloc[0].coords[0] == pytest.approx((-2.74538, 48.51727))


def test_one_combined_latitude_longitude_column(table, lonlat):
    frame = names_only(table)
    frame["Coordonnées"] = table["latitude"] + ", " + table["longitude"]  # the order of map applications
    points, _ = points_from_table(frame, "combined.csv")
    assert np.allclose(points.geometry.x, lonlat[0]) and np.allclose(points.geometry.y, lonlat[1])


def test_wkt_points(table, lonlat):
    frame = names_only(table)
    frame["geometry"] = "POINT (" + table["longitude"] + " " + table["latitude"] + ")"  # WKT: x (lon) first
    points, _ = points_from_table(frame, "wkt.csv")
    assert np.allclose(points.geometry.x, lonlat[0]) and np.allclose(points.geometry.y, lonlat[1])


def test_degrees_minutes_seconds(table, lonlat):
    frame = names_only(table)
    frame["longitude"] = [dms(v, "E", "O") for v in lonlat[0]]
    frame["latitude"] = [dms(v, "N", "S") for v in lonlat[1]]
    assert frame.loc[0, "longitude"].endswith("O") and frame.loc[0, "latitude"].startswith("48°31'")
    points, _ = points_from_table(frame, "dms.csv")
    assert np.allclose(points.geometry.x, lonlat[0], atol=1e-6) and np.allclose(points.geometry.y, lonlat[1], atol=1e-6)
    # The same as one « lat lon » pair per cell.
    pairs = names_only(table)
    pairs["gps"] = [f"{la} {lo}" for la, lo in zip(frame["latitude"], frame["longitude"])]
    points, _ = points_from_table(pairs, "dms_pairs.csv")
    assert np.allclose(points.geometry.x, lonlat[0], atol=1e-6) and np.allclose(points.geometry.y, lonlat[1], atol=1e-6)


def test_decimal_comma(table, lonlat):
    frame = names_only(table)
    frame["lon"] = table["longitude"].str.replace(".", ",", regex=False)
    frame["lat"] = table["latitude"].str.replace(".", ",", regex=False)
    points, _ = points_from_table(frame, "virgules.csv")
    assert np.allclose(points.geometry.x, lonlat[0]) and np.allclose(points.geometry.y, lonlat[1])


def test_a_bad_value_names_its_row_and_column(table):
    frame = table.copy()
    frame.loc[4, "longitude"] = "à vérifier"
    with pytest.raises(InputError) as exc:
        points_from_table(frame, SOURCE)
    assert exc.value.column == "longitude" and exc.value.row == 5
    assert "à vérifier" in str(exc.value) and "france_services_22.csv" in str(exc.value)


def test_an_unreadable_pair_names_the_combined_column(table):
    frame = names_only(table)
    frame["coordonnees"] = table["latitude"] + ", " + table["longitude"]
    frame.loc[2, "coordonnees"] = "48.29488"
    with pytest.raises(InputError) as exc:
        points_from_table(frame, "combined.csv")
    assert exc.value.column == "coordonnees" and exc.value.row == 3 and "latitude, longitude" in exc.value.fix


def test_missing_coordinates(table):
    frame = table.copy()
    frame.loc[[1, 7], "latitude"] = ""
    with pytest.raises(InputError) as exc:
        points_from_table(frame, SOURCE)
    assert exc.value.row == 2 and "2 lignes" in exc.value.problem
    points, missing = points_from_table(frame, SOURCE, allow_missing=True)
    assert missing.tolist() == [1, 7] and len(points) == 32


def test_lambert_metres_read_as_degrees_suggest_the_crs(table, lonlat):
    x, y = to_projected(*lonlat, "EPSG:2154")
    frame = names_only(table)
    frame["x"], frame["y"] = [f"{v:.1f}" for v in x], [f"{v:.1f}" for v in y]
    with pytest.raises(InputError) as exc:
        points_from_table(frame, "l93.csv")
    assert exc.value.column == "x" and "--sites-crs EPSG:2154" in exc.value.fix
    points, _ = points_from_table(frame, "l93.csv", crs="EPSG:2154")
    back = points.to_crs("EPSG:4326")
    assert np.allclose(back.geometry.x, lonlat[0], atol=1e-6) and np.allclose(back.geometry.y, lonlat[1], atol=1e-6)


def test_addresses_without_coordinates_point_to_the_ban(table):
    frame = table[["lib_fs", "adresse", "lib_com"]]
    with pytest.raises(InputError) as exc:
        points_from_table(frame, SOURCE)
    assert exc.value.column == "adresse" and "Base Adresse Nationale" in exc.value.fix
