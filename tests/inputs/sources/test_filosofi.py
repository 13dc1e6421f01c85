"""INSEE Filosofi 200 m grid for any département: download once, per-département cache, offline fallback.

The national archive (~300 MB) cannot be fetched here. FIXTURE: the tests build a small GeoPackage
from 400 **real** Martinique cells (Filosofi 2017, ``shared/data/martinique``) renamed to the 2021
lower-case schema (layer ``carreaux_200m_mart``, ``groupe`` dropped, EPSG:5490 geometry rebuilt from
the cell ids), zip it as INSEE does, and read it through the download path (``file://``). The values
are 2017 values: the fixture checks the reading, not the 2021 figures.
"""

from __future__ import annotations

import zipfile

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from access30.base.cache import lookup
from access30.base.errors import InputError
from access30.inputs.population import decode_idcar, read_filosofi
from access30.inputs.sources.filosofi import (
    FilosofiUnavailable,
    cells_of_departement,
    filosofi_cache_path,
    grid_or_town_halls,
    load_filosofi_grid,
)

N_CELLS = 400


@pytest.fixture(scope="module")
def real_cells(shared_data, tmp_path_factory):
    """The first 400 real cells of the Martinique grid (2017 schema), as a CSV read by read_filosofi."""
    frame = pd.read_csv(shared_data / "martinique" / "filosofi2017_200m_972.csv", dtype=str, nrows=N_CELLS)
    path = tmp_path_factory.mktemp("real") / "filosofi2017_first_cells_972.csv"
    frame.to_csv(path, index=False)
    return frame, path


def _gpkg_2021(frame: pd.DataFrame, folder, layer="carreaux_200m_mart", upper=False):
    """FIXTURE GeoPackage in the 2021 schema (lower-case fields), or capitalised as in 2017/2019."""
    cells = decode_idcar(frame["Idcar_200m"])
    data = frame.drop(columns=["Groupe"]).copy()
    data.columns = [c if upper else c.lower() for c in data.columns]
    for column in data.columns:
        if column.lower() not in ("idcar_200m", "idcar_1km", "idcar_nat", "lcog_geo"):
            data[column] = pd.to_numeric(data[column])
    geometry = shapely.box(cells["east"], cells["north"], cells["east"] + 200, cells["north"] + 200)
    path = folder / f"FIXTURE_{layer}.gpkg"
    gpd.GeoDataFrame(data, geometry=geometry, crs="EPSG:5490").to_file(path, layer=layer, driver="GPKG")
    return path


def _zip(gpkg, folder, name="FIXTURE_Filosofi2021_carreaux_200m_gpkg.zip"):
    path = folder / name
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(gpkg, f"Filosofi2021_carreaux_200m_gpkg/{gpkg.name}")
    return path


def test_2021_grid_matches_read_filosofi(real_cells, tmp_path):
    frame, csv_path = real_cells
    archive = _zip(_gpkg_2021(frame, tmp_path), tmp_path)
    cache = tmp_path / "cache"
    demand = load_filosofi_grid("972", cache_dir=cache, url=archive.as_uri())
    assert demand.crs == "EPSG:5490" and demand.kind == "grid" and not demand.modelled
    assert "Filosofi 2021" in demand.population_label and "972" in demand.source
    # Same units, population, communes, equity columns and cell centres as the project's CSV reader.
    expected = read_filosofi(csv_path).units.set_index("unit_id")
    units = demand.units.set_index("unit_id").loc[expected.index]
    assert len(units) == N_CELLS
    np.testing.assert_allclose(units["population"], expected["population"])
    assert demand.total == pytest.approx(pd.to_numeric(frame["Ind"]).sum())
    assert (units["commune"] == expected["commune"]).all()
    assert (units["commune_codes"] == expected["commune_codes"]).all()
    assert demand.equity_columns == ["households", "poor_households", "single_parent_households", "elderly_65p",
                                     "single_person_households"]
    for column in demand.equity_columns:
        np.testing.assert_allclose(units[column], expected[column])
    np.testing.assert_allclose(units[["x", "y"]], expected[["x", "y"]])
    assert units["imputed"].sum() == (pd.to_numeric(frame["I_est_200"]) == 1).sum()
    # Cached per département; the archive stays in the cache, recorded in its manifest (another département
    # is read without downloading 300 MB again, and « access30 download » says « déjà en cache »).
    cached = filosofi_cache_path("972", "2021", cache)
    archive = cached.parent / "Filosofi2021_carreaux_200m_gpkg.zip"
    assert cached.is_file() and archive.is_file()
    assert lookup("grid", "22", cache, "2021").path == archive.resolve()
    assert not list(cached.parent.glob(".*part*"))
    again = load_filosofi_grid("972", cache_dir=cache, url="http://127.0.0.1:9/x.zip")
    pd.testing.assert_frame_equal(pd.DataFrame(again.units.drop(columns="geometry")),
                                  pd.DataFrame(demand.units.drop(columns="geometry")))


def test_capitalised_fields_in_a_nested_7z(real_cells, tmp_path):
    import py7zr

    frame, _ = real_cells
    gpkg = _gpkg_2021(frame, tmp_path, layer="carreaux_200m_mart", upper=True)
    seven = tmp_path / "Filosofi2019_carreaux_200m_gpkg.7z"
    with py7zr.SevenZipFile(seven, "w") as archive:
        archive.write(gpkg, "carreaux_200m_mart.gpkg")
    outer = tmp_path / "FIXTURE_Filosofi2019_carreaux_200m_gpkg.zip"
    with zipfile.ZipFile(outer, "w") as zf:
        zf.write(seven, seven.name)
    demand = load_filosofi_grid("972", vintage="2019", cache_dir=tmp_path / "c", archive=outer)
    assert len(demand.units) == N_CELLS and "Filosofi 2019" in demand.population_label
    assert demand.total == pytest.approx(pd.to_numeric(frame["Ind"]).sum())
    assert outer.is_file()  # an archive given by hand is left where it is


def test_offline_and_no_grid(tmp_path):
    cache = tmp_path / "cache"
    with pytest.raises(FilosofiUnavailable) as err:
        load_filosofi_grid("29", cache_dir=cache, url="http://127.0.0.1:9/Filosofi2021_carreaux_200m_gpkg.zip")
    assert err.value.reason == "offline" and err.value.departement == "29"
    message = str(err.value)
    assert f"placez le fichier ici : {cache / 'filosofi' / '2021' / 'Filosofi2021_carreaux_200m_gpkg.zip'}" in message
    assert "insee.fr/fr/statistiques/8735162" in message
    notice = err.value.notice
    assert notice.code == "population_town_halls" and notice.message.startswith("Population placée aux mairies")
    for code, name in (("971", "Guadeloupe"), ("973", "Guyane"), ("976", "Mayotte")):
        with pytest.raises(FilosofiUnavailable, match=f"pas de carroyage Filosofi pour {name}") as err:
            load_filosofi_grid(code, cache_dir=cache)
        assert err.value.reason == "no_grid"
    with pytest.raises(InputError, match="millésime Filosofi « 2015 » inconnu"):
        load_filosofi_grid("29", vintage="2015", cache_dir=cache)


def test_fallback_to_town_halls(tmp_path):
    demand, notices = grid_or_town_halls("971", cache_dir=tmp_path)
    assert demand.kind == "points" and len(demand.units) == 32  # the 32 communes of Guadeloupe
    assert "placée à la mairie" in demand.population_label
    assert [n.code for n in notices] == ["population_town_halls"]
    assert "Guadeloupe" in notices[0].message


def test_wrong_layer_and_bad_archive(real_cells, tmp_path):
    frame, _ = real_cells
    archive = _zip(_gpkg_2021(frame, tmp_path), tmp_path)
    with pytest.raises(InputError, match="couche « carreaux_200m_reun » absente"):
        load_filosofi_grid("974", cache_dir=tmp_path / "c", archive=archive)
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="archive du carroyage INSEE illisible"):
        load_filosofi_grid("972", cache_dir=tmp_path / "d", archive=bad)


def test_cells_of_departement_by_first_commune():
    lcog = pd.Series(["29019", "2901929075", "2235029001", "2A004", "97209", "", None])
    assert cells_of_departement(lcog, "29").tolist() == [True, True, False, False, False, False, False]
    assert cells_of_departement(lcog, "22").tolist() == [False, False, True, False, False, False, False]
    assert cells_of_departement(lcog, "2A").tolist() == [False, False, False, True, False, False, False]
    assert cells_of_departement(lcog, "972").tolist() == [False, False, False, False, True, False, False]
